"""The layers of the web maps: what each shows, in which style, with which details.

Every ``add_*`` function draws one kind of feature of a briefing map as one compact GeoJSON layer
(:class:`pamgeo.render.webmap_elements.GeoJson`) cut to the map's area; :func:`base_layers`
draws the data of the layers that need no analysis (kelurahan, kecamatan, roads, rivers, street
names), which a run can memoise per region; :func:`add_tools` adds search and measuring.

The legend is made from what is drawn: each ``add_*`` function takes the map's ``legend`` list
(made per map by :func:`pamgeo.render.maps.briefing_map`) and appends a :class:`LegendEntry` for
every symbol it draws, with the style it draws it in; :func:`legend_rows` turns the entries into
the legend's rows, each tied to its layer (the legend shows the rows of the layers on the map).
Colours come from :mod:`pamgeo.render.palette`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import offlinefolium as folium
import pandas as pd
import shapely

from pamgeo.analysis.flood import access_status
from pamgeo.core.i18n import t
from pamgeo.core.vocabulary import CLASSES, FLOOD_LABELS, FLOOD_LEVELS, class_label
from pamgeo.ingest.io import WGS84
from pamgeo.ingest.region import RegionData
from pamgeo.render import palette as P
from pamgeo.render.webmap_assets import asset_text
from pamgeo.render.webmap_elements import (
    Box,
    GeoJson,
    Measure,
    RoadLabels,
    Search,
    popup,
    stylesheet,
    tooltip,
)
from pamgeo.render.webmap_encoding import encode_polyline, escape_text, layer_data

MAJOR_ROADS = ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
               "secondary", "secondary_link", "tertiary", "tertiary_link")

CLASS_STYLE = {c: {"fillColor": P.CLASS_COLOURS[c], "color": P.CLASS_OUTLINES[c]} for c in CLASSES}
NO_CLASS_STYLE = {"fillColor": P.NO_CLASS_COLOUR, "color": P.NO_CLASS_OUTLINE}
FLOOD_COLORS = P.FLOOD_COLOURS
RAYON_COLORS = P.RAYON_COLOURS
BAND_COLORS = P.BAND_COLOURS
#: TPS drawn larger, and kept clear of the map's controls in the first view
PRIORITY_CLASSES = ("rawan", "sangat_rawan")

# rayon catchments, isochrones and river corridors are zones tens of metres wide at best:
# drawn at 25 m / ~5 m, a third of the bytes of the 1 m base layers
ZONE_SIMPLIFY_M = 25.0
BASE_MARGIN_M = 300.0
ZONE_PRECISION = 5e-5
#: street names: one label every LABEL_SPACING_M along a named road (at least one on a piece
#: longer than LABEL_MIN_M), shown from zoom LABEL_MIN_ZOOM
LABEL_SPACING_M = 350.0
LABEL_MIN_M = 60.0
LABEL_MIN_ZOOM = 16
#: words that mark a police unit as planned, not yet built (the ``status`` column)
PLANNED_WORDS = ("planned", "rencana", "direncanakan")


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


def _entry(legend: list | None, layer: Any, label: str, kind: str, style: dict | None = None) -> None:
    if legend is not None:
        legend.append(LegendEntry(layer, label, kind, dict(style or {})))


def legend_symbol(kind: str, style: dict) -> str:
    """A small SVG of a Leaflet style, as the map draws it (``kind``: point, line, area)."""
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


def planned_units(posts: pd.DataFrame) -> pd.Series:
    """True for police units that are planned, not yet there (their ``status`` says so)."""
    if "status" not in posts:
        return pd.Series(False, index=posts.index)
    status = posts["status"].fillna("").astype(str).str.strip().str.lower()
    return status.str.startswith(PLANNED_WORDS)


def _add_kelurahan(m: folium.Map, gj: dict, *, lang: str, legend: list | None) -> folium.GeoJson:
    style = {"color": P.KELURAHAN_LINE, "weight": 1.6, "fillColor": "#ffffff", "fillOpacity": 0.35, "dashArray": "4 3"}
    layer = GeoJson(
        gj, name=t("kelurahan_boundaries", lang),
        style_function=lambda f: style,
        tooltip=tooltip(["kelurahan", "kode_kel"], aliases=[t("kelurahan", lang), "Kode"]),
    ).add_to(m)
    _entry(legend, layer, t("kelurahan_boundaries", lang), "area", style)
    return layer


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


def _add_roads(m: folium.Map, layers: tuple[dict, dict] | None, *, lang: str, legend: list | None) -> None:
    if layers is None:
        return
    minor, major = layers
    if minor["features"]:
        style = {"color": P.ROAD_MINOR, "weight": 1}
        layer = GeoJson(minor, name=t("roads_minor", lang), style_function=lambda f: style,
                        interactive=False).add_to(m)
        _entry(legend, layer, t("roads_minor", lang), "line", style)
    if major["features"]:
        style_major = {"color": P.ROAD_MAJOR, "weight": 3}
        layer = GeoJson(major, name=t("roads_major", lang), style_function=lambda f: style_major,
                        tooltip=tooltip(["name"])).add_to(m)
        _entry(legend, layer, t("roads_major", lang), "line", style_major)


def _road_labels(roads: gpd.GeoDataFrame | None, area) -> dict | None:
    """Street names for the map: label points along every named road in ``area``.

    One point every ``LABEL_SPACING_M`` along each run of a named road (the middle of a shorter
    run longer than ``LABEL_MIN_M``), with the road's direction there (degrees clockwise, for a
    CSS rotation, never upside down). Main roads first: at street level the browser keeps the
    labels that do not overlap, in this order. ``{"n": names, "p": Encoded Polyline of each
    name's points, "a": their angles}``; names HTML-escaped.
    """
    if roads is None or roads.empty or "name" not in roads:
        return None
    named = roads[roads["name"].fillna("").astype(str).str.strip() != ""]
    if named.empty:
        return None
    r = _clip(named, area)
    if r.empty:
        return None
    rank = {c: i for i, c in enumerate(MAJOR_ROADS)}
    r = r.assign(_rank=r["road_class"].map(rank).fillna(len(MAJOR_ROADS)), _name=r["name"].astype(str).str.strip())
    order = r.groupby("_name")["_rank"].min().sort_values(kind="stable")
    names, points, angles = [], [], []
    for name in order.index:
        parts = shapely.get_parts(r.loc[r["_name"] == name, "geometry"].to_numpy())
        runs = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(parts)))
        pts, ang = _label_points(runs)
        if pts:
            names.append(escape_text(name))
            points.append(pts)
            angles.append(ang)
    if not names:
        return None
    flat = gpd.GeoSeries(shapely.points([p for pts in points for p in pts]), crs=r.crs).to_crs(WGS84)
    xy = np.round(shapely.get_coordinates(flat.to_numpy()), 5)
    out, i = [], 0
    for pts in points:
        out.append(encode_polyline(xy[i:i + len(pts)].tolist()))
        i += len(pts)
    return {"n": names, "p": out, "a": angles}


def _label_points(runs) -> tuple[list, list[int]]:
    """Label positions (x, y) and angles along line runs (a metric CRS)."""
    pts, ang = [], []
    for line in runs:
        length = line.length
        if length < LABEL_MIN_M:
            continue
        n = max(1, int(length // LABEL_SPACING_M))
        at = (np.arange(n) + 0.5) * length / n
        mid = shapely.line_interpolate_point(line, at)
        ends = shapely.line_interpolate_point(line, np.concatenate([np.maximum(at - 15, 0), np.minimum(at + 15, length)]))
        (x0, y0), (x1, y1) = shapely.get_coordinates(ends[:n]).T, shapely.get_coordinates(ends[n:]).T
        deg = -np.degrees(np.arctan2(y1 - y0, x1 - x0))  # clockwise on screen (y down)
        deg = (deg + 90) % 180 - 90  # -90..90: never upside down
        pts += [tuple(c) for c in shapely.get_coordinates(mid)]
        ang += np.rint(deg).astype(int).tolist()
    return pts, ang


def _waterways_data(ww: gpd.GeoDataFrame | None, area) -> dict | None:
    if ww is None or ww.empty:
        return None
    w = _clip(ww, area)
    return None if w.empty else layer_data(w, ["name"], simplify_m=4)


def _add_waterways(m: folium.Map, gj: dict | None, *, lang: str, legend: list | None) -> None:
    if gj is None:
        return
    style = {"color": P.WATER_COLOUR, "weight": 2.5, "opacity": 0.9}
    layer = GeoJson(gj, name=t("waterways", lang), style_function=lambda f: style,
                    tooltip=tooltip(["name"])).add_to(m)
    _entry(legend, layer, t("waterways", lang), "line", style)


def add_base(m: folium.Map, base: dict[str, Any], *, lang: str, legend: list | None = None) -> folium.GeoJson:
    """The layers of :func:`base_layers`: kelurahan, the kecamatan outline, roads, rivers, and
    the street names shown at street level.

    Returns the kelurahan layer (searched by name, :func:`add_tools`).
    """
    kel_layer = _add_kelurahan(m, base["kelurahan"], lang=lang, legend=legend)
    style = {"color": P.KECAMATAN_LINE, "weight": 3.5, "fill": False}
    layer = GeoJson(base["kecamatan"], name=t("kecamatan", lang), style_function=lambda f: style,
                    interactive=False).add_to(m)
    _entry(legend, layer, t("kecamatan", lang), "area", style)
    _add_roads(m, base["roads"], lang=lang, legend=legend)
    _add_waterways(m, base["waterways"], lang=lang, legend=legend)
    if base.get("labels"):
        RoadLabels(base["labels"], LABEL_MIN_ZOOM).add_to(m)
    return kel_layer


def add_tps(m: folium.Map, tps: gpd.GeoDataFrame, *, lang: str, compact: bool = False,
            legend: list | None = None) -> folium.GeoJson:
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
    # drawn in this order: the rawan and sangat rawan TPS last, on top of the others
    rank = t_["risk_class"].map({"rawan": 1, "sangat_rawan": 2}).fillna(0).to_numpy()
    t_ = t_.iloc[np.argsort(rank, kind="stable")]
    gj = layer_data(t_, [*fields, "risk_class", "position_source"])

    def style(feature: dict) -> dict:
        p = feature["properties"]
        return tps_style(p["risk_class"], p["position_source"] == "estimated")

    layer = GeoJson(
        gj, name=f"{t('tps', lang)} ({len(tps)})",
        marker=folium.CircleMarker(radius=5),
        style_function=style, style_only=("risk_class", "position_source"),
        popup=popup(fields, aliases=aliases, max_width=380),
        tooltip=tooltip(["tps_id", "kelas"]),
    ).add_to(m)
    present = set(t_["risk_class"])
    estimated = tps["position_source"] == "estimated"
    for cls in [c for c in CLASSES if c in present] + ([""] if present - set(CLASSES) else []):
        label = f"TPS {class_label(cls, lang)}" if cls else t("tps", lang)
        _entry(legend, layer, label, "point", tps_style(cls, bool(estimated.all())))
    if estimated.any():
        _entry(legend, layer, f"{t('position_source', lang)}: {t('estimated', lang)}", "point",
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


def add_pockets(m: folium.Map, polygons: gpd.GeoDataFrame | None, *, lang: str, legend: list | None = None) -> None:
    """Pockets as hulls, in two layers: kantong kerawanan (holding rawan or sangat rawan TPS)
    and dense clusters of kurang rawan TPS (grey), each with its count."""
    if polygons is None or polygons.empty:
        return
    fields = ["pocket_id", "n_tps", "n_rawan", "n_sangat_rawan", "dominant_reasons", "kelurahan"]
    aliases = [t("pocket", lang), t("n_tps", lang), class_label("rawan", lang), class_label("sangat_rawan", lang),
               t("dominant_reasons", lang), t("kelurahan", lang)]
    risky = (polygons["n_rawan"] + polygons["n_sangat_rawan"]) > 0
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
        _entry(legend, layer, t(name, lang), "area", style)


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




def add_catchments(m: folium.Map, analysis, area, *, lang: str, legend: list | None = None) -> None:
    """Rayon catchments of every method (the configured one shown), isochrones."""
    if not analysis.catchments:
        return
    rayons = sorted({r for c in analysis.catchments.values() for r in c.rayon["rayon"].dropna()})
    colour = dict(zip(rayons, rayon_colours(len(rayons)), strict=True))
    outline = dict(zip(rayons, rayon_colours(len(rayons), P.RAYON_OUTLINES), strict=True))
    for method, cat in analysis.catchments.items():
        ray = drop_slivers(_clip(cat.rayon, area))
        if ray.empty:
            continue
        # keys as they appear in the (escaped) GeoJSON properties
        styles = {escape_text(r): {"color": outline[r], "weight": 2, "opacity": 0.8, "fillColor": colour[r],
                                   "fillOpacity": 0.35} for r in rayons}
        other = {"color": "#555555", "weight": 2, "opacity": 0.8, "fillColor": "#ffffff", "fillOpacity": 0.35}
        layer = GeoJson(
            layer_data(ray, ["rayon"], simplify_m=ZONE_SIMPLIFY_M, precision=ZONE_PRECISION),
            name=f"{t('catchment', lang)}: {t('method_' + method, lang)}",
            show=method == analysis.catchment_method,
            style_function=lambda f, s_=styles, o_=other: s_.get(f["properties"].get("rayon"), o_),
            tooltip=tooltip(["rayon"]),
            interactive=True,
        ).add_to(m)
        for r in [r for r in rayons if r in set(ray["rayon"])]:
            _entry(legend, layer, r, "area", styles[escape_text(r)])
    tt = analysis.catchments.get("travel_time")
    if tt is not None and tt.isochrones is not None:
        iso = drop_slivers(_clip(tt.isochrones, area))
        if iso.empty:
            return
        bands = list(dict.fromkeys(tt.isochrones["band_min"]))
        bstyle = {escape_text(b): {"color": c, "weight": 0.5, "fillColor": c, "fillOpacity": 0.35}
                  for b, c in zip(bands, band_colours(len(bands)), strict=True)}
        layer = GeoJson(
            layer_data(iso, ["band_min"], simplify_m=ZONE_SIMPLIFY_M, precision=ZONE_PRECISION), name=t("isochrones", lang),
            show=False, style_function=lambda f, s_=bstyle: s_[f["properties"]["band_min"]],
            tooltip=tooltip(["band_min"], aliases=[t("minutes", lang)]),
        ).add_to(m)
        for b in [b for b in bands if b in set(iso["band_min"])]:
            _entry(legend, layer, f"{t('isochrones', lang)}: {b}", "area", bstyle[escape_text(b)])


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
    layer = GeoJson(
        layer_data(r, ["tps_id", "rayon", "risk_class", "response_min", "route_km"], simplify_m=3),
        name=f"{t('routes', lang)} ({len(r)})", show=True,
        style_function=lambda f: ROUTE_STYLE,
        tooltip=tooltip(["tps_id", "response_min", "route_km"],
                        aliases=[t("tps_id", lang), t("response_min", lang), "km"]),
    ).add_to(m)
    _entry(legend, layer, t("routes", lang), "line", ROUTE_STYLE)


def _flood_classes(present) -> list[str]:
    return [c for c in FLOOD_LEVELS[1:] if c in set(present)]


def add_flood(m: folium.Map, analysis, area, *, lang: str, legend: list | None = None) -> None:
    """Flood evidence: river corridors, hazard polygons and raster classes, lakes, reports, flooded roads."""

    layers = analysis.flood_layers
    if layers is None:
        return
    lab = FLOOD_LABELS.get(lang, FLOOD_LABELS["id"])
    if analysis.flood_corridors is not None and not analysis.flood_corridors.empty:
        corr = drop_slivers(_clip(analysis.flood_corridors, area), 2_000)
        corr["kelas"] = corr["flood_class"].map(lab)
        styles = {c: {"color": P.FLOOD_COLOURS[c], "weight": 0, "fillColor": P.FLOOD_COLOURS[c], "fillOpacity": 0.25}
                  for c in P.FLOOD_COLOURS}
        layer = GeoJson(layer_data(corr, ["flood_class", "kelas", "band"], simplify_m=ZONE_SIMPLIFY_M, precision=ZONE_PRECISION),
                        name=t("flood_corridors", lang), show=False,
                        style_function=lambda f, s_=styles: s_[f["properties"]["flood_class"]],
                        tooltip=tooltip(["kelas", "band"])).add_to(m)
        for c in _flood_classes(corr["flood_class"]):
            _entry(legend, layer, f"{t('flood_corridors', lang)}: {lab[c]}", "area", styles[c])
    if analysis.flood_hazard is not None:
        hz = _clip(analysis.flood_hazard, area)
        if not hz.empty:
            hz["kelas"] = hz["flood_class"].map(lab)
            styles = {c: {"color": P.FLOOD_COLOURS[c], "weight": 1, "fillColor": P.FLOOD_COLOURS[c], "fillOpacity": 0.45}
                      for c in P.FLOOD_COLOURS}
            layer = GeoJson(layer_data(hz, ["flood_class", "kelas", "label"], simplify_m=5), name=t("flood_hazard", lang),
                            style_function=lambda f, s_=styles: s_[f["properties"]["flood_class"]],
                            tooltip=tooltip(["label", "kelas"])).add_to(m)
            for c in _flood_classes(hz["flood_class"]):
                _entry(legend, layer, f"{t('flood_class', lang)}: {lab[c]}", "area", styles[c])
    _add_flood_points(m, analysis, area, lang=lang, legend=legend)


def _add_flood_points(m: folium.Map, analysis, area, *, lang: str, legend: list | None) -> None:
    """Lakes, flood reports and the roads flooded in the high class."""
    layers = analysis.flood_layers
    if layers.lakes is not None and not layers.lakes.empty:
        lk = layers.lakes[layers.lakes.intersects(area)].copy()
        if not lk.empty:
            lk["posisi"] = lk["position_source"].map(lambda s_: t(s_, lang))
            style = {"color": P.LAKE_LINE, "weight": 1.5, "dashArray": "4 3", "fillColor": P.LAKE_FILL, "fillOpacity": 0.6}
            layer = GeoJson(layer_data(lk, ["name", "posisi"]), name=t("lakes", lang),
                            style_function=lambda f: style, tooltip=tooltip(["name", "posisi"])).add_to(m)
            _entry(legend, layer, t("lakes", lang), "area", style)
    if layers.events is not None and not layers.events.empty:
        ev = layers.events[layers.events.intersects(area.buffer(2000))].copy()
        if not ev.empty:
            ev["kedalaman"] = ev["depth_cm"].map(lambda v: "" if pd.isna(v) else f"{v:.0f} cm")
            style = {"color": P.FLOOD_LINE, "weight": 2, "fill": True, "fillColor": P.WATER_COLOUR,
                     "fillOpacity": 0.9, "radius": 6}
            layer = GeoJson(layer_data(ev, ["date", "kedalaman"]), name=f"{t('flood_events', lang)} ({len(ev)})",
                            marker=folium.CircleMarker(radius=6), style_function=lambda f: style,
                            tooltip=tooltip(["date", "kedalaman"], aliases=[t("date", lang), t("depth", lang)])).add_to(m)
            _entry(legend, layer, t("flood_events", lang), "point", style)
    if analysis.graph is not None and analysis.edge_flood_class is not None:
        idx = np.flatnonzero(analysis.edge_flood_class == "tinggi")
        if len(idx):
            geoms = analysis.graph.edge_geometries(idx)
            lab = FLOOD_LABELS.get(lang, FLOOD_LABELS["id"])
            fr = gpd.GeoDataFrame({"kelas": [lab["tinggi"]] * len(geoms)}, geometry=list(geoms), crs=analysis.tps.crs)
            fr = fr[fr.intersects(area)]
            if not fr.empty:
                style = {"color": P.FLOOD_LINE, "weight": 6, "opacity": 0.8, "dashArray": "2 6"}
                layer = GeoJson(layer_data(fr, ["kelas"]), name=t("flooded_roads", lang),
                                style_function=lambda f: style,
                                tooltip=tooltip(["kelas"], aliases=[t("flooded_roads", lang)])).add_to(m)
                _entry(legend, layer, t("flooded_roads", lang), "line", style)


def add_cut_tps(m: folium.Map, tps: gpd.GeoDataFrame, *, lang: str, detour_report_min: float = 5.0,
                legend: list | None = None) -> None:
    """TPS cut off by flood (thick ring) and TPS whose detour adds more than ``detour_report_min``
    minutes (dashed ring), as two layers; shorter detours are not drawn."""
    if "access_cut" not in tps:
        return
    status = access_status(tps, detour_report_min)
    for kind, style in (("unreachable", {"color": P.FLOOD_LINE, "weight": 4, "fill": False, "radius": 12}),
                        ("detour", {"color": P.FLOOD_LINE, "weight": 2, "dashArray": "4 3", "fill": False,
                                    "radius": 11})):
        sel = tps[status == kind].copy()
        if sel.empty:
            continue
        sel["jalan_memutar"] = ([t("unreachable", lang)] * len(sel) if kind == "unreachable" else
                                [f"+{a:.0f} {t('minutes', lang)}" for a in sel["detour_min"] - sel["response_min"]])
        layer = GeoJson(
            layer_data(sel, ["tps_id", "kelurahan", "jalan_memutar"]),
            name=f"{t('cut_' + kind, lang)} ({len(sel)})", marker=folium.CircleMarker(radius=11),
            style_function=lambda f, s=style: s,
            tooltip=tooltip(["tps_id", "jalan_memutar"], aliases=[t("tps_id", lang), t("detour", lang)]),
        ).add_to(m)
        _entry(legend, layer, t("cut_" + kind, lang), "point", style)


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
    _entry(legend, layer, t("staging", lang), "point", STAGING_STYLE)


POLICE_STYLE = {"fillColor": P.POLICE_FILL, "color": P.POLICE_RING, "weight": 2.5, "fill": True, "fillOpacity": 1,
                "radius": 8}
PLANNED_STYLE = {"fillColor": P.PLANNED_FILL, "color": P.PLANNED_RING, "weight": 2.5, "fill": True, "fillOpacity": 1,
                 "radius": 8, "dashArray": "3 2"}


def add_police(m: folium.Map, posts: gpd.GeoDataFrame | None, *, lang: str, legend: list | None = None) -> None:
    """Police units: existing ones filled black, planned ones hollow and dashed."""
    if posts is None or posts.empty:
        return
    p = posts.copy()
    p["posisi"] = p["position_source"].map(lambda s: t(s, lang))
    if "status" not in p:
        p["status"] = ""
    p["rencana"] = planned_units(p).map({True: "1", False: ""})
    gj = layer_data(p, ["unit", "level", "status", "posisi", "rencana"])
    layer = GeoJson(
        gj, name=t("police_posts", lang),
        marker=folium.CircleMarker(radius=8),
        style_function=lambda f: PLANNED_STYLE if f["properties"]["rencana"] else POLICE_STYLE,
        style_only=("rencana",),
        popup=popup(["unit", "level", "status", "posisi"],
                    aliases=[t("unit", lang), "Tingkat" if lang == "id" else "Level",
                             t("status", lang), t("position_source", lang)]),
        tooltip=tooltip(["unit"]),
    ).add_to(m)
    planned = p["rencana"] == "1"
    if (~planned).any():
        _entry(legend, layer, t("police_posts", lang), "point", POLICE_STYLE)
    if planned.any():
        _entry(legend, layer, t("police_planned", lang), "point", PLANNED_STYLE)
    if (p["position_source"] == "approximate").any():
        _entry(legend, layer, t("approx_police_note", lang), "note")


def must_see(tps: gpd.GeoDataFrame) -> list[list[float]]:
    """[lat, lon] of the TPS a map's first view must not hide under a control (rawan, sangat rawan)."""
    if "risk_class" not in tps or tps.empty:
        return []
    sel = tps[tps["risk_class"].isin(PRIORITY_CLASSES)]
    if sel.empty:
        return []
    xy = shapely.get_coordinates(sel.geometry.to_crs(WGS84).to_numpy())
    return np.round(xy[:, ::-1], 5).tolist()


def base_layers(data: RegionData, kode_kec: str | None, area=None, *, minor_roads: bool = True,
                memo: dict | None = None) -> dict[str, Any]:
    """Layer data of the base of a map of one kecamatan (``kode_kec``) or the whole region (None).

    Keys ``kelurahan``, ``kecamatan``, ``roads`` (minor, major), ``waterways`` and ``labels``
    (street names, :func:`_road_labels`), cut to ``area`` (default: the kecamatan, or the
    region) and a margin of ``BASE_MARGIN_M``.

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
              "roads": _roads_data(roads, view), "waterways": _waterways_data(data.waterways, view),
              "labels": _road_labels(roads, view)}
    if kept is not None:
        kept[key] = layers
    return layers


__all__ = [
    "BASE_MARGIN_M",
    "CLASS_STYLE",
    "FLOOD_COLORS",
    "LABEL_MIN_ZOOM",
    "MAJOR_ROADS",
    "PLANNED_STYLE",
    "POLICE_STYLE",
    "ROUTE_STYLE",
    "STAGING_STYLE",
    "LegendEntry",
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
    "band_colours",
    "base_layers",
    "drop_slivers",
    "legend_rows",
    "legend_symbol",
    "must_see",
    "planned_units",
    "rayon_colours",
    "tps_style",
]
