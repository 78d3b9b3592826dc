"""The legend of a web map, made from what is drawn.

Each ``add_*`` layer function takes the map's ``legend`` list (made per map by
:func:`pamgeo.render.maps.briefing_map`) and appends a :class:`LegendEntry` for every symbol it
draws, with the style it draws it in; :func:`legend_rows` turns the entries into the legend's
rows, each tied to its layer (the legend shows the rows of the layers on the map).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pamgeo.render.webmap_encoding import escape_text


@dataclass(frozen=True)
class LegendEntry:
    """One symbol of a map's legend: the layer drawing it, its label and the style it is drawn in.

    ``kind`` is ``"point"`` (a circle marker), ``"line"``, ``"area"`` or ``"note"`` (text about
    the layer, no symbol); ``style`` holds Leaflet path options as the layer draws them.
    """

    layer: Any
    label: str
    kind: str
    style: dict = field(default_factory=dict)


def add_entry(legend: list | None, layer: Any, label: str, kind: str, style: dict | None = None) -> None:
    if legend is not None:
        legend.append(LegendEntry(layer, label, kind, dict(style or {})))


def legend_symbol(kind: str, style: dict) -> str:
    """A small SVG of a Leaflet style, as the map draws it (``kind``: point, line, area; ``svg``:
    a marker's own symbol, given as ``style["svg"]``)."""
    if kind == "svg":
        return style["svg"]
    color = style.get("color", "#3388ff")
    stroke = (f'stroke="{color}" stroke-width="{min(float(style.get("weight", 3)), 6):g}" '
              f'stroke-opacity="{style.get("opacity", 1)}"')
    if style.get("stroke") is False or style.get("weight") == 0:
        stroke = 'stroke="none"'
    if style.get("dashArray"):
        stroke += f' stroke-dasharray="{style["dashArray"]}"'
    fill = (f'fill="{style.get("fillColor", color)}" fill-opacity="{style.get("fillOpacity", 0.2)}"'
            if style.get("fill", True) else 'fill="none"')
    if kind == "point":
        r = max(3.0, min(6.5, 0.75 * float(style.get("radius", 6))))
        shape = f'<circle cx="10" cy="8" r="{r:g}" {fill} {stroke}/>'
    elif kind == "line":
        shape = f'<line x1="1" y1="8" x2="19" y2="8" {stroke}/>'
    else:
        shape = f'<rect x="2" y="2" width="16" height="12" rx="1" {fill} {stroke}/>'
    return f'<svg width="20" height="16" viewBox="0 0 20 16" aria-hidden="true">{shape}</svg>'


def legend_rows(entries: list[LegendEntry]) -> list[tuple[Any, str]]:
    """The legend's rows, ``(layer, html)`` in the order drawn (labels HTML-escaped here)."""
    rows = []
    for e in entries:
        text = escape_text(e.label)
        if e.kind == "note":
            rows.append((e.layer, f"<span class='lg-note'>{text}</span>"))
        else:
            rows.append((e.layer, f"{legend_symbol(e.kind, e.style)}<span>{text}</span>"))
    return rows
