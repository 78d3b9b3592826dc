"""The base of every web map: kelurahan, kecamatan, roads, rivers and street names.

:func:`base_layers` draws the data of these layers, which need no analysis and which a run can
memoise per region; :func:`add_base` adds them to a map. :func:`clip` cuts any layer to a map's area.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import offlinefolium as folium
import shapely
import xyzservices

from pamgeo.core.i18n import t
from pamgeo.ingest.io import WGS84
from pamgeo.ingest.region import RegionData
from pamgeo.render import palette as P
from pamgeo.render.webmap_assets import leaflet_css, leaflet_scripts
from pamgeo.render.webmap_elements import (
    GeoJson,
    RoadLabels,
    tooltip,
)
from pamgeo.render.webmap_encoding import encode_polyline, escape_text, layer_data
from pamgeo.render.webmap_legend import add_entry

MAJOR_ROADS = ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
               "secondary", "secondary_link", "tertiary", "tertiary_link")


BASE_MARGIN_M = 300.0


#: flood reports this far around a map's view are drawn on it
NEARBY_M = 2000


#: the key of :func:`map_assets` in a memo of base layers
ASSETS_KEY = "assets"


#: street names: one label every LABEL_SPACING_M along a named road (at least one on a piece
#: longer than LABEL_MIN_M), shown from zoom LABEL_MIN_ZOOM
LABEL_SPACING_M = 350.0


LABEL_MIN_M = 60.0


LABEL_MIN_ZOOM = 16


def _add_kelurahan(m: folium.Map, gj: dict, *, lang: str, legend: list | None) -> folium.GeoJson:
    style = {"color": P.KELURAHAN_LINE, "weight": 1.6, "fillColor": "#ffffff", "fillOpacity": 0.35, "dashArray": "4 3"}
    layer = GeoJson(
        gj, name=t("kelurahan_boundaries", lang),
        style_function=lambda f: style,
        tooltip=tooltip(["kelurahan", "kode_kel"], aliases=[t("kelurahan", lang), "Kode"]),
    ).add_to(m)
    add_entry(legend, layer, t("kelurahan_boundaries", lang), "area", style)
    return layer


def _roads_data(roads: gpd.GeoDataFrame | None, area) -> tuple[dict, dict] | None:
    """Layer data of the minor and the major roads in ``area``."""
    if roads is None or roads.empty:
        return None
    r = clip(roads, area)
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
        add_entry(legend, layer, t("roads_minor", lang), "line", style)
    if major["features"]:
        style_major = {"color": P.ROAD_MAJOR, "weight": 3}
        layer = GeoJson(major, name=t("roads_major", lang), style_function=lambda f: style_major,
                        tooltip=tooltip(["name"])).add_to(m)
        add_entry(legend, layer, t("roads_major", lang), "line", style_major)


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
    r = clip(named, area)
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
    w = clip(ww, area)
    return None if w.empty else layer_data(w, ["name"], simplify_m=4)


def _add_waterways(m: folium.Map, gj: dict | None, *, lang: str, legend: list | None) -> None:
    if gj is None:
        return
    style = {"color": P.WATER_COLOUR, "weight": 2.5, "opacity": 0.9}
    layer = GeoJson(gj, name=t("waterways", lang), style_function=lambda f: style,
                    tooltip=tooltip(["name"])).add_to(m)
    add_entry(legend, layer, t("waterways", lang), "line", style)


def add_base(m: folium.Map, base: dict[str, Any], *, lang: str, legend: list | None = None) -> folium.GeoJson:
    """The layers of :func:`base_layers`: kelurahan, the kecamatan outline, roads, rivers, and
    the street names shown at street level.

    Returns the kelurahan layer (searched by name, :func:`add_tools`).
    """
    kel_layer = _add_kelurahan(m, base["kelurahan"], lang=lang, legend=legend)
    style = {"color": P.KECAMATAN_LINE, "weight": 3.5, "fill": False}
    layer = GeoJson(base["kecamatan"], name=t("kecamatan", lang), style_function=lambda f: style,
                    interactive=False).add_to(m)
    add_entry(legend, layer, t("kecamatan", lang), "area", style)
    _add_roads(m, base["roads"], lang=lang, legend=legend)
    _add_waterways(m, base["waterways"], lang=lang, legend=legend)
    if base.get("labels"):
        RoadLabels(base["labels"], LABEL_MIN_ZOOM).add_to(m)
    return kel_layer


def sliver_free(geoms: np.ndarray, min_area_m2: float = 10_000) -> tuple[np.ndarray, np.ndarray]:
    """Zones without the pieces and holes smaller than ``min_area_m2`` (metric CRS): the positions
    of those left, and what is left of them (each a MultiPolygon of its polygons kept, each with
    its rings kept).

    Catchments and isochrones grown along roads are fragmented (hundreds of parts under a
    hectare); on a briefing map those specks carry no information but most of the bytes."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    big = (shapely.get_type_id(parts) == 3) & ~shapely.is_empty(parts) & (shapely.area(parts) >= min_area_m2)
    parts, owner = parts[big], owner[big]
    out = np.full(len(geoms), None, dtype=object)
    if len(parts):
        rings, polygon = shapely.get_rings(parts, return_index=True)  # each polygon's exterior, then its holes
        exterior = np.r_[True, polygon[1:] != polygon[:-1]]
        kept = exterior | (shapely.area(shapely.polygons(rings)) >= min_area_m2)
        shapely.multipolygons(shapely.polygons(rings[kept], indices=polygon[kept]), indices=owner, out=out)
    present = np.flatnonzero(~shapely.is_missing(out))
    return present, out[present]


