"""TPS risk: official classes, Bawaslu flags, computed indicators, a weighted score, reasons.

Classes (Polri): ``kurang_rawan``, ``rawan``, ``sangat_rawan`` and ``khusus`` (lokasi khusus TPS).
Legacy classes are mapped: ``aman`` -> kurang_rawan, ``rawan_1`` -> rawan, ``rawan_2`` ->
sangat_rawan. An official class always wins; the computed class stays beside it
(``risk_class_computed``) for comparison.

The computed score is a weighted mean of indicators, each scaled to 0..1 by a linear ramp
whose ends are set in the region config (``risk:``):

============== ======================================================================
waterway       distance to the nearest river/canal: 1 at ``waterway_m[0]`` or closer, 0 at
               ``waterway_m[1]`` or farther
flood_kelurahan the kelurahan holds flood-prone locations on the BPBD list (1) or not (0);
               the list has no coordinates, so this is kelurahan-level evidence
police_distance distance to the nearest police unit: 0 at ``police_km[0]`` or closer, 1 at
               ``police_km[1]`` or farther
crowding       other TPS within ``crowding_radius_m``: 0 at ``crowding_n[0]``, 1 at ``crowding_n[1]``
khusus         lokasi khusus TPS (901+): 1
voters         DPT per TPS, when the list has it: 0 at ``voters[0]``, 1 at ``voters[1]``
============== ======================================================================

When the flood exposure of :mod:`pamgeo.analysis.flood` is given (the briefing always gives it), one
``flood`` indicator (none 0, rendah 1/3, sedang 2/3, tinggi 1) replaces ``waterway`` and
``flood_kelurahan``, weighted by the sum of their weights.

``score = sum(w_i * x_i) / sum(w_i)`` over the indicators with a weight; classes are cut at
``thresholds.rawan`` and ``thresholds.sangat_rawan``; lokasi khusus TPS are class ``khusus``.
Every TPS gets ``risk_reasons``: short phrases with numbers, in the report language.

Bawaslu TPS-rawan indicators are multi-label flags (columns ``bawaslu_*``) kept beside the
class and never merged into it.
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from pamgeo.core.config import RiskParams
from pamgeo.core.i18n import (
    distance_many,
    format_each,
    join_parts,
    number_many,
    river_phrases,
    site_list,
    t,
    tf_many,
)
from pamgeo.core.vocabulary import CLASSES, FLOOD_LABELS, class_label, normalise_class


def _ramp(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """0 at ``lo``, 1 at ``hi``, linear between (``lo > hi`` gives a falling ramp)."""
    if lo == hi:
        return (x >= hi).astype(float)
    return np.clip((x - lo) / (hi - lo), 0.0, 1.0)


def nearest(points: gpd.GeoSeries, targets: gpd.GeoDataFrame | None, name_col: str | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    """Distance (m) from each point to the nearest target geometry, and that target's name."""
    n = len(points)
    if targets is None or targets.empty or n == 0:
        return np.full(n, np.inf), np.full(n, "", dtype=object)
    idx_p, idx_t, d = nearest_pairs(points.to_numpy(), targets)
    dist = np.full(n, np.inf)
    dist[idx_p] = d
    names = np.full(n, "", dtype=object)
    if name_col is not None:
        names[idx_p] = targets[name_col].fillna("").astype(str).to_numpy()[idx_t]
    return dist, names


