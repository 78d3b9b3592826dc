"""DBSCAN pockets by risk and geography, on hand-built points near latitude -6."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from sklearn.cluster import DBSCAN

from pamgeo.analysis.pockets import (
    BYTES_PER_PAIR,
    BYTES_PER_POINT,
    EARTH_RADIUS_M,
    _layout,
    _lowest,
    _radius,
    _unit,
    available_memory,
    check_graph_size,
    coordinates,
    estimate_pairs,
    find_pockets,
    graph_bytes,
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
    r, extent = _radius(200, "haversine"), np.ptp(_unit(X, "haversine"), axis=0).max()
    share = 1 / plan.chunks + 2 * r / extent
    assert plan.bytes == pytest.approx(graph_bytes((plan.pairs - len(X)) * share, len(X)))
    assert graph_bytes(10, 3) == 10 * BYTES_PER_PAIR + 3 * BYTES_PER_POINT
    chunked = risk_dbscan(X, eps_m=200, min_samples=5, max_pairs=2_000, memory_limit=10**9)
    plain = DBSCAN(eps=200 / EARTH_RADIUS_M, min_samples=5, metric="haversine", algorithm="ball_tree").fit_predict(X)
    assert (chunked == plain).all() and len(set(plain)) > 3


def test_memory_guard_cuts_more_slabs_when_one_does_not_fit():
    """A memory limit too small for the whole graph, but not for thin slabs: more slabs, no refusal."""
    g, rng = _blobs(5, n_centres=8, per=300, spread=300, noise=600, extent=8000.0)
    X = coordinates(g, "haversine")
    est = estimate_pairs(X, 250, "haversine")
    whole = graph_bytes(est - len(X), len(X))
    limit = whole / 3  # one slab's worth of memory is a third of the whole graph's
    plan = check_graph_size(X, 250, "haversine", 50_000_000, memory_limit=limit)
    assert plan.chunks > 3 and plan.bytes <= limit * 0.8
    w = rng.choice([1.0, 2.0, 3.0], size=len(X))
    ours = risk_dbscan(X, eps_m=250, min_samples=8, sample_weight=w, memory_limit=limit)
    ref = DBSCAN(eps=250 / EARTH_RADIUS_M, min_samples=8, metric="haversine",
                 algorithm="ball_tree").fit(X, sample_weight=w).labels_
    assert np.array_equal(ours, ref) and len(set(ref)) > 3


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


def test_clustering_needs_no_scikit_learn():
    import subprocess
    import sys

    code = ("import sys, numpy as np\n"
            "from pamgeo.analysis.pockets import risk_dbscan, k_distances\n"
            "X = np.radians(np.random.default_rng(0).uniform([-6.3, 106.7], [-6.2, 106.8], (200, 2)))\n"
            "k_distances(X, 4)\n"
            "assert (risk_dbscan(X, eps_m=500, min_samples=3) >= 0).any()\n"
            "assert 'sklearn' not in sys.modules\n")
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


# --- labels identical to scikit-learn's, numbers included -------------------------------------

def _city(seed: int, n: int = 1500, extent: float = 6000.0, scale: float = 1.0):
    """TPS-like points (metre offsets): clumps of varied spread, scattered noise, and schools that
    hold several TPS at exactly one place; risk scores and class weights. Sizes are for eps 300 m,
    times ``scale``."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(4, 15))
    extent *= scale
    centres = rng.uniform(0, extent, (k, 2))
    spread = rng.uniform(60, 500, k) * scale
    which = rng.integers(0, k, n)
    xy = centres[which] + rng.normal(0, 1, (n, 2)) * spread[which, None]
    noise = rng.random(n) < 0.1
    xy[noise] = rng.uniform(0, extent, (int(noise.sum()), 2))
    school = rng.random(n) < 0.25  # a quarter of the TPS share a school with another one
    xy[school] = xy[rng.integers(0, n, int(school.sum()))]
    risk = rng.beta(2, 5, n)
    w = np.where(risk > 0.8, 3.0, np.where(risk > 0.5, 2.0, 1.0))
    return xy, risk, w


def _as(xy: np.ndarray, metric: str) -> np.ndarray:
    if metric == "haversine":
        return np.radians(np.column_stack([LAT0 + xy[:, 1] / M_PER_DEG_LAT, LON0 + xy[:, 0] / M_PER_DEG_LON]))
    return xy + np.array([690_000.0, 9_300_000.0])  # UTM-like metres


