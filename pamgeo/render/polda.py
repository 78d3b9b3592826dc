"""The Polda briefing page: headline numbers per Polres, the reported figures, a map, the links.

Pure: takes the member summaries (:func:`pamgeo.analysis.national.member_summary`) and the group
config, returns HTML. The map is a folium map drawn with :mod:`pamgeo.render.maps`' base map and
compact layers, embedded self-contained with :func:`pamgeo.render.maps.map_iframe`.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd

from pamgeo import __version__
from pamgeo.core.groups import GroupConfig
from pamgeo.core.i18n import number, t, tf, when
from pamgeo.core.vocabulary import CLASSES, class_label
from pamgeo.render.maps import base_map, map_iframe
from pamgeo.render.page import templates
from pamgeo.render.webmap_elements import GeoJson, tooltip
from pamgeo.render.webmap_encoding import layer_data

PALETTE = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")


def esc(value: object) -> str:
    return html.escape(str(value))


def fmt(value: object, lang: str = "id") -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if isinstance(value, int | float):
        return f"{number(int(value), lang)}"
    return esc(value)


def group_page(group: GroupConfig, *, title: str, subtitle: str, body: str, lang: str, attributions: list[str],
               nav: str = "") -> str:
    """A complete page (the briefing page template) for a group: banner, title, body, attribution."""
    return templates().get_template("page.html").render(
        lang=lang, title=title, subtitle=subtitle, body=body, nav=nav, classification=group.group.classification,
        estimated_note="", attribution_label=t("attribution", lang), attributions=attributions,
        generated_label=t("generated", lang),
        generated=when(datetime.now(UTC), lang), version=__version__, notes=[])


def _table(head: list[str], rows: list[list[str]], total: list[str] | None = None) -> str:
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(rows_cell for rows_cell in r) + "</tr>" for r in rows)
    if total:
        body += "<tr class='total'>" + "".join(total) + "</tr>"
    return f"<table class='pamgeo-table'><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _num(v: object, lang: str) -> str:
    return f"<td class='num'>{fmt(v, lang)}</td>"


def headline(total: dict, lang: str) -> str:
    """The Polda's headline numbers, one line each."""
    items = [
        (t("n_tps", lang), fmt(total["tps"], lang)),
        (t("polda_by_class", lang), " · ".join(f"{class_label(c, lang)} {fmt(total[c], lang)}" for c in CLASSES)),
        (t("polda_polri_needed", lang), f"{fmt(total['polri_needed'], lang)} ({t('polda_incl_reserve', lang)} "
                                        f"{fmt(total['reserve'], lang)})"),
        (t("polda_available", lang), fmt(total["available"], lang)),
        (t("polda_shortfall", lang), fmt(total["shortfall"], lang)),
        (t("polda_flood", lang), f"{t('flood_tinggi', lang)} {fmt(total['flood_tinggi'], lang)} · "
                                 f"{t('flood_sedang', lang)} {fmt(total['flood_sedang'], lang)} · "
                                 f"{t('flood_rendah', lang)} {fmt(total['flood_rendah'], lang)}"),
        (t("polda_pockets", lang), f"{fmt(total['pockets_rawan'], lang)} "
                                   f"({tf('polda_pocket_tps', lang, n=total['pocket_tps_rawan'])})"),
        (t("polda_estimated", lang), f"{fmt(total['estimated'], lang)} · {t('polda_left_out', lang)} {fmt(total['left_out'], lang)}"),
    ]
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in items)
    return f"<table class='pamgeo-table'>{rows}</table>"


