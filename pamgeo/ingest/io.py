"""Reading input files. The only module that opens input files.

Every reader returns data in one schema per layer, whatever the source's column names, and
raises :class:`~pamgeo.core.errors.InputError` naming the file (and row/column) when it cannot.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from charset_normalizer import from_bytes

from pamgeo.core.codes import kecamatan_of, normalise_code
from pamgeo.core.config import RegionConfig
from pamgeo.core.errors import InputError

WGS84 = "EPSG:4326"

#: canonical TPS column -> accepted spellings (compared after lower-casing and replacing
#: every run of non-alphanumerics with "_")
TPS_ALIASES: dict[str, tuple[str, ...]] = {
    "tps_id": ("tps_id", "id_tps", "kode_tps", "sirekap_id", "id_sirekap"),
    "kecamatan": (
        "kecamatan", "kec", "nama_kecamatan", "nama_kec", "kode_kecamatan", "kode_kec",
        "kd_kec", "kecamatan_kode",
    ),
    "kelurahan": (
        "kelurahan", "kel", "desa", "kelurahan_desa", "desa_kelurahan", "kel_desa",
        "nama_kelurahan", "nama_kel", "nama_desa", "kode_kelurahan", "kode_kel", "kd_kel",
        "kode_desa", "kelurahan_kode",
    ),
    "tps_no": ("tps_no", "no_tps", "nomor_tps", "nomor", "no", "tps", "nama_tps", "nmr_tps"),
    "alamat": ("alamat", "alamat_tps", "lokasi", "lokasi_tps", "address"),
    "lat": ("lat", "latitude", "lintang", "y", "koordinat_lat"),
    "lon": ("lon", "lng", "long", "longitude", "bujur", "x", "koordinat_lon", "koordinat_lng"),
    "koordinat": ("koordinat", "coordinates", "coordinate", "latlon", "lat_lon", "titik_koordinat"),
    "dpt": ("dpt", "jumlah_dpt", "jml_dpt", "jumlah_pemilih", "pemilih"),
    "risk_class": (
        "risk_class", "kerawanan", "klasifikasi", "kategori", "kategori_kerawanan",
        "status_kerawanan", "kelas", "tingkat_kerawanan",
    ),
    "position_source": ("position_source", "sumber_posisi"),
    "risk_class_date": ("risk_class_date", "tanggal_kerawanan", "tanggal_klasifikasi"),
    "risk_class_authority": ("risk_class_authority", "sumber_kerawanan", "penerbit_kerawanan"),
}

#: prefix of Bawaslu TPS-rawan indicator columns (multi-label flags kept beside the class)
BAWASLU_PREFIX = "bawaslu_"

REQUIRED_TPS_COLUMNS = ("kelurahan", "tps_no")


def _norm_col(name: object) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


@dataclass
class TpsTable:
    """A TPS list as read: canonical columns as text, plus where each row came from.

    ``row`` holds the row's number as a user finds it in the file: the spreadsheet row
    (header = row 1) for CSV/XLSX, the feature number (from 1) for vector files, the record
    number (from 1) for JSON lists.
    """

    path: Path
    frame: pd.DataFrame
    row_label: str  # "row", "feature" or "record"
    columns_found: dict[str, str] = field(default_factory=dict)  # canonical -> file column
    missing: list[str] = field(default_factory=list)
    file_columns: list[str] = field(default_factory=list)  # every column of the file, as written
    unmatched: dict[str, str] = field(default_factory=dict)  # columns: entries naming absent columns
    encoding: str | None = None  # text encoding used (detected unless given)


#: encodings a TPS list is detected in when none is given (KPU/KPUD exports, Excel "CSV")
DETECTED_ENCODINGS = ("utf_8", "cp1252", "latin_1")


def detect_encoding(raw: bytes) -> str | None:
    """The text encoding of ``raw``: UTF-8 (with or without BOM), cp1252 or Latin-1.

    UTF-8 when the bytes are valid UTF-8; otherwise charset-normalizer chooses between cp1252
    and Latin-1 (cp1252 has printable characters where Latin-1 has control codes). ``None``
    when neither fits.
    """
    try:
        raw.decode("utf-8")
        return "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw, cp_isolation=list(DETECTED_ENCODINGS[1:])).best()
    return None if best is None else best.encoding


def _decode(path: Path, raw: bytes, encoding: str | None) -> str:
    return _decode_as(path, raw, encoding)[0]


def _decode_as(path: Path, raw: bytes, encoding: str | None) -> tuple[str, str]:
    """Text of ``raw`` and the encoding used (``encoding``, or detected by :func:`detect_encoding`)."""
    if not raw.strip():
        raise InputError(f"{path}: the file is empty. Fix: export the TPS list again.")
    enc = encoding or detect_encoding(raw)
    if enc is None:
        raise InputError(
            f"{path}: not UTF-8, cp1252 or Latin-1 text (the encoding could not be detected). "
            f"Fix: save the file as UTF-8, or set 'encoding:' for this source in the region config."
        )
    try:
        return raw.decode(enc), enc
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        guess = detect_encoding(raw)
        hint = f" (it looks like {guess})" if guess is not None else ""
        raise InputError(
            f"{path}: line {line}, byte {col}: not {enc} text{hint}: byte "
            f"0x{raw[exc.start]:02x} cannot be decoded. Fix: save the file as UTF-8, or set "
            f"'encoding:' for this source in the region config (or leave it out to detect it)."
        ) from None


def read_text_csv(path: Path, encoding: str | None = None, *, as_text: bool = True) -> pd.DataFrame:
    """A CSV read with the encoding check of :func:`_decode` (all columns as text by default)."""
    text = _decode(path, path.read_bytes(), encoding)
    if as_text:
        return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
    return pd.read_csv(StringIO(text))


def _find_header(cells: pd.DataFrame, aliases: dict[str, tuple[str, ...]]) -> int:
    """Index of the row that holds the column names (KPU exports often have title rows)."""
    known = {a for names in aliases.values() for a in names}
    best, best_hits = 0, -1
    for i in range(min(len(cells), 15)):
        hits = sum(_norm_col(v) in known for v in cells.iloc[i].tolist() if str(v).strip())
        if hits > best_hits:
            best, best_hits = i, hits
    return best


def map_columns(
    columns: list[str], overrides: dict[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """Match file columns to canonical TPS columns.

    Returns ``(found, missing_required)`` where ``found`` maps canonical name -> file column.
    Explicit ``overrides`` (canonical -> file column) win over aliases; an override naming a
    column the file lacks makes its canonical column missing.
    """
    overrides = overrides or {}
    found: dict[str, str] = {}
    by_norm = {_norm_col(c): c for c in columns}
    for canon, names in TPS_ALIASES.items():
        if canon in overrides:
            if overrides[canon] in columns:
                found[canon] = overrides[canon]
            continue
        for alias in names:
            if alias in by_norm and by_norm[alias] not in found.values():
                found[canon] = by_norm[alias]
                break
    missing = [c for c in REQUIRED_TPS_COLUMNS if c not in found]
    has_coords = ("lat" in found and "lon" in found) or "koordinat" in found
    if not has_coords:
        missing += [c for c in ("lat", "lon") if c not in found]
    if "kecamatan" not in found and "kelurahan" in found and "tps_id" not in found:
        missing.append("kecamatan")  # checked against the values by validate_tps
    missing += [c for c, v in overrides.items() if v not in columns and c not in missing]
    return found, missing


def read_tps_table(
    path: str | Path, *, columns: dict[str, str] | None = None, encoding: str | None = None
) -> TpsTable:
    """Read a TPS list from CSV, XLSX/XLS, JSON, GeoJSON or another vector file (GeoPackage, Shapefile).

    JSON may be a top-level array of records or an object with one key holding that array
    (``{"data": [...]}``, also nested); GeoJSON features give their properties and, for point
    geometries, ``lat``/``lon``. Every format goes through the same column matching
    (:func:`map_columns`). Text files are decoded with ``encoding`` or, without it, in the
    encoding :func:`detect_encoding` finds. Values are kept as text;
    :func:`pamgeo.ingest.validate.validate_tps` parses and checks them.

    Raises
    ------
    InputError
        The file does not exist, is empty, is not valid text in the expected encoding, or
        cannot be parsed at all.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found. Fix: check the path.")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv_table(path, columns, encoding)
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty. Fix: export the TPS list again.")
    if suffix in (".xlsx", ".xlsm", ".xls"):
        try:
            cells = pd.read_excel(path, header=None, dtype=str).fillna("")
        except Exception as exc:  # openpyxl raises many types for broken files
            raise InputError(f"{path}: cannot read as a spreadsheet ({exc}). Fix: re-save it as .xlsx.") from None
        return _table_from_cells(path, cells, columns)
    if suffix in (".json", ".geojson"):
        return _read_json_table(path, columns, encoding)
    return _read_vector_table(path, columns)