def nearest_pairs(points: np.ndarray, targets: gpd.GeoDataFrame | gpd.GeoSeries, *, max_distance: float | None = None,
                  within: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each point's nearest target and the distance to it.

    The same pairs as ``targets.sindex.nearest(points, return_all=False, max_distance=max_distance)``
    and the same distances as ``shapely.distance(target, point)``, found in bulk: an upper bound per
    point from the nearest target vertex (k-d tree), the target pieces within it (lines cut into
    pieces of a few segments, whose least distance is the line's), and exact GEOS distances of those.
    A point whose least distance several targets share is left to ``sindex.nearest`` (its choice).

    Parameters
    ----------
    points
        Point geometries (other geometries: everything is left to ``sindex.nearest``).
    targets
        Geometries to search, in the points' CRS.
    max_distance
        As for ``sindex.nearest``: points with no target this near get no pair.
    within
        Only pairs this near are wanted (others may be left out; ``sindex.nearest`` is asked with
        ``max_distance`` as given).

    Returns
    -------
    tuple of ndarray
        Point positions, target positions and distances, in point order.
    """
    geoms = targets.geometry.to_numpy()
    points = np.asarray(points, dtype=object)
    present = ~(shapely.is_missing(points) | shapely.is_empty(points))
    at = np.flatnonzero(present)
    pieces, owner = _pieces(geoms)
    if len(at) == 0 or len(pieces) == 0 or (shapely.get_type_id(points[at]) != 0).any():
        return _sindex_nearest(points, targets, np.arange(len(points)), max_distance)
    pts = points[at]
    cap = min(c for c in (max_distance, within, np.inf) if c is not None)
    if np.isfinite(cap):
        reach = cap * (1 + 1e-9) + 1e-6  # margin for rounding: only adds candidates
    else:  # no point is farther from its nearest piece than from the nearest vertex
        ub, _ = cKDTree(shapely.get_coordinates(pieces)).query(shapely.get_coordinates(pts))
        reach = ub * (1 + 1e-9) + 1e-6
    qi, si = shapely.STRtree(pieces).query(pts, predicate="dwithin", distance=reach)
    d = shapely.distance(pieces[si], pts[qi])
    keep = d <= cap
    qi, si, d = qi[keep], si[keep], d[keep]
    best = np.full(len(pts), np.inf)
    np.minimum.at(best, qi, d)
    tie = d == best[qi]
    # the targets at each point's least distance: one (done) or several (sindex.nearest decides)
    key = pd.unique(qi[tie].astype(np.int64) * len(geoms) + owner[si[tie]])
    pq, pt = key // len(geoms), key % len(geoms)
    n_best = np.bincount(pq, minlength=len(pts))
    one = n_best[pq] == 1
    ip, it, dist = at[pq[one]], pt[one], best[pq[one]]
    shared = at[n_best > 1]
    if len(shared):
        sp, st, sd = _sindex_nearest(points, targets, shared, max_distance)
        ip, it, dist = np.r_[ip, sp], np.r_[it, st], np.r_[dist, sd]
    order = np.argsort(ip, kind="stable")
    return ip[order], it[order], dist[order]


def _sindex_nearest(points: np.ndarray, targets: gpd.GeoDataFrame | gpd.GeoSeries, which: np.ndarray,
                    max_distance: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`nearest_pairs` for the points ``which``, by ``sindex.nearest`` one point at a time."""
    idx_p, idx_t = targets.sindex.nearest(points[which], return_all=False, max_distance=max_distance)
    dist = shapely.distance(targets.geometry.to_numpy()[idx_t], points[which][idx_p])
    return which[idx_p], idx_t, dist


def _pieces(geoms: np.ndarray, size: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Geometries to search for the nearest, and the target each belongs to: lines in pieces of
    ``size`` segments (sharing their end vertices), other geometries whole; empty ones left out."""
    kind = shapely.get_type_id(geoms)
    lines = np.flatnonzero(np.isin(kind, (1, 5)) & ~shapely.is_empty(geoms))
    whole = np.flatnonzero(~np.isin(kind, (1, 5)) & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
    parts, part_of = shapely.get_parts(geoms[lines], return_index=True)
    coords, coord_of = shapely.get_coordinates(parts, return_index=True)
    n_coords = np.bincount(coord_of, minlength=len(parts))
    first = np.cumsum(n_coords) - n_coords
    n_seg = np.maximum(n_coords - 1, 0)
    n_piece = -(-n_seg // size)
    piece_part = np.repeat(np.arange(len(parts)), n_piece)
    piece_no = np.arange(len(piece_part)) - np.repeat(np.cumsum(n_piece) - n_piece, n_piece)
    v0 = piece_no * size
    n_vert = np.minimum(v0 + size, n_seg[piece_part]) - v0 + 1
    vert_piece = np.repeat(np.arange(len(piece_part)), n_vert)
    vert_no = np.arange(len(vert_piece)) - np.repeat(np.cumsum(n_vert) - n_vert, n_vert)
    vertex = first[piece_part][vert_piece] + v0[vert_piece] + vert_no
    line_pieces = shapely.linestrings(coords[vertex], indices=vert_piece) if len(vertex) else np.empty(0, dtype=object)
    pieces = np.concatenate([np.asarray(line_pieces, dtype=object), geoms[whole]])
    owner = np.concatenate([lines[part_of[piece_part]], whole])
    return pieces, owner


def crowding(points: gpd.GeoSeries, radius_m: float) -> np.ndarray:
    """Number of other TPS within ``radius_m`` of each TPS (metric CRS)."""
    if len(points) == 0:
        return np.zeros(0, dtype=int)
    xy = np.column_stack([points.x, points.y])
    # counted in the tree, never as a list of pairs: memory stays linear in the TPS however
    # crowded they are (many TPS at one school, or a whole city at once)
    return cKDTree(xy).query_ball_point(xy, radius_m, return_length=True) - 1


def score_tps(
    tps: gpd.GeoDataFrame,
    params: RiskParams,
    *,
    waterways: gpd.GeoDataFrame | None = None,
    police_posts: gpd.GeoDataFrame | None = None,
    flood_prone: pd.DataFrame | None = None,
    flood: pd.DataFrame | None = None,
    lang: str = "id",
    class_date: str | None = None,
    class_authority: str | None = None,
) -> gpd.GeoDataFrame:
    """Add risk indicators, score, classes and reasons to the TPS layer.

    Parameters
    ----------
    tps
        TPS in a metric CRS (``is_khusus``, ``risk_class_official``, optional ``dpt``).
    params
        Ramps, weights and thresholds (region config ``risk:``).
    waterways, police_posts
        Lines and points in the same CRS (either may be missing: the indicator is then left out
        and its weight does not count).
    flood_prone
        Kelurahan-level flood evidence (``kode_kel, lokasi``).
    flood
        Flood exposure from :func:`pamgeo.analysis.flood.classify_points` (``flood_class,
        flood_reasons``). When given, one ``flood`` indicator (none 0, rendah 1/3, sedang 2/3,
        tinggi 1) replaces ``waterway`` and ``flood_kelurahan``, with their weights summed.
    lang
        Language of ``risk_reasons`` (``"id"`` or ``"en"``).
    class_date, class_authority
        Date and issuing authority of official classes in the list.

    Returns
    -------
    GeoDataFrame
        ``tps`` plus ``dist_waterway_m, nearest_waterway, dist_police_m, nearest_police,
        n_tps_nearby, flood_kelurahan, risk_score, risk_class_computed, risk_class,
        risk_class_source, risk_class_date, risk_class_authority, risk_reasons``.
    """
    out = tps.copy()
    pts = out.geometry
    w = dict(params.weights)
    ind: dict[str, np.ndarray] = {}

    d_w, n_w = nearest(pts, waterways, "name")
    out["dist_waterway_m"] = np.round(d_w, 1)
    out["nearest_waterway"] = n_w
    if waterways is not None and not waterways.empty:
        ind["waterway"] = _ramp(d_w, params.waterway_m[1], params.waterway_m[0])

    d_p, n_p = nearest(pts, police_posts, "unit")
    out["dist_police_m"] = np.round(d_p, 1)
    out["nearest_police"] = n_p
    if police_posts is not None and not police_posts.empty:
        ind["police_distance"] = _ramp(d_p / 1000.0, params.police_km[0], params.police_km[1])

    flood_sites: dict[str, list[str]] = {}
    if flood_prone is not None and not flood_prone.empty:
        flood_sites = flood_prone.groupby("kode_kel")["lokasi"].agg(list).to_dict()
        ind["flood_kelurahan"] = out["kode_kel"].isin(flood_sites.keys()).to_numpy(float)
    out["flood_kelurahan"] = out["kode_kel"].isin(flood_sites.keys())

    near = crowding(pts, params.crowding_radius_m)
    out["n_tps_nearby"] = near
    ind["crowding"] = _ramp(near.astype(float), params.crowding_n[0], params.crowding_n[1])
    ind["khusus"] = out["is_khusus"].to_numpy(float)
    dpt = pd.to_numeric(out.get("dpt", pd.Series(pd.NA, index=out.index)), errors="coerce").to_numpy(float)
    if np.isfinite(dpt).any():
        ind["voters"] = np.nan_to_num(_ramp(dpt, params.voters[0], params.voters[1]), nan=0.0)

    if flood is not None:
        ind["flood"] = flood["flood_class"].map({"none": 0.0, "rendah": 1 / 3, "sedang": 2 / 3, "tinggi": 1.0}
                                                ).fillna(0.0).to_numpy(float)
        w["flood"] = w.pop("waterway", 0.0) + w.pop("flood_kelurahan", 0.0)
    used = {k: v for k, v in w.items() if v > 0 and k in ind}
    total = sum(used.values())
    score = sum(used[k] * ind[k] for k in used) / total if total else np.zeros(len(out))
    out["risk_score"] = np.round(score, 3)
    th = params.thresholds
    computed = np.where(score >= th["sangat_rawan"], "sangat_rawan",
                        np.where(score >= th["rawan"], "rawan", "kurang_rawan")).astype(object)
    computed[out["is_khusus"].to_numpy()] = "khusus"
    out["risk_class_computed"] = computed

    official = _official_classes(out.get("risk_class_official", pd.Series("", index=out.index)))
    has_off = official.notna().to_numpy()
    out["risk_class"] = np.where(has_off, official.fillna(""), computed)
    out["risk_class_source"] = np.where(has_off, "official", "computed")
    date = out.get("risk_class_date_file", pd.Series("", index=out.index)).fillna("").astype(str)
    auth = out.get("risk_class_authority_file", pd.Series("", index=out.index)).fillna("").astype(str)
    date = date.where(date != "", class_date or "")
    auth = auth.where(auth != "", class_authority or "")
    out["risk_class_date"] = np.where(has_off, date, "")
    out["risk_class_authority"] = np.where(has_off, auth, "pamgeo")

    out["risk_reasons"] = _reasons(out, ind, used, params, flood_sites, lang,
                                   None if flood is None else flood.reindex(out.index))
    return out


def _official_classes(values: pd.Series) -> pd.Series:
    """:func:`~pamgeo.core.vocabulary.normalise_class` of each value, once per distinct value."""
    return pd.Series(format_each(values.to_numpy(dtype=object), normalise_class), index=values.index)


def _reasons(out: gpd.GeoDataFrame, ind: dict[str, np.ndarray], used: dict[str, float],
             params: RiskParams, flood_sites: dict[str, list[str]], lang: str,
             flood: pd.DataFrame | None = None) -> list[str]:
    """Phrases for every indicator that contributes (value > 0), strongest first (words from
    the catalogue, :mod:`pamgeo.core.i18n`), built column by column."""
    n = len(out)
    rows: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    texts: list[np.ndarray] = []

    def part(key: str, weight: float | np.ndarray, text_of: Callable[[np.ndarray], np.ndarray]) -> None:
        """The phrase of indicator ``key`` for the TPS where it contributes (``text_of(mask)``)."""
        if key not in used:
            return
        on = ind[key] > 0
        rows.append(np.flatnonzero(on))
        weights.append(np.broadcast_to(np.asarray(weight, dtype=float), (n,))[on])
        texts.append(text_of(on))

    def river(on: np.ndarray) -> np.ndarray:
        return river_phrases(out["dist_waterway_m"].to_numpy(float)[on],
                             out["nearest_waterway"].to_numpy(dtype=object)[on], lang)

    def flood_kelurahan(on: np.ndarray) -> np.ndarray:
        names = {code: site_list(sites) for code, sites in flood_sites.items()}
        return tf_many("r_flood_kelurahan", lang, names=pd.Series(out["kode_kel"].to_numpy()[on]).map(names).to_numpy())

    def flood_level(on: np.ndarray) -> np.ndarray:
        levels = FLOOD_LABELS.get(lang, FLOOD_LABELS["id"])
        return tf_many("r_flood", lang, level=pd.Series(flood["flood_class"].to_numpy()[on]).map(levels).to_numpy(),
                       why=flood["flood_reasons"].to_numpy(dtype=object)[on])

    def police(on: np.ndarray) -> np.ndarray:
        return tf_many("r_police", lang, dist=distance_many(out["dist_police_m"].to_numpy(float)[on], lang),
                       unit=out["nearest_police"].to_numpy(dtype=object)[on])

    def voters(on: np.ndarray) -> np.ndarray:
        dpt = pd.to_numeric(out["dpt"], errors="coerce").to_numpy(float)[on]
        return tf_many("r_voters", lang, n=number_many(np.trunc(dpt).astype(np.int64), lang))

    part("waterway", used.get("waterway", 0.0) * ind.get("waterway", 0.0), river)
    part("flood_kelurahan", used.get("flood_kelurahan", 0.0), flood_kelurahan)
    part("flood", used.get("flood", 0.0) * ind.get("flood", 0.0), flood_level)
    part("police_distance", used.get("police_distance", 0.0) * ind.get("police_distance", 0.0), police)
    part("crowding", used.get("crowding", 0.0) * ind.get("crowding", 0.0),
         lambda on: tf_many("r_crowding", lang, n=number_many(out["n_tps_nearby"].to_numpy(np.int64)[on], lang),
                            r=int(params.crowding_radius_m)))
    part("khusus", used.get("khusus", 0.0), lambda on: np.full(on.sum(), t("r_khusus", lang), dtype=object))
    part("voters", used.get("voters", 0.0) * ind.get("voters", 0.0), voters)
    official = (out["risk_class_source"] == "official").to_numpy()
    if official.any():
        who = out["risk_class_authority"].to_numpy(dtype=object)[official]
        who[~who.astype(bool)] = t("r_the_list", lang)
        cls = pd.Series(out["risk_class"].to_numpy()[official])
        label = cls.map({c: class_label(c, lang) for c in cls.unique()}).to_numpy()
        rows.append(np.flatnonzero(official))
        weights.append(np.full(official.sum(), 9.0))
        texts.append(tf_many("r_official", lang, label=label, who=who))
    if not rows:
        return [""] * n
    row, weight, text = np.concatenate(rows), np.concatenate(weights), np.concatenate(texts)
    # strongest first; equal weights in the order above (a stable sort, as the reasons were built)
    order = np.lexsort((np.arange(len(row)), -weight, row))
    return join_parts(n, row[order], text[order]).tolist()


def latest_classes(lists: pd.DataFrame) -> pd.DataFrame:
    """One row per TPS of dated classification lists: the latest ``class_date`` wins; on the
    same date the later list (``list_index``, the order of ``sources.classifications``)."""
    order = [c for c in ("class_date", "list_index") if c in lists]
    return lists.sort_values(order, kind="stable").drop_duplicates("tps_id", keep="last").set_index("tps_id")


def apply_official(tps: gpd.GeoDataFrame, lists: pd.DataFrame | None, *, list_date: str | None = None
                   ) -> gpd.GeoDataFrame:
    """The TPS with the classes of official classification lists put in as their official class.

    ``lists`` (:class:`pamgeo.ingest.classifications.Classifications` ``.frame``): for each TPS
    of the region (``in_region``) the latest dated class (:func:`latest_classes`) becomes
    ``risk_class_official`` with its date and authority (``risk_class_date_file``,
    ``risk_class_authority_file``, read by :func:`score_tps`) and ``risk_class_list`` (the file).
    A class the TPS list itself carries stays when it is dated later than the list's
    (``list_date``: the TPS source's ``class_date``, for rows without a date of their own).
    """
    out = tps.copy()
    for col in ("risk_class_official", "risk_class_date_file", "risk_class_authority_file", "risk_class_list"):
        out[col] = out[col].fillna("").astype(str) if col in out else ""
    if lists is None or lists.empty:
        return out
    latest = latest_classes(lists[lists["in_region"].astype(bool)])
    hit = out["tps_id"].isin(latest.index).to_numpy()
    ids = out.loc[hit, "tps_id"]
    own_date = out["risk_class_date_file"].where(out["risk_class_date_file"] != "", list_date or "")
    own = (out["risk_class_official"] != "") & (own_date != "")
    new_date = ids.map(latest["class_date"])
    keep_own = own[hit] & (own_date[hit] > new_date)
    take = ids.index[~keep_own.to_numpy()]
    sel = out.loc[take, "tps_id"]
    out.loc[take, "risk_class_official"] = sel.map(latest["risk_class"]).to_numpy()
    out.loc[take, "risk_class_date_file"] = sel.map(latest["class_date"]).to_numpy()
    out.loc[take, "risk_class_authority_file"] = sel.map(latest["class_authority"]).to_numpy()
    out.loc[take, "risk_class_list"] = sel.map(latest["list"]).to_numpy()
    return out


def class_counts(tps: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """TPS per class (columns in class order), optionally per ``by``."""
    if by is None:
        counts = tps["risk_class"].value_counts().reindex(CLASSES, fill_value=0)
        return counts.to_frame("n_tps").T.reset_index(drop=True)
    table = pd.crosstab(tps[by], tps["risk_class"]).reindex(columns=CLASSES, fill_value=0)
    return table.reset_index()
