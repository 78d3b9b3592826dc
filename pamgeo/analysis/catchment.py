"""Rayon catchments: which rayon and Polsek covers each TPS, and how fast the reserve arrives.

Three methods share one output (:class:`Catchments`): polygons per rayon and per Polsek, and a
TPS -> rayon / Polsek assignment.

``administrative``
    A Polsek covers the kecamatan listed under ``police.coverage`` (which may lie outside the
    kota: ``police.outside_kecamatan`` supplies their boundaries); a rayon is the union of its
    Polsek.
``voronoi``
    Rayon cells around the rayon staging points, Polsek cells around the Polsek, clipped to the
    Polres area (each TPS goes to the nearest point in a straight line).
``travel_time``
    On the road graph (:mod:`pamgeo.analysis.network`), every road node goes to the staging point (or
    Polsek) it is fastest from; polygons are the union of the nodes' Voronoi cells.

:func:`reserve_response` then gives every TPS the reserve's travel time and route length from
its rayon's staging point, flags rawan and sangat rawan TPS beyond ``police.response_min``, and
keeps the routes to them for the map. TPS the road graph cannot reach are "unreachable".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from pamgeo.analysis.network import RoadGraph, route_lines, travel_minutes, tree_sum
from pamgeo.core.config import Police
from pamgeo.core.errors import RunError


@dataclass
class Catchments:
    """Catchment polygons and the TPS assignment of one method."""

    method: str
    rayon: gpd.GeoDataFrame        # rayon, geometry
    polsek: gpd.GeoDataFrame       # polsek, rayon, geometry
    assignment: pd.DataFrame       # per TPS (same index): rayon, polsek
    isochrones: gpd.GeoDataFrame | None = None  # band_min, geometry (travel_time only)


@dataclass
class Areas:
    """The region-level half of a catchment method: its polygons and what assigns a TPS to them.

    Built once per region (:func:`administrative_areas`, :func:`voronoi_areas`,
    :func:`travel_time_areas`); :func:`assign` then places any TPS list.
    """

    method: str
    rayon: gpd.GeoDataFrame
    polsek: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame | None = None
    polsek_of_kec: dict[str, str] | None = None   # administrative: kode_kec -> Polsek
    rayon_of: dict[str, str] | None = None        # Polsek -> rayon
    polsek_points: gpd.GeoDataFrame | None = None  # voronoi: nearest Polsek in a straight line
    staging: gpd.GeoDataFrame | None = None        # voronoi: nearest staging point
    node_rayon: np.ndarray | None = None           # travel_time: rayon of every road node
    node_polsek: np.ndarray | None = None          # travel_time: Polsek of every road node


def police_area(kecamatan: gpd.GeoDataFrame, outside: gpd.GeoDataFrame | None = None):
    """The Polres area: the kota's kecamatan plus covered kecamatan outside it."""
    parts = [kecamatan[["kode_kec", "kecamatan", "geometry"]]]
    if outside is not None and not outside.empty:
        parts.append(outside[["kode_kec", "kecamatan", "geometry"]].to_crs(kecamatan.crs))
    allkec = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=kecamatan.crs)
    return allkec, allkec.geometry.union_all()


