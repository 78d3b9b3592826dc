"""Official TPS classification lists (Polri's "TPS rawan" lists), read and checked row by row.

A list is a CSV, XLSX or JSON file (read by :func:`pamgeo.ingest.io.read_tps_table`) with one
TPS a row, named by

- ``tps_id``: a 13-digit Sirekap id (``3271011005010``) or a KPU label (``1661234007-TPS 007``), or
- ``kelurahan`` (Kemendagri code or name; ``kecamatan`` helps when a name repeats) + ``tps_no``,

a class (``kurang rawan``, ``rawan``, ``sangat rawan``, ``khusus``; legacy ``aman``, ``rawan 1``,
``rawan 2``), a date (a column, or the list's ``date:`` in the region config) and an authority
(a column, or ``authority:``). Columns are recognised by their usual names; ``columns:`` maps
``tps_id, kelurahan, kecamatan, tps_no, class, date, authority`` to other names.

Rules (``rule`` in the report; E = error, W = warning):

=================== == ================================================================
missing_tps         E  no TPS id, or no kelurahan / TPS number, in the row
bad_tps_id          E  the TPS id or number cannot be read
unknown_kelurahan   E  the kelurahan code/name is not in the region (names need ``--region``)
ambiguous_kelurahan E  the name fits several kelurahan and no kecamatan tells them apart
missing_class       E  no class in the row
unknown_class       E  a class pamgeo does not know
missing_date        E  no date in the row and none for the list (``date:`` / ``--old-date``)
bad_date            E  a date that cannot be read (ISO 2024-02-13, 13/02/2024, 13 Feb 2024 are)
duplicate_tps       E  the same TPS again with another class (W: again with the same class)
unknown_tps         W  the TPS is not among the region's TPS: listed, kept in the list (and in
                       ``pamgeo compare``), but its class reaches no TPS of the briefing
=================== == ================================================================

The result is a frame, one row per TPS listed: ``tps_id, kode_kel, kode_kec, tps_no, kelurahan,
kecamatan, risk_class, class_date (ISO), class_authority, list, row, in_region``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from pamgeo.core.codes import kecamatan_of, normalise_code, normalise_name, parse_tps_label, tps_id
from pamgeo.core.config import ClassificationSource, RegionConfig
from pamgeo.core.errors import InputError
from pamgeo.core.vocabulary import normalise_class
from pamgeo.ingest.io import read_tps_table
from pamgeo.ingest.validate import ValidationReport

#: the keys of ``columns:`` -> the canonical column of :func:`pamgeo.ingest.io.read_tps_table`
COLUMN_KEYS = {"tps_id": "tps_id", "kelurahan": "kelurahan", "kecamatan": "kecamatan", "tps_no": "tps_no",
               "class": "risk_class", "date": "risk_class_date", "authority": "risk_class_authority"}

#: spellings recognised in a classification list beyond those of a TPS list (after lower-casing
#: and replacing non-alphanumerics with "_")
EXTRA_ALIASES: dict[str, tuple[str, ...]] = {
    "tps_id": ("tps_label", "label_tps", "kode_tps_kpu"),
    "risk_class": ("kelas_tps", "kelas_kerawanan", "status", "tingkat", "class", "klasifikasi_tps", "kategori_tps"),
    "risk_class_date": ("tanggal", "tgl", "date", "per_tanggal", "tanggal_penetapan", "tgl_penetapan",
                        "class_date"),
    "risk_class_authority": ("penetap", "authority", "sumber", "satuan", "satker", "penerbit", "class_authority"),
}

COLUMNS = ("tps_id", "kode_kel", "kode_kec", "tps_no", "kelurahan", "kecamatan", "risk_class", "class_date",
           "class_authority", "list", "row", "in_region")

_MONTHS = {
    "jan": 1, "januari": 1, "january": 1, "feb": 2, "februari": 2, "february": 2, "peb": 2, "pebruari": 2,
    "mar": 3, "maret": 3, "march": 3, "apr": 4, "april": 4, "mei": 5, "may": 5, "jun": 6, "juni": 6,
    "june": 6, "jul": 7, "juli": 7, "july": 7, "agu": 8, "agt": 8, "ags": 8, "agustus": 8, "aug": 8,
    "august": 8, "sep": 9, "sept": 9, "september": 9, "okt": 10, "oktober": 10, "oct": 10, "october": 10,
    "nov": 11, "nopember": 11, "november": 11, "des": 12, "desember": 12, "dec": 12, "december": 12,
}


def parse_date(value: object) -> str | None:
    """ISO date of ``value``; ``None`` when empty; ``ValueError`` when it cannot be read.

    Reads ISO dates (also with a time, as spreadsheets give them), day/month/year with ``/``,
    ``-`` or ``.``, and ``13 Feb 2024`` / ``13 Februari 2024``.

    >>> parse_date("13/02/2024"), parse_date("30 Januari 2024"), parse_date("2024-01-30 00:00:00")
    ('2024-02-13', '2024-01-30', '2024-01-30')
    """
    text = "" if value is None else str(value).strip()
    if text in ("", "nan", "NaT", "None"):
        return None
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?", text)
    if m:
        y, mo, d = map(int, m.groups())
    elif m := re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", text):
        d, mo, y = map(int, m.groups())
    elif m := re.fullmatch(r"(\d{1,2})[\s\-]+([A-Za-z]+)\.?[\s\-]+(\d{4})", text):
        d, y = int(m[1]), int(m[3])
        mo = _MONTHS.get(m[2].lower())
        if mo is None:
            raise ValueError(f"unknown month '{m[2]}'")
    else:
        raise ValueError("not a date")
    return dt.date(y, mo, d).isoformat()


@dataclass
class ClassificationList:
    """One list as read: its TPS (:data:`COLUMNS`) and the row-level report."""

    path: Path
    date: str | None
    authority: str | None
    frame: pd.DataFrame
    report: ValidationReport

    @property
    def label(self) -> str:
        """How the list is named in tables: its file name and date."""
        dates = sorted(set(self.frame["class_date"]) - {""}) if len(self.frame) else []
        when = self.date or (dates[-1] if dates else "")
        return f"{self.path.name} ({when})" if when else self.path.name


@dataclass
class _Kelurahan:
    """The region's kelurahan, looked up by code and by normalised name."""

    codes: dict[str, tuple[str, str, str]]          # kode_kel -> (kelurahan, kode_kec, kecamatan)
    by_name: dict[str, list[str]]                   # normalised name -> kode_kel
    kec_by_name: dict[str, str]                     # normalised kecamatan name -> kode_kec

    @classmethod
    def of(cls, kelurahan: gpd.GeoDataFrame | pd.DataFrame | None) -> _Kelurahan | None:
        if kelurahan is None:
            return None
        codes, by_name, kec = {}, {}, {}
        for rec in kelurahan[["kode_kel", "kelurahan", "kode_kec", "kecamatan"]].itertuples(index=False):
            codes[rec.kode_kel] = (rec.kelurahan, rec.kode_kec, rec.kecamatan)
            by_name.setdefault(normalise_name(rec.kelurahan), []).append(rec.kode_kel)
            kec[normalise_name(rec.kecamatan)] = rec.kode_kec
        return cls(codes, by_name, kec)

    def resolve(self, value: str, kecamatan: str) -> tuple[str | None, str, str]:
        """``(kode_kel, rule, message)``; rule is "" when resolved."""
        code = normalise_code(value)
        if code is not None and code.count(".") == 3:
            if code in self.codes:
                return code, "", ""
            return None, "unknown_kelurahan", f"kelurahan code {code} is not in the region"
        cands = self.by_name.get(normalise_name(value), [])
        if len(cands) > 1 and kecamatan:
            kc = normalise_code(kecamatan)
            kc = kc if kc is not None and kc.count(".") == 2 else self.kec_by_name.get(normalise_name(kecamatan))
            cands = [c for c in cands if kecamatan_of(c) == kc]
        if len(cands) == 1:
            return cands[0], "", ""
        if cands:
            return None, "ambiguous_kelurahan", f"'{value}' names {len(cands)} kelurahan ({', '.join(cands)})"
        near = difflib.get_close_matches(normalise_name(value), list(self.by_name), n=1, cutoff=0.75)
        hint = f" (nearest: {self.codes[self.by_name[near[0]][0]][0]})" if near else ""
        return None, "unknown_kelurahan", f"kelurahan '{value}' is not in the region{hint}"


