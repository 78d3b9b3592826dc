"""Pockets of risk: DBSCAN by risk and geography, with distances in metres.

:func:`risk_dbscan` is scikit-learn's ``DBSCAN(metric="precomputed")`` on a sparse
neighbourhood graph that pamgeo builds with SciPy's KD tree:

* two TPS are neighbours when they are within ``eps_m`` metres (great-circle distance, or in
  the region's metric CRS) **and** their risk scores differ by at most ``risk_tolerance``; pairs
  that fail the risk term are left out of the graph;
* core points are decided on weighted counts (``sample_weight``), so a sangat rawan TPS counts
  for more than a kurang rawan one.

Great-circle neighbourhoods come from a KD tree on unit vectors, where the straight chord
``2 sin(d / 2R)`` grows with the great-circle distance ``d``, so a chord radius finds exactly
the haversine neighbourhood (the tests check the labels against plain
``DBSCAN(metric="haversine", algorithm="ball_tree")``).

The graph is held compactly: CSR with int32 indices and boolean data. A stored entry *is* a
neighbour: its value (``False``) reads as distance 0, which is ``<= eps`` for any eps, so
scikit-learn keeps exactly the stored entries; nothing is a neighbour unless stored. Every
point's diagonal entry is stored, so scikit-learn's ``X.setdiag(X.diagonal())`` overwrites values
in place and the point counts itself toward ``min_samples``, as in DBSCAN; all-zero data is
already "sorted by distance", so scikit-learn does not re-sort the rows either. (It still makes
its own copies of the graph, which :data:`BYTES_PER_PAIR` accounts for.)

The graph is built in slabs along the widest axis (a halo of one radius each side), so no array
of all pairs is ever materialised, only one slab's. Before it is built its size is estimated
from a sample: a graph over ``max_pairs`` pairs is built in more slabs, and only a graph that
the machine's available memory cannot hold is refused, with an eps that would fit.

scikit-learn is imported inside :func:`risk_dbscan`, not at module top: the import costs about
0.8 s, which processes that import :mod:`pamgeo.analysis` but never cluster (the CLI, data
builds, print-map workers, the notebook's k-distance plot) should not pay; a warm kernel has it
pre-imported, so there the call costs nothing extra.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from pamgeo.core.config import ClusterParams, RiskParams
from pamgeo.core.errors import RunError
from pamgeo.core.i18n import t, tf
from pamgeo.core.vocabulary import CLASSES
from pamgeo.ingest.io import WGS84

EARTH_RADIUS_M = 6_371_008.8
# Peak memory of a whole risk_dbscan call (graph build + scikit-learn's DBSCAN) per stored,
# directed neighbour pair (self included) and per point. Measured on 100k-820k synthetic TPS at
# ~100 TPS per km2 (bench/bench.py), with and without the risk term: tracemalloc peak = 33.2 B/pair + 228
# B/point, peak-RSS growth 2-4 % above that; rounded up. Per pair: pamgeo's graph (int32 index +
# bool = 5 B), scikit-learn's copies of it (DBSCAN.fit copies it, NearestNeighbors checks a
# copy and keeps another: 3 x 5 B), its int64 neighbour indices (8 B) and components_ (the core
# rows, copied once more). Per point: its array of n neighbourhood views, labels, the KD trees.
BYTES_PER_PAIR = 35
BYTES_PER_POINT = 240
CHUNK_PAIRS = 4_000_000  # most pairs found at once (one slab), whatever max_pairs allows
MEMORY_HEADROOM = 0.8  # use at most this share of the available memory


def coordinates(points: gpd.GeoSeries, metric: str) -> np.ndarray:
    """``[lat, lon]`` in radians (``haversine``) or ``[x, y]`` in metres (``projected``)."""
    if metric == "haversine":
        geo = points.to_crs(WGS84) if points.crs is not None and not points.crs.equals(WGS84) else points
        return np.radians(np.column_stack([geo.y.to_numpy(), geo.x.to_numpy()]))
    if metric == "projected":
        if points.crs is None or not points.crs.is_projected:
            raise ValueError("metric='projected' needs points in a projected (metric) CRS")
        return np.column_stack([points.x.to_numpy(), points.y.to_numpy()])
    raise ValueError(f"unknown metric {metric!r}; use 'haversine' or 'projected'")


def _radius(eps_m: float, metric: str) -> float:
    """``eps_m`` in the tree's units: a chord of the unit sphere (haversine) or metres."""
    if metric == "haversine":
        return 2.0 * np.sin(min(eps_m / EARTH_RADIUS_M, np.pi) / 2.0)
    return eps_m


