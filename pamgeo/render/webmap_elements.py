"""The folium/branca elements of the web maps: compact GeoJSON layers, details, controls.

Each element follows folium's documented extension pattern, a :class:`~branca.element.MacroElement`
with a ``_template`` whose macro (``script_text``, :class:`Macro`) writes one line of JavaScript;
the code behind that line is a file in ``pamgeo/render/assets`` (:mod:`pamgeo.render.webmap_assets`),
read when the element is made. Branca compiles every rendered script once more as a Jinja
template, so the assets hold no ``{{``, ``{%`` or ``{#`` (tests check it), and text from data
reaches them escaped (:func:`pamgeo.render.webmap_encoding.escape_text`); a script without any
of those comes out of that compilation as it went in, so :class:`Macro` writes it as it is
(:func:`template_text`: compiling the dozens of scripts of a map, Leaflet among them, was a
fifth of the time to make it). The layers' data does not go through that second compilation
at all: :class:`GeoJson` writes it verbatim.
"""

from __future__ import annotations

import json
import re
from itertools import chain
from typing import Any

import offlinefolium as folium
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from pamgeo.render.webmap_assets import asset_text
from pamgeo.render.webmap_encoding import (
    CODE_ALPHABET,
    GEOJSON_DEPTH,
    POLYLINE_PRECISION,
    encode_column,
    escape_text,
    pack_geojson,
    point_table,
)


