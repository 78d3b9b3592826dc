"""The layers of the web maps: what each shows, in which style, with which details.

Every ``add_*`` function draws one kind of feature of a briefing map as one compact GeoJSON layer
(:class:`pamgeo.render.webmap_elements.GeoJson`) cut to the map's area; :func:`add_tools`
adds search and measuring. The base layers (kelurahan, kecamatan, roads, rivers, street names)
are in :mod:`pamgeo.render.webmap_base`, the legend in :mod:`pamgeo.render.webmap_legend`.

The legend is made from what is drawn: each ``add_*`` function takes the map's ``legend`` list
(made per map by :func:`pamgeo.render.maps.briefing_map`) and appends a :class:`LegendEntry` for
every symbol it draws, with the style it draws it in; :func:`legend_rows` turns the entries into
the legend's rows, each tied to its layer (the legend shows the rows of the layers on the map).
Colours come from :mod:`pamgeo.render.palette`.
"""

from __future__ import annotations

import html
import math

import geopandas as gpd
import numpy as np
import offlinefolium as folium
import pandas as pd
import shapely

from pamgeo.analysis.flood import access_status
from pamgeo.core.i18n import t
from pamgeo.core.vocabulary import CLASSES, FLOOD_LABELS, FLOOD_LEVELS, class_label
from pamgeo.ingest.io import WGS84
from pamgeo.render import palette as P
from pamgeo.render.webmap_assets import asset_text
from pamgeo.render.webmap_base import NEARBY_M, clip
from pamgeo.render.webmap_elements import (
    Box,
    GeoJson,
    Measure,
    Search,
    popup,
    stylesheet,
    tooltip,
)
from pamgeo.render.webmap_encoding import (
    column_values,
    escape_text,
    escaped_values,
    feature_collection,
    geojson_geometries,
    layer_data,
)
from pamgeo.render.webmap_legend import add_entry
from pamgeo.render.webmap_zones import zone, zone_data, zones_in

CLASS_STYLE = {c: {"fillColor": P.CLASS_COLOURS[c], "color": P.CLASS_OUTLINES[c]} for c in CLASSES}


NO_CLASS_STYLE = {"fillColor": P.NO_CLASS_COLOUR, "color": P.NO_CLASS_OUTLINE}


FLOOD_COLORS = P.FLOOD_COLOURS


RAYON_COLORS = P.RAYON_COLOURS


BAND_COLORS = P.BAND_COLOURS


#: the ``performance.mark`` a map sets in the animation frame that first paints its TPS
TPS_DRAWN_MARK = "pamgeo-tps-drawn"


#: TPS drawn larger, and kept clear of the map's controls in the first view
PRIORITY_CLASSES = ("rawan", "sangat_rawan")


#: words that mark a police unit as planned, not yet built (the ``status`` column)
PLANNED_WORDS = ("planned", "rencana", "direncanakan")


def planned_units(posts: pd.DataFrame) -> pd.Series:
    """True for police units that are planned, not yet there (their ``status`` says so)."""
    if "status" not in posts:
        return pd.Series(False, index=posts.index)
    status = posts["status"].fillna("").astype(str).str.strip().str.lower()
    return status.str.startswith(PLANNED_WORDS)


#: the columns of the TPS table the layers read (:func:`add_tps`, :func:`add_cut_tps`, :func:`must_see`,
#: :func:`add_routes`; ``pamgeo.analysis.flood.access_status``, ``pamgeo.analysis.changes.changes_points``)
TPS_COLUMNS = ("tps_id", "kelurahan", "alamat", "risk_class", "position_source", "risk_class_source",
               "risk_class_date", "risk_reasons", "pocket_id", "risk_score", "rayon", "polsek", "response_min",
               "flood_class", "flood_reasons", "access_cut", "raster_not_modelled", "detour_min",
               "cut_unreachable", "position_note", "position_check")


#: the columns of the TPS table drawn as "" when it has none (those of the analysis)
OPTIONAL_TPS_COLUMNS = ("risk_class", "risk_score", "risk_reasons", "rayon", "polsek", "flood_reasons",
                        "position_note", "position_check")