def _unit(X: np.ndarray, metric: str) -> np.ndarray:
    """Unit vectors for ``[lat, lon]`` radians (haversine), else ``X`` itself."""
    if metric == "haversine":
        lat, lon = X[:, 0], X[:, 1]
        return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    return np.asarray(X, dtype=float)


def _tree(X: np.ndarray, metric: str) -> cKDTree:
    """KD tree of ``X``: unit vectors for ``[lat, lon]`` radians (haversine), else ``X`` itself."""
    return cKDTree(_unit(X, metric))


def estimate_pairs(X: np.ndarray, eps_m: float, metric: str, *, sample: int = 2000, seed: int = 0,
                   tree=None) -> float:
    """Expected number of directed neighbour pairs (self included) within ``eps_m``, from a sample.

    The risk term is left out, so this is an upper bound of the graph's size.
    """
    n = len(X)
    if n == 0:
        return 0.0
    tree = tree or _tree(X, metric)
    idx = np.random.default_rng(seed).choice(n, size=min(sample, n), replace=False)
    counts = tree.query_ball_point(tree.data[idx], r=_radius(eps_m, metric), return_length=True)
    return float(np.mean(counts)) * n


def available_memory() -> int:
    """Bytes of memory available to a new allocation: ``MemAvailable``, else free physical pages."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def graph_bytes(pairs: float, n: int) -> float:
    """Peak memory (bytes) of :func:`risk_dbscan` for a graph of ``pairs`` stored pairs over ``n`` points."""
    return pairs * BYTES_PER_PAIR + n * BYTES_PER_POINT


@dataclass(frozen=True)
class GraphPlan:
    """What :func:`check_graph_size` decided: the estimate, its memory and how many slabs."""

    pairs: float      # estimated directed pairs, self included (risk term not counted)
    bytes: float      # estimated peak memory of clustering
    available: float  # memory available
    chunks: int       # slabs the graph is built in


def _size(nbytes: float) -> str:
    return f"{nbytes / 1e9:.1f} GB" if nbytes >= 1e8 else f"{nbytes / 1e6:.1f} MB"


def _fitting_eps(X: np.ndarray, eps_m: float, metric: str, tree, est: float, room: float) -> float | None:
    """The largest eps (about) whose estimated pairs stay within ``room`` pairs besides the diagonal.

    Pairs besides a point's own grow with eps squared where points spread over an area; where eps
    nears the points' extent they grow more slowly, so each guess is checked with a new estimate.
    """
    n = len(X)
    if room <= 0:
        return None
    eps = eps_m
    for _ in range(30):
        if est - n <= room:
            return eps
        eps *= math.sqrt(room / (est - n)) * 0.95
        est = estimate_pairs(X, eps, metric, tree=tree)
    return None


def check_graph_size(X: np.ndarray, eps_m: float, metric: str, max_pairs: int, *, tree=None,
                     memory_limit: float | None = None) -> GraphPlan:
    """Plan the neighbourhood graph: slabs of at most ``max_pairs`` pairs; refuse what memory cannot hold.

    A high estimate is no reason to refuse: the graph is built in more slabs. Only when the
    estimated peak memory (:func:`graph_bytes`) is over ``MEMORY_HEADROOM`` of ``memory_limit``
    (default: the memory available now, :func:`available_memory`) is it refused (``RunError``),
    with an eps that fits.
    """
    n = len(X)
    tree = tree or _tree(X, metric)
    est = estimate_pairs(X, eps_m, metric, tree=tree)
    avail = float(available_memory() if memory_limit is None else memory_limit)
    need = graph_bytes(est, n)
    budget = avail * MEMORY_HEADROOM
    if need > budget:
        room = (budget - n * BYTES_PER_POINT) / BYTES_PER_PAIR - n
        fit = _fitting_eps(X, eps_m, metric, tree, est, room)
        fits = (f"Use eps_m <= {math.floor(fit)}" if fit is not None and fit >= 1
                else "No eps fits: not even the points alone; cluster fewer TPS")
        raise RunError(
            f"DBSCAN with eps_m={eps_m:g} would hold about {est:,.0f} neighbour pairs over {n:,} TPS, "
            f"~{_size(need)} at peak, more than this machine can spare "
            f"({MEMORY_HEADROOM:.0%} of {_size(avail)} available). {fits} "
            f"or run on a machine with more memory."
        )
    chunk = max(1, min(int(max_pairs), CHUNK_PAIRS))
    return GraphPlan(pairs=est, bytes=need, available=avail, chunks=max(1, math.ceil(est / chunk)))


def _slab(data: np.ndarray, order: np.ndarray, lo: int, hi: int, ext: tuple[int, int], r: float,
          risk: np.ndarray | None, tol: float | None, tree: cKDTree | None) -> sparse.csr_matrix:
    """Rows ``order[lo:hi]`` (the slab) of the neighbourhood graph, as a ``(hi - lo, n)`` CSR.

    The tree covers ``order[ext[0]:ext[1]]``: the slab and a halo of one radius each side, so it
    holds every neighbour of the slab. Each pair found becomes one or two directed edges, from
    whichever end lies in the slab; each slab point also gets its own edge (the diagonal).
    """
    e0, e1 = ext
    idx = order[e0:e1]
    if tree is None:
        tree = cKDTree(data[idx])
    pairs = tree.query_pairs(r=r, output_type="ndarray")
    if risk is not None and tol is not None:
        pairs = pairs[np.abs(risk[idx[pairs[:, 0]]] - risk[idx[pairs[:, 1]]]) <= tol + 1e-12]
    pairs -= lo - e0  # positions in the slab: owned when in [0, hi - lo)
    m = hi - lo
    ends = []
    for a, b in ((0, 1), (1, 0)):
        own = (pairs[:, a] >= 0) & (pairs[:, a] < m)
        ends.append((pairs[own, a], idx[pairs[own, b] + (lo - e0)]))
    del pairs
    diag = np.arange(m)
    rows = np.concatenate([ends[0][0], ends[1][0], diag]).astype(np.int32)
    cols = np.concatenate([ends[0][1], ends[1][1], order[lo:hi]]).astype(np.int32)
    del ends
    coo = sparse.coo_matrix((np.zeros(len(rows), dtype=bool), (rows, cols)), shape=(m, len(data)))
    return coo.tocsr()  # counting sort by row (C), columns sorted within rows


def neighbourhood_graph(X: np.ndarray, eps_m: float, metric: str, *, risk: np.ndarray | None = None,
                        risk_tolerance: float | None = None, tree=None, chunks: int = 1) -> sparse.csr_matrix:
    """Boolean CSR graph (int32 indices) of pairs within ``eps_m`` and within ``risk_tolerance`` of risk.

    Stored entries are the neighbours (their value ``False`` reads as distance 0); every point is
    its own neighbour (the diagonal is stored). Built in ``chunks`` slabs of about equal size.
    """
    n = len(X)
    if n >= 2**31 - 1:
        raise RunError(f"{n:,} points are more than a graph with int32 indices can hold")
    r = _radius(eps_m, metric)
    data = tree.data if tree is not None else _unit(X, metric)
    chunks = max(1, min(int(chunks), n))
    if chunks == 1:  # one slab: all points, no halo, in input order; the caller's tree is reused
        order, slabs = np.arange(n), [(0, n, (0, n))]
    else:  # slabs of equal point counts along the widest axis, each with a halo of one radius
        axis = int(np.argmax(np.ptp(data, axis=0)))
        order = np.argsort(data[:, axis], kind="stable")
        key = data[order, axis]
        bounds = np.unique(np.linspace(0, n, chunks + 1).round().astype(np.int64)).tolist()
        slabs = [(lo, hi, (int(np.searchsorted(key, key[lo] - r, "left")),
                           int(np.searchsorted(key, key[hi - 1] + r, "right"))))
                 for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    counts = np.zeros(n, dtype=np.int64)
    parts = []
    for lo, hi, ext in slabs:
        part = _slab(data, order, lo, hi, ext, r, risk, risk_tolerance, tree if chunks == 1 else None)
        counts[order[lo:hi]] = np.diff(part.indptr)
        parts.append((lo, hi, part))
    nnz = int(counts.sum())
    if nnz >= 2**31 - 1:
        raise RunError(f"{nnz:,} neighbour pairs are more than a graph with int32 indices can hold")
    if chunks == 1:
        part = parts[0][2]
        return sparse.csr_matrix((part.data, part.indices, part.indptr), shape=(n, n))
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=indptr[1:])
    indices = np.empty(nnz, dtype=np.int32)
    while parts:  # every row's edges come from the one slab that holds the row
        lo, hi, part = parts.pop(0)
        pos = np.repeat(indptr[order[lo:hi]] - part.indptr[:-1], np.diff(part.indptr)).astype(np.int64)
        pos += np.arange(part.nnz)
        indices[pos] = part.indices
        del pos, part
    return sparse.csr_matrix((np.zeros(nnz, dtype=bool), indices, indptr), shape=(n, n))


def risk_dbscan(
    X: np.ndarray,
    *,
    eps_m: float,
    min_samples: int,
    metric: str = "haversine",
    risk: np.ndarray | None = None,
    risk_tolerance: float | None = None,
    sample_weight: np.ndarray | None = None,
    max_pairs: int = 50_000_000,
    memory_limit: float | None = None,
) -> np.ndarray:
    """DBSCAN labels (``-1`` = noise) by geography and, optionally, risk.

    Parameters
    ----------
    X
        From :func:`coordinates`: ``[lat, lon]`` radians for ``haversine``, metres for
        ``projected``.
    eps_m
        Neighbourhood radius in metres (never radians).
    min_samples
        Weighted count (self included) that makes a core point.
    risk, risk_tolerance
        Risk score per point and the largest score difference between neighbours.
    sample_weight
        Weight of each point in core counts (e.g. by risk class).
    max_pairs
        Most pairs to find in one slab of the graph (more slabs above it; see
        :func:`check_graph_size`).
    memory_limit
        Bytes the clustering may use; default the memory available now.
    """
    n = len(X)
    if n == 0:
        return np.zeros(0, dtype=int)
    tree = _tree(X, metric)
    plan = check_graph_size(X, eps_m, metric, max_pairs, tree=tree, memory_limit=memory_limit)
    graph = neighbourhood_graph(X, eps_m, metric, risk=risk, risk_tolerance=risk_tolerance, tree=tree,
                                chunks=plan.chunks)
    del tree
    from sklearn.cluster import DBSCAN  # here, not at module top: see the module docstring

    weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
    return DBSCAN(eps=eps_m, min_samples=min_samples, metric="precomputed").fit(graph, sample_weight=weights).labels_


def k_distances(X: np.ndarray, k: int, metric: str = "haversine") -> np.ndarray:
    """Sorted distance (m) of every point to its k-th nearest other point."""
    if len(X) <= k:
        return np.zeros(0)
    tree = _tree(X, metric)
    dist, _ = tree.query(tree.data, k=k + 1)
    d = dist[:, -1]
    if metric == "haversine":  # chord -> great-circle metres
        d = 2.0 * np.arcsin(np.minimum(d / 2.0, 1.0)) * EARTH_RADIUS_M
    return np.sort(d)


def suggest_eps(kdist: np.ndarray) -> float:
    """The knee of a sorted k-distance curve: the point farthest from the chord end to end."""
    if len(kdist) < 3:
        return float(kdist[-1]) if len(kdist) else float("nan")
    x = np.linspace(0.0, 1.0, len(kdist))
    span = kdist[-1] - kdist[0]
    y = (kdist - kdist[0]) / span if span > 0 else np.zeros_like(kdist)
    return float(kdist[int(np.argmax(x - y))])


def plot_k_distance(kdist: np.ndarray, knee: float | None = None, *, k: int | None = None, ax=None, lang: str = "id"):
    """Matplotlib figure of the k-distance curve with the suggested eps."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot(np.arange(len(kdist)), kdist, color="#1f6fb2")
    if knee is not None and np.isfinite(knee):
        ax.axhline(knee, color="#b42318", ls="--", lw=1)
        ax.text(0, knee, f" eps ≈ {knee:.0f} m", va="bottom", color="#b42318")
    ax.set_xlabel(t("kdist_x", lang))
    ax.set_ylabel(tf("kdist_y", lang, k=k if k else "k"))
    ax.grid(alpha=0.3)
    return ax.figure