def polres_table(table: pd.DataFrame, total: dict, runs: list[dict], lang: str) -> str:
    """A row per Polres: TPS by class, personnel, flood, pockets, estimates; links to its briefings."""
    head = ["Polres", t("n_tps", lang), *(class_label(c, lang) for c in CLASSES), t("polda_polri_needed", lang),
            t("polda_reserve", lang), t("polda_available", lang), t("polda_shortfall", lang),
            t("polda_flood_short", lang), t("polda_pockets_short", lang), t("polda_estimated_short", lang),
            t("polda_left_out", lang), t("polda_briefings", lang)]
    rows = []
    for r in table.to_dict("records"):
        links = []
        for run in (x for x in runs if x["member"] == r["member"]):
            if run.get("status") == "ok":
                links.append(f"<a href='{esc(run['run_id'])}/index.html'>{esc(run['name'])}</a>")
            else:
                links.append(f"<span style='color:#b42318'>{esc(run['name'])}: {esc(t('failed', lang))}"
                             f" ({esc(str(run.get('error', ''))[:160])})</span>")
        flood = r["flood_tinggi"] + r["flood_sedang"] + r["flood_rendah"]
        rows.append([f"<td>{esc(r['polres'])}</td>", _num(r["tps"], lang), *(_num(r[c], lang) for c in CLASSES),
                     _num(r["polri_needed"], lang), _num(r["reserve"], lang), _num(r["available"], lang), _num(r["shortfall"], lang),
                     _num(flood, lang), _num(r["pockets_rawan"], lang), _num(r["estimated"], lang), _num(r["left_out"], lang),
                     f"<td>{'<br>'.join(links)}</td>"])
    flood_total = total["flood_tinggi"] + total["flood_sedang"] + total["flood_rendah"]
    tot = [f"<td>{esc(t('total', lang))}</td>", _num(total["tps"], lang), *(_num(total[c], lang) for c in CLASSES),
           _num(total["polri_needed"], lang), _num(total["reserve"], lang), _num(total["available"], lang), _num(total["shortfall"], lang),
           _num(flood_total, lang), _num(total["pockets_rawan"], lang), _num(total["estimated"], lang), _num(total["left_out"], lang),
           "<td></td>"]
    return _table(head, rows, tot)


def reported_table(group: GroupConfig, total: dict, lang: str) -> str:
    """The run's totals beside the published figures (labelled as reported, with date and source)."""
    keys = ["tps", "kurang_rawan", "rawan", "sangat_rawan", "personnel", "polri"]
    head = [t("polda_figure", lang), t("polda_date", lang), t("polda_source", lang), t("n_tps", lang),
            *(class_label(c, lang) for c in ("kurang_rawan", "rawan", "sangat_rawan")),
            t("polda_personnel", lang), "Polri"]
    rows = []
    for rep in group.reported:
        rows.append([f"<td>{esc(t('polda_reported', lang))}: {esc(rep.label)}</td>", f"<td>{esc(rep.date)}</td>",
                     f"<td>{esc(rep.source)}</td>", *(_num(getattr(rep, k), lang) for k in keys)])
    mine = {"tps": total["tps"], "kurang_rawan": total["kurang_rawan"], "rawan": total["rawan"],
            "sangat_rawan": total["sangat_rawan"], "personnel": None, "polri": total["polri_needed"]}
    rows.append([f"<td><b>{esc(t('polda_this_run', lang))}</b></td>",
                 f"<td>{esc(datetime.now(UTC).astimezone().strftime('%Y-%m-%d'))}</td>",
                 f"<td>{esc(t('polda_this_run_source', lang))}</td>", *(_num(mine[k], lang) for k in keys)])
    return _table(head, rows)


def _bins(values: pd.Series) -> list[float]:
    vals = pd.to_numeric(values, errors="coerce").fillna(0)
    if vals.max() <= 0:
        return [0, 1, 2, 3]
    qs = sorted(set(vals.quantile([0.2, 0.4, 0.6, 0.8]).round().tolist()))
    return qs


def _colour(v: float, bins: list[float]) -> str:
    i = sum(v > b for b in bins)
    return PALETTE[min(i, len(PALETTE) - 1)]


def measure_values(table: pd.DataFrame, measure: str) -> pd.Series:
    if measure == "flood":
        return table["flood_tinggi"] + table["flood_sedang"] + table["flood_rendah"]
    if measure == "rawan":
        return table["rawan"] + table["sangat_rawan"]
    return pd.to_numeric(table[measure], errors="coerce").fillna(0)


