"""Row-by-row validation of TPS lists.

:func:`validate_tps` takes a :class:`~pamgeo.ingest.io.TpsTable` as read and the region's kelurahan,
and returns the accepted TPS in pamgeo's schema together with a :class:`ValidationReport` that
names, for every problem, the row, the column, the value, what is wrong and what to do.

Rules (``rule`` in the report; E = error, W = warning):

===================== == ================================================================
missing_column        E  a required column is absent, or ``columns:`` names a column the file lacks
                         (named, with the file's columns). Kelurahan and TPS number may come from
                         a Sirekap id / KPU label column instead
bad_tps_number        E  TPS number missing or not 1..999 (``7``, ``007``, ``TPS 007``, Sirekap id
                         ``3271011005007`` and KPU label ``3271011005-TPS 007`` are read)
unknown_kelurahan     E  kelurahan code/name not in the region's boundary set
fuzzy_kelurahan       W  kelurahan name matched by similarity only (the match is named)
kecamatan_mismatch    W  the stated kecamatan does not contain the stated kelurahan
bad_coordinate        E  latitude/longitude empty or not a number
zero_coordinate       E  latitude or longitude is 0 (no GPS fix)
lost_decimal          W  a lost decimal point put back (``1.06712`` -> ``106.712``, ``-627310`` ->
                         ``-6.27310``): exactly one power of ten puts the point inside the stated
                         kelurahan (or, failing that, the region); the TPS keeps the repaired
                         position with ``position_source = file_repaired``
lost_decimal          E  as above, but no single reading lands inside: not repaired
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
from decimal import Decimal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pamgeo.core.codes import (
    KHUSUS_FROM,
    kecamatan_of,
    normalise_code,
    normalise_name,
    parse_tps_label,
    tps_id,
)
from pamgeo.core.vocabulary import normalise_class
from pamgeo.ingest.io import BAWASLU_PREFIX, WGS84, TpsTable

FAR_M = 50_000.0
_TRUE = {"1", "ya", "y", "yes", "true", "x", "v"}
_FALSE = {"0", "tidak", "t", "n", "no", "false", "", "-"}

#: rules about a row's position alone: the TPS itself is known (kelurahan and number), so under
#: ``on_invalid: estimate`` it stays, with an estimated position inside its stated kelurahan
POSITION_RULES = frozenset({"bad_coordinate", "zero_coordinate", "swapped_latlon", "lost_decimal",
                            "implausible_location", "outside_region"})
#: position columns that say why a position was estimated, or what is odd about a file position
NOTE_COLUMNS = ("position_note", "position_check")

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
    new_value: str | None = None  # the value a repair put in its place


@dataclass
class ValidationReport:
    """All findings for one file. ``ok`` is true when there is no error."""

    path: str
    row_label: str = "row"
    n_rows: int = 0
    findings: list[Finding] = field(default_factory=list)

    def add(self, rule: str, severity: str, row: int | None, column: str | None,
            value: object, message: str, fix: str, new_value: object = None) -> None:
        self.findings.append(
            Finding(rule, severity, None if row is None else int(row), column,
                    None if value is None else str(value), message, fix,
                    None if new_value is None else str(new_value))
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

    def format_text(self, limit: int | None = None, full_report: str | None = None) -> str:
        """Human-readable report, errors first, one line per finding.

        ``full_report`` names where the whole table is written (said when findings are left out).
        """
        lines = [self.summary()]
        ordered = self.errors + self.warnings
        for f in ordered[:limit]:
            where = f"{self.row_label} {f.row}" if f.row is not None else "file"
            col = f", column '{f.column}'" if f.column else ""
            val = f" (value: {f.value!r})" if f.value not in (None, "") else ""
            if f.new_value is not None:
                val = f" (value: {f.value!r} -> {f.new_value!r})"
            lines.append(f"  {f.severity.upper():7} {where}{col}: [{f.rule}] {f.message}{val}. Fix: {f.fix}")
        if limit is not None and len(ordered) > limit:
            lines.append(f"  ... {len(ordered) - limit} more (see {full_report or 'the full report CSV'})")
        return "\n".join(lines)


def _parse_number(values: pd.Series) -> pd.Series:
    text = values.fillna("").astype(str).str.strip()
    # Indonesian decimal comma: "-6,3215" -> "-6.3215" (only when there is a single comma)
    text = text.where(~text.str.fullmatch(r"-?\d+,\d+"), text.str.replace(",", ".", regex=False))
    return pd.to_numeric(text, errors="coerce")


def _parse_tps_no(values: pd.Series) -> pd.Series:
    text = values.fillna("").astype(str)
    numbers = {v: parse_tps_label(v)[1] for v in text.unique()}
    return pd.Series(text.map(numbers).tolist(), index=values.index, dtype="Int64")


def _blank(values: pd.Series) -> np.ndarray:
    return values.fillna("").astype(str).str.strip().isin(["", "nan", "None"]).to_numpy()


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


class _Rows:
    """Findings for one table: the report, the row numbers users see, and which rows have an error."""

    def __init__(self, table: TpsTable, df: pd.DataFrame, rep: ValidationReport,
                 derived: dict[str, str] | None = None) -> None:
        self.rep = rep
        self.row_label = table.row_label
        self.rows = df["_row"].to_numpy()
        self.bad = np.zeros(len(df), dtype=bool)       # any error
        self.id_bad = np.zeros(len(df), dtype=bool)    # an error other than of the position
        self.notes: dict[str, dict[int, list[str]]] = {c: {} for c in NOTE_COLUMNS}
        self.label_col = {c: table.columns_found.get(c, c) for c in list(table.frame.columns)}
        for column, source in (derived or {}).items():  # read from another column (a TPS id)
            self.label_col[column] = table.columns_found.get(source, source)

    def label(self, column: str) -> str:
        """The column's name as in the file."""
        return self.label_col.get(column, column)

    def add(self, i: int, rule: str, column: str, value: object, message: str, fix: str,
            severity: str = "error", new_value: object = None) -> None:
        """One finding for row ``i`` (0-based position in the table)."""
        self.rep.add(rule, severity, self.rows[i], self.label(column), value, message, fix, new_value)
        if severity == "error":
            self.bad[i] = True
            if rule in POSITION_RULES:
                self.notes["position_note"].setdefault(i, []).append(f"{rule}: {message}")
            else:
                self.id_bad[i] = True
        elif rule == "other_kelurahan":
            self.notes["position_check"].setdefault(i, []).append(message)

    def note(self, column: str, n: int) -> np.ndarray:
        """The notes of ``column`` for every row (empty string where none)."""
        return np.array(["; ".join(self.notes[column].get(i, [])) for i in range(n)], dtype=object)

    def flag(self, mask: np.ndarray, rule: str, column: str, values: pd.Series, message, fix: str,
             severity: str = "error") -> None:
        """A finding for every row in ``mask``; ``message`` may be a function of the row position."""
        for i in np.flatnonzero(mask):
            msg = message(i) if callable(message) else message
            self.add(i, rule, column, values.iloc[i], msg, fix, severity)