def unit_points(police: Police, posts: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Polsek points (with their rayon) and rayon staging points, from the police units table."""
    by_unit = posts.drop_duplicates("unit").set_index("unit").geometry
    rayon_of = {p: r.name for r in police.rayons for p in r.polsek}
    missing = [u for u in [*police.coverage, *(r.staging for r in police.rayons)] if u not in by_unit.index]
    if missing:
        raise RunError(f"police units {sorted(set(missing))} are in the region config but not in the police "
                       "units table (sources.police_posts). Fix: add them to the table or the config.")
    polsek = gpd.GeoDataFrame({"polsek": list(police.coverage), "rayon": [rayon_of.get(u) for u in police.coverage]},
                              geometry=[by_unit[u] for u in police.coverage], crs=posts.crs)
    staging = gpd.GeoDataFrame({"rayon": [r.name for r in police.rayons], "staging": [r.staging for r in police.rayons]},
                               geometry=[by_unit[r.staging] for r in police.rayons], crs=posts.crs)
    return polsek, staging


def administrative_areas(kecamatan: gpd.GeoDataFrame, police: Police) -> Areas:
    """Polsek areas as the union of the kecamatan each covers; a rayon as the union of its Polsek."""
    rayon_of = {p: r.name for r in police.rayons for p in r.polsek}
    polsek_of_kec = {c: unit for unit, codes in police.coverage.items() for c in codes}
    kec = kecamatan.assign(polsek=kecamatan["kode_kec"].map(polsek_of_kec))
    kec = kec[kec["polsek"].notna()]
    pol = kec.dissolve(by="polsek", as_index=False)[["polsek", "geometry"]]
    pol["rayon"] = pol["polsek"].map(rayon_of)
    ray = pol[pol["rayon"].notna()].dissolve(by="rayon", as_index=False)[["rayon", "geometry"]]
    return Areas("administrative", ray, pol[["polsek", "rayon", "geometry"]], polsek_of_kec=polsek_of_kec,
                 rayon_of=rayon_of)


def administrative(tps: gpd.GeoDataFrame, kecamatan: gpd.GeoDataFrame, police: Police) -> Catchments:
    """Catchments as the union of the kecamatan each Polsek covers."""
    return assign(tps, administrative_areas(kecamatan, police))


def _voronoi_cells(points: gpd.GeoDataFrame, label: str, area) -> gpd.GeoDataFrame:
    pts = shapely.MultiPoint(list(points.geometry))
    cells = shapely.voronoi_polygons(pts, extend_to=area.envelope.buffer(1000))
    cells = list(shapely.get_parts(cells))
    tree = cKDTree(np.column_stack([points.geometry.x, points.geometry.y]))
    # match each cell to the point inside it
    reps = shapely.point_on_surface(cells)
    _, owner = tree.query(np.column_stack([shapely.get_x(reps), shapely.get_y(reps)]))
    out = gpd.GeoDataFrame({label: points[label].to_numpy()[owner]}, geometry=cells, crs=points.crs)
    out["geometry"] = out.geometry.intersection(area)
    return out.dissolve(by=label, as_index=False)


def voronoi_areas(polsek_pts: gpd.GeoDataFrame, staging: gpd.GeoDataFrame, area) -> Areas:
    """Straight-line cells around staging points (rayon) and Polsek (Polsek level), in the Polres area."""
    ray = _voronoi_cells(staging, "rayon", area)
    pol = _voronoi_cells(polsek_pts, "polsek", area)
    pol["rayon"] = pol["polsek"].map(dict(zip(polsek_pts["polsek"], polsek_pts["rayon"], strict=True)))
    return Areas("voronoi", ray[["rayon", "geometry"]], pol[["polsek", "rayon", "geometry"]],
                 polsek_points=polsek_pts, staging=staging)


def voronoi(tps: gpd.GeoDataFrame, polsek_pts: gpd.GeoDataFrame, staging: gpd.GeoDataFrame, area) -> Catchments:
    """Straight-line catchments around staging points (rayon) and Polsek (Polsek level)."""
    return assign(tps, voronoi_areas(polsek_pts, staging, area))


@dataclass
class Network:
    """The routable part of the road graph with node snapping restricted to it."""

    graph: RoadGraph
    main: np.ndarray = field(init=False)  # node ids of the largest connected component
    # KD tree of the nodes of ``main`` (built on first use, again if ``main`` is replaced)
    _tree: tuple[np.ndarray, cKDTree] | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        comp = self.graph.component
        self.main = np.flatnonzero(comp == np.bincount(comp).argmax())

    def snap(self, points: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node of the main component and the distance to it (m)."""
        if len(points) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        if self._tree is None or self._tree[0] is not self.main:
            self._tree = (self.main, cKDTree(self.graph.node_xy[self.main]))
        d, i = self._tree[1].query(np.column_stack([points.x.to_numpy(), points.y.to_numpy()]))
        return self.main[i], d


def _node_voronoi(net: Network, area) -> tuple[list, np.ndarray]:
    """Voronoi cells of the main-component nodes and, per cell, the graph id of its node."""
    xy = net.graph.node_xy[net.main]
    cells = list(shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(xy), extend_to=area.envelope.buffer(1000))))
    reps = shapely.point_on_surface(cells)
    _, owner = cKDTree(xy).query(np.column_stack([shapely.get_x(reps), shapely.get_y(reps)]))
    return cells, net.main[owner]


