"""The layers of the web maps: what each shows, in which style, with which details.

Every ``add_*`` function draws one kind of feature of a briefing map as one compact GeoJSON layer
(:class:`pamgeo.render.webmap_elements.GeoJson`) cut to the map's area; :func:`base_layers`
draws the data of the layers that need no analysis (kelurahan, kecamatan, roads, rivers), which
a run can memoise per region; :func:`legend_html` and :func:`add_tools` add the legend, search
and measuring.
"""

from __future__ import annotations

import html
from typing import Any

import geopandas as gpd
import numpy as np
import offlinefolium as folium
import pandas as pd
import shapely

from pamgeo.analysis.flood import access_status
from pamgeo.core.i18n import t
from pamgeo.core.vocabulary import FLOOD_LABELS, class_label
from pamgeo.ingest.region import RegionData
from pamgeo.render.webmap_assets import asset_text
from pamgeo.render.webmap_elements import Box, GeoJson, Measure, Search, popup, stylesheet, tooltip
from pamgeo.render.webmap_encoding import escape_text, layer_data

MAJOR_ROADS = ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
               "secondary", "secondary_link", "tertiary", "tertiary_link")

CLASS_STYLE = {
    "kurang_rawan": {"fillColor": "#2e9d4f", "color": "#15532a"},
    "rawan": {"fillColor": "#f08c00", "color": "#7a4600"},
    "sangat_rawan": {"fillColor": "#d62828", "color": "#5c0f0f"},
    "khusus": {"fillColor": "#7b3fa0", "color": "#3d1f50"},
}
NO_CLASS_STYLE = {"fillColor": "#1f6fb2", "color": "#0b3a5e"}
FLOOD_COLORS = {"rendah": "#9ecae1", "sedang": "#4292c6", "tinggi": "#08306b"}

# rayon catchments, isochrones and river corridors are zones tens of metres wide at best:
# drawn at 25 m / ~5 m, a third of the bytes of the 1 m base layers
ZONE_SIMPLIFY_M = 25.0
BASE_MARGIN_M = 300.0
ZONE_PRECISION = 5e-5
RAYON_COLORS = ["#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#1f78b4", "#b15928"]
BAND_COLORS = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027"]


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
    return layer_data(minor, [], simplify_m=5), layer_data(major, ["name", "road_class"], simplify_m=4)


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
    return None if w.empty else layer_data(w, ["name"], simplify_m=4)


def _add_waterways(m: folium.Map, gj: dict | None, *, lang: str) -> None:
    if gj is None:
        return
    GeoJson(gj, name=t("waterways", lang),
            style_function=lambda f: {"color": "#2f7fd1", "weight": 2.5, "opacity": 0.85},
            tooltip=tooltip(["name"])).add_to(m)


def add_base(m: folium.Map, base: dict[str, Any], *, lang: str) -> folium.GeoJson:
    """The layers of :func:`base_layers`: kelurahan, the kecamatan outline, roads, rivers.

    Returns the kelurahan layer (searched by name, :func:`add_tools`).
    """
    kel_layer = _add_kelurahan(m, base["kelurahan"], lang=lang)
    GeoJson(base["kecamatan"], name=t("kecamatan", lang),
            style_function=lambda f: {"color": "#111", "weight": 3.5, "fill": False},
            interactive=False).add_to(m)
    _add_roads(m, base["roads"], lang=lang)
    _add_waterways(m, base["waterways"], lang=lang)
    return kel_layer


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
    for col in ("position_note", "position_check"):
        t_[col] = t_[col].fillna("") if col in t_ else ""
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
    gj = layer_data(t_, [*fields, "risk_class", "position_source"])

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
        Box(html.escape(t("estimated_short", lang)), "topright", "pamgeo-note").add_to(m)
    return layer


