"""Risk classes, indicators, score and reasons."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from conftest import kel_center
from shapely.geometry import LineString, Point

from pamgeo.analysis.risk import class_counts, score_tps
from pamgeo.core.config import RiskParams
from pamgeo.core.vocabulary import normalise_class
from pamgeo.ingest.io import read_tps_table
from pamgeo.ingest.validate import validate_tps

CRS = "EPSG:32748"


@pytest.mark.parametrize("raw,expected", [
    ("aman", "kurang_rawan"), ("Rawan 1", "rawan"), ("RAWAN_2", "sangat_rawan"), ("rawan II", "sangat_rawan"),
    ("Kurang Rawan", "kurang_rawan"), ("sangat rawan", "sangat_rawan"), ("Khusus", "khusus"), ("", None),
])
def test_legacy_and_current_classes(raw, expected):
    assert normalise_class(raw) == expected


def test_unknown_class_is_an_error():
    with pytest.raises(ValueError, match="unknown TPS class"):
        normalise_class("merah")


def _tps(n: int = 3, official=("", "", "")) -> gpd.GeoDataFrame:
    # three TPS on a line at x = 0, 300, 3000 m; river along x = -50; police post at x = 0
    xs = [0, 300, 3000][:n]
    return gpd.GeoDataFrame({
        "tps_id": [f"9901011001{i + 1:03d}" for i in range(n)], "kode_kel": ["99.01.01.1001"] * n,
        "kode_kec": "99.01.01", "kecamatan": "Kec Satu", "kelurahan": "Alpha Jaya", "tps_no": range(1, n + 1),
        "is_khusus": [False] * n, "risk_class_official": list(official[:n]), "dpt": pd.array([pd.NA] * n, dtype="Int64"),
    }, geometry=[Point(700_000 + x, 9_300_000) for x in xs], crs=CRS)


def _layers():
    river = gpd.GeoDataFrame({"name": ["Kali Uji"]}, geometry=[LineString([(699_950, 9_290_000), (699_950, 9_310_000)])], crs=CRS)
    police = gpd.GeoDataFrame({"unit": ["Polsek Uji"]}, geometry=[Point(700_000, 9_300_000)], crs=CRS)
    flood = pd.DataFrame({"kode_kel": ["99.01.01.1001"], "lokasi": ["Perumahan Banjir"]})
    return river, police, flood


def test_indicators_score_and_reasons():
    river, police, flood = _layers()
    params = RiskParams(weights={"waterway": 0.5, "police_distance": 0.5, "flood_kelurahan": 0, "crowding": 0,
                                 "khusus": 0, "voters": 0},
                        waterway_m=(100, 400), police_km=(1.0, 2.0), thresholds={"rawan": 0.4, "sangat_rawan": 0.9})
    out = score_tps(_tps(), params, waterways=river, police_posts=police, flood_prone=flood, lang="id")
    assert list(out["dist_waterway_m"]) == [50.0, 350.0, 3050.0]
    assert list(out["dist_police_m"]) == [0.0, 300.0, 3000.0]
    # TPS 1: waterway 1.0, police 0 -> 0.5 ; TPS 2: waterway (400-350)/300 = 1/6, police 0 -> 0.083 ;
    # TPS 3: waterway 0, police 1 -> 0.5
    assert list(out["risk_score"]) == pytest.approx([0.5, 0.083, 0.5], abs=1e-3)
    assert list(out["risk_class"]) == ["rawan", "kurang_rawan", "rawan"]
    assert out["risk_reasons"].iloc[0] == "± 50 m dari Kali Uji"
    assert out["risk_reasons"].iloc[2] == "3,0 km dari satuan Polri terdekat (Polsek Uji)"
    en = score_tps(_tps(), params, waterways=river, police_posts=police, lang="en")
    assert en["risk_reasons"].iloc[2] == "3.0 km from the nearest police unit (Polsek Uji)"


def test_flood_kelurahan_and_khusus_reasons():
    river, police, flood = _layers()
    tps = _tps()
    tps.loc[1, "is_khusus"] = True
    out = score_tps(tps, RiskParams(), waterways=river, police_posts=police, flood_prone=flood)
    assert "kelurahan rawan banjir (BPBD): Perumahan Banjir" in out["risk_reasons"].iloc[0]
    assert out["risk_class"].iloc[1] == "khusus" and "TPS lokasi khusus" in out["risk_reasons"].iloc[1]
    assert out["flood_kelurahan"].all()


def test_official_class_wins_and_computed_stays():
    river, police, flood = _layers()
    out = score_tps(_tps(official=("rawan_2", "", "aman")), RiskParams(), waterways=river, police_posts=police,
                    class_date="2024-01-30", class_authority="Polres Uji")
    assert list(out["risk_class"])[0] == "sangat_rawan" and out["risk_class_source"].iloc[0] == "official"
    assert out["risk_class_date"].iloc[0] == "2024-01-30" and out["risk_class_authority"].iloc[0] == "Polres Uji"
    assert out["risk_class"].iloc[2] == "kurang_rawan" and out["risk_class_source"].iloc[2] == "official"
    assert out["risk_class_source"].iloc[1] == "computed" and out["risk_class_date"].iloc[1] == ""
    assert out["risk_class_computed"].iloc[0] in ("kurang_rawan", "rawan", "sangat_rawan")
    assert "kelas resmi 'sangat rawan' (Polres Uji)" in out["risk_reasons"].iloc[0]


def test_missing_layers_drop_their_weight():
    out = score_tps(_tps(), RiskParams(), waterways=None, police_posts=None, flood_prone=None)
    assert (out["risk_score"] == 0).all() and (out["risk_class"] == "kurang_rawan").all()


def test_class_counts():
    df = pd.DataFrame({"kecamatan": ["A", "A", "B"], "risk_class": ["rawan", "kurang_rawan", "khusus"]})
    t = class_counts(df, "kecamatan").set_index("kecamatan")
    assert t.loc["A", "rawan"] == 1 and t.loc["B", "khusus"] == 1 and t.loc["B", "sangat_rawan"] == 0


def test_list_with_official_classes_and_bawaslu_flags(tmp_path, toy_kelurahan):
    lat, lon = kel_center("99.01.01.1001")
    path = tmp_path / "tps.csv"
    path.write_text(
        "kelurahan,no_tps,lat,lon,kerawanan,tanggal_kerawanan,bawaslu_bencana,bawaslu_dpt_tms\n"
        f"9901011001,1,{lat},{lon},Rawan 2,2024-02-13,ya,0\n"
        f"9901011001,2,{lat + 0.002},{lon},aman,,,1\n"
        f"9901011001,3,{lat + 0.004},{lon},merah,,mungkin,\n"
    )
    tps, rep = validate_tps(read_tps_table(path), toy_kelurahan)
    rules = {(f.rule, f.row, f.column) for f in rep.errors}
    assert rules == {("unknown_risk_class", 4, "kerawanan"), ("bad_flag", 4, "bawaslu_bencana")}
    assert tps["bawaslu_bencana"].tolist() == [True, False]
    assert tps["bawaslu_dpt_tms"].tolist() == [False, True]
    scored = score_tps(tps, RiskParams())
    assert scored["risk_class"].tolist() == ["sangat_rawan", "kurang_rawan"]
    assert scored["risk_class_date"].tolist() == ["2024-02-13", ""]
    # the flags stay separate columns, never merged into the class
    assert "bawaslu_bencana" in scored.columns


def test_flood_exposure_replaces_river_and_kelurahan_indicators():
    river, police, flood_list = _layers()
    params = RiskParams(weights={"waterway": 0.3, "flood_kelurahan": 0.2, "police_distance": 0.5, "crowding": 0,
                                 "khusus": 0, "voters": 0}, police_km=(1.0, 2.0))
    flood = pd.DataFrame({"flood_class": ["tinggi", "rendah", "none"],
                          "flood_reasons": ["± 50 m dari Kali Uji", "kelurahan rawan banjir BPBD (X)", ""]})
    out = score_tps(_tps(), params, waterways=river, police_posts=police, flood_prone=flood_list, flood=flood)
    # flood weight 0.5 (0.3 + 0.2): tinggi 1 -> 0.5; rendah 1/3 -> 0.167; none + police 1 -> 0.5
    assert list(out["risk_score"]) == pytest.approx([0.5, 0.167, 0.5], abs=1e-3)
    assert out["risk_reasons"].iloc[0] == "banjir tinggi: ± 50 m dari Kali Uji"