def _read_csv_table(path: Path, columns: dict[str, str] | None, encoding: str | None) -> TpsTable:
    text, enc = _decode_as(path, path.read_bytes(), encoding)
    sep = "\t" if path.suffix.lower() == ".tsv" else None
    try:
        cells = pd.read_csv(
            StringIO(text), header=None, dtype=str, keep_default_na=False,
            sep=sep, engine="python", skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:
        raise InputError(f"{path}: cannot parse as CSV ({exc}). Fix: export it again as CSV.") from None
    return _table_from_cells(path, cells, columns, enc)


def _read_vector_table(path: Path, columns: dict[str, str] | None) -> TpsTable:
    """A vector file through GDAL: properties as text, point geometries as ``lat``/``lon`` (WGS84)."""
    gdf = read_vector(path)
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(str)
    frame = frame.replace({"None": "", "nan": "", "<NA>": ""})
    geom = gdf.geometry
    if gdf.crs is not None and not gdf.crs.equals(WGS84):
        geom = geom.to_crs(WGS84)
    is_point = geom.geom_type == "Point"
    frame["lon"] = np.where(is_point, geom.x.astype(str), "")
    frame["lat"] = np.where(is_point, geom.y.astype(str), "")
    return _table_from_frame(path, frame, columns, "feature")


def _read_json_table(path: Path, columns: dict[str, str] | None, encoding: str | None) -> TpsTable:
    text, enc = _decode_as(path, path.read_bytes(), encoding)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg}). "
                         "Fix: export the TPS list again.") from None
    if isinstance(data, dict) and data.get("type") in ("FeatureCollection", "Feature"):
        if not _wgs84_geojson(data):
            return _read_vector_table(path, columns)  # a legacy "crs" member: let GDAL reproject
        return _table_from_frame(path, _geojson_frame(path, data), columns, "feature", enc)
    records = _json_records(path, data)
    frame = pd.json_normalize(records, sep=".").map(_as_text)
    return _table_from_frame(path, frame, columns, "record", enc)


