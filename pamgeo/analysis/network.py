"""A routable road graph from plain road lines, built once and shared by rayon and flood code.

OSM road lines (as in Geofabrik extracts) connect where they share a vertex, not wherever they
cross: a flyover crosses the road below it without a junction. The graph therefore splits each
line at vertices that other lines share (and at its ends), which keeps bridges and tunnels
apart. Each edge gets its length and a travel time from a speed per road class (config
``sources.roads.speeds_kmh``); footways and paths are left out unless given a speed. Roads are
treated as two-way: police vehicles on election day respond either way, and the bundle's
``oneway`` tags are too sparse to trust.

Shortest paths use SciPy's sparse Dijkstra from every source at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

DEFAULT_SPEEDS_KMH = {
    "motorway": 60.0, "motorway_link": 40.0, "trunk": 45.0, "trunk_link": 35.0, "primary": 35.0,
    "primary_link": 30.0, "secondary": 30.0, "secondary_link": 25.0, "tertiary": 25.0,
    "tertiary_link": 20.0, "unclassified": 20.0, "residential": 18.0, "living_street": 10.0,
    "service": 12.0, "unknown": 15.0, "road": 15.0, "track": 8.0,
}


@dataclass
class RoadGraph:
    """Nodes, edges and a symmetric sparse matrix of travel times (minutes)."""

    crs: object
    node_xy: np.ndarray          # (n_nodes, 2) metres
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_minutes: np.ndarray
    edge_class: np.ndarray
    edge_line: np.ndarray        # index of the source line
    edge_bridge: np.ndarray      # edge on a bridge (no river-corridor flooding)
    edge_span: np.ndarray        # (n_edges, 2) first/last vertex index into vertex_xy
    vertex_xy: np.ndarray        # every vertex of every kept line, in line order
    matrix: sparse.csr_matrix    # travel time (min) between adjacent nodes, both directions
    component: np.ndarray        # connected component id of each node

    @cached_property
    def _pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted keys ``min(u, v) * n + max(u, v)`` of adjacent node pairs and the fastest edge of each."""
        n = np.int64(self.n_nodes)
        a = np.minimum(self.edge_u, self.edge_v).astype(np.int64)
        b = np.maximum(self.edge_u, self.edge_v).astype(np.int64)
        faster = np.argsort(self.edge_minutes)  # among parallel edges the first here (the fastest) wins
        keys, first = np.unique((a * n + b)[faster], return_index=True)
        return keys, faster[first]

    def edge_between(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The fastest edge between adjacent nodes ``a[i]`` and ``b[i]`` (either order), vectorised.

        Raises ``KeyError`` when a pair is not adjacent.
        """
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        keys, edges = self._pairs
        want = np.minimum(a, b) * np.int64(self.n_nodes) + np.maximum(a, b)
        pos = np.searchsorted(keys, want)
        pos = np.minimum(pos, len(keys) - 1)
        if len(want) and not (keys[pos] == want).all():
            raise KeyError("node pairs without an edge between them")
        return edges[pos]

    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)

    @property
    def n_edges(self) -> int:
        return len(self.edge_u)

    def with_minutes(self, edge_minutes: np.ndarray) -> RoadGraph:
        """The same graph with other edge times (``inf`` closes an edge)."""
        open_ = np.isfinite(edge_minutes)
        m = _matrix(self.edge_u[open_], self.edge_v[open_], edge_minutes[open_], self.n_nodes)
        return RoadGraph(self.crs, self.node_xy, self.edge_u, self.edge_v, self.edge_length_m, edge_minutes,
                         self.edge_class, self.edge_line, self.edge_bridge, self.edge_span, self.vertex_xy, m,
                         connected_components(m, directed=False)[1])

    def snap(self, points: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node of each point and the straight-line distance to it (m)."""
        tree = cKDTree(self.node_xy)
        d, i = tree.query(np.column_stack([points.x.to_numpy(), points.y.to_numpy()]))
        return i, d

    def edge_geometries(self, edges: np.ndarray | None = None) -> np.ndarray:
        """LineStrings of the given edges (all by default)."""
        edges = np.arange(self.n_edges) if edges is None else np.asarray(edges)
        if len(edges) == 0:
            return np.array([], dtype=object)
        span = self.edge_span[edges]
        lengths = span[:, 1] - span[:, 0] + 1
        owner = np.repeat(np.arange(len(edges)), lengths)
        first = np.cumsum(lengths) - lengths  # position of each edge's first vertex in the flat list
        vertex = span[owner, 0] + np.arange(lengths.sum()) - first[owner]
        return shapely.linestrings(self.vertex_xy[vertex], indices=owner)

    def edge_midpoints(self) -> gpd.GeoSeries:
        """Midpoint of every edge along its geometry."""
        geoms = self.edge_geometries()
        return gpd.GeoSeries(shapely.line_interpolate_point(geoms, 0.5, normalized=True), crs=self.crs)

    def edges_frame(self) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame({"u": self.edge_u, "v": self.edge_v, "road_class": self.edge_class,
                                 "length_m": self.edge_length_m, "minutes": self.edge_minutes},
                                geometry=self.edge_geometries(), crs=self.crs)


def _matrix(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> sparse.csr_matrix:
    # parallel edges: keep the fastest (csr sums duplicates, so take the minimum first)
    a, b = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((w, b, a))
    a, b, w = a[order], b[order], w[order]
    first = np.ones(len(a), dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    a, b, w = a[first], b[first], w[first]
    w = np.maximum(w, 1e-9)  # a zero weight would read as "no edge"
    m = sparse.coo_matrix((np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(n, n))
    return m.tocsr()


def build_road_graph(roads: gpd.GeoDataFrame, speeds_kmh: dict[str, float] | None = None,
                     *, class_column: str = "road_class", precision_m: float = 0.01) -> RoadGraph:
    """Node road lines at shared vertices and weight edges by travel time.

    Parameters
    ----------
    roads
        LineStrings in a metric CRS with a road class column.
    speeds_kmh
        Speed per road class; classes without a speed (footway, path, ...) are left out.
    precision_m
        Vertices closer than this are the same node.
    """
    speeds = dict(DEFAULT_SPEEDS_KMH if speeds_kmh is None else speeds_kmh)
    lines = roads[roads.geometry.geom_type == "LineString"]
    speed = lines[class_column].map(speeds).to_numpy(float)
    keep = np.isfinite(speed) & (speed > 0) & (shapely.length(lines.geometry.to_numpy()) > 0)
    lines, speed = lines[keep], speed[keep]
    geoms = lines.geometry.to_numpy()
    xy, line_idx = shapely.get_coordinates(geoms, return_index=True)
    # node identity: rounded coordinates
    key = np.round(xy / precision_m).astype(np.int64)
    _, vid, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    vid = vid.ravel()
    first_v = np.r_[True, line_idx[1:] != line_idx[:-1]]
    last_v = np.r_[line_idx[1:] != line_idx[:-1], True]
    junction = first_v | last_v | (counts[vid] > 1)
    seg = np.hypot(np.diff(xy[:, 0]), np.diff(xy[:, 1]))
    seg[line_idx[1:] != line_idx[:-1]] = 0.0
    cum = np.r_[0.0, np.cumsum(seg)]
    jpos = np.flatnonzero(junction)
    same = line_idx[jpos[1:]] == line_idx[jpos[:-1]]
    a, b = jpos[:-1][same], jpos[1:][same]
    length = cum[b] - cum[a]
    ok = length > 0
    a, b, length = a[ok], b[ok], length[ok]
    # compact node numbering over junction vertices only
    nodes, node_of = np.unique(vid[np.r_[a, b]], return_inverse=True)
    u, v = node_of[: len(a)], node_of[len(a):]
    node_xy = np.zeros((len(nodes), 2))
    node_xy[node_of] = xy[np.r_[a, b]]
    eline = line_idx[a]
    minutes = length / (speed[eline] * 1000.0 / 60.0)
    m = _matrix(u, v, minutes, len(nodes))
    comp = connected_components(m, directed=False)[1]
    bridge = lines["is_bridge"].to_numpy(bool)[eline] if "is_bridge" in lines else np.zeros(len(eline), bool)
    return RoadGraph(roads.crs, node_xy, u, v, length, minutes, lines[class_column].to_numpy()[eline],
                     eline, bridge, np.column_stack([a, b]), xy, m, comp)


def travel_minutes(graph: RoadGraph, source_nodes: np.ndarray, *, limit: float = np.inf
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Minutes from each source node to every node, and the predecessor tree of each.

    Returns ``(minutes, predecessors)`` of shape ``(n_sources, n_nodes)``; unreachable nodes
    have ``inf`` and predecessor ``-9999``.
    """
    dist, pred = dijkstra(graph.matrix, directed=False, indices=np.asarray(source_nodes), return_predecessors=True,
                          limit=limit)
    return np.atleast_2d(dist), np.atleast_2d(pred)


def route(graph: RoadGraph, predecessors: np.ndarray, target: int) -> list[int]:
    """Node path from the source of ``predecessors`` (one row) to ``target`` (empty if none)."""
    path = [int(target)]
    while predecessors[path[-1]] >= 0:
        path.append(int(predecessors[path[-1]]))
    return path[::-1] if len(path) > 1 or predecessors[target] != -9999 else []


def tree_depth(predecessors: np.ndarray) -> np.ndarray:
    """Hops from the source of a shortest-path tree (one row of predecessors) to every node.

    Pointer jumping: ``log2`` of the deepest path in vectorised steps. The source and
    unreachable nodes (no predecessor) have depth 0.
    """
    anc = np.where(predecessors >= 0, predecessors, -1).astype(np.int64)
    depth = (anc >= 0).astype(np.int64)
    live = np.flatnonzero(anc >= 0)
    while len(live):
        up = anc[live]
        # depth[i] counts the hops from i up to anc[i]; jump: add the hops above anc[i]
        depth[live], anc[live] = depth[live] + np.where(up >= 0, depth[up], 0), anc[up]
        live = live[anc[live] >= 0]
    return depth


def tree_sum(graph: RoadGraph, minutes: np.ndarray, predecessors: np.ndarray, edge_values: np.ndarray) -> np.ndarray:
    """Sum of ``edge_values`` along the shortest-time tree of one source, for every node.

    ``minutes`` and ``predecessors`` are one row of :func:`travel_minutes`; unreachable nodes
    get ``inf``. With edge lengths this is the route length; with 0/1 flags, how many flagged
    edges the route crosses. Vectorised level by level from the source (each node adds its
    edge to its parent's sum, so the sums are the same as walking each route).
    """
    out = np.full(graph.n_nodes, np.inf)
    reached = np.isfinite(minutes)
    out[reached & (predecessors < 0)] = 0.0  # the source
    child = np.flatnonzero(reached & (predecessors >= 0))
    if not len(child):
        return out
    parent = predecessors[child].astype(np.int64)
    value = np.asarray(edge_values, dtype=float)[graph.edge_between(child, parent)]
    depth = tree_depth(predecessors)[child]
    order = np.argsort(depth, kind="stable")
    child, parent, value, depth = child[order], parent[order], value[order], depth[order]
    bounds = np.flatnonzero(np.diff(depth)) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(child)], strict=True):
        out[child[lo:hi]] = out[parent[lo:hi]] + value[lo:hi]
    return out


def route_lines(graph: RoadGraph, predecessors: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Road geometry from the source of ``predecessors`` (one row) to each target node, vectorised.

    Each hop follows its fastest edge (:meth:`RoadGraph.edge_between`), oriented from the source
    side. Returns one LineString per target, or None where there is no route (the source itself,
    or unreachable). All routes are walked together, one hop per step up their trees.
    """
    targets = np.asarray(targets, dtype=np.int64)
    out = np.full(len(targets), None, dtype=object)
    owner, child = np.flatnonzero(predecessors[targets] >= 0), targets[predecessors[targets] >= 0]
    hops_owner, hops_child, hops_step = [], [], []
    step = 0
    while len(owner):
        hops_owner.append(owner)
        hops_child.append(child)
        hops_step.append(np.full(len(owner), step))
        child = predecessors[child].astype(np.int64)
        more = predecessors[child] >= 0
        owner, child, step = owner[more], child[more], step + 1
    if not hops_owner:
        return out
    owner, child, step = np.concatenate(hops_owner), np.concatenate(hops_child), np.concatenate(hops_step)
    order = np.lexsort((-step, owner))  # per route, from the source to the target
    owner, child = owner[order], child[order]
    parent = predecessors[child].astype(np.int64)
    e = graph.edge_between(child, parent)
    lo, hi = graph.edge_span[e, 0], graph.edge_span[e, 1]
    forward = graph.edge_u[e] == parent
    first = np.r_[True, owner[1:] != owner[:-1]]
    skip = np.where(first, 0, 1)  # a later hop starts at the vertex the one before it ended on
    count = hi - lo + 1 - skip
    hop = np.repeat(np.arange(len(e)), count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + skip[hop]
    vertex = np.where(forward[hop], lo[hop] + k, hi[hop] - k)
    routed, line_of = np.unique(owner[hop], return_inverse=True)
    out[routed] = shapely.linestrings(graph.vertex_xy[vertex], indices=line_of)
    return out