def add_tps(m: folium.Map, tps: gpd.GeoDataFrame, *, lang: str, compact: bool = False,
            legend: list | None = None) -> folium.GeoJson:
    """All TPS as one layer of circles, coloured by risk class, with popups and tooltips.

    ``tps`` may carry the risk and pocket columns of :func:`pamgeo.analysis.pipeline.analyse`; without
    them TPS are drawn in one colour. The layer is a point table (``GeoJson(table=True)``) drawn
    on a canvas of its own, above the areas and routes, below the layers added after it (police,
    staging, cut-off rings), as it was when every TPS was a circle marker: thousands of TPS
    draw in tens of milliseconds. It sets the ``TPS_DRAWN_MARK`` performance mark.
    """

    # each property a list of values, escaped (as to_geojson writes the columns): the table's
    # own columns, and those made here (texts, as a GeoDataFrame would hold them)
    n = len(tps)

    def values(col: str, missing: object = "") -> list:
        return column_values(tps[col]) if col in tps else [missing] * n

    rc = values("risk_class")
    cols = {"kelas": [class_label(c, lang) if c else "" for c in rc],
            "posisi": column_values(tps["position_source"].map(lambda s: t(s, lang))),
            "sumber_kelas": [f"{t(src, lang)} {date}".strip() if src else ""
                             for src, date in zip(values("risk_class_source"), values("risk_class_date"), strict=True)],
            "kantong": column_values(tps["pocket_id"].fillna("").astype(str)) if "pocket_id" in tps else [""] * n}
    access_cut = [bool(v) if v != "" else False for v in values("access_cut")]
    minutes, unreachable, detour = t("minutes", lang), t("unreachable", lang), t("detour", lang)
    cols["respon"] = [f"{v:.0f} {minutes}" if isinstance(v, float) and math.isfinite(v)
                      else ("" if v == "" else unreachable) for v in values("response_min")]
    fl = FLOOD_LABELS.get(lang, FLOOD_LABELS["id"])
    cols["banjir"] = [fl.get(c, "") if c else "" for c in values("flood_class")]
    if "raster_not_modelled" in tps:
        cols["banjir"] = [f"{b} ({t('not_modelled', lang)})" if nm else b
                          for b, nm in zip(cols["banjir"], values("raster_not_modelled"), strict=True)]
    cols["akses"] = [
        (unreachable if u else f"{detour} {d:.0f} {minutes}") if c is True else ""
        for c, d, u in zip(access_cut, values("detour_min", np.nan), values("cut_unreachable", False), strict=True)
    ]
    fields = ["tps_id", "kelurahan", "kelas", "sumber_kelas", "risk_score", "risk_reasons", "kantong", "rayon",
              "polsek", "respon", "banjir", "flood_reasons", "akses", "posisi", "position_note", "position_check",
              "alamat"]
    aliases = [t("tps_id", lang), t("kelurahan", lang), t("risk_class", lang), t("class_source", lang),
               t("risk_score", lang), t("risk_reasons", lang), t("pocket", lang), "Rayon", "Polsek",
               t("response_min", lang), t("flood_class", lang), t("flood_reasons", lang), t("access_cut", lang),
               t("position_source", lang), t("position_note", lang), t("position_check", lang), t("address", lang)]
    if compact:  # region overview: thousands of TPS, short popups
        keep = ["tps_id", "kelurahan", "kelas", "kantong", "rayon", "respon", "banjir"]
        aliases = [aliases[fields.index(f)] for f in keep]
        fields = keep
    properties = [*fields, "risk_class", "position_source"]

    def own(name: str) -> pd.Series | list:  # a column of the table, "" in every row if it may lack it
        if name not in tps and name in OPTIONAL_TPS_COLUMNS:
            return [""] * n
        return tps[name].fillna("") if name in ("position_note", "position_check") else tps[name]

    escaped = {name: escaped_values(cols[name] if name in cols else own(name)) for name in properties}
    # drawn in this order: the rawan and sangat rawan TPS last, on top of the others
    order = np.argsort([{"rawan": 1, "sangat_rawan": 2}.get(c, 0) for c in rc], kind="stable")
    geometries, drawn = geojson_geometries(tps.geometry.to_numpy()[order], tps.crs)
    drawn = order[drawn]  # the rows drawn, in order
    gj = feature_collection(geometries, properties,  # written as one table (GeoJson table=True)
                            [[escaped[name][i] for i in drawn.tolist()] for name in properties])
    styles: dict[tuple, dict] = {}  # one dict per style (GeoJson writes each once)

    def style(feature: dict) -> dict:
        p = feature["properties"]
        key = (p["risk_class"], p["position_source"] == "estimated")
        if key not in styles:
            styles[key] = tps_style(*key)
        return styles[key]

    layer = GeoJson(
        gj, name=f"{t('tps', lang)} ({len(tps)})",
        marker=folium.CircleMarker(radius=5),
        style_function=style, style_only=("risk_class", "position_source"),
        popup=popup(fields, aliases=aliases, max_width=380),
        tooltip=tooltip(["tps_id", "kelas"]), table=True, mark=TPS_DRAWN_MARK,
    ).add_to(m)
    present = set(rc)
    estimated = tps["position_source"] == "estimated"
    for cls in [c for c in CLASSES if c in present] + ([""] if present - set(CLASSES) else []):
        label = f"TPS {class_label(cls, lang)}" if cls else t("tps", lang)
        add_entry(legend, layer, label, "point", tps_style(cls, bool(estimated.all())))
    if estimated.any():
        add_entry(legend, layer, f"{t('position_source', lang)}: {t('estimated', lang)}", "point",
               {**tps_style("", True), "fillColor": "#ffffff", "color": "#333333"})
        Box(html.escape(t("estimated_short", lang)), "topright", "pamgeo-note").add_to(m)
    return layer


