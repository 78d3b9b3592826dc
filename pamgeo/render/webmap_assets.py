"""The JavaScript and CSS of the web maps: pamgeo's own (``pamgeo/render/assets``) and Leaflet's.

pamgeo's scripts and stylesheets are plain files in ``assets/``, read per map with
:mod:`importlib.resources` (a few small files: tens of microseconds). Each script is one function
expression, ``(function (map, ...) {...})``, that an element of
:mod:`pamgeo.render.webmap_elements` calls with its arguments.

Leaflet comes from ``offlinefolium``, which embeds it in the page instead of linking a CDN.
Its stylesheet is taken through offlinefolium's public mechanism for that, a
:class:`~offlinefolium.elements.JSCSSMixin` rendered into a :class:`~branca.element.Figure`,
and written into the maps without the PNG images they never show.
"""

from __future__ import annotations

import re
from importlib import resources

import offlinefolium as folium
from offlinefolium.elements import JSCSSMixin

# only the assets the maps use: Leaflet itself (no jQuery, Bootstrap or icon fonts)
LEAFLET_JS = tuple(js for js in folium.Map.default_js if js[0] == "leaflet")
LEAFLET_CSS = tuple(css for css in folium.Map.default_css if css[0] == "leaflet_css")

_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_SCRIPT = re.compile(r"<script>.*?</script>", re.S)
_PNG = re.compile(r"background-image:\s*url\(data:image/png;base64,[A-Za-z0-9+/=]+\);")


def asset_text(name: str) -> str:
    """The text of ``pamgeo/render/assets/<name>`` (a script without its final newline)."""
    return (resources.files("pamgeo.render") / "assets" / name).read_text(encoding="utf-8").rstrip("\n")


class _LeafletStylesheet(JSCSSMixin):
    """An element with Leaflet's stylesheet as its only asset: offlinefolium writes it into the
    header of the figure it is rendered in."""

    default_js = ()
    default_css = LEAFLET_CSS


class _LeafletScript(JSCSSMixin):
    """An element with Leaflet's script as its only asset (as :class:`_LeafletStylesheet`)."""

    default_js = LEAFLET_JS
    default_css = ()


def leaflet_scripts() -> list[tuple[str, str]]:
    """Leaflet's script as offlinefolium writes it into the header of a map: ``(name, html)``.

    offlinefolium compiles the 150 KB as a Jinja template for every map it renders; a map
    given these (:func:`pamgeo.render.maps.base_map`) writes them as they are.
    """
    figure = folium.Figure()
    script = _LeafletScript()
    figure.add_child(script)
    script.render()
    found = _SCRIPT.findall(figure.header.render())
    if len(found) != len(LEAFLET_JS):
        raise ValueError("offlinefolium no longer embeds Leaflet's script as a <script> block")
    return [(name, text) for (name, _), text in zip(LEAFLET_JS, found, strict=True)]


def leaflet_css() -> str | None:
    """Leaflet's CSS as offlinefolium embeds it, without the three PNG images the maps never
    show (layer-control toggle, collapsed=False; default marker icon, no markers): 4.6 KB of
    base64 that gzip cannot shrink. None if offlinefolium does not embed it as a ``<style>``."""
    figure = folium.Figure()
    stylesheet = _LeafletStylesheet()
    figure.add_child(stylesheet)
    stylesheet.render()
    found = _STYLE.search(figure.header.render())
    if found is None or not found.group(1).strip():
        return None
    return _PNG.sub("", found.group(1))


__all__ = ["LEAFLET_CSS", "LEAFLET_JS", "asset_text", "leaflet_css", "leaflet_scripts"]
