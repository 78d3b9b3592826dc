"""Row-by-row validation of TPS lists.

:func:`validate_tps` takes a :class:`~pamgeo.ingest.io.TpsTable` as read and the region's kelurahan,
and returns the accepted TPS in pamgeo's schema together with a :class:`ValidationReport` that
names, for every problem, the row, the column, the value, what is wrong and what to do.

Rules (``rule`` in the report; E = error, W = warning):

===================== == ================================================================
missing_column        E  a required column is absent (named)
bad_tps_number        E  TPS number missing or not 1..999
unknown_kelurahan     E  kelurahan code/name not in the region's boundary set
fuzzy_kelurahan       W  kelurahan name matched by similarity only (the match is named)
kecamatan_mismatch    W  the stated kecamatan does not contain the stated kelurahan
bad_coordinate        E  latitude/longitude cannot be read as numbers
zero_coordinate       E  latitude or longitude is 0 (no GPS fix)
lost_decimal          E  the value only fits the region with a decimal point put back
swapped_latlon        E  latitude and longitude are swapped
implausible_location  E  far from the region (over 50 km: another province or island)
outside_region        E  outside the region by more than the tolerance
other_kelurahan       W  inside the region but in another kelurahan than stated
unknown_risk_class    E  the official class is not one pamgeo knows (kurang_rawan, rawan, ...)
bad_flag              E  a Bawaslu indicator column (``bawaslu_*``) holds something not yes/no
duplicate_tps_id      E  the same TPS id (kelurahan + number) appears again
shared_pin            W  several TPS on one coordinate (allowed, reported)
===================== == ================================================================
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pamgeo.core.codes import KHUSUS_FROM, kecamatan_of, normalise_code, normalise_name, tps_id
from pamgeo.core.vocabulary import normalise_class
from pamgeo.ingest.io import BAWASLU_PREFIX, WGS84, TpsTable

FAR_M = 50_000.0
_TRUE = {"1", "ya", "y", "yes", "true", "x", "v"}
_FALSE = {"0", "tidak", "t", "n", "no", "false", "", "-"}

#: columns of the TPS layer every pamgeo module works with
TPS_COLUMNS = [
    "tps_id", "kode_kel", "kode_kec", "kecamatan", "kelurahan", "tps_no", "is_khusus",
    "alamat", "dpt", "risk_class_official", "position_source", "position_method", "source_row",
]


@dataclass(frozen=True)
class Finding:
    """One problem found in an input file."""

    rule: str
    severity: str  # "error" | "warning"
    row: int | None
    column: str | None
    value: str | None
    message: str
    fix: str


@dataclass
class ValidationReport:
    """All findings for one file. ``ok`` is true when there is no error."""

    path: str
    row_label: str = "row"
    n_rows: int = 0
    findings: list[Finding] = field(default_factory=list)

    def add(self, rule: str, severity: str, row: int | None, column: str | None,
            value: object, message: str, fix: str) -> None:
        self.findings.append(
            Finding(rule, severity, None if row is None else int(row), column,
                    None if value is None else str(value), message, fix)
        )

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def error_rows(self) -> set[int]:
        return {f.row for f in self.errors if f.row is not None}

    def to_frame(self) -> pd.DataFrame:
        cols = list(Finding.__dataclass_fields__)
        frame = pd.DataFrame([asdict(f) for f in self.findings], columns=cols)
        frame.insert(0, "file", self.path)
        return frame

    def summary(self) -> str:
        return (f"{self.path}: {self.n_rows} rows, {len(self.errors)} errors, "
                f"{len(self.warnings)} warnings")

    def format_text(self, limit: int | None = None) -> str:
        """Human-readable report, errors first, one line per finding."""
        lines = [self.summary()]
        ordered = self.errors + self.warnings
        for f in ordered[:limit]:
            where = f"{self.row_label} {f.row}" if f.row is not None else "file"
            col = f", column '{f.column}'" if f.column else ""
            val = f" (value: {f.value!r})" if f.value not in (None, "") else ""
            lines.append(f"  {f.severity.upper():7} {where}{col}: [{f.rule}] {f.message}{val}. Fix: {f.fix}")
        if limit is not None and len(ordered) > limit:
            lines.append(f"  ... {len(ordered) - limit} more (see the full report CSV)")
        return "\n".join(lines)


def _parse_number(values: pd.Series) -> pd.Series:
    text = values.fillna("").astype(str).str.strip()
    # Indonesian decimal comma: "-6,3215" -> "-6.3215" (only when there is a single comma)
    text = text.where(~text.str.fullmatch(r"-?\d+,\d+"), text.str.replace(",", ".", regex=False))
    return pd.to_numeric(text, errors="coerce")


def _parse_tps_no(values: pd.Series) -> pd.Series:
    digits = values.fillna("").astype(str).str.extract(r"^\s*(?:TPS)?\s*0*(\d{1,3})\s*$", flags=2)[0]
    return pd.to_numeric(digits, errors="coerce").astype("Int64")


class _KelurahanMatcher:
    """Match kelurahan given as code or name (any case/spelling) to the boundary set."""

    def __init__(self, kel: pd.DataFrame) -> None:
        self.codes = set(kel["kode_kel"])
        self.kec_codes = set(kel["kode_kec"])
        self.by_name: dict[str, list[str]] = {}
        for code, name in zip(kel["kode_kel"], kel["kelurahan"], strict=True):
            self.by_name.setdefault(normalise_name(name), []).append(code)
        self.kec_by_name: dict[str, str] = {}
        for code, name in zip(kel["kode_kec"], kel["kecamatan"], strict=True):
            self.kec_by_name[normalise_name(name)] = code

    def kecamatan(self, value: str) -> str | None:
        code = normalise_code(value)
        if code is not None:
            if code.count(".") == 3:
                code = kecamatan_of(code)
            return code if code in self.kec_codes else None
        return self.kec_by_name.get(normalise_name(value))

    def kelurahan(self, value: str, kec: str | None) -> tuple[str | None, str | None]:
        """Return ``(code, fuzzy_name)``; ``fuzzy_name`` is set when matched by similarity."""
        code = normalise_code(value)
        if code is not None:
            return (code if code in self.codes else None), None
        key = normalise_name(value)
        if not key:
            return None, None
        cands = self.by_name.get(key, [])
        if kec is not None:
            inside = [c for c in cands if kecamatan_of(c) == kec]
            cands = inside or cands
        if len(cands) == 1:
            return cands[0], None
        if len(cands) > 1:
            return None, None  # ambiguous without kecamatan
        pool = [n for n, cs in self.by_name.items() if kec is None or any(kecamatan_of(c) == kec for c in cs)]
        close = difflib.get_close_matches(key, pool, n=1, cutoff=0.85)
        if close and len(self.by_name[close[0]]) == 1:
            return self.by_name[close[0]][0], close[0]
        return None, None


def validate_tps(
    table: TpsTable,
    kelurahan: gpd.GeoDataFrame,
    *,
    tolerance_m: float = 500.0,
    kelurahan_tolerance_m: float = 150.0,
) -> tuple[gpd.GeoDataFrame, ValidationReport]:
    """Check a TPS list row by row against the region's kelurahan.

    Parameters
    ----------
    table
        The list as read by :func:`pamgeo.ingest.io.read_tps_table`.
    kelurahan
        Kelurahan polygons in a metric CRS (``kode_kel, kelurahan, kode_kec, kecamatan``).
    tolerance_m
        Points up to this far outside the region are accepted.
    kelurahan_tolerance_m
        Points up to this far outside their stated kelurahan are not reported.

    Returns
    -------
    (tps, report)
        ``tps`` holds every row without an error, in :data:`TPS_COLUMNS` plus geometry, in the
        kelurahan's CRS. ``report`` lists every finding.
    """
    crs = kelurahan.crs
    df = table.frame
    rep = ValidationReport(str(table.path), table.row_label, len(df))
    label_col = {c: table.columns_found.get(c, c) for c in list(df.columns)}
    missing = list(table.missing)
    if "kecamatan" in missing and "kelurahan" in df:
        # kecamatan is only needed to tell kelurahan *names* apart
        if df["kelurahan"].map(lambda v: normalise_code(v) is not None).all():
            missing.remove("kecamatan")
    found = sorted(table.columns_found.values())
    for col in missing:
        why = " (needed when kelurahan are given by name)" if col == "kecamatan" else ""
        rep.add("missing_column", "error", None, col, None,
                f"required column '{col}'{why} is missing (columns found: {found})",
                f"add a '{col}' column or map it under sources.tps.columns in the region config")
    # checks go on with the columns that are there, so one pass reports every problem;
    # without a required column no row is accepted
    for col in ("kelurahan", "tps_no", "lat", "lon", "kecamatan"):
        if col not in df and not (col in ("lat", "lon") and "koordinat" in df):
            df = df.assign(**{col: ""})
    has_coords = not ({"lat", "lon"} & set(missing))
    rows = df["_row"].to_numpy()
    bad = np.zeros(len(df), dtype=bool)
    if missing:
        bad[:] = True

    def err(mask: np.ndarray, rule: str, column: str, values: pd.Series, message, fix: str,
            severity: str = "error") -> None:
        for i in np.flatnonzero(mask):
            msg = message(i) if callable(message) else message
            rep.add(rule, severity, rows[i], label_col.get(column, column), values.iloc[i], msg, fix)
        if severity == "error":
            bad[mask] = True

    # TPS number
    tps_no = _parse_tps_no(df["tps_no"])
    err(("tps_no" not in missing) & (tps_no.isna().to_numpy() | (tps_no.fillna(0) < 1).to_numpy()), "bad_tps_number", "tps_no",
        df["tps_no"], "TPS number is missing or not a number from 1 to 999",
        "write the TPS number (e.g. 1, 001 or 'TPS 001')")

    # kelurahan / kecamatan
    matcher = _KelurahanMatcher(kelurahan)
    kec_vals = df["kecamatan"].astype(str) if "kecamatan" in df else pd.Series([""] * len(df))
    kel_vals = df["kelurahan"].astype(str)
    kec_lookup = {v: (matcher.kecamatan(v) if v.strip() else None) for v in kec_vals.unique()}
    kec_code = kec_vals.map(kec_lookup)
    pairs = {}
    for k, kc in set(zip(kel_vals, kec_code, strict=True)):
        pairs[(k, kc)] = matcher.kelurahan(k, kc)
    kel_code = pd.Series([pairs[(k, kc)][0] for k, kc in zip(kel_vals, kec_code, strict=True)])
    fuzzy = pd.Series([pairs[(k, kc)][1] for k, kc in zip(kel_vals, kec_code, strict=True)])
    names = dict(zip(kelurahan["kode_kel"], kelurahan["kelurahan"], strict=True))
    known = sorted(kelurahan["kelurahan"])[:8]
    err(("kelurahan" not in missing) & kel_code.isna().to_numpy(), "unknown_kelurahan", "kelurahan", kel_vals,
        "kelurahan not found in the region's boundary set (or ambiguous without kecamatan)",
        f"use the Kemendagri code (e.g. {kelurahan['kode_kel'].iloc[0]}) or the name as in the "
        f"boundary layer (e.g. {', '.join(known[:3])}), and fill 'kecamatan'")
    fz = fuzzy.notna().to_numpy() & kel_code.notna().to_numpy()
    err(fz, "fuzzy_kelurahan", "kelurahan", kel_vals,
        lambda i: f"matched by similarity to '{names[kel_code.iloc[i]]}' ({kel_code.iloc[i]})",
        "check the match; write the official name or code to silence this", severity="warning")
    stated_kec = kec_vals.str.strip().ne("").to_numpy()
    mism = stated_kec & kel_code.notna().to_numpy() & np.array(
        [isinstance(kc, str) and isinstance(k, str) and kecamatan_of(k) != kc for k, kc in zip(kel_code, kec_code, strict=True)]
    )
    err(mism, "kecamatan_mismatch", "kecamatan", kec_vals,
        lambda i: f"kelurahan {names[kel_code.iloc[i]]} lies in kecamatan {kecamatan_of(kel_code.iloc[i])}",
        "correct the kecamatan or the kelurahan", severity="warning")
    unknown_kec = stated_kec & kec_code.isna().to_numpy()
    err(unknown_kec, "kecamatan_mismatch", "kecamatan", kec_vals,
        "kecamatan not found in the region", "correct the kecamatan name or code", severity="warning")

    # coordinates
    if "koordinat" in df and not ("lat" in df and "lon" in df):
        parts = df["koordinat"].astype(str).str.split(r"[;,\s]+", n=1, expand=True, regex=True)
        lat_raw, lon_raw = parts[0], parts.get(1, pd.Series([""] * len(df)))
        lat_col = lon_col = "koordinat"
    else:
        lat_raw, lon_raw = df["lat"].astype(str), df["lon"].astype(str)
        lat_col, lon_col = "lat", "lon"
    lat, lon = _parse_number(lat_raw).to_numpy(float), _parse_number(lon_raw).to_numpy(float)
    coord_bad = np.zeros(len(df), dtype=bool) | (not has_coords)
    for raw, vals, col in ((lat_raw, lat, lat_col), (lon_raw, lon, lon_col)):
        m = np.isnan(vals) & ~coord_bad
        err(m, "bad_coordinate", col, raw, "not a number in decimal degrees",
            "write decimal degrees with a dot, e.g. -6.3012 and 106.7043")
        coord_bad |= m
    m = ~coord_bad & ((lat == 0) | (lon == 0))
    err(m, "zero_coordinate", lat_col, lat_raw.where(lat != 0, lat_raw), "latitude or longitude is 0 (no GPS fix)",
        "take the TPS position again")
    coord_bad |= m

    region = kelurahan.geometry.union_all()
    region_wgs = gpd.GeoSeries([region], crs=crs).to_crs(WGS84).iloc[0]
    minx, miny, maxx, maxy = region_wgs.bounds
    pad = 0.5

    def near_box(la: np.ndarray, lo: np.ndarray) -> np.ndarray:
        return (la >= miny - pad) & (la <= maxy + pad) & (lo >= minx - pad) & (lo <= maxx + pad)

    ok = ~coord_bad
    in_box = ok & near_box(lat, lon)
    out_box = ok & ~in_box
    # explain points far away: swapped, or a lost decimal point
    swapped = out_box & near_box(lon, lat)
    err(swapped, "swapped_latlon", lat_col, lat_raw,
        lambda i: f"latitude and longitude are swapped: ({lat[i]}, {lon[i]}) fits the region as ({lon[i]}, {lat[i]})",
        "swap the latitude and longitude columns for this row")
    rest = out_box & ~swapped
    for i in np.flatnonzero(rest):
        fixed = _decimal_fix(lat[i], lon[i], near_box)
        if fixed is not None:
            col, value, suggestion = fixed
            rep.add("lost_decimal", "error", rows[i], label_col.get(col, col) if col in ("lat", "lon") else col,
                    lat_raw.iloc[i] if col == "lat" else lon_raw.iloc[i],
                    f"looks like a lost decimal point: {value} should probably be {suggestion}",
                    "put the decimal point back")
        else:
            rep.add("implausible_location", "error", rows[i], label_col.get(lat_col, lat_col),
                    f"{lat_raw.iloc[i]}, {lon_raw.iloc[i]}",
                    f"({lat[i]}, {lon[i]}) is far outside {minx:.2f}..{maxx:.2f} E, {miny:.2f}..{maxy:.2f} (another province?)",
                    "check the coordinates of this TPS")
        bad[i] = True
    coord_bad |= out_box

    # distances to the region and to the stated kelurahan (metric CRS)
    ok_idx = np.flatnonzero(~coord_bad)
    pts = gpd.GeoSeries(gpd.points_from_xy(lon[ok_idx], lat[ok_idx]), crs=WGS84).to_crs(crs)
    shapely.prepare(region)
    pts_arr = pts.to_numpy()
    dist = np.zeros(len(ok_idx))
    away = ~shapely.contains(region, pts_arr)
    dist[away] = shapely.distance(region, pts_arr[away])
    outside = dist > tolerance_m
    for j in np.flatnonzero(outside):
        i = ok_idx[j]
        rule = "implausible_location" if dist[j] > FAR_M else "outside_region"
        rep.add(rule, "error", rows[i], label_col.get(lat_col, lat_col), f"{lat_raw.iloc[i]}, {lon_raw.iloc[i]}",
                f"{dist[j] / 1000:.1f} km outside the region (tolerance {tolerance_m:.0f} m)",
                "check the coordinates; if the TPS really lies outside, it belongs to another region")
        bad[i] = True
    # kelurahan containing each point
    kel_geom = kelurahan.set_index("kode_kel").geometry
    joined = gpd.sjoin(gpd.GeoDataFrame(geometry=pts.reset_index(drop=True)), kelurahan[["kode_kel", "geometry"]],
                       how="left", predicate="within")
    actual = joined.groupby(level=0)["kode_kel"].first().reindex(range(len(ok_idx))).to_numpy()
    stated_all = kel_code.to_numpy()[ok_idx]
    differs = ~outside & (actual != stated_all) & np.array([isinstance(k, str) for k in stated_all], dtype=bool)
    for j in np.flatnonzero(differs):
        i = ok_idx[j]
        stated = stated_all[j]
        d = kel_geom[stated].distance(pts.iloc[j])
        if d <= kelurahan_tolerance_m:
            continue
        where = names.get(actual[j], "outside every kelurahan") if isinstance(actual[j], str) else "outside every kelurahan"
        rep.add("other_kelurahan", "warning", rows[i], label_col.get(lat_col, lat_col),
                f"{lat_raw.iloc[i]}, {lon_raw.iloc[i]}",
                f"the point lies in {where}, {d:.0f} m from the stated kelurahan {names[stated]}",
                "check the coordinates or the kelurahan; the stated kelurahan is kept")

    # official classes and Bawaslu flags
    if "risk_class" in df:
        def known(v: str) -> bool:
            try:
                normalise_class(v)
                return True
            except ValueError:
                return False

        ok_class = df["risk_class"].astype(str).map(known).to_numpy()
        err(~ok_class, "unknown_risk_class", "risk_class", df["risk_class"],
            "not a Polri TPS class", "use kurang_rawan, rawan, sangat_rawan or khusus (legacy: aman, rawan_1, rawan_2)")
    for col in [c for c in df.columns if str(c).lower().startswith(BAWASLU_PREFIX)]:
        vals = df[col].astype(str).str.strip().str.lower()
        err(~vals.isin(list(_TRUE | _FALSE)).to_numpy(), "bad_flag", col, df[col],
            "a Bawaslu indicator must be yes or no", "write 1/0, ya/tidak, y/n, true/false or leave it empty")

    # duplicate ids
    ids = pd.Series(
        [tps_id(k, int(n)) if isinstance(k, str) and pd.notna(n) and 1 <= int(n) <= 999 else None
         for k, n in zip(kel_code, tps_no, strict=True)]
    )
    dup = ids.notna() & ids.duplicated(keep="first")
    first_row = dict(zip(ids[ids.notna() & ~ids.duplicated()], rows[(ids.notna() & ~ids.duplicated()).to_numpy()], strict=True))
    err(dup.to_numpy(), "duplicate_tps_id", "tps_no", df["tps_no"],
        lambda i: f"TPS id {ids.iloc[i]} already appears in {table.row_label} {first_row[ids.iloc[i]]}",
        "remove the duplicate or correct its TPS number or kelurahan")

    # several TPS on one pin
    good_xy = ~coord_bad
    key = pd.Series(np.where(good_xy, np.round(lat, 6).astype(str) + "," + np.round(lon, 6).astype(str), None))
    shared = key.notna() & key.duplicated(keep=False)
    if shared.any():
        groups = pd.Series(rows[shared.to_numpy()], index=key[shared]).groupby(level=0).agg(list)
        for pin, rws in groups.items():
            for r in rws:
                rep.add("shared_pin", "warning", r, label_col.get(lat_col, lat_col), pin,
                        f"{len(rws)} TPS share this pin ({table.row_label}s {', '.join(map(str, rws))})",
                        "fine when they share a venue; otherwise correct the positions")

    keep = ~bad & ~coord_bad
    out = _assemble(df, keep, kel_code, tps_no, ids, lat, lon, kelurahan, table.row_label)
    return out, rep


def _decimal_fix(la: float, lo: float, near_box) -> tuple[str, float, float] | None:
    """Try putting a lost decimal point back into lat or lon (or both)."""
    def scaled(v: float) -> list[float]:
        return [v / 10**k for k in range(1, 13)] + [v]

    for a in scaled(la):
        for b in scaled(lo):
            if (a, b) != (la, lo) and near_box(np.array([a]), np.array([b]))[0]:
                if a != la:
                    return "lat", la, a
                return "lon", lo, b
    return None


def _assemble(df: pd.DataFrame, keep: np.ndarray, kel_code: pd.Series, tps_no: pd.Series,
              ids: pd.Series, lat: np.ndarray, lon: np.ndarray, kelurahan: gpd.GeoDataFrame,
              row_label: str) -> gpd.GeoDataFrame:
    idx = np.flatnonzero(keep)
    k = kelurahan.set_index("kode_kel")
    codes = kel_code.iloc[idx].to_numpy()

    def col(name: str) -> np.ndarray:
        return df[name].iloc[idx].astype(str).str.strip().to_numpy() if name in df else np.array([""] * len(idx))

    flags = {str(c).lower(): df[c].iloc[idx].astype(str).str.strip().str.lower().isin(_TRUE).to_numpy()
             for c in df.columns if str(c).lower().startswith(BAWASLU_PREFIX)}
    pos_src = col("position_source")
    out = gpd.GeoDataFrame(
        {
            "tps_id": ids.iloc[idx].to_numpy(),
            "kode_kel": codes,
            "kode_kec": [kecamatan_of(c) for c in codes],
            "kecamatan": k.loc[codes, "kecamatan"].to_numpy() if len(idx) else [],
            "kelurahan": k.loc[codes, "kelurahan"].to_numpy() if len(idx) else [],
            "tps_no": tps_no.iloc[idx].astype(int).to_numpy(),
            "alamat": col("alamat"),
            "dpt": pd.to_numeric(pd.Series(col("dpt")), errors="coerce").astype("Int64").to_numpy(),
            "risk_class_official": col("risk_class"),
            "position_source": np.where(pos_src != "", pos_src, "file"),
            "position_method": "file",
            "source_row": [f"{row_label} {r}" for r in df["_row"].iloc[idx]],
        },
        geometry=gpd.points_from_xy(lon[idx], lat[idx]),
        crs=WGS84,
    ).to_crs(kelurahan.crs)
    out["is_khusus"] = out["tps_no"] >= KHUSUS_FROM
    for name in ("risk_class_date", "risk_class_authority"):
        if name in df:
            out[name + "_file"] = col(name)
    for name, values in flags.items():
        out[name] = values
    extra = [c for c in out.columns if c not in TPS_COLUMNS and c != "geometry"]
    return out[[*TPS_COLUMNS, *extra, "geometry"]].reset_index(drop=True)

