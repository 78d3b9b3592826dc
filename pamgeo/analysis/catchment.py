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

from pamgeo.analysis.network import RoadGraph, route, travel_minutes, tree_sum
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


def administrative(tps: gpd.GeoDataFrame, kecamatan: gpd.GeoDataFrame, police: Police) -> Catchments:
    """Catchments as the union of the kecamatan each Polsek covers."""
    rayon_of = {p: r.name for r in police.rayons for p in r.polsek}
    polsek_of_kec = {c: unit for unit, codes in police.coverage.items() for c in codes}
    kec = kecamatan.assign(polsek=kecamatan["kode_kec"].map(polsek_of_kec))
    kec = kec[kec["polsek"].notna()]
    pol = kec.dissolve(by="polsek", as_index=False)[["polsek", "geometry"]]
    pol["rayon"] = pol["polsek"].map(rayon_of)
    ray = pol[pol["rayon"].notna()].dissolve(by="rayon", as_index=False)[["rayon", "geometry"]]
    polsek = tps["kode_kec"].map(polsek_of_kec)
    assignment = pd.DataFrame({"polsek": polsek, "rayon": polsek.map(rayon_of)}, index=tps.index)
    return Catchments("administrative", ray, pol[["polsek", "rayon", "geometry"]], assignment)


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


def voronoi(tps: gpd.GeoDataFrame, polsek_pts: gpd.GeoDataFrame, staging: gpd.GeoDataFrame, area) -> Catchments:
    """Straight-line catchments around staging points (rayon) and Polsek (Polsek level)."""
    ray = _voronoi_cells(staging, "rayon", area)
    pol = _voronoi_cells(polsek_pts, "polsek", area)
    pol["rayon"] = pol["polsek"].map(dict(zip(polsek_pts["polsek"], polsek_pts["rayon"], strict=True)))
    xy = np.column_stack([tps.geometry.x, tps.geometry.y])
    _, r = cKDTree(np.column_stack([staging.geometry.x, staging.geometry.y])).query(xy)
    _, p = cKDTree(np.column_stack([polsek_pts.geometry.x, polsek_pts.geometry.y])).query(xy)
    assignment = pd.DataFrame({"polsek": polsek_pts["polsek"].to_numpy()[p], "rayon": staging["rayon"].to_numpy()[r]},
                              index=tps.index)
    return Catchments("voronoi", ray[["rayon", "geometry"]], pol[["polsek", "rayon", "geometry"]], assignment)


@dataclass
class Network:
    """The routable part of the road graph with node snapping restricted to it."""

    graph: RoadGraph
    main: np.ndarray = field(init=False)  # node ids of the largest connected component

    def __post_init__(self) -> None:
        comp = self.graph.component
        self.main = np.flatnonzero(comp == np.bincount(comp).argmax())

    def snap(self, points: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
        """Nearest node of the main component and the distance to it (m)."""
        tree = cKDTree(self.graph.node_xy[self.main])
        d, i = tree.query(np.column_stack([points.x.to_numpy(), points.y.to_numpy()]))
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


def travel_time(tps: gpd.GeoDataFrame, polsek_pts: gpd.GeoDataFrame, staging: gpd.GeoDataFrame, area,
                net: Network, *, bands: list[float]) -> Catchments:
    """Catchments by road travel time from all staging points (rayon) and all Polsek at once."""
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
    ray = _node_cells(cells, owner, node_rayon, "rayon", area, tps.crs)
    pol = _node_cells(cells, owner, node_polsek, "polsek", area, tps.crs)
    pol["rayon"] = pol["polsek"].map(dict(zip(polsek_pts["polsek"], polsek_pts["rayon"], strict=True)))
    iso = _node_cells(cells, owner, band, "band_min", area, tps.crs)
    order = {f"{lo:g}-{hi:g}": i for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True))}
    iso["order"] = iso["band_min"].map(order).fillna(len(order)).astype(int)
    iso = iso.sort_values("order").drop(columns="order").reset_index(drop=True)
    t_nodes, _ = net.snap(tps.geometry)
    assignment = pd.DataFrame({"polsek": node_polsek[t_nodes], "rayon": node_rayon[t_nodes]}, index=tps.index)
    return Catchments("travel_time", ray, pol[["polsek", "rayon", "geometry"]], assignment, iso)


