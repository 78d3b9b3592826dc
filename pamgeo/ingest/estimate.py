"""Estimated TPS positions for regions without a public per-TPS coordinate list.

KPU publishes how many TPS each kelurahan has, not where they are. To draw a usable briefing
anyway, pamgeo places each kelurahan's TPS with a seeded, documented estimator:

``streets`` (default)
    TPS in Indonesian towns stand in neighbourhoods: a school yard, a mosque forecourt, a
    RT/RW hall, a garage on a residential street. The estimator draws candidate points along
    the kelurahan's roads, each road weighted by its length times a class weight (residential
    and living streets 1.0, unclassified 0.6, service and tertiary 0.4, secondary 0.15; main
    roads and motorways 0), sets each point a few metres (``offset_m``) to one side of the
    centreline as a building would be, and keeps points at least ``min_spacing_m`` apart
    (halving the spacing when a kelurahan has too little street for its TPS).
``uniform``
    Points uniformly at random inside the kelurahan polygon with the same spacing rule, for
    regions whose bundle has no roads.

Every estimated TPS carries ``position_source="estimated"`` and its ``position_method``; the
same seed gives the same positions. A real KPU/Sirekap list replaces the estimate through the
region config (``sources.tps.format: list``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from pamgeo.core.codes import KHUSUS_FROM, kecamatan_of, tps_id
from pamgeo.ingest.validate import TPS_COLUMNS


def tps_from_counts(counts: pd.DataFrame, kelurahan: gpd.GeoDataFrame) -> pd.DataFrame:
    """One row per TPS from per-kelurahan counts (no positions yet).

    Regular TPS are numbered 1..n in each kelurahan; the lokasi khusus range
    ``khusus_from..khusus_to`` (901...) is added where given.

    Parameters
    ----------
    counts
        ``kode_kel, n_regular, khusus_from, khusus_to, row`` as from :func:`pamgeo.ingest.io.read_tps_counts`.
    kelurahan
        The region's kelurahan (for names); every count row must have one.
    """
    names = kelurahan.set_index("kode_kel")
    missing = sorted(set(counts["kode_kel"]) - set(names.index))
    if missing:
        raise ValueError(f"TPS counts name kelurahan missing from the boundary set: {missing[:5]}")
    rows = []
    for rec in counts.itertuples(index=False):
        numbers = list(range(1, int(rec.n_regular) + 1))
        if pd.notna(rec.khusus_from):
            hi = int(rec.khusus_to) if pd.notna(rec.khusus_to) else int(rec.khusus_from)
            numbers += list(range(int(rec.khusus_from), hi + 1))
        for n in numbers:
            rows.append((tps_id(rec.kode_kel, n), rec.kode_kel, n, int(rec.row)))
    out = pd.DataFrame(rows, columns=["tps_id", "kode_kel", "tps_no", "file_row"])
    out["kode_kec"] = out["kode_kel"].map(kecamatan_of)
    out["kecamatan"] = out["kode_kel"].map(names["kecamatan"])
    out["kelurahan"] = out["kode_kel"].map(names["kelurahan"])
    out["is_khusus"] = out["tps_no"] >= KHUSUS_FROM
    out["alamat"] = ""
    out["dpt"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["risk_class_official"] = ""
    out["source_row"] = "row " + out["file_row"].astype(str)
    return out.drop(columns="file_row")


def _spaced(points: np.ndarray, n: int, spacing: float, rng: np.random.Generator) -> np.ndarray:
    """Indices of up to ``n`` candidate points at least ``spacing`` apart (greedy, random order)."""
    order = rng.permutation(len(points))
    tree = cKDTree(points)
    blocked = np.zeros(len(points), dtype=bool)
    chosen: list[int] = []
    for i in order:
        if blocked[i]:
            continue
        chosen.append(i)
        blocked[tree.query_ball_point(points[i], spacing)] = True
        if len(chosen) == n:
            break
    return np.asarray(chosen, dtype=int)


def _street_candidates(lines: gpd.GeoDataFrame, weights: dict[str, float], n: int,
                       offset_m: tuple[float, float], polygon, rng: np.random.Generator) -> np.ndarray:
    w = lines["road_class"].map(weights).fillna(0.0).to_numpy() * lines.geometry.length.to_numpy()
    if w.sum() <= 0:
        return np.empty((0, 2))
    pick = rng.choice(len(lines), size=n, p=w / w.sum())
    geoms = lines.geometry.to_numpy()[pick]
    lengths = shapely.length(geoms)
    d = rng.random(n) * lengths
    p = shapely.line_interpolate_point(geoms, d)
    ahead = shapely.line_interpolate_point(geoms, np.minimum(d + 1.0, lengths))
    behind = shapely.line_interpolate_point(geoms, np.maximum(d - 1.0, 0.0))
    tx = shapely.get_x(ahead) - shapely.get_x(behind)
    ty = shapely.get_y(ahead) - shapely.get_y(behind)
    norm = np.hypot(tx, ty)
    norm[norm == 0] = 1.0
    side = rng.choice([-1.0, 1.0], size=n) * rng.uniform(*offset_m, size=n)
    x = shapely.get_x(p) - ty / norm * side
    y = shapely.get_y(p) + tx / norm * side
    inside = shapely.contains_xy(polygon, x, y)
    # a point pushed off the polygon falls back to the centreline
    x = np.where(inside, x, shapely.get_x(p))
    y = np.where(inside, y, shapely.get_y(p))
    return np.column_stack([x, y])


def _uniform_candidates(polygon, n: int, rng: np.random.Generator) -> np.ndarray:
    minx, miny, maxx, maxy = polygon.bounds
    out = np.empty((0, 2))
    shapely.prepare(polygon)
    for _ in range(50):
        xy = np.column_stack([rng.uniform(minx, maxx, 4 * n), rng.uniform(miny, maxy, 4 * n)])
        out = np.vstack([out, xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]])
        if len(out) >= n:
            break
    return out


def place_tps(
    tps: pd.DataFrame,
    kelurahan: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame | None = None,
    *,
    method: str = "streets",
    seed: int = 0,
    min_spacing_m: float = 40.0,
    offset_m: tuple[float, float] = (6.0, 20.0),
    road_weights: dict[str, float] | None = None,
    progress: bool = False,
) -> gpd.GeoDataFrame:
    """Estimate a position for every TPS inside its kelurahan.

    Parameters
    ----------
    tps
        Rows from :func:`tps_from_counts`.
    kelurahan
        Kelurahan polygons in a metric CRS.
    roads
        Road lines (``road_class``) in the same CRS; required for ``method="streets"``. A
        kelurahan without weighted streets falls back to ``uniform`` (noted in
        ``position_method``).
    method
        ``"streets"`` or ``"uniform"``.
    seed
        Seed of the random generator; each kelurahan draws from its own stream derived from
        the seed and its code, so adding a kelurahan does not move the others.
    min_spacing_m
        Minimum distance between TPS of one kelurahan (halved until the TPS fit).

    Returns
    -------
    GeoDataFrame
        ``tps`` in :data:`pamgeo.ingest.validate.TPS_COLUMNS` with point geometry in the kelurahan CRS.
    """
    if method not in ("streets", "uniform"):
        raise ValueError(f"unknown placement method {method!r}; use 'streets' or 'uniform'")
    if method == "streets" and roads is None:
        raise ValueError("placement method 'streets' needs roads (configure sources.roads)")
    weights = road_weights or {"residential": 1.0}
    kel = kelurahan.set_index("kode_kel")
    if method == "streets":
        weighted = roads[roads["road_class"].isin([k for k, v in weights.items() if v > 0])]
        clipped = gpd.overlay(weighted[["road_class", "geometry"]], kelurahan[["kode_kel", "geometry"]],
                              how="intersection", keep_geom_type=True).explode(index_parts=False)
        by_kel = dict(tuple(clipped.groupby("kode_kel")))
    xs = np.full(len(tps), np.nan)
    ys = np.full(len(tps), np.nan)
    methods = np.empty(len(tps), dtype=object)
    groups = tps.groupby("kode_kel", sort=True).indices
    items = list(groups.items())
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(items, desc="placing TPS", unit="kelurahan")
    for code, idx in items:
        n = len(idx)
        polygon = kel.loc[code, "geometry"]
        rng = np.random.default_rng([seed, int(code.replace(".", ""))])
        used = method
        cand = np.empty((0, 2))
        if method == "streets" and code in by_kel:
            cand = _street_candidates(by_kel[code], weights, max(20 * n, 200), offset_m, polygon, rng)
        if len(cand) == 0:
            used = "uniform"
            cand = _uniform_candidates(polygon, max(20 * n, 200), rng)
        spacing = min_spacing_m
        chosen = _spaced(cand, n, spacing, rng)
        while len(chosen) < n and spacing > 1:
            spacing /= 2
            chosen = _spaced(cand, n, spacing, rng)
        if len(chosen) < n:  # degenerate: tiny polygon; take candidates as they are
            chosen = np.resize(np.arange(len(cand)), n)
        xy = cand[chosen[:n]]
        order = np.argsort(rng.random(n))  # TPS numbers carry no spatial order
        xs[idx], ys[idx] = xy[order, 0], xy[order, 1]
        methods[idx] = f"{used}:seed={seed}"
    out = gpd.GeoDataFrame(tps.copy(), geometry=gpd.points_from_xy(xs, ys), crs=kelurahan.crs)
    out["position_source"] = "estimated"
    out["position_method"] = methods
    return out[[*TPS_COLUMNS, "geometry"]].reset_index(drop=True)
