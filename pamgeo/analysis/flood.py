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

from pamgeo.analysis.risk import nearest_pairs
from pamgeo.core.config import Flood
from pamgeo.core.i18n import (
    distance_many,
    format_each,
    join_parts,
    number,
    percent,
    river_phrases,
    site_list,
    tf,
    tf_many,
)
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
    modelled; the buffer maximum ignores them. The buffer is the square of cells within
    ``ceil(buffer_m / cell)`` cells of the point's cell, cut at the raster's edge.
    """
    from rasterio.transform import rowcol  # imported here: only raster layers need rasterio

    x, y = _xy_in(points, raster.crs)
    ny, nx = raster.values.shape
    rows, cols = rowcol(raster.transform, x, y)
    rows, cols = np.asarray(rows), np.asarray(cols)
    inside = (rows >= 0) & (rows < ny) & (cols >= 0) & (cols < nx)
    at = np.full(len(points), np.nan)
    at[inside] = raster.values[rows[inside], cols[inside]]
    # the buffer in cells: metres -> raster units
    if raster.crs is not None and raster.crs.is_geographic:
        lat = np.radians(np.nanmean(y)) if len(points) else 0.0
        unit_m = 111_320.0 * np.cos(lat)
    else:
        unit_m = 1.0
    cell = abs(raster.transform.a) * unit_m
    k = int(np.ceil(buffer_m / cell)) if buffer_m > 0 else 0
    mx = at.copy()
    if k > 0:
        # points whose window reaches the raster; the maximum of the finite cells where there are any
        near = np.flatnonzero((rows >= -k) & (rows < ny + k) & (cols >= -k) & (cols < nx + k))
        any_finite, top = _window_max(raster.values, rows[near], cols[near], k)
        mx[near[any_finite]] = top[any_finite]
    modelled = np.isfinite(at) | np.isfinite(mx)
    return at, mx, modelled


def _xy_in(points: gpd.GeoSeries, crs) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of points in ``crs``: those of ``points.to_crs(crs)``, without making the points."""
    from pyproj import CRS, Transformer

    if points.crs is None or crs is None or shapely.has_z(points.to_numpy()).any():
        pts = points.to_crs(crs) if points.crs is not None else points
        return pts.x.to_numpy(), pts.y.to_numpy()
    x, y = points.x.to_numpy(), points.y.to_numpy()
    target = CRS.from_user_input(crs)
    if points.crs.is_exact_same(target):
        return x, y
    ok = ~np.isnan(x)  # empty points stay NaN
    x, y = x.copy(), y.copy()
    x[ok], y[ok] = Transformer.from_crs(points.crs, target, always_xy=True).transform(x[ok], y[ok])
    return x, y


