"""Folium maps for the briefings: readable offline, fast with thousands of TPS.

The maps use ``offlinefolium`` (folium with its JavaScript and CSS embedded in the page), so a
briefing opened from disk with no network still draws. The base map is drawn from the data
(kelurahan boundaries, roads by class, rivers); online tiles are only an optional layer, off by
default. Every layer is one GeoJSON object, not one marker object per TPS, and every text that
comes from data is HTML-escaped (and its braces made entities) before it reaches the page.

Pages stay small: layers are written by :class:`GeoJson` as ``pamgeo.layer(data, styles)`` with
geometries as Encoded Polylines (:func:`pack_geojson`), one small runtime per map builds them,
tooltips and popups are one line each (:class:`Details`), search, measure and full screen are
small controls here rather than plugins, and :func:`map_iframe` stores the map document
compressed in the page.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import html
import json
import re
from typing import Any

import geopandas as gpd
import numpy as np
import offlinefolium as folium
import pandas as pd
import polyline
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template
from offlinefolium.elements import ElementAddToElement

from pamgeo.analysis.pipeline import Analysis
from pamgeo.core.i18n import t
from pamgeo.core.vocabulary import FLOOD_LABELS, class_label
from pamgeo.ingest.io import WGS84
from pamgeo.ingest.region import RegionData

MAJOR_ROADS = ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
               "secondary", "secondary_link", "tertiary", "tertiary_link")

CLASS_STYLE = {
    "kurang_rawan": {"fillColor": "#2e9d4f", "color": "#15532a"},
    "rawan": {"fillColor": "#f08c00", "color": "#7a4600"},
    "sangat_rawan": {"fillColor": "#d62828", "color": "#5c0f0f"},
    "khusus": {"fillColor": "#7b3fa0", "color": "#3d1f50"},
}
NO_CLASS_STYLE = {"fillColor": "#1f6fb2", "color": "#0b3a5e"}

# only the assets the maps use: Leaflet itself (no jQuery, Bootstrap or icon fonts)
_MAP_JS = [js for js in folium.Map.default_js if js[0] == "leaflet"]
_MAP_CSS = [css for css in folium.Map.default_css if css[0] == "leaflet_css"]


@functools.cache
def _leaflet_css() -> str | None:
    """Leaflet's CSS as folium-offline embeds it, without the three PNG images the maps never
    show (layer-control toggle, collapsed=False; default marker icon, no markers): 4.6 KB of
    base64 that gzip cannot shrink. None if folium-offline keeps its assets elsewhere."""
    try:
        from offlinefolium.elements import _res

        css = _res[_MAP_CSS[0][1]]
    except (ImportError, KeyError, IndexError):
        return None
    return re.sub(r"background-image:\s*url\(data:image/png;base64,[A-Za-z0-9+/=]+\);", "", css)


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
    """
    geoms = gdf.geometry
    if simplify_m > 0:
        geoms = gpd.GeoSeries(simplify(geoms.to_numpy(), simplify_m), index=gdf.index, crs=gdf.crs)
    geoms = gpd.GeoSeries(geoms, crs=gdf.crs).to_crs(WGS84)
    geoms = shapely.set_precision(shapely.force_2d(geoms.to_numpy()), precision)
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    geoms = geoms[keep]
    records = gdf.loc[keep, properties].to_dict("records") if properties else [{}] * len(geoms)
    if packed:
        geometries = [{"type": kind, "coordinates": coords} for kind, coords in _packed_geometries(geoms)]
    else:
        geometries = [shapely.geometry.mapping(g) for g in geoms]
    features = [{"type": "Feature", "properties": {k: _escape(v) for k, v in props.items()}, "geometry": geom}
                for geom, props in zip(geometries, records, strict=True)]
    return {"type": "FeatureCollection", "features": features}


def _layer_data(gdf: gpd.GeoDataFrame, properties: list[str], **kwargs: Any) -> dict:
    """:func:`to_geojson` with packed geometries, as the map layers (:class:`GeoJson`) write them."""
    return to_geojson(gdf, properties, packed=True, **kwargs)


# nesting depth of the position lists in each GeoJSON geometry type
_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "Polygon": 2, "MultiLineString": 2, "MultiPolygon": 3}
POLYLINE_PRECISION = 5  # 1e-5 degree, about 1 m: the grid of to_geojson's base layers


_CHUNKS = 7  # 5-bit groups: enough for any delta of a coordinate times 1e5 (< 2**35)


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


def _cut_braces(text: str) -> str | list[str]:
    """``text``, or its pieces wherever ``{{`` would appear (see :func:`_encode`)."""
    if "{{" not in text:
        return text
    return re.sub(r"\{(?=\{)", "{\0", text).split("\0")


def _encode_leaves(coords: np.ndarray, starts: np.ndarray) -> list[str | list[str]]:
    """:func:`_encode` of many position lists at once: ``coords[starts[i]:starts[i + 1]]``."""
    if len(starts) < 2:
        return []
    text, ends = _polyline_text(coords, starts)
    return [_cut_braces(text[a:b]) for a, b in zip(ends[:-1], ends[1:], strict=True)]


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


_GEOJSON_TYPES = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString", 6: "MultiPolygon"}


def _encode(positions: list) -> str | list[str]:
    """Encoded Polyline of ``positions``; cut into pieces wherever ``{{`` would appear.

    branca compiles rendered scripts again as Jinja templates (pamgeo's own layers are written
    verbatim, :class:`GeoJson`), where ``{{`` opens an expression; the alphabet (ASCII 63-126)
    has ``{`` but not ``%`` or ``#``, so ``{{`` is the one sequence to avoid. The pieces are
    joined back before decoding.
    """
    return _cut_braces(encode_polyline(positions))


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


def pack_geojson(fc: dict, *, drop_empty: bool = False) -> dict:
    """A FeatureCollection with every position list stored as an Encoded Polyline string.

    Google's Encoded Polyline Algorithm Format (precision 5, delta-encoded integers, a few
    characters per vertex) instead of JSON number pairs: about a third fewer bytes after
    gzip. With ``drop_empty``, properties that are None or "" are left out. The maps decode it
    in the browser (``pamgeo.layer``, :class:`_Runtime`); :func:`unpack_geojson` does it in Python.
    """
    features = []
    for f in fc["features"]:
        g = f["geometry"]
        props = f.get("properties") or {}
        if drop_empty:
            props = {k: v for k, v in props.items() if v is not None and v != ""}
        coords = g["coordinates"]
        if not _is_packed(coords):  # to_geojson(packed=True) packed it already
            coords = _pack(coords, _DEPTH[g["type"]])
        features.append({"type": "Feature", "properties": props, "geometry": {"type": g["type"], "coordinates": coords}})
    return {**fc, "features": features}


def unpack_geojson(fc: dict) -> dict:
    """The plain GeoJSON of a :func:`pack_geojson` collection (coordinates at 1e-5 degree)."""
    features = []
    for f in fc["features"]:
        g = f["geometry"]
        coords = g["coordinates"]
        if _is_packed(coords):
            coords = _unpack(coords, _DEPTH[g["type"]])
        features.append({**f, "geometry": {"type": g["type"], "coordinates": coords}})
    return {**fc, "features": features}


def _is_packed(x: Any) -> bool:
    """True for packed coordinates: their innermost first item is a string, not a number."""
    while isinstance(x, list) and x:
        x = x[0]
    return isinstance(x, str)