def _sklearn(X, eps, min_samples, metric, weights=None, risk=None, tolerance=None):
    """scikit-learn's labels: plain DBSCAN, or DBSCAN(metric="precomputed") on the risk graph."""
    if tolerance is not None:
        graph = neighbourhood_graph(X, eps, metric, risk=risk, risk_tolerance=tolerance)
        return DBSCAN(eps=eps, min_samples=min_samples, metric="precomputed").fit(graph, sample_weight=weights).labels_
    if metric == "haversine":
        model = DBSCAN(eps=eps / EARTH_RADIUS_M, min_samples=min_samples, metric="haversine", algorithm="ball_tree")
    else:
        model = DBSCAN(eps=eps, min_samples=min_samples)
    return model.fit(X, sample_weight=weights).labels_


def _borders_between_clusters(X, eps, min_samples, metric, labels, weights=None, risk=None, tolerance=None):
    """Border points within reach of cores of two or more clusters (what the lowest-number rule decides)."""
    graph = neighbourhood_graph(X, eps, metric, risk=risk, risk_tolerance=tolerance).tocsr()
    w = np.ones(len(X)) if weights is None else weights
    core = np.add.reduceat(w[graph.indices], graph.indptr[:-1]) >= min_samples
    touching = 0
    for i in np.flatnonzero(~core & (labels >= 0)):
        nb = graph.indices[graph.indptr[i]:graph.indptr[i + 1]]
        touching += len(set(labels[nb[core[nb]]])) > 1
    return touching


@pytest.mark.parametrize("metric", ["haversine", "projected"])
@pytest.mark.parametrize("eps", [150, 300, 600, 1000])
@pytest.mark.parametrize("variant", ["plain", "weights", "risk+weights"])
def test_labels_identical_to_scikit_learn(metric, eps, variant):
    """Exact label arrays, in one slab and in many (a low max_pairs)."""
    xy, risk, w = _city(eps + len(variant) + len(metric), scale=eps / 300)
    X = _as(xy, metric)
    ms = {150: 6, 300: 4, 600: 4, 1000: 4}[eps]
    weights = None if variant == "plain" else w
    tol = 0.2 if variant == "risk+weights" else None
    ref = _sklearn(X, eps, ms, metric, weights, risk, tol)
    kw = dict(eps_m=eps, min_samples=ms, metric=metric, sample_weight=weights,
              risk=risk if tol else None, risk_tolerance=tol)
    assert np.array_equal(risk_dbscan(X, **kw), ref)
    assert check_graph_size(X, eps, metric, 3_000).chunks > 3
    assert np.array_equal(risk_dbscan(X, **kw, max_pairs=3_000), ref)
    assert ref.max() >= 2 and (ref == -1).any()  # not vacuous


def test_random_cases_identical_to_scikit_learn_with_borders_between_clusters():
    """Many random cases; among them border points that touch two clusters."""
    touching = chunked = 0
    for seed in range(16):
        rng = np.random.default_rng(100 + seed)
        eps = float(rng.choice([150, 300, 600, 1000]))
        xy, risk, w = _city(100 + seed, n=int(rng.integers(200, 1500)), extent=float(rng.uniform(1500, 8000)),
                            scale=eps / 300 * rng.uniform(0.5, 2))
        metric = ("haversine", "projected")[seed % 2]
        X = _as(xy, metric)
        ms = int(rng.integers(3, 12))
        weights = w if seed % 4 < 2 else None
        tol = 0.25 if seed % 3 == 0 else None
        ref = _sklearn(X, eps, ms, metric, weights, risk, tol)
        max_pairs = int(rng.choice([500, 50_000_000]))
        ours = risk_dbscan(X, eps_m=eps, min_samples=ms, metric=metric, sample_weight=weights,
                           risk=risk if tol else None, risk_tolerance=tol, max_pairs=max_pairs)
        assert np.array_equal(ours, ref), (seed, eps, ms, metric)
        touching += _borders_between_clusters(X, eps, ms, metric, ref, weights, risk, tol)
        chunked += check_graph_size(X, eps, metric, max_pairs).chunks > 1
    assert touching > 5 and chunked > 3