_FIXES = {
    "missing_tps": "give the Sirekap TPS id, or the kelurahan and the TPS number",
    "bad_tps_id": "write a 13-digit Sirekap id (3271011005010), a KPU label (3271011005-TPS 010) or a number",
    "unknown_kelurahan": "use the Kemendagri code (32.71.01.1005) or the name as in the boundary file",
    "ambiguous_kelurahan": "add a kecamatan column, or use the kelurahan code",
    "missing_class": "write kurang rawan, rawan, sangat rawan or khusus",
    "unknown_class": "write kurang rawan, rawan, sangat rawan or khusus (legacy: aman, rawan 1, rawan 2)",
    "missing_date": "add a date column, or set 'date:' for this list in the region config (--old-date/--new-date "
                    "for pamgeo compare)",
    "bad_date": "write the date as 2024-02-13, 13/02/2024 or 13 Feb 2024",
    "duplicate_tps": "keep one row per TPS",
    "unknown_tps": "check the TPS id and kelurahan; a TPS missing from the region's TPS list gets no class",
}


def _cell(rec: dict, name: str) -> str:
    value = rec.get(name, "")
    return "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()


def _rename_extra(frame: pd.DataFrame, found: dict[str, str], file_columns: list[str],
                  overrides: dict[str, str]) -> pd.DataFrame:
    """Recognise the list's own column names (:data:`EXTRA_ALIASES`) for columns not found yet."""
    norm = {re.sub(r"[^a-z0-9]+", "_", c.strip().lower()).strip("_"): c for c in file_columns}
    rename = {}
    # "No" is the row number in most lists: the TPS number is then the "TPS" column
    tps_col = norm.get("tps")
    if ("tps_no" not in overrides and tps_col is not None and tps_col in frame.columns
            and re.sub(r"[^a-z0-9]+", "_", found.get("tps_no", "").lower()).strip("_") in ("no", "nomor")):
        frame = frame.drop(columns="tps_no")
        rename[tps_col] = "tps_no"
        found["tps_no"] = tps_col
    for canon, names in EXTRA_ALIASES.items():
        if canon in found or canon in overrides:
            continue
        for alias in names:
            col = norm.get(alias)
            if col is not None and col in frame.columns and col not in found.values() and col not in rename:
                rename[col] = canon
                found[canon] = col
                break
    return frame.rename(columns=rename)