@dataclass
class Pockets:
    """Result of :func:`find_pockets`."""

    labels: pd.Series          # pocket_id per TPS (index of the input), <NA> when in no pocket
    polygons: gpd.GeoDataFrame  # one hull per pocket, metric CRS
    table: pd.DataFrame        # one row per pocket


REASON_LABELS = {
    "id": {"waterway": "dekat sungai", "flood_kelurahan": "kelurahan rawan banjir", "police_distance": "jauh dari Polri",
           "crowding": "TPS padat", "khusus": "lokasi khusus", "official": "kelas resmi"},
    "en": {"waterway": "near a river", "flood_kelurahan": "flood-prone kelurahan", "police_distance": "far from police",
           "crowding": "dense TPS", "khusus": "special location", "official": "official class"},
}


def reason_flags(tps: pd.DataFrame, risk: RiskParams) -> pd.DataFrame:
    """Which risk factor applies to each TPS (booleans), for summarising pockets."""
    return pd.DataFrame({
        "waterway": tps["dist_waterway_m"] < risk.waterway_m[1],
        "flood_kelurahan": tps["flood_kelurahan"].astype(bool),
        # no police layer: the distance is unknown (inf), never "far from police"
        "police_distance": np.isfinite(tps["dist_police_m"]) & (tps["dist_police_m"] > risk.police_km[0] * 1000),
        "crowding": tps["n_tps_nearby"] > risk.crowding_n[0],
        "khusus": tps["is_khusus"].astype(bool),
        "official": tps["risk_class_source"] == "official",
    }, index=tps.index)