def tps_style(risk_class: str, estimated: bool) -> dict:
    """The circle marker of a TPS of ``risk_class`` ("" for none), dashed if its position is estimated."""
    s = dict(CLASS_STYLE.get(risk_class, NO_CLASS_STYLE))
    radius = {"sangat_rawan": 8, "rawan": 7}.get(risk_class, 4.5)
    s.update({"weight": 1.2, "fill": True, "fillOpacity": 0.85, "radius": radius})
    if risk_class == "sangat_rawan":
        s["weight"] = 2
    if estimated:
        s.update({"dashArray": "2 2", "fillOpacity": 0.7})
    return s


def add_pockets(m: folium.Map, polygons: gpd.GeoDataFrame | None, *, lang: str, legend: list | None = None,
                with_rawan: set[str] | None = None) -> None:
    """Pockets as hulls, in two layers: kantong kerawanan (holding rawan or sangat rawan TPS; of
    the page's area when ``with_rawan`` names them) and dense clusters (grey), each with its count."""
    if polygons is None or polygons.empty:
        return
    fields = ["pocket_id", "n_tps", "n_rawan", "n_sangat_rawan", "dominant_reasons", "kelurahan"]
    aliases = [t("pocket", lang), t("n_tps", lang), class_label("rawan", lang), class_label("sangat_rawan", lang),
               t("dominant_reasons", lang), t("kelurahan", lang)]
    risky = (polygons["pocket_id"].astype(str).isin(with_rawan) if with_rawan is not None
             else (polygons["n_rawan"] + polygons["n_sangat_rawan"]) > 0)
    for sel, name, colour in ((polygons[risky], "pockets", P.POCKET_COLOUR),
                              (polygons[~risky], "dense_clusters", P.CLUSTER_COLOUR)):
        if sel.empty:
            continue
        style = {"color": colour, "weight": 2.5, "fillColor": colour, "fillOpacity": 0.12, "dashArray": "6 4"}
        layer = GeoJson(
            layer_data(sel, fields, simplify_m=2), name=f"{t(name, lang)} ({len(sel)})",
            style_function=lambda f, s_=style: s_,
            popup=popup(fields, aliases=aliases), tooltip=tooltip(["pocket_id"]),
        ).add_to(m)
        add_entry(legend, layer, t(name, lang), "area", style)


