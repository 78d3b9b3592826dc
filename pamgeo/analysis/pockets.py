"""Pockets of risk: DBSCAN by risk and geography, with distances in metres.

:func:`risk_dbscan` is DBSCAN computed with SciPy, label for label what scikit-learn's
``DBSCAN`` returns on the same neighbourhoods:

* two TPS are neighbours when they are within ``eps_m`` metres (great-circle distance, or in
  the region's metric CRS) **and** their risk scores differ by at most ``risk_tolerance``;
* core points are decided on weighted counts (``sample_weight``, the point itself included), so
  a sangat rawan TPS counts for more than a kurang rawan one;
* clusters are the connected components of the core points, numbered in the order of their
  lowest-index core point; a border point (not core, within reach of cores) takes the lowest
  number among the clusters it touches. That is scikit-learn's ``dbscan_inner``: it grows
  clusters from the lowest unlabelled core point on, and a border point keeps the first label
  it gets. (The tests check the labels, numbers included, against scikit-learn and against a
  textbook DBSCAN.)

Great-circle neighbourhoods come from a KD tree on unit vectors, where the straight chord
``2 sin(d / 2R)`` grows with the great-circle distance ``d``, so a chord radius finds exactly
the haversine neighbourhood.

Why not scikit-learn's DBSCAN: its memory, measured on 820,000 synthetic TPS
(``bench/bench_cluster.py``). ``DBSCAN(metric="haversine")`` holds every neighbourhood as an
int64 array of its own, all at once; ``DBSCAN(metric="precomputed")`` copies a sparse graph three
times and widens its indices to int64, so pamgeo's compact graph handed to it peaked at 1.8
times plain scikit-learn's memory. Here no array of all pairs is ever held. The points are cut
into slabs along the widest axis, of about equal expected pairs; each slab's pairs are found in
a KD tree of the slab and a halo of one radius each side, and of them only what DBSCAN needs is
kept: the weighted neighbour counts of the slab's points (so the core mask), a spanning forest
of its core-core pairs (each core point linked to the lowest point of its component, see
:func:`_lowest`) and its border-core pairs. A slab's pairs wait (as int32) until the slabs beyond
have counted the points at their far ends. The forests of all slabs then give the clusters, in
one pass over about one edge per core point.

Measured there (medians of interleaved fresh processes): about 0.15-0.3x the time of
scikit-learn and 0.4x its peak RSS (0.3x the RSS growth of the call), with identical labels.

Before anything is built the pairs are estimated from a sample (:func:`check_graph_size`): more
pairs than ``max_pairs`` means more, thinner slabs, and only what the machine's available memory
cannot hold even in the thinnest slabs is refused, with an eps that would fit.

scikit-learn is not needed here; the tests and the bench compare with it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from itertools import pairwise

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from pamgeo.core.config import ClusterParams, RiskParams
from pamgeo.core.errors import RunError
from pamgeo.core.i18n import t, tf
from pamgeo.core.vocabulary import CLASSES
from pamgeo.ingest.io import WGS84

EARTH_RADIUS_M = 6_371_008.8
# Peak memory of a risk_dbscan call above what the process held before it (peak-RSS growth): per
# point, and per directed pair besides a point's own found in the largest slab (query_pairs'
# int64 output and its buffer, int32 copies, the risk filter, the waiting pairs, the forest
# rounds). Measured with `bench/bench_cluster.py --memory-model` (fresh processes, 50k-820k points
# of the bench's synthetic TPS, eps 150-1000 m, 1-31 slabs, plain and risk + weights): growth
# <= 60 B/point + 28 B/pair; rounded up, since a slab's pairs are an estimate (the densest slab
# held up to 1.4x its estimate).
BYTES_PER_PAIR = 32
BYTES_PER_POINT = 80
CHUNK_PAIRS = 4_000_000  # most pairs found at once (one slab), whatever max_pairs allows
MEMORY_HEADROOM = 0.8  # use at most this share of the available memory
SAMPLE = 2000  # points whose neighbours are counted to estimate the pairs
HALO_SLACK = 1.0 + 1e-9  # a slab's halo reaches a hair beyond the radius, against rounding
MERGE_ROUNDS = 32  # rounds of merging components in numpy before SciPy takes the rest


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
    return np.ascontiguousarray(X, dtype=float)


def _tree(X: np.ndarray, metric: str) -> cKDTree:
    """KD tree of ``X``: unit vectors for ``[lat, lon]`` radians (haversine), else ``X`` itself."""
    return cKDTree(_unit(X, metric))


def _sample_counts(tree: cKDTree, r: float, *, sample: int = SAMPLE, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A random sample of the tree's points (indices) and their neighbour counts within ``r`` (self included)."""
    n = len(tree.data)
    idx = np.random.default_rng(seed).choice(n, size=min(sample, n), replace=False)
    return idx, np.asarray(tree.query_ball_point(tree.data[idx], r=r, return_length=True), dtype=np.int64)