@pytest.mark.parametrize("flip", [False, True])
def test_border_point_takes_the_lowest_cluster_number(flip):
    # two chains 50 m apart within, 300 m apart between; one point in the middle within eps of
    # both chains' ends but with too few neighbours of its own: a border point of both clusters
    left, right = line(5, 0), line(5, 500)
    middle = [(350.0, 0.0)]
    offsets = (right + left if flip else left + right) + middle
    X = coordinates(pts(offsets), "haversine")
    labels = risk_dbscan(X, eps_m=160, min_samples=4)
    assert list(labels[:10]) == [0] * 5 + [1] * 5 and labels[10] == 0  # the lower number wins
    assert np.array_equal(labels, _sklearn(X, 160, 4, "haversine"))


def test_many_tps_at_one_school():
    # 7 TPS at one school, 3 at another 100 m away, 2 alone 1 km away
    offsets = [(0.0, 0.0)] * 7 + [(100.0, 0.0)] * 3 + [(1000.0, 0.0)] * 2
    X = coordinates(pts(offsets), "haversine")
    labels = risk_dbscan(X, eps_m=150, min_samples=8)
    assert list(labels) == [0] * 10 + [-1] * 2
    assert np.array_equal(labels, _sklearn(X, 150, 8, "haversine"))


def test_slabs_equal_one_slab():
    """Slabs hold every neighbour of their points; the labels do not depend on the cut."""
    xy, risk, w = _city(7, n=2500, extent=5000.0)
    X = _as(xy, "haversine")
    data, r = _unit(X, "haversine"), _radius(300, "haversine")
    order, slabs = _layout(data, r, 12, cKDTree(data))
    assert len(slabs) > 6 and slabs[0][0] == 0 and slabs[-1][1] == len(X)
    pairs = cKDTree(data).query_pairs(r, output_type="ndarray")
    pos = np.empty(len(X), dtype=np.int64)
    pos[order] = np.arange(len(X))
    for lo, hi, e0, e1 in slabs:  # both ends of every pair owned by the slab lie in its halo
        lower, upper = np.minimum(pos[pairs[:, 0]], pos[pairs[:, 1]]), np.maximum(pos[pairs[:, 0]], pos[pairs[:, 1]])
        owned = (lower >= lo) & (lower < hi)
        assert (upper[owned] < e1).all() and e0 <= lo
    kw = dict(eps_m=300, min_samples=7, sample_weight=w, risk=risk, risk_tolerance=0.3)
    one = risk_dbscan(X, **kw)
    for max_pairs in (200, 2_000, 20_000):
        assert np.array_equal(risk_dbscan(X, **kw, max_pairs=max_pairs), one)


@pytest.mark.parametrize("rounds", [32, 1])
def test_lowest_of_components_equals_scipy(rounds, monkeypatch):
    """The lowest node of each component, by numpy rounds alone or finished by SciPy."""
    import pamgeo.analysis.pockets as pockets

    monkeypatch.setattr(pockets, "MERGE_ROUNDS", rounds)
    rng = np.random.default_rng(0)
    for m, e in ((1, 0), (50, 0), (200, 150), (2000, 1900), (5000, 20000)):
        a, b = rng.integers(0, m, (2, e)).astype(np.int32)
        root = _lowest(a, b, m)
        _, comp = connected_components(sparse.coo_matrix((np.ones(e), (a, b)), shape=(m, m)), directed=False)
        lowest = np.full(comp.max() + 1, m)
        np.minimum.at(lowest, comp, np.arange(m))
        assert np.array_equal(root, lowest[comp])
    chain = np.arange(9999, dtype=np.int32)[::-1].copy()  # a long path, in a bad order
    assert (_lowest(chain, chain + 1, 10_000) == 0).all()


# --- pocket summaries: all pockets at once, as a per-pocket loop gives them ------------------