def _window_max(values: np.ndarray, rows: np.ndarray, cols: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Whether the cells within ``k`` cells of each (row, col) hold a finite value, and their maximum
    ignoring NaN (the window cut at the array's edge; rows and cols within ``k`` of the array).

    Filters the part of the array the points span once (:func:`scipy.ndimage.maximum_filter`), or,
    when there are few points for that part, gathers each point's window.
    """
    w = 2 * k + 1
    if len(rows) == 0:
        return np.zeros(0, dtype=bool), np.zeros(0)
    ny, nx = values.shape
    r0, r1 = max(int(rows.min()) - k, 0), min(int(rows.max()) + k + 1, ny)
    c0, c1 = max(int(cols.min()) - k, 0), min(int(cols.max()) + k + 1, nx)
    if (r1 - r0) * (c1 - c0) <= len(rows) * w * w:
        from scipy.ndimage import maximum_filter

        crop = values[r0:r1, c0:c1]
        # padded by k cells so that the points just outside the array have their window too
        top = np.pad(np.where(np.isnan(crop), -np.inf, crop), k, constant_values=-np.inf)
        fin = np.pad(np.isfinite(crop), k, constant_values=False)
        top = maximum_filter(top, size=w, mode="constant", cval=-np.inf)
        fin = maximum_filter(fin, size=w, mode="constant", cval=False)
        r, c = rows - r0 + k, cols - c0 + k
        return fin[r, c], top[r, c]
    any_finite, top = np.zeros(len(rows), dtype=bool), np.full(len(rows), -np.inf)
    step = max(1, 2_000_000 // (w * w))
    offsets = np.arange(-k, k + 1)
    for s in range(0, len(rows), step):
        rr = rows[s:s + step, None] + offsets
        cc = cols[s:s + step, None] + offsets
        ok = ((rr >= 0) & (rr < ny))[:, :, None] & ((cc >= 0) & (cc < nx))[:, None, :]
        win = values[np.clip(rr, 0, ny - 1)[:, :, None], np.clip(cc, 0, nx - 1)[:, None, :]]
        win = np.where(ok & ~np.isnan(win), win, -np.inf)
        any_finite[s:s + step] = (ok & np.isfinite(win)).any(axis=(1, 2))
        top[s:s + step] = win.max(axis=(1, 2))
    return any_finite, top


def raster_class(values: np.ndarray, breaks: tuple[float, float, float]) -> np.ndarray:
    """``none/rendah/sedang/tinggi`` for raster values (NaN -> ``none``); a value on a break takes the higher class."""
    out = np.full(values.shape, "none", dtype=object)
    v = np.nan_to_num(values, nan=-np.inf)
    out[v >= breaks[0]] = "rendah"
    out[v >= breaks[1]] = "sedang"
    out[v >= breaks[2]] = "tinggi"
    return out


def _rank(classes: np.ndarray) -> np.ndarray:
    """Rank of each class (``none`` 0 .. ``tinggi`` 3); an unknown class is an error."""
    codes = pd.Categorical(np.asarray(classes, dtype=object).ravel(), categories=FLOOD_LEVELS).codes
    bad = codes < 0
    if bad.any():
        raise KeyError(np.asarray(classes, dtype=object).ravel()[bad][0])
    return codes.reshape(np.shape(classes))


def _labels(rank: np.ndarray) -> np.ndarray:
    """Class names of ranks."""
    return np.array(FLOOD_LEVELS, dtype=object)[rank]


@dataclass
class FloodLayers:
    """All flood evidence for a region, in its metric CRS (each may be missing)."""

    waterways: gpd.GeoDataFrame | None = None
    lakes: gpd.GeoDataFrame | None = None
    events: gpd.GeoDataFrame | None = None
    polygons: gpd.GeoDataFrame | None = None
    rasters: tuple[Raster, ...] = ()
    flood_kelurahan: dict[str, list[str]] | None = None  # kode_kel -> listed locations


#: reasons of some points: their positions and texts (several per point in the order given)
Reasons = tuple[np.ndarray, np.ndarray]


def _kelurahan_evidence(n: int, kode_kel: pd.Series | None, flood_kelurahan: dict[str, list[str]] | None,
                        lang: str) -> tuple[np.ndarray, Reasons]:
    """Points in a BPBD-listed kelurahan (rendah on its own; the reason names the listed sites)."""
    listed = np.zeros(n, dtype=bool)
    if kode_kel is None or not flood_kelurahan:
        return listed, _no_reasons()
    listed = kode_kel.isin(flood_kelurahan.keys()).to_numpy()
    text = {code: tf("r_flood_kelurahan_short", lang, names=site_list(sites)) for code, sites in flood_kelurahan.items()}
    at = np.flatnonzero(listed)
    return listed, (at, pd.Series(kode_kel.to_numpy()[at]).map(text).to_numpy(dtype=object))


def _no_reasons() -> Reasons:
    """No reasons for any point."""
    return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=object)


def _corridor_evidence(points: gpd.GeoSeries, ww: gpd.GeoDataFrame, params: Flood, listed: np.ndarray,
                       corridor_exempt: np.ndarray | None, corridor_max: str, distances: bool,
                       lang: str) -> tuple[np.ndarray, np.ndarray, Reasons]:
    """River-corridor class (rank) and the distance to the nearest waterway (inf beyond the search)."""
    n = len(points)
    corridor_m = np.full(n, np.inf)
    reach = None if distances else float(max(params.corridor_bands_m))
    idx_p, idx_t, d = nearest_pairs(points.to_numpy(), ww, max_distance=reach)
    corridor_m[idx_p] = d
    names = np.full(n, "", dtype=object)
    names[idx_p] = ww["name"].fillna("").astype(str).to_numpy()[idx_t]
    b = params.corridor_bands_m
    band = np.select([corridor_m <= b[0], corridor_m <= b[1], corridor_m <= b[2]], [3, 2, 1], 0).astype(np.int8)
    if corridor_exempt is not None:
        band[corridor_exempt] = 0
    if params.kelurahan_bump:
        bumped = listed & (band > 0)
        band[bumped] = np.minimum(band[bumped] + 1, 3)
    band = np.minimum(band, FLOOD_RANK[corridor_max])
    at = np.flatnonzero(band > 0)
    return band, corridor_m, (at, river_phrases(corridor_m[at], names[at], lang))


def _lake_evidence(points: gpd.GeoSeries, lk: gpd.GeoDataFrame, params: Flood, lang: str
                   ) -> tuple[np.ndarray, Reasons]:
    """Inside a situ/lake: tinggi; within ``lake_buffer_m``: sedang."""
    idx_p, idx_t, d = nearest_pairs(points.to_numpy(), lk, within=params.lake_buffer_m)
    near = d <= params.lake_buffer_m
    idx_p, d = idx_p[near], d[near]
    name = lk["name"].astype(str).to_numpy()[idx_t[near]]
    lc = np.zeros(len(points), dtype=np.int8)
    lc[idx_p] = np.where(d <= 0, 3, 2)
    inside = d <= 0
    text = np.empty(len(idx_p), dtype=object)
    text[inside] = tf_many("r_in", lang, what=name[inside])
    text[~inside] = tf_many("r_from", lang, dist=distance_many(d[~inside], lang), what=name[~inside])
    return lc, (idx_p, text)


def _event_evidence(points: gpd.GeoSeries, ev: gpd.GeoDataFrame, params: Flood, lang: str
                    ) -> tuple[np.ndarray, Reasons]:
    """A flood report within ``event_radius_m``: tinggi from 50 cm, otherwise (or unknown depth) sedang."""
    i, j = ev.sindex.query(points.to_numpy(), predicate="dwithin", distance=params.event_radius_m)
    dists = shapely.distance(points.to_numpy()[i], ev.geometry.to_numpy()[j])
    # per report (those near a point): class rank and the depth as written in the reason
    depths = ev["depth_cm"].to_numpy()
    rank, depth_text = np.zeros(len(ev), dtype=np.int8), np.full(len(ev), "", dtype=object)
    for e in np.unique(j):
        known = pd.notna(depths[e])
        rank[e] = 3 if known and depths[e] >= 50 else 2
        depth_text[e] = f", {depths[e]:.0f} cm" if known else ""
    ec = np.zeros(len(points), dtype=np.int8)
    np.maximum.at(ec, i, rank[j])
    text = tf_many("r_flood_report", lang, date=ev["date"].to_numpy()[j], depth=depth_text[j],
                   dist=distance_many(dists, lang))
    return ec, (i, text)


def _polygon_evidence(points: gpd.GeoSeries, pg: gpd.GeoDataFrame, lang: str) -> tuple[np.ndarray, Reasons]:
    """Inside a hazard polygon: its own class (the highest of several)."""
    i, j = pg.sindex.query(points.to_numpy(), predicate="within")
    pc = np.zeros(len(points), dtype=np.int8)
    used = np.unique(j)
    pclass, plabel = pg["flood_class"].to_numpy()[used], pg["label"].to_numpy()[used]
    lab = FLOOD_LABELS.get(lang, FLOOD_LABELS["id"])
    rank = np.zeros(len(pg), dtype=np.int8)
    rank[used] = _rank(pclass)
    text = np.empty(len(pg), dtype=object)
    text[used] = [f"{label} ({lab[c]})" for label, c in zip(plabel, pclass, strict=True)]
    np.maximum.at(pc, i, rank[j])
    return pc, (i, text[j])


def _raster_evidence(points: gpd.GeoSeries, r: Raster, params: Flood, lang: str
                     ) -> tuple[np.ndarray, np.ndarray, Reasons]:
    """Class (rank) of the maximum within ``raster_buffer_m``, which points the raster does not model."""
    _, mx, modelled = sample_raster(r, points, params.raster_buffer_m)
    rc = _rank(raster_class(mx, r.breaks))
    unit = " m" if r.kind == "depth" else ""
    lab = FLOOD_LABELS.get(lang, FLOOD_LABELS["id"])
    at = np.flatnonzero(rc > 0)
    value = format_each(mx[at], lambda v: number(v, lang, 2))  # as the language writes it: 1,40 in Indonesian
    level = _labels(rc[at])
    text = f"{r.label}: " + value + f"{unit} (" + pd.Series(level).map(lab).to_numpy(dtype=object) + ")"
    return rc, ~modelled, (at, text)


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
    listed, why = _kelurahan_evidence(n, kode_kel, layers.flood_kelurahan, lang)
    found = [(listed.astype(np.int8), why)]  # listed: rendah
    corridor_m = np.full(n, np.inf)
    if _present(layers.waterways, n):
        band, corridor_m, why = _corridor_evidence(points, layers.waterways, params, listed, corridor_exempt,
                                                   corridor_max, distances, lang)
        found.append((band, why))
    if _present(layers.lakes, n):
        found.append(_lake_evidence(points, layers.lakes, params, lang))
    if _present(layers.events, n):
        found.append(_event_evidence(points, layers.events, params, lang))
    if _present(layers.polygons, n):
        found.append(_polygon_evidence(points, layers.polygons, lang))
    not_modelled = []
    for r in layers.rasters:
        rank, missing, why = _raster_evidence(points, r, params, lang)
        found.append((rank, why))
        not_modelled.append(missing)
    # the highest class of all evidence; the reasons in the order of the evidence
    cls = _labels(np.max(np.vstack([rank for rank, _ in found]), axis=0))
    out = pd.DataFrame({"flood_class": cls, "dist_river_m": np.round(corridor_m, 1)}, index=points.index)
    if not_modelled:
        out["raster_not_modelled"] = np.all(np.vstack(not_modelled), axis=0)
    out["flood_reasons"] = join_parts(n, np.concatenate([at for _, (at, _) in found]),
                                      np.concatenate([text for _, (_, text) in found])).tolist()
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
    NaN when unreachable) and ``cut_unreachable`` for every TPS (index of ``tps``). The reach
    from the staging points is computed here; the analysis reads it from the region's prepared
    half instead (:func:`pamgeo.analysis.catchment.closed_access`).
    """
    from pamgeo.analysis.catchment import closed_access, staging_reach

    reach = staging_reach(net, staging, closed=np.asarray(edge_class) == closed_class)
    return closed_access(tps, rayon, reach, net, access_kmh=access_kmh)


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