def estimate_pairs(X: np.ndarray, eps_m: float, metric: str, *, sample: int = SAMPLE, seed: int = 0,
                   tree: cKDTree | None = None) -> float:
    """Expected number of directed neighbour pairs (self included) within ``eps_m``, from a sample.

    The risk term is left out, so this is an upper bound of the pairs DBSCAN uses.
    """
    n = len(X)
    if n == 0:
        return 0.0
    if tree is None:
        tree = _tree(X, metric)
    _, counts = _sample_counts(tree, _radius(eps_m, metric), sample=sample, seed=seed)
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
    """Peak memory (bytes) of :func:`risk_dbscan` over ``n`` points finding ``pairs`` pairs in its largest slab."""
    return pairs * BYTES_PER_PAIR + n * BYTES_PER_POINT


@dataclass(frozen=True)
class GraphPlan:
    """What :func:`check_graph_size` decided: the estimate, its memory and how many slabs."""

    pairs: float      # estimated directed pairs, self included (risk term not counted)
    bytes: float      # estimated peak memory of clustering
    available: float  # memory available
    chunks: int       # slabs the points are cut into


def _size(nbytes: float) -> str:
    return f"{nbytes / 1e9:.1f} GB" if nbytes >= 1e8 else f"{nbytes / 1e6:.1f} MB"


def _slab_share(r: float, extent: float, chunks: int) -> float:
    """Expected share of all pairs found in one of ``chunks`` slabs, each with a halo of ``r`` each side."""
    if chunks <= 1 or extent <= 0:
        return 1.0
    return min(1.0, 1.0 / chunks + 2.0 * r / extent)


def _most_chunks(r: float, extent: float, n: int) -> int:
    """Most slabs worth cutting: none thinner than the radius (then halos hold most pairs), none empty."""
    if r <= 0:
        return max(1, n)
    return max(1, min(n, math.floor(extent / r)))


def _fitting_eps(X: np.ndarray, eps_m: float, metric: str, tree: cKDTree, est: float, room: float,
                 extent: float) -> float | None:
    """The largest eps (about) whose pairs, in the thinnest slabs, stay within ``room`` pairs.

    Pairs besides a point's own grow with eps squared where points spread over an area, and the
    share of them in the thinnest slab with eps; where eps nears the points' extent they grow
    more slowly, so each guess is checked with a new estimate.
    """
    n = len(X)
    if room <= 0:
        return None
    eps = eps_m
    for _ in range(40):
        r = _radius(eps, metric)
        held = max(est - n, 0.0) * _slab_share(r, extent, _most_chunks(r, extent, n))
        if held <= room:
            return eps
        eps *= (room / held) ** (1 / 3) * 0.95
        est = estimate_pairs(X, eps, metric, tree=tree)
    return None