def _check_columns(path: Path, found: dict[str, str], file_columns: list[str], unmatched: dict[str, str],
                   has_date: bool) -> None:
    """File-level problems: columns named in ``columns:`` that are absent, no TPS or class column."""
    cols = ", ".join(repr(c) for c in file_columns)
    for canon, col in unmatched.items():
        key = next((k for k, v in COLUMN_KEYS.items() if v == canon), canon)
        raise InputError(f"{path}: columns.{key} names column '{col}', which the file lacks; its columns are "
                         f"{cols}. Fix: correct 'columns:' for this list.")
    if "tps_id" not in found and not ("kelurahan" in found and "tps_no" in found):
        raise InputError(f"{path}: no TPS column: need a TPS id (Sirekap id or KPU label) or a kelurahan and a TPS "
                         f"number column; the file's columns are {cols}. Fix: name them in 'columns:' "
                         "(tps_id, or kelurahan + tps_no).")
    if "risk_class" not in found:
        raise InputError(f"{path}: no class column (kelas, kerawanan, kategori, ...); the file's columns are "
                         f"{cols}. Fix: name it in 'columns: {{class: ...}}'.")
    del has_date  # a missing date is a row-level finding (a list date may cover it)


def _row_tps(rec: dict, kel: _Kelurahan | None) -> tuple[str | None, str, str, str]:
    """``(tps_id, rule, column, message)`` of one row; rule is "" when the TPS is named."""
    label, kel_text, no_text = _cell(rec, "tps_id"), _cell(rec, "kelurahan"), _cell(rec, "tps_no")
    code, no = parse_tps_label(label) if label else (None, None)
    if label and no is None:
        return None, "bad_tps_id", "tps_id", f"'{label}' is not a TPS id"
    if no is None and no_text:
        code2, no = parse_tps_label(no_text)
        code = code or code2
        if no is None:
            return None, "bad_tps_id", "tps_no", f"'{no_text}' is not a TPS number"
    if no is None:
        return None, "missing_tps", "tps_id" if not kel_text else "tps_no", "no TPS id or TPS number"
    if code is None:
        if not kel_text:
            return None, "missing_tps", "kelurahan", "a TPS number without its kelurahan"
        if kel is None:
            code = normalise_code(kel_text)
            if code is None or code.count(".") != 3:
                return None, "unknown_kelurahan", "kelurahan", (
                    f"kelurahan '{kel_text}' is a name: names are matched against a region (--region)")
        else:
            code, rule, msg = kel.resolve(kel_text, _cell(rec, "kecamatan"))
            if code is None:
                return None, rule, "kelurahan", msg
    if not 1 <= no <= 999:
        return None, "bad_tps_id", "tps_no", f"TPS number {no} is outside 1..999"
    return tps_id(code, no), "", "", ""


