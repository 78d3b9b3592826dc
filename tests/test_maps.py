"""Map HTML: layers present, feature counts equal the data, text escaped, nothing from a CDN."""

from __future__ import annotations

import json
import re

import pytest

from pamgeo.maps import embedded_documents, kecamatan_map, map_html, map_iframe
from pamgeo.region import build_region

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def toy_data(toy_cfg):
    data = build_region(toy_cfg)
    data.tps.loc[0, "alamat"] = XSS
    return data


def _geojson_layers(page: str) -> list[dict]:
    out = []
    for m in re.finditer(r"geo_json_\w+_add\((\{.*?\})\);\n", page):
        out.append(json.loads(m.group(1)))
    return out


def test_kecamatan_map_layers_and_counts(toy_data):
    page = map_html(kecamatan_map(toy_data, "99.01.01", lang="id"))
    layers = _geojson_layers(page)
    n_tps = int((toy_data.tps["kode_kec"] == "99.01.01").sum())
    tps_layers = [fc for fc in layers if fc["features"] and "tps_id" in fc["features"][0]["properties"]]
    assert len(tps_layers) == 1 and len(tps_layers[0]["features"]) == n_tps
    assert f"TPS ({n_tps})" in page
    for label in ("Batas kelurahan", "Jalan lingkungan", "Sungai dan saluran", "Satuan Polri", "Legenda",
                  "PERKIRAAN"):
        assert label in page


def test_text_from_data_is_escaped(toy_data):
    page = map_html(kecamatan_map(toy_data, "99.01.01", lang="id"))
    assert XSS not in page
    # escaped once by pamgeo (&lt;) and then by folium's JSON encoder (& -> \u0026)
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in page


def test_no_cdn_resources(toy_data):
    page = map_html(kecamatan_map(toy_data, "99.01.02", lang="en"))
    refs = re.findall(r"""(?:src|href)\s*=\s*["'](https?://[^"']+)""", page)
    assert refs == [] or all("leafletjs.com" in r for r in refs), refs  # Leaflet's own credit link only
    assert "<script src=" not in page and "<link rel=\"stylesheet\" href=\"http" not in page
    assert "L.map(" in page or "L.map (" in page
    assert "Polling stations" in page  # English labels


def test_unknown_kecamatan(toy_data):
    with pytest.raises(ValueError, match="not in region"):
        kecamatan_map(toy_data, "99.01.09")


def test_map_iframe_stores_the_document_compressed(toy_data):
    m = kecamatan_map(toy_data, "99.01.01", lang="en")
    frag = map_iframe(m, lang="en")
    [doc] = embedded_documents(frag)
    assert doc.startswith("<!DOCTYPE html>") and "L.map(" in doc and "Polling stations (TPS) (8)" in doc
    assert len(frag) < len(doc) / 2  # gzip + base64 of the map document
    assert "DecompressionStream" in frag and "This browser cannot open the map" in frag
    assert "L.map(" not in frag  # nothing of the map runs before it is inflated
    plain = map_iframe(m, compress=False)
    [doc_plain] = embedded_documents(plain)
    assert "srcdoc=" in plain and "L.map(" in doc_plain and "Polling stations (TPS) (8)" in doc_plain
