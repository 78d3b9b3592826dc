"""Tangsel and Depok built from the real public bundle."""

from __future__ import annotations

import pytest

from pamgeo.core.config import load_config
from pamgeo.ingest.region import build_region, load_region, write_region

KPU_TANGSEL = {"Pamulang": 900, "Pondok Aren": 805, "Ciputat": 621, "Ciputat Timur": 456,
               "Serpong": 434, "Serpong Utara": 370, "Setu": 238}

pytestmark = pytest.mark.bundle


def test_tangsel_counts(tangsel):
    assert len(tangsel.kelurahan) == 54
    assert len(tangsel.kecamatan) == 7
    assert len(tangsel.tps) == 3824
    assert tangsel.tps.groupby("kecamatan").size().to_dict() == KPU_TANGSEL
    assert tangsel.kecamatan.set_index("kode_kec")["kecamatan"].to_dict()["36.74.03"] == "Pondok Aren"


def test_tangsel_tps_ids_and_khusus(tangsel):
    tps = tangsel.tps
    assert tps["tps_id"].is_unique and (tps["tps_id"].str.len() == 13).all()
    assert (tps["tps_id"].str[:10] == tps["kode_kel"].str.replace(".", "", regex=False)).all()
    khusus = tps[tps["is_khusus"]]
    assert sorted(khusus["kelurahan"]) == ["Babakan", "Kedaung", "Pamulang Timur"]
    assert (khusus["tps_no"] == 901).all()
    assert int((~tps["is_khusus"]).sum()) == 3821


def test_tangsel_positions_estimated_inside_kelurahan(tangsel):
    tps = tangsel.tps
    assert (tps["position_source"] == "estimated").all()
    assert tangsel.validation.ok and not tangsel.validation.findings
    kel = tangsel.kelurahan.set_index("kode_kel").geometry
    inside = [kel[k].contains(p) for k, p in zip(tps["kode_kel"], tps.geometry, strict=True)]
    assert all(inside)
    # along residential streets: most TPS lie within 25 m of a road centreline
    roads = tangsel.roads.geometry.union_all()
    near = tps.geometry.distance(roads) <= 25
    assert near.mean() > 0.98


def test_tangsel_police_posts_approximate(tangsel):
    posts = tangsel.police_posts
    assert "Polres Tangerang Selatan" in set(posts["unit"])
    assert (posts["position_source"] == "approximate").all()
    kel = tangsel.kelurahan.set_index("kode_kel").geometry
    assert all(kel[k].contains(p) for k, p in zip(posts["kode_kel"], posts.geometry, strict=True))


def test_tangsel_round_trip(tangsel, tmp_path):
    write_region(tangsel, tmp_path)
    back = load_region(tangsel.config, tmp_path)
    assert len(back.tps) == 3824 and back.tps.crs == tangsel.tps.crs
    assert back.tps["tps_id"].tolist() == tangsel.tps["tps_id"].tolist()
    assert (tmp_path / "tangsel" / "tps_validation.csv").exists()


def test_depok_builds(bundle):
    data = build_region(load_config("depok"))
    assert len(data.kelurahan) == 63 and len(data.kecamatan) == 11
    assert len(data.tps) == 5570
    assert data.tps["position_method"].str.startswith("uniform").all()
    assert data.validation.ok


def test_tangsel_risk_and_pockets_plausible(tangsel):
    from pamgeo.analysis.pipeline import analyse

    a = analyse(tangsel)
    tps = a.tps
    share = tps["risk_class"].value_counts(normalize=True)
    # Polres Tangsel 2024: 30 rawan of 5,644 TPS; a computed class should stay at a few percent
    assert 0.002 < share.get("rawan", 0) < 0.05
    assert share.get("sangat_rawan", 0) < 0.01
    assert (tps.loc[tps["is_khusus"], "risk_class"] == "khusus").all()
    rawan = tps[tps["risk_class"].isin(["rawan", "sangat_rawan"])]
    assert (rawan["risk_reasons"].str.len() > 10).all()
    assert rawan["risk_reasons"].str.contains(r"\d").all()  # reasons carry numbers
    assert len(a.pockets.table) >= 3
    in_pockets = tps["pocket_id"].notna()
    assert tps.loc[in_pockets, "risk_score"].min() >= tangsel.config.cluster.min_score
    assert a.pockets.table["n_tps"].sum() == in_pockets.sum()


def test_tangsel_rayons_and_personnel(tangsel):
    from pamgeo.analysis.pipeline import analyse

    a = analyse(tangsel)
    tps = a.tps
    assert tps["rayon"].notna().all() and tps["polsek"].notna().all()
    assert set(a.catchments) == {"administrative", "voronoi", "travel_time"}
    # 3,821 regular TPS at 2 Polri per 8 plus rawan at 2 per 2: about a thousand Polri,
    # the order of the 981 Polri fielded for Pemilu 2024 (docs/domain.md)
    polri_tps = int(a.strength.set_index("item").loc["polri_tps", "needed"])
    assert 950 <= polri_tps <= 1300
    assert tps["reachable"].mean() > 0.99
    assert tps.loc[tps["reachable"], "response_min"].median() < 30
    assert a.graph.n_nodes > 10_000