def _per_pocket(members, flags, rlab, buffer_m):
    """The pocket table and hulls by a plain groupby loop (how find_pockets used to compute them)."""
    import pandas as pd
    import shapely

    from pamgeo.core.vocabulary import CLASSES
    from pamgeo.ingest.io import WGS84

    rows, polys = [], []
    for pid, grp in members.groupby("pocket_id", sort=True):
        hull = shapely.MultiPoint(list(grp.geometry)).convex_hull.buffer(buffer_m)
        polys.append((pid, hull))
        c = gpd.GeoSeries([hull.centroid], crs=members.crs).to_crs(WGS84).iloc[0]
        counts = grp["risk_class"].value_counts().reindex(CLASSES, fill_value=0)
        share = flags.loc[grp.index].mean().sort_values(ascending=False)
        rows.append({
            "pocket_id": pid, "n_tps": len(grp), **{f"n_{cls}": int(counts[cls]) for cls in CLASSES},
            "mean_score": round(float(grp["risk_score"].mean()), 3),
            "max_score": round(float(grp["risk_score"].max()), 3),
            "dominant_reasons": "; ".join([f"{rlab[k]} ({v:.0%})" for k, v in share.items() if v > 0][:3]),
            "kecamatan": ", ".join(sorted(grp["kecamatan"].unique())),
            "kelurahan": ", ".join(sorted(grp["kelurahan"].unique())),
            "n_kelurahan": grp["kode_kel"].nunique(), "area_km2": round(hull.area / 1e6, 3),
            "centroid_lat": round(c.y, 6), "centroid_lon": round(c.x, 6),
            "tps_ids": " ".join(sorted(grp["tps_id"])),
        })
    table = pd.DataFrame(rows)
    polygons = gpd.GeoDataFrame(pd.DataFrame(polys, columns=["pocket_id", "geometry"]), geometry="geometry",
                                crs=members.crs)
    return table, polygons.merge(table.drop(columns=["tps_ids"]), on="pocket_id")


@pytest.mark.parametrize("lang", ["id", "en"])
def test_pocket_summaries_equal_a_per_pocket_loop(lang):
    import pandas as pd

    from pamgeo.analysis.pockets import REASON_LABELS, reason_flags

    xy, risk, _ = _city(21, n=3000, extent=9000.0)
    rng = np.random.default_rng(21)
    n = len(xy)
    tps = _scored([tuple(o) for o in xy], np.round(risk, 2),
                  rng.choice(["kurang_rawan", "rawan", "sangat_rawan", "khusus", "lain"], n))
    tps["kecamatan"] = rng.choice(["Kec Satu", "Kec Dua", "Kec Tiga"], n)
    tps["kelurahan"] = rng.choice(["Alpha", "Beta", "Gamma", "Delta"], n)
    tps["kode_kel"] = rng.choice(["1", "2", "3", "4", "5"], n)
    tps["tps_id"] = [f"{i:013d}" for i in rng.permutation(n)]
    # flags with many ties between reasons: the order of tied reasons is pandas' sort_values'
    tps["dist_waterway_m"] = rng.choice([10.0, 5000.0], n)
    tps["flood_kelurahan"] = rng.random(n) < 0.5
    tps["dist_police_m"] = rng.choice([100.0, 20_000.0], n)
    tps["is_khusus"] = rng.random(n) < 0.5
    params = ClusterParams(eps_m=150, min_samples=4, risk_tolerance=0.3, min_score=0.0, hull_buffer_m=40)
    p = find_pockets(tps, params, RiskParams(), lang=lang)
    assert len(p.table) > 20
    members = tps.loc[p.labels.dropna().index].assign(pocket_id=p.labels.dropna())
    table, polygons = _per_pocket(members, reason_flags(members, RiskParams()), REASON_LABELS[lang], 40)
    pd.testing.assert_frame_equal(p.table, table, check_exact=True)
    pd.testing.assert_frame_equal(pd.DataFrame(p.polygons.drop(columns="geometry")),
                                  pd.DataFrame(polygons.drop(columns="geometry")), check_exact=True)
    assert all(a.equals_exact(b, 0) for a, b in zip(p.polygons.geometry, polygons.geometry, strict=True))
    assert p.table["dominant_reasons"].str.count(";").max() == 2


def test_reasons_order_as_pandas_sorts_them():
    import pandas as pd

    from pamgeo.analysis.pockets import _by_share

    rng = np.random.default_rng(0)
    cols = list("abcdef")
    for _ in range(2000):
        row = rng.integers(0, 4, 6) / rng.choice([1, 2, 3, 7])  # many ties
        assert [cols[k] for k in _by_share(row)] == list(pd.Series(row, index=cols).sort_values(ascending=False).index)
