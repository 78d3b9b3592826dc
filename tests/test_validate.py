"""One test per validation rule, each checking the exact row and column reported."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from conftest import kel_center

from pamgeo.core.errors import InputError
from pamgeo.ingest.io import read_tps_table
from pamgeo.ingest.validate import validate_tps

A, B, C = "99.01.01.1001", "99.01.01.1002", "99.01.02.1001"


def _csv(tmp_path: Path, rows: list[str], header: str = "kecamatan,kelurahan,no_tps,alamat,latitude,longitude",
         name: str = "tps.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _row(kel: str, no: int, dlat: float = 0.0, dlon: float = 0.0, kec: str = "", alamat: str = "Jl. Uji") -> str:
    lat, lon = kel_center(kel)
    return f"{kec},{kel},{no},{alamat},{lat + dlat:.6f},{lon + dlon:.6f}"


def _validate(path: Path, kel: gpd.GeoDataFrame, **kw):
    return validate_tps(read_tps_table(path), kel, **kw)


def _only(report, rule: str):
    found = [f for f in report.findings if f.rule == rule]
    assert found, f"no {rule} in {report.format_text()}"
    return found


def test_clean_file_passes(tmp_path, toy_kelurahan):
    path = _csv(tmp_path, [_row(A, 1), _row(A, 2, 0.002), _row(B, 1)])
    tps, rep = _validate(path, toy_kelurahan)
    assert rep.ok and not rep.findings
    assert list(tps["tps_id"]) == ["9901011001001", "9901011001002", "9901011002001"]
    assert (tps["position_source"] == "file").all()
    assert tps.crs == toy_kelurahan.crs


def test_missing_column_named(tmp_path, toy_kelurahan):
    path = _csv(tmp_path, ["Kec Satu,Alpha Jaya,1,-6.295"], header="kecamatan,kelurahan,no_tps,latitude")
    tps, rep = _validate(path, toy_kelurahan)
    f = _only(rep, "missing_column")
    assert [x.column for x in f] == ["lon"]
    assert f[0].row is None and "lon" in f[0].message
    assert tps.empty


def test_kecamatan_required_only_for_names(tmp_path, toy_kelurahan):
    by_code = _csv(tmp_path, [_row(A, 1)[1:]], header="kelurahan,no_tps,alamat,lat,lon", name="a.csv")
    assert _validate(by_code, toy_kelurahan)[1].ok
    lat, lon = kel_center(A)
    by_name = _csv(tmp_path, [f"Alpha Jaya,1,{lat},{lon}"], header="kelurahan,no_tps,lat,lon", name="b.csv")
    rep = _validate(by_name, toy_kelurahan)[1]
    assert [f.column for f in _only(rep, "missing_column")] == ["kecamatan"]


def test_bad_coordinate(tmp_path, toy_kelurahan):
    path = _csv(tmp_path, [_row(A, 1), "Kec Satu,Alpha Jaya,2,x,-6.29a,106.705"])
    _, rep = _validate(path, toy_kelurahan)
    f = _only(rep, "bad_coordinate")
    assert (f[0].row, f[0].column, f[0].value) == (3, "latitude", "-6.29a")


def test_decimal_comma_is_read(tmp_path, toy_kelurahan):
    lat, lon = kel_center(A)
    path = tmp_path / "comma.csv"
    path.write_text(f'kelurahan;no_tps;lat;lon\n{A};1;"{str(lat).replace(".", ",")}";"{str(lon).replace(".", ",")}"\n')
    tps, rep = validate_tps(read_tps_table(path), toy_kelurahan)
    assert rep.ok and len(tps) == 1


def test_zero_coordinate(tmp_path, toy_kelurahan):
    path = _csv(tmp_path, [_row(A, 1), _row(A, 2), "Kec Satu,Alpha Jaya,3,x,0,0"])
    _, rep = _validate(path, toy_kelurahan)
    f = _only(rep, "zero_coordinate")
    assert [x.row for x in f] == [4]


def test_swapped_latlon(tmp_path, toy_kelurahan):
    lat, lon = kel_center(B)
    path = _csv(tmp_path, [_row(A, 1), f"Kec Satu,Rawa Beta,1,x,{lon},{lat}"])
    tps, rep = _validate(path, toy_kelurahan)
    f = _only(rep, "swapped_latlon")
    assert (f[0].row, f[0].column, f[0].severity) == (3, "latitude", "warning")  # certain: repaired
    assert f[0].new_value == f"{lat}, {lon}"
    assert rep.ok and list(tps["tps_id"]) == ["9901011001001", "9901011002001"]
    assert tps["position_source"].tolist() == ["file", "file_repaired"]
    assert tps.to_crs(4326).geometry.iloc[1].y == pytest.approx(lat)


def test_swapped_latlon_outside_the_region_is_not_repaired(tmp_path, toy_kelurahan):
    path = _csv(tmp_path, [_row(A, 1), "Kec Satu,Rawa Beta,1,x,106.95,-6.29"])  # swapped, and 25 km away
    tps, rep = _validate(path, toy_kelurahan)
    f = _only(rep, "swapped_latlon")
    assert f[0].severity == "error" and "outside the region" in f[0].message
    assert list(tps["tps_id"]) == ["9901011001001"]


def test_lost_decimal_point(tmp_path, toy_kelurahan):
    lat, lon = kel_center(A)
    path = _csv(tmp_path, [f"Kec Satu,Alpha Jaya,1,x,{lat},{lon}", f"Kec Satu,Alpha Jaya,2,x,-62950,{lon + 0.002}"])
    tps, rep = _validate(path, toy_kelurahan)
    f = _only(rep, "lost_decimal")
    assert (f[0].row, f[0].column, f[0].value, f[0].new_value) == (3, "latitude", "-62950", "-6.295")
    assert f[0].severity == "warning" and "-6.295" in f[0].message
    assert rep.ok and tps["position_source"].tolist() == ["file", "file_repaired"]


def test_lost_decimal_lon_repaired_both_directions(tmp_path, toy_kelurahan):
    lat, lon = kel_center(A)
    path = _csv(tmp_path, [f"Kec Satu,Alpha Jaya,1,x,{lat},1.06705",          # 1.06705 -> 106.705
                           f"Kec Satu,Alpha Jaya,2,x,-629310,{lon + 0.002}",   # -629310 -> -6.29310
                           "Kec Satu,Alpha Jaya,3,x,-6293,1067032"])          # both lost
    tps, rep = _validate(path, toy_kelurahan)
    f = _only(rep, "lost_decimal")
    assert [(x.row, x.column, x.value, x.new_value) for x in f] == [
        (2, "longitude", "1.06705", "106.705"), (3, "latitude", "-629310", "-6.2931"),
        (4, "latitude", "-6293", "-6.293"), (4, "longitude", "1067032", "106.7032")]
    assert all(x.severity == "warning" and "Alpha Jaya" in x.message for x in f)
    assert rep.ok and (tps["position_source"] == "file_repaired").all()
    pts = tps.to_crs("EPSG:4326").geometry
    assert abs(pts.x.iloc[0] - 106.705) < 1e-9 and abs(pts.y.iloc[1] + 6.2931) < 1e-9
    assert "(value: '1.06705' -> '106.705')" in rep.format_text()


def test_lost_decimal_outside_region_is_not_repaired(tmp_path, toy_kelurahan):
    lat, lon = kel_center(A)
    # -6.25 lies inside the padded search box but 4 km north of the region: a guess, not a repair
    path = _csv(tmp_path, [f"Kec Satu,Alpha Jaya,1,x,-625,{lon}"])
    tps, rep = _validate(path, toy_kelurahan)
    f = _only(rep, "lost_decimal")
    assert f[0].severity == "error" and "not repaired" in f[0].message
    assert tps.empty


def test_lost_decimal_outside_stated_kelurahan_repaired_within_region(tmp_path, toy_kelurahan):
    lat_b, lon_b = kel_center(B)
    path = _csv(tmp_path, [f"Kec Satu,Alpha Jaya,1,x,-6295,{lon_b}"])   # lands in Rawa Beta
    tps, rep = _validate(path, toy_kelurahan)
    f = _only(rep, "lost_decimal")
    assert f[0].severity == "warning" and "the region" in f[0].message
    assert _only(rep, "other_kelurahan")[0].row == 2
    assert tps["position_source"].tolist() == ["file_repaired"]


def test_empty_cells_are_reported_as_empty(tmp_path, toy_kelurahan):
    lat, lon = kel_center(A)
    path = _csv(tmp_path, [f"Kec Satu,Alpha Jaya,1,x,,{lon}", f"Kec Satu,Alpha Jaya,,x,{lat},{lon}",
                           f"Kec Satu,,3,x,{lat},{lon}", f"Kec Satu,Alpha Jaya,4,x,{lat}x,{lon}"])
    _, rep = _validate(path, toy_kelurahan)
    got = {(f.rule, f.row): f.message for f in rep.errors}
    assert got[("bad_coordinate", 2)] == "empty"
    assert got[("bad_tps_number", 3)] == "TPS number is empty"
    assert got[("unknown_kelurahan", 4)] == "kelurahan is empty"
    assert got[("bad_coordinate", 5)] == "not a number in decimal degrees"


def test_implausible_another_province(tmp_path, toy_kelurahan):
    # Surabaya: a real place in Indonesia, nowhere near the region
    path = _csv(tmp_path, [_row(A, 1), "Kec Satu,Alpha Jaya,2,x,-7.2575,112.7521"])
    _, rep = _validate(path, toy_kelurahan)
    f = _only(rep, "implausible_location")
    assert f[0].row == 3


def test_outside_region_with_tolerance(tmp_path, toy_kelurahan):
    lat, lon = kel_center(A)
    inside_tol = f"Kec Satu,Alpha Jaya,1,x,{lat},{106.70 - 0.002:.6f}"   # ~220 m west of the edge
    beyond = f"Kec Satu,Alpha Jaya,2,x,{lat},{106.70 - 0.02:.6f}"        # ~2.2 km west
    _, rep = _validate(_csv(tmp_path, [inside_tol, beyond]), toy_kelurahan, tolerance_m=500)
    f = _only(rep, "outside_region")
    assert [x.row for x in f] == [3]
    assert "2.2 km" in f[0].message


def test_other_kelurahan_is_a_warning(tmp_path, toy_kelurahan):
    lat_b, lon_b = kel_center(B)
    path = _csv(tmp_path, [f"Kec Satu,Alpha Jaya,1,x,{lat_b},{lon_b}"])
    tps, rep = _validate(path, toy_kelurahan)
    f = _only(rep, "other_kelurahan")
    assert f[0].severity == "warning" and f[0].row == 2 and "Rawa Beta" in f[0].message
    assert rep.ok and tps["kode_kel"].tolist() == [A]  # the stated kelurahan is kept


def test_duplicate_tps_id(tmp_path, toy_kelurahan):
    path = _csv(tmp_path, [_row(A, 1), _row(A, 2, 0.001), _row(A, 1, 0.002)])
    tps, rep = _validate(path, toy_kelurahan)
    f = _only(rep, "duplicate_tps_id")
    assert (f[0].row, f[0].column) == (4, "no_tps")
    assert "row 2" in f[0].message
    assert len(tps) == 2


def test_several_tps_on_one_pin_allowed(tmp_path, toy_kelurahan):
    path = _csv(tmp_path, [_row(A, 1), _row(A, 2), _row(A, 3, 0.002)])
    tps, rep = _validate(path, toy_kelurahan)
    f = _only(rep, "shared_pin")
    assert sorted(x.row for x in f) == [2, 3] and all(x.severity == "warning" for x in f)
    assert rep.ok and len(tps) == 3


def test_unknown_kelurahan(tmp_path, toy_kelurahan):
    path = _csv(tmp_path, [_row(A, 1), _row(A, 2).replace(A, "Atlantis", 1)])
    _, rep = _validate(path, toy_kelurahan)
    f = _only(rep, "unknown_kelurahan")
    assert (f[0].row, f[0].column, f[0].value) == (3, "kelurahan", "Atlantis")


def test_bad_tps_number(tmp_path, toy_kelurahan):
    path = _csv(tmp_path, [_row(A, 1), _row(A, 2).replace(",2,", ",dua,")])
    _, rep = _validate(path, toy_kelurahan)
    assert (_only(rep, "bad_tps_number")[0].row) == 3


@pytest.mark.parametrize("kel,kec", [
    ("ALPHA JAYA", "KEC SATU"), ("alphajaya", "kec satu"), ("01. Kel. Alpha-Jaya", "01 - Kec. Satu"),
    ("9901011001", ""), ("99.01.01.1001", "99.01.01"),
])
def test_kelurahan_names_in_any_spelling(tmp_path, toy_kelurahan, kel, kec):
    lat, lon = kel_center(A)
    path = _csv(tmp_path, [f'"{kec}","{kel}",TPS 001,x,{lat},{lon}'])
    tps, rep = _validate(path, toy_kelurahan)
    assert rep.ok, rep.format_text()
    assert tps["tps_id"].tolist() == ["9901011001001"]


def test_fuzzy_match_is_reported(tmp_path, toy_kelurahan):
    lat, lon = kel_center(B)
    path = _csv(tmp_path, [f"Kec Satu,Rawa Betta,1,x,{lat},{lon}"])
    tps, rep = _validate(path, toy_kelurahan)
    f = _only(rep, "fuzzy_kelurahan")
    assert f[0].severity == "warning" and "Rawa Beta" in f[0].message
    assert tps["kode_kel"].tolist() == [B]


def test_kecamatan_mismatch_warns(tmp_path, toy_kelurahan):
    lat, lon = kel_center(A)
    path = _csv(tmp_path, [f"Kec Dua,{A},1,x,{lat},{lon}"])
    _, rep = _validate(path, toy_kelurahan)
    assert _only(rep, "kecamatan_mismatch")[0].row == 2


def test_lokasi_khusus_numbers(tmp_path, toy_kelurahan):
    path = _csv(tmp_path, [_row(C, 901, kec="Kec Dua")])
    tps, rep = _validate(path, toy_kelurahan)
    assert rep.ok and tps["is_khusus"].tolist() == [True] and tps["tps_id"].iloc[0].endswith("901")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_tps_table(path)


def test_header_only_file(tmp_path):
    path = _csv(tmp_path, [])
    with pytest.raises(InputError, match="no TPS rows"):
        read_tps_table(path)


def test_non_utf8_names_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("kelurahan,no_tps,lat,lon\nAlpha Jaya,1,-6.29,106.70\nKec Caf\xe9,2,-6.29,106.70\n".encode("latin-1"))
    assert read_tps_table(path).frame["kelurahan"].tolist()[1] == "Kec Café"   # detected
    with pytest.raises(InputError) as exc:
        read_tps_table(path, encoding="utf-8")                                    # told wrong
    msg = str(exc.value)
    assert "line 3" in msg and "UTF-8" in msg and str(path) in msg
    table = read_tps_table(path, encoding="latin-1")
    assert table.frame["kelurahan"].tolist()[1] == "Kec Café"


def test_xlsx_with_title_rows(tmp_path, toy_kelurahan):
    lat, lon = kel_center(A)
    path = tmp_path / "kpu.xlsx"
    rows = [["DAFTAR TPS PEMILU 2024", None, None, None, None],
            [None, None, None, None, None],
            ["Kecamatan", "Desa/Kelurahan", "Nomor TPS", "Lintang", "Bujur"],
            ["Kec Satu", "Alpha Jaya", "001", lat, lon],
            ["Kec Satu", "Alpha Jaya", "002", lon, lat]]
    pd.DataFrame(rows).to_excel(path, header=False, index=False)
    tps, rep = validate_tps(read_tps_table(path), toy_kelurahan)
    assert len(tps) == 2  # the swapped row repaired
    f = _only(rep, "swapped_latlon")
    assert (f[0].row, f[0].column) == (5, "Lintang")  # the spreadsheet row a user sees


def test_geojson_features(tmp_path, toy_kelurahan):
    lat, lon = kel_center(A)
    gdf = gpd.GeoDataFrame({"kelurahan": [A, A], "no_tps": ["1", "1"]},
                           geometry=gpd.points_from_xy([lon, lon + 0.001], [lat, lat]), crs="EPSG:4326")
    path = tmp_path / "tps.geojson"
    gdf.to_file(path)
    tps, rep = validate_tps(read_tps_table(path), toy_kelurahan)
    f = _only(rep, "duplicate_tps_id")
    assert f[0].row == 2 and rep.row_label == "feature"
    assert "feature 2" in rep.format_text()


def test_report_text_names_row_column_and_fix(tmp_path, toy_kelurahan):
    lat, lon = kel_center(A)
    path = _csv(tmp_path, [f"Kec Satu,Alpha Jaya,1,x,{lon},{lat}"])
    _, rep = _validate(path, toy_kelurahan)
    text = rep.format_text()
    assert "row 2, column 'latitude'" in text and "swapped" in text and "Fix:" in text


def test_cli_validate_writes_the_full_report(tmp_path, toy_config_path):
    import os
    import subprocess
    import sys

    lat, lon = kel_center(A)
    path = tmp_path / "tps.json"
    recs = [{"kelurahan": A, "no_tps": f"TPS {i:03d}", "lat": lat, "lon": lon + 0.002 * i} for i in range(1, 4)]
    recs += [{"kelurahan": A, "no_tps": "TPS 004", "lat": lat, "lon": 1.06705},   # repaired
             {"kelurahan": A, "no_tps": "TPS 001", "lat": lat + 0.002, "lon": lon},  # duplicate
             {"kelurahan": A, "no_tps": "dua", "lat": lat + 0.003, "lon": lon}]
    path.write_text(__import__("json").dumps({"data": recs}))
    out = tmp_path / "out" / "findings.csv"
    res = subprocess.run([sys.executable, "-m", "pamgeo.cli", "validate", str(path), "--region", str(toy_config_path),
                          "--limit", "1", "--report", str(out)], capture_output=True, text=True,
                         env={**os.environ, "COLUMNS": "200"}, timeout=300)
    assert res.returncode == 1, res.stdout + res.stderr
    lines = res.stdout.strip().splitlines()
    assert lines[-1] == f"full report (3 findings): {out}"
    assert f"2 more (see {out})" in res.stdout
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert {"row", "column", "value", "severity", "message", "fix"} <= set(table.columns)
    assert sorted(zip(table["rule"], table["row"], table["severity"], strict=True)) == [
        ("bad_tps_number", "6", "error"), ("duplicate_tps_id", "5", "error"), ("lost_decimal", "4", "warning")]
    assert table.loc[table["rule"] == "lost_decimal", "new_value"].tolist() == ["106.705"]
