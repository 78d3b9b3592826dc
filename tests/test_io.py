"""TPS lists as KPU/KPUD hand them over: JSON, GeoJSON, Sirekap ids and labels, any encoding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import kel_center, make_toy_region

from pamgeo.core.errors import InputError
from pamgeo.ingest.io import detect_encoding, read_tps_table
from pamgeo.ingest.validate import validate_tps

A, B, C = "99.01.01.1001", "99.01.01.1002", "99.01.02.1001"


def _records(n: int = 5) -> list[dict]:
    """n TPS in Alpha Jaya, 200 m apart, as a KPU JSON export spells them."""
    lat, lon = kel_center(A)
    return [{"kecamatan": "Kec Satu", "kelurahan": "Alpha Jaya", "nomor_tps": f"TPS {i:03d}",
             "latitude": round(lat - 0.004 + 0.002 * (i - 1), 6), "longitude": lon, "dpt": 250}
            for i in range(1, n + 1)]


def _write_json(tmp_path: Path, data: object, name: str = "tps.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_json_top_level_array(tmp_path, toy_kelurahan):
    table = read_tps_table(_write_json(tmp_path, _records()))
    assert len(table.frame) == 5 and table.row_label == "record"
    assert table.columns_found["tps_no"] == "nomor_tps"
    tps, rep = validate_tps(table, toy_kelurahan)
    assert rep.ok, rep.format_text()
    assert tps["tps_no"].tolist() == [1, 2, 3, 4, 5]
    assert tps["dpt"].tolist() == [250] * 5


def test_json_data_wrapper_yields_every_record(tmp_path, toy_kelurahan):
    wrapped = {"status": "ok", "meta": {"source": "KPU", "total": 5}, "data": _records()}
    table = read_tps_table(_write_json(tmp_path, wrapped))
    assert len(table.frame) == 5
    tps, rep = validate_tps(table, toy_kelurahan)
    assert rep.ok and len(tps) == 5


def test_json_nested_wrapper(tmp_path):
    table = read_tps_table(_write_json(tmp_path, {"result": {"page": 1, "items": _records(3)}}))
    assert len(table.frame) == 3


def test_json_with_two_lists_names_both_keys(tmp_path):
    path = _write_json(tmp_path, {"data": _records(2), "old": _records(3)})
    with pytest.raises(InputError, match=r"'data' \(2\), 'old' \(3\)"):
        read_tps_table(path)


def test_json_without_records(tmp_path):
    with pytest.raises(InputError, match="no list of TPS records"):
        read_tps_table(_write_json(tmp_path, {"total": 5}))


def test_json_syntax_error_has_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[{"kelurahan": "Alpha Jaya",\n "no_tps": }]')
    with pytest.raises(InputError, match="line 2"):
        read_tps_table(path)


def test_json_null_coordinate_is_reported_empty(tmp_path, toy_kelurahan):
    recs = _records(2)
    recs[1]["latitude"] = None
    tps, rep = validate_tps(read_tps_table(_write_json(tmp_path, recs)), toy_kelurahan)
    f = [x for x in rep.errors if x.rule == "bad_coordinate"]
    assert [(x.row, x.column, x.message) for x in f] == [(2, "latitude", "empty")]
    assert "record 2" in rep.format_text() and len(tps) == 1


def test_geojson_feature_collection(tmp_path, toy_kelurahan):
    lat, lon = kel_center(B)
    feats = [{"type": "Feature", "properties": {"KECAMATAN": "Kec Satu", "DESA": "RAWA BETA", "NO_TPS": f"00{i}"},
              "geometry": {"type": "Point", "coordinates": [lon + 0.002 * i, lat]}} for i in (1, 2)]
    feats.append({"type": "Feature", "properties": {"KECAMATAN": "Kec Satu", "DESA": "RAWA BETA", "NO_TPS": "003"},
                  "geometry": None})
    path = _write_json(tmp_path, {"type": "FeatureCollection", "features": feats}, "tps.geojson")
    table = read_tps_table(path)
    assert table.row_label == "feature" and table.frame["lon"].iloc[2] == ""
    tps, rep = validate_tps(table, toy_kelurahan)
    assert tps["tps_id"].tolist() == ["9901011002001", "9901011002002"]
    f = [x for x in rep.errors if x.rule == "bad_coordinate"]
    assert [(x.row, x.message) for x in f] == [(3, "empty")]


def test_geojson_in_json_suffix(tmp_path):
    lat, lon = kel_center(A)
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"tps_id": "9901011001004"}, "geometry": {"type": "Point", "coordinates": [lon, lat]}}]}
    table = read_tps_table(_write_json(tmp_path, fc, "tps.json"))
    assert table.frame[["lat", "lon"]].iloc[0].tolist() == [str(lat), str(lon)]


@pytest.mark.parametrize("label,number", [
    ("9901011001-TPS 007", 7), ("TPS 001", 1), ("001", 1), ("9901011001007", 7), ("TPS 901", 901), ("7", 7),
])
def test_tps_labels_give_the_number(tmp_path, toy_kelurahan, label, number):
    lat, lon = kel_center(A)
    path = tmp_path / "tps.csv"
    path.write_text(f"kelurahan,no_tps,lat,lon\n{A},{label},{lat},{lon}\n")
    tps, rep = validate_tps(read_tps_table(path), toy_kelurahan)
    assert rep.ok, rep.format_text()
    assert tps["tps_no"].tolist() == [number]
    assert tps["tps_id"].tolist() == [f"9901011001{number:03d}"]


def test_sirekap_ids_alone_give_kelurahan_and_number(tmp_path, toy_kelurahan):
    lat, lon = kel_center(B)
    path = tmp_path / "sirekap.csv"
    path.write_text(f"id_tps,lat,lon\n9901011002003,{lat},{lon}\n9901011002-TPS 004,{lat + 0.002},{lon}\n"
                    f"9901011002003,{lat + 0.004},{lon}\n")
    tps, rep = validate_tps(read_tps_table(path), toy_kelurahan)
    assert tps["tps_id"].tolist() == ["9901011002003", "9901011002004"]
    assert tps["kelurahan"].tolist() == ["Rawa Beta"] * 2
    dup = [f for f in rep.errors if f.rule == "duplicate_tps_id"]
    assert [(f.row, f.column) for f in dup] == [(4, "id_tps")]  # the column a user sees


def test_kpu_labels_fill_the_kelurahan(tmp_path, toy_kelurahan):
    lat, lon = kel_center(C)
    path = tmp_path / "kpu.csv"
    path.write_text(f"nama_tps,lat,lon\n9901021001-TPS 002,{lat},{lon}\n")
    tps, rep = validate_tps(read_tps_table(path), toy_kelurahan)
    assert rep.ok, rep.format_text()
    assert tps["tps_id"].tolist() == ["9901021001002"]


def test_names_with_internal_numeric_prefix(tmp_path, toy_kelurahan):
    lat, lon = kel_center(B)
    path = tmp_path / "tps.csv"
    path.write_text(f"kecamatan,kelurahan,no_tps,lat,lon\n4625-KEC SATU,1002-RAWA BETA,1,{lat},{lon}\n")
    tps, rep = validate_tps(read_tps_table(path), toy_kelurahan)
    assert rep.ok and not rep.findings, rep.format_text()
    assert tps["kode_kel"].tolist() == [B]


def test_latin1_csv_is_detected(tmp_path):
    path = tmp_path / "latin1.csv"
    text = ("kecamatan,kelurahan,no_tps,alamat,lat,lon\n"
            "Pondok Aren,Pondok Aren,1,Jl. Caf\xe9 Raya,-6.27,106.70\n"
            "Pondok Aren,Pondok Kacang Timur,2,Gedung S\xe9nior,-6.27,106.70\n")
    path.write_bytes(text.encode("latin-1"))
    table = read_tps_table(path)
    assert table.encoding in ("cp1252", "latin_1")
    assert table.frame["alamat"].tolist() == ["Jl. Café Raya", "Gedung Sénior"]
    assert table.frame["kelurahan"].tolist() == ["Pondok Aren", "Pondok Kacang Timur"]


def test_cp1252_quotes_are_detected(tmp_path):
    path = tmp_path / "cp1252.csv"
    path.write_bytes("kelurahan,no_tps,alamat,lat,lon\nAlpha Jaya,1,\u2018Masjid\u2019 Al-Ikhlas,-6.29,106.70\n"
                     .encode("cp1252"))
    table = read_tps_table(path)
    assert table.encoding == "cp1252"
    assert table.frame["alamat"].iloc[0] == "\u2018Masjid\u2019 Al-Ikhlas"


def test_utf8_bom_header_matches(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffkelurahan,no_tps,lat,lon\nRawa Bét,1,-6.29,106.70\n".encode())
    table = read_tps_table(path)
    assert table.encoding == "utf-8-sig" and table.columns_found["kelurahan"] == "kelurahan"
    assert table.frame["kelurahan"].iloc[0] == "Rawa Bét"


def test_detect_encoding():
    assert detect_encoding("Café".encode()) == "utf-8"
    assert detect_encoding("a,b\nCaf\xe9,1\n".encode("latin-1")) in ("cp1252", "latin_1")


def test_wrong_explicit_encoding_names_line_and_detected_one(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("kelurahan,no_tps,lat,lon\nAlpha Jaya,1,-6.29,106.70\nKec Caf\xe9,2,-6.29,106.70\n".encode("latin-1"))
    with pytest.raises(InputError) as exc:
        read_tps_table(path, encoding="utf-8")
    msg = str(exc.value)
    assert "line 3" in msg and "it looks like" in msg and str(path) in msg


def test_columns_mapping_to_an_absent_column(tmp_path, toy_kelurahan):
    lat, lon = kel_center(A)
    path = tmp_path / "tps.csv"
    path.write_text(f"KODE_DESA,NO,LINTANG,BUJUR\n{A},1,{lat},{lon}\n")
    table = read_tps_table(path, columns={"kelurahan": "KODE_KEL"})
    tps, rep = validate_tps(table, toy_kelurahan)
    f = [x for x in rep.errors if x.rule == "missing_column"]
    assert len(f) == 1 and f[0].column == "KODE_KEL"
    assert "'kelurahan' to 'KODE_KEL'" in f[0].message
    assert "['KODE_DESA', 'NO', 'LINTANG', 'BUJUR']" in f[0].message
    assert "sources.tps.columns.kelurahan" in f[0].fix
    assert tps.empty


def test_data_build_reads_a_json_list(tmp_path):
    from pamgeo.core.config import load_config
    from pamgeo.ingest.region import build_region

    folder = tmp_path / "lst"
    folder.mkdir()
    _write_json(folder, {"data": _records()})
    cfg = load_config(make_toy_region(folder, extra={"sources.tps": {"format": "list", "path": "tps.json"}}))
    data = build_region(cfg)
    assert len(data.tps) == 5 and (data.tps["position_source"] == "file").all()


@pytest.mark.bundle
def test_kpu_json_for_real_boundaries(tmp_path, bundle):
    """A KPUD-style JSON for Pondok Aren: numeric-prefixed names, KPU labels, one lost decimal point."""
    from pamgeo.core.config import load_config
    from pamgeo.ingest.io import WGS84, read_kelurahan

    kel = read_kelurahan(load_config("tangsel"))
    inside = kel.set_index("kode_kel").geometry.to_crs(WGS84)
    recs = []
    for i, (code, name) in enumerate([("36.74.03.1005", "4625-PONDOK AREN"),
                                      ("36.74.03.1007", "4627-PONDOK KACANG TIMUR"),
                                      ("36.74.03.1010", "4630-JURANG MANGU BARAT")], start=1):
        p = inside[code].representative_point()
        recs.append({"kecamatan": "4625-PONDOK AREN", "kelurahan": name,
                     "tps": f"{code.replace('.', '')}-TPS {i:03d}", "lat": round(p.y, 6), "lng": round(p.x, 6)})
    recs[2]["lng"] = str(round(recs[2]["lng"] * 1_000_000))  # the decimal point lost: 106712345
    path = _write_json(tmp_path, {"success": True, "data": recs})
    tps, rep = validate_tps(read_tps_table(path), kel)
    assert rep.ok, rep.format_text()
    assert tps["tps_id"].tolist() == ["3674031005001", "3674031007002", "3674031010003"]
    assert tps["position_source"].tolist() == ["file", "file", "file_repaired"]
    f = [x for x in rep.findings if x.rule == "lost_decimal"]
    assert [(x.row, x.column, x.severity) for x in f] == [(3, "lng", "warning")]
    assert "Jurangmangu Barat" in f[0].message
