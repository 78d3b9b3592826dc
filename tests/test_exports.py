"""The files for Excel and QGIS: tps.csv with its documented dtypes, formatted workbooks, and a
GeoPackage whose layers carry QGIS styles."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET

import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

from pamgeo.analysis.pipeline import analyse
from pamgeo.ingest.region import build_region
from pamgeo.render.exports import TPS_COLUMNS, tps_dtypes
from pamgeo.run.tables import write_tables


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import make_toy_region

    from pamgeo.core.config import load_config

    folder = tmp_path_factory.mktemp("exports")
    data = build_region(load_config(make_toy_region(folder / "toy")))
    analysis = analyse(data)
    out = folder / "out"
    out.mkdir()
    write_tables(data, analysis, out, "id")
    semi = folder / "semi"
    semi.mkdir()
    write_tables(data, analysis, semi, "en", csv_sep=";")
    return data, analysis, out, semi


def test_tps_csv_reads_back_with_the_documented_dtypes(written):
    data, analysis, out, _ = written
    raw = (out / "tps.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads the names right
    tps = pd.read_csv(out / "tps.csv", dtype=tps_dtypes(), encoding="utf-8-sig")
    assert list(tps.columns)[: len(TPS_COLUMNS)] == [c.name for c in TPS_COLUMNS]
    assert len(tps) == len(data.tps) and tps["tps_id"].is_unique
    assert set(tps["risk_class"]) <= {"kurang_rawan", "rawan", "sangat_rawan", "khusus"}
    assert str(tps["tps_no"].dtype) == "Int64" and str(tps["is_khusus"].dtype) == "boolean"
    assert tps["lat"].notna().all() and tps["lon"].notna().all()
    assert tps["lat"].between(-11, 6).all() and tps["lon"].between(95, 141).all()
    assert tps["response_min"].dtype == "float64"


def test_semicolon_option(written):
    _, _, _, semi = written
    head = (semi / "tps.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert head.startswith("tps_id;kode_kel;")
    assert len(pd.read_csv(semi / "tps.csv", sep=";", dtype=tps_dtypes(), encoding="utf-8-sig").columns) >= len(TPS_COLUMNS)


def test_workbooks_have_frozen_headers_filters_widths_and_the_report_language(written):
    data, _, out, semi = written
    wb = load_workbook(out / "tps.xlsx")
    ws = wb["TPS"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == ws.dimensions
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["ID TPS (Sirekap)", "Kode kelurahan", "Kelurahan"] and "Kelas kerawanan" in headers
    cls = headers.index("Kelas kerawanan") + 1
    assert {ws.cell(r, cls).value for r in range(2, ws.max_row + 1)} <= {"kurang rawan", "rawan", "sangat rawan", "khusus"}
    assert ws.max_row == len(data.tps) + 1
    assert ws.column_dimensions["A"].width >= len("3674031007010")
    assert "Kolom" in wb.sheetnames
    plotting = load_workbook(out / "plotting.xlsx")
    assert plotting.sheetnames[:2] == ["kelurahan", "kecamatan"] and "kekuatan" in plotting.sheetnames
    kel = plotting["kelurahan"]
    assert kel.freeze_panes == "A2" and kel.auto_filter.ref
    assert "Polri sangat rawan" in [c.value for c in kel[1]]
    en = load_workbook(semi / "plotting.xlsx")
    assert "strength" in en.sheetnames and "Polri highly vulnerable" in [c.value for c in en["kelurahan"][1]]


def test_geopackage_has_every_layer_with_a_qgis_style(written):
    data, analysis, out, _ = written
    path = out / "pamgeo_toy.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(path)}
    expected = {"kelurahan", "kecamatan", "tps", "rayon_administrative", "rayon_voronoi", "rayon_travel_time",
                "isochrones_travel_time", "staging_points", "police_units"}
    assert expected <= layers
    assert ("reserve_routes" in layers) == (analysis.routes is not None and not analysis.routes.empty)
    assert ("pockets" in layers) == (not analysis.pockets.polygons.empty)
    tps = pyogrio.read_dataframe(path, layer="tps")
    assert len(tps) == len(data.tps) and tps.crs.to_epsg() == 4326
    with sqlite3.connect(path) as db:
        styles = dict(db.execute("SELECT f_table_name, styleQML FROM layer_styles WHERE useAsDefault"))
    assert set(styles) == layers - {"layer_styles"}
    root = ET.fromstring(styles["tps"].split("\n", 1)[1])
    renderer = root.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "risk_class"
    values = [c.get("value") for c in renderer.iter("category")]
    assert values == ["kurang_rawan", "rawan", "sangat_rawan", "khusus"]