def check_graph_size(X: np.ndarray, eps_m: float, metric: str, max_pairs: int, *, tree: cKDTree | None = None,
                     memory_limit: float | None = None) -> GraphPlan:
    """Plan the slabs: at most ``max_pairs`` pairs found at once; refuse what memory cannot hold.

    A high estimate is no reason to refuse: the points are cut into more slabs. Only when even
    the thinnest slabs (one radius thick) would take the estimated peak memory
    (:func:`graph_bytes`) over ``MEMORY_HEADROOM`` of ``memory_limit`` (default: the memory
    available now, :func:`available_memory`) is it refused (``RunError``), with an eps that fits.
    """
    n = len(X)
    if tree is None:
        tree = _tree(X, metric)
    est = estimate_pairs(X, eps_m, metric, tree=tree)
    avail = float(available_memory() if memory_limit is None else memory_limit)
    budget = avail * MEMORY_HEADROOM
    r = _radius(eps_m, metric)
    extent = float(np.ptp(tree.data, axis=0).max()) if n else 0.0
    others = max(est - n, 0.0)  # a slab holds the pairs besides each point's own
    room = (budget - n * BYTES_PER_POINT) / BYTES_PER_PAIR  # pairs one slab may hold
    most = _most_chunks(r, extent, n)
    chunks = min(most, max(1, math.ceil(est / max(1, min(int(max_pairs), CHUNK_PAIRS)))))
    if others * _slab_share(r, extent, chunks) > room:
        if others * _slab_share(r, extent, most) > room:
            need = graph_bytes(others * _slab_share(r, extent, most), n)
            fit = _fitting_eps(X, eps_m, metric, tree, est, room, extent)
            fits = (f"Use eps_m <= {math.floor(fit)}" if fit is not None and fit >= 1
                    else "No eps fits: not even the points alone; cluster fewer TPS")
            raise RunError(
                f"DBSCAN with eps_m={eps_m:g} would find about {est:,.0f} neighbour pairs over {n:,} TPS, "
                f"~{_size(need)} at peak even in slabs, more than this machine can spare "
                f"({MEMORY_HEADROOM:.0%} of {_size(avail)} available). {fits} "
                f"or run on a machine with more memory."
            )
        spare = room / others - (2.0 * r / extent if extent > 0 else 1.0)
        chunks = min(most, max(chunks, math.ceil(1.0 / spare)))
    return GraphPlan(pairs=est, bytes=graph_bytes(others * _slab_share(r, extent, chunks), n),
                     available=avail, chunks=chunks)


def _layout(data: np.ndarray, r: float, chunks: int, tree: cKDTree | None = None
            ) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """Slabs along the widest axis: the points' order along it and ``(lo, hi, e0, e1)`` per slab.

    Slab ``order[lo:hi]`` has its halo in ``order[e0:e1]`` (one radius each side), which holds
    every neighbour of the slab. With ``tree`` (over ``data``, in its order) the slabs hold about
    equal expected pairs, from a sample of neighbour counts; without, equal numbers of points.
    One slab is all points in input order, without sorting.
    """
    n = len(data)
    chunks = max(1, min(int(chunks), n))
    if chunks == 1:
        return np.arange(n), [(0, n, 0, n)]
    axis = int(np.argmax(np.ptp(data, axis=0)))
    order = np.argsort(data[:, axis], kind="stable")
    key = data[order, axis]
    if tree is None:
        cuts = np.linspace(0, n, chunks + 1)
    else:  # cumulative expected pairs along the axis, each sampled point at its position
        idx, counts = _sample_counts(tree, r)
        pos = np.searchsorted(key, data[idx, axis])
        by = np.argsort(pos, kind="stable")
        pos, counts = pos[by], counts[by].astype(float)
        cum = np.cumsum(counts)
        xp = np.concatenate([[0.0], cum - counts / 2, [cum[-1]]])
        fp = np.concatenate([[0.0], pos + 0.5, [float(n)]])
        cuts = np.interp(np.linspace(0.0, cum[-1], chunks + 1), xp, fp)
    bounds = np.unique(np.concatenate([[0], cuts.round().astype(np.int64), [n]])).tolist()
    h = r * HALO_SLACK
    return order, [(lo, hi, int(np.searchsorted(key, key[lo] - h, "left")),
                    int(np.searchsorted(key, key[hi - 1] + h, "right")))
                   for lo, hi in pairwise(bounds)]