def _node_cells(cells: list, owner: np.ndarray, labels: np.ndarray, name: str, area, crs) -> gpd.GeoDataFrame:
    """Polygons from a label per graph node (``labels[node_id]``): union of the nodes' Voronoi cells."""
    lab = labels[owner]
    rows = []
    for value in pd.unique(lab):
        geom = shapely.coverage_union_all([c for c, lv in zip(cells, lab, strict=True) if lv == value])
        rows.append((value, shapely.intersection(geom, area)))
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=[name, "geometry"]), geometry="geometry", crs=crs)


def travel_time_areas(polsek_pts: gpd.GeoDataFrame, staging: gpd.GeoDataFrame, area, net: Network, *,
                      bands: list[float]) -> Areas:
    """Areas by road travel time from all staging points (rayon) and all Polsek at once."""
    g = net.graph
    s_nodes, _ = net.snap(staging.geometry)
    p_nodes, _ = net.snap(polsek_pts.geometry)
    ts, _ = travel_minutes(g, s_nodes)
    tp, _ = travel_minutes(g, p_nodes)
    node_rayon = staging["rayon"].to_numpy()[np.argmin(ts, axis=0)]
    node_polsek = polsek_pts["polsek"].to_numpy()[np.argmin(tp, axis=0)]
    best = ts.min(axis=0)
    edges = [0.0, *sorted(bands)]
    band = np.full(g.n_nodes, f"{edges[-1]:g}+", dtype=object)
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        band[(best >= lo) & (best < hi)] = f"{lo:g}-{hi:g}"
    cells, owner = _node_voronoi(net, area)  # once for the three partitions
    ray = _node_cells(cells, owner, node_rayon, "rayon", area, g.crs)
    pol = _node_cells(cells, owner, node_polsek, "polsek", area, g.crs)
    pol["rayon"] = pol["polsek"].map(dict(zip(polsek_pts["polsek"], polsek_pts["rayon"], strict=True)))
    iso = _node_cells(cells, owner, band, "band_min", area, g.crs)
    order = {f"{lo:g}-{hi:g}": i for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True))}
    iso["order"] = iso["band_min"].map(order).fillna(len(order)).astype(int)
    iso = iso.sort_values("order").drop(columns="order").reset_index(drop=True)
    return Areas("travel_time", ray, pol[["polsek", "rayon", "geometry"]], iso, node_rayon=node_rayon,
                 node_polsek=node_polsek)


def travel_time(tps: gpd.GeoDataFrame, polsek_pts: gpd.GeoDataFrame, staging: gpd.GeoDataFrame, area,
                net: Network, *, bands: list[float]) -> Catchments:
    """Catchments by road travel time from all staging points (rayon) and all Polsek at once."""
    return assign(tps, travel_time_areas(polsek_pts, staging, area, net, bands=bands), net)


def assign(tps: gpd.GeoDataFrame, areas: Areas, net: Network | None = None) -> Catchments:
    """Each TPS's rayon and Polsek under the method of ``areas`` (``net``: for travel_time)."""
    if areas.method == "administrative":
        polsek = tps["kode_kec"].map(areas.polsek_of_kec)
        assignment = pd.DataFrame({"polsek": polsek, "rayon": polsek.map(areas.rayon_of)}, index=tps.index)
    elif areas.method == "voronoi":
        pts, stg = areas.polsek_points, areas.staging
        xy = np.column_stack([tps.geometry.x, tps.geometry.y])
        _, r = cKDTree(np.column_stack([stg.geometry.x, stg.geometry.y])).query(xy)
        _, p = cKDTree(np.column_stack([pts.geometry.x, pts.geometry.y])).query(xy)
        assignment = pd.DataFrame({"polsek": pts["polsek"].to_numpy()[p], "rayon": stg["rayon"].to_numpy()[r]},
                                  index=tps.index)
    elif areas.method == "travel_time":
        if net is None:
            raise ValueError("travel_time areas need the road network to place TPS")
        t_nodes, _ = net.snap(tps.geometry)
        assignment = pd.DataFrame({"polsek": areas.node_polsek[t_nodes], "rayon": areas.node_rayon[t_nodes]},
                                  index=tps.index)
    else:
        raise ValueError(f"unknown catchment method {areas.method!r}")
    return Catchments(areas.method, areas.rayon, areas.polsek, assignment, areas.isochrones)