def _check_row(rec: dict, kel: _Kelurahan | None, date: str | None, authority: str | None,
               report: ValidationReport) -> dict | None:
    """One TPS of the list, or ``None`` when the row has an error (reported)."""
    row = int(rec["_row"])
    tid, rule, col, msg = _row_tps(rec, kel)
    if tid is None:
        report.add(rule, "error", row, col, _cell(rec, col or "tps_id"), msg, _FIXES[rule])
        return None
    raw_class = _cell(rec, "risk_class")
    try:
        cls = normalise_class(raw_class)
    except ValueError:
        report.add("unknown_class", "error", row, "risk_class", raw_class, f"unknown TPS class '{raw_class}'",
                   _FIXES["unknown_class"])
        return None
    if cls is None:
        report.add("missing_class", "error", row, "risk_class", "", "no class", _FIXES["missing_class"])
        return None
    raw_date = _cell(rec, "risk_class_date")
    try:
        when = parse_date(raw_date) or date
    except ValueError as exc:
        report.add("bad_date", "error", row, "risk_class_date", raw_date, f"cannot read the date ({exc})",
                   _FIXES["bad_date"])
        return None
    if when is None:
        report.add("missing_date", "error", row, "risk_class_date", "", "no date for this class",
                   _FIXES["missing_date"])
        return None
    return {"tps_id": tid, "risk_class": cls, "class_date": when,
            "class_authority": _cell(rec, "risk_class_authority") or authority or "", "row": row}


def _dedupe(rows: list[dict], report: ValidationReport) -> list[dict]:
    """One row per TPS: a repeat with the same class is a warning, with another class an error."""
    first: dict[str, dict] = {}
    for r in rows:
        prev = first.get(r["tps_id"])
        if prev is None:
            first[r["tps_id"]] = r
            continue
        same = prev["risk_class"] == r["risk_class"]
        report.add("duplicate_tps", "warning" if same else "error", r["row"], "tps_id", r["tps_id"],
                   f"TPS {r['tps_id']} is also on {report.row_label} {prev['row']}"
                   + ("" if same else f" with class {prev['risk_class']} (here {r['risk_class']})"),
                   _FIXES["duplicate_tps"])
    bad = {f.row for f in report.errors if f.rule == "duplicate_tps"}
    bad_ids = {r["tps_id"] for r in rows if r["row"] in bad}
    return [r for r in first.values() if r["tps_id"] not in bad_ids]


def _frame(rows: list[dict], path: Path, kel: _Kelurahan | None, tps_ids: set[str] | None,
           report: ValidationReport) -> pd.DataFrame:
    """The checked rows as a frame (:data:`COLUMNS`), with unknown TPS reported."""
    out = pd.DataFrame(rows, columns=["tps_id", "risk_class", "class_date", "class_authority", "row"])
    out["kode_kel"] = [normalise_code(i[:10]) for i in out["tps_id"]]
    out["kode_kec"] = [kecamatan_of(c) for c in out["kode_kel"]]
    out["tps_no"] = [int(i[10:]) for i in out["tps_id"]]
    names = kel.codes if kel is not None else {}
    out["kelurahan"] = [names.get(c, ("", "", ""))[0] for c in out["kode_kel"]]
    out["kecamatan"] = [names.get(c, ("", "", ""))[2] for c in out["kode_kel"]]
    out["list"] = path.name
    if tps_ids is not None:
        out["in_region"] = out["tps_id"].isin(tps_ids)
    elif kel is not None:
        out["in_region"] = out["kode_kel"].isin(kel.codes.keys())
    else:
        out["in_region"] = True
    for r in out[~out["in_region"]].itertuples(index=False):
        where = ("not in the region's TPS list" if r.kode_kel in names
                 else f"kelurahan {r.kode_kel} is not in the region")
        report.add("unknown_tps", "warning", r.row, "tps_id", r.tps_id, f"TPS {r.tps_id}: {where}; its class is "
                   "not applied", _FIXES["unknown_tps"])
    out["row"] = [f"{report.row_label} {r}" for r in out["row"]]
    return out[list(COLUMNS)]


