"""Geometry and text encoding for the web maps: GeoJSON, Encoded Polylines, escaping.

Every layer of a map is one GeoJSON FeatureCollection (:func:`to_geojson`) whose position lists
are stored as Encoded Polyline strings (:func:`pack_geojson`), decoded in the browser by the
map's runtime (``assets/runtime.js``). The TPS, thousands of points, are one table instead
(:func:`point_table`): every position in one Encoded Polyline, the properties in columns that
store each distinct value once (:func:`encode_column`) or each distinct part of a text once
(:func:`encode_parts`). Every text that comes from data is HTML-escaped, with its braces as
entities (:func:`escape_text`), before it reaches a page.
"""

from __future__ import annotations

import html
import json
import re
from itertools import compress
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import polyline
import shapely

from pamgeo.ingest.io import WGS84

# nesting depth of the position lists in each GeoJSON geometry type
GEOJSON_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "Polygon": 2, "MultiLineString": 2, "MultiPolygon": 3}
POLYLINE_PRECISION = 5  # 1e-5 degree, about 1 m: the grid of to_geojson's base layers

#: the characters of the codes of a table's dictionary columns (:func:`encode_column`): printable
#: ASCII without quotes, backslash, ``&``, ``<``, ``>`` and braces, so a code string needs no
#: escaping in JSON or HTML and can never open a Jinja expression
CODE_ALPHABET = "".join(chr(c) for c in range(33, 127) if chr(c) not in "\"'&<>\\{}")

#: the separator of the parts of a text (reasons) that :func:`point_table` stores each once
PARTS_SEP = "; "

_CHUNKS = 7  # 5-bit groups: enough for any delta of a coordinate times 1e5 (< 2**35)
# shapely type ids of the geometries a map feature can be
_GEOJSON_TYPES = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon"}


def escape_text(text: str) -> str:
    """Text from data made safe for a map: HTML-escaped, and with ``{`` and ``}`` as entities.

    Branca compiles every rendered script once more as a Jinja template, so a ``{{ ... }}``
    or ``{% ... %}`` in the data would be evaluated while the page is written (template
    injection). As ``&#123;`` / ``&#125;`` the braces still show in popups and tooltips.
    """
    return html.escape(text, quote=True).replace("{", "&#123;").replace("}", "&#125;")