@dataclass
class Reach:
    """Road travel from each rayon's staging point to every road node: region-level, built once.

    Row ``k`` of every array is staging point ``k`` (rayon ``rayon[k]``). With ``closed`` edges
    (flooded roads, :func:`staging_reach`) it also tells whether each fastest route crosses one
    and the travel time with them all closed.
    """

    rayon: np.ndarray             # rayon name per staging point
    nodes: np.ndarray             # its road node
    offset_m: np.ndarray          # straight line from the staging point to that node (m)
    minutes: np.ndarray           # (k, n_nodes) fastest road time; inf where unreachable
    predecessors: np.ndarray      # (k, n_nodes) shortest-time trees
    route_km: np.ndarray          # (k, n_nodes) length of the fastest route
    crosses_closed: np.ndarray | None = None  # (k, n_nodes) the fastest route crosses a closed edge
    minutes_closed: np.ndarray | None = None  # (k, n_nodes) fastest time with the closed edges closed


def staging_reach(net: Network, staging: gpd.GeoDataFrame, closed: np.ndarray | None = None) -> Reach:
    """Travel times, routes and route lengths from every staging point to every road node.

    ``closed`` (a flag per edge of ``net.graph``, e.g. flooded roads) adds, per node, whether the
    fastest route crosses a closed edge and the time of the fastest route avoiding them.
    """
    g = net.graph
    s_nodes, s_off = net.snap(staging.geometry)
    minutes, pred = travel_minutes(g, s_nodes)
    km = np.vstack([tree_sum(g, minutes[k], pred[k], g.edge_length_m) for k in range(len(s_nodes))]) / 1000.0
    out = Reach(staging["rayon"].to_numpy(), s_nodes, s_off, minutes, pred, km)
    if closed is not None:
        closed = np.asarray(closed, dtype=bool)
        out.crosses_closed = np.vstack([tree_sum(g, minutes[k], pred[k], closed.astype(float)) > 0
                                        for k in range(len(s_nodes))])
        out.minutes_closed, _ = travel_minutes(g.with_minutes(np.where(closed, np.inf, g.edge_minutes)), s_nodes)
    return out


def _rows(rayon: pd.Series, reach: Reach) -> np.ndarray:
    """Row of ``reach`` for each TPS's rayon (NaN: no rayon, or one without a staging point)."""
    return rayon.map({r: i for i, r in enumerate(reach.rayon)}).to_numpy(dtype=float)


