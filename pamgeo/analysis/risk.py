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

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from pamgeo.core.config import RiskParams
from pamgeo.core.i18n import distance, t, tf
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
    idx_p, idx_t = targets.sindex.nearest(points.to_numpy(), return_all=False)
    dist = np.full(n, np.inf)
    dist[idx_p] = shapely.distance(targets.geometry.to_numpy()[idx_t], points.to_numpy()[idx_p])
    names = np.full(n, "", dtype=object)
    if name_col is not None:
        names[idx_p] = targets[name_col].fillna("").astype(str).to_numpy()[idx_t]
    return dist, names


def crowding(points: gpd.GeoSeries, radius_m: float) -> np.ndarray:
    """Number of other TPS within ``radius_m`` of each TPS (metric CRS)."""
    if len(points) == 0:
        return np.zeros(0, dtype=int)
    xy = np.column_stack([points.x, points.y])
    tree = cKDTree(xy)
    return tree.query_ball_point(xy, radius_m, return_length=True) - 1


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

    official = out.get("risk_class_official", pd.Series("", index=out.index)).map(normalise_class)
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


def _reasons(out: gpd.GeoDataFrame, ind: dict[str, np.ndarray], used: dict[str, float],
             params: RiskParams, flood_sites: dict[str, list[str]], lang: str,
             flood: pd.DataFrame | None = None) -> list[str]:
    """Phrases for every indicator that contributes (value > 0), strongest first (words from
    the catalogue, :mod:`pamgeo.core.i18n`)."""
    res = []
    records = pd.DataFrame(out.drop(columns=out.geometry.name)).to_dict("records")  # ~20x faster than iterrows
    flood_class = list(flood["flood_class"]) if flood is not None else []
    flood_why = list(flood["flood_reasons"]) if flood is not None else []
    levels = FLOOD_LABELS.get(lang, FLOOD_LABELS["id"])
    for i, row in enumerate(records):
        parts: list[tuple[float, str]] = []
        if "waterway" in used and ind["waterway"][i] > 0:
            river = row["nearest_waterway"] or t("r_a_river", lang)
            parts.append((used["waterway"] * ind["waterway"][i],
                          tf("r_from", lang, dist=distance(row["dist_waterway_m"], lang), what=river)))
        if "flood_kelurahan" in used and ind["flood_kelurahan"][i] > 0:
            sites = flood_sites.get(row["kode_kel"], [])
            names = ", ".join(sites[:2]) + (f" (+{len(sites) - 2})" if len(sites) > 2 else "")
            parts.append((used["flood_kelurahan"], tf("r_flood_kelurahan", lang, names=names)))
        if "flood" in used and ind["flood"][i] > 0:
            parts.append((used["flood"] * ind["flood"][i],
                          tf("r_flood", lang, level=levels[flood_class[i]], why=flood_why[i])))
        if "police_distance" in used and ind["police_distance"][i] > 0:
            parts.append((used["police_distance"] * ind["police_distance"][i],
                          tf("r_police", lang, dist=distance(row["dist_police_m"], lang), unit=row["nearest_police"])))
        if "crowding" in used and ind["crowding"][i] > 0:
            parts.append((used["crowding"] * ind["crowding"][i],
                          tf("r_crowding", lang, n=int(row["n_tps_nearby"]), r=int(params.crowding_radius_m))))
        if "khusus" in used and ind["khusus"][i] > 0:
            parts.append((used["khusus"], t("r_khusus", lang)))
        if "voters" in used and ind["voters"][i] > 0:
            parts.append((used["voters"] * ind["voters"][i], tf("r_voters", lang, n=int(row["dpt"]))))
        if row["risk_class_source"] == "official":
            who = row["risk_class_authority"] or t("r_the_list", lang)
            parts.append((9.0, tf("r_official", lang, label=class_label(row["risk_class"], lang), who=who)))
        parts.sort(key=lambda p: -p[0])
        res.append("; ".join(p[1] for p in parts))
    return res


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
