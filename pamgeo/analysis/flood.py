"""Flood exposure of TPS and of the roads that reach them.

Each evidence layer gives a class (``rendah`` < ``sedang`` < ``tinggi``); a TPS takes the
highest, and ``flood_reasons`` names every piece of evidence (Bahasa Indonesia by default):

================== ========================================================================
river corridor     distance to the nearest river/canal: within ``corridor_bands_m[0]`` tinggi,
                   ``[1]`` sedang, ``[2]`` rendah. Waterways from several sources are merged
                   first so a river drawn twice counts once.
kelurahan (BPBD)   a kelurahan on the BPBD flood-prone list: rendah on its own (the list has no
                   coordinates, so no point is invented), and it raises corridor evidence one
                   class (``kelurahan_bump``)
situ / lake        inside a lake polygon tinggi, within ``lake_buffer_m`` sedang
flood events       a reported flood within ``event_radius_m``: depth >= 50 cm tinggi, otherwise
                   (or depth unknown) sedang
hazard polygons    the polygon's own class
hazard rasters     sampled at the TPS and as the maximum within ``raster_buffer_m``; an index
                   (InaRISK, 0-1) or depth (m) is classed by its ``breaks``. NoData means "not
                   modelled" (named in the reasons), never "safe"
================== ========================================================================

Roads: every road edge of :mod:`pamgeo.analysis.network` is classed the same way at its midpoint
(bridges, tagged in OSM, take no river-corridor evidence). :func:`access_cut` flags TPS whose
fastest route from their rayon's staging point crosses an edge of the highest class, and gives
the detour time with those edges closed, or "unreachable".
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pamgeo.core.config import Flood
from pamgeo.core.i18n import distance, percent, t, tf
from pamgeo.core.vocabulary import FLOOD_LABELS, FLOOD_LEVELS, FLOOD_RANK
from pamgeo.ingest.io import Raster


def merge_waterways(ww: gpd.GeoDataFrame | None, tolerance_m: float = 30.0) -> gpd.GeoDataFrame | None:
    """Waterways of all sources without double counting.

    The first source is kept whole; each later source only adds the parts farther than
    ``tolerance_m`` from what is already there (e.g. the gaps of a clipped OSM river).
    """
    if ww is None or ww.empty:
        return ww
    kept = []
    have = None
    for _, part in ww.groupby("source", sort=True):
        part = part[part.geometry.notna()]
        if have is not None:
            part = part.assign(geometry=part.geometry.difference(have.buffer(tolerance_m)))
            part = part[~part.geometry.is_empty]
        if part.empty:
            continue
        kept.append(part)
        u = part.geometry.union_all()
        have = u if have is None else have.union(u)
    out = gpd.GeoDataFrame(pd.concat(kept, ignore_index=True), crs=ww.crs).explode(index_parts=False)
    return out[out.geometry.length > 1.0].reset_index(drop=True)


def sample_raster(raster: Raster, points: gpd.GeoSeries, buffer_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value at each point, maximum within ``buffer_m``, and whether the point is modelled.

    Points and raster may be in any CRS. Cells outside the raster or NoData count as not
    modelled; the buffer maximum ignores them.
    """
    from rasterio.transform import rowcol  # imported here: only raster layers need rasterio

    pts = points.to_crs(raster.crs) if points.crs is not None else points
    ny, nx = raster.values.shape
    rows, cols = rowcol(raster.transform, pts.x.to_numpy(), pts.y.to_numpy())
    rows, cols = np.asarray(rows), np.asarray(cols)
    inside = (rows >= 0) & (rows < ny) & (cols >= 0) & (cols < nx)
    at = np.full(len(pts), np.nan)
    at[inside] = raster.values[rows[inside], cols[inside]]
    # the buffer in cells: metres -> raster units
    if raster.crs is not None and raster.crs.is_geographic:
        lat = np.radians(np.nanmean(pts.y.to_numpy())) if len(pts) else 0.0
        unit_m = 111_320.0 * np.cos(lat)
    else:
        unit_m = 1.0
    cell = abs(raster.transform.a) * unit_m
    k = int(np.ceil(buffer_m / cell)) if buffer_m > 0 else 0
    mx = at.copy()
    if k > 0:
        for i in np.flatnonzero(np.isfinite(rows)):
            r0, r1 = max(rows[i] - k, 0), min(rows[i] + k + 1, ny)
            c0, c1 = max(cols[i] - k, 0), min(cols[i] + k + 1, nx)
            if r0 >= r1 or c0 >= c1:
                continue
            win = raster.values[r0:r1, c0:c1]
            if np.isfinite(win).any():
                mx[i] = np.nanmax(win) if not np.isfinite(mx[i]) else max(mx[i], np.nanmax(win))
    modelled = np.isfinite(at) | np.isfinite(mx)
    return at, mx, modelled