def add_pockets(m: folium.Map, polygons: gpd.GeoDataFrame | None, *, lang: str) -> None:
    """Pockets as hulls, in two layers: kantong kerawanan (holding rawan or sangat rawan TPS,
    red) and dense clusters of kurang rawan TPS (grey), each with its count."""
    if polygons is None or polygons.empty:
        return
    fields = ["pocket_id", "n_tps", "n_rawan", "n_sangat_rawan", "dominant_reasons", "kelurahan"]
    aliases = [t("pocket", lang), t("n_tps", lang), class_label("rawan", lang), class_label("sangat_rawan", lang),
               t("dominant_reasons", lang), t("kelurahan", lang)]
    risky = (polygons["n_rawan"] + polygons["n_sangat_rawan"]) > 0
    for sel, name, colour in ((polygons[risky], "pockets", "#b42318"), (polygons[~risky], "dense_clusters", "#6b6b6b")):
        if sel.empty:
            continue
        GeoJson(
            layer_data(sel, fields, simplify_m=2), name=f"{t(name, lang)} ({len(sel)})",
            style_function=lambda f, c=colour: {"color": c, "weight": 2.5, "fillColor": c, "fillOpacity": 0.12,
                                                "dashArray": "6 4"},
            popup=popup(fields, aliases=aliases), tooltip=tooltip(["pocket_id"]),
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
            layer_data(ray, ["rayon"], simplify_m=ZONE_SIMPLIFY_M, precision=ZONE_PRECISION),
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
            layer_data(iso, ["band_min"], simplify_m=ZONE_SIMPLIFY_M, precision=ZONE_PRECISION), name=t("isochrones", lang), show=False,
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
        layer_data(r, ["tps_id", "rayon", "risk_class", "response_min", "route_km"], simplify_m=3),
        name=f"{t('routes', lang)} ({len(r)})", show=True,
        style_function=lambda f: {"color": "#b42318" if f["properties"]["risk_class"] == "sangat_rawan" else "#e8590c",
                                  "weight": 3, "opacity": 0.75},
        tooltip=tooltip(["tps_id", "response_min", "route_km"],
                        aliases=[t("tps_id", lang), t("response_min", lang), "km"]),
    ).add_to(m)




