"""What changed between two dated TPS classifications: up or down a class, added, removed.

Pure: frames in, frames out. Either side is a classification list (the frame of
:func:`pamgeo.ingest.classifications.read_classification_list`) or the TPS of a run
(``tps.csv``, through :func:`from_tps_csv`). Each TPS gets one ``change``:

========== ==================================================================
up         a higher class on the new side (kurang rawan < rawan < sangat rawan)
down       a lower class
added      on the new side only (a list: newly listed)
removed    on the old side only (a list: no longer listed)
unchanged  the same class on both sides
changed    to or from ``khusus`` (a kind of location, not a level)
========== ==================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from pamgeo.core.codes import kecamatan_of, normalise_code
from pamgeo.core.vocabulary import CLASSES, normalise_class

#: the changes in the order tables show them
CHANGES = ("up", "down", "added", "removed", "changed", "unchanged")

#: class levels for up/down (``khusus`` is a kind of location, not a level)
LEVELS = {"kurang_rawan": 0, "rawan": 1, "sangat_rawan": 2}

#: per-TPS columns of :attr:`Changes.table`
TABLE_COLUMNS = ("tps_id", "kode_kel", "kelurahan", "kode_kec", "kecamatan", "tps_no", "class_old", "class_new",
                 "date_old", "date_new", "authority_old", "authority_new", "change", "step")

_SIDE = ("risk_class", "class_date", "class_authority")
_PLACE = ("kode_kel", "kelurahan", "kode_kec", "kecamatan", "tps_no", "lat", "lon")


@dataclass
class Changes:
    """The comparison of two classifications.

    ``table``: one row per TPS on either side (:data:`TABLE_COLUMNS`, plus ``lat, lon`` when a
    side has them); ``by_class``: TPS per class before and after; ``by_kecamatan``: the changes
    and the classes before/after per kecamatan.
    """

    table: pd.DataFrame
    by_class: pd.DataFrame
    by_kecamatan: pd.DataFrame
    old_label: str = ""
    new_label: str = ""

    @property
    def counts(self) -> dict[str, int]:
        """TPS per change, every change named (0 when none)."""
        vc = self.table["change"].value_counts()
        return {c: int(vc.get(c, 0)) for c in CHANGES}


def from_tps_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """A run's ``tps.csv`` as one side of a comparison (``risk_class``, ``class_date``, ...)."""
    out = pd.DataFrame({"tps_id": frame["tps_id"].astype(str)})
    out["risk_class"] = [normalise_class(v) or "" for v in frame["risk_class"]]
    out["class_date"] = frame.get("risk_class_date", pd.Series("", index=frame.index)).fillna("").astype(str)
    out["class_authority"] = frame.get("risk_class_authority", pd.Series("", index=frame.index)).fillna("").astype(str)
    for col in _PLACE:
        if col in frame:
            out[col] = frame[col].to_numpy()
    return out


def _places(old: pd.DataFrame, new: pd.DataFrame, ids: pd.Index, places: pd.DataFrame | None) -> pd.DataFrame:
    """Kelurahan, kecamatan, TPS number (and lat/lon) of every TPS: from ``places``, else the
    sides (new first), else from the TPS id itself."""
    out = pd.DataFrame(index=ids)
    sources = [f.set_index("tps_id") for f in (places, new, old) if f is not None]
    for col in _PLACE:
        values = pd.Series(None, index=ids, dtype=object)
        for src in sources:
            if col in src:
                got = src[col].astype(object).where(src[col].astype(str) != "", None)
                got = got[~got.index.duplicated()].reindex(ids)
                values = values.where(values.notna(), got)
        if values.notna().any():
            out[col] = values
    from_id = [(normalise_code(i[:10]), int(i[10:])) if len(i) == 13 and i.isdigit() else (None, None) for i in ids]
    kel = out["kode_kel"] if "kode_kel" in out else pd.Series(None, index=ids, dtype=object)
    out["kode_kel"] = kel.where(kel.notna(), pd.Series([k for k, _ in from_id], index=ids, dtype=object))
    kec = [kecamatan_of(c) if isinstance(c, str) and c.count(".") == 3 else "" for c in out["kode_kel"]]
    have = out["kode_kec"] if "kode_kec" in out else pd.Series(None, index=ids, dtype=object)
    out["kode_kec"] = have.where(have.notna(), pd.Series(kec, index=ids, dtype=object))
    nos = pd.to_numeric(out["tps_no"], errors="coerce") if "tps_no" in out else pd.Series(np.nan, index=ids)
    out["tps_no"] = nos.where(nos.notna(), pd.Series([n for _, n in from_id], index=ids, dtype=float)).astype("Int64")
    for col in ("kelurahan", "kecamatan", "kode_kel", "kode_kec"):
        out[col] = out[col].fillna("").astype(str) if col in out else ""
    return out