def clip(gdf: gpd.GeoDataFrame, area) -> gpd.GeoDataFrame:
    """Features cut to the map's area (keeps pages small).

    Only the features crossing the area's edge are intersected; those inside stay as they are.
    """
    rows, cut = clipped(gdf.geometry.to_numpy(), area)
    out = gdf.iloc[rows]  # a new frame (copy on write): setting its geometry leaves gdf as it is
    out["geometry"] = gpd.GeoSeries(cut, index=out.index, crs=gdf.crs)
    return out


def clipped(geoms: np.ndarray, area) -> tuple[np.ndarray, np.ndarray]:
    """:func:`clip` of an array of geometries: the positions of those in the area, and what of
    them is in it."""
    shapely.prepare(area)
    rows = np.flatnonzero(shapely.intersects(area, geoms))
    geoms = geoms[rows]
    inside = shapely.contains_properly(area, geoms)
    cut = geoms.copy()
    cut[~inside] = shapely.intersection(geoms[~inside], area)
    # a cut can come back as a GeometryCollection (a polygon and the line where it touches the
    # edge): keep the parts of the feature's own dimension
    for i in np.flatnonzero(shapely.get_type_id(cut) == 7):
        dim = shapely.get_dimensions(geoms[i])
        parts = [p for p in shapely.get_parts(cut[i]) if shapely.get_dimensions(p) == dim]
        cut[i] = shapely.union_all(parts) if parts else shapely.Point()
    left = ~shapely.is_empty(cut)
    return rows[left], cut[left]


def map_assets(memo: dict | None = None) -> tuple[list[tuple[str, str]], str | None, Any]:
    """What every web map writes alike: Leaflet's script and stylesheet as offlinefolium writes
    them (:func:`~pamgeo.render.webmap_assets.leaflet_scripts`, :func:`~pamgeo.render.webmap_assets.leaflet_css`)
    and the online tiles' provider (folium's "OpenStreetMap": xyzservices reads its whole list
    of providers to find it). Made once per ``memo`` (a memo of base layers, :func:`base_layers`).
    """
    if memo is not None and ASSETS_KEY in memo:
        return memo[ASSETS_KEY]
    assets = (leaflet_scripts(), leaflet_css(), xyzservices.providers.query_name("OpenStreetMap Mapnik"))
    if memo is not None:
        memo[ASSETS_KEY] = assets
    return assets


def base_layers(data: RegionData, kode_kec: str | None, area=None, *, minor_roads: bool = True,
                memo: dict | None = None) -> dict[str, Any]:
    """Layer data of the base of a map of one kecamatan (``kode_kec``) or the whole region (None).

    Keys ``kelurahan``, ``kecamatan``, ``roads`` (minor, major), ``waterways`` and ``labels``
    (street names, :func:`_road_labels`), cut to ``area`` (default: the kecamatan, or the
    region) and a margin of ``BASE_MARGIN_M``; and the map's areas: ``bounds`` (of ``area``,
    EPSG:4326 minx, miny, maxx, maxy), ``view`` (``area`` and the margin, what every layer is
    cut to) and ``nearby`` (the view and ``NEARBY_M`` around it: flood reports).

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
    layers = {"kelurahan": layer_data(clip(data.kelurahan, view), ["kelurahan", "kode_kel", "kecamatan"], simplify_m=5),
              "kecamatan": layer_data(kec, ["kecamatan"], simplify_m=5),
              "roads": _roads_data(roads, view), "waterways": _waterways_data(data.waterways, view),
              "labels": _road_labels(roads, view),
              "bounds": tuple(gpd.GeoSeries([area], crs=data.kecamatan.crs).to_crs(WGS84).total_bounds),
              "view": view, "nearby": view.buffer(NEARBY_M)}
    if kept is not None:
        kept[key] = layers
    return layers