def add_flood(m: folium.Map, analysis, area, *, lang: str) -> None:
    """Flood evidence: river corridors, hazard polygons and raster classes, lakes, reports, flooded roads."""

    layers = analysis.flood_layers
    if layers is None:
        return
    lab = FLOOD_LABELS.get(lang, FLOOD_LABELS["id"])
    if analysis.flood_corridors is not None and not analysis.flood_corridors.empty:
        corr = drop_slivers(_clip(analysis.flood_corridors, area), 2_000)
        corr["kelas"] = corr["flood_class"].map(lab)
        GeoJson(layer_data(corr, ["flood_class", "kelas", "band"], simplify_m=ZONE_SIMPLIFY_M, precision=ZONE_PRECISION), name=t("flood_corridors", lang),
                show=False, style_function=lambda f: {"color": FLOOD_COLORS[f["properties"]["flood_class"]],
                                                      "weight": 0, "fillColor": FLOOD_COLORS[f["properties"]["flood_class"]],
                                                      "fillOpacity": 0.25},
                tooltip=tooltip(["kelas", "band"])).add_to(m)
    if analysis.flood_hazard is not None:
        hz = _clip(analysis.flood_hazard, area)
        if not hz.empty:
            hz["kelas"] = hz["flood_class"].map(lab)
            GeoJson(layer_data(hz, ["flood_class", "kelas", "label"], simplify_m=5), name=t("flood_hazard", lang),
                    style_function=lambda f: {"color": FLOOD_COLORS[f["properties"]["flood_class"]], "weight": 1,
                                              "fillColor": FLOOD_COLORS[f["properties"]["flood_class"]],
                                              "fillOpacity": 0.45},
                    tooltip=tooltip(["label", "kelas"])).add_to(m)
    if layers.lakes is not None and not layers.lakes.empty:
        lk = layers.lakes[layers.lakes.intersects(area)].copy()
        if not lk.empty:
            lk["posisi"] = lk["position_source"].map(lambda s_: t(s_, lang))
            GeoJson(layer_data(lk, ["name", "posisi"]), name=t("lakes", lang),
                    style_function=lambda f: {"color": "#08519c", "weight": 1.5, "dashArray": "4 3",
                                              "fillColor": "#6baed6", "fillOpacity": 0.6},
                    tooltip=tooltip(["name", "posisi"])).add_to(m)
    if layers.events is not None and not layers.events.empty:
        ev = layers.events[layers.events.intersects(area.buffer(2000))].copy()
        if not ev.empty:
            ev["kedalaman"] = ev["depth_cm"].map(lambda v: "" if pd.isna(v) else f"{v:.0f} cm")
            GeoJson(layer_data(ev, ["date", "kedalaman"]), name=f"{t('flood_events', lang)} ({len(ev)})",
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
                GeoJson(layer_data(fr, ["kelas"]), name=t("flooded_roads", lang),
                        style_function=lambda f: {"color": "#08306b", "weight": 6, "opacity": 0.8,
                                                  "dashArray": "2 6"},
                        tooltip=tooltip(["kelas"], aliases=[t("flooded_roads", lang)])).add_to(m)


def add_cut_tps(m: folium.Map, tps: gpd.GeoDataFrame, *, lang: str, detour_report_min: float = 5.0) -> None:
    """TPS cut off by flood (thick ring) and TPS whose detour adds more than ``detour_report_min``
    minutes (dashed ring), as two layers; shorter detours are not drawn."""
    if "access_cut" not in tps:
        return
    status = access_status(tps, detour_report_min)
    for kind, style in (("unreachable", {"color": "#7f0000", "weight": 4, "fill": False, "radius": 12}),
                        ("detour", {"color": "#7f0000", "weight": 2, "dashArray": "4 3", "fill": False,
                                    "radius": 11})):
        sel = tps[status == kind].copy()
        if sel.empty:
            continue
        sel["jalan_memutar"] = ([t("unreachable", lang)] * len(sel) if kind == "unreachable" else
                                [f"+{a:.0f} {t('minutes', lang)}" for a in sel["detour_min"] - sel["response_min"]])
        GeoJson(
            layer_data(sel, ["tps_id", "kelurahan", "jalan_memutar"]),
            name=f"{t('cut_' + kind, lang)} ({len(sel)})", marker=folium.CircleMarker(radius=11),
            style_function=lambda f, s=style: s,
            tooltip=tooltip(["tps_id", "jalan_memutar"], aliases=[t("tps_id", lang), t("detour", lang)]),
        ).add_to(m)


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


def add_staging(m: folium.Map, staging: gpd.GeoDataFrame | None, *, lang: str) -> None:
    """Rayon staging points, where the reserve peleton waits."""
    if staging is None or staging.empty:
        return
    gj = layer_data(staging, ["rayon", "staging"])
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
    gj = layer_data(p, ["unit", "level", "status", "posisi"])
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
    layers = {"kelurahan": layer_data(_clip(data.kelurahan, view), ["kelurahan", "kode_kel", "kecamatan"], simplify_m=5),
              "kecamatan": layer_data(kec, ["kecamatan"], simplify_m=5),
              "roads": _roads_data(roads, view), "waterways": _waterways_data(data.waterways, view)}
    if kept is not None:
        kept[key] = layers
    return layers


__all__ = [
    "BASE_MARGIN_M",
    "CLASS_STYLE",
    "FLOOD_COLORS",
    "MAJOR_ROADS",
    "add_base",
    "add_catchments",
    "add_cut_tps",
    "add_flood",
    "add_pockets",
    "add_police",
    "add_routes",
    "add_staging",
    "add_tools",
    "add_tps",
    "base_layers",
    "drop_slivers",
    "legend_html",
]