def raster_class(values: np.ndarray, breaks: tuple[float, float, float]) -> np.ndarray:
    """``none/rendah/sedang/tinggi`` for raster values (NaN -> ``none``); a value on a break takes the higher class."""
    out = np.full(values.shape, "none", dtype=object)
    v = np.nan_to_num(values, nan=-np.inf)
    out[v >= breaks[0]] = "rendah"
    out[v >= breaks[1]] = "sedang"
    out[v >= breaks[2]] = "tinggi"
    return out


def _up(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise higher class."""
    return np.where(np.vectorize(FLOOD_RANK.get)(b) > np.vectorize(FLOOD_RANK.get)(a), b, a)


@dataclass
class FloodLayers:
    """All flood evidence for a region, in its metric CRS (each may be missing)."""

    waterways: gpd.GeoDataFrame | None = None
    lakes: gpd.GeoDataFrame | None = None
    events: gpd.GeoDataFrame | None = None
    polygons: gpd.GeoDataFrame | None = None
    rasters: tuple[Raster, ...] = ()
    flood_kelurahan: dict[str, list[str]] | None = None  # kode_kel -> listed locations


def _kelurahan_evidence(n: int, kode_kel: pd.Series | None, flood_kelurahan: dict[str, list[str]] | None,
                        reasons: list[list[str]], lang: str) -> np.ndarray:
    """Points in a BPBD-listed kelurahan (rendah on its own; the reason names the listed sites)."""
    listed = np.zeros(n, dtype=bool)
    if kode_kel is None or not flood_kelurahan:
        return listed
    listed = kode_kel.isin(flood_kelurahan.keys()).to_numpy()
    codes = kode_kel.to_numpy()
    text = {}
    for code, sites in flood_kelurahan.items():
        names = ", ".join(sites[:2]) + (f" (+{len(sites) - 2})" if len(sites) > 2 else "")
        text[code] = tf("r_flood_kelurahan_short", lang, names=names)
    for i in np.flatnonzero(listed):
        reasons[i].append(text[codes[i]])
    return listed


def _corridor_evidence(points: gpd.GeoSeries, ww: gpd.GeoDataFrame, params: Flood, listed: np.ndarray,
                       corridor_exempt: np.ndarray | None, corridor_max: str, distances: bool,
                       reasons: list[list[str]], lang: str) -> tuple[np.ndarray, np.ndarray]:
    """River-corridor class and the distance to the nearest waterway (inf beyond the search)."""
    n = len(points)
    corridor_m = np.full(n, np.inf)
    reach = None if distances else float(max(params.corridor_bands_m))
    idx_p, idx_t = ww.sindex.nearest(points.to_numpy(), return_all=False, max_distance=reach)
    corridor_m[idx_p] = shapely.distance(ww.geometry.to_numpy()[idx_t], points.to_numpy()[idx_p])
    names = np.full(n, "", dtype=object)
    names[idx_p] = ww["name"].fillna("").astype(str).to_numpy()[idx_t]
    b = params.corridor_bands_m
    band = np.where(corridor_m <= b[0], "tinggi", np.where(corridor_m <= b[1], "sedang",
                    np.where(corridor_m <= b[2], "rendah", "none"))).astype(object)
    if corridor_exempt is not None:
        band[corridor_exempt] = "none"
    if params.kelurahan_bump:
        bumped = listed & (band != "none")
        band[bumped] = np.array([FLOOD_LEVELS[min(FLOOD_RANK[c] + 1, 3)] for c in band[bumped]], dtype=object)
    cap = FLOOD_RANK[corridor_max]
    band = np.array([FLOOD_LEVELS[min(FLOOD_RANK[c], cap)] for c in band], dtype=object)
    for i in np.flatnonzero(band != "none"):
        reasons[i].append(tf("r_from", lang, dist=distance(corridor_m[i], lang), what=names[i] or t("r_a_river", lang)))
    return band, corridor_m


def _lake_evidence(points: gpd.GeoSeries, lk: gpd.GeoDataFrame, params: Flood, reasons: list[list[str]],
                   lang: str) -> np.ndarray:
    """Inside a situ/lake: tinggi; within ``lake_buffer_m``: sedang."""
    n = len(points)
    idx_p, idx_t = lk.sindex.nearest(points.to_numpy(), return_all=False)
    d = np.full(n, np.inf)
    d[idx_p] = shapely.distance(lk.geometry.to_numpy()[idx_t], points.to_numpy()[idx_p])
    lname = np.full(n, "", dtype=object)
    lname[idx_p] = lk["name"].astype(str).to_numpy()[idx_t]
    lc = np.where(d <= 0, "tinggi", np.where(d <= params.lake_buffer_m, "sedang", "none")).astype(object)
    for i in np.flatnonzero(lc != "none"):
        reasons[i].append(tf("r_in", lang, what=lname[i]) if d[i] <= 0
                          else tf("r_from", lang, dist=distance(d[i], lang), what=lname[i]))
    return lc


def _event_evidence(points: gpd.GeoSeries, ev: gpd.GeoDataFrame, params: Flood, reasons: list[list[str]],
                    lang: str) -> np.ndarray:
    """A flood report within ``event_radius_m``: tinggi from 50 cm, otherwise (or unknown depth) sedang."""
    pairs = ev.sindex.query(points.to_numpy(), predicate="dwithin", distance=params.event_radius_m)
    ec = np.full(len(points), "none", dtype=object)
    dists = shapely.distance(points.to_numpy()[pairs[0]], ev.geometry.to_numpy()[pairs[1]])
    depths, dates = ev["depth_cm"].to_numpy(), ev["date"].to_numpy()
    for i, j, dist in zip(*pairs, dists, strict=True):
        depth = depths[j]
        c = "tinggi" if pd.notna(depth) and depth >= 50 else "sedang"
        if FLOOD_RANK[c] > FLOOD_RANK[ec[i]]:
            ec[i] = c
        dtxt = f", {depth:.0f} cm" if pd.notna(depth) else ""
        reasons[i].append(tf("r_flood_report", lang, date=dates[j], depth=dtxt, dist=distance(dist, lang)))
    return ec


def _polygon_evidence(points: gpd.GeoSeries, pg: gpd.GeoDataFrame, reasons: list[list[str]], lang: str) -> np.ndarray:
    """Inside a hazard polygon: its own class (the highest of several)."""
    pairs = pg.sindex.query(points.to_numpy(), predicate="within")
    pc = np.full(len(points), "none", dtype=object)
    pclass, plabel = pg["flood_class"].to_numpy(), pg["label"].to_numpy()
    lab = FLOOD_LABELS.get(lang, FLOOD_LABELS["id"])
    for i, j in zip(*pairs, strict=True):
        c = pclass[j]
        if FLOOD_RANK[c] > FLOOD_RANK[pc[i]]:
            pc[i] = c
        reasons[i].append(f"{plabel[j]} ({lab[c]})")
    return pc


def _raster_evidence(points: gpd.GeoSeries, r: Raster, params: Flood, reasons: list[list[str]],
                     lang: str) -> tuple[np.ndarray, np.ndarray]:
    """Class of the maximum within ``raster_buffer_m``, and which points the raster does not model."""
    _, mx, modelled = sample_raster(r, points, params.raster_buffer_m)
    rc = raster_class(mx, r.breaks)
    unit = "m" if r.kind == "depth" else ""
    lab = FLOOD_LABELS.get(lang, FLOOD_LABELS["id"])
    for i in np.flatnonzero(rc != "none"):
        reasons[i].append(f"{r.label}: {mx[i]:.2f}{unit} ({lab[rc[i]]})")
    return rc, ~modelled


def _present(layer: gpd.GeoDataFrame | None, n: int) -> bool:
    return layer is not None and not layer.empty and n > 0


def classify_points(points: gpd.GeoSeries, layers: FloodLayers, params: Flood, *, kode_kel: pd.Series | None = None,
                    corridor_exempt: np.ndarray | None = None, corridor_max: str = "tinggi",
                    lang: str = "id", distances: bool = True) -> pd.DataFrame:
    """Flood class and reasons for points (TPS, or road edge midpoints).

    Parameters
    ----------
    points
        Points in the region's metric CRS.
    layers, params
        Evidence and the classing rules (region config ``flood:``).
    kode_kel
        Kelurahan of each point, for kelurahan-level (BPBD) evidence.
    corridor_exempt
        Points that take no river-corridor evidence (bridges).
    corridor_max
        Highest class river-corridor evidence may give (roads: ``flood.road_corridor_max``).
    distances
        Measure ``dist_river_m`` at any distance. False: only within the widest corridor band
        (the class is the same; further points get inf), much faster for many points.

    Returns
    -------
    DataFrame
        ``flood_class``, ``dist_river_m``, ``raster_not_modelled`` (when rasters are given:
        outside every raster or on NoData) and ``flood_reasons``.
    """
    n = len(points)
    reasons: list[list[str]] = [[] for _ in range(n)]
    listed = _kelurahan_evidence(n, kode_kel, layers.flood_kelurahan, reasons, lang)
    cls = np.where(listed, "rendah", "none").astype(object)
    corridor_m = np.full(n, np.inf)
    if _present(layers.waterways, n):
        band, corridor_m = _corridor_evidence(points, layers.waterways, params, listed, corridor_exempt,
                                              corridor_max, distances, reasons, lang)
        cls = _up(cls, band)
    if _present(layers.lakes, n):
        cls = _up(cls, _lake_evidence(points, layers.lakes, params, reasons, lang))
    if _present(layers.events, n):
        cls = _up(cls, _event_evidence(points, layers.events, params, reasons, lang))
    if _present(layers.polygons, n):
        cls = _up(cls, _polygon_evidence(points, layers.polygons, reasons, lang))
    not_modelled = []
    for r in layers.rasters:
        rc, missing = _raster_evidence(points, r, params, reasons, lang)
        cls = _up(cls, rc)
        not_modelled.append(missing)
    out = pd.DataFrame({"flood_class": cls, "dist_river_m": np.round(corridor_m, 1)}, index=points.index)
    if not_modelled:
        out["raster_not_modelled"] = np.all(np.vstack(not_modelled), axis=0)
    out["flood_reasons"] = ["; ".join(r) for r in reasons]
    return out


def coverage_warning(points: gpd.GeoSeries, rasters: tuple[Raster, ...], lang: str = "id") -> str | None:
    """A warning text when a raster covers only part of the points (None when all or none)."""
    msgs = []
    for r in rasters:
        _, _, modelled = sample_raster(r, points, 0.0)
        share = modelled.mean() if len(modelled) else 1.0
        if 0 < share < 1 or share == 0:
            msgs.append(tf("raster_covers_tps", lang, label=r.label, share=percent(share, lang)))
    if msgs:
        text = "; ".join(msgs)
        warnings.warn(text, stacklevel=2)
        return text
    return None


def corridor_polygons(waterways: gpd.GeoDataFrame | None, bands: tuple[float, float, float], area=None
                      ) -> gpd.GeoDataFrame | None:
    """River corridor rings per band (tinggi innermost) for the map.

    Drawn from the lines simplified at 10 m (the map shows zones at 25 m), buffered as one
    multi-line: the buffer of the parts is the buffer of their union, without noding them first.
    """
    if waterways is None or waterways.empty:
        return None
    lines = shapely.multilinestrings(shapely.get_parts(waterways.geometry.simplify(10.0).to_numpy()))
    rings, prev = [], None
    for dist, cls in zip(bands, ("tinggi", "sedang", "rendah"), strict=True):
        buf = lines.buffer(dist, quad_segs=4)
        ring = buf if prev is None else buf.difference(prev)
        if area is not None:
            ring = ring.intersection(area)
        rings.append((cls, f"≤ {dist:g} m", ring))
        prev = buf
    return gpd.GeoDataFrame(pd.DataFrame(rings, columns=["flood_class", "band", "geometry"]), geometry="geometry",
                            crs=waterways.crs)


def raster_polygons(raster: Raster, crs, area=None) -> gpd.GeoDataFrame | None:
    """Classed raster cells as polygons (rendah/sedang/tinggi) in ``crs``, for the map."""
    from rasterio.features import shapes

    cls = raster_class(raster.values, raster.breaks)
    code = np.vectorize(FLOOD_RANK.get)(cls).astype(np.uint8)
    geoms, labels = [], []
    for geom, val in shapes(code, mask=code > 0, transform=raster.transform):
        geoms.append(shapely.geometry.shape(geom))
        labels.append(FLOOD_LEVELS[int(val)])
    if not geoms:
        return None
    out = gpd.GeoDataFrame({"flood_class": labels, "label": raster.label}, geometry=geoms, crs=raster.crs).to_crs(crs)
    if area is not None:
        out = out[out.intersects(area)]
        out["geometry"] = out.geometry.intersection(area)
    return out.dissolve(by="flood_class", as_index=False) if not out.empty else None


def access_cut(tps: gpd.GeoDataFrame, rayon: pd.Series, staging: gpd.GeoDataFrame, net, edge_class: np.ndarray, *,
               access_kmh: float, closed_class: str = "tinggi") -> pd.DataFrame:
    """TPS whose fastest route from their rayon's staging point crosses a flooded road.

    Returns ``access_cut`` (bool), ``detour_min`` (travel time with the flooded edges closed;
    NaN when unreachable) and ``cut_unreachable`` for every TPS (index of ``tps``).
    """
    from pamgeo.analysis.network import travel_minutes, tree_sum

    g = net.graph
    flooded = edge_class == closed_class
    s_nodes, s_off = net.snap(staging.geometry)
    t_nodes, t_off = net.snap(tps.geometry)
    minutes, pred = travel_minutes(g, s_nodes)
    closed = g.with_minutes(np.where(flooded, np.inf, g.edge_minutes))
    minutes_closed, _ = travel_minutes(closed, s_nodes)
    # does the shortest-time route to a node cross a flooded edge?
    crosses = np.vstack([tree_sum(g, minutes[k], pred[k], flooded.astype(float)) > 0 for k in range(len(s_nodes))])
    rows = rayon.map({r: i for i, r in enumerate(staging["rayon"])})
    cut = np.zeros(len(tps), dtype=bool)
    detour = np.full(len(tps), np.nan)
    unreach = np.zeros(len(tps), dtype=bool)
    row_of = rows.to_numpy(dtype=float)
    for i in np.flatnonzero(~np.isnan(row_of)):
        k = int(row_of[i])
        node = t_nodes[i]
        if not np.isfinite(minutes[k, node]) or not crosses[k, node]:
            continue
        cut[i] = True
        tc = minutes_closed[k, node]
        if np.isfinite(tc):
            detour[i] = round(float(tc + (t_off[i] + s_off[k]) / (access_kmh * 1000 / 60)), 1)
        else:
            unreach[i] = True
    return pd.DataFrame({"access_cut": cut, "detour_min": detour, "cut_unreachable": unreach}, index=tps.index)


def access_status(tps: pd.DataFrame, detour_report_min: float) -> pd.Series:
    """What a flood does to each TPS's access from its staging point.

    ``"unreachable"`` (no route avoids the flooded roads), ``"detour"`` (the way around adds more
    than ``detour_report_min`` minutes), ``"minor_detour"`` (it adds less), or ``""`` (access not
    cut, or not computed). One definition for the headline, the tables and the map.
    """
    if "access_cut" not in tps:
        return pd.Series("", index=tps.index, dtype=object)
    cut = tps["access_cut"].fillna(False).astype(bool)
    unreachable = tps["cut_unreachable"].fillna(False).astype(bool)
    added = tps["detour_min"] - tps["response_min"]
    return pd.Series(np.select([cut & unreachable, cut & (added > detour_report_min), cut],
                               ["unreachable", "detour", "minor_detour"], default=""), index=tps.index, dtype=object)