def _slab_pairs(data: np.ndarray, idx: np.ndarray, r: float, risk: np.ndarray | None, tol: float | None,
                tree: cKDTree | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(a, b)``, ``a < b``, of points ``idx`` within ``r`` and ``tol`` of risk, as int32 positions in ``idx``.

    ``tree``, when given, is a tree of ``data[idx]`` (the caller's, reused for a single slab).
    """
    if tree is None:
        tree = cKDTree(data[idx])
    found = tree.query_pairs(r=r, output_type="ndarray")
    a, b = found[:, 0].astype(np.int32), found[:, 1].astype(np.int32)
    del found
    if risk is not None and tol is not None:
        near = risk[idx]
        keep = np.abs(near[a] - near[b]) <= tol + 1e-12
        a, b = a[keep], b[keep]
    return a, b


def _graph_rows(a: np.ndarray, b: np.ndarray, order: np.ndarray, lo: int, hi: int, e0: int,
                n: int) -> sparse.csr_matrix:
    """Rows ``order[lo:hi]`` (the slab) of the neighbourhood graph from its pairs, as a ``(hi - lo, n)`` CSR.

    Each pair becomes one or two directed edges, from whichever end lies in the slab; each slab
    point also gets its own edge (the diagonal).
    """
    m, shift = hi - lo, lo - e0
    rows, cols = [np.arange(m)], [order[lo:hi]]
    for x, y in ((a, b), (b, a)):
        own = (x >= shift) & (x < shift + m)
        rows.append(x[own] - shift)
        cols.append(order[y[own] + e0])
    coo = sparse.coo_matrix((np.zeros(sum(map(len, rows)), dtype=bool),
                             (np.concatenate(rows).astype(np.int32), np.concatenate(cols).astype(np.int32))),
                            shape=(m, n))
    return coo.tocsr()  # counting sort by row (C), columns sorted within rows


def neighbourhood_graph(X: np.ndarray, eps_m: float, metric: str, *, risk: np.ndarray | None = None,
                        risk_tolerance: float | None = None, tree: cKDTree | None = None,
                        chunks: int = 1) -> sparse.csr_matrix:
    """Boolean CSR graph (int32 indices) of pairs within ``eps_m`` and within ``risk_tolerance`` of risk.

    :func:`risk_dbscan` does not need it; it is the graph that scikit-learn's
    ``DBSCAN(metric="precomputed")`` takes for the same neighbourhoods (tests, bench). Stored
    entries are the neighbours (their value ``False`` reads as distance 0); every point is its
    own neighbour (the diagonal is stored). Built in ``chunks`` slabs of about equal size.
    """
    n = len(X)
    if n >= 2**31 - 1:
        raise RunError(f"{n:,} points are more than a graph with int32 indices can hold")
    r = _radius(eps_m, metric)
    data = tree.data if tree is not None else _unit(X, metric)
    order, slabs = _layout(data, r, chunks)
    counts = np.zeros(n, dtype=np.int64)
    parts = []
    for lo, hi, e0, e1 in slabs:
        a, b = _slab_pairs(data, order[e0:e1], r, risk, risk_tolerance, tree if len(slabs) == 1 else None)
        part = _graph_rows(a, b, order, lo, hi, e0, n)
        del a, b
        counts[order[lo:hi]] = np.diff(part.indptr)
        parts.append((lo, hi, part))
    nnz = int(counts.sum())
    if nnz >= 2**31 - 1:
        raise RunError(f"{nnz:,} neighbour pairs are more than a graph with int32 indices can hold")
    if len(parts) == 1:
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


def _weighted_counts(a: np.ndarray, b: np.ndarray, m: int, weight: np.ndarray | None) -> np.ndarray:
    """Weighted neighbour count (self included) of each of ``m`` points from their pairs ``(a, b)``."""
    if weight is None:
        return np.bincount(a, minlength=m) + np.bincount(b, minlength=m) + 1
    return (np.bincount(a, weights=weight[b], minlength=m) + np.bincount(b, weights=weight[a], minlength=m)
            + weight)


def _lowest(a: np.ndarray, b: np.ndarray, m: int) -> np.ndarray:
    """The lowest node of each node's connected component, for undirected edges ``(a, b)`` over ``m`` nodes.

    Components are merged in rounds: every component's root (its lowest node) hooks onto the
    lowest root it has an edge to, pointers are then jumped until each node points at its root,
    and edges inside one component are dropped. A round leaves one component per component that
    had no lower neighbour, so the edges left shrink fast (a few rounds on TPS); should
    ``MERGE_ROUNDS`` not do, :func:`scipy.sparse.csgraph.connected_components` ends the work.
    """
    root = np.arange(m, dtype=np.int32)
    for _ in range(MERGE_ROUNDS):
        if not len(a):
            return root
        np.minimum.at(root, np.maximum(a, b), np.minimum(a, b))
        while True:
            up = root[root]
            if np.array_equal(up, root):
                break
            root = up
        a, b = root[a], root[b]
        apart = a != b
        a, b = a[apart], b[apart]
    if not len(a):
        return root
    _, comp = connected_components(sparse.coo_matrix((np.ones(len(a), dtype=bool), (a, b)), shape=(m, m)),
                                   directed=False)
    roots = np.flatnonzero(root == np.arange(m))  # the other nodes have no edge left
    lowest = np.full(comp.max() + 1, m, dtype=np.int64)
    np.minimum.at(lowest, comp[roots], roots)
    return lowest[comp[root]].astype(np.int32)


def _settle(core: np.ndarray, lo: int, e1: int, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A slab's pairs ``(a, b)`` (positions in ``[lo, e1)``), once ``core`` is known for all of them.

    Returns the slab's spanning forest of core points, as edges from each core point to the
    lowest position of its component by core-core pairs (:func:`_lowest`), and its border-core
    pairs as ``(border, core)`` rows; both int32 positions, shape ``(2, k)``.
    """
    ca, cb = core[a], core[b]
    one = ca != cb
    a1, b1, c1 = a[one], b[one], ca[one]
    border = np.stack([np.where(c1, b1, a1), np.where(c1, a1, b1)])
    del a1, b1, c1, one
    both = ca & cb
    del ca, cb
    root = _lowest(a[both] - lo, b[both] - lo, e1 - lo)
    linked = np.flatnonzero(root != np.arange(e1 - lo))
    forest = np.stack([linked + lo, root[linked] + lo]).astype(np.int32)
    return forest, border


def _core_forest(data: np.ndarray, order: np.ndarray, slabs: list[tuple[int, int, int, int]], r: float,
                 min_samples: float, risk: np.ndarray | None, tol: float | None, weight: np.ndarray | None,
                 tree: cKDTree | None) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """DBSCAN's core mask, spanning forests and border-core pairs, slab by slab (positions in ``order``).

    A slab's tree (slab and halo) holds all neighbours of the slab's points, so their weighted
    counts are complete and each point is counted once, in its own slab. A pair belongs to the
    slab of its lower position; it waits, as int32, until the points at its far end have been
    counted too (the slabs that cover its halo), and is then settled (:func:`_settle`).
    """
    n = len(order)
    core = np.zeros(n, dtype=bool)
    forests: list[np.ndarray] = []
    borders: list[np.ndarray] = []
    waiting: list[tuple[int, int, np.ndarray, np.ndarray]] = []
    for lo, hi, e0, e1 in slabs:
        idx = order[e0:e1]
        a, b = _slab_pairs(data, idx, r, risk, tol, tree)
        counts = _weighted_counts(a, b, e1 - e0, None if weight is None else weight[idx])
        core[lo:hi] = counts[lo - e0:hi - e0] >= min_samples
        del counts, idx
        own = a < hi - e0 if lo == e0 else (a >= lo - e0) & (a < hi - e0)
        waiting.append((lo, e1, a[own] + e0, b[own] + e0))
        del a, b, own
        while waiting and waiting[0][1] <= hi:
            forest, border = _settle(core, *waiting.pop(0))
            forests.append(forest)
            borders.append(border)
    return core, forests, borders


def _number(order: np.ndarray, core: np.ndarray, forests: list[np.ndarray], borders: list[np.ndarray]) -> np.ndarray:
    """Labels by input index: clusters numbered by their lowest core index, border points by the lowest cluster they touch."""
    n = len(order)
    edges = np.concatenate(forests, axis=1)
    root = _lowest(edges[0], edges[1], n)
    del edges
    cores = np.flatnonzero(core)
    first = np.full(n, n, dtype=np.int64)  # lowest input index of a core point, per root
    np.minimum.at(first, root[cores], order[cores])
    used = np.flatnonzero(first < n)
    number = np.empty(n, dtype=np.intp)
    number[used[np.argsort(first[used])]] = np.arange(len(used))
    labels = np.full(n, -1, dtype=np.intp)
    labels[cores] = number[root[cores]]
    del root, cores, first, number
    touch = np.concatenate(borders, axis=1)
    if touch.shape[1]:
        best = np.full(n, n, dtype=np.intp)
        np.minimum.at(best, touch[0], labels[touch[1]])
        reached = best < n
        labels[reached] = best[reached]
    out = np.empty(n, dtype=np.intp)
    out[order] = labels
    return out


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

    The labels, numbers included, are scikit-learn's ``DBSCAN(...).labels_`` for the same
    neighbourhoods (exactly so with weights whose sums are exact, such as whole numbers).

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
        Most pairs to find in one slab (more slabs above it; see :func:`check_graph_size`).
    memory_limit
        Bytes the clustering may use; default the memory available now.

    Returns
    -------
    numpy.ndarray
        One label per point (``intp``): clusters ``0, 1, ...``, noise ``-1``.
    """
    n = len(X)
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    if n >= 2**31 - 1:
        raise RunError(f"{n:,} points are more than int32 positions can hold")
    data = _unit(X, metric)
    tree = cKDTree(data)
    plan = check_graph_size(X, eps_m, metric, max_pairs, tree=tree, memory_limit=memory_limit)
    r = _radius(eps_m, metric)
    order, slabs = _layout(data, r, plan.chunks, tree)
    if len(slabs) > 1:
        tree = None  # each slab has its own
    weight = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
    scores = None if risk is None or risk_tolerance is None else np.asarray(risk, dtype=float)
    core, forests, borders = _core_forest(data, order, slabs, r, min_samples, scores, risk_tolerance, weight, tree)
    del tree
    return _number(order, core, forests, borders)


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


def _by_share(share: np.ndarray) -> np.ndarray:
    """Positions of ``share`` from the largest down, ties as ``pd.Series.sort_values(ascending=False)`` orders them.

    pandas sorts descending as the reverse of an ascending ``argsort`` of the reversed values.
    """
    return (len(share) - 1 - share[::-1].argsort(kind="quicksort"))[::-1]


def _summarise(members: gpd.GeoDataFrame, flags: pd.DataFrame, rlab: dict[str, str],
               buffer_m: float) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """One table row and one buffered hull per pocket (sorted by pocket id) of the TPS in pockets.

    The values are those of a per-pocket ``groupby`` loop, computed the same way (the same sums
    over each pocket's TPS in their order, the same sort of reasons), but the hulls, centroids
    and class counts of all pockets at once.
    """
    crs = members.crs
    ids, code = np.unique(members["pocket_id"].to_numpy(dtype=object), return_inverse=True)
    by = np.argsort(code, kind="stable")  # pocket by pocket, each in the TPS order
    code = code[by]
    bounds = np.searchsorted(code, np.arange(len(ids) + 1)).tolist()
    hulls = shapely.buffer(shapely.convex_hull(shapely.multipoints(members.geometry.to_numpy()[by], indices=code)),
                           buffer_m, quad_segs=16)  # as geometry.buffer (shapely.buffer's default is 8)
    centroids = gpd.GeoSeries(shapely.centroid(hulls), crs=crs).to_crs(WGS84)
    classes = pd.Index(CLASSES).get_indexer(members["risk_class"].to_numpy()[by])  # -1: none of CLASSES
    counts = np.zeros((len(ids), len(CLASSES)), dtype=np.int64)
    np.add.at(counts, (code[classes >= 0], classes[classes >= 0]), 1)
    flagged = flags.to_numpy(dtype=bool)[by]
    scores = members["risk_score"].to_numpy(dtype=float)[by]
    n_kel = members.groupby("pocket_id", sort=True)["kode_kel"].nunique().reindex(ids).to_numpy()
    text = {col: members[col].to_numpy(dtype=object)[by] for col in ("kecamatan", "kelurahan", "tps_id")}
    cx, cy = centroids.x.to_numpy(), centroids.y.to_numpy()
    reasons = [rlab[col] for col in flags.columns]
    rows = []
    for i, pid in enumerate(ids):
        lo, hi = bounds[i], bounds[i + 1]
        share = flagged[lo:hi].sum(axis=0, dtype=np.int64) / float(hi - lo)  # = the flags' mean
        dominant = [f"{reasons[k]} ({share[k]:.0%})" for k in _by_share(share) if share[k] > 0][:3]
        rows.append({
            "pocket_id": pid, "n_tps": hi - lo,
            **{f"n_{cls}": int(counts[i, j]) for j, cls in enumerate(CLASSES)},
            "mean_score": round(float(scores[lo:hi].sum() / float(hi - lo)), 3),  # = Series.mean
            "max_score": round(float(scores[lo:hi].max()), 3),
            "dominant_reasons": "; ".join(dominant),
            "kecamatan": ", ".join(sorted(set(text["kecamatan"][lo:hi]))),
            "kelurahan": ", ".join(sorted(set(text["kelurahan"][lo:hi]))),
            "n_kelurahan": int(n_kel[i]),
            "area_km2": round(hulls[i].area / 1e6, 3),
            "centroid_lat": round(float(cy[i]), 6), "centroid_lon": round(float(cx[i]), 6),
            "tps_ids": " ".join(sorted(text["tps_id"][lo:hi])),
        })
    table = pd.DataFrame(rows)
    polygons = gpd.GeoDataFrame(pd.DataFrame({"pocket_id": list(ids), "geometry": list(hulls)}),
                                geometry="geometry", crs=crs)
    return table, polygons.merge(table.drop(columns=["tps_ids"]), on="pocket_id")


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
    table, polygons = _summarise(members, reason_flags(members, risk), REASON_LABELS.get(lang, REASON_LABELS["id"]),
                                 params.hull_buffer_m)
    return Pockets(labels, polygons, table)