class Details(MacroElement):
    """Tooltip or popup of a :class:`GeoJson` layer: a table of properties, empty ones left out.

    Replaces folium's GeoJsonTooltip/GeoJsonPopup, which write the same 40 lines of
    JavaScript and a style block for every layer; here each layer gets one line calling
    ``pamgeo.table``. Values are HTML-escaped in the data (:func:`to_geojson`), labels here.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bind{{ this.kind }}(pamgeo.table({{ this.fields|tojson }}, {{ this.labels|tojson }}), {{ this.options|tojson }});
        {% endmacro %}
    """)

    def __init__(self, fields: list[str], aliases: list[str] | None = None, *, popup: bool = False,
                 max_width: int = 320) -> None:
        super().__init__()
        self.fields = list(fields)
        self.labels = [escape_text(a) for a in aliases] if aliases is not None else None
        self.kind = "Popup" if popup else "Tooltip"
        self.options = {"maxWidth": max_width, "maxHeight": 420} if popup else {"sticky": True, "className": "pamgeo-tip"}


def tooltip(fields: list[str], aliases: list[str] | None = None) -> Details:
    """Tooltip with ``fields`` (labelled with ``aliases``, or unlabelled)."""
    return Details(fields, aliases)


def popup(fields: list[str], aliases: list[str], max_width: int = 380) -> Details:
    """Popup with ``fields`` labelled with ``aliases``."""
    return Details(fields, aliases, popup=True, max_width=max_width)


class GeoJson(folium.GeoJson):
    """A GeoJSON layer written compactly: packed geometries, a style table, one line of script.

    Folium's GeoJson writes a styler switch listing feature ids, an onEachFeature and an add
    function per layer, and every coordinate as JSON numbers. This subclass keeps folium's
    interface (name, show, style_function, marker, layer control) but writes
    ``pamgeo.layer(data, {styles, index, marker, options})``: the distinct styles once, a style
    number per feature, geometries packed (:func:`pack_geojson`) and properties that are empty
    left out. The page's ``pamgeo`` runtime (:class:`_Runtime`) builds the Leaflet layer.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = pamgeo.layer({{ this.js_data|tojson }}, {{ this.js_options|tojson }});
        {% endmacro %}
    """)

    def __init__(self, data: Any, *, tooltip: Details | None = None, popup: Details | None = None,
                 style_only: tuple[str, ...] = (), **kwargs: Any):
        unsupported = sorted(k for k in ("highlight_function", "zoom_on_click", "on_each_feature", "smooth_factor",
                                         "popup_keep_highlighted") if kwargs.get(k))
        if unsupported:
            raise TypeError(f"pamgeo.render.maps.GeoJson does not draw {', '.join(unsupported)}; use folium.GeoJson")
        super().__init__(data, **kwargs)
        self.style_only = style_only  # properties the style function reads but the page does not need
        for child in (tooltip, popup):
            if child is not None:
                self.add_child(child)

    def render(self, **kwargs):
        styles: list[dict] = []
        index: list[int] = []
        seen: dict[str, int] = {}
        if self.style:
            for feature in self.data["features"]:
                style = self.style_function(feature)
                key = json.dumps(style, sort_keys=True)
                if key not in seen:
                    seen[key] = len(styles)
                    styles.append(style)
                index.append(seen[key])
        opts: dict[str, Any] = {"styles": styles or [{}]}
        if len(styles) > 1:
            opts["index"] = index
        if self.marker is not None:
            opts["marker"] = {k: v for k, v in self.marker.options.items() if k == "radius"}
        if self.options:
            opts["options"] = self.options
        self.js_data = pack_geojson(self.data, drop_empty=True)
        for f in self.js_data["features"] if self.style_only else []:
            for key in self.style_only:
                f["properties"].pop(key, None)
        self.js_options = opts
        # folium.GeoJson.render maps styles to feature ids for its own template: skipped. And
        # MacroElement.render would compile the script (the whole layer's data) as a Jinja
        # template once more: here it goes into the page as it is
        if self.show:  # as folium.map.Layer.render does
            self.add_child(ElementAddToElement(element_name=self.get_name(),
                                               element_parent_name=self._parent.get_name()),
                           name=self.get_name() + "_add")
        script = self._template.module.__dict__["script"]
        self.get_root().script.add_child(_Verbatim(script(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class _Verbatim(Element):
    """Text that goes into the page as it is (branca's Element compiles its text as a template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _Runtime(MacroElement):
    """The ``pamgeo`` object every map's layers use: unpacking, layers, tables for details."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var pamgeo = (function () {
          function decode(s) {  // Encoded Polyline Algorithm Format, [lng, lat] pairs
            var out = [], i = 0, lat = 0, lng = 0;
            while (i < s.length) {
              var d = [0, 0];
              for (var k = 0; k < 2; k++) {
                var shift = 0, v = 0, b;
                do { b = s.charCodeAt(i++) - 63; v |= (b & 31) << shift; shift += 5; } while (b >= 32);
                d[k] = (v & 1) ? ~(v >> 1) : (v >> 1);
              }
              lat += d[0]; lng += d[1];
              out.push([lng / {{ this.scale }}, lat / {{ this.scale }}]);
            }
            return out;
          }
          var depth = {{ this.depth|tojson }};
          function unpack(c, n) {
            if (n <= 1) {
              var pts = decode(Array.isArray(c) ? c.join("") : c);  // pieces: see pamgeo.render.maps._encode
              return n === 0 ? pts[0] : pts;
            }
            return c.map(function (x) { return unpack(x, n - 1); });
          }
          function layer(data, o) {
            var styles = o.styles, index = o.index;
            data.features.forEach(function (f, i) {
              f.geometry.coordinates = unpack(f.geometry.coordinates, depth[f.geometry.type]);
              f.pamgeoStyle = index ? index[i] : 0;
            });
            return L.geoJson(data, L.extend({
              style: function (f) { return styles[f.pamgeoStyle || 0]; },
              pointToLayer: function (f, latlng) { return L.circleMarker(latlng, L.extend({}, o.marker, styles[f.pamgeoStyle || 0])); }
            }, o.options || {}));
          }
          function table(fields, labels) {  // values arrive HTML-escaped (pamgeo.render.maps.escape_text)
            return function (lyr) {
              var p = lyr.feature.properties, rows = "";
              fields.forEach(function (f, i) {
                var v = p[f];
                if (v === undefined || v === null || v === "") { return; }
                rows += "<tr>" + (labels ? "<th>" + labels[i] + "</th>" : "") + "<td>" + v + "</td></tr>";
              });
              var div = L.DomUtil.create("div");
              div.innerHTML = "<table>" + rows + "</table>";
              return div;
            };
          }
          return {layer: layer, table: table, unpack: unpack};
        })();
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.scale = _DEPTH, 10 ** POLYLINE_PRECISION


class _Fullscreen(MacroElement):
    """A full-screen button on the standard Fullscreen API (the page's iframe allows it).

    A few lines instead of the leaflet.fullscreen plugin (5.5 KB of JavaScript and 2.3 KB of
    CSS with an embedded icon per page). Browsers without the API do not show the button.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map, labels) {
          var box = map.getContainer(), doc = document;
          var request = box.requestFullscreen || box.webkitRequestFullscreen;
          if (!request) { return; }
          var Full = L.Control.extend({
            options: {position: {{ this.position|tojson }}},
            onAdd: function () {
              var bar = L.DomUtil.create("div", "leaflet-bar pamgeo-full");
              var btn = L.DomUtil.create("a", "", bar);
              btn.href = "#"; btn.setAttribute("role", "button");
              btn.innerHTML = '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><path d="M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5" fill="none" stroke="#222" stroke-width="2"/></svg>';
              function current() { return doc.fullscreenElement || doc.webkitFullscreenElement; }
              function sync() { btn.title = current() ? labels.exit : labels.enter; btn.setAttribute("aria-label", btn.title); map.invalidateSize(); }
              L.DomEvent.disableClickPropagation(bar);
              L.DomEvent.on(btn, "click", function (e) {
                L.DomEvent.preventDefault(e);
                if (current()) { (doc.exitFullscreen || doc.webkitExitFullscreen).call(doc); }
                else { request.call(box); }
              });
              doc.addEventListener("fullscreenchange", sync);
              doc.addEventListener("webkitfullscreenchange", sync);
              sync();
              return bar;
            }
          });
          new Full().addTo(map);
        })({{ this._parent.get_name() }}, {{ this.labels|tojson }});
        {% endmacro %}
    """)

    def __init__(self, labels: dict[str, str], position: str = "topleft") -> None:
        super().__init__()
        self.labels, self.position = labels, position