def read_classification_list(
    path: str | Path, *, date: str | None = None, authority: str | None = None,
    columns: dict[str, str] | None = None, encoding: str | None = None,
    kelurahan: gpd.GeoDataFrame | pd.DataFrame | None = None, tps_ids: set[str] | None = None,
    on_invalid: str = "stop",
) -> ClassificationList:
    """Read and check one classification list.

    Parameters
    ----------
    path
        CSV, XLSX or JSON.
    date, authority
        For rows without a date / authority of their own (ISO date).
    columns
        ``tps_id, kelurahan, kecamatan, tps_no, class, date, authority`` -> the file's column.
    kelurahan
        The region's kelurahan (``kode_kel, kelurahan, kode_kec, kecamatan``): needed for
        kelurahan names; codes are checked against it.
    tps_ids
        The region's TPS ids: a TPS not among them is an ``unknown_tps`` finding.
    on_invalid
        ``stop``: rows with errors raise :class:`InputError` (with the report); otherwise
        (``drop``, ``estimate``) they are left out and stay in the report.
    """
    path = Path(path)
    date = parse_date(date) if date else None
    overrides = {COLUMN_KEYS[k]: v for k, v in (columns or {}).items() if k in COLUMN_KEYS}
    table = read_tps_table(path, columns=overrides, encoding=encoding)
    found = dict(table.columns_found)
    frame = _rename_extra(table.frame, found, table.file_columns, overrides)
    _check_columns(path, found, table.file_columns, table.unmatched, date is not None)
    report = ValidationReport(str(path), table.row_label, len(frame))
    kel = _Kelurahan.of(kelurahan)
    rows = [r for rec in frame.to_dict("records") if (r := _check_row(rec, kel, date, authority, report))]
    rows = _dedupe(rows, report)
    out = _frame(rows, path, kel, tps_ids, report)
    if report.errors and on_invalid == "stop":
        raise InputError(f"{report.format_text(30)}\nFix the rows, or set region.on_invalid: drop to leave them "
                         "out.", report)
    return ClassificationList(path, date, authority, out, report)


def read_classifications(cfg: RegionConfig, kelurahan: gpd.GeoDataFrame, tps_ids: set[str] | None = None,
                         *, on_invalid: str | None = None) -> tuple[pd.DataFrame | None, list[ValidationReport]]:
    """Every list of ``sources.classifications``: one frame (:data:`COLUMNS` plus ``list_index``,
    the list's place in the config) and a report per list. ``(None, [])`` when none is configured."""
    sources: list[ClassificationSource] = list(cfg.sources.classifications)
    if not sources:
        return None, []
    frames, reports = [], []
    for i, src in enumerate(sources):
        lst = read_classification_list(cfg.resolve(src.path), date=src.date, authority=src.authority,
                                       columns=src.columns, encoding=src.encoding, kelurahan=kelurahan,
                                       tps_ids=tps_ids, on_invalid=on_invalid or cfg.region.on_invalid)
        frames.append(lst.frame.assign(list_index=i))
        reports.append(lst.report)
    return pd.concat(frames, ignore_index=True), reports


@dataclass
class Classifications:
    """The official classification lists of a region (``RegionData.classifications``): every TPS
    listed (:data:`COLUMNS` plus ``list_index``, the list's place in ``sources.classifications``)
    and one report per list."""

    frame: pd.DataFrame
    reports: list[ValidationReport]

    def findings(self) -> pd.DataFrame:
        """Every finding of every list, one table (``file, rule, severity, row, column, ...``)."""
        frames = [r.to_frame() for r in self.reports if r.findings]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def region_classifications(cfg: RegionConfig, kelurahan: gpd.GeoDataFrame, tps: pd.DataFrame,
                           on_invalid: str | None = None) -> Classifications | None:
    """:func:`read_classifications` checked against the region's built TPS; ``None`` without lists.

    ``on_invalid``: ``stop`` raises at rows with errors; anything else leaves them out (reported).
    """
    policy = on_invalid or cfg.region.on_invalid
    frame, reports = read_classifications(cfg, kelurahan, set(tps["tps_id"]),
                                          on_invalid="stop" if policy == "stop" else "drop")
    return None if frame is None else Classifications(frame, reports)


