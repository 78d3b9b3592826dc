"""Polda and national aggregation: pure functions on the results of member runs and on counts.

- :func:`member_summary`: the small summary of one member run (TPS by class, personnel needed
  against available, reserve, flood exposure, pockets with rawan TPS, TPS estimated or left out,
  the outline and pockets as small GeoJSON), what a distributed task hands back.
- :func:`polda_table`: per Polres rows and the Polda total from member summaries.
- :func:`national_counts`: TPS per province / kab/kota / kecamatan from the national counts,
  each desa placed in its kab/kota and kecamatan polygon or listed as without one;
  :func:`polda_personnel`: personnel needed per Polda by a preset, with TPS classed kurang rawan
  (and lokasi khusus as khusus) since no national risk classes exist.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd

from pamgeo.analysis.pipeline import Analysis
from pamgeo.core.codes import KHUSUS_FROM
from pamgeo.core.presets import Preset
from pamgeo.core.vocabulary import CLASSES
from pamgeo.ingest.region import RegionData

WGS84 = "EPSG:4326"


def _geojson(gdf: gpd.GeoDataFrame, simplify_m: float) -> dict:
    g = gdf.copy()
    g["geometry"] = g.geometry.simplify(simplify_m)
    return json.loads(g.to_crs(WGS84).to_json(drop_id=True))


def _strength(analysis: Analysis, item: str, column: str) -> int | None:
    s = analysis.strength
    row = s[s["item"] == item]
    if row.empty or pd.isna(row[column].iloc[0]):
        return None
    return int(row[column].iloc[0])


def member_summary(data: RegionData, analysis: Analysis, *, counted: int, reserve_peleton: int = 0,
                   peleton_size: int = 30) -> dict:
    """What the Polda page needs of one member run (JSON-ready, small).

    ``counted`` is the TPS the national counts give for the run's codes: those not in the run
    are reported as left out. ``reserve_peleton`` peleton are added when the run has no rayon
    plan of its own (its reserve is zero).
    """
    tps = analysis.tps
    by_class = tps["risk_class"].value_counts().reindex(list(CLASSES), fill_value=0)
    flood = tps["flood_class"].value_counts() if "flood_class" in tps else pd.Series(dtype=int)
    rawan = tps["risk_class"].isin(["rawan", "sangat_rawan"])
    pockets = tps.loc[rawan & tps["pocket_id"].notna(), "pocket_id"]
    polri_tps = _strength(analysis, "polri_tps", "needed") or 0
    reserve = _strength(analysis, "reserve_peleton", "needed") or reserve_peleton * peleton_size
    available = _strength(analysis, "polri_total", "available")
    needed = polri_tps + reserve
    poly = analysis.pockets.polygons
    pocket_geo = None
    if poly is not None and not poly.empty and "pocket_id" in poly:
        keep = poly[poly["pocket_id"].isin(set(pockets))]
        if not keep.empty:
            pocket_geo = _geojson(keep[["geometry"]], 20)
    return {
        "tps": len(tps), "counted": int(counted), "left_out": int(counted - len(tps)),
        "estimated": int((tps["position_source"] == "estimated").sum()),
        "kecamatan": len(data.kecamatan), "kelurahan": len(data.kelurahan),
        **{c: int(by_class[c]) for c in CLASSES},
        "polri_tps": int(polri_tps), "reserve": int(reserve), "polri_needed": int(needed),
        "available": available, "shortfall": (max(0, needed - available) if available is not None else None),
        "flood_rendah": int(flood.get("rendah", 0)), "flood_sedang": int(flood.get("sedang", 0)),
        "flood_tinggi": int(flood.get("tinggi", 0)),
        "pockets_rawan": int(pockets.nunique()), "pocket_tps_rawan": len(pockets),
        "outline": _geojson(data.kota[["geometry"]], 60),
        "pockets_geojson": pocket_geo,
    }


NUMERIC = ("tps", "counted", "left_out", "estimated", "kecamatan", *CLASSES, "polri_tps", "reserve",
           "polri_needed", "available", "shortfall", "flood_rendah", "flood_sedang", "flood_tinggi",
           "pockets_rawan", "pocket_tps_rawan")


def polda_table(runs: list[dict]) -> pd.DataFrame:
    """Per Polres: the sums of its runs' summaries (runs that failed count as missing).

    ``runs``: ``{"member", "polres", "run_id", "status", "summary"}`` each. Columns: ``polres``,
    ``member``, ``runs`` (ok/all), every :data:`NUMERIC` figure summed over the member's areas;
    ``available`` is the Polres's strength as one of its areas gives it (empty when none does) and
    ``shortfall`` the need of all its areas against it.
    """
    rows = []
    for member in dict.fromkeys(r["member"] for r in runs):
        mine = [r for r in runs if r["member"] == member]
        ok = [r["summary"] for r in mine if r.get("status") == "ok" and r.get("summary")]
        row = {"member": member, "polres": mine[0]["polres"], "runs_ok": len(ok), "runs": len(mine)}
        for k in NUMERIC:
            if k in ("available", "shortfall"):
                continue
            row[k] = sum(s.get(k) for s in ok if s.get(k) is not None)
        # a Polres's strength is one figure for all its areas (the area whose config gives it):
        # set against the need of every area, never summed per area
        strengths = [s["available"] for s in ok if s.get("available") is not None]
        row["available"] = max(strengths) if strengths else None
        row["shortfall"] = max(0, row["polri_needed"] - row["available"]) if strengths else None
        rows.append(row)
    return pd.DataFrame(rows)


def polda_total(table: pd.DataFrame, available: dict[str, int]) -> dict:
    """The Polda's totals: sums of the Polres rows; Polri needed set against the Polda's strength."""
    total = {k: int(pd.to_numeric(table[k], errors="coerce").fillna(0).sum()) for k in NUMERIC
             if k not in ("available", "shortfall")}
    polri = available.get("polri")
    total["available"] = polri
    total["shortfall"] = max(0, total["polri_needed"] - polri) if polri is not None else None
    return total


# -- national ---------------------------------------------------------------------------------

def national_counts(tps: pd.DataFrame, kabkota_codes: set[str], kecamatan_codes: set[str]) -> dict[str, pd.DataFrame]:
    """TPS per province, kab/kota and kecamatan, and the kecamatan with TPS but no polygon.

    ``tps`` is :attr:`pamgeo.ingest.kawalpemilu.NationalCounts.tps`. Every TPS is counted once:
    ``kecamatan`` rows carry ``has_polygon``; ``no_polygon`` lists the kecamatan codes without
    one (never dropped), ``kabkota`` rows carry ``has_polygon`` too.
    """
    t = tps.assign(n_khusus=_khusus(tps))
    agg = {"n_tps": ("n_tps", "sum"), "n_khusus": ("n_khusus", "sum"), "n_desa": ("kode_kel", "size")}
    kec = t.groupby(["kode_prov", "kode_kab", "kode_kec"], as_index=False).agg(**agg)
    kec["has_polygon"] = kec["kode_kec"].isin(kecamatan_codes)
    kab = t.groupby(["kode_prov", "kode_kab"], as_index=False).agg(**agg, n_kecamatan=("kode_kec", "nunique"))
    kab["has_polygon"] = kab["kode_kab"].isin(kabkota_codes)
    prov = t.groupby("kode_prov", as_index=False).agg(**agg, n_kabkota=("kode_kab", "nunique"))
    return {"provinsi": prov, "kabkota": kab, "kecamatan": kec, "no_polygon": kec[~kec["has_polygon"]]}


def _khusus(tps: pd.DataFrame) -> pd.Series:
    lo = tps["khusus_from"].fillna(0).astype(int).clip(lower=KHUSUS_FROM)
    hi = tps["khusus_to"].fillna(0).astype(int)
    return (hi - lo + 1).clip(lower=0)


def polda_of(tps: pd.DataFrame, province_polda: dict[str, str], overrides: dict[str, str]) -> pd.Series:
    """The Polda of every desa row: by province, unless a group names its kab/kota or kecamatan
    (``overrides``: dotted kab/kota or kecamatan code -> Polda name; kecamatan win)."""
    out = tps["kode_prov"].map(province_polda)
    kab = tps["kode_kab"].map({k: v for k, v in overrides.items() if len(k) == 5})
    kec = tps["kode_kec"].map({k: v for k, v in overrides.items() if len(k) == 8})
    return kec.fillna(kab).fillna(out)


def kecamatan_personnel(tps: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """Per kecamatan: TPS, lokasi khusus, Polri and Linmas needed by ``preset``, groups rounded up
    per desa (regular TPS counted kurang rawan: the national counts carry no risk classes)."""
    n_kh = _khusus(tps)
    n_reg = tps["n_tps"] - n_kh
    kr, kh = preset.pattern("kurang_rawan"), preset.pattern("khusus")
    frame = tps[["kode_prov", "kode_kab", "kode_kec", "n_tps"]].assign(
        n_khusus=n_kh,
        polri=[kr.polri_for(int(a)) + kh.polri_for(int(b)) for a, b in zip(n_reg, n_kh, strict=True)],
        linmas=[kr.linmas_for(int(a)) + kh.linmas_for(int(b)) for a, b in zip(n_reg, n_kh, strict=True)])
    return frame.groupby(["kode_prov", "kode_kab", "kode_kec"], as_index=False)[
        ["n_tps", "n_khusus", "polri", "linmas"]].sum()


def polda_personnel(kec: pd.DataFrame, polda: pd.Series) -> pd.DataFrame:
    """Per Polda: sums of :func:`kecamatan_personnel` rows, ``polda`` the Polda of each row."""
    out = kec.assign(polda=polda.to_numpy()).groupby("polda", as_index=False).agg(
        n_tps=("n_tps", "sum"), n_khusus=("n_khusus", "sum"), polri_needed=("polri", "sum"),
        linmas_needed=("linmas", "sum"), provinces=("kode_prov", lambda s: ", ".join(sorted(set(s)))),
        n_kabkota=("kode_kab", "nunique"))
    return out.sort_values("n_tps", ascending=False).reset_index(drop=True)