def _escape(value: Any) -> Any:
    if isinstance(value, str):
        return escape_text(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if np.isnan(value) else round(float(value), 6)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def simplify(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Douglas-Peucker: polygons keeping their topology, lines plainly (a line cannot become
    invalid, and the plain algorithm is several times faster)."""
    out = np.asarray(geoms).copy()
    lines = np.isin(shapely.get_type_id(out), (1, 2, 5))  # LineString, LinearRing, MultiLineString
    out[lines] = shapely.simplify(out[lines], tolerance, preserve_topology=False)
    out[~lines] = shapely.simplify(out[~lines], tolerance, preserve_topology=True)
    return out


def to_geojson(gdf: gpd.GeoDataFrame, properties: list[str], *, simplify_m: float = 0.0,
               precision: float = 1e-5, packed: bool = False) -> dict:
    """GeoJSON dict in EPSG:4326 with HTML-escaped properties and rounded coordinates.

    Parameters
    ----------
    gdf
        Layer in any CRS.
    properties
        Columns to carry as feature properties.
    simplify_m
        Douglas-Peucker tolerance (:func:`simplify`), applied in the layer's (metric) CRS
        before reprojection.
    precision
        Coordinate grid in degrees (1e-5 is about 1 m).
    packed
        Geometries as Encoded Polylines, straight from the coordinate arrays: the same result
        as ``pack_geojson(to_geojson(...))``, without building the number lists first.

    The properties are read a column at a time (:func:`property_columns`), each distinct text
    escaped once: a map's layers have tens of thousands of values, most of them repeated.
    """
    geometries, keep = geojson_geometries(gdf.geometry.to_numpy(), gdf.crs, simplify_m=simplify_m,
                                          precision=precision, packed=packed)
    return feature_collection(geometries, properties, property_columns(gdf, properties, keep))


def geojson_geometries(geoms: np.ndarray, crs: Any, *, simplify_m: float = 0.0, precision: float = 1e-5,
                       packed: bool = False) -> tuple[list[dict], np.ndarray]:
    """The GeoJSON geometries of :func:`to_geojson` (of ``geoms`` in ``crs``), and which of
    ``geoms`` they are (a boolean mask: missing and empty geometries are left out)."""
    if simplify_m > 0:
        geoms = simplify(geoms, simplify_m)
    geoms = np.asarray(gpd.array.from_shapely(geoms, crs=crs).to_crs(WGS84))
    geoms = shapely.set_precision(shapely.force_2d(geoms), precision)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    geoms = geoms[keep]
    if packed:
        geometries = [{"type": kind, "coordinates": coords} for kind, coords in _packed_geometries(geoms)]
    elif len(geoms) and (shapely.get_type_id(geoms) == 0).all():  # points: as shapely's mapping writes them
        geometries = [{"type": "Point", "coordinates": tuple(xy)} for xy in shapely.get_coordinates(geoms).tolist()]
    else:
        geometries = [shapely.geometry.mapping(g) for g in geoms]
    return geometries, keep


def feature_collection(geometries: list[dict], properties: list[str], columns: list[list]) -> dict:
    """A FeatureCollection of ``geometries`` with the ``properties`` given a list of values each."""
    rows = zip(*columns, strict=True) if columns else [()] * len(geometries)
    features = [{"type": "Feature", "properties": dict(zip(properties, row, strict=True)), "geometry": geom}
                for geom, row in zip(geometries, rows, strict=True)]
    return {"type": "FeatureCollection", "features": features}


def property_columns(gdf: pd.DataFrame, properties: list[str], keep: np.ndarray | None = None) -> list[list]:
    """The values of the ``properties`` columns of the rows ``keep`` (a boolean mask; default all),
    escaped for a map (:func:`_escape`), a list per column.

    The values ``gdf.loc[keep, properties].to_dict("records")`` gives (Python scalars, missing
    values None), read a column at a time (:func:`column_values`), each distinct text escaped once.
    """
    if not gdf.columns.is_unique:  # a name for several columns: as pandas reads it
        frame = gdf.loc[keep, properties] if keep is not None else gdf[properties]
        records = frame.to_dict("records")
        return [[_escape(r[name]) for r in records] for name in properties]
    every = keep is None or bool(np.all(keep))
    out = []
    for name in properties:
        col = gdf[name]
        values = column_values(col)
        if not every:
            values = list(compress(values, keep))
        out.append(_escape_column(values, col.dtype))
    return out


def escaped_values(values: pd.Series | list) -> list:
    """A column's values escaped for a map, as :func:`to_geojson` writes them. A list is escaped
    value by value (texts escaped, NaN and other missing values None): as :func:`to_geojson`
    writes a column of those values when pandas keeps them as they are (texts, missing values)."""
    if isinstance(values, pd.Series):
        return _escape_column(column_values(values), values.dtype)
    return _escape_column(values, np.dtype(object))


def column_values(col: pd.Series) -> list:
    """The values of a column as iterating it gives them (Python scalars for NumPy columns), fast."""
    dtype = col.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biufO":
        return col.to_numpy().tolist()
    if isinstance(dtype, pd.StringDtype):  # texts, and the dtype's missing value (tests check it)
        return col.to_numpy(dtype=object).tolist()
    return list(col)


def _escape_column(values: list, dtype: Any) -> list:
    """:func:`_escape` of each value of a column of ``dtype`` (of its Python scalar,
    :func:`_native`, for an object or pandas extension column, as pandas' ``to_dict`` gives it)."""
    if isinstance(dtype, np.dtype) and dtype.kind in "biu":  # Python ints and bools: as they are
        return values
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return [None if v != v else v for v in values]
    if isinstance(dtype, pd.StringDtype):  # texts and missing values only: each distinct one escaped once
        escaped = {v: escape_text(v) if type(v) is str else _escape(_native(v)) for v in set(values)}
        return [escaped[v] for v in values]
    boxed = not isinstance(dtype, np.dtype) or dtype.kind == "O"
    texts: dict[str, str] = {}
    out = []
    for v in values:
        if type(v) is str:
            e = texts.get(v)
            if e is None:
                e = texts[v] = escape_text(v)
        else:
            e = _escape(_native(v) if boxed else v)
        out.append(e)
    return out


def _native(value: Any) -> Any:
    """A Python scalar for a NumPy or pandas scalar, as ``DataFrame.to_dict`` gives it."""
    if pd.api.types.is_float(value):
        return float(value)
    if pd.api.types.is_integer(value):
        return int(value)
    if pd.api.types.is_bool(value):
        return bool(value)
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value)
    if isinstance(value, np.timedelta64):
        return pd.Timedelta(value)
    if value is pd.NA:
        return None
    return value


def layer_data(gdf: gpd.GeoDataFrame, properties: list[str], **kwargs: Any) -> dict:
    """:func:`to_geojson` with packed geometries, as the map layers
    (:class:`pamgeo.render.webmap_elements.GeoJson`) write them."""
    return to_geojson(gdf, properties, packed=True, **kwargs)


def encode_polyline(positions) -> str:
    """Encoded Polyline (precision 5) of ``[lng, lat]`` positions, vectorised.

    The same text as ``polyline.encode(positions, 5, geojson=True)`` (tests check it), without
    a Python loop per vertex: a briefing map has tens of thousands of vertices.
    """
    xy = np.asarray(positions, dtype=float).reshape(-1, 2)
    return _polyline_text(xy, np.array([0, len(xy)]))[0]


def _polyline_text(coords: np.ndarray, starts: np.ndarray) -> tuple[str, list[int]]:
    """The Encoded Polylines of ``coords[starts[i]:starts[i + 1]]``, one after another in one
    text, and where each begins (and the last ends) in it.

    One vectorised pass over every vertex: each list is delta-encoded from (0, 0) on its own.
    """
    scaled = coords[:, ::-1] * 10 ** POLYLINE_PRECISION  # lat, lng per point
    q = (np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)).astype(np.int64)  # round half away from 0
    d = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    first = starts[:-1][starts[:-1] < starts[1:]]  # non-empty lists restart from (0, 0)
    d[first] = q[first]
    z = d.ravel()
    z = np.where(z < 0, ~(z << 1), z << 1)
    shifts = 5 * np.arange(_CHUNKS)
    n = 1 + (z[:, None] >= (1 << shifts[1:])).sum(axis=1)  # 5-bit groups per value
    k = np.arange(_CHUNKS)
    chars = ((z[:, None] >> shifts) & 31) + 63 + 32 * (k < (n - 1)[:, None])
    text = chars[k < n[:, None]].astype(np.uint8).tobytes().decode("ascii")
    ends = np.concatenate([[0], np.cumsum(n.reshape(-1, 2).sum(axis=1))])[starts].tolist()
    return text, ends


def cut_braces(text: str) -> str | list[str]:
    """``text``, or its pieces wherever ``{{`` would appear.

    branca compiles rendered scripts again as Jinja templates (pamgeo's own layers are written
    verbatim, :class:`pamgeo.render.webmap_elements.GeoJson`), where ``{{`` opens an
    expression; the Encoded Polyline alphabet (ASCII 63-126) has ``{`` but not ``%`` or ``#``,
    so ``{{`` is the one sequence to avoid. The pieces are joined back before decoding.
    """
    if "{{" not in text:
        return text
    return re.sub(r"\{(?=\{)", "{\0", text).split("\0")


def _encode_leaves(coords: np.ndarray, starts: np.ndarray) -> list[str | list[str]]:
    """:func:`_encode` of many position lists at once: ``coords[starts[i]:starts[i + 1]]``."""
    if len(starts) < 2:
        return []
    text, ends = _polyline_text(coords, starts)
    return [cut_braces(text[a:b]) for a, b in zip(ends[:-1], ends[1:], strict=True)]


def _group(items: list, offsets: np.ndarray) -> list[list]:
    """``items`` cut into consecutive groups at ``offsets`` (a ragged array's offsets)."""
    o = offsets.tolist()
    return [items[a:b] for a, b in zip(o[:-1], o[1:], strict=True)]


def _packed_geometries(geoms: np.ndarray) -> list[tuple[str, Any]]:
    """GeoJSON type and packed coordinates (as :func:`_pack` writes them) of each geometry.

    Built from shapely's ragged arrays, one geometry type at a time (so a Polygon stays a
    Polygon beside MultiPolygons).
    """
    out: list[Any] = [None] * len(geoms)
    kinds = shapely.get_type_id(geoms)
    for kind in np.unique(kinds):
        idx = np.flatnonzero(kinds == kind)
        if int(kind) not in _GEOJSON_TYPES:
            raise ValueError(f"a {geoms[idx[0]].geom_type} cannot be drawn as a "
                             "map feature: split it into points, lines or polygons first")
        _, coords, offsets = shapely.to_ragged_array(geoms[idx])
        if kind == 0:  # Point: each position on its own
            parts = _encode_leaves(coords, np.arange(len(coords) + 1))
        else:
            parts = _encode_leaves(coords, offsets[0])
            for level in offsets[1:]:
                parts = _group(parts, level)
        for i, c in zip(idx.tolist(), parts, strict=True):
            out[i] = (_GEOJSON_TYPES[int(kind)], c)
    return out


def _encode(positions: list) -> str | list[str]:
    """Encoded Polyline of ``positions``; cut into pieces wherever ``{{`` would appear
    (:func:`cut_braces`)."""
    return cut_braces(encode_polyline(positions))


def _decode(text: str | list[str]) -> list[list[float]]:
    if isinstance(text, list):
        text = "".join(text)
    return [list(p) for p in polyline.decode(text, POLYLINE_PRECISION, geojson=True)]


def _pack(coords: Any, depth: int) -> Any:
    if depth == 0:
        return _encode([coords])
    if depth == 1:
        return _encode(coords)
    return [_pack(c, depth - 1) for c in coords]


def _unpack(coords: Any, depth: int) -> Any:
    if depth == 0:
        return _decode(coords)[0]
    if depth == 1:
        return _decode(coords)
    return [_unpack(c, depth - 1) for c in coords]


def encode_column(values: list) -> list | dict:
    """One column of a :func:`point_table`, as few bytes as the browser reads fast.

    Missing values (None, "", NaN) become None. A column with few distinct values is a
    dictionary ``{"d": distinct values, "k": codes}``: one character of :data:`CODE_ALPHABET`
    per row (two with more than 86 distinct values, up to 86 x 86), the index of the row's value
    in ``d``; with one value in every row, ``{"d": [value]}``. Otherwise, or when the dictionary
    would not be smaller, the plain list.
    """
    if set(map(type, values)) <= {str, type(None)}:  # texts: each its own key
        values = [v or None for v in values]
        keys = values
        index = {k: i for i, k in enumerate(dict.fromkeys(keys))}
        distinct = list(index)
    else:
        values = [None if v is None or v == "" or (isinstance(v, float) and v != v) else v for v in values]
        keys = [(type(v), v) for v in values]  # True, 1 and 1.0 are equal in Python, not in the page
        index = {k: i for i, k in enumerate(dict.fromkeys(keys))}
        distinct = [v for _, v in index]
    base = len(CODE_ALPHABET)
    width = 1 if len(distinct) <= base else 2 if len(distinct) <= base * base else 0
    if not width:
        return values
    if len(distinct) == 1:
        return {"d": distinct}
    size = [len(str(v)) + 3 for v in distinct]  # about what JSON takes
    codes = np.array([index[k] for k in keys], dtype=np.int64)
    if sum(size) + width * len(values) >= int(np.asarray(size)[codes].sum()):
        return values
    return {"d": distinct, "k": _codes(codes, width)}


def _codes(numbers: np.ndarray, width: int) -> str:
    """``numbers`` as codes of ``width`` characters of :data:`CODE_ALPHABET`, one after another."""
    base = len(CODE_ALPHABET)
    chars = np.frombuffer(CODE_ALPHABET.encode("ascii"), dtype=np.uint8)
    if width == 1:
        text = chars[numbers]
    else:
        text = np.column_stack([chars[numbers // base], chars[numbers % base]]).ravel()
    return text.tobytes().decode("ascii")


def _numbers(codes: str, width: int) -> list[int]:
    base, at = len(CODE_ALPHABET), {c: i for i, c in enumerate(CODE_ALPHABET)}
    if width == 1:
        return [at[c] for c in codes]
    return [at[a] * base + at[b] for a, b in zip(codes[::2], codes[1::2], strict=True)]


def encode_parts(values: list, sep: str = "; ") -> list | dict:
    """A text column whose values are lists of parts joined by ``sep`` (the reasons of a TPS's
    class: "banjir rendah: ...; 3,5 km dari ...; 34 TPS lain ..."), as few bytes as possible.

    Each distinct part once, in ``d``; each row the codes of its parts, one after another (one
    character each, two with more than 86 distinct parts), None for a missing value:
    ``{"d": parts, "s": sep, "r": rows}``. The plain :func:`encode_column` when that is smaller.
    """
    plain = encode_column(values)
    values = [None if v is None or v == "" else v for v in values]
    if any(v is not None and not isinstance(v, str) for v in values):
        return plain
    rows = [None if v is None else v.split(sep) for v in values]
    index = {part: i for i, part in enumerate(dict.fromkeys(p for r in rows if r for p in r))}
    base = len(CODE_ALPHABET)
    width = 1 if len(index) <= base else 2 if len(index) <= base * base else 0
    if not width:
        return plain
    text = _codes(np.arange(len(index), dtype=np.int64), width)  # each part's code, then each row's
    code = {part: text[i * width:(i + 1) * width] for part, i in index.items()}
    codes = [None if r is None else "".join([code[p] for p in r]) for r in rows]
    out = {"d": list(index), "s": sep, "r": codes}
    return out if len(json.dumps(out)) < len(json.dumps(plain)) else plain


def decode_column(column: list | dict, n: int) -> list:
    """The values of an :func:`encode_column` or :func:`encode_parts` column of ``n`` rows."""
    if isinstance(column, list):
        return list(column)
    d = column["d"]
    if "r" in column:
        width = 1 if len(d) <= len(CODE_ALPHABET) else 2
        return [None if r is None else column["s"].join(d[c] for c in _numbers(r, width)) for r in column["r"]]
    if "k" not in column:
        return [d[0]] * n
    k = column["k"]
    return [d[c] for c in _numbers(k, len(k) // n if n else 1)]


def point_table(fc: dict, properties: list[str] | None = None) -> dict:
    """A FeatureCollection of Points as one table: ``{"n", "xy", "cols"}``.

    ``xy`` is every position in order as one Encoded Polyline (delta-encoded from one point to
    the next: a few characters a point), ``cols`` the properties (``properties``, default all)
    as :func:`encode_column` columns, or :func:`encode_parts` columns for texts made of parts
    joined by ``"; "``; columns with no value are left out. The browser builds the
    layer from it without a feature object per point in the page (``pamgeo.points``,
    ``assets/runtime.js``), and reads a point's properties only when something asks for them
    (its popup, the search). :func:`unpack_point_table` gives the FeatureCollection back.
    """
    features = fc["features"]
    kinds = {f["geometry"]["type"] for f in features}
    if kinds - {"Point"}:
        raise ValueError(f"a point table holds Points only, not {sorted(kinds - {'Point'})}")
    coords = [f["geometry"]["coordinates"] for f in features]
    xy = np.array([_unpack(c, 0) if _is_packed(c) else c for c in coords], dtype=float).reshape(-1, 2)
    text, _ = _polyline_text(xy, np.array([0, len(xy)]))
    props = [f.get("properties") or {} for f in features]
    if properties is None:
        properties = list(dict.fromkeys(k for p in props for k in p))
    cols = {}
    for name in properties:
        values = [p.get(name) for p in props]
        # (joined by a character not in the separator: a match is within one text)
        texts = filter(None, values) if set(map(type, values)) <= {str, type(None)} else \
            [v for v in values if isinstance(v, str)]
        several = PARTS_SEP in "\0".join(texts)
        col = encode_parts(values, PARTS_SEP) if several else encode_column(values)
        if col != {"d": [None]}:
            cols[name] = col
    return {"n": len(features), "xy": cut_braces(text), "cols": cols}


def unpack_point_table(table: dict) -> dict:
    """The GeoJSON FeatureCollection of a :func:`point_table` (properties without missing
    values, coordinates at 1e-5 degree)."""
    n = table["n"]
    xy = _decode(table["xy"]) if n else []
    cols = {name: decode_column(col, n) for name, col in table["cols"].items()}
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": xy[i]},
                 "properties": {name: vals[i] for name, vals in cols.items() if vals[i] is not None}}
                for i in range(n)]
    return {"type": "FeatureCollection", "features": features}


def pack_geojson(fc: dict, *, drop_empty: bool = False) -> dict:
    """A FeatureCollection with every position list stored as an Encoded Polyline string.

    Google's Encoded Polyline Algorithm Format (precision 5, delta-encoded integers, a few
    characters per vertex) instead of JSON number pairs: about a third fewer bytes after
    gzip. With ``drop_empty``, properties that are None or "" are left out. The maps decode it
    in the browser (``pamgeo.layer``, ``assets/runtime.js``); :func:`unpack_geojson` does it
    in Python.
    """
    features = []
    for f in fc["features"]:
        g = f["geometry"]
        props = f.get("properties") or {}
        if drop_empty:
            props = {k: v for k, v in props.items() if v is not None and v != ""}
        coords = g["coordinates"]
        if not _is_packed(coords):  # to_geojson(packed=True) packed it already
            coords = _pack(coords, GEOJSON_DEPTH[g["type"]])
        features.append({"type": "Feature", "properties": props, "geometry": {"type": g["type"], "coordinates": coords}})
    return {**fc, "features": features}


def unpack_geojson(fc: dict) -> dict:
    """The plain GeoJSON of a :func:`pack_geojson` collection (coordinates at 1e-5 degree)."""
    features = []
    for f in fc["features"]:
        g = f["geometry"]
        coords = g["coordinates"]
        if _is_packed(coords):
            coords = _unpack(coords, GEOJSON_DEPTH[g["type"]])
        features.append({**f, "geometry": {"type": g["type"], "coordinates": coords}})
    return {**fc, "features": features}


def _is_packed(x: Any) -> bool:
    """True for packed coordinates: their innermost first item is a string, not a number."""
    while isinstance(x, list) and x:
        x = x[0]
    return isinstance(x, str)


__all__ = [
    "CODE_ALPHABET",
    "GEOJSON_DEPTH",
    "POLYLINE_PRECISION",
    "column_values",
    "cut_braces",
    "decode_column",
    "encode_column",
    "encode_parts",
    "encode_polyline",
    "escape_text",
    "escaped_values",
    "feature_collection",
    "geojson_geometries",
    "layer_data",
    "pack_geojson",
    "point_table",
    "property_columns",
    "simplify",
    "to_geojson",
    "unpack_geojson",
    "unpack_point_table",
]