def polda_map(runs: list[dict], table: pd.DataFrame, measure: str, attributions: list[str], *, lang: str):
    """The Polda's Polres areas shaded by ``measure``, with the pockets of rawan TPS."""
    values = dict(zip(table["member"], measure_values(table, measure), strict=True))
    polres = dict(zip(table["member"], table["polres"], strict=True))
    feats = []
    for run in runs:
        s = run.get("summary")
        if run.get("status") != "ok" or not s:
            continue
        for f in s["outline"]["features"]:
            feats.append({"geometry": f["geometry"], "polres": polres[run["member"]], "area": run["name"],
                          "value": float(values[run["member"]])})
    if not feats:
        return None
    from shapely.geometry import shape

    gdf = gpd.GeoDataFrame([{k: v for k, v in f.items() if k != "geometry"} for f in feats],
                           geometry=[shape(f["geometry"]) for f in feats], crs="EPSG:4326")
    minx, miny, maxx, maxy = gdf.total_bounds
    m = base_map(SimpleNamespace(config=SimpleNamespace(attributions=lambda: attributions)),
                 (minx, miny, maxx, maxy), lang=lang)
    bins = _bins(pd.Series(list(values.values())))
    gdf["label"] = gdf["value"].map(lambda v: f"{number(int(v), lang)}")
    GeoJson(layer_data(gdf, ["polres", "area", "label", "value"]), name=f"Polres: {t('measure_' + measure, lang)}",
            style_function=lambda f: {"color": "#333", "weight": 1.2, "fillOpacity": 0.7,
                                      "fillColor": _colour(f["properties"].get("value", 0), bins)},
            style_only=("value",), tooltip=tooltip(["polres", "area", "label"])).add_to(m)
    pockets = []
    for run in runs:
        s = run.get("summary") or {}
        for f in (s.get("pockets_geojson") or {}).get("features", []):
            pockets.append({"geometry": shape(f["geometry"]), "polres": polres.get(run["member"], "")})
    if pockets:
        pg = gpd.GeoDataFrame([{"polres": p["polres"]} for p in pockets],
                              geometry=[p["geometry"] for p in pockets], crs="EPSG:4326")
        GeoJson(layer_data(pg, ["polres"]), name=f"{t('pockets', lang)} ({len(pg)})",
                style_function=lambda f: {"color": "#b42318", "weight": 2, "fillColor": "#d62828",
                                          "fillOpacity": 0.3}, tooltip=tooltip(["polres"])).add_to(m)
    legend = f"<b>{esc(t('measure_' + measure, lang))}:</b> " + " ".join(
        f"<span style='background:{c};border:1px solid #999;padding:0 8px'></span> {esc(label)}"
        for c, label in zip(PALETTE, _bin_labels(bins, lang), strict=False))
    return m, legend


def _bin_labels(bins: list[float], lang: str) -> list[str]:
    """Readable classes of the shading: ``0``, ``1–12``, ``13–40``, ``> 40`` (not ``≤ 0``)."""
    labels, low = [], None
    for b in bins:
        hi = int(b)
        if low is None:
            labels.append(number(hi, lang) if hi <= 0 else f"≤ {number(hi, lang)}")
        elif hi > low:
            labels.append(f"{number(low + 1, lang)}–{number(hi, lang)}" if hi > low + 1 else number(hi, lang))
        low = hi
    labels.append(f"> {number(int(bins[-1]), lang)}")
    return labels


def polda_body(group: GroupConfig, table: pd.DataFrame, total: dict, runs: list[dict], *, lang: str,
               measure: str, attributions: list[str]) -> str:
    """Body of ``reports/<group>/index.html``."""
    failed = [r for r in runs if r.get("status") != "ok"]
    parts = []
    if failed:
        parts.append(f"<div class='error'>{esc(t('polda_failed_runs', lang))}: "
                     f"{esc(', '.join(r['run_id'] for r in failed))} (manifest.json)</div>")
    parts.append(f"<h2>{esc(t('polda_headline', lang))}</h2>" + headline(total, lang))
    parts.append(f"<h2>{esc(t('polda_reported_title', lang))}</h2>" + reported_table(group, total, lang)
                 + f"<p class='small'>{esc(t('polda_reported_note', lang))}</p>")
    drawn = polda_map(runs, table, measure, attributions, lang=lang)
    if drawn is not None:
        m, legend = drawn
        parts.append(f"<h2>{esc(t('polda_map', lang))}: {esc(t('measure_' + measure, lang))}</h2>"
                     + map_iframe(m, 620, lang=lang) + f"<p class='small'>{legend}</p>")
    parts.append(f"<h2>{esc(t('polda_per_polres', lang))}</h2>" + polres_table(table, total, runs, lang))
    parts.append(f"<p class='small'>{esc(t('polda_method_note', lang))}</p>")
    parts.append("<p><a href='manifest.json'>manifest.json</a></p>")
    return "\n".join(parts)