def _change(old: pd.Series, new: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``change`` and ``step`` (levels up, negative down) of every TPS."""
    lo, ln = old.map(LEVELS), new.map(LEVELS)
    step = (ln - lo).to_numpy(float)
    has_old, has_new = old.notna().to_numpy(), new.notna().to_numpy()
    change = np.select(
        [~has_old, ~has_new, old.to_numpy() == new.to_numpy(), np.isnan(step), step > 0],
        ["added", "removed", "unchanged", "changed", "up"], "down").astype(object)
    return change, np.where(np.isnan(step), 0, step).astype(int)


def compare_classes(old: pd.DataFrame, new: pd.DataFrame, *, old_label: str = "", new_label: str = "",
                    places: pd.DataFrame | None = None) -> Changes:
    """Compare two classifications, TPS by TPS.

    Parameters
    ----------
    old, new
        One row per TPS: ``tps_id, risk_class`` (class codes; empty = not classed), optional
        ``class_date, class_authority`` and place columns (``kode_kel, kelurahan, kode_kec,
        kecamatan, tps_no, lat, lon``). A list's ``in_region`` column, when present, is ignored:
        every TPS listed is compared.
    places
        Optional names and positions of the region's TPS (``tps_id`` plus place columns), used
        first.
    """
    sides = []
    for frame in (old, new):
        f = frame[frame["risk_class"].astype(object).fillna("").astype(str) != ""]
        f = f.drop_duplicates("tps_id", keep="last").set_index("tps_id")
        sides.append(f.reindex(columns=list(_SIDE)))
    o, n = sides
    ids = o.index.union(n.index).sort_values()
    table = _places(old, new, ids, places)
    for suffix, side in (("old", o), ("new", n)):
        side = side.reindex(ids)
        table[f"class_{suffix}"] = side["risk_class"]
        table[f"date_{suffix}"] = side["class_date"].astype(object).fillna("").astype(str)
        table[f"authority_{suffix}"] = side["class_authority"].astype(object).fillna("").astype(str)
    table["change"], table["step"] = _change(table["class_old"], table["class_new"])
    table[["class_old", "class_new"]] = table[["class_old", "class_new"]].astype(object).fillna("")
    table = table.rename_axis("tps_id").reset_index()
    table["_order"] = table["change"].map({c: i for i, c in enumerate(CHANGES)})
    table = table.sort_values(["_order", "kode_kec", "tps_id"]).drop(columns="_order").reset_index(drop=True)
    extra = [c for c in ("lat", "lon") if c in table]
    table = table[[*TABLE_COLUMNS, *extra]]
    return Changes(table, _by_class(table), _by_kecamatan(table), old_label, new_label)


def _by_class(table: pd.DataFrame) -> pd.DataFrame:
    """TPS per class before and after, with the difference (classes in order, those present)."""
    before = table["class_old"].value_counts()
    after = table["class_new"].value_counts()
    rows = [{"risk_class": c, "n_old": int(before.get(c, 0)), "n_new": int(after.get(c, 0))} for c in CLASSES]
    out = pd.DataFrame(rows)
    out["delta"] = out["n_new"] - out["n_old"]
    return out


def _by_kecamatan(table: pd.DataFrame) -> pd.DataFrame:
    """Per kecamatan: TPS per change, and per class before (``old_<class>``) and after (``new_<class>``)."""
    keys = ["kode_kec", "kecamatan"]
    t = table.assign(kecamatan=table.groupby("kode_kec")["kecamatan"].transform(
        lambda s: next((v for v in s if v), "")))
    out = pd.crosstab([t["kode_kec"], t["kecamatan"]], t["change"]).reindex(columns=list(CHANGES), fill_value=0)
    for side in ("old", "new"):
        cls = pd.crosstab([t["kode_kec"], t["kecamatan"]], t[f"class_{side}"]).reindex(columns=list(CLASSES),
                                                                                    fill_value=0)
        out = out.join(cls.add_prefix(f"{side}_"))
    out = out.reset_index().sort_values(keys).reset_index(drop=True)
    out.columns.name = None
    return out


def changes_points(changes: Changes | pd.DataFrame, tps: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The changed TPS (not ``unchanged``) as points in WGS84, for the map layer.

    Positions come from ``tps`` (the region's TPS, any CRS) when given, else from the table's
    ``lat``/``lon``; TPS without a position are left out (they stay in the tables).
    """
    table = changes.table if isinstance(changes, Changes) else changes
    sel = table[table["change"] != "unchanged"].reset_index(drop=True)
    if tps is not None and not tps.empty:
        pos = tps.to_crs("EPSG:4326").set_index("tps_id").geometry
        pos = pos[~pos.index.duplicated()]
        geom = sel["tps_id"].map(pos)
        has = geom.notna().to_numpy()
        return gpd.GeoDataFrame(sel[has].drop(columns=[c for c in ("lat", "lon") if c in sel]),
                                geometry=list(geom[has]), crs="EPSG:4326").reset_index(drop=True)
    if {"lat", "lon"} <= set(sel.columns):
        lat = pd.to_numeric(sel["lat"], errors="coerce")
        lon = pd.to_numeric(sel["lon"], errors="coerce")
        has = (lat.notna() & lon.notna()).to_numpy()
        return gpd.GeoDataFrame(sel[has].drop(columns=["lat", "lon"]), crs="EPSG:4326",
                                geometry=gpd.points_from_xy(lon[has], lat[has])).reset_index(drop=True)
    return gpd.GeoDataFrame(sel.iloc[0:0], geometry=[], crs="EPSG:4326")


def changes_csv(changes: Changes) -> pd.DataFrame:
    """The per-TPS table as ``changes.csv`` holds it (stable codes, ISO dates)."""
    return changes.table.copy()


def latest_changes(lists: pd.DataFrame | None, tps: pd.DataFrame) -> Changes | None:
    """What changed between the two latest dates of a region's official lists (the rows of the
    region's TPS, ``in_region``), or None with fewer than two dates. Every TPS on either list is
    compared; places come from the region's TPS."""
    if lists is None or lists.empty or "class_date" not in lists:
        return None
    rows = lists[lists["in_region"].astype(bool)] if "in_region" in lists else lists
    dates = sorted({d for d in rows["class_date"].astype(str) if d})
    if len(dates) < 2:
        return None
    old_date, new_date = dates[-2], dates[-1]
    places = pd.DataFrame(tps.drop(columns=tps.geometry.name) if hasattr(tps, "geometry") else tps)
    places = places[[c for c in ("tps_id", "kode_kel", "kelurahan", "kode_kec", "kecamatan", "tps_no")
                     if c in places]]
    return compare_classes(rows[rows["class_date"] == old_date], rows[rows["class_date"] == new_date],
                           old_label=old_date, new_label=new_date, places=places)