@dataclass
class _Coords:
    """Coordinates as written and as read (decimal degrees), and which rows cannot be placed."""

    lat_raw: pd.Series
    lon_raw: pd.Series
    lat_col: str
    lon_col: str
    lat: np.ndarray
    lon: np.ndarray
    bad: np.ndarray
    repaired: np.ndarray

    def pair(self, i: int) -> str:
        return f"{self.lat_raw.iloc[i]}, {self.lon_raw.iloc[i]}"


@dataclass
class _Region:
    """The region's outline in the metric CRS and its bounding box in WGS84."""

    kelurahan: gpd.GeoDataFrame
    outline: object
    bounds: tuple[float, float, float, float]  # minx, miny, maxx, maxy (degrees)
    pad: float = 0.5

    @classmethod
    def of(cls, kelurahan: gpd.GeoDataFrame) -> _Region:
        outline = kelurahan.geometry.union_all()
        wgs = gpd.GeoSeries([outline], crs=kelurahan.crs).to_crs(WGS84).iloc[0]
        return cls(kelurahan, outline, wgs.bounds)

    def near_box(self, la: np.ndarray, lo: np.ndarray) -> np.ndarray:
        """Within ``pad`` degrees of the bounding box."""
        minx, miny, maxx, maxy = self.bounds
        p = self.pad
        return (la >= miny - p) & (la <= maxy + p) & (lo >= minx - p) & (lo <= maxx + p)


