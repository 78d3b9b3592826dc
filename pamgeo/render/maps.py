"""Folium maps for the briefings: readable offline, fast with thousands of TPS.

The maps use ``offlinefolium`` (folium with its JavaScript and CSS embedded in the page), so a
briefing opened from disk with no network still draws. The base map is drawn from the data
(kelurahan boundaries, roads by class, rivers); online tiles are only an optional layer, off by
default. Every layer is one GeoJSON object, not one marker object per TPS, and every text that
comes from data is HTML-escaped (and its braces made entities) before it reaches the page.

This module assembles the maps and embeds them in briefing pages; the parts are in

- :mod:`pamgeo.render.webmap_encoding`: GeoJSON, Encoded Polylines, escaping;
- :mod:`pamgeo.render.webmap_elements`: the folium/branca elements (compact layers, details,
  controls);
- :mod:`pamgeo.render.webmap_layers`: the layers, their styles, the legend and the tools;
- :mod:`pamgeo.render.webmap_assets` and ``pamgeo/render/assets``: the JavaScript and CSS.

Pages stay small: layers are written as ``pamgeo.layer(data, styles)`` with geometries as
Encoded Polylines, one small runtime per map builds them, tooltips and popups are one line
each, search, measure and full screen are small controls rather than plugins (the reasons are
at each control), and :func:`map_iframe` stores the map document compressed in the page.

Pages stay fast with thousands of TPS (a kecamatan of 7,000 is ready, its TPS drawn, in well
under a second: ``bench/bench_leaflet.py``): the TPS are one table (the positions one Encoded
Polyline, the properties in columns, each distinct text once) drawn by one canvas layer in one
pass, their details made only when a popup, a tooltip or the search asks
(:func:`pamgeo.render.webmap_encoding.point_table`, ``assets/points.js``); the map gets its
first view after every layer is added, so each is projected and drawn once
(:func:`base_map`, ``fit=False``); the reserve's routes draw their shared stretches once
(:func:`pamgeo.render.webmap_layers.drawn_once`); the search makes its index when first used;
and the map document is inflated while the page is read (``assets/inflate.js``).

And they are made with little CPU (a run draws its maps one after another in one kernel): what
every map writes alike is made once per run and kept in the run's memo of base layers
(:func:`base_layers`, made ahead while the analysis runs; Leaflet, the police units, the
compressor past the beginning the documents share, :func:`gzip_document`); each map takes its
TPS and the columns its layers read once (:func:`tps_in_area`); the layers' properties are
read and escaped a column at a time, the zones cut as arrays
(:func:`pamgeo.render.webmap_zones.zones_in`) and, in a run, cut and encoded once per build
(``zones`` of the base layers, :func:`pamgeo.render.webmap_zones.zone_geometries`); and no rendered script is compiled as a
template again when it has no template syntax
(:func:`pamgeo.render.webmap_elements.template_text`). The pages are byte for byte those made
without the memo (``tests/test_maps.py``).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
import re
import struct
import zlib

import geopandas as gpd
import numpy as np
import offlinefolium as folium

from pamgeo.analysis.changes import changes_points
from pamgeo.analysis.pipeline import Analysis
from pamgeo.core.i18n import t
from pamgeo.ingest.region import RegionData
from pamgeo.render.changes import add_changes
from pamgeo.render.headline import pockets_with_rawan
from pamgeo.render.webmap_assets import LEAFLET_CSS, asset_text
from pamgeo.render.webmap_base import MAJOR_ROADS, add_base, base_layers, map_assets
from pamgeo.render.webmap_elements import (
    Attribution,
    FitView,
    Fullscreen,
    LeafletMap,
    Legend,
    Runtime,
    Scale,
    TileNote,
    stylesheet,
)
from pamgeo.render.webmap_encoding import escape_text, simplify
from pamgeo.render.webmap_layers import (
    CLASS_STYLE,
    TPS_COLUMNS,
    add_catchments,
    add_cut_tps,
    add_flood,
    add_pockets,
    add_police,
    add_routes,
    add_staging,
    add_tools,
    add_tps,
    must_see,
)
from pamgeo.render.webmap_legend import LegendEntry, legend_rows

_B85 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~"
#: the legend opens by itself on screens at least this tall, on maps at least SMALL_MAP tall
SMALL_SCREEN_PX = 900
SMALL_MAP_PX = 500
#: the key of the compressor after the beginning the map documents share (:func:`gzip_document`)
#: in a memo of base layers
GZIP_KEY = "gzip"
#: the shortest beginning of the map documents worth compressing once (:func:`gzip_document`)
MIN_SHARED = 32_768
# attributes in any order: notebook converters rewrite the tags
_PAYLOAD = re.compile(r'<script\b([^>]*\btype="application/gzip"[^>]*)>(.*?)</script>', re.S)
_SRCDOC = re.compile(r'<iframe\b[^>]*\bsrcdoc="([^"]*)"')


def base_map(data: RegionData, bounds: tuple[float, float, float, float], *, lang: str = "id",
             fit: bool = True, memo: dict | None = None) -> folium.Map:
    """An empty map fitted to ``bounds`` (EPSG:4326 minx, miny, maxx, maxy), offline-ready.

    A metric scale; the online tiles an optional layer, off by default, with a note on the map
    when they cannot load.

    With ``fit=False`` the map has no view until a :class:`~pamgeo.render.webmap_elements.FitView`
    added last sets it: Leaflet adds the layers to a map without a view when it gets one, so
    every layer is projected, cut to the view and drawn once, at the first view (with a view
    from the start, each is drawn twice: at the bounds, then at the first view).

    ``memo`` (the run's memo of base layers, :func:`base_layers`) keeps what every map writes
    alike, made once (:func:`~pamgeo.render.webmap_base.map_assets`).
    """
    scripts, css, provider = map_assets(memo)
    m = LeafletMap(scripts, tiles=None, control_scale=False, prefer_canvas=True, zoom_snap=0.25)
    if not fit:
        m.options.pop("zoom", None)  # Leaflet sets a view at start only when it is given a zoom
    if css is None:
        m.default_css = list(LEAFLET_CSS)
    else:
        m.default_css = []
        m.get_root().header.add_child(stylesheet(css), name="leaflet_css")
    m.get_root().header.add_child(stylesheet(asset_text("map.css")), name="pamgeo_css")
    Runtime().add_to(m)  # before any layer: the layers are built by it
    tiles = folium.TileLayer(provider, name=t("online_tiles", lang), overlay=True, show=False,
                             control=True).add_to(m)
    TileNote(tiles, t("tiles_offline", lang)).add_to(m)
    Scale().add_to(m)
    minx, miny, maxx, maxy = bounds
    if fit:
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    attribution = " | ".join(escape_text(a) for a in data.config.attributions())
    Attribution(attribution).add_to(m)
    Fullscreen({"enter": t("fullscreen", lang), "exit": t("fullscreen_exit", lang)}).add_to(m)
    return m


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
    """The layers every briefing map shares, for one kecamatan (``kode_kec``) or the whole region.

    The legend is made of what the layers draw: a list made here, for this map, that every
    ``add_*`` function appends its symbols to. The first view keeps the rawan and sangat rawan
    TPS clear of the controls (:class:`~pamgeo.render.webmap_elements.FitView`).
    """
    # every layer is cut to the area and a margin of BASE_MARGIN_M around it (the base's view):
    # context at the edge of the map, not whole neighbouring kelurahan, roads and rivers in every page
    base = base_layers(data, kode_kec, area, minor_roads=minor_roads, memo=base_memo)
    view, bounds = base["view"], base["bounds"]
    m = base_map(data, bounds, lang=lang, fit=False, memo=base_memo)  # the view: FitView, last
    legend: list[LegendEntry] = []
    kel_layer = add_base(m, base, lang=lang, legend=legend)
    # the zones as the base layers hold them (stored with the build, see pamgeo.run.cache), else cut now
    add_flood(m, analysis, view, lang=lang, legend=legend, nearby=base["nearby"], zones=base.get("zones"))
    add_catchments(m, analysis, view, lang=lang, legend=legend, zones=base.get("zones"))
    in_area = tps_in_area(analysis.tps, kode_kec)
    add_routes(m, analysis.routes, set(in_area["tps_id"]), lang=lang, legend=legend)
    # the pockets the page's table lists (those holding TPS of this area): map and table agree
    pockets = analysis.pockets.polygons
    shown = set(analysis.pocket_table(kode_kec)["pocket_id"]) if not pockets.empty else set()
    add_pockets(m, pockets[pockets["pocket_id"].isin(shown)] if not pockets.empty else pockets, lang=lang,
                legend=legend, with_rawan=pockets_with_rawan(analysis, kode_kec))
    tps_layer = add_tps(m, in_area, lang=lang, compact=kode_kec is None, legend=legend)
    add_cut_tps(m, in_area, lang=lang, detour_report_min=analysis.detour_report_min, legend=legend)
    if analysis.class_changes is not None:  # what changed between the two latest official lists
        moved = changes_points(analysis.class_changes, in_area[["tps_id", in_area.geometry.name]])
        add_changes(m, moved, lang=lang, legend=legend)
    add_staging(m, analysis.staging, lang=lang, legend=legend)
    add_police(m, data.police_posts, lang=lang, legend=legend, memo=base_memo)
    add_tools(m, tps_layer, kel_layer, lang=lang)
    if legend:
        Legend(legend_rows(legend), {"title": t("legend", lang), "small_screen": SMALL_SCREEN_PX,
                                     "small_map": SMALL_MAP_PX}).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    minx, miny, maxx, maxy = bounds
    FitView([[miny, minx], [maxy, maxx]], must_see(in_area)).add_to(m)  # last: after every control
    return m


def tps_in_area(tps: gpd.GeoDataFrame, kode_kec: str | None) -> gpd.GeoDataFrame:
    """The TPS of kecamatan ``kode_kec`` (None: all) with the columns the layers read
    (:data:`~pamgeo.render.webmap_layers.TPS_COLUMNS`): taken once per map, not the
    analysis' fifty columns in every layer."""
    columns = [i for i, c in enumerate(tps.columns) if c in TPS_COLUMNS or c == tps.geometry.name]
    rows = slice(None) if kode_kec is None else np.flatnonzero((tps["kode_kec"] == kode_kec).to_numpy())
    return tps.iloc[rows, columns]


def map_html(m: folium.Map) -> str:
    """The map as a complete standalone HTML document."""
    return m.get_root().render()


def map_iframe(m: folium.Map, height: int = 640, *, lang: str = "id", compress: bool = True,
               memo: dict | None = None) -> str:
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
        and inflate it in the browser (``assets/inflate.js``: at once, while the page is read,
        so the map loads in its frame while the rest of the page is laid out; the standard
        ``DecompressionStream`` if that fails), which makes the page four to six times smaller.
        Without it the document goes, HTML-escaped, into ``srcdoc``.
    memo
        The run's memo of base layers (:func:`base_layers`): the maps of a run begin alike
        (Leaflet, the stylesheets), and that beginning is compressed once (:func:`gzip_document`).

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
    packed = gzip_document(raw, memo)
    # base85 (5 characters per 4 bytes; base64 needs 5.33). Its alphabet has no "/", so the
    # text cannot end the <script> block; "<!--" could change how the block is parsed, and in
    # that (rare) case base64 is used
    encoding, payload = "base85", b85encode(packed)
    if "<!--" in payload:
        encoding, payload = "base64", base64.b64encode(packed).decode("ascii")
    args = ", ".join(json.dumps(a) for a in (frame_id, t("map_old_browser", lang), _B85))
    js = f"{asset_text('inflate.js')}({args});"
    js = "\n".join(line.strip() for line in js.splitlines())  # the page is not compressed
    return (f'<div class="pamgeo-map-wrap"><iframe id="{frame_id}" class="pamgeo-map" style="{style}" {attrs} '
            f'title="{html.escape(t("map_title", lang))}"></iframe>'
            f'<script type="application/gzip" data-encoding="{encoding}" id="{frame_id}-gz">{payload}</script>'
            f"<script>{js}</script></div>")


def gzip_document(raw: bytes, memo: dict | None = None) -> bytes:
    """``gzip.compress(raw, compresslevel=9, mtime=0)``, the beginning the documents share
    compressed once per ``memo``.

    Deflate writes the same stream however its input is handed to it (it waits for enough of
    it to choose each match), so the compressor's state after the shared beginning (Leaflet and
    the stylesheets: 170 KB of each map document) is kept and copied for each document. The
    beginning is found by comparing a document with the one before it.
    """
    if memo is None:
        return gzip.compress(raw, compresslevel=9, mtime=0)
    kept = memo.get(GZIP_KEY)
    if kept is None or "state" not in kept or not raw.startswith(kept["prefix"]):
        n = _common_prefix(raw, kept["last"]) if kept is not None else 0
        if n < MIN_SHARED:
            memo[GZIP_KEY] = {"last": raw}  # nothing shared (yet)
            return gzip.compress(raw, compresslevel=9, mtime=0)
        state = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate, as gzip.compress writes it
        kept = memo[GZIP_KEY] = {"prefix": raw[:n], "last": raw, "state": state, "head": state.compress(raw[:n])}
    state = kept["state"].copy()
    body = state.compress(raw[len(kept["prefix"]):]) + state.flush()
    header = gzip.compress(b"", compresslevel=9, mtime=0)[:10]
    return header + kept["head"] + body + struct.pack("<LL", zlib.crc32(raw), len(raw) & 0xFFFFFFFF)


def _common_prefix(a: bytes, b: bytes) -> int:
    """The length of the longest common beginning of ``a`` and ``b``."""
    n = min(len(a), len(b))
    differ = np.frombuffer(a, dtype=np.uint8, count=n) != np.frombuffer(b, dtype=np.uint8, count=n)
    return int(differ.argmax()) if differ.any() else n


def b85encode(data: bytes) -> str:
    """``base64.b85encode(data)`` as text, vectorised (the standard one takes 15 ms for a map)."""
    pad = -len(data) % 4
    words = np.frombuffer(data + b"\0" * pad, dtype=">u4").astype(np.int64)
    digits = np.empty((len(words), 5), dtype=np.int64)
    for i in range(4, -1, -1):
        words, digits[:, i] = np.divmod(words, 85)
    text = np.frombuffer(_B85.encode("ascii"), dtype=np.uint8)[digits].tobytes().decode("ascii")
    return text[:len(text) - pad]


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
    "CLASS_STYLE",
    "GZIP_KEY",
    "MAJOR_ROADS",
    "b85encode",
    "base_layers",
    "base_map",
    "briefing_map",
    "embedded_documents",
    "gzip_document",
    "kecamatan_map",
    "kota_map",
    "map_html",
    "map_iframe",
    "simplify",
    "tps_in_area",
]