def reserve_response(tps: gpd.GeoDataFrame, rayon: pd.Series, staging: gpd.GeoDataFrame, net: Network, *,
                     access_kmh: float, response_min: float, route_classes: tuple[str, ...] = ("rawan", "sangat_rawan"),
                     ) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Reserve travel time from each TPS's rayon staging point, and routes to the riskiest TPS.

    Returns
    -------
    (table, routes)
        ``table`` (index of ``tps``): ``response_min`` (road + off-road access; NaN when
        unreachable), ``route_km``, ``reachable``, ``beyond_response`` (rawan/sangat rawan TPS
        beyond ``response_min`` or unreachable). ``routes``: one line per TPS of
        ``route_classes``, with its time.
    """
    g = net.graph
    s_nodes, s_off = net.snap(staging.geometry)
    minutes, pred = travel_minutes(g, s_nodes)
    tree_km = np.vstack([tree_sum(g, minutes[k], pred[k], g.edge_length_m) for k in range(len(s_nodes))]) / 1000.0
    t_nodes, t_off = net.snap(tps.geometry)
    rows = rayon.map({r: i for i, r in enumerate(staging["rayon"])})
    has = rows.notna().to_numpy()
    ri = rows[has].astype(int).to_numpy()
    road = minutes[ri, t_nodes[has]]
    access = (t_off[has] + s_off[ri]) / (access_kmh * 1000 / 60)
    resp = np.full(len(tps), np.nan)
    resp[has] = np.where(np.isfinite(road), road + access, np.nan)
    length = np.full(len(tps), np.nan)
    length[has] = np.where(np.isfinite(road), tree_km[ri, t_nodes[has]] + (t_off[has] + s_off[ri]) / 1000.0, np.nan)
    reachable = np.isfinite(resp)
    risky = tps["risk_class"].isin(route_classes).to_numpy() if "risk_class" in tps else np.zeros(len(tps), bool)
    geoms, rec = [], []
    row_of = rows.to_numpy(dtype=float)
    ids, names = tps["tps_id"].to_numpy(), staging["rayon"].to_numpy()
    classes = tps["risk_class"].to_numpy() if "risk_class" in tps else None
    for i in np.flatnonzero(risky & reachable):
        r = int(row_of[i])
        line = route_line(g, route(g, pred[r], t_nodes[i]))
        if line is not None:
            geoms.append(line)
            rec.append({"tps_id": ids[i], "rayon": names[r], "risk_class": classes[i],
                        "response_min": round(float(resp[i]), 1), "route_km": round(float(length[i]), 2)})
    table = pd.DataFrame({
        "response_min": np.round(resp, 1),
        "route_km": np.round(length, 2),
        "reachable": reachable,
        "beyond_response": risky & (~reachable | (np.nan_to_num(resp, nan=np.inf) > response_min)),
    }, index=tps.index)
    routes = gpd.GeoDataFrame(pd.DataFrame(rec, columns=["tps_id", "rayon", "risk_class", "response_min", "route_km"]),
                              geometry=geoms, crs=tps.crs)
    return table, routes


def route_line(g: RoadGraph, nodes: list[int]) -> shapely.LineString | None:
    """The road geometry of a node path (each hop along its fastest edge)."""
    if len(nodes) < 2:
        return None
    lookup = g.pair_edge
    coords: list[np.ndarray] = []
    for a, b in zip(nodes[:-1], nodes[1:], strict=True):
        e = lookup[(min(a, b), max(a, b))]
        lo, hi = g.edge_span[e]
        seg = g.vertex_xy[lo:hi + 1]
        if int(g.edge_u[e]) != a:
            seg = seg[::-1]
        coords.append(seg if not coords else seg[1:])
    return shapely.LineString(np.vstack(coords))
