"""What changed between two classifications, drawn: tables, a standalone page and a map layer.

Pure: takes a :class:`pamgeo.analysis.changes.Changes`, returns HTML strings or adds to a
``folium.Map``; no file access (``pamgeo compare --out`` writes them). Every value from data is
escaped.

The map symbols differ in shape as well as colour (Okabe-Ito colours, safe for the common
colour-vision deficiencies, and readable in greyscale print): up a class ▲ vermillion, down a
class ▼ blue, added ✚ bluish green, removed ✖ hollow grey, to/from a special location ◆
reddish purple.
"""

from __future__ import annotations

import html
import json

import geopandas as gpd
import offlinefolium as folium
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from pamgeo.analysis.changes import CHANGES, Changes
from pamgeo.core.i18n import number, t, tf
from pamgeo.core.vocabulary import class_label
from pamgeo.render.webmap_legend import add_entry

#: symbol of each change on the map: (shape, fill, outline)
SYMBOLS: dict[str, tuple[str, str, str]] = {
    "up": ("triangle_up", "#D55E00", "#3b1600"),
    "down": ("triangle_down", "#0072B2", "#001f33"),
    "added": ("plus", "#009E73", "#00301f"),
    "removed": ("cross", "#ffffff", "#444444"),
    "changed": ("diamond", "#CC79A7", "#3d1f33"),
}