def response(tps: gpd.GeoDataFrame, rayon: pd.Series, reach: Reach, net: Network, *, access_kmh: float,
             response_min: float, route_classes: tuple[str, ...] = ("rawan", "sangat_rawan"),
             ) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Reserve travel time from each TPS's rayon staging point (``reach``), and routes to the riskiest TPS.

    Returns
    -------
    (table, routes)
        ``table`` (index of ``tps``): ``response_min`` (road + off-road access; NaN when
        unreachable), ``route_km``, ``reachable``, ``beyond_response`` (rawan/sangat rawan TPS
        beyond ``response_min`` or unreachable). ``routes``: one line per TPS of
        ``route_classes``, with its time.
    """
    g = net.graph
    t_nodes, t_off = net.snap(tps.geometry)
    row_of = _rows(rayon, reach)
    has = ~np.isnan(row_of)
    ri = row_of[has].astype(int)
    road = reach.minutes[ri, t_nodes[has]]
    off_m = t_off[has] + reach.offset_m[ri]
    resp = np.full(len(tps), np.nan)
    resp[has] = np.where(np.isfinite(road), road + off_m / (access_kmh * 1000 / 60), np.nan)
    length = np.full(len(tps), np.nan)
    length[has] = np.where(np.isfinite(road), reach.route_km[ri, t_nodes[has]] + off_m / 1000.0, np.nan)
    reachable = np.isfinite(resp)
    risky = tps["risk_class"].isin(route_classes).to_numpy() if "risk_class" in tps else np.zeros(len(tps), bool)
    lines = np.full(len(tps), None, dtype=object)
    routed = np.flatnonzero(risky & reachable)
    for r in np.unique(row_of[routed]).astype(int):
        on = routed[row_of[routed] == r]
        lines[on] = route_lines(g, reach.predecessors[r], t_nodes[on])
    keep = routed[pd.notna(lines[routed])]
    routes = gpd.GeoDataFrame(pd.DataFrame({
        "tps_id": tps["tps_id"].to_numpy()[keep], "rayon": reach.rayon[row_of[keep].astype(int)],
        "risk_class": tps["risk_class"].to_numpy()[keep] if "risk_class" in tps else None,
        "response_min": [round(float(v), 1) for v in resp[keep]],
        "route_km": [round(float(v), 2) for v in length[keep]],
    }), geometry=list(lines[keep]), crs=tps.crs)
    table = pd.DataFrame({
        "response_min": np.round(resp, 1),
        "route_km": np.round(length, 2),
        "reachable": reachable,
        "beyond_response": risky & (~reachable | (np.nan_to_num(resp, nan=np.inf) > response_min)),
    }, index=tps.index)
    return table, routes


def reserve_response(tps: gpd.GeoDataFrame, rayon: pd.Series, staging: gpd.GeoDataFrame, net: Network, *,
                     access_kmh: float, response_min: float, route_classes: tuple[str, ...] = ("rawan", "sangat_rawan"),
                     ) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """:func:`response` from the staging points (their :func:`staging_reach` computed here)."""
    return response(tps, rayon, staging_reach(net, staging), net, access_kmh=access_kmh,
                    response_min=response_min, route_classes=route_classes)


def closed_access(tps: gpd.GeoDataFrame, rayon: pd.Series, reach: Reach, net: Network, *,
                  access_kmh: float) -> pd.DataFrame:
    """TPS whose fastest route from their rayon's staging point crosses a closed (flooded) road.

    ``reach`` must come from :func:`staging_reach` with ``closed`` edges. Returns ``access_cut``
    (bool), ``detour_min`` (travel time with the closed edges closed, plus off-road access; NaN
    when unreachable) and ``cut_unreachable`` for every TPS (index of ``tps``).
    """
    if reach.crosses_closed is None or reach.minutes_closed is None:
        raise ValueError("closed_access needs a reach computed with closed edges (staging_reach(..., closed=...))")
    t_nodes, t_off = net.snap(tps.geometry)
    row_of = _rows(rayon, reach)
    idx = np.flatnonzero(~np.isnan(row_of))
    k, node = row_of[idx].astype(int), t_nodes[idx]
    hit = np.isfinite(reach.minutes[k, node]) & reach.crosses_closed[k, node]
    idx, k, node = idx[hit], k[hit], node[hit]
    closed_min = reach.minutes_closed[k, node]
    around = closed_min + (t_off[idx] + reach.offset_m[k]) / (access_kmh * 1000 / 60)
    cut = np.zeros(len(tps), dtype=bool)
    cut[idx] = True
    detour = np.full(len(tps), np.nan)
    ok = np.isfinite(closed_min)
    detour[idx[ok]] = [round(float(v), 1) for v in around[ok]]
    unreach = np.zeros(len(tps), dtype=bool)
    unreach[idx[~ok]] = True
    return pd.DataFrame({"access_cut": cut, "detour_min": detour, "cut_unreachable": unreach}, index=tps.index)


def route_line(g: RoadGraph, nodes: list[int]) -> shapely.LineString | None:
    """The road geometry of a node path (each hop along its fastest edge)."""
    if len(nodes) < 2:
        return None
    path = np.asarray(nodes, dtype=np.int64)
    hops = g.edge_between(path[:-1], path[1:])
    coords: list[np.ndarray] = []
    for a, e in zip(path[:-1], hops, strict=True):
        lo, hi = g.edge_span[e]
        seg = g.vertex_xy[lo:hi + 1]
        if int(g.edge_u[e]) != a:
            seg = seg[::-1]
        coords.append(seg if not coords else seg[1:])
    return shapely.LineString(np.vstack(coords))