def find_pockets(tps: gpd.GeoDataFrame, params: ClusterParams, risk: RiskParams, *, lang: str = "id",
                 eps_m: float | None = None, min_samples: int | None = None) -> Pockets:
    """Pockets among TPS scored by :func:`pamgeo.analysis.risk.score_tps`.

    Only TPS with ``risk_score >= params.min_score`` take part; ``eps_m`` and ``min_samples``
    override the config. Pocket ids (``K01``, ``K02``, ...) run from the largest pocket down.
    """
    eps = float(eps_m if eps_m is not None else params.eps_m)
    ms = int(min_samples if min_samples is not None else params.min_samples)
    cand = tps[tps["risk_score"] >= params.min_score]
    labels = pd.Series(pd.NA, index=tps.index, dtype="string")
    crs = tps.crs
    empty_poly = gpd.GeoDataFrame({"pocket_id": pd.Series([], dtype="string")}, geometry=[], crs=crs)
    if len(cand) == 0:
        return Pockets(labels, empty_poly, pd.DataFrame())
    X = coordinates(cand.geometry, params.metric)
    weights = cand["risk_class"].map(params.class_weights).fillna(1.0).to_numpy(float)
    raw = risk_dbscan(X, eps_m=eps, min_samples=ms, metric=params.metric,
                      risk=cand["risk_score"].to_numpy(float), risk_tolerance=params.risk_tolerance,
                      sample_weight=weights, max_pairs=params.max_neighbours)
    found = pd.Series(raw, index=cand.index)
    found = found[found >= 0]
    if found.empty:
        return Pockets(labels, empty_poly, pd.DataFrame())
    order = (found.to_frame("raw").assign(tps_id=cand.loc[found.index, "tps_id"])
             .groupby("raw").agg(n=("tps_id", "size"), first=("tps_id", "min"))
             .sort_values(["n", "first"], ascending=[False, True]))
    width = max(2, len(str(len(order))))
    names = {raw_id: f"K{i + 1:0{width}d}" for i, raw_id in enumerate(order.index)}
    labels.loc[found.index] = found.map(names).astype("string")

    members = tps.loc[found.index].assign(pocket_id=labels.loc[found.index])
    flags = reason_flags(members, risk)
    rlab = REASON_LABELS.get(lang, REASON_LABELS["id"])
    rows, polys = [], []
    for pid, grp in members.groupby("pocket_id", sort=True):
        hull = shapely.MultiPoint(list(grp.geometry)).convex_hull.buffer(params.hull_buffer_m)
        polys.append((pid, hull))
        c = gpd.GeoSeries([hull.centroid], crs=crs).to_crs(WGS84).iloc[0]
        counts = grp["risk_class"].value_counts().reindex(CLASSES, fill_value=0)
        share = flags.loc[grp.index].mean().sort_values(ascending=False)
        dominant = [f"{rlab[k]} ({v:.0%})" for k, v in share.items() if v > 0][:3]
        rows.append({
            "pocket_id": pid, "n_tps": len(grp),
            **{f"n_{cls}": int(counts[cls]) for cls in CLASSES},
            "mean_score": round(float(grp["risk_score"].mean()), 3),
            "max_score": round(float(grp["risk_score"].max()), 3),
            "dominant_reasons": "; ".join(dominant),
            "kecamatan": ", ".join(sorted(grp["kecamatan"].unique())),
            "kelurahan": ", ".join(sorted(grp["kelurahan"].unique())),
            "n_kelurahan": grp["kode_kel"].nunique(),
            "area_km2": round(hull.area / 1e6, 3),
            "centroid_lat": round(c.y, 6), "centroid_lon": round(c.x, 6),
            "tps_ids": " ".join(sorted(grp["tps_id"])),
        })
    table = pd.DataFrame(rows)
    polygons = gpd.GeoDataFrame(pd.DataFrame(polys, columns=["pocket_id", "geometry"]), geometry="geometry", crs=crs)
    polygons = polygons.merge(table.drop(columns=["tps_ids"]), on="pocket_id")
    return Pockets(labels, polygons, table)

