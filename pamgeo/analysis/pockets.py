"""Pockets of risk: DBSCAN by risk and geography, with distances in metres.

:func:`risk_dbscan` is DBSCAN on a precomputed sparse neighbourhood graph:

* two TPS are neighbours when they are within ``eps_m`` metres (great-circle distance, or in
  the region's metric CRS) **and** their risk scores differ by at most ``risk_tolerance``;
* core points are decided on weighted counts (``sample_weight``), so a sangat rawan TPS counts
  for more than a kurang rawan one.

The neighbourhoods come from SciPy's KD tree: for great-circle distances on unit vectors, where
the straight chord ``2 sin(d / 2R)`` grows with the great-circle distance ``d``, so a chord radius
finds exactly the haversine neighbourhood (without importing scikit-learn, which costs a briefing
run about two seconds). The labels are
computed from the graph with SciPy: core points by a sparse weighted count, clusters as connected
components of the core-core graph, each border point joined to the earliest-started cluster it
touches. That is exactly the result of ``sklearn.cluster.DBSCAN(metric="precomputed")`` on the
same graph (the tests check it, with and without risk terms, and against plain haversine
DBSCAN), without its per-point Python loops, which cost about as much again as the neighbour
search on 820,000 points. Before the graph is built its size is estimated from a sample; a graph
over ``max_neighbours`` pairs is refused with a suggested eps.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from pamgeo.core.config import ClusterParams, RiskParams
from pamgeo.core.errors import RunError
from pamgeo.core.vocabulary import CLASSES
from pamgeo.ingest.io import WGS84

EARTH_RADIUS_M = 6_371_008.8
BYTES_PER_PAIR = 32  # per directed pair: half an int64 pair from the KD tree, row and column ids, the CSR graph


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


def _tree(X: np.ndarray, metric: str) -> cKDTree:
    """KD tree of ``X``: unit vectors for ``[lat, lon]`` radians (haversine), else ``X`` itself."""
    if metric == "haversine":
        lat, lon = X[:, 0], X[:, 1]
        X = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    return cKDTree(X)


def estimate_pairs(X: np.ndarray, eps_m: float, metric: str, *, sample: int = 2000, seed: int = 0,
                   tree=None) -> float:
    """Expected number of neighbour pairs (self included) within ``eps_m``, from a sample."""
    n = len(X)
    if n == 0:
        return 0.0
    tree = tree or _tree(X, metric)
    idx = np.random.default_rng(seed).choice(n, size=min(sample, n), replace=False)
    counts = tree.query_ball_point(tree.data[idx], r=_radius(eps_m, metric), return_length=True)
    return float(np.mean(counts)) * n


def check_graph_size(X: np.ndarray, eps_m: float, metric: str, max_pairs: int, *, tree=None) -> float:
    """Refuse (``RunError``) a neighbourhood graph larger than ``max_pairs``; return the estimate."""
    est = estimate_pairs(X, eps_m, metric, tree=tree)
    if est > max_pairs:
        # density is per area: pairs grow with eps squared
        suggested = eps_m * np.sqrt(max_pairs / est) * 0.9
        raise RunError(
            f"DBSCAN with eps_m={eps_m:g} would store about {est:,.0f} neighbour pairs "
            f"(~{est * BYTES_PER_PAIR / 1e9:.1f} GB), over the limit of {max_pairs:,} "
            f"(cluster.max_neighbours). Use eps_m <= {suggested:.0f} or raise the limit."
        )
    return est


def neighbourhood_graph(X: np.ndarray, eps_m: float, metric: str, *, risk: np.ndarray | None = None,
                        risk_tolerance: float | None = None, tree=None) -> sparse.csr_matrix:
    """Boolean CSR graph of pairs within ``eps_m`` (and within ``risk_tolerance`` of risk).

    Every point is its own neighbour (the diagonal is set), as in DBSCAN.
    """
    n = len(X)
    tree = tree or _tree(X, metric)
    pairs = tree.query_pairs(r=_radius(eps_m, metric), output_type="ndarray")  # i < j, each pair once
    if risk is not None and risk_tolerance is not None:
        pairs = pairs[np.abs(risk[pairs[:, 0]] - risk[pairs[:, 1]]) <= risk_tolerance + 1e-12]
    diag = np.arange(n)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1], diag])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0], diag])
    return sparse.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(n, n))


def dbscan_labels(graph: sparse.csr_matrix, min_samples: float,
                  sample_weight: np.ndarray | None = None) -> np.ndarray:
    """DBSCAN labels from a boolean neighbourhood graph (self included).

    Equal to ``sklearn.cluster.DBSCAN(metric="precomputed")`` on the same neighbourhoods:
    clusters are numbered in the order of their first core point, and a border point joins the
    earliest-numbered cluster among its core neighbours.
    """
    n = graph.shape[0]
    w = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    weighted = graph.astype(float) @ w
    core = weighted >= min_samples
    labels = np.full(n, -1, dtype=np.int64)
    if not core.any():
        return labels
    core_idx = np.flatnonzero(core)
    sub = graph[core_idx][:, core_idx]
    _, comp = connected_components(sub, directed=False)
    first = np.full(comp.max() + 1, n, dtype=np.int64)
    np.minimum.at(first, comp, core_idx)
    rank = np.empty_like(first)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    labels[core_idx] = rank[comp]
    # border points: the smallest cluster label among their core neighbours
    border_idx = np.flatnonzero(~core)
    if len(border_idx):
        bsub = graph[border_idx][:, core_idx].tocsr()
        has = np.diff(bsub.indptr) > 0
        if has.any():
            vals = labels[core_idx][bsub.indices]
            starts = bsub.indptr[:-1][has]
            labels[border_idx[has]] = np.minimum.reduceat(vals, starts)
    return labels


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
        Refuse a neighbourhood graph larger than this (see :func:`check_graph_size`).
    """
    n = len(X)
    if n == 0:
        return np.zeros(0, dtype=int)
    tree = _tree(X, metric)
    check_graph_size(X, eps_m, metric, max_pairs, tree=tree)
    graph = neighbourhood_graph(X, eps_m, metric, risk=risk, risk_tolerance=risk_tolerance, tree=tree)
    return dbscan_labels(graph, min_samples, sample_weight)


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
    kk = f"{k}-" if k else "k-"
    ax.set_xlabel("TPS (terurut)" if lang == "id" else "TPS (sorted)")
    ax.set_ylabel(f"jarak ke tetangga {kk}terdekat (m)" if lang == "id" else f"distance to {kk}th nearest (m)")
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
        "police_distance": tps["dist_police_m"] > risk.police_km[0] * 1000,
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

