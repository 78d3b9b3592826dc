"""The TPS estimator: numbering, positions inside their kelurahan, along streets, seeded."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from conftest import make_toy_region

from pamgeo.ingest import io as pio
from pamgeo.ingest.estimate import place_tps, tps_from_counts


@pytest.fixture
def toy_rows(toy_cfg, toy_kelurahan):
    return tps_from_counts(pio.read_tps_counts(toy_cfg), toy_kelurahan)


def test_numbering_includes_lokasi_khusus(toy_rows):
    gamma = toy_rows[toy_rows["kode_kel"] == "99.01.02.1001"]
    assert gamma["tps_no"].tolist() == [1, 2, 3, 4, 901]
    assert gamma["is_khusus"].tolist() == [False] * 4 + [True]
    assert len(toy_rows) == 5 + 3 + 5 + 2
    assert toy_rows["tps_id"].is_unique
    assert (toy_rows["tps_id"].str.len() == 13).all()


def test_streets_inside_kelurahan_near_roads_and_spaced(toy_cfg, toy_kelurahan, toy_rows):
    roads = pio.read_roads(toy_cfg)
    tps = place_tps(toy_rows, toy_kelurahan, roads, method="streets", seed=3, min_spacing_m=40,
                    offset_m=(6, 20))
    kel = toy_kelurahan.set_index("kode_kel").geometry
    assert all(kel[k].contains(p) for k, p in zip(tps["kode_kel"], tps.geometry, strict=True))
    residential = roads[roads["road_class"] == "residential"].geometry.union_all()
    d = shapely.distance(residential, tps.geometry.to_numpy())
    assert d.max() <= 20.0 + 1e-6  # beside a street, never in a back yard
    for _, grp in tps.groupby("kode_kel"):
        xy = np.column_stack([grp.geometry.x, grp.geometry.y])
        dist = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) + np.eye(len(xy)) * 1e9
        assert dist.min() >= 40.0
    assert (tps["position_source"] == "estimated").all()
    assert tps["position_method"].str.startswith("streets").all()


def test_same_seed_same_positions(toy_cfg, toy_kelurahan, toy_rows):
    roads = pio.read_roads(toy_cfg)
    a = place_tps(toy_rows, toy_kelurahan, roads, seed=1)
    b = place_tps(toy_rows, toy_kelurahan, roads, seed=1)
    c = place_tps(toy_rows, toy_kelurahan, roads, seed=2)
    assert a.geometry.equals(b.geometry)
    assert not a.geometry.equals(c.geometry)


def test_uniform_method(tmp_path):
    from pamgeo.core.config import load_config

    cfg = load_config(make_toy_region(tmp_path, placement="uniform"))
    kel = pio.read_kelurahan(cfg)
    tps = place_tps(tps_from_counts(pio.read_tps_counts(cfg), kel), kel, None, method="uniform", seed=5)
    k = kel.set_index("kode_kel").geometry
    assert all(k[c].contains(p) for c, p in zip(tps["kode_kel"], tps.geometry, strict=True))
    assert tps["position_method"].str.startswith("uniform").all()


def test_streets_needs_roads(toy_kelurahan, toy_rows):
    with pytest.raises(ValueError, match="needs roads"):
        place_tps(toy_rows, toy_kelurahan, None, method="streets")


def test_counts_for_unknown_kelurahan(toy_cfg, toy_kelurahan):
    counts = pio.read_tps_counts(toy_cfg)
    with pytest.raises(ValueError, match="missing from the boundary set"):
        tps_from_counts(counts, toy_kelurahan.iloc[:2])
