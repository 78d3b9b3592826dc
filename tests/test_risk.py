"""Risk classes, indicators, score and reasons."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import kel_center
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Point

from pamgeo.analysis.risk import class_counts, crowding, score_tps
from pamgeo.core.config import RiskParams
from pamgeo.core.i18n import distance, distance_many, join_parts, number, number_many, tf, tf_many
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


def test_reasons_strongest_first_equal_weights_in_indicator_order():
    river, police, flood = _layers()
    tps = _tps(official=("", "rawan", ""))
    tps["dpt"] = pd.array([300, 1250, pd.NA], dtype="Int64")
    tps.loc[0, "is_khusus"] = True
    params = RiskParams(weights={"waterway": 0.2, "flood_kelurahan": 0.2, "police_distance": 0.2, "crowding": 0,
                                 "khusus": 0.2, "voters": 0.2}, police_km=(1.0, 2.0), voters=(250, 300))
    out = score_tps(tps, params, waterways=river, police_posts=police, flood_prone=flood, class_authority="")
    # TPS 1: waterway, kelurahan, khusus and voters all weigh 0.2 x 1: in that order
    assert out["risk_reasons"].iloc[0] == ("± 50 m dari Kali Uji; kelurahan rawan banjir (BPBD): Perumahan Banjir; "
                                           "TPS lokasi khusus; 300 pemilih (DPT)")
    # TPS 2: the official class first; voters (0.2) before the river (0.2 x 1/6)
    assert out["risk_reasons"].iloc[1] == ("kelas resmi 'rawan' (daftar); "
                                           "kelurahan rawan banjir (BPBD): Perumahan Banjir; "
                                           "1.250 pemilih (DPT); ± 350 m dari Kali Uji")
    assert out["risk_reasons"].iloc[2] == ("kelurahan rawan banjir (BPBD): Perumahan Banjir; "
                                           "3,0 km dari satuan Polri terdekat (Polsek Uji)")


def test_crowding_counts_the_others_within_the_radius():
    rng = np.random.default_rng(2)
    xy = np.r_[rng.uniform(0, 2000, (500, 2)), [[0, 0], [0, 0], [200, 0], [0, 200.0]]] + [700_000, 9_300_000]
    pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)
    want = cKDTree(xy).query_ball_point(xy, 200.0, return_length=True) - 1
    assert np.array_equal(crowding(pts, 200.0), want)
    assert crowding(pts, 200.0)[-4] >= 3  # the same place twice, and two exactly 200 m away
    assert len(crowding(pts.iloc[:0], 200.0)) == 0


@pytest.mark.parametrize("lang", ["id", "en"])
def test_many_texts_at_once_equal_one_by_one(lang):
    rng = np.random.default_rng(5)
    metres = np.r_[rng.uniform(0, 30_000, 2000), np.arange(990, 1010, 0.5), [0, 4.999, 5, 15, 25, 995, 1049.99, 1050,
                                                                            1250, 1350, 2250, 12_345.6, np.inf, np.nan]]
    assert list(distance_many(metres, lang)) == [distance(m, lang) for m in metres]
    counts = rng.integers(0, 5000, 300)
    assert list(number_many(counts, lang)) == [number(int(c), lang) for c in counts]
    names = np.array(["Kali Uji", "", "Sungai {x}"] * 100, dtype=object)
    dist = distance_many(metres[:300], lang)
    assert list(tf_many("r_from", lang, dist=dist, what=names)) == [
        tf("r_from", lang, dist=d, what=w) for d, w in zip(dist, names, strict=True)]
    dates = np.array(["2017-02-21", 20170222, 3.5, None], dtype=object)
    assert list(tf_many("r_flood_report", lang, date=dates, depth="", dist="± 10 m")) == [
        tf("r_flood_report", lang, date=d, depth="", dist="± 10 m") for d in dates]
    assert list(join_parts(4, np.array([3, 1, 3, 3]), np.array(["a", "b", "c", "d"], dtype=object))) == [
        "", "b", "", "a; c; d"]