def add_catchments(m: folium.Map, analysis, area, *, lang: str, legend: list | None = None,
                   zones: dict | None = None) -> None:
    """Rayon catchments of every method (the configured one shown), isochrones (``zones``: see
    :func:`~pamgeo.render.webmap_zones.zone`)."""
    if not analysis.catchments:
        return
    rayons = sorted({r for c in analysis.catchments.values() for r in c.rayon["rayon"].dropna()})
    colour = dict(zip(rayons, rayon_colours(len(rayons)), strict=True))
    outline = dict(zip(rayons, rayon_colours(len(rayons), P.RAYON_OUTLINES), strict=True))
    for method, cat in analysis.catchments.items():
        z = zone(zones, f"rayon_{method}", cat.rayon, area)
        rows = z[0]
        if not len(rows):
            continue
        values = column_values(cat.rayon["rayon"])
        drawn = [values[i] for i in rows]
        escaped = escaped_values(cat.rayon["rayon"])
        # keys as they appear in the (escaped) GeoJSON properties
        styles = {escape_text(r): {"color": outline[r], "weight": 2, "opacity": 0.8, "fillColor": colour[r],
                                   "fillOpacity": 0.35} for r in rayons}
        other = {"color": "#555555", "weight": 2, "opacity": 0.8, "fillColor": "#ffffff", "fillOpacity": 0.35}
        layer = GeoJson(
            zone_data(z, {"rayon": escaped}),
            name=f"{t('catchment', lang)}: {t('method_' + method, lang)}",
            show=method == analysis.catchment_method,
            style_function=lambda f, s_=styles, o_=other: s_.get(f["properties"].get("rayon"), o_),
            tooltip=tooltip(["rayon"]),
            interactive=True,
        ).add_to(m)
        for r in [r for r in rayons if r in set(drawn)]:
            add_entry(legend, layer, r, "area", styles[escape_text(r)])
    tt = analysis.catchments.get("travel_time")
    if tt is not None and tt.isochrones is not None:
        z = zone(zones, "isochrones", tt.isochrones, area)
        rows = z[0]
        if not len(rows):
            return
        values = column_values(tt.isochrones["band_min"])
        drawn = [values[i] for i in rows]
        escaped = escaped_values(tt.isochrones["band_min"])
        bands = list(dict.fromkeys(tt.isochrones["band_min"]))
        bstyle = {escape_text(b): {"color": c, "weight": 0.5, "fillColor": c, "fillOpacity": 0.35}
                  for b, c in zip(bands, band_colours(len(bands)), strict=True)}
        layer = GeoJson(
            zone_data(z, {"band_min": escaped}), name=t("isochrones", lang),
            show=False, style_function=lambda f, s_=bstyle: s_[f["properties"]["band_min"]],
            tooltip=tooltip(["band_min"], aliases=[t("minutes", lang)]),
        ).add_to(m)
        for b in [b for b in bands if b in set(drawn)]:
            add_entry(legend, layer, f"{t('isochrones', lang)}: {b}", "area", bstyle[escape_text(b)])


def rows_data(geoms: np.ndarray, crs, columns: dict[str, list], **kwargs) -> dict:
    """:func:`layer_data` of ``geoms`` (in ``crs``) with these properties: escaped values, a
    list each (:func:`~pamgeo.render.webmap_encoding.escaped_values`), one per geometry."""
    geometries, keep = geojson_geometries(geoms, crs, packed=True, **kwargs)
    return zone_data((np.arange(len(geoms)), geometries, keep), columns)


def rayon_colours(n: int, colours: tuple[str, ...] = P.RAYON_COLOURS) -> list[str]:
    """Fill colours (or, with ``colours=RAYON_OUTLINES``, outlines) of ``n`` rayons sorted by
    name: the palette's, repeated if there are more."""
    return [colours[i % len(colours)] for i in range(n)]


def band_colours(n: int) -> list[str]:
    """Colours of ``n`` travel-time bands, shortest first: the sequential scale, the last
    colour for the bands beyond it."""
    return [P.BAND_COLOURS[min(i, len(P.BAND_COLOURS) - 1)] for i in range(n)]


ROUTE_STYLE = {"color": P.ROUTE_COLOUR, "weight": 4, "opacity": 0.9}