class _Attribution(MacroElement):
    """Adds data attribution to Leaflet's attribution control (there is no tile layer)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}
    """)

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class _Box(MacroElement):
    """A fixed HTML box (legend, note) as a Leaflet control."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
          var box = L.control({position: {{ this.position|tojson }}});
          box.onAdd = function() {
            var div = L.DomUtil.create('div', 'pamgeo-box ' + {{ this.css_class|tojson }});
            div.innerHTML = {{ this.html|tojson }};
            L.DomEvent.disableClickPropagation(div);
            return div;
          };
          box.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, html_text: str, position: str = "bottomleft", css_class: str = "") -> None:
        super().__init__()
        self.html, self.position, self.css_class = html_text, position, css_class


_CSS = """
<style>
.pamgeo-box {background: rgba(255,255,255,0.93); padding: 6px 9px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.35); font: 12px/1.35 system-ui, sans-serif; max-width: 290px;}
.pamgeo-box .sw {display:inline-block; width:11px; height:11px; border-radius:50%;
  margin-right:5px; vertical-align:middle; border:1px solid #333;}
.pamgeo-box .ln {display:inline-block; width:18px; height:0; margin-right:5px; vertical-align:middle;}
.pamgeo-note {background: #fff4d6; border: 1px solid #d9a400; font-weight: 600;}
.leaflet-container {background: #f4f1ea;}
.leaflet-popup-content {font: 12px/1.35 system-ui, sans-serif;}
.leaflet-popup-content table td, .leaflet-popup-content table th {padding: 1px 4px; vertical-align: top; text-align: left;}
.pamgeo-tip {font: 12px/1.35 system-ui, sans-serif;}
.pamgeo-tip th {padding: 1px 8px 1px 2px; text-align: left;}
/* the full attribution is long (every source): two lines, all of it on hover; it is also on the page */
.leaflet-control-attribution {max-width: 75%; max-height: 2.7em; overflow: hidden; font-size: 10px; line-height: 1.3;}
.leaflet-control-attribution:hover {max-height: none;}
.leaflet-bottom.leaflet-left .pamgeo-box {max-height: 48vh; overflow-y: auto;}
</style>
"""


def base_map(data: RegionData, bounds: tuple[float, float, float, float], *, lang: str = "id") -> folium.Map:
    """An empty map fitted to ``bounds`` (EPSG:4326 minx, miny, maxx, maxy), offline-ready."""
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=True, zoom_snap=0.25)
    m.default_js = list(_MAP_JS)
    css = _leaflet_css()
    if css is None:
        m.default_css = list(_MAP_CSS)
    else:
        m.default_css = []
        m.get_root().header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css")
    m.get_root().header.add_child(Element(_CSS), name="pamgeo_css")
    _Runtime().add_to(m)  # before any layer: the layers are built by it
    folium.TileLayer("OpenStreetMap", name=t("online_tiles", lang), overlay=True, show=False,
                     control=True).add_to(m)
    minx, miny, maxx, maxy = bounds
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    attribution = " | ".join(escape_text(a) for a in data.config.attributions())
    _Attribution(attribution).add_to(m)
    _Fullscreen({"enter": t("fullscreen", lang), "exit": t("fullscreen_exit", lang)}).add_to(m)
    return m


def add_kelurahan(m: folium.Map, kel: gpd.GeoDataFrame, *, lang: str, highlight: bool = True) -> folium.GeoJson:
    return _add_kelurahan(m, _layer_data(kel, ["kelurahan", "kode_kel", "kecamatan"], simplify_m=5), lang=lang)


def _add_kelurahan(m: folium.Map, gj: dict, *, lang: str) -> folium.GeoJson:
    return GeoJson(
        gj, name=t("kelurahan_boundaries", lang),
        style_function=lambda f: {"color": "#444", "weight": 1.6, "fillColor": "#ffffff", "fillOpacity": 0.35,
                                  "dashArray": "4 3"},
        tooltip=tooltip(["kelurahan", "kode_kel"], aliases=[t("kelurahan", lang), "Kode"]),
    ).add_to(m)


def _roads_data(roads: gpd.GeoDataFrame | None, area) -> tuple[dict, dict] | None:
    """Layer data of the minor and the major roads in ``area``."""
    if roads is None or roads.empty:
        return None
    r = _clip(roads, area)
    major = r[r["road_class"].isin(MAJOR_ROADS)]
    minor = r[~r["road_class"].isin(MAJOR_ROADS)]
    if not minor.empty:  # one feature: lines joined end to end (no properties, no per-feature overhead)
        joined = shapely.line_merge(shapely.multilinestrings(shapely.get_parts(minor.geometry.to_numpy())))
        minor = gpd.GeoDataFrame(geometry=[joined], crs=minor.crs)
    return _layer_data(minor, [], simplify_m=5), _layer_data(major, ["name", "road_class"], simplify_m=4)


def add_roads(m: folium.Map, roads: gpd.GeoDataFrame | None, area, *, lang: str) -> None:
    _add_roads(m, _roads_data(roads, area), lang=lang)


def _add_roads(m: folium.Map, layers: tuple[dict, dict] | None, *, lang: str) -> None:
    if layers is None:
        return
    minor, major = layers
    GeoJson(minor, name=t("roads_minor", lang),
                   style_function=lambda f: {"color": "#9a9a9a", "weight": 1}, interactive=False).add_to(m)
    GeoJson(major, name=t("roads_major", lang),
                   style_function=lambda f: {"color": "#d98c1f", "weight": 3},
                   tooltip=tooltip(["name"])).add_to(m)


def _waterways_data(ww: gpd.GeoDataFrame | None, area) -> dict | None:
    if ww is None or ww.empty:
        return None
    w = _clip(ww, area)
    return None if w.empty else _layer_data(w, ["name"], simplify_m=4)


def add_waterways(m: folium.Map, ww: gpd.GeoDataFrame | None, area, *, lang: str) -> None:
    _add_waterways(m, _waterways_data(ww, area), lang=lang)


def _add_waterways(m: folium.Map, gj: dict | None, *, lang: str) -> None:
    if gj is None:
        return
    GeoJson(gj, name=t("waterways", lang),
                   style_function=lambda f: {"color": "#2f7fd1", "weight": 2.5, "opacity": 0.85},
                   tooltip=tooltip(["name"])).add_to(m)


def add_tps(m: folium.Map, tps: gpd.GeoDataFrame, *, lang: str, compact: bool = False) -> folium.GeoJson:
    """All TPS as one GeoJSON layer of circle markers, coloured by risk class, with popups.

    ``tps`` may carry the risk and pocket columns of :func:`pamgeo.analysis.pipeline.analyse`; without
    them TPS are drawn in one colour.
    """

    t_ = tps.copy()
    has_risk = "risk_class" in t_
    if not has_risk:
        t_["risk_class"] = ""
    t_["kelas"] = [class_label(c, lang) if c else "" for c in t_["risk_class"]]
    t_["posisi"] = t_["position_source"].map(lambda s: t(s, lang))
    for col in ("risk_class_source", "risk_class_date", "risk_reasons", "pocket_id", "risk_score"):
        if col not in t_:
            t_[col] = ""
    t_["sumber_kelas"] = [
        f"{t(src, lang)} {date}".strip() if src else ""
        for src, date in zip(t_["risk_class_source"], t_["risk_class_date"], strict=True)
    ]
    t_["kantong"] = t_["pocket_id"].fillna("").astype(str)
    for col in ("rayon", "polsek", "response_min", "flood_class", "flood_reasons", "access_cut"):
        if col not in t_:
            t_[col] = ""
    t_["access_cut"] = [bool(v) if v != "" else False for v in t_["access_cut"]]
    t_["respon"] = [f"{v:.0f} {t('minutes', lang)}" if isinstance(v, float) and np.isfinite(v)
                    else ("" if v == "" else t("unreachable", lang)) for v in t_["response_min"]]

    fl = FLOOD_LABELS.get(lang, FLOOD_LABELS["id"])
    t_["banjir"] = [fl.get(c, "") if c else "" for c in t_["flood_class"]]
    if "raster_not_modelled" in t_:
        t_["banjir"] = [f"{b} ({t('not_modelled', lang)})" if nm else b
                        for b, nm in zip(t_["banjir"], t_["raster_not_modelled"], strict=True)]
    t_["akses"] = [
        (t("unreachable", lang) if u else f"{t('detour', lang)} {d:.0f} {t('minutes', lang)}") if c is True else ""
        for c, d, u in zip(t_["access_cut"], t_.get("detour_min", [np.nan] * len(t_)),
                           t_.get("cut_unreachable", [False] * len(t_)), strict=True)
    ]
    fields = ["tps_id", "kelurahan", "kelas", "sumber_kelas", "risk_score", "risk_reasons", "kantong", "rayon",
              "polsek", "respon", "banjir", "flood_reasons", "akses", "posisi", "alamat"]
    aliases = [t("tps_id", lang), t("kelurahan", lang), t("risk_class", lang), t("class_source", lang),
               t("risk_score", lang), t("risk_reasons", lang), t("pocket", lang), "Rayon", "Polsek",
               t("response_min", lang), t("flood_class", lang), t("flood_reasons", lang), t("access_cut", lang),
               t("position_source", lang), t("address", lang)]
    if compact:  # region overview: thousands of TPS, short popups
        keep = ["tps_id", "kelurahan", "kelas", "kantong", "rayon", "respon", "banjir"]
        aliases = [aliases[fields.index(f)] for f in keep]
        fields = keep
    gj = _layer_data(t_, [*fields, "risk_class", "position_source"])

    def style(feature: dict) -> dict:
        p = feature["properties"]
        s = dict(CLASS_STYLE.get(p["risk_class"], NO_CLASS_STYLE))
        big = p["risk_class"] in ("rawan", "sangat_rawan")
        s.update({"weight": 1.2, "fill": True, "fillOpacity": 0.85, "radius": 7 if big else 4.5})
        if p["position_source"] == "estimated":
            s.update({"dashArray": "2 2", "fillOpacity": 0.7})
        return s

    layer = GeoJson(
        gj, name=f"{t('tps', lang)} ({len(tps)})",
        marker=folium.CircleMarker(radius=5),
        style_function=style, style_only=("risk_class", "position_source"),
        popup=popup(fields, aliases=aliases, max_width=380),
        tooltip=tooltip(["tps_id", "kelas"]),
    ).add_to(m)
    if (tps["position_source"] == "estimated").any():
        _Box(html.escape(t("estimated_short", lang)), "topright", "pamgeo-note").add_to(m)
    return layer


def add_pockets(m: folium.Map, polygons: gpd.GeoDataFrame | None, *, lang: str) -> None:
    """Pockets of risk as hulls, labelled with their id and TPS counts."""
    if polygons is None or polygons.empty:
        return
    gj = _layer_data(polygons, ["pocket_id", "n_tps", "n_rawan", "n_sangat_rawan", "dominant_reasons", "kelurahan"],
                    simplify_m=2)
    GeoJson(
        gj, name=f"{t('pockets', lang)} ({len(polygons)})",
        style_function=lambda f: {"color": "#b42318", "weight": 2.5, "fillColor": "#d62828",
                                  "fillOpacity": 0.12, "dashArray": "6 4"},
        popup=popup(["pocket_id", "n_tps", "n_rawan", "n_sangat_rawan", "dominant_reasons", "kelurahan"],
                                  aliases=[t("pocket", lang), t("n_tps", lang), "rawan", "sangat rawan",
                                           t("dominant_reasons", lang), t("kelurahan", lang)]),
        tooltip=tooltip(["pocket_id"]),
    ).add_to(m)


def drop_slivers(gdf: gpd.GeoDataFrame, min_area_m2: float = 10_000) -> gpd.GeoDataFrame:
    """Zones without the pieces and holes smaller than ``min_area_m2`` (metric CRS).

    Catchments and isochrones grown along roads are fragmented (hundreds of parts under a
    hectare); on a briefing map those specks carry no information but most of the bytes.
    """
    out = gdf.copy()
    geoms = []
    for geom in out.geometry:
        polys = []
        for part in shapely.get_parts(geom):
            if part.geom_type != "Polygon" or part.area < min_area_m2:
                continue
            holes = [r for r in part.interiors if shapely.Polygon(r).area >= min_area_m2]
            polys.append(shapely.Polygon(part.exterior, holes))
        geoms.append(shapely.MultiPolygon(polys) if polys else None)
    out["geometry"] = geoms
    return out[out.geometry.notna()]


def _clip(gdf: gpd.GeoDataFrame, area) -> gpd.GeoDataFrame:
    """Features cut to the map's area (keeps pages small).

    Only the features crossing the area's edge are intersected; those inside stay as they are.
    """
    shapely.prepare(area)
    geoms = gdf.geometry.to_numpy()
    out = gdf[shapely.intersects(area, geoms)].copy()
    geoms = out.geometry.to_numpy()
    inside = shapely.contains_properly(area, geoms)
    cut = geoms.copy()
    cut[~inside] = shapely.intersection(geoms[~inside], area)
    # a cut can come back as a GeometryCollection (a polygon and the line where it touches the
    # edge): keep the parts of the feature's own dimension
    for i in np.flatnonzero(shapely.get_type_id(cut) == 7):
        dim = shapely.get_dimensions(geoms[i])
        parts = [p for p in shapely.get_parts(cut[i]) if shapely.get_dimensions(p) == dim]
        cut[i] = shapely.union_all(parts) if parts else shapely.Point()
    out["geometry"] = gpd.GeoSeries(cut, index=out.index, crs=gdf.crs)
    return out[~out.geometry.is_empty]


# rayon catchments, isochrones and river corridors are zones tens of metres wide at best:
# drawn at 25 m / ~5 m, a third of the bytes of the 1 m base layers
ZONE_SIMPLIFY_M = 25.0
BASE_MARGIN_M = 300.0
ZONE_PRECISION = 5e-5
RAYON_COLORS = ["#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4", "#b15928"]
BAND_COLORS = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027"]


def add_catchments(m: folium.Map, analysis, area, *, lang: str) -> None:
    """Rayon catchments of every method (the configured one shown), Polsek lines, isochrones."""
    if not analysis.catchments:
        return
    rayons = sorted({r for c in analysis.catchments.values() for r in c.rayon["rayon"].dropna()})
    # keys as they appear in the (escaped) GeoJSON properties
    color = {escape_text(r): RAYON_COLORS[i % len(RAYON_COLORS)] for i, r in enumerate(rayons)}
    for method, cat in analysis.catchments.items():
        ray = drop_slivers(_clip(cat.rayon, area))
        if ray.empty:
            continue
        GeoJson(
            _layer_data(ray, ["rayon"], simplify_m=ZONE_SIMPLIFY_M, precision=ZONE_PRECISION),
            name=f"{t('catchment', lang)}: {t('method_' + method, lang)}",
            show=method == analysis.catchment_method,
            style_function=lambda f, c=color: {"color": c.get(f["properties"]["rayon"], "#555"), "weight": 2.5,
                                               "fillColor": c.get(f["properties"]["rayon"], "#555"), "fillOpacity": 0.10},
            tooltip=tooltip(["rayon"]),
            interactive=True,
        ).add_to(m)
    tt = analysis.catchments.get("travel_time")
    if tt is not None and tt.isochrones is not None:
        iso = drop_slivers(_clip(tt.isochrones, area))
        bands = list(tt.isochrones["band_min"])
        bcol = {escape_text(b): BAND_COLORS[min(i, len(BAND_COLORS) - 1)] for i, b in enumerate(bands)}
        GeoJson(
            _layer_data(iso, ["band_min"], simplify_m=ZONE_SIMPLIFY_M, precision=ZONE_PRECISION), name=t("isochrones", lang), show=False,
            style_function=lambda f, c=bcol: {"color": c[f["properties"]["band_min"]], "weight": 0.5,
                                              "fillColor": c[f["properties"]["band_min"]], "fillOpacity": 0.35},
            tooltip=tooltip(["band_min"], aliases=[t("minutes", lang)]),
        ).add_to(m)


def add_routes(m: folium.Map, routes: gpd.GeoDataFrame | None, tps_ids: set[str], *, lang: str) -> None:
    """The reserve's routes to the rawan and sangat rawan TPS of this map."""
    if routes is None or routes.empty:
        return
    r = routes[routes["tps_id"].isin(tps_ids)]
    if r.empty:
        return
    GeoJson(
        _layer_data(r, ["tps_id", "rayon", "risk_class", "response_min", "route_km"], simplify_m=3),
        name=f"{t('routes', lang)} ({len(r)})", show=True,
        style_function=lambda f: {"color": "#b42318" if f["properties"]["risk_class"] == "sangat_rawan" else "#e8590c",
                                  "weight": 3, "opacity": 0.75},
        tooltip=tooltip(["tps_id", "response_min", "route_km"],
                                      aliases=[t("tps_id", lang), t("response_min", lang), "km"]),
    ).add_to(m)


FLOOD_COLORS = {"rendah": "#9ecae1", "sedang": "#4292c6", "tinggi": "#08306b"}


def add_flood(m: folium.Map, analysis, area, *, lang: str) -> None:
    """Flood evidence: river corridors, hazard polygons and raster classes, lakes, reports, flooded roads."""

    layers = analysis.flood_layers
    if layers is None:
        return
    lab = FLOOD_LABELS.get(lang, FLOOD_LABELS["id"])
    if analysis.flood_corridors is not None and not analysis.flood_corridors.empty:
        corr = drop_slivers(_clip(analysis.flood_corridors, area), 2_000)
        corr["kelas"] = corr["flood_class"].map(lab)
        GeoJson(_layer_data(corr, ["flood_class", "kelas", "band"], simplify_m=ZONE_SIMPLIFY_M, precision=ZONE_PRECISION), name=t("flood_corridors", lang),
                       show=False, style_function=lambda f: {"color": FLOOD_COLORS[f["properties"]["flood_class"]],
                                                             "weight": 0, "fillColor": FLOOD_COLORS[f["properties"]["flood_class"]],
                                                             "fillOpacity": 0.25},
                       tooltip=tooltip(["kelas", "band"])).add_to(m)
    if analysis.flood_hazard is not None:
        hz = _clip(analysis.flood_hazard, area)
        if not hz.empty:
            hz["kelas"] = hz["flood_class"].map(lab)
            GeoJson(_layer_data(hz, ["flood_class", "kelas", "label"], simplify_m=5), name=t("flood_hazard", lang),
                           style_function=lambda f: {"color": FLOOD_COLORS[f["properties"]["flood_class"]], "weight": 1,
                                                     "fillColor": FLOOD_COLORS[f["properties"]["flood_class"]],
                                                     "fillOpacity": 0.45},
                           tooltip=tooltip(["label", "kelas"])).add_to(m)
    if layers.lakes is not None and not layers.lakes.empty:
        lk = layers.lakes[layers.lakes.intersects(area)].copy()
        if not lk.empty:
            lk["posisi"] = lk["position_source"].map(lambda s_: t(s_, lang))
            GeoJson(_layer_data(lk, ["name", "posisi"]), name=t("lakes", lang),
                           style_function=lambda f: {"color": "#08519c", "weight": 1.5, "dashArray": "4 3",
                                                     "fillColor": "#6baed6", "fillOpacity": 0.6},
                           tooltip=tooltip(["name", "posisi"])).add_to(m)
    if layers.events is not None and not layers.events.empty:
        ev = layers.events[layers.events.intersects(area.buffer(2000))].copy()
        if not ev.empty:
            ev["kedalaman"] = ev["depth_cm"].map(lambda v: "" if pd.isna(v) else f"{v:.0f} cm")
            GeoJson(_layer_data(ev, ["date", "kedalaman"]), name=f"{t('flood_events', lang)} ({len(ev)})",
                           marker=folium.CircleMarker(radius=7),
                           style_function=lambda f: {"color": "#08306b", "weight": 2, "fill": True,
                                                     "fillColor": "#ffffff", "fillOpacity": 0.9, "radius": 7},
                           tooltip=tooltip(["date", "kedalaman"],
                                                         aliases=[t("date", lang), t("depth", lang)])).add_to(m)
    if analysis.graph is not None and analysis.edge_flood_class is not None:
        idx = np.flatnonzero(analysis.edge_flood_class == "tinggi")
        if len(idx):
            geoms = analysis.graph.edge_geometries(idx)
            fr = gpd.GeoDataFrame({"kelas": [lab["tinggi"]] * len(geoms)}, geometry=list(geoms), crs=analysis.tps.crs)
            fr = fr[fr.intersects(area)]
            if not fr.empty:
                GeoJson(_layer_data(fr, ["kelas"]), name=t("flooded_roads", lang),
                               style_function=lambda f: {"color": "#08306b", "weight": 6, "opacity": 0.8,
                                                         "dashArray": "2 6"},
                               tooltip=tooltip(["kelas"], aliases=[t("flooded_roads", lang)])).add_to(m)


def add_cut_tps(m: folium.Map, tps: gpd.GeoDataFrame, *, lang: str) -> None:
    """TPS whose access road floods, ringed, with the detour."""
    if "access_cut" not in tps:
        return
    cut = tps[tps["access_cut"].astype(bool)].copy()
    if cut.empty:
        return
    cut["jalan_memutar"] = [t("unreachable", lang) if u else f"{d:.0f} {t('minutes', lang)}"
                            for d, u in zip(cut["detour_min"], cut["cut_unreachable"], strict=True)]
    GeoJson(
        _layer_data(cut, ["tps_id", "kelurahan", "jalan_memutar"]), name=f"{t('access_cut', lang)} ({len(cut)})",
        marker=folium.CircleMarker(radius=11),
        style_function=lambda f: {"color": "#08306b", "weight": 3, "fill": False, "radius": 11},
        tooltip=tooltip(["tps_id", "jalan_memutar"], aliases=[t("tps_id", lang), t("detour", lang)]),
    ).add_to(m)


_TOOLS_CSS = """
<style>
.pamgeo-full a {display: flex !important; align-items: center; justify-content: center;}
.pamgeo-search {background: #fff;}
.pamgeo-search input {width: 220px; border: 0; padding: 0 8px; font: 12px/30px system-ui, sans-serif; background: none;}
.pamgeo-search .msg:empty {display: none;}
.pamgeo-search .msg {padding: 0 8px 4px; font: 12px system-ui, sans-serif; color: #b42318;}
.leaflet-control-layers-toggle {background-image: none !important;}
.pamgeo-measure a {width: auto !important; padding: 0 8px; font: 12px/30px system-ui, sans-serif;
  color: #222; white-space: nowrap;}
.pamgeo-measure.active a {background: #ffe8a3;}
.pamgeo-measure .out {display: none; padding: 0 8px; background: #fff; font: 600 12px/30px system-ui, sans-serif;}
.pamgeo-measure.active .out, .pamgeo-measure .out.kept {display: block;}
</style>
"""


class _Measure(MacroElement):
    """Distance measuring: a button, clicks on the map add points, the running total shows.

    A few lines on Leaflet's own ``map.distance`` (great-circle metres). It replaces the
    leaflet-measure plugin, whose 105 KB of JavaScript was a fifth of a small kecamatan page.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
          var labels = {{ this.labels|tojson }};
          var Measure = L.Control.extend({
            options: {position: {{ this.position|tojson }}},
            onAdd: function () {
              var box = L.DomUtil.create("div", "leaflet-bar pamgeo-measure");
              var btn = L.DomUtil.create("a", "", box);
              var out = L.DomUtil.create("div", "out", box);
              btn.href = "#"; btn.setAttribute("role", "button"); btn.textContent = labels.start;
              L.DomEvent.disableClickPropagation(box);
              var on = false, pts = [], marks = L.layerGroup().addTo(map), line = null;
              function fmt(m) { return m < 1000 ? Math.round(m) + " m" : (m / 1000).toFixed(2) + " km"; }
              function add(e) {
                pts.push(e.latlng);
                if (line) { line.setLatLngs(pts); }
                else { line = L.polyline(pts, {color: "#111", weight: 3, dashArray: "6 4", interactive: false}).addTo(marks); }
                L.circleMarker(e.latlng, {radius: 3, color: "#111", interactive: false}).addTo(marks);
                var d = 0;
                for (var i = 1; i < pts.length; i++) { d += map.distance(pts[i - 1], pts[i]); }
                out.textContent = fmt(d);
              }
              L.DomEvent.on(btn, "click", function (e) {
                L.DomEvent.preventDefault(e);
                on = !on;
                btn.textContent = on ? labels.stop : labels.start;
                L.DomUtil[on ? "addClass" : "removeClass"](box, "active");
                map.getContainer().style.cursor = on ? "crosshair" : "";
                if (on) {
                  pts = []; line = null; marks.clearLayers(); out.textContent = labels.hint;
                  out.classList.remove("kept"); map.on("click", add); map.doubleClickZoom.disable();
                } else {
                  map.off("click", add); map.doubleClickZoom.enable();
                  if (pts.length > 1) { out.classList.add("kept"); } else { marks.clearLayers(); }
                }
              });
              return box;
            }
          });
          new Measure().addTo(map);
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, labels: dict[str, str], position: str = "topleft") -> None:
        super().__init__()
        self.labels, self.position = labels, position


class _Search(MacroElement):
    """One search box for TPS ids and kelurahan names, with the browser's own suggestions.

    Enter (or picking a suggestion) zooms to the TPS and opens its popup, or fits the
    kelurahan and outlines it. A small control on Leaflet and an HTML ``<datalist>``; it
    replaces the leaflet-search plugin (16 KB of JavaScript and 18 KB of CSS per page). Values
    are set as text, never as HTML.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map, targets, labels) {
          function plain(s) {  // the data's properties are HTML-escaped; compare and list as text
            return String(s).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"')
              .replace(/&#x27;/g, "'").replace(/&#123;/g, "{").replace(/&#125;/g, "}").replace(/&amp;/g, "&");
          }
          function norm(s) { return s.trim().toLowerCase(); }
          var Search = L.Control.extend({
            options: {position: {{ this.position|tojson }}},
            onAdd: function () {
              var box = L.DomUtil.create("div", "leaflet-bar pamgeo-search");
              var input = L.DomUtil.create("input", "", box), msg = L.DomUtil.create("div", "msg", box);
              var list = L.DomUtil.create("datalist", "", box), index = [], seen = {};
              list.id = {{ this.get_name()|tojson }} + "-list";
              input.type = "search"; input.placeholder = labels.placeholder; input.setAttribute("list", list.id);
              input.setAttribute("aria-label", labels.placeholder);
              targets.forEach(function (t) {
                t.group.eachLayer(function (l) {
                  var v = l.feature && l.feature.properties[t.key];
                  if (v === undefined || v === null || v === "") { return; }
                  var text = plain(v), key = norm(text);
                  index.push({key: key, layer: l, target: t});
                  if (!seen[key]) { seen[key] = true; var o = document.createElement("option"); o.value = text; list.appendChild(o); }
                });
              });
              function go() {
                var q = norm(input.value), hit = null;
                msg.textContent = "";
                if (!q) { return; }
                for (var i = 0; i < index.length && !hit; i++) { if (index[i].key === q) { hit = index[i]; } }
                for (var j = 0; j < index.length && !hit; j++) { if (index[j].key.indexOf(q) === 0) { hit = index[j]; } }
                if (!hit) { msg.textContent = labels.not_found; return; }
                var l = hit.layer, g = hit.target.group;
                if (!map.hasLayer(g)) { g.addTo(map); }
                if (l.getLatLng) {
                  map.setView(l.getLatLng(), Math.max(map.getZoom(), hit.target.zoom), {animate: false});
                  l.fire("click", {latlng: l.getLatLng()}, true);  // as a click: its popup opens
                } else {
                  map.fitBounds(l.getBounds());
                  l.setStyle({weight: 5, color: "#111", dashArray: null});
                  setTimeout(function () { g.resetStyle(l); }, 3000);
                }
              }
              L.DomEvent.disableClickPropagation(box);
              L.DomEvent.on(input, "change", go);
              L.DomEvent.on(input, "keydown", function (e) { if (e.key === "Enter") { go(); } });
              return box;
            }
          });
          new Search().addTo(map);
        })({{ this._parent.get_name() }},
           [{% for t in this.targets %}{group: {{ t.layer.get_name() }}, key: {{ t.key|tojson }}, zoom: {{ t.zoom }}}{{ "," if not loop.last }}{% endfor %}],
           {{ this.labels|tojson }});
        {% endmacro %}
    """)

    def __init__(self, targets: list[dict], labels: dict[str, str], position: str = "topleft") -> None:
        super().__init__()
        self.targets, self.labels, self.position = targets, labels, position


def add_tools(m: folium.Map, tps_layer: folium.GeoJson | None, kel_layer: folium.GeoJson | None, *, lang: str) -> None:
    """Search by TPS id and by kelurahan, a distance measure tool."""
    m.get_root().header.add_child(Element(_TOOLS_CSS), name="pamgeo_tools_css")
    targets = []
    if tps_layer is not None:
        targets.append({"layer": tps_layer, "key": "tps_id", "zoom": 17})
    if kel_layer is not None:
        targets.append({"layer": kel_layer, "key": "kelurahan", "zoom": 14})
    if targets:
        _Search(targets, {"placeholder": t("search", lang), "not_found": t("not_found", lang)}).add_to(m)
    _Measure({"start": t("measure", lang), "stop": t("measure_stop", lang), "hint": t("measure_hint", lang)}).add_to(m)


def add_staging(m: folium.Map, staging: gpd.GeoDataFrame | None, *, lang: str) -> None:
    """Rayon staging points, where the reserve peleton waits."""
    if staging is None or staging.empty:
        return
    gj = _layer_data(staging, ["rayon", "staging"])
    GeoJson(
        gj, name=t("staging", lang), marker=folium.CircleMarker(radius=13),
        style_function=lambda f: {"color": "#111", "weight": 3, "fill": True, "fillColor": "#ffffff",
                                  "fillOpacity": 0.4, "radius": 13},
        tooltip=tooltip(["rayon", "staging"], aliases=["Rayon", t("staging", lang)]),
    ).add_to(m)


def add_police(m: folium.Map, posts: gpd.GeoDataFrame | None, *, lang: str) -> None:
    if posts is None or posts.empty:
        return
    p = posts.copy()
    p["posisi"] = p["position_source"].map(lambda s: t(s, lang))
    gj = _layer_data(p, ["unit", "level", "status", "posisi"])
    GeoJson(
        gj, name=t("police_posts", lang),
        marker=folium.CircleMarker(radius=8),
        style_function=lambda f: {"fillColor": "#111111", "color": "#f2c200", "weight": 3, "fill": True, "fillOpacity": 0.95,
                                  "radius": 8, "dashArray": "3 2" if f["properties"]["posisi"] != t("surveyed", lang) else None},
        popup=popup(["unit", "level", "status", "posisi"],
                                  aliases=[t("unit", lang), "Tingkat" if lang == "id" else "Level",
                                           t("status", lang), t("position_source", lang)]),
        tooltip=tooltip(["unit"]),
    ).add_to(m)


def legend_html(data: RegionData, *, lang: str) -> str:

    rows = [f"<b>{html.escape(t('legend', lang))}</b>"]
    for cls, style in CLASS_STYLE.items():
        rows.append(f"<div><span class='sw' style='background:{style['fillColor']}'></span>"
                    f"TPS {html.escape(class_label(cls, lang))}</div>")
    rows.append("<div><span class='ln' style='border-top:2px dashed #b42318'></span>"
                f"{html.escape(t('pockets', lang))}</div>")
    if data.positions_estimated:
        rows.append(f"<div><span class='sw' style='background:#fff;border:1px dashed #333'></span>"
                    f"{html.escape(t('position_source', lang))}: {html.escape(t('estimated', lang))}</div>")
    if data.police_posts is not None and not data.police_posts.empty:
        rows.append("<div><span class='sw' style='background:#111;border:2px solid #f2c200'></span>"
                    f"{html.escape(t('police_posts', lang))}</div>")
        if (data.police_posts["position_source"] == "approximate").any():
            rows.append(f"<div style='font-size:11px'>{html.escape(t('approx_police_note', lang))}</div>")
    if data.config.police is not None and data.config.police.rayons:
        rows.append("<div><span class='sw' style='background:#fff;border:3px solid #111'></span>"
                    f"{html.escape(t('staging', lang))}</div>")
        rows.append("<div><span class='ln' style='border-top:3px solid #b42318'></span>"
                    f"{html.escape(t('routes', lang))}</div>")
    has_flood = any(x is not None and len(x) for x in (data.waterways, data.flood_events, data.flood_polygons,
                                                         data.flood_lakes)) or bool(data.flood_rasters)
    if has_flood:
        for cls, col in FLOOD_COLORS.items():
            rows.append(f"<div><span class='sw' style='background:{col};border-radius:2px'></span>"
                        f"{html.escape(t('flood_class', lang))}: {html.escape(cls)}</div>")
    if has_flood and data.config.police is not None and data.roads is not None:
        rows.append("<div><span class='sw' style='background:none;border:3px solid #08306b'></span>"
                    f"{html.escape(t('access_cut', lang))}</div>")
    if data.roads is not None and not data.roads.empty:
        rows.append(f"<div><span class='ln' style='border-top:3px solid #d98c1f'></span>{html.escape(t('roads_major', lang))}</div>")
        rows.append(f"<div><span class='ln' style='border-top:1px solid #9a9a9a'></span>{html.escape(t('roads_minor', lang))}</div>")
    if data.waterways is not None and not data.waterways.empty:
        rows.append(f"<div><span class='ln' style='border-top:3px solid #2f7fd1'></span>{html.escape(t('waterways', lang))}</div>")
    rows.append(f"<div><span class='ln' style='border-top:2px dashed #444'></span>{html.escape(t('kelurahan_boundaries', lang))}</div>")
    return "".join(rows)


def base_layers(data: RegionData, kode_kec: str | None, area=None, *, minor_roads: bool = True,
                memo: dict | None = None) -> dict[str, Any]:
    """Layer data of the base of a map of one kecamatan (``kode_kec``) or the whole region (None).

    Keys ``kelurahan``, ``kecamatan``, ``roads`` (minor, major) and ``waterways``, cut to
    ``area`` (default: the kecamatan, or the region) and a margin of ``BASE_MARGIN_M``.

    ``memo`` is a dict the caller keeps for this one region object (the run layer does, see
    :mod:`pamgeo.run.session`): layers found there are reused, layers drawn are put there.
    Layers of an area other than the kecamatan's or the region's are never memoised.
    """
    kec = data.kecamatan if kode_kec is None else data.kecamatan[data.kecamatan["kode_kec"] == kode_kec]
    default = (data.kota if kode_kec is None else kec).geometry.iloc[0]
    if area is None:
        area = default
    own_area = area is default or shapely.equals_exact(area, default, 0)
    kept = memo if own_area else None
    key = (kode_kec, minor_roads)
    if kept is not None and key in kept:
        return kept[key]
    view = area.buffer(BASE_MARGIN_M)
    roads = data.roads
    if roads is not None and not minor_roads:
        roads = roads[roads["road_class"].isin(MAJOR_ROADS)]
    layers = {"kelurahan": _layer_data(_clip(data.kelurahan, view), ["kelurahan", "kode_kel", "kecamatan"], simplify_m=5),
              "kecamatan": _layer_data(kec, ["kecamatan"], simplify_m=5),
              "roads": _roads_data(roads, view), "waterways": _waterways_data(data.waterways, view)}
    if kept is not None:
        kept[key] = layers
    return layers


def kecamatan_map(data: RegionData, kode_kec: str, analysis: Analysis, *, lang: str = "id",
                  base_memo: dict | None = None) -> folium.Map:
    """Briefing map of one kecamatan: base from the data, TPS by class, pockets, rayons, flood, police.

    ``analysis`` is the result of :func:`pamgeo.analysis.pipeline.analyse` on ``data``;
    ``base_memo`` a memo of base layers (see :func:`base_layers`).
    """
    kec = data.kecamatan[data.kecamatan["kode_kec"] == kode_kec]
    if kec.empty:
        raise ValueError(f"kecamatan {kode_kec} is not in region {data.config.region.id}; "
                         f"use one of {data.kecamatan_codes()}")
    return briefing_map(data, kec.geometry.iloc[0], analysis, kode_kec=kode_kec, lang=lang, base_memo=base_memo)


def kota_map(data: RegionData, analysis: Analysis, *, lang: str = "id", base_memo: dict | None = None) -> folium.Map:
    """Overview map of the whole region (main roads only, to keep the page light)."""
    return briefing_map(data, data.kota.geometry.iloc[0], analysis, kode_kec=None, lang=lang,
                        minor_roads=False, base_memo=base_memo)


def briefing_map(data: RegionData, area, analysis: Analysis, *, kode_kec: str | None, lang: str = "id",
                 minor_roads: bool = True, base_memo: dict | None = None) -> folium.Map:
    """The layers every briefing map shares, for one kecamatan (``kode_kec``) or the whole region."""
    # every layer is cut to the area and a margin of BASE_MARGIN_M around it: context at
    # the edge of the map, not whole neighbouring kelurahan, roads and rivers in every page
    view = area.buffer(BASE_MARGIN_M)
    bounds = tuple(gpd.GeoSeries([area], crs=data.kecamatan.crs).to_crs(WGS84).total_bounds)
    m = base_map(data, bounds, lang=lang)
    base = base_layers(data, kode_kec, area, minor_roads=minor_roads, memo=base_memo)
    kel_layer = _add_kelurahan(m, base["kelurahan"], lang=lang)
    GeoJson(base["kecamatan"], name=t("kecamatan", lang),
                   style_function=lambda f: {"color": "#111", "weight": 3.5, "fill": False},
                   interactive=False).add_to(m)
    _add_roads(m, base["roads"], lang=lang)
    _add_waterways(m, base["waterways"], lang=lang)
    add_flood(m, analysis, view, lang=lang)
    add_catchments(m, analysis, view, lang=lang)
    in_area = analysis.tps if kode_kec is None else analysis.tps[analysis.tps["kode_kec"] == kode_kec]
    add_routes(m, analysis.routes, set(in_area["tps_id"]), lang=lang)
    pockets = analysis.pockets.polygons
    add_pockets(m, pockets[pockets.intersects(view)] if not pockets.empty else pockets, lang=lang)
    tps_layer = add_tps(m, in_area, lang=lang, compact=kode_kec is None)
    add_cut_tps(m, in_area, lang=lang)
    add_staging(m, analysis.staging, lang=lang)
    add_police(m, data.police_posts, lang=lang)
    add_tools(m, tps_layer, kel_layer, lang=lang)
    _Box(legend_html(data, lang=lang), "bottomleft").add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def map_html(m: folium.Map) -> str:
    """The map as a complete standalone HTML document."""
    return m.get_root().render()


_INFLATE_JS = """
(function () {
  var frame = document.getElementById(%(id)s), data = document.getElementById(%(id)s + "-gz");
  var fail = function () {
    var p = document.createElement("p");
    p.className = "pamgeo-map-error"; p.textContent = %(old)s;
    frame.replaceWith(p);
  };
  if (typeof DecompressionStream === "undefined" || typeof Response === "undefined") { fail(); return; }
  var text = data.textContent.replace(/\\s+/g, ""), bytes;
  if (data.getAttribute("data-encoding") === "base85") {  // RFC 1924 alphabet, as Python's b85encode
    var digits = new Int16Array(128).fill(-1), n = text.length, rem = n %% 5;
    %(alphabet)s.split("").forEach(function (c, i) { digits[c.charCodeAt(0)] = i; });
    bytes = new Uint8Array(Math.floor(n / 5) * 4 + (rem ? rem - 1 : 0));
    for (var i = 0, o = 0; i < n; i += 5) {
      var v = 0;
      for (var k = 0; k < 5; k++) { v = v * 85 + (i + k < n ? digits[text.charCodeAt(i + k)] : 84); }
      for (var b = 3; b >= 0 && o < bytes.length; b--) { bytes[o++] = Math.floor(v / Math.pow(256, b)) %% 256; }
    }
  } else {
    var bin = atob(text);
    bytes = new Uint8Array(bin.length);
    for (var j = 0; j < bin.length; j++) { bytes[j] = bin.charCodeAt(j); }
  }
  new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text()
    .then(function (doc) { frame.srcdoc = doc; }, fail);
})();
"""


def map_iframe(m: folium.Map, height: int = 640, *, lang: str = "id", compress: bool = True) -> str:
    """The map as an ``<iframe>`` for embedding in a briefing page, self-contained and offline.

    Parameters
    ----------
    m
        The map.
    height
        Height in CSS pixels.
    lang
        Language of the message shown by browsers that cannot open the map.
    compress
        Store the map document gzip-compressed (base85, in a non-executed ``<script>`` block)
        and inflate it in the browser with the standard ``DecompressionStream`` (Chrome/Edge 80+,
        Firefox 113+, Safari 16.4+), which makes the page four to six times smaller. Without it
        the document goes, HTML-escaped, into ``srcdoc`` and opens in any browser.

    Returns
    -------
    str
        HTML fragment; :func:`embedded_documents` gets the map document back from it.
    """
    doc = map_html(m)
    style = f"width:100%;height:{height}px;border:1px solid #999"
    attrs = 'sandbox="allow-scripts allow-popups" allowfullscreen loading="eager"'
    if not compress:
        return (f'<div class="pamgeo-map-wrap"><iframe class="pamgeo-map" srcdoc="{html.escape(doc, quote=True)}" '
                f'style="{style}" {attrs}></iframe></div>')
    raw = doc.encode("utf-8")
    frame_id = "pamgeo-map-" + hashlib.sha1(raw).hexdigest()[:12]
    packed = gzip.compress(raw, compresslevel=9, mtime=0)
    # base85 (5 characters per 4 bytes; base64 needs 5.33). Its alphabet has no "/", so the
    # text cannot end the <script> block; "<!--" could change how the block is parsed, and in
    # that (rare) case base64 is used
    encoding, payload = "base85", base64.b85encode(packed).decode("ascii")
    if "<!--" in payload:
        encoding, payload = "base64", base64.b64encode(packed).decode("ascii")
    js = _INFLATE_JS % {"id": json.dumps(frame_id), "old": json.dumps(t("map_old_browser", lang)),
                        "alphabet": json.dumps(_B85)}
    js = "\n".join(line.strip() for line in js.strip().splitlines())  # the page is not compressed
    return (f'<div class="pamgeo-map-wrap"><iframe id="{frame_id}" class="pamgeo-map" style="{style}" {attrs} '
            f'title="{html.escape(t("map_title", lang))}"></iframe>'
            f'<script type="application/gzip" data-encoding="{encoding}" id="{frame_id}-gz">{payload}</script>'
            f"<script>{js}</script></div>")


_B85 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~"
# attributes in any order: notebook converters rewrite the tags
_PAYLOAD = re.compile(r'<script\b([^>]*\btype="application/gzip"[^>]*)>(.*?)</script>', re.S)
_SRCDOC = re.compile(r'<iframe\b[^>]*\bsrcdoc="([^"]*)"')


def embedded_documents(page: str) -> list[str]:
    """The map documents inside a briefing page (compressed or ``srcdoc``), as HTML text.

    For checking a page without a browser: tests, the benchmark, an analyst auditing what a
    briefing contains.
    """
    docs = []
    for attrs, text in _PAYLOAD.findall(page):
        text = re.sub(r"\s+", "", text)
        packed = base64.b85decode(text) if 'data-encoding="base85"' in attrs else base64.b64decode(text)
        docs.append(gzip.decompress(packed).decode("utf-8"))
    docs += [html.unescape(s) for s in _SRCDOC.findall(page)]
    return docs


__all__ = [
    "Details",
    "GeoJson",
    "add_catchments",
    "add_cut_tps",
    "add_flood",
    "add_kelurahan",
    "add_pockets",
    "add_police",
    "add_roads",
    "add_routes",
    "add_staging",
    "add_tools",
    "add_tps",
    "add_waterways",
    "base_layers",
    "base_map",
    "briefing_map",
    "embedded_documents",
    "encode_polyline",
    "escape_text",
    "kecamatan_map",
    "kota_map",
    "legend_html",
    "map_html",
    "map_iframe",
    "pack_geojson",
    "popup",
    "simplify",
    "to_geojson",
    "tooltip",
    "unpack_geojson",
]