_SHAPES = {
    "triangle_up": "<polygon points='9,1 17,16 1,16' fill='{f}' stroke='{s}' stroke-width='1.5'/>",
    "triangle_down": "<polygon points='1,2 17,2 9,17' fill='{f}' stroke='{s}' stroke-width='1.5'/>",
    "plus": "<circle cx='9' cy='9' r='8' fill='{f}' stroke='{s}' stroke-width='1.2'/>"
            "<path d='M9 4v10M4 9h10' stroke='#fff' stroke-width='2.6'/>",
    "cross": "<circle cx='9' cy='9' r='8' fill='{f}' stroke='{s}' stroke-width='1.5' stroke-dasharray='3 2'/>"
             "<path d='M5 5l8 8M13 5l-8 8' stroke='{s}' stroke-width='2.4'/>",
    "diamond": "<polygon points='9,1 17,9 9,17 1,9' fill='{f}' stroke='{s}' stroke-width='1.5'/>",
}

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;margin:24px;color:#1b1b1b;max-width:1200px}
h1{font-size:22px;margin-bottom:4px} h3{margin-top:28px}
.pamgeo-table{border-collapse:collapse;font-size:13px;margin:8px 0}
.pamgeo-table th,.pamgeo-table td{border:1px solid #c8c8c8;padding:3px 7px;text-align:left;vertical-align:top}
.pamgeo-table th{background:#f1f1f1} .pamgeo-table td.num{text-align:right}
.pamgeo-table tr.total td{font-weight:600;background:#fafafa}
.small{font-size:12px;color:#555} .sym{display:inline-block;vertical-align:middle;margin-right:4px}
.banner{font-weight:700;letter-spacing:.05em;color:#b42318}
"""


def symbol_svg(change: str, size: int = 18) -> str:
    """The map symbol of ``change`` as inline SVG (for markers and the legend)."""
    shape, fill, stroke = SYMBOLS[change]
    body = _SHAPES[shape].format(f=fill, s=stroke)
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{size}' height='{size}' viewBox='0 0 18 18' "
            f"class='sym' aria-hidden='true'>{body}</svg>")


def change_label(change: str, lang: str = "id") -> str:
    """A change as the reader sees it ("naik kelas", "up a class", ...)."""
    return t(f"change_{change}", lang)


def _esc(value: object) -> str:
    """Escaped text for the page and the map (braces as entities: branca compiles scripts as templates)."""
    return html.escape("" if value is None or (isinstance(value, float) and value != value) else str(value)) \
        .replace("{", "&#123;").replace("}", "&#125;")


def _cls(value: object, lang: str) -> str:
    return class_label(value, lang) if isinstance(value, str) and value else "-"


def _table(rows: list[list[object]], headers: list[str], *, total: list[object] | None = None,
           lang: str = "id") -> str:
    def cell(v: object) -> str:  # numbers in the language's format
        if isinstance(v, int) and not isinstance(v, bool):
            return f"<td class='num'>{number(v, lang)}</td>"
        return f"<td>{v}</td>" if isinstance(v, _Raw) else f"<td>{_esc(v)}</td>"

    head = "".join(f"<th>{_esc(h)}</th>" for h in headers)
    body = ["<tr>" + "".join(cell(v) for v in r) + "</tr>" for r in rows]
    if total is not None:
        body.append("<tr class='total'>" + "".join(cell(v) for v in total) + "</tr>")
    return f"<table class='pamgeo-table'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class _Raw(str):
    """HTML made here (a symbol), not escaped again."""


def _signed(n: int, lang: str) -> str:
    return f"+{number(n, lang)}" if n > 0 else f"{number(n, lang)}"


def summary_table(changes: Changes, *, lang: str = "id") -> str:
    """TPS per change, with its map symbol."""
    counts = changes.counts
    rows = [[_Raw(symbol_svg(c) if c in SYMBOLS else ""), change_label(c, lang), counts[c]]
            for c in CHANGES if counts[c] or c != "changed"]
    return (f"<h3>{_esc(t('changes_summary', lang))}</h3>"
            + _table(rows, ["", t("change", lang), t("n_tps", lang)],
                     total=["", t("total", lang), int(sum(counts.values()))], lang=lang))


def by_class_table(changes: Changes, *, lang: str = "id") -> str:
    """TPS per class before and after, with the difference."""
    bc = changes.by_class
    rows = [[class_label(r.risk_class, lang), int(r.n_old), int(r.n_new), _signed(int(r.delta), lang)]
            for r in bc.itertuples(index=False) if r.n_old or r.n_new or r.risk_class != "khusus"]
    headers = [t("risk_class", lang), _side_header(changes, "old", lang), _side_header(changes, "new", lang),
               t("changes_delta", lang)]
    total = [t("total", lang), int(bc["n_old"].sum()), int(bc["n_new"].sum()),
             _signed(int(bc["n_new"].sum() - bc["n_old"].sum()), lang)]
    return f"<h3>{_esc(t('changes_by_class', lang))}</h3>" + _table(rows, headers, total=total, lang=lang)


def _side_header(changes: Changes, side: str, lang: str) -> str:
    label = changes.old_label if side == "old" else changes.new_label
    word = t("changes_old" if side == "old" else "changes_new", lang)
    return f"{word}: {label}" if label else word


def by_kecamatan_table(changes: Changes, *, lang: str = "id") -> str:
    """Per kecamatan: the changes, and rawan / sangat rawan before -> after."""
    k = changes.by_kecamatan
    shown = [c for c in CHANGES if c != "changed" or k[c].sum()]
    watch = ("rawan", "sangat_rawan")
    rows = []
    for r in k.to_dict("records"):
        name = f"{r['kecamatan']} ({r['kode_kec']})" if r["kecamatan"] else r["kode_kec"]
        rows.append([name, *[int(r[c]) for c in shown],
                     *[f"{number(int(r['old_' + c]), lang)} → {number(int(r['new_' + c]), lang)}" for c in watch]])
    total = [t("total", lang), *[int(k[c].sum()) for c in shown],
             *[f"{number(int(k['old_' + c].sum()), lang)} → {number(int(k['new_' + c].sum()), lang)}" for c in watch]]
    headers = [t("kecamatan", lang), *[change_label(c, lang) for c in shown],
               *[class_label(c, lang) for c in watch]]
    return f"<h3>{_esc(t('changes_by_kecamatan', lang))}</h3>" + _table(rows, headers, total=total, lang=lang)


def changes_table(changes: Changes, *, lang: str = "id", include_unchanged: bool = False) -> str:
    """Every TPS that changed (``include_unchanged``: every TPS) with its classes, dates and authority."""
    tab = changes.table if include_unchanged else changes.table[changes.table["change"] != "unchanged"]
    title = f"<h3>{_esc(t('changes_list', lang))} ({number(len(tab), lang)})</h3>"
    if tab.empty:
        return title + f"<p>{_esc(t('none', lang))}</p>"
    rows = []
    for r in tab.to_dict("records"):
        sym = _Raw(symbol_svg(r["change"], 14) if r["change"] in SYMBOLS else "")
        auth = r["authority_new"] or r["authority_old"]
        rows.append([sym, change_label(r["change"], lang), r["tps_id"], r["kecamatan"] or r["kode_kec"],
                     r["kelurahan"] or r["kode_kel"], "" if pd.isna(r["tps_no"]) else int(r["tps_no"]),
                     f"{_cls(r['class_old'], lang)} → {_cls(r['class_new'], lang)}",
                     f"{r['date_old'] or '-'} → {r['date_new'] or '-'}", auth])
    headers = ["", t("change", lang), t("tps_id", lang), t("kecamatan", lang), t("kelurahan", lang), t("tps_no", lang),
               t("risk_class", lang), t("date", lang), t("class_authority", lang)]
    return title + _table(rows, headers, lang=lang)


def changes_text(changes: Changes, *, lang: str = "id") -> str:
    """A plain-text summary for the terminal: changes, classes before/after, per kecamatan."""
    counts = changes.counts
    lines = [f"{t('changes_old', lang)}: {changes.old_label}", f"{t('changes_new', lang)}: {changes.new_label}", ""]
    w = max(len(change_label(c, lang)) for c in CHANGES)
    lines += [f"  {change_label(c, lang):<{w}}  {counts[c]:>7,}" for c in CHANGES]
    lines.append("")
    lines.append(f"  {t('risk_class', lang):<16} {t('changes_old', lang):>9} {t('changes_new', lang):>9} "
                 f"{t('changes_delta', lang):>9}")
    for r in changes.by_class.itertuples(index=False):
        lines.append(f"  {class_label(r.risk_class, lang):<16} {number(r.n_old, lang):>9} {number(r.n_new, lang):>9} {_signed(int(r.delta), lang):>9}")
    lines.append("")
    k = changes.by_kecamatan
    lines.append(f"  {t('kecamatan', lang):<28} " + " ".join(f"{t(f'change_{c}_short', lang):>8}" for c in CHANGES))
    for r in k.to_dict("records"):
        name = (r["kecamatan"] or r["kode_kec"])[:28]
        lines.append(f"  {name:<28} " + " ".join(f"{number(int(r[c]), lang):>8}" for c in CHANGES))
    return "\n".join(lines)


class _Legend(MacroElement):
    """A legend box (a Leaflet control) listing the change symbols drawn."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "bottomright"});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create("div", "pamgeo-changes-legend");
            div.style.cssText = "background:#fff;padding:6px 9px;border:1px solid #999;border-radius:4px;font:12px/1.5 sans-serif";
            div.innerHTML = {{ this.content }};
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, content: str) -> None:
        super().__init__()
        self.content = json.dumps(content).replace("</", "<\\/")


def add_changes(m: folium.Map, changes_gdf: gpd.GeoDataFrame, *, lang: str = "id",
                legend: list | None = None) -> list[folium.GeoJson]:
    """Draw TPS up a class, down a class, added, removed (and to/from khusus) on ``m``.

    ``changes_gdf``: :func:`pamgeo.analysis.changes.changes_points` (points, any CRS, with
    ``tps_id, kelurahan, class_old, class_new, date_old, date_new, change``). One layer per change
    (named with its count, for the layer control) and one legend entry per change drawn; each
    symbol differs in shape as well as colour. With the map's ``legend`` list (a briefing map) the
    entries join the map's own legend; without it (the compare page) they get a legend box of
    their own. Returns the layers.
    """
    if changes_gdf is None or changes_gdf.empty:
        return []
    gdf = changes_gdf.to_crs("EPSG:4326") if changes_gdf.crs is not None else changes_gdf.set_crs("EPSG:4326")
    layers, box = [], [f"<b>{_esc(t('change', lang))}</b>"]
    for change in SYMBOLS:
        sel = gdf[gdf["change"] == change]
        if sel.empty:
            continue
        props = pd.DataFrame({
            "tps": sel["tps_id"].map(_esc), "kel": sel.get("kelurahan", pd.Series("", index=sel.index)).map(_esc),
            "kelas": [_esc(f"{_cls(a, lang)} → {_cls(b, lang)}") for a, b in zip(sel["class_old"], sel["class_new"],
                                                                             strict=True)],
            "tanggal": [_esc(f"{a or '-'} → {b or '-'}") for a, b in zip(sel["date_old"], sel["date_new"], strict=True)],
        })
        features = [{"type": "Feature", "properties": p, "geometry": {"type": "Point",
                                                                         "coordinates": [round(g.x, 6), round(g.y, 6)]}}
                    for p, g in zip(props.to_dict("records"), sel.geometry, strict=True)]
        name = f"{change_label(change, lang)} ({number(len(sel), lang)})"
        icon = folium.DivIcon(html=symbol_svg(change), icon_size=(18, 18), icon_anchor=(9, 9))
        layer = folium.GeoJson(
            {"type": "FeatureCollection", "features": features}, name=_esc(name),
            marker=folium.Marker(icon=icon),
            tooltip=folium.GeoJsonTooltip(fields=["tps", "kel", "kelas", "tanggal"],
                                          aliases=[_esc(t("tps_id", lang)), _esc(t("kelurahan", lang)),
                                                   _esc(t("risk_class", lang)), _esc(t("date", lang))]),
        )
        layer.add_to(m)
        layers.append(layer)
        box.append(f"<div>{symbol_svg(change, 14)} {_esc(name)}</div>")
        add_entry(legend, layer, name, "svg", {"svg": symbol_svg(change, 14)})
    if legend is None:
        _Legend("".join(box)).add_to(m)
    return layers


def changes_map(changes_gdf: gpd.GeoDataFrame, *, lang: str = "id") -> folium.Map | None:
    """A map of the changed TPS alone (OSM tiles, when online), or ``None`` without positions."""
    if changes_gdf is None or changes_gdf.empty:
        return None
    gdf = changes_gdf.to_crs("EPSG:4326")
    x0, y0, x1, y1 = gdf.total_bounds
    m = folium.Map(tiles="OpenStreetMap", control_scale=True)
    m.fit_bounds([[y0, x0], [y1, x1]], padding=(20, 20))
    add_changes(m, gdf, lang=lang)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def changes_page(changes: Changes, *, lang: str = "id", title: str | None = None,
                 changes_gdf: gpd.GeoDataFrame | None = None, classification: str | None = None) -> str:
    """The whole comparison as one self-contained HTML page (the map, when positions are given)."""
    heading = title or t("changes_title", lang)
    banner = f"<p class='banner'>{_esc(classification)}</p>" if classification else ""
    parts = [
        f"<!DOCTYPE html><html lang='{_esc(lang)}'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{_esc(heading)}</title>"
        f"<style>{_CSS}</style></head><body>{banner}<h1>{_esc(heading)}</h1>",
        f"<p>{_esc(t('changes_old', lang))}: <b>{_esc(changes.old_label)}</b> · "
        f"{_esc(t('changes_new', lang))}: <b>{_esc(changes.new_label)}</b></p>",
        summary_table(changes, lang=lang), by_class_table(changes, lang=lang), by_kecamatan_table(changes, lang=lang),
    ]
    m = changes_map(changes_gdf, lang=lang) if changes_gdf is not None else None
    if m is not None:
        doc = m.get_root().render()
        parts.append(f"<h3>{_esc(t('changes_map', lang))}</h3><iframe title='{_esc(t('changes_map', lang))}' "
                     f"style='width:100%;height:560px;border:1px solid #ccc' srcdoc=\"{html.escape(doc)}\"></iframe>")
        n_changed = int((changes.table["change"] != "unchanged").sum())
        if len(changes_gdf) < n_changed:
            parts.append(f"<p class='small'>{_esc(t('changes_no_position', lang))}: "
                         f"{number(n_changed - len(changes_gdf), lang)}</p>")
    parts.append(changes_table(changes, lang=lang))
    parts.append(f"<p class='small'>{_esc(t('changes_note', lang))}</p></body></html>")
    return "".join(parts)



def changes_section(changes: Changes | None, *, lang: str = "id") -> str:
    """The briefing's section on what changed between the two latest official lists (the
    summary, classes before and after, per kecamatan); empty without two dated lists."""
    if changes is None:
        return ""
    title = f"<h3>{_esc(tf('changes_between', lang, old=changes.old_label, new=changes.new_label))}</h3>"
    return (title + summary_table(changes, lang=lang) + by_class_table(changes, lang=lang)
            + by_kecamatan_table(changes, lang=lang))