def validate_tps(
    table: TpsTable,
    kelurahan: gpd.GeoDataFrame,
    *,
    tolerance_m: float = 500.0,
    kelurahan_tolerance_m: float = 150.0,
    keep_unplaced: bool = False,
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
    keep_unplaced
        Also return the rows whose only errors are of their position (:data:`POSITION_RULES`:
        no, unreadable or implausible coordinates): known TPS whose position must be estimated.
        They come with an empty geometry, ``position_source = "unplaced"`` and the reason in
        ``position_note``.

    Returns
    -------
    (tps, report)
        ``tps`` holds every row without an error (and, with ``keep_unplaced``, the unplaced
        rows), in :data:`TPS_COLUMNS` plus ``position_note``, ``position_check`` (a file position
        in another kelurahan than the stated one) and geometry, in the kelurahan's CRS.
        ``report`` lists every finding.
    """
    rep = ValidationReport(str(table.path), table.row_label, len(table.frame))
    df, derived = _from_tps_ids(table)
    missing = _check_columns(table, df, derived, rep)
    # checks go on with the columns that are there, so one pass reports every problem;
    # without a required column no row is accepted
    df = _with_empty_columns(df)
    chk = _Rows(table, df, rep, derived)
    if missing:
        chk.bad[:] = True
        # without a kelurahan or TPS number no row is identified; without coordinates every row
        # is known but unplaced
        chk.id_bad[:] = bool(set(missing) - {"lat", "lon"})
    tps_no = _check_tps_numbers(chk, df, "tps_no" in missing)
    kel_code = _check_kelurahan(chk, df, kelurahan, "kelurahan" in missing)
    xy = _read_coordinates(chk, df, has_coords=not ({"lat", "lon"} & set(missing)))
    region = _Region.of(kelurahan)
    _explain_far_points(chk, xy, region, kel_code, tolerance_m, kelurahan_tolerance_m)
    _check_distances(chk, xy, region, kel_code, tolerance_m, kelurahan_tolerance_m)
    _check_classes_and_flags(chk, df)
    ids = _check_duplicates(chk, df, kel_code, tps_no)
    _check_shared_pins(chk, xy)
    keep = ~chk.bad & ~xy.bad
    unplaced = ~keep & ~chk.id_bad & ids.notna().to_numpy() if keep_unplaced else np.zeros(len(df), dtype=bool)
    if keep_unplaced and {"lat", "lon"} & set(missing):  # no coordinate columns: one reason for all
        for i in np.flatnonzero(unplaced):
            chk.notes["position_note"].setdefault(i, []).append("the list has no coordinates")
    notes = {c: chk.note(c, len(df)) for c in NOTE_COLUMNS}
    out = _assemble(df, keep | unplaced, kel_code, tps_no, ids, xy, kelurahan, table.row_label, notes)
    if unplaced.any():
        gone = unplaced[keep | unplaced]
        out.loc[gone, "position_source"] = "unplaced"
        out.loc[gone, "geometry"] = None
    return out, rep


def _from_tps_ids(table: TpsTable) -> tuple[pd.DataFrame, dict[str, str]]:
    """Kelurahan and TPS number read from Sirekap ids / KPU labels where the file lacks them.

    A ``tps_id`` column (``3271011005007``, ``3271011005-TPS 007``) or TPS labels in the
    ``tps_no`` column that carry the kelurahan id fill an absent ``kelurahan`` column (and
    empty cells of a present one); a ``tps_id`` column fills an absent ``tps_no``. Returns the
    table and, for each filled column, the column it was read from.
    """
    df = table.frame.copy()
    derived: dict[str, str] = {}
    for source in ("tps_id", "tps_no"):
        if source not in df:
            continue
        parsed = df[source].fillna("").astype(str).map(parse_tps_label)
        kel = parsed.map(lambda t: t[0])
        if kel.notna().any():
            if "kelurahan" not in df:
                df["kelurahan"] = kel.fillna("")
                derived["kelurahan"] = source
            else:
                empty = _blank(df["kelurahan"]) & kel.notna().to_numpy()
                df.loc[empty, "kelurahan"] = kel[empty]
        if source == "tps_id" and "tps_no" not in df:
            df["tps_no"] = parsed.map(lambda t: "" if t[1] is None else str(t[1]))
            derived["tps_no"] = source
    return df, derived


def _check_columns(table: TpsTable, df: pd.DataFrame, derived: dict[str, str], rep: ValidationReport) -> list[str]:
    """Report required columns the file lacks, and ``columns:`` entries naming absent columns; return them."""
    missing = [c for c in table.missing if c not in derived or c in table.unmatched]
    if "kecamatan" in missing and "kelurahan" in df:
        # kecamatan is only needed to tell kelurahan *names* apart
        filled = df["kelurahan"][~_blank(df["kelurahan"])]  # an empty cell is its own error
        if filled.map(lambda v: normalise_code(v) is not None).all():
            missing.remove("kecamatan")
    found = sorted(table.columns_found.values())
    for col in missing:
        if col in table.unmatched:
            name = table.unmatched[col]
            rep.add("missing_column", "error", None, name, None,
                    f"columns: maps '{col}' to '{name}', which the file does not have "
                    f"(the file's columns: {table.file_columns})",
                    f"set sources.tps.columns.{col} to one of the file's columns")
            continue
        why = " (needed when kelurahan are given by name)" if col == "kecamatan" else ""
        rep.add("missing_column", "error", None, col, None,
                f"required column '{col}'{why} is missing (columns found: {found})",
                f"add a '{col}' column or map it under sources.tps.columns in the region config")
    return missing


def _with_empty_columns(df: pd.DataFrame) -> pd.DataFrame:
    for col in ("kelurahan", "tps_no", "lat", "lon", "kecamatan"):
        if col not in df and not (col in ("lat", "lon") and "koordinat" in df):
            df = df.assign(**{col: ""})
    return df


def _check_tps_numbers(chk: _Rows, df: pd.DataFrame, column_missing: bool) -> pd.Series:
    tps_no = _parse_tps_no(df["tps_no"])
    bad = tps_no.isna().to_numpy() | (tps_no.fillna(0) < 1).to_numpy()
    empty = _blank(df["tps_no"])
    chk.flag(~column_missing & bad, "bad_tps_number", "tps_no",
             df["tps_no"], lambda i: "TPS number is empty" if empty[i] else "TPS number is not a number from 1 to 999",
             "write the TPS number (e.g. 1, 001 or 'TPS 001')")
    return tps_no


def _check_kelurahan(chk: _Rows, df: pd.DataFrame, kelurahan: gpd.GeoDataFrame, column_missing: bool) -> pd.Series:
    """Kemendagri code of each row's kelurahan (None when unknown), with the kecamatan checks."""
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
    empty = _blank(kel_vals)
    chk.flag(~column_missing & kel_code.isna().to_numpy(), "unknown_kelurahan", "kelurahan", kel_vals,
             lambda i: "kelurahan is empty" if empty[i] else
             "kelurahan not found in the region's boundary set (or ambiguous without kecamatan)",
             f"use the Kemendagri code (e.g. {kelurahan['kode_kel'].iloc[0]}) or the name as in the "
             f"boundary layer (e.g. {', '.join(known[:3])}), and fill 'kecamatan'")
    fz = fuzzy.notna().to_numpy() & kel_code.notna().to_numpy()
    chk.flag(fz, "fuzzy_kelurahan", "kelurahan", kel_vals,
             lambda i: f"matched by similarity to '{names[kel_code.iloc[i]]}' ({kel_code.iloc[i]})",
             "check the match; write the official name or code to silence this", severity="warning")
    stated_kec = kec_vals.str.strip().ne("").to_numpy()
    mism = stated_kec & kel_code.notna().to_numpy() & np.array(
        [isinstance(kc, str) and isinstance(k, str) and kecamatan_of(k) != kc
         for k, kc in zip(kel_code, kec_code, strict=True)]
    )
    chk.flag(mism, "kecamatan_mismatch", "kecamatan", kec_vals,
             lambda i: f"kelurahan {names[kel_code.iloc[i]]} lies in kecamatan {kecamatan_of(kel_code.iloc[i])}",
             "correct the kecamatan or the kelurahan", severity="warning")
    unknown_kec = stated_kec & kec_code.isna().to_numpy()
    chk.flag(unknown_kec, "kecamatan_mismatch", "kecamatan", kec_vals,
             "kecamatan not found in the region", "correct the kecamatan name or code", severity="warning")
    return kel_code


def _read_coordinates(chk: _Rows, df: pd.DataFrame, *, has_coords: bool) -> _Coords:
    """Latitude and longitude as numbers; unreadable and zero values reported."""
    if "koordinat" in df and not ("lat" in df and "lon" in df):
        parts = df["koordinat"].astype(str).str.split(r"[;,\s]+", n=1, expand=True, regex=True)
        lat_raw, lon_raw = parts[0], parts.get(1, pd.Series([""] * len(df)))
        lat_col = lon_col = "koordinat"
    else:
        lat_raw, lon_raw = df["lat"].astype(str), df["lon"].astype(str)
        lat_col, lon_col = "lat", "lon"
    lat = _parse_number(lat_raw).to_numpy(float, copy=True)
    lon = _parse_number(lon_raw).to_numpy(float, copy=True)
    coord_bad = np.zeros(len(df), dtype=bool) | (not has_coords)
    for raw, vals, col in ((lat_raw, lat, lat_col), (lon_raw, lon, lon_col)):
        m = np.isnan(vals) & ~coord_bad
        empty = _blank(raw)
        chk.flag(m, "bad_coordinate", col, raw,
                 lambda i, e=empty: "empty" if e[i] else "not a number in decimal degrees",
                 "write decimal degrees with a dot, e.g. -6.3012 and 106.7043")
        coord_bad |= m
    m = ~coord_bad & ((lat == 0) | (lon == 0))
    chk.flag(m, "zero_coordinate", lat_col, lat_raw, "latitude or longitude is 0 (no GPS fix)",
             "take the TPS position again")
    coord_bad |= m
    return _Coords(lat_raw, lon_raw, lat_col, lon_col, lat, lon, coord_bad, np.zeros(len(df), dtype=bool))


def _explain_far_points(chk: _Rows, xy: _Coords, region: _Region, kel_code: pd.Series,
                        tolerance_m: float, kelurahan_tolerance_m: float) -> None:
    """Points far from the region: swapped, a lost decimal point (repaired when certain), or implausible."""
    lat, lon = xy.lat, xy.lon
    ok = ~xy.bad
    out_box = ok & ~region.near_box(lat, lon)
    swapped = out_box & region.near_box(lon, lat)
    _repair_swaps(chk, xy, region, swapped, tolerance_m)
    minx, miny, maxx, maxy = region.bounds
    for i in np.flatnonzero(out_box & ~swapped):
        stated = kel_code.iloc[i] if isinstance(kel_code.iloc[i], str) else None
        repair = _decimal_repair(lat[i], lon[i], region, stated, tolerance_m, kelurahan_tolerance_m)
        if repair.accepted is not None:
            _apply_repair(chk, xy, i, repair)
            continue
        fixed = _decimal_fix(lat[i], lon[i], region.near_box)
        if fixed is not None:
            col, value, suggestion = fixed
            chk.add(i, "lost_decimal", xy.lat_col if col == "lat" else xy.lon_col,
                    xy.lat_raw.iloc[i] if col == "lat" else xy.lon_raw.iloc[i],
                    f"looks like a lost decimal point: {value} should probably be {suggestion}"
                    f"{repair.why_not}; not repaired",
                    "put the decimal point back")
        else:
            chk.add(i, "implausible_location", xy.lat_col, xy.pair(i),
                    f"({lat[i]}, {lon[i]}) is far outside {minx:.2f}..{maxx:.2f} E, {miny:.2f}..{maxy:.2f} (another province?)",
                    "check the coordinates of this TPS")
        chk.bad[i] = True
    xy.bad |= out_box & ~xy.repaired


def _repair_swaps(chk: _Rows, xy: _Coords, region: _Region, swapped: np.ndarray, tolerance_m: float) -> None:
    """Swapped latitude and longitude: repaired (a warning, ``file_repaired``) when the swapped
    reading lies in the region, where the error is certain; an error otherwise."""
    idx = np.flatnonzero(swapped)
    if not len(idx):
        return
    pts = gpd.GeoSeries(gpd.points_from_xy(xy.lat[idx], xy.lon[idx]), crs=WGS84).to_crs(region.kelurahan.crs)
    inside = shapely.distance(region.outline, pts.to_numpy()) <= tolerance_m
    for i, ok in zip(idx, inside, strict=True):
        la, lo = xy.lat[i], xy.lon[i]
        if not ok:
            chk.add(i, "swapped_latlon", xy.lat_col, xy.lat_raw.iloc[i],
                    f"latitude and longitude look swapped: ({la}, {lo}), but ({lo}, {la}) lies outside the region too",
                    "check the coordinates of this TPS")
            continue
        chk.add(i, "swapped_latlon", xy.lat_col, xy.pair(i),
                f"latitude and longitude were swapped: read as ({lo}, {la}), which lies in the region",
                "check the position; swap the columns in the file to silence this", severity="warning",
                new_value=f"{lo}, {la}")
        xy.lat[i], xy.lon[i] = lo, la
        xy.repaired[i] = True


@dataclass
class _Repair:
    """The outcome of putting lost decimal points back into one coordinate pair."""

    accepted: tuple[Decimal, Decimal] | None = None  # (lat, lon) as repaired
    changed: tuple[bool, bool] = (False, False)       # which of lat, lon changed
    where: str = ""                                   # "kelurahan X" or "the region"
    why_not: str = ""                                 # why a candidate was not taken


def _scalings(value: float, lo: float, hi: float) -> list[Decimal]:
    """``value`` times the powers of ten (1 included) that bring it into ``lo..hi``."""
    d = Decimal(repr(float(value)))
    found = (d.scaleb(k) for k in range(-12, 13))
    return [c.normalize() for c in found if lo <= c <= hi]


def _decimal_repair(la: float, lo: float, region: _Region, stated: str | None,
                    tolerance_m: float, kelurahan_tolerance_m: float) -> _Repair:
    """Readings of ``(la, lo)`` with decimal points moved that land inside the region's bounding box;
    accepted when exactly one lands inside the stated kelurahan or, failing that, the region."""
    minx, miny, maxx, maxy = region.bounds
    pad = tolerance_m / 100_000.0  # metres -> degrees, generously
    lats = _scalings(la, miny - pad, maxy + pad)
    lons = _scalings(lo, minx - pad, maxx + pad)
    cands = [(a, b) for a in lats for b in lons if (float(a), float(b)) != (la, lo)]
    if not cands:
        return _Repair(why_not=" (but that lies outside the region)")
    kel = region.kelurahan
    pts = gpd.GeoSeries(gpd.points_from_xy([float(b) for _, b in cands], [float(a) for a, _ in cands]),
                        crs=WGS84).to_crs(kel.crs).to_numpy()
    geoms = kel.set_index("kode_kel").geometry
    if stated is not None and stated in geoms.index:
        in_kel = [c for c, d in zip(cands, shapely.distance(geoms[stated], pts), strict=True) if d <= kelurahan_tolerance_m]
        if len(in_kel) == 1:
            return _accept(in_kel[0], la, lo, f"kelurahan {kel.set_index('kode_kel').loc[stated, 'kelurahan']}")
        if len(in_kel) > 1:
            return _Repair(why_not=f" ({len(in_kel)} readings fit the stated kelurahan)")
    in_region = [c for c, d in zip(cands, shapely.distance(region.outline, pts), strict=True) if d <= tolerance_m]
    if len(in_region) == 1:
        return _accept(in_region[0], la, lo, "the region")
    if len(in_region) > 1:
        return _Repair(why_not=f" ({len(in_region)} readings fit the region)")
    return _Repair(why_not=" (but that lies outside the region)")


def _accept(cand: tuple[Decimal, Decimal], la: float, lo: float, where: str) -> _Repair:
    return _Repair(cand, (float(cand[0]) != la, float(cand[1]) != lo), where)


def _apply_repair(chk: _Rows, xy: _Coords, i: int, repair: _Repair) -> None:
    """Use the repaired position for row ``i``, with one warning per repaired column."""
    new_lat, new_lon = repair.accepted
    for changed, col, raw, new in ((repair.changed[0], xy.lat_col, xy.lat_raw, new_lat),
                                   (repair.changed[1], xy.lon_col, xy.lon_raw, new_lon)):
        if not changed:
            continue
        new_text = format(new, "f")
        chk.add(i, "lost_decimal", col, raw.iloc[i],
                f"lost decimal point repaired: {raw.iloc[i]} read as {new_text} (the only reading "
                f"inside {repair.where})", "check the position; write the decimal point in the file to "
                "silence this", severity="warning", new_value=new_text)
    xy.lat[i], xy.lon[i] = float(new_lat), float(new_lon)
    xy.repaired[i] = True


def _check_distances(chk: _Rows, xy: _Coords, region: _Region, kel_code: pd.Series,
                     tolerance_m: float, kelurahan_tolerance_m: float) -> None:
    """Distances to the region and to the stated kelurahan (metric CRS)."""
    kelurahan = region.kelurahan
    names = dict(zip(kelurahan["kode_kel"], kelurahan["kelurahan"], strict=True))
    ok_idx = np.flatnonzero(~xy.bad)
    pts = gpd.GeoSeries(gpd.points_from_xy(xy.lon[ok_idx], xy.lat[ok_idx]), crs=WGS84).to_crs(kelurahan.crs)
    shapely.prepare(region.outline)
    pts_arr = pts.to_numpy()
    dist = np.zeros(len(ok_idx))
    away = ~shapely.contains(region.outline, pts_arr)
    dist[away] = shapely.distance(region.outline, pts_arr[away])
    outside = dist > tolerance_m
    for j in np.flatnonzero(outside):
        i = ok_idx[j]
        rule = "implausible_location" if dist[j] > FAR_M else "outside_region"
        chk.add(i, rule, xy.lat_col, xy.pair(i),
                f"{dist[j] / 1000:.1f} km outside the region (tolerance {tolerance_m:.0f} m)",
                "check the coordinates; if the TPS really lies outside, it belongs to another region")
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
        chk.add(i, "other_kelurahan", xy.lat_col, xy.pair(i),
                f"the point lies in {where}, {d:.0f} m from the stated kelurahan {names[stated]}",
                "check the coordinates or the kelurahan; the stated kelurahan is kept", severity="warning")


def _known_class(value: str) -> bool:
    try:
        normalise_class(value)
        return True
    except ValueError:
        return False


def _check_classes_and_flags(chk: _Rows, df: pd.DataFrame) -> None:
    """Official Polri classes and Bawaslu yes/no indicators."""
    if "risk_class" in df:
        ok_class = df["risk_class"].astype(str).map(_known_class).to_numpy()
        chk.flag(~ok_class, "unknown_risk_class", "risk_class", df["risk_class"],
                 "not a Polri TPS class", "use kurang_rawan, rawan, sangat_rawan or khusus (legacy: aman, rawan_1, rawan_2)")
    for col in [c for c in df.columns if str(c).lower().startswith(BAWASLU_PREFIX)]:
        vals = df[col].astype(str).str.strip().str.lower()
        chk.flag(~vals.isin(list(_TRUE | _FALSE)).to_numpy(), "bad_flag", col, df[col],
                 "a Bawaslu indicator must be yes or no", "write 1/0, ya/tidak, y/n, true/false or leave it empty")


def _check_duplicates(chk: _Rows, df: pd.DataFrame, kel_code: pd.Series, tps_no: pd.Series) -> pd.Series:
    """Sirekap TPS id of each row (None when it has none); repeats reported."""
    ids = pd.Series(
        [tps_id(k, int(n)) if isinstance(k, str) and pd.notna(n) and 1 <= int(n) <= 999 else None
         for k, n in zip(kel_code, tps_no, strict=True)]
    )
    dup = ids.notna() & ids.duplicated(keep="first")
    first = ids.notna() & ~ids.duplicated()
    first_row = dict(zip(ids[first], chk.rows[first.to_numpy()], strict=True))
    chk.flag(dup.to_numpy(), "duplicate_tps_id", "tps_no", df["tps_no"],
             lambda i: f"TPS id {ids.iloc[i]} already appears in {chk.row_label} {first_row[ids.iloc[i]]}",
             "remove the duplicate or correct its TPS number or kelurahan")
    return ids


def _check_shared_pins(chk: _Rows, xy: _Coords) -> None:
    """Several TPS on one coordinate (allowed, reported)."""
    good = ~xy.bad
    key = pd.Series(np.where(good, np.round(xy.lat, 6).astype(str) + "," + np.round(xy.lon, 6).astype(str), None))
    shared = key.notna() & key.duplicated(keep=False)
    if not shared.any():
        return
    groups = pd.Series(chk.rows[shared.to_numpy()], index=key[shared]).groupby(level=0).agg(list)
    for pin, rws in groups.items():
        for r in rws:
            chk.rep.add("shared_pin", "warning", r, chk.label(xy.lat_col), pin,
                        f"{len(rws)} TPS share this pin ({chk.row_label}s {', '.join(map(str, rws))})",
                        "fine when they share a venue; otherwise correct the positions")


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
              ids: pd.Series, xy: _Coords, kelurahan: gpd.GeoDataFrame,
              row_label: str, notes: dict[str, np.ndarray]) -> gpd.GeoDataFrame:
    idx = np.flatnonzero(keep)
    lat, lon = xy.lat, xy.lon
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
            "position_source": np.where(xy.repaired[idx], "file_repaired", np.where(pos_src != "", pos_src, "file")),
            "position_method": "file",
            "source_row": [f"{row_label} {r}" for r in df["_row"].iloc[idx]],
        },
        geometry=gpd.points_from_xy(lon[idx], lat[idx]),
        crs=WGS84,
    ).to_crs(kelurahan.crs)
    out["is_khusus"] = out["tps_no"] >= KHUSUS_FROM
    for name, values in notes.items():
        out[name] = values[idx]
    for name in ("risk_class_date", "risk_class_authority"):
        if name in df:
            out[name + "_file"] = col(name)
    for name, values in flags.items():
        out[name] = values
    extra = [c for c in out.columns if c not in TPS_COLUMNS and c != "geometry"]
    return out[[*TPS_COLUMNS, *extra, "geometry"]].reset_index(drop=True)