def add_routes(m: folium.Map, routes: gpd.GeoDataFrame | None, tps_ids: set[str], *, lang: str,
               legend: list | None = None) -> None:
    """The reserve's routes to the rawan and sangat rawan TPS of this map."""
    if routes is None or routes.empty:
        return
    r = routes[routes["tps_id"].isin(tps_ids)]
    if r.empty:
        return
    drawn = drawn_once(r)
    layer = GeoJson(
        layer_data(drawn, ["tps_id", "rayon", "risk_class", "response_min", "route_km"], simplify_m=3),
        name=f"{t('routes', lang)} ({len(r)})", show=True,
        style_function=lambda f: ROUTE_STYLE,
        tooltip=tooltip(["tps_id", "response_min", "route_km"],
                        aliases=[t("tps_id", lang), t("response_min", lang), "km"]),
    ).add_to(m)
    add_entry(legend, layer, t("routes", lang), "line", ROUTE_STYLE)


def drawn_once(lines: gpd.GeoDataFrame, grid_m: float = 0.01) -> gpd.GeoDataFrame:
    """``lines`` with every stretch they share drawn once: each segment (between two vertices,
    either way, on a ``grid_m`` grid) kept in the last line that has it, the one drawn on top.

    The reserve's routes to the rawan TPS of a map leave from a few staging points along the
    same main roads: 466 routes of 80,000 segments hold 2,000 distinct ones. The map looks the
    same (one style), a pointer on a shared stretch names the route drawn on top there as
    before, and the browser has a fortieth of the vertices to project and draw. Lines left with
    no segment of their own are left out; the others become MultiLineStrings of their runs.
    """
    if lines.empty:
        return lines
    parts, line_of_part = shapely.get_parts(lines.geometry.to_numpy(), return_index=True)
    coords, part = shapely.get_coordinates(parts, return_index=True)
    owner = line_of_part[part]
    within = np.flatnonzero(part[1:] == part[:-1])  # segment k: vertex k to vertex k + 1 of one part
    a = np.round(coords[within] / grid_m).astype(np.int64)
    b = np.round(coords[within + 1] / grid_m).astype(np.int64)
    flip = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    keys = np.column_stack([np.where(flip[:, None], b, a), np.where(flip[:, None], a, b)])
    # the last occurrence of each segment: the first in the reversed order (a stable sort keeps
    # the occurrences of a segment in order; np.unique(axis=0) does the same, several times slower)
    reverse = keys[::-1]
    order = np.lexsort(reverse.T[::-1])
    ranked = reverse[order]
    first = order[np.r_[True, (ranked[1:] != ranked[:-1]).any(axis=1)]]
    keep = np.zeros(len(keys), dtype=bool)
    keep[len(keys) - 1 - first] = True
    # runs of consecutive kept segments, each a line through its vertices: a run never spans two
    # parts (a part's last vertex begins no segment), so never two lines
    ks = within[keep]
    out = np.full(len(lines), None, dtype=object)
    if len(ks):
        starts = np.r_[0, np.flatnonzero(np.diff(ks) != 1) + 1]
        counts = np.diff(np.r_[starts, len(ks)]) + 1  # vertices of each run: its segments' and the last end
        run = np.repeat(np.arange(len(starts)), counts)
        vertices = ks[starts][run] + np.arange(len(run)) - np.repeat(np.cumsum(counts) - counts, counts)
        drawn = shapely.linestrings(coords[vertices], indices=run)
        shapely.multilinestrings(drawn, indices=owner[ks[starts]], out=out)
    kept = lines.copy()
    kept["geometry"] = gpd.GeoSeries(out, index=lines.index, crs=lines.crs)
    return kept[kept.geometry.notna()]


def _flood_classes(present) -> list[str]:
    return [c for c in FLOOD_LEVELS[1:] if c in set(present)]