class Verbatim(Element):
    """Text that goes into the page as it is (branca's Element compiles its text as a template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


# what starts a Jinja expression, statement or comment
_TEMPLATE_SYNTAX = re.compile(r"\{[{%#]")


def template_text(text: str) -> Element:
    """An element that writes ``text`` as ``branca.element.Element(text)`` does, which compiles it
    as a Jinja template and renders that: plain text (no ``{{``, ``{%``, ``{#``, no carriage
    return) comes out as it is, less one final newline, so it is not compiled (a map has dozens
    of such texts, Leaflet's 150 KB among them); any other text still is.
    """
    if "\r" in text or _TEMPLATE_SYNTAX.search(text):
        return Element(text)
    return Verbatim(text[:-1] if text.endswith("\n") else text)


class NamedOnce:
    """An element whose name (:meth:`~branca.element.Element.get_name`, asked for hundreds of
    times per map: every child writes its parent's) is made once."""

    def get_name(self) -> str:
        name = getattr(self, "pamgeo_name", None)
        if name is None:
            name = self.pamgeo_name = super().get_name()
        return name


class Macro(NamedOnce, MacroElement):
    """A :class:`~branca.element.MacroElement` whose script goes into the page as branca's
    would (:func:`template_text`), without compiling it once more: its template names the macro
    ``script_text``, not ``script`` (which MacroElement would compile)."""

    def render(self, **kwargs):
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("You cannot render this Element if it is not in a Figure.")
        figure.script.add_child(template_text(self._template.module.script_text(self, kwargs)), name=self.get_name())
        super().render(**kwargs)  # no macro of its own left to write: the children, if any


def stylesheet(css: str) -> Verbatim:
    """A ``<style>`` block for a figure's header."""
    return Verbatim(f"<style>{css}</style>")


class LeafletMap(NamedOnce, folium.Map):
    """folium's Map, given Leaflet's script as offlinefolium writes it (``scripts``: ``(name,
    html)``, :func:`pamgeo.render.webmap_assets.leaflet_scripts`, made once per run) rather than
    compiling it as a template again for every map. Its ``default_js`` stays empty."""

    def __init__(self, scripts: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.default_js = []
        self.scripts = list(scripts)

    def render(self, **kwargs):
        header = self.get_root().header
        for name, text in self.scripts:  # where offlinefolium puts them: first thing the map renders
            header.add_child(Verbatim(text), name=name)
        super().render(**kwargs)


class Details(Macro):
    """Tooltip or popup of a :class:`GeoJson` layer: a table of properties, empty ones left out.

    Replaces folium's GeoJsonTooltip/GeoJsonPopup, which write the same 40 lines of
    JavaScript and a style block for every layer; here each layer gets one line calling
    ``pamgeo.table``. Values are HTML-escaped in the data (``to_geojson``), labels here.
    """

    _template = Template("""
        {% macro script_text(this, kwargs) %}
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


class GeoJson(NamedOnce, folium.GeoJson):
    """A GeoJSON layer written compactly: packed geometries, a style table, one line of script.

    Folium's GeoJson writes a styler switch listing feature ids, an onEachFeature and an add
    function per layer, and every coordinate as JSON numbers. This subclass keeps folium's
    interface (name, show, style_function, marker, layer control) but writes
    ``pamgeo.layer(data, {styles, index, marker, options})``: the distinct styles once, a style
    number per feature, geometries packed (``pack_geojson``) and properties that are empty
    left out. The page's ``pamgeo`` runtime (:class:`Runtime`) builds the Leaflet layer.

    Its template has no ``script`` macro: :meth:`render` writes the ``layer`` macro's text into
    the page verbatim (the whole layer's data: compiling it as a template once more would be
    slow, and would evaluate any ``{{`` in it), then the ``add_to_parent`` line if the layer is
    shown, as :class:`folium.map.Layer` does.

    With ``table=True`` (a layer of Points with ``marker``) the data goes into the page as one
    table (:func:`~pamgeo.render.webmap_encoding.point_table`: the positions one Encoded
    Polyline, the properties in columns) written as ``pamgeo.points(table, options)``: a
    seventh to a tenth of the bytes of the features, and no feature object per point for the
    browser to parse and keep; ``assets/points.js`` draws it on a canvas of its own. ``mark`` names a ``performance.mark`` the page sets in the animation frame
    that first paints the layer (when its TPS are on screen: the benchmark reads it).
    """

    _template = Template("""
        {% macro layer(this, kwargs) %}
        var {{ this.get_name() }} = pamgeo.{{ "points" if this.table else "layer" }}({{ this.js_data|tojson }}, {{ this.js_options|tojson }});
        {% endmacro %}
        {% macro add_to_parent(this, kwargs) %}
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, data: Any, *, tooltip: Details | None = None, popup: Details | None = None,
                 style_only: tuple[str, ...] = (), table: bool = False, mark: str | None = None,
                 **kwargs: Any):
        unsupported = sorted(k for k in ("highlight_function", "zoom_on_click", "on_each_feature", "smooth_factor",
                                         "popup_keep_highlighted") if kwargs.get(k))
        if unsupported:
            raise TypeError(f"pamgeo's compact GeoJson does not draw {', '.join(unsupported)}; use folium.GeoJson")
        super().__init__(data, **kwargs)
        self.style_only = style_only  # properties the style function reads but the page does not need
        if table and self.marker is None:
            raise TypeError("a point table (table=True) is drawn with a marker: give marker=folium.CircleMarker(...)")
        self.table, self.mark = table, mark
        for child in (tooltip, popup):
            if child is not None:
                self.add_child(child)

    def _style_table(self) -> dict[str, Any]:
        """The distinct styles of the features, and each feature's style number if they differ.

        A style object the function returned before is not written out again (style functions
        return one dict per style, and change none they returned).
        """
        styles: list[dict] = []
        index: list[int] = []
        seen: dict[str, int] = {}
        known: dict[int, int] = {}  # id of a style returned -> its number
        returned: list[dict] = []  # every style returned, alive while its id is known
        if self.style:
            for feature in self.data["features"]:
                style = self.style_function(feature)
                number = known.get(id(style))
                if number is None:
                    key = json.dumps(style, sort_keys=True)
                    if key not in seen:
                        seen[key] = len(styles)
                        styles.append(style)
                    number = known[id(style)] = seen[key]
                    returned.append(style)
                index.append(number)
        opts: dict[str, Any] = {"styles": styles or [{}]}
        if len(styles) > 1:
            opts["index"] = index
        return opts

    def find_identifier(self) -> str:
        """Not needed: folium's style map by feature id is not written (:meth:`render`). folium's
        own looks for a unique property in every feature, and numbers the features without one."""
        return "feature.id"

    def render(self, **kwargs):
        opts = self._style_table()
        if self.marker is not None:
            opts["marker"] = {k: v for k, v in self.marker.options.items() if k == "radius"}
        if self.options:
            opts["options"] = self.options
        if self.mark:
            opts["mark"] = self.mark
        if self.table:
            names = dict.fromkeys(chain.from_iterable(f.get("properties") or {} for f in self.data["features"]))
            self.js_data = point_table(self.data, [k for k in names if k not in self.style_only])
            if "index" in opts:
                opts["index"] = encode_column(opts["index"])
        else:
            self.js_data = pack_geojson(self.data, drop_empty=True)
            for f in self.js_data["features"] if self.style_only else []:
                for key in self.style_only:
                    f["properties"].pop(key, None)
        self.js_options = opts
        # folium.GeoJson.render maps styles to feature ids for its own template: skipped
        script = self.get_root().script
        script.add_child(Verbatim(self._template.module.layer(self, kwargs)), name=self.get_name())
        MacroElement.render(self, **kwargs)  # no macro of its own to write: the children (details)
        if self.show:
            script.add_child(Verbatim(self._template.module.add_to_parent(self, kwargs)),
                             name=self.get_name() + "_add")


class Runtime(Macro):
    """The ``pamgeo`` object every map's layers use (``assets/runtime.js``): unpacking, layers,
    tables for details, and ``pamgeo.points`` (``assets/points.js``), the layer of a point table.
    Added to a map before any layer."""

    _template = Template("""
        {% macro script_text(this, kwargs) %}
        var pamgeo = {{ this.code }}({{ this.depth|tojson }}, {{ this.scale|tojson }}, {{ this.alphabet|tojson }});
        pamgeo.points = {{ this.points }}(pamgeo, {{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self.code, self.points = asset_text("runtime.js"), asset_text("points.js")
        self.depth, self.scale, self.alphabet = GEOJSON_DEPTH, 10 ** POLYLINE_PRECISION, CODE_ALPHABET


class _Control(Macro):
    """A map control whose code is an asset file (``asset``): a function called with the map,
    the control's words and its position."""

    asset = ""
    _template = Template("""
        {% macro script_text(this, kwargs) %}
        {{ this.code }}({{ this._parent.get_name() }}, {{ this.labels|tojson }}, {{ this.position|tojson }});
        {% endmacro %}
    """)

    def __init__(self, labels: dict[str, str], position: str = "topleft") -> None:
        super().__init__()
        self.code = asset_text(self.asset)
        self.labels, self.position = labels, position


class Fullscreen(_Control):
    """A full-screen button on the standard Fullscreen API (the page's iframe allows it), from
    ``assets/fullscreen.js``. Browsers without the API do not show the button.

    Not ``folium.plugins.Fullscreen``, although it works offline (offlinefolium embeds
    leaflet.fullscreen 3.0.0, its icon an SVG data URI; checked in headless Chromium with the
    network off): importing ``offlinefolium.plugins`` imports every plugin, 0.2-0.4 s more in
    each process that draws maps (the CLI, every notebook kernel), and the plugin adds 5.5 KB of
    JavaScript and 2.3 KB of CSS (2.7 KB gzipped) to every map, against 1.4 KB here.
    """

    asset = "fullscreen.js"


class Attribution(Macro):
    """Adds data attribution to Leaflet's attribution control (there is no tile layer)."""

    _template = Template("""
        {% macro script_text(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}
    """)

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class Box(Macro):
    """A fixed HTML box (legend, note) as a Leaflet control (``assets/box.js``)."""

    _template = Template("""
        {% macro script_text(this, kwargs) %}
        {{ this.code }}({{ this._parent.get_name() }}, {{ this.html|tojson }}, {{ this.position|tojson }}, {{ this.css_class|tojson }});
        {% endmacro %}
    """)

    def __init__(self, html_text: str, position: str = "bottomleft", css_class: str = "") -> None:
        super().__init__()
        self.code = asset_text("box.js")
        self.html, self.position, self.css_class = html_text, position, css_class


class Legend(Macro):
    """The map's legend (``assets/legend.js``), made from what the map draws.

    ``rows`` are ``(layer, html)`` pairs (:func:`pamgeo.render.webmap_legend.legend_rows`): the
    legend shows the rows of the layers on the map, following the layer control. It folds to
    its title on screens less than ``small_screen`` pixels tall and on small maps; a click on
    the title opens and folds it.
    """

    _template = Template("""
        {% macro script_text(this, kwargs) %}
        {{ this.code }}({{ this._parent.get_name() }},
           [{% for layer, row in this.rows %}[{{ layer.get_name() }}, {{ layer.get_name()|tojson }}, {{ row|tojson }}]{{ "," if not loop.last }}{% endfor %}],
           {{ this.labels|tojson }}, {{ this.position|tojson }});
        {% endmacro %}
    """)

    def __init__(self, rows: list[tuple[Any, str]], labels: dict[str, Any], position: str = "bottomleft") -> None:
        super().__init__()
        self.code = asset_text("legend.js")
        self.rows, self.labels, self.position = rows, labels, position


class FitView(Macro):
    """The map's first view (``assets/fit.js``): ``bounds`` as large as they fit, with none of
    the ``points`` (the rawan and sangat rawan TPS) under a control.

    Computed in the browser once the controls are in place, from their real sizes (the
    legend open or folded, the languages' widths): the largest zoom, then the smallest shift
    of the centre, at which every point is clear of every control by ``margin`` pixels and the
    whole of ``bounds`` still shows; failing that, the points alone; failing that, Leaflet's
    ``fitBounds``. Added to a map after every control.
    """

    _template = Template("""
        {% macro script_text(this, kwargs) %}
        {{ this.code }}({{ this._parent.get_name() }}, {{ this.bounds|tojson }}, {{ this.points|tojson }}, {{ this.margin|tojson }});
        {% endmacro %}
    """)

    def __init__(self, bounds: list[list[float]], points: list[list[float]], margin: int = 10) -> None:
        super().__init__()
        self.code = asset_text("fit.js")
        self.bounds, self.points, self.margin = bounds, points, margin


class Scale(Macro):
    """Leaflet's scale bar, metric only."""

    _template = Template("""
        {% macro script_text(this, kwargs) %}
        L.control.scale({{ this.options|tojson }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, position: str = "bottomleft", max_width: int = 120) -> None:
        super().__init__()
        self.options = {"position": position, "metric": True, "imperial": False, "maxWidth": max_width}


class TileNote(Macro):
    """A note on the map when the optional online base map cannot load (no internet), removed
    with the layer (``assets/tilenote.js``)."""

    _template = Template("""
        {% macro script_text(this, kwargs) %}
        {{ this.code }}({{ this._parent.get_name() }}, {{ this.layer.get_name() }}, {{ this.text|tojson }}, {{ this.position|tojson }});
        {% endmacro %}
    """)

    def __init__(self, layer: Any, text: str, position: str = "topright") -> None:
        super().__init__()
        self.code = asset_text("tilenote.js")
        self.layer, self.text, self.position = layer, text, position


class RoadLabels(MacroElement):
    """Street names at street level (zoom ``min_zoom`` and closer), drawn by ``assets/labels.js``
    for the roads in view only, those that do not overlap (main roads first).

    ``data`` is :func:`pamgeo.render.webmap_base._road_labels`'s: like a layer's data it is
    written into the page verbatim (names escaped there), not compiled as a template again.
    """

    _template = Template("""
        {% macro labels(this, kwargs) %}
        {{ this.code }}({{ this._parent.get_name() }}, {{ this.data|tojson }}, {{ this.min_zoom|tojson }});
        {% endmacro %}
    """)

    def __init__(self, data: dict, min_zoom: int = 16) -> None:
        super().__init__()
        self.code = asset_text("labels.js")
        self.data, self.min_zoom = data, min_zoom

    def render(self, **kwargs):
        self.get_root().script.add_child(Verbatim(self._template.module.labels(self, kwargs)), name=self.get_name())


class Measure(_Control):
    """Distance measuring (``assets/measure.js``): a button, clicks on the map add points, the
    running total shows. A few lines on Leaflet's own ``map.distance`` (great-circle metres).

    Not ``folium.plugins.MeasureControl``: it works offline (offlinefolium embeds
    leaflet-measure 2.1.7; checked in headless Chromium with the network off), but that is
    105 KB of JavaScript and 11.7 KB of CSS (38 KB gzipped) in every map, against 1.9 KB
    (0.9 KB) here, and leaflet-measure has no Indonesian among its 19 languages.
    """

    asset = "measure.js"


class Search(Macro):
    """One search box for TPS ids and kelurahan names, with the browser's own suggestions
    (``assets/search.js``).

    Enter (or picking a suggestion) zooms to the TPS and opens its popup, or fits the
    kelurahan and outlines it. A small control on Leaflet and an HTML ``<datalist>``. Values
    are set as text, never as HTML.

    Not ``folium.plugins.Search``: one control searches one layer by one property (TPS and
    kelurahan would need two boxes), it adds 16.4 KB of JavaScript and 18 KB of CSS (9.9 KB
    gzipped) to every map, against 2.6 KB here, and offline its CSS's ``../images/loader.gif``
    (not embedded by offlinefolium) fails to load: a console error in Chromium.
    """

    _template = Template("""
        {% macro script_text(this, kwargs) %}
        {{ this.code }}({{ this._parent.get_name() }},
           [{% for t in this.targets %}{group: {{ t.layer.get_name() }}, key: {{ t.key|tojson }}, zoom: {{ t.zoom }}}{{ "," if not loop.last }}{% endfor %}],
           {{ this.labels|tojson }}, {{ this.position|tojson }}, {{ (this.get_name() ~ "-list")|tojson }});
        {% endmacro %}
    """)

    def __init__(self, targets: list[dict], labels: dict[str, str], position: str = "topleft") -> None:
        super().__init__()
        self.code = asset_text("search.js")
        self.targets, self.labels, self.position = targets, labels, position


__all__ = [
    "Attribution",
    "Box",
    "Details",
    "FitView",
    "Fullscreen",
    "GeoJson",
    "LeafletMap",
    "Legend",
    "Macro",
    "Measure",
    "NamedOnce",
    "RoadLabels",
    "Runtime",
    "Scale",
    "Search",
    "TileNote",
    "Verbatim",
    "popup",
    "stylesheet",
    "template_text",
    "tooltip",
]
