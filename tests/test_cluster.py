"""DBSCAN pockets by risk and geography, on hand-built points near latitude -6."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pytest
from sklearn.cluster import DBSCAN

from pamgeo.analysis.pockets import (
    BYTES_PER_PAIR,
    BYTES_PER_POINT,
    EARTH_RADIUS_M,
    available_memory,
    check_graph_size,
    coordinates,
    find_pockets,
    k_distances,
    neighbourhood_graph,
    plot_k_distance,
    risk_dbscan,
    suggest_eps,
)
from pamgeo.core.config import ClusterParams, RiskParams
from pamgeo.core.errors import RunError

LAT0, LON0 = -6.30, 106.70
M_PER_DEG_LAT = 110_574.0  # near -6 degrees
M_PER_DEG_LON = 111_320.0 * np.cos(np.radians(LAT0))


def pts(offsets_m: list[tuple[float, float]]) -> gpd.GeoSeries:
    """Points at (east, north) metre offsets from (LAT0, LON0), in EPSG:4326."""
    lon = [LON0 + e / M_PER_DEG_LON for e, _ in offsets_m]
    lat = [LAT0 + n / M_PER_DEG_LAT for _, n in offsets_m]
    return gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def line(n: int, start_e: float, step: float = 50.0, north: float = 0.0) -> list[tuple[float, float]]:
    return [(start_e + i * step, north) for i in range(n)]


@pytest.mark.parametrize("metric", ["haversine", "projected"])
def test_known_pockets_in_metres(metric):
    # group A: 5 points 50 m apart; group B: 4 points 50 m apart, 1 km east; one lone point
    g = pts(line(5, 0) + line(4, 1000) + [(0, 3000)])
    if metric == "projected":
        g = g.to_crs("EPSG:32748")
    labels = risk_dbscan(coordinates(g, metric), eps_m=60, min_samples=3, metric=metric)
    assert list(labels) == [0] * 5 + [1] * 4 + [-1]


def test_eps_is_in_metres_not_radians():
    g = pts(line(3, 0, step=120))
    X = coordinates(g, "haversine")
    assert (risk_dbscan(X, eps_m=100, min_samples=2) == -1).all()
    assert (risk_dbscan(X, eps_m=130, min_samples=2) == 0).all()


def test_risk_tolerance_separates_touching_groups():
    # one chain of 10 points 50 m apart: first half low risk, second half high risk
    g = pts(line(10, 0))
    risk = np.array([0.1] * 5 + [0.9] * 5)
    X = coordinates(g, "haversine")
    together = risk_dbscan(X, eps_m=60, min_samples=3)
    apart = risk_dbscan(X, eps_m=60, min_samples=3, risk=risk, risk_tolerance=0.2)
    assert len(set(together)) == 1
    assert len(set(apart[:5])) == 1 and len(set(apart[5:])) == 1 and apart[0] != apart[9]
    assert -1 not in apart


def test_weights_make_core_points():
    # three points 50 m apart: too few for min_samples=4 unless the risky one weighs more
    X = coordinates(pts(line(3, 0)), "haversine")
    assert (risk_dbscan(X, eps_m=60, min_samples=4) == -1).all()
    w = np.array([1.0, 3.0, 1.0])  # middle one sangat rawan
    assert (risk_dbscan(X, eps_m=60, min_samples=4, sample_weight=w) == 0).all()


def test_equals_plain_sklearn_without_risk_terms():
    rng = np.random.default_rng(4)
    centres = rng.uniform(0, 5000, size=(12, 2))
    offsets = np.vstack([c + rng.normal(0, 120, size=(40, 2)) for c in centres] + [rng.uniform(0, 5000, (100, 2))])
    X = coordinates(pts([tuple(o) for o in offsets]), "haversine")
    ours = risk_dbscan(X, eps_m=150, min_samples=5)
    plain = DBSCAN(eps=150 / EARTH_RADIUS_M, min_samples=5, metric="haversine", algorithm="ball_tree").fit_predict(X)
    assert (ours == plain).all()
    assert len(set(plain)) > 5  # the check is not vacuous


def test_k_distance_knee():
    g = pts(line(20, 0, step=50) + [(5000, 0), (9000, 0)])
    kd = k_distances(coordinates(g, "haversine"), k=2)
    assert kd[0] == pytest.approx(50, abs=1) and kd[-1] > 3000
    eps = suggest_eps(kd)
    assert 45 <= eps <= 150
    fig = plot_k_distance(kd, eps, k=2)
    assert fig.axes[0].get_ylabel().startswith("jarak")


def _scored(offsets, scores, classes):
    g = pts(offsets).to_crs("EPSG:32748")
    n = len(g)
    return gpd.GeoDataFrame({
        "tps_id": [f"99010110010{i:02d}" for i in range(n)], "kode_kel": "99.01.01.1001", "kode_kec": "99.01.01",
        "kecamatan": "Kec Satu", "kelurahan": "Alpha Jaya", "is_khusus": False,
        "risk_score": scores, "risk_class": classes, "risk_class_source": "computed",
        "dist_waterway_m": 50.0, "flood_kelurahan": True, "dist_police_m": 500.0, "n_tps_nearby": 2,
    }, geometry=g.to_numpy(), crs="EPSG:32748")


def test_find_pockets_outputs():
    offsets = line(5, 0) + line(5, 2000) + line(5, 4000)
    scores = [0.8] * 5 + [0.75] * 5 + [0.2] * 5  # third group below min_score
    classes = ["sangat_rawan"] + ["rawan"] * 4 + ["rawan"] * 5 + ["kurang_rawan"] * 5
    tps = _scored(offsets, scores, classes)
    params = ClusterParams(eps_m=60, min_samples=4, risk_tolerance=0.1, min_score=0.6, hull_buffer_m=25)
    p = find_pockets(tps, params, RiskParams())
    assert list(p.labels.iloc[:10]) == ["K01"] * 5 + ["K02"] * 5
    assert p.labels.iloc[10:].isna().all()
    row = p.table.set_index("pocket_id").loc["K01"]
    assert row["n_tps"] == 5 and row["n_sangat_rawan"] == 1 and row["n_rawan"] == 4
    assert "dekat sungai (100%)" in row["dominant_reasons"]
    assert row["kelurahan"] == "Alpha Jaya" and row["area_km2"] > 0
    assert abs(row["centroid_lat"] - LAT0) < 0.01
    assert len(p.polygons) == 2 and p.polygons.crs == tps.crs
    assert all(p.polygons.geometry.iloc[0].contains(g) for g in tps.geometry.iloc[:5])


def brute_force_dbscan(X, eps_m, min_samples, metric, risk=None, tolerance=None, weights=None):
    """Textbook DBSCAN on a full distance matrix: weighted core counts (self included), clusters
    started in index order, a border point kept by the first cluster that reaches it."""
    if metric == "haversine":
        lat, lon = X[:, 0], X[:, 1]
        h = (np.sin((lat[:, None] - lat[None, :]) / 2) ** 2
             + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin((lon[:, None] - lon[None, :]) / 2) ** 2)
        dist = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
    else:
        dist = np.hypot(X[:, None, 0] - X[None, :, 0], X[:, None, 1] - X[None, :, 1])
    near = dist <= eps_m
    if tolerance is not None:
        near &= np.abs(risk[:, None] - risk[None, :]) <= tolerance + 1e-12
    w = np.ones(len(X)) if weights is None else weights
    core = np.array([w[row].sum() >= min_samples for row in near])
    labels = np.full(len(X), -1)
    cluster = 0
    for start in range(len(X)):
        if labels[start] != -1 or not core[start]:
            continue
        labels[start] = cluster
        queue = [start]
        while queue:
            p = queue.pop()
            for q in np.flatnonzero(near[p]):
                if labels[q] == -1:
                    labels[q] = cluster
                    if core[q]:
                        queue.append(q)
        cluster += 1
    return labels


def _blobs(seed, n_centres=10, per=30, spread=100.0, noise=80, extent=4000.0):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, extent, size=(n_centres, 2))
    offsets = np.vstack([c + rng.normal(0, spread, size=(per, 2)) for c in centres]
                        + [rng.uniform(0, extent, (noise, 2))])
    return pts([tuple(o) for o in offsets]), rng


@pytest.mark.parametrize("metric", ["haversine", "projected"])
@pytest.mark.parametrize("tolerance,weighted", [(None, False), (0.2, False), (None, True), (0.15, True)])
def test_labels_equal_brute_force_dbscan(metric, tolerance, weighted):
    """With risk terms and weights: equal to a textbook DBSCAN on the full distance matrix,
    whether the graph is built in one slab or in many."""
    g, rng = _blobs(11)
    if metric == "projected":
        g = g.to_crs("EPSG:32748")
    X = coordinates(g, metric)
    risk = rng.uniform(0, 1, len(X))
    w = rng.choice([1.0, 2.0, 3.0], size=len(X)) if weighted else None
    kw = dict(eps_m=120, min_samples=5, metric=metric, risk=risk if tolerance else None,
              risk_tolerance=tolerance, sample_weight=w)
    ref = brute_force_dbscan(X, 120, 5, metric, risk, tolerance, w)
    assert (risk_dbscan(**kw, X=X) == ref).all()
    assert (risk_dbscan(**kw, X=X, max_pairs=500) == ref).all()  # many slabs
    assert len(set(ref)) > 3 and (ref == -1).any()  # the check is not vacuous


def test_graph_is_compact_with_its_diagonal_stored():
    g, rng = _blobs(3)
    X = coordinates(g, "haversine")
    risk = rng.uniform(0, 1, len(X))
    one = neighbourhood_graph(X, 150, "haversine", risk=risk, risk_tolerance=0.3)
    many = neighbourhood_graph(X, 150, "haversine", risk=risk, risk_tolerance=0.3, chunks=7)
    for graph in (one, many):
        assert graph.indices.dtype == np.int32 and graph.indptr.dtype == np.int32 and graph.dtype == bool
        assert (graph.data == 0).all()  # a stored entry is a neighbour at "distance 0"
        assert (graph != graph.T).nnz == 0  # symmetric
        assert graph.has_canonical_format
    assert (one != many).nnz == 0
    # every diagonal entry is stored, so scikit-learn's setdiag changes no structure
    copy = one.copy()
    copy.setdiag(copy.diagonal())
    assert copy.nnz == one.nnz and (copy.indices == one.indices).all()
    # the risk term drops edges
    assert neighbourhood_graph(X, 150, "haversine").nnz > one.nnz


def test_memory_guard_chunks_a_high_but_feasible_graph():
    g, _ = _blobs(0, n_centres=5, per=400, spread=150, noise=500)
    X = coordinates(g, "haversine")
    plan = check_graph_size(X, 200, "haversine", max_pairs=2_000, memory_limit=10**9)
    assert plan.pairs > 10 * 2_000 and plan.chunks >= 10
    assert plan.bytes == pytest.approx(plan.pairs * BYTES_PER_PAIR + len(X) * BYTES_PER_POINT)
    chunked = risk_dbscan(X, eps_m=200, min_samples=5, max_pairs=2_000, memory_limit=10**9)
    plain = DBSCAN(eps=200 / EARTH_RADIUS_M, min_samples=5, metric="haversine", algorithm="ball_tree").fit_predict(X)
    assert (chunked == plain).all() and len(set(plain)) > 3


def test_memory_guard_refuses_what_memory_cannot_hold_and_suggests_an_eps_that_fits():
    rng = np.random.default_rng(0)
    X = coordinates(pts([tuple(o) for o in rng.uniform(0, 500, size=(3000, 2))]), "haversine")
    limit = 8_000_000  # bytes
    with pytest.raises(RunError, match=r"eps_m <= \d+") as exc:
        risk_dbscan(X, eps_m=400, min_samples=5, memory_limit=limit)
    msg = str(exc.value)
    assert "MB available" in msg and "cluster.max_neighbours" not in msg
    suggested = float(re.search(r"eps_m <= (\d+)", msg).group(1))
    assert 0 < suggested < 400
    plan = check_graph_size(X, suggested, "haversine", 50_000_000, memory_limit=limit)  # fits: no error
    assert plan.bytes <= limit
    assert (risk_dbscan(X, eps_m=suggested, min_samples=5, memory_limit=limit) >= -1).all()
    with pytest.raises(RunError, match="No eps fits"):
        check_graph_size(X, 400, "haversine", 50_000_000, memory_limit=1_000)


def test_available_memory_is_read():
    assert 0 < available_memory() < 2**50


def test_importing_pockets_leaves_scikit_learn_to_the_clustering():
    # scikit-learn (about 0.8 s to import) is imported by risk_dbscan, not by importing the module
    import subprocess
    import sys

    code = ("import sys, numpy as np\n"
            "from pamgeo.analysis.pockets import risk_dbscan, k_distances\n"
            "X = np.radians(np.random.default_rng(0).uniform([-6.3, 106.7], [-6.2, 106.8], (200, 2)))\n"
            "k_distances(X, 4)\n"
            "assert 'sklearn' not in sys.modules\n"
            "risk_dbscan(X, eps_m=500, min_samples=3)\n"
            "assert 'sklearn' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_police_layer_no_far_from_police_reason():
    import pandas as pd

    from pamgeo.analysis.pockets import reason_flags
    from pamgeo.core.config import RiskParams

    tps = pd.DataFrame({"dist_waterway_m": [np.inf, 10.0], "flood_kelurahan": [False, True],
                        "dist_police_m": [np.inf, 9000.0], "n_tps_nearby": [0, 0], "is_khusus": [False, False],
                        "risk_class_source": ["computed", "computed"]})
    flags = reason_flags(tps, RiskParams())
    assert flags["police_distance"].tolist() == [False, True]
    assert flags["waterway"].tolist() == [False, True]