def add_flood(m: folium.Map, analysis, area, *, lang: str, legend: list | None = None, nearby=None,
              zones: dict | None = None) -> None:
    """Flood evidence: river corridors, hazard polygons and raster classes, lakes, reports, flooded roads.

    ``nearby``: ``area`` and ``NEARBY_M`` around it, where reports are drawn (made if not given);
    ``zones``: see :func:`~pamgeo.render.webmap_zones.zone`.
    """

    layers = analysis.flood_layers
    if layers is None:
        return
    lab = FLOOD_LABELS.get(lang, FLOOD_LABELS["id"])
    if analysis.flood_corridors is not None and not analysis.flood_corridors.empty:
        corr = analysis.flood_corridors
        z = zone(zones, "flood_corridors", corr, area)
        rows = z[0]
        classes = column_values(corr["flood_class"])
        drawn = [classes[i] for i in rows]
        columns = {"flood_class": escaped_values(corr["flood_class"]),
                   "kelas": escaped_values([lab.get(c) for c in classes]), "band": escaped_values(corr["band"])}
        styles = {c: {"color": P.FLOOD_COLOURS[c], "weight": 0, "fillColor": P.FLOOD_COLOURS[c], "fillOpacity": 0.25}
                  for c in P.FLOOD_COLOURS}
        layer = GeoJson(zone_data(z, columns),
                        name=t("flood_corridors", lang), show=False,
                        style_function=lambda f, s_=styles: s_[f["properties"]["flood_class"]],
                        tooltip=tooltip(["kelas", "band"])).add_to(m)
        for c in _flood_classes(drawn):
            add_entry(legend, layer, f"{t('flood_corridors', lang)}: {lab[c]}", "area", styles[c])
    if analysis.flood_hazard is not None:
        hz = analysis.flood_hazard
        z = zone(zones, "flood_hazard", hz, area)
        rows = z[0]
        if len(rows):
            classes = column_values(hz["flood_class"])
            columns = {"flood_class": escaped_values(hz["flood_class"]),
                       "kelas": escaped_values([lab.get(c) for c in classes]), "label": escaped_values(hz["label"])}
            styles = {c: {"color": P.FLOOD_COLOURS[c], "weight": 1, "fillColor": P.FLOOD_COLOURS[c], "fillOpacity": 0.45}
                      for c in P.FLOOD_COLOURS}
            layer = GeoJson(zone_data(z, columns),
                            name=t("flood_hazard", lang),
                            style_function=lambda f, s_=styles: s_[f["properties"]["flood_class"]],
                            tooltip=tooltip(["label", "kelas"])).add_to(m)
            for c in _flood_classes([classes[i] for i in rows]):
                add_entry(legend, layer, f"{t('flood_class', lang)}: {lab[c]}", "area", styles[c])
    _add_flood_points(m, analysis, area, lang=lang, legend=legend, nearby=nearby)


def _add_flood_points(m: folium.Map, analysis, area, *, lang: str, legend: list | None, nearby=None) -> None:
    """Lakes, flood reports and the roads flooded in the high class."""
    layers = analysis.flood_layers
    if layers.lakes is not None and not layers.lakes.empty:
        lk = layers.lakes[shapely.intersects(layers.lakes.geometry.to_numpy(), area)].copy()
        if not lk.empty:
            lk["posisi"] = lk["position_source"].map(lambda s_: t(s_, lang))
            style = {"color": P.LAKE_LINE, "weight": 1.5, "dashArray": "4 3", "fillColor": P.LAKE_FILL, "fillOpacity": 0.6}
            layer = GeoJson(layer_data(lk, ["name", "posisi"]), name=t("lakes", lang),
                            style_function=lambda f: style, tooltip=tooltip(["name", "posisi"])).add_to(m)
            add_entry(legend, layer, t("lakes", lang), "area", style)
    if layers.events is not None and not layers.events.empty:
        near = area.buffer(NEARBY_M) if nearby is None else nearby
        ev = layers.events[shapely.intersects(layers.events.geometry.to_numpy(), near)].copy()
        if not ev.empty:
            ev["kedalaman"] = ev["depth_cm"].map(lambda v: "" if pd.isna(v) else f"{v:.0f} cm")
            style = {"color": P.FLOOD_LINE, "weight": 2, "fill": True, "fillColor": P.WATER_COLOUR,
                     "fillOpacity": 0.9, "radius": 6}
            layer = GeoJson(layer_data(ev, ["date", "kedalaman"]), name=f"{t('flood_events', lang)} ({len(ev)})",
                            marker=folium.CircleMarker(radius=6), style_function=lambda f: style,
                            tooltip=tooltip(["date", "kedalaman"], aliases=[t("date", lang), t("depth", lang)])).add_to(m)
            add_entry(legend, layer, t("flood_events", lang), "point", style)
    if analysis.graph is not None and analysis.edge_flood_class is not None:
        idx = np.flatnonzero(analysis.edge_flood_class == "tinggi")
        if len(idx):
            geoms = analysis.graph.edge_geometries(idx)
            geoms = geoms[shapely.intersects(geoms, area)]
            lab = FLOOD_LABELS.get(lang, FLOOD_LABELS["id"])
            if len(geoms):
                style = {"color": P.FLOOD_LINE, "weight": 6, "opacity": 0.8, "dashArray": "2 6"}
                layer = GeoJson(rows_data(geoms, analysis.tps.crs, {"kelas": escaped_values([lab["tinggi"]] * len(geoms))}),
                                name=t("flooded_roads", lang),
                                style_function=lambda f: style,
                                tooltip=tooltip(["kelas"], aliases=[t("flooded_roads", lang)])).add_to(m)
                add_entry(legend, layer, t("flooded_roads", lang), "line", style)