def read_tps_csv(folder: str | Path) -> pd.DataFrame:
    """A run's ``tps.csv`` (``reports/<region>``, or the file itself): every TPS with its class.

    The separator (``,``, ``;`` or tab, see ``pamgeo run --csv-sep``) is detected.
    """
    path = Path(folder)
    if path.is_dir():
        path = path / "tps.csv"
    if not path.exists():
        raise InputError(f"{path}: not found. Fix: give a run folder (reports/<region>) that holds tps.csv, "
                         "or a classification list file.")
    try:
        frame = pd.read_csv(path, sep=None, engine="python", dtype=str, keep_default_na=False,
                            encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read as a pamgeo tps.csv ({exc}). Fix: use the tps.csv of a run.") from None
    need = {"tps_id", "risk_class"}
    if not need <= set(frame.columns):
        raise InputError(f"{path}: not a pamgeo tps.csv (no {', '.join(sorted(need - set(frame.columns)))} column). "
                         "Fix: give the run folder reports/<region> of a pamgeo run.")
    return frame


@dataclass
class CompareSide:
    """One side of ``pamgeo compare``: its TPS and classes (``tps_id, risk_class, class_date,
    class_authority`` and place columns), how tables name it, and a list's report (``None`` for
    a run folder)."""

    frame: pd.DataFrame
    label: str
    kind: str                        # "list" or "run"
    report: ValidationReport | None = None


def _run_side(path: Path) -> CompareSide:
    """A run folder (or its tps.csv): every TPS with the class its briefing used."""
    import json

    frame = read_tps_csv(path)
    folder = path if path.is_dir() else path.parent
    out = pd.DataFrame({"tps_id": frame["tps_id"].astype(str), "risk_class": ""})
    out["risk_class"] = [normalise_class(v) or "" for v in frame["risk_class"]]
    out["class_date"] = frame.get("risk_class_date", pd.Series("", index=frame.index))
    out["class_authority"] = frame.get("risk_class_authority", pd.Series("", index=frame.index))
    for col in ("kode_kel", "kelurahan", "kode_kec", "kecamatan", "tps_no", "lat", "lon"):
        if col in frame:
            out[col] = frame[col]
    official = frame.get("risk_class_source", pd.Series("", index=frame.index)) == "official"
    dates = sorted(set(out.loc[official, "class_date"]) - {""})
    when = dates[-1] if dates else ""
    manifest = folder / "manifest.json"
    if not when and manifest.exists():
        try:
            when = str(json.loads(manifest.read_text(encoding="utf-8")).get("finished", ""))[:10]
        except (OSError, ValueError):
            when = ""
    return CompareSide(out, f"{folder.name} ({when})" if when else folder.name, "run")


def _configured(cfg: RegionConfig | None, path: Path) -> ClassificationSource | None:
    """The region's ``sources.classifications`` entry for ``path``, if it is one."""
    if cfg is None:
        return None
    for src in cfg.sources.classifications:
        if cfg.resolve(src.path) == path.resolve():
            return src
    return None


def read_compare_side(path: str | Path, *, cfg: RegionConfig | None = None,
                      kelurahan: gpd.GeoDataFrame | None = None, tps_ids: set[str] | None = None,
                      date: str | None = None, authority: str | None = None) -> CompareSide:
    """One side of ``pamgeo compare``: a run folder (``reports/<region>``, or its ``tps.csv``) or
    a classification list. A list that is one of the region's ``sources.classifications`` takes
    its date, authority and columns from there (``date``/``authority`` given here win).

    Raises
    ------
    InputError
        The path does not exist, or the list has rows with errors (the report is attached).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: not found. Fix: give a classification list (CSV, XLSX, JSON) or a run folder "
                         "(reports/<region>).")
    if path.is_dir() or path.name == "tps.csv":
        return _run_side(path)
    src = _configured(cfg, path)
    lst = read_classification_list(
        path, date=date or (src.date if src else None), authority=authority or (src.authority if src else None),
        columns=src.columns if src else None, encoding=src.encoding if src else None,
        kelurahan=kelurahan, tps_ids=tps_ids, on_invalid="stop")
    return CompareSide(lst.frame, lst.label, "list", lst.report)