def _as_text(value: object) -> str:
    """A JSON value as the text a CSV cell would hold."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_as_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value).strip()


def _is_records(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(r, dict) for r in value)


def _record_lists(data: dict, prefix: str = "") -> list[tuple[str, list[dict]]]:
    """Keys holding a list of records, at the shallowest level that has any (``data``, ``result.items``)."""
    here = [(prefix + k, v) for k, v in data.items() if _is_records(v)]
    if here:
        return here
    return [found for k, v in data.items() if isinstance(v, dict) for found in _record_lists(v, f"{prefix}{k}.")]


def _json_records(path: Path, data: object) -> list[dict]:
    """The list of TPS records in a JSON document: the top-level array, or the one key holding it."""
    if isinstance(data, list):
        if _is_records(data):
            return data
        raise InputError(f"{path}: the JSON array holds no TPS records (objects with fields). "
                         "Fix: export the TPS list as a list of records.")
    if isinstance(data, dict):
        lists = _record_lists(data)
        if len(lists) == 1:
            return lists[0][1]
        if len(lists) > 1:
            keys = ", ".join(f"'{k}' ({len(v)})" for k, v in lists)
            raise InputError(f"{path}: several keys hold lists of records: {keys}. "
                             "Fix: keep only the TPS list in the file.")
    raise InputError(f"{path}: no list of TPS records found (expected an array of records, or an object "
                     "with one key holding it, like {\"data\": [...]}). Fix: export the TPS list again.")


def _wgs84_geojson(data: dict) -> bool:
    """True unless a (pre-RFC 7946) ``crs`` member names something other than WGS84."""
    name = str(((data.get("crs") or {}).get("properties") or {}).get("name", ""))
    return not name or name.upper().endswith(("CRS84", ":4326", "::4326"))


def _geojson_frame(path: Path, data: dict) -> pd.DataFrame:
    """Feature properties as text, with ``lat``/``lon`` from point geometries."""
    feats = data.get("features") if data.get("type") == "FeatureCollection" else [data]
    feats = [f for f in feats or [] if isinstance(f, dict)]
    if not feats:
        raise InputError(f"{path}: the GeoJSON has no features. Fix: export the TPS list again.")
    frame = pd.json_normalize([f.get("properties") or {} for f in feats], sep=".").map(_as_text)
    xy = [_point_of(f.get("geometry")) for f in feats]
    if any(p is not None for p in xy):
        frame["lon"] = [_as_text(p[0]) if p else "" for p in xy]
        frame["lat"] = [_as_text(p[1]) if p else "" for p in xy]
    return frame


def _point_of(geometry: object) -> tuple[float, float] | None:
    """``(lon, lat)`` of a Point (or a MultiPoint of one point) geometry."""
    if not isinstance(geometry, dict):
        return None
    coords = geometry.get("coordinates")
    if geometry.get("type") == "MultiPoint" and isinstance(coords, list) and len(coords) == 1:
        coords = coords[0]
    elif geometry.get("type") != "Point":
        return None
    if isinstance(coords, list) and len(coords) >= 2:
        return coords[0], coords[1]
    return None


def _table_from_frame(path: Path, frame: pd.DataFrame, overrides: dict[str, str] | None, row_label: str,
                      encoding: str | None = None) -> TpsTable:
    """A table of records (one per TPS, numbered from 1) with canonical column names."""
    frame = frame.loc[:, [str(c).strip() != "" for c in frame.columns]]
    file_columns = [str(c) for c in frame.columns]
    found, missing = map_columns(file_columns, overrides)
    unmatched = {c: v for c, v in (overrides or {}).items() if v not in file_columns}
    out = frame.rename(columns={v: k for k, v in found.items()})
    out = out.loc[:, ~out.columns.duplicated()].reset_index(drop=True)
    out["_row"] = np.arange(1, len(out) + 1)
    return TpsTable(path, out, row_label, found, missing, file_columns, unmatched, encoding)


def _table_from_cells(path: Path, cells: pd.DataFrame, overrides: dict[str, str] | None,
                      encoding: str | None = None) -> TpsTable:
    cells = cells.loc[~(cells.apply(lambda r: "".join(map(str, r)).strip() == "", axis=1))]
    if cells.empty:
        raise InputError(f"{path}: the file has no rows. Fix: export the TPS list again.")
    h = _find_header(cells, TPS_ALIASES)
    header = [str(v).strip() for v in cells.iloc[h].tolist()]
    body = cells.iloc[h + 1 :].copy()
    body.columns = header
    body = body.loc[:, [c != "" for c in header]]
    file_columns = [c for c in header if c]
    found, missing = map_columns(file_columns, overrides)
    unmatched = {c: v for c, v in (overrides or {}).items() if v not in file_columns}
    frame = body.rename(columns={v: k for k, v in found.items()})
    frame = frame.loc[:, ~frame.columns.duplicated()].copy()
    frame["_row"] = body.index.to_numpy() + 1  # spreadsheet row number (header row = its row)
    frame = frame.reset_index(drop=True)
    if frame.empty:
        raise InputError(f"{path}: the file has a header but no TPS rows. Fix: export the TPS list again.")
    return TpsTable(path, frame, "row", found, missing, file_columns, unmatched, encoding)


def read_vector(path: str | Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read any vector file GDAL knows (GeoJSON, GeoPackage, Shapefile, ...)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found. Fix: check the path in the region config.")
    try:
        gdf = gpd.read_file(path, layer=layer)
    except Exception as exc:
        raise InputError(f"{path}: cannot read as a vector file ({exc}).") from None
    if gdf.crs is None:
        gdf = gdf.set_crs(WGS84)
    return gdf


def read_kelurahan(cfg: RegionConfig) -> gpd.GeoDataFrame:
    """Kelurahan of the region, selected by Kemendagri code, in the region's metric CRS.

    Columns: ``kode_kel, kelurahan, kode_kec, kecamatan, geometry``.
    """
    src = cfg.sources.boundaries.kelurahan
    path = cfg.resolve(src.path)
    gdf = read_vector(path, layer=src.layer)
    for key, col in (("code_column", src.code_column), ("name_column", src.name_column)):
        if col not in gdf.columns:
            raise InputError(
                f"{path}: column '{col}' (sources.boundaries.kelurahan.{key}) not found; "
                f"columns are {list(gdf.columns)}. Fix: set the right column in {cfg.config_path}."
            )
    codes = gdf[src.code_column].map(normalise_code)
    bad = codes.isna() | (codes.str.count(r"\.") != 3)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{path}: feature {i + 1}, column '{src.code_column}': '{gdf[src.code_column].iloc[i]}' "
            "is not a kelurahan code like 32.71.01.1005. Fix: point code_column at the Kemendagri code."
        )
    out = gpd.GeoDataFrame(
        {
            "kode_kel": codes,
            "kelurahan": gdf[src.name_column].astype(str).str.strip(),
            "geometry": gdf.geometry,
        },
        crs=gdf.crs,
    )
    out = out[out["kode_kel"].str.startswith(cfg.region.kode + ".")].copy()
    if out.empty:
        raise InputError(
            f"{path}: no kelurahan with a code under {cfg.region.kode}. Fix: check region.kode "
            f"and sources.boundaries.kelurahan in {cfg.config_path}."
        )
    out["kode_kec"] = out["kode_kel"].map(kecamatan_of)
    if src.kecamatan_name_column:
        if src.kecamatan_name_column not in gdf.columns:
            raise InputError(
                f"{path}: column '{src.kecamatan_name_column}' (kecamatan_name_column) not found."
            )
        out["kecamatan"] = gdf.loc[out.index, src.kecamatan_name_column].astype(str).str.strip()
    elif cfg.sources.boundaries.kecamatan:
        kec = read_kecamatan(cfg)
        out["kecamatan"] = out["kode_kec"].map(dict(zip(kec["kode_kec"], kec["kecamatan"], strict=True)))
    else:
        out["kecamatan"] = out["kode_kec"]
    dup = out["kode_kel"].duplicated(keep=False)
    if dup.any():
        # a kelurahan split into several features: merge them
        out = out.dissolve(by="kode_kel", as_index=False, aggfunc="first")
    out = out.to_crs(cfg.region.crs)
    out["geometry"] = out.geometry.make_valid()
    return out[["kode_kel", "kelurahan", "kode_kec", "kecamatan", "geometry"]].sort_values("kode_kel").reset_index(drop=True)


def _kecamatan_layer(cfg: RegionConfig, src, key: str) -> gpd.GeoDataFrame:
    path = cfg.resolve(src.path)
    gdf = read_vector(path, layer=src.layer)
    for col in (src.code_column, src.name_column):
        if col not in gdf.columns:
            raise InputError(f"{path}: column '{col}' ({key}) not found; columns are {list(gdf.columns)}.")
    codes = gdf[src.code_column].map(normalise_code)
    out = gpd.GeoDataFrame(
        {"kode_kec": codes, "kecamatan": gdf[src.name_column].astype(str), "geometry": gdf.geometry},
        crs=gdf.crs,
    )
    return out[out["kode_kec"].notna() & (out["kode_kec"].str.count(r"\.") == 2)].to_crs(cfg.region.crs)


def read_kecamatan(cfg: RegionConfig) -> gpd.GeoDataFrame:
    """Kecamatan layer from its own file (when configured), in the region CRS."""
    src = cfg.sources.boundaries.kecamatan
    if src is None:
        raise InputError("no kecamatan layer configured (sources.boundaries.kecamatan)")
    out = _kecamatan_layer(cfg, src, "sources.boundaries.kecamatan")
    return out[out["kode_kec"].str.startswith(cfg.region.kode + ".")].reset_index(drop=True)


def read_outside_kecamatan(cfg: RegionConfig) -> gpd.GeoDataFrame | None:
    """Kecamatan outside the kota that the Polres covers (``police.outside_kecamatan``)."""
    if cfg.police is None or cfg.police.outside_kecamatan is None:
        return None
    wanted = {c for codes in cfg.police.coverage.values() for c in codes if not c.startswith(cfg.region.kode + ".")}
    out = _kecamatan_layer(cfg, cfg.police.outside_kecamatan, "police.outside_kecamatan")
    out = out[out["kode_kec"].isin(wanted)]
    missing = wanted - set(out["kode_kec"])
    if missing:
        raise InputError(f"{cfg.resolve(cfg.police.outside_kecamatan.path)}: kecamatan {sorted(missing)} named in "
                         "police.coverage are not in this file. Fix: correct the codes or the file.")
    return out.dissolve(by=["kode_kec", "kecamatan"], as_index=False).reset_index(drop=True)


def read_tps_counts(cfg: RegionConfig) -> pd.DataFrame:
    """Per-kelurahan TPS counts of the region.

    Columns: ``kode_kel, n_regular, khusus_from, khusus_to`` (the last two may be empty).
    """
    src = cfg.sources.tps
    path = cfg.resolve(src.path)
    df = read_text_csv(path, src.encoding)
    cols = {
        "kelurahan_code_column": src.kelurahan_code_column,
        "regular_column": src.regular_column,
    }
    for key, col in cols.items():
        if col not in df.columns:
            raise InputError(
                f"{path}: column '{col}' (sources.tps.{key}) not found; columns are "
                f"{list(df.columns)}. Fix: set it in {cfg.config_path}."
            )
    out = pd.DataFrame({"kode_kel": df[src.kelurahan_code_column].map(normalise_code)})
    out["row"] = df.index + 2
    bad = out["kode_kel"].isna()
    if bad.any():
        r = int(out.loc[bad, "row"].iloc[0])
        raise InputError(
            f"{path}: row {r}, column '{src.kelurahan_code_column}': "
            f"'{df.loc[bad, src.kelurahan_code_column].iloc[0]}' is not a kelurahan code."
        )
    keep = out["kode_kel"].str.startswith(cfg.region.kode + ".")
    for name, col in (("n_regular", src.regular_column), ("khusus_from", src.khusus_from_column),
                      ("khusus_to", src.khusus_to_column)):
        if col is None or col not in df.columns:
            out[name] = pd.NA
            continue
        vals = pd.to_numeric(df[col].str.strip().replace("", None), errors="coerce")
        bad = df[col].str.strip().ne("") & vals.isna() & keep
        if bad.any():
            r = int(out.loc[bad, "row"].iloc[0])
            raise InputError(f"{path}: row {r}, column '{col}': '{df.loc[bad, col].iloc[0]}' is not a number.")
        out[name] = vals.astype("Int64")
    out = out[keep].reset_index(drop=True)
    if out.empty:
        raise InputError(f"{path}: no rows for region {cfg.region.kode}. Fix: check sources.tps.path.")
    missing = out["n_regular"].isna()
    if missing.any():
        raise InputError(
            f"{path}: row {int(out.loc[missing, 'row'].iloc[0])}, column '{src.regular_column}': empty TPS count."
        )
    return out


def read_roads(cfg: RegionConfig) -> gpd.GeoDataFrame | None:
    """Road lines (``road_class, name, geometry``) exploded to LineStrings, in the region CRS.

    Degenerate parts (fewer than two distinct points) are dropped.
    """
    src = cfg.sources.roads
    if src is None:
        return None
    gdf = read_vector(cfg.resolve(src.path), layer=src.layer)
    if src.class_column not in gdf.columns:
        raise InputError(
            f"{cfg.resolve(src.path)}: column '{src.class_column}' (sources.roads.class_column) not found."
        )
    bridge = (gdf[src.bridge_column].astype(str).str.strip().str.lower().isin(["t", "true", "yes", "1", "y"])
              if src.bridge_column and src.bridge_column in gdf else False)
    out = gpd.GeoDataFrame(
        {
            "road_class": gdf[src.class_column].astype(str),
            "name": gdf[src.name_column].fillna("").astype(str) if src.name_column in gdf else "",
            "is_bridge": bridge,
            "geometry": gdf.geometry,
        },
        crs=gdf.crs,
    ).explode(index_parts=False)
    out = out[out.geometry.notna() & (out.geometry.geom_type == "LineString")]
    out = out.to_crs(cfg.region.crs)
    out = out[out.geometry.length > 0.01]
    return out.reset_index(drop=True)


def read_waterways(cfg: RegionConfig) -> gpd.GeoDataFrame | None:
    """Waterway lines of every configured source (``name, waterway_class, source, geometry``)."""
    parts = []
    for i, src in enumerate(cfg.sources.waterways):
        gdf = read_vector(cfg.resolve(src.path), layer=src.layer)
        names = gdf[src.name_column].fillna("").astype(str) if src.name_column in gdf else ""
        out = gpd.GeoDataFrame(
            {
                "name": names,
                "waterway_class": gdf[src.class_column].astype(str) if src.class_column in gdf else "river",
                "source": i,
                "geometry": gdf.geometry,
            },
            crs=gdf.crs,
        )
        if src.rename:
            out["name"] = out["name"].replace(src.rename)
        parts.append(out.to_crs(cfg.region.crs))
    if not parts:
        return None
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=cfg.region.crs).explode(index_parts=False)
    return out[out.geometry.notna() & ~out.geometry.is_empty].reset_index(drop=True)


def read_police_posts(cfg: RegionConfig) -> pd.DataFrame | None:
    """Police units table as written (``unit, level, kode_kel, lat, lon, ...``)."""
    src = cfg.sources.police_posts
    if src is None:
        return None
    path = cfg.resolve(src.path)
    df = read_text_csv(path, src.encoding)
    for col in ("unit", "level"):
        if col not in df.columns:
            raise InputError(f"{path}: required column '{col}' is missing. Fix: add it (see data/README.md).")
    has_xy = {"lat", "lon"} <= set(df.columns)
    if not has_xy and "kode_kel" not in df.columns:
        raise InputError(f"{path}: needs either 'lat' and 'lon' or 'kode_kel' columns.")
    df["_row"] = df.index + 2
    return df


def read_flood_prone(cfg: RegionConfig) -> pd.DataFrame | None:
    """Flood-prone locations listed by kelurahan (no coordinates).

    Returns ``kode_kel, lokasi, kind, date`` with one row per distinct location name per
    kelurahan; rows without a kelurahan code cannot be placed and are left out.
    """
    src = cfg.sources.flood_prone
    if src is None:
        return None
    path = cfg.resolve(src.path)
    df = read_text_csv(path, src.encoding)
    for key in ("kelurahan_code_column", "name_column"):
        col = getattr(src, key)
        if col not in df.columns:
            raise InputError(f"{path}: column '{col}' (sources.flood_prone.{key}) not found; "
                             f"columns are {list(df.columns)}.")
    out = pd.DataFrame({
        "kode_kel": df[src.kelurahan_code_column].map(normalise_code),
        "lokasi": df[src.name_column].str.strip(),
        "kind": df[src.kind_column] if src.kind_column in df else "",
        "date": df[src.date_column] if src.date_column in df else "",
    })
    out = out[out["kode_kel"].notna() & (out["kode_kel"].str.count(r"\.") == 3)]
    out = out[out["kode_kel"].str.startswith(cfg.region.kode + ".")]
    out["_key"] = out["lokasi"].str.lower().str.replace(r"[^a-z0-9]", "", regex=True)
    return out.drop_duplicates(["kode_kel", "_key"]).drop(columns="_key").reset_index(drop=True)


def read_flood_vectors(cfg: RegionConfig) -> dict[str, gpd.GeoDataFrame | None]:
    """Flood evidence vectors in the region CRS: ``lakes``, ``events``, ``polygons``.

    Lakes from a CSV (``lat, lon, area_ha``) become circles of that area, marked approximate.
    Polygons get ``flood_class`` (from ``class_map`` or ``fixed_class``) and ``label``.
    """
    fl = cfg.flood
    out: dict[str, gpd.GeoDataFrame | None] = {"lakes": None, "events": None, "polygons": None}
    parts = []
    for i, src in enumerate(fl.lakes):
        path = cfg.resolve(src.path)
        if path.suffix.lower() == ".csv":
            df = read_text_csv(path, src.encoding, as_text=False)
            for col in ("lat", "lon", "area_ha"):
                if col not in df.columns:
                    raise InputError(f"{path}: column '{col}' (flood.lakes[{i}]) is missing.")
            pts = gpd.GeoSeries(gpd.points_from_xy(df["lon"], df["lat"]), crs=WGS84).to_crs(cfg.region.crs)
            radius = np.sqrt(df["area_ha"].to_numpy(float) * 10_000 / np.pi)
            g = gpd.GeoDataFrame({"name": df.get(src.name_column, df.index.astype(str)),
                                  "position_source": df.get("position_source", "approximate")},
                                 geometry=pts.buffer(radius, quad_segs=32), crs=cfg.region.crs)
        else:
            v = read_vector(path, layer=src.layer).to_crs(cfg.region.crs)
            g = gpd.GeoDataFrame({"name": v[src.name_column] if src.name_column in v else "",
                                  "position_source": "file"}, geometry=v.geometry, crs=cfg.region.crs)
        parts.append(g)
    if parts:
        out["lakes"] = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=cfg.region.crs)
    parts = []
    for i, src in enumerate(fl.events):
        v = read_vector(cfg.resolve(src.path), layer=src.layer).to_crs(cfg.region.crs)
        depth = pd.to_numeric(v[src.depth_column], errors="coerce") if src.depth_column in v else np.nan
        date = v[src.date_column].astype(str).str[:10] if src.date_column in v else ""
        parts.append(gpd.GeoDataFrame({"depth_cm": depth, "date": date, "source": i}, geometry=v.geometry,
                                      crs=cfg.region.crs))
    if parts:
        out["events"] = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=cfg.region.crs)
    parts = []
    for i, src in enumerate(fl.polygons):
        path = cfg.resolve(src.path)
        v = read_vector(path, layer=src.layer).to_crs(cfg.region.crs)
        if src.fixed_class:
            cls = pd.Series(src.fixed_class, index=v.index)
        elif src.class_column and src.class_column in v:
            raw = v[src.class_column].astype(str).str.replace(r"\.0$", "", regex=True)
            cls = raw.map(src.class_map)
            bad = cls.isna() & raw.ne("")
            if bad.any():
                raise InputError(f"{path}: feature {int(np.flatnonzero(bad)[0]) + 1}, column '{src.class_column}': "
                                 f"'{raw[bad].iloc[0]}' is not in flood.polygons[{i}].class_map. Fix: map it.")
        else:
            raise InputError(f"{path}: flood.polygons[{i}] needs class_column with class_map, or fixed_class.")
        parts.append(gpd.GeoDataFrame({"flood_class": cls, "label": src.label}, geometry=v.geometry.make_valid(),
                                      crs=cfg.region.crs))
    if parts:
        out["polygons"] = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=cfg.region.crs)
    return out


@dataclass
class Raster:
    """A hazard raster in memory (band 1), with what its values mean."""

    values: np.ndarray      # float, NaN where NoData
    transform: object
    crs: object
    kind: str               # "index" | "depth"
    breaks: tuple[float, float, float]
    label: str


def read_flood_rasters(cfg: RegionConfig) -> list[Raster]:
    """Every configured hazard raster, NoData as NaN (read with rasterio, any CRS GDAL knows)."""
    import rasterio

    out = []
    for i, src in enumerate(cfg.flood.rasters):
        path = cfg.resolve(src.path)
        try:
            with rasterio.open(path) as ds:
                vals = ds.read(1, masked=True).astype(float).filled(np.nan)
                crs = ds.crs or WGS84
                transform = ds.transform
        except rasterio.errors.RasterioIOError as exc:
            raise InputError(f"{path}: cannot read as a raster ({exc}) (flood.rasters[{i}]).") from None
        breaks = src.breaks or ((0.0, 1 / 3, 2 / 3) if src.kind == "index" else (0.1, 0.5, 1.0))
        out.append(Raster(vals, transform, crs, src.kind, tuple(breaks), src.label))
    return out