def add_cut_tps(m: folium.Map, tps: gpd.GeoDataFrame, *, lang: str, detour_report_min: float = 5.0,
                legend: list | None = None) -> None:
    """TPS cut off by flood (thick ring) and TPS whose detour adds more than ``detour_report_min``
    minutes (dashed ring), as two layers; shorter detours are not drawn."""
    if "access_cut" not in tps:
        return
    status = access_status(tps, detour_report_min).to_numpy()
    columns = [c for c in ("tps_id", "kelurahan", "detour_min", "response_min") if c in tps]
    for kind, style in (("unreachable", {"color": P.FLOOD_LINE, "weight": 4, "fill": False, "radius": 12}),
                        ("detour", {"color": P.FLOOD_LINE, "weight": 2, "dashArray": "4 3", "fill": False,
                                    "radius": 11})):
        rows = np.flatnonzero(status == kind)
        if not len(rows):
            continue
        sel = tps.iloc[rows][[*columns, tps.geometry.name]]  # the columns drawn (a new frame: copy on write)
        sel["jalan_memutar"] = ([t("unreachable", lang)] * len(sel) if kind == "unreachable" else
                                [f"+{a:.0f} {t('minutes', lang)}" for a in sel["detour_min"] - sel["response_min"]])
        layer = GeoJson(
            layer_data(sel, ["tps_id", "kelurahan", "jalan_memutar"]),
            name=f"{t('cut_' + kind, lang)} ({len(sel)})", marker=folium.CircleMarker(radius=11),
            style_function=lambda f, s=style: s,
            tooltip=tooltip(["tps_id", "jalan_memutar"], aliases=[t("tps_id", lang), t("detour", lang)]),
        ).add_to(m)
        add_entry(legend, layer, t("cut_" + kind, lang), "point", style)


def add_tools(m: folium.Map, tps_layer: folium.GeoJson | None, kel_layer: folium.GeoJson | None, *, lang: str) -> None:
    """Search by TPS id and by kelurahan, a distance measure tool."""
    m.get_root().header.add_child(stylesheet(asset_text("tools.css")), name="pamgeo_tools_css")
    targets = []
    if tps_layer is not None:
        targets.append({"layer": tps_layer, "key": "tps_id", "zoom": 17})
    if kel_layer is not None:
        targets.append({"layer": kel_layer, "key": "kelurahan", "zoom": 14})
    if targets:
        Search(targets, {"placeholder": t("search", lang), "not_found": t("not_found", lang)}).add_to(m)
    Measure({"start": t("measure", lang), "stop": t("measure_stop", lang), "hint": t("measure_hint", lang)}).add_to(m)


STAGING_STYLE = {"color": P.STAGING_COLOUR, "weight": 3, "fill": True, "fillColor": "#ffffff", "fillOpacity": 0.4,
                 "radius": 13}


def add_staging(m: folium.Map, staging: gpd.GeoDataFrame | None, *, lang: str, legend: list | None = None) -> None:
    """Rayon staging points, where the reserve peleton waits."""
    if staging is None or staging.empty:
        return
    gj = layer_data(staging, ["rayon", "staging"])
    layer = GeoJson(
        gj, name=t("staging", lang), marker=folium.CircleMarker(radius=13),
        style_function=lambda f: STAGING_STYLE,
        tooltip=tooltip(["rayon", "staging"], aliases=["Rayon", t("staging", lang)]),
    ).add_to(m)
    add_entry(legend, layer, t("staging", lang), "point", STAGING_STYLE)


POLICE_STYLE = {"fillColor": P.POLICE_FILL, "color": P.POLICE_RING, "weight": 2.5, "fill": True, "fillOpacity": 1,
                "radius": 8}


PLANNED_STYLE = {"fillColor": P.PLANNED_FILL, "color": P.PLANNED_RING, "weight": 2.5, "fill": True, "fillOpacity": 1,
                 "radius": 8, "dashArray": "3 2"}


def police_data(posts: gpd.GeoDataFrame, lang: str) -> tuple[dict, bool, bool, bool]:
    """The police layer's data (:func:`add_police`) and whether it has existing units, planned
    ones, units at an approximate position."""
    p = posts.copy()
    p["posisi"] = p["position_source"].map(lambda s: t(s, lang))
    if "status" not in p:
        p["status"] = ""
    p["rencana"] = planned_units(p).map({True: "1", False: ""})
    gj = layer_data(p, ["unit", "level", "status", "posisi", "rencana"])
    planned = p["rencana"] == "1"
    return gj, bool((~planned).any()), bool(planned.any()), bool((p["position_source"] == "approximate").any())


def add_police(m: folium.Map, posts: gpd.GeoDataFrame | None, *, lang: str, legend: list | None = None,
               memo: dict | None = None) -> None:
    """Police units: existing ones filled black, planned ones hollow and dashed.

    ``memo``: a memo of base layers for the region the ``posts`` are of (the same units on
    every map of a run; :func:`pamgeo.render.maps.base_layers`), which keeps their layer's data.
    """
    if posts is None or posts.empty:
        return
    if memo is None:
        gj, existing, planned, approximate = police_data(posts, lang)
    else:
        if ("police", lang) not in memo:
            memo[("police", lang)] = police_data(posts, lang)
        gj, existing, planned, approximate = memo[("police", lang)]
    layer = GeoJson(
        gj, name=t("police_posts", lang),
        marker=folium.CircleMarker(radius=8),
        style_function=lambda f: PLANNED_STYLE if f["properties"]["rencana"] else POLICE_STYLE,
        style_only=("rencana",),
        popup=popup(["unit", "level", "status", "posisi"],
                    aliases=[t("unit", lang), t("unit_level", lang),
                             t("status", lang), t("position_source", lang)]),
        tooltip=tooltip(["unit"]),
    ).add_to(m)
    if existing:
        add_entry(legend, layer, t("police_posts", lang), "point", POLICE_STYLE)
    if planned:
        add_entry(legend, layer, t("police_planned", lang), "point", PLANNED_STYLE)
    if approximate:
        add_entry(legend, layer, t("approx_police_note", lang), "note")


def must_see(tps: gpd.GeoDataFrame) -> list[list[float]]:
    """[lat, lon] of the TPS a map's first view must not hide under a control (rawan, sangat rawan)."""
    if "risk_class" not in tps or tps.empty:
        return []
    sel = tps.geometry[tps["risk_class"].isin(PRIORITY_CLASSES).to_numpy()]
    if sel.empty:
        return []
    xy = shapely.get_coordinates(sel.to_crs(WGS84).to_numpy())
    return np.round(xy[:, ::-1], 5).tolist()


__all__ = [
    "CLASS_STYLE",
    "FLOOD_COLORS",
    "PLANNED_STYLE",
    "POLICE_STYLE",
    "ROUTE_STYLE",
    "STAGING_STYLE",
    "TPS_DRAWN_MARK",
    "add_catchments",
    "add_cut_tps",
    "add_flood",
    "add_pockets",
    "add_police",
    "add_routes",
    "add_staging",
    "add_tools",
    "add_tps",
    "band_colours",
    "clip",
    "drawn_once",
    "must_see",
    "planned_units",
    "police_data",
    "rayon_colours",
    "rows_data",
    "tps_style",
    "zones_in",
]
