"""Static maps (PNG and PDF) for paper briefings, drawn with matplotlib from the same layers.

Pure drawing: :func:`base_sheet` and :func:`add_analysis` return a matplotlib Figure;
:func:`png_bytes` and :func:`pdf_bytes` render it in memory and :mod:`pamgeo.run.jobs` writes
the files. A run draws the part that needs no analysis first (:func:`base_sheet`), while the
analysis is computed, and adds the rest (:func:`add_analysis`) when it is there.

An A4 landscape sheet: margins of ``MARGIN_MM``; the classification, title and the time it was
made (WIB) at the top; the map on the left; on the right the legend (of what is drawn), the
notes, a north arrow and a scale bar; the sources at the foot. No text smaller than
``MIN_PT``. The frame holds the kecamatan, 300 m around it and all of every pocket the
page lists; routes from staging points beyond it are cut at the frame, and a note names those
points. Labels (police units, staging points, pockets, kelurahan) are placed so that they
overlap neither each other nor the rawan TPS, police and staging symbols (:func:`place_labels`,
a greedy search over a few positions per label; a kelurahan name that finds no free place is
left out).

The figures are plain :class:`~matplotlib.figure.Figure` objects at ``PRINT_DPI``, not pyplot
ones: nothing is drawn until one is rendered and there is no global state to close. Drawn for
speed, looking as before (a print map is on the critical path of a run): each layer of many
features (kelurahan, roads by class, rivers, flood classes, pockets, routes) is one compound
path, not an artist or a PDF path per feature; points are the markers of one line; the legend
is laid out once (:func:`_legend`); a label's haloed outline is made once for both formats
(:class:`_MapLabel`); the PNG reuses the text measured while placing the labels and is encoded
here (:func:`png_bytes`). The PDF stays all vector, its text text.
"""

from __future__ import annotations

import io
import struct
import textwrap
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Polygon, Rectangle
from matplotlib.path import Path
from matplotlib.patheffects import PathEffectRenderer, withStroke
from matplotlib.text import Annotation
from matplotlib.textpath import TextPath
from matplotlib.transforms import Affine2D, IdentityTransform

from pamgeo.core.i18n import distance, number, t, when
from pamgeo.core.vocabulary import CLASSES, FLOOD_LABELS, FLOOD_LEVELS, class_label
from pamgeo.render import palette as P
from pamgeo.render.webmap_base import MAJOR_ROADS
from pamgeo.render.webmap_layers import planned_units

PRINT_SIMPLIFY_M = 2.0  # an A4 map of a kecamatan has about 3-5 m per pixel at 200 dpi
PRINT_DPI = 200
A4_LANDSCAPE = (11.69, 8.27)  # inches
MARGIN_MM = 10.0
MIN_PT = 7.0
FRAME_M = 300.0  # around the kecamatan
CONTEXT_M = 1500.0  # the frame may grow this far beyond the kecamatan to hold a pocket whole
PANEL_MM = 64.0  # the right-hand column: legend, notes, north arrow, scale
HEAD_MM, FOOT_MM = 17.0, 15.0
#: label styles
LABEL_PT = 7.0
PNG_LEVEL = 1  # zlib level of the PNG: level 6 takes about twice as long for 2-3% fewer bytes
PNG_BAND = 64  # rows converted and compressed at a time


def now() -> datetime:
    """The time a sheet is made (a function: tests fix it)."""
    return datetime.now(UTC)


def _in_view(gdf: gpd.GeoDataFrame, view, simplify_m: float = PRINT_SIMPLIFY_M,
             column: str | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """The geometries of the features meeting ``view`` (found through the spatial index), cut to
    its bounding box and simplified below the print's resolution (the map draws only what
    shows), and their values of ``column`` if one is named."""
    idx = gdf.sindex.query(view, predicate="intersects")
    minx, miny, maxx, maxy = view.bounds
    m = 50.0  # cut edges fall just outside the frame, not on it
    geoms = shapely.clip_by_rect(gdf.geometry.to_numpy()[idx], minx - m, miny - m, maxx + m, maxy + m)
    if simplify_m > 0:  # plain Douglas-Peucker: a drawing needs no valid polygons, and keeping their
        geoms = shapely.simplify(geoms, simplify_m, preserve_topology=False)  # topology took 5x as long
    keep = ~shapely.is_empty(geoms)
    return geoms[keep], (gdf[column].to_numpy()[idx][keep] if column else None)


def _compound_path(geoms, polygons: bool) -> Path | None:
    """One path of many lines or polygons, each line or ring a sub-path (``None`` if there are
    none): drawn as one artist, written to a PDF as one path, not one per feature.

    Polygons are oriented (exteriors counter-clockwise, holes clockwise) for the non-zero fill
    rule; rings are closed as geopandas closes them."""
    parts = shapely.get_parts(np.asarray(geoms, dtype=object))
    kind = shapely.get_type_id(parts)
    if polygons:
        parts = shapely.get_rings(shapely.orient_polygons(parts[kind == 3]))  # Polygon
    else:
        parts = parts[(kind == 1) | (kind == 2)]  # LineString, LinearRing
    xy, index = shapely.get_coordinates(parts, return_index=True)
    if not len(xy):
        return None
    codes = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
    codes[starts] = Path.MOVETO
    if polygons:
        codes[np.r_[starts[1:] - 1, len(xy) - 1]] = Path.CLOSEPOLY
    return Path(xy, codes)


def _draw_polygons(ax: Axes, geoms, **style) -> None:
    """(Multi)polygons as one patch (see :func:`_compound_path`), styled like a geopandas plot."""
    path = _compound_path(geoms, polygons=True)
    if path is not None:
        ax.add_artist(PathPatch(path, joinstyle="round", capstyle="butt", **style))


def _draw_lines(ax: Axes, geoms, **style) -> None:
    """(Multi)lines as one unfilled patch, ``color`` their colour (see :func:`_compound_path`)."""
    path = _compound_path(geoms, polygons=False)
    if path is not None:
        ax.add_artist(PathPatch(path, fill=False, edgecolor=style.pop("color"), joinstyle="round", capstyle="butt",
                                **style))


def _draw_points(ax: Axes, xy: np.ndarray, area_pt2: float, *, face, edge, width: float, zorder: float) -> None:
    """Circles of ``area_pt2`` (a scatter's ``s``) at the points ``xy``: the markers of one line
    without a line, drawn as a scatter draws one colour of markers at a fraction of its cost."""
    ax.add_artist(Line2D(xy[:, 0], xy[:, 1], linestyle="none", marker="o", markersize=float(np.sqrt(area_pt2)),
                         markerfacecolor=face, markeredgecolor=edge, markeredgewidth=width, zorder=zorder))


@dataclass
class Label:
    """A label to place: its text, candidate positions ``(xy, offset_pt, ha, va)`` in order of
    preference, its style, and whether it is kept when no position is free."""

    text: str
    candidates: list[tuple[tuple[float, float], tuple[float, float], str, str]]
    style: dict = field(default_factory=dict)
    required: bool = False
    own: int | None = None  # the index of the label's own symbol among the obstacles


@dataclass
class Sheet:
    """A print map being drawn: its figure, axes and frame (see :func:`base_sheet`)."""

    fig: Figure
    ax: Axes
    kode_kec: str
    view: Any  # the frame: the kecamatan and 300 m around it, in the region's CRS
    area: Any = None  # the kecamatan
    context: Any = None  # how far the frame may grow (to hold a pocket whole)
    data: Any = None  # the region: layers drawn where the frame grows
    lang: str = "id"
    notes: list[str] = field(default_factory=list)
    attribution: str = ""
    legend: list[tuple[int, Any]] = field(default_factory=list)  # (order, handle)
    labels: list[Label] = field(default_factory=list)
    obstacles: list[tuple[float, float, float]] = field(default_factory=list)  # x, y, radius (pt)


def _mm(x_mm: float, y_mm: float, size=A4_LANDSCAPE) -> tuple[float, float]:
    """Figure fraction of a point ``x_mm`` from the left, ``y_mm`` from the bottom."""
    return x_mm / (size[0] * 25.4), y_mm / (size[1] * 25.4)


def base_sheet(data, kode_kec: str, *, lang: str = "id", size=A4_LANDSCAPE) -> Sheet:
    """The part of a kecamatan's print map drawn from the region alone.

    Boundaries, roads, rivers, police units (existing and planned), the kelurahan names to
    place, title, classification and sources: everything but the analysis's layers, which
    :func:`add_analysis` adds with the legend, the scale, the north arrow and the date. A run
    draws it while the analysis is computed.
    """
    kec = data.kecamatan[data.kecamatan["kode_kec"] == kode_kec]
    if kec.empty:
        raise ValueError(f"kecamatan {kode_kec} is not in region {data.config.region.id}")
    area = kec.geometry.iloc[0]
    view = area.buffer(FRAME_M)
    minx, miny, maxx, maxy = area.bounds
    grow = FRAME_M + CONTEXT_M
    context = shapely.box(minx - grow, miny - grow, maxx + grow, maxy + grow)  # a buffer's envelope, less the buffer
    fig = Figure(figsize=size, dpi=PRINT_DPI)
    w_mm, h_mm = size[0] * 25.4, size[1] * 25.4
    left, bottom = _mm(MARGIN_MM, MARGIN_MM + FOOT_MM, size)
    right, top = _mm(w_mm - MARGIN_MM - PANEL_MM - 6, h_mm - MARGIN_MM - HEAD_MM, size)
    ax = fig.add_axes((left, bottom, right - left, top - bottom))
    ax.set_axis_off()
    sheet = Sheet(fig, ax, kode_kec, view, area=area, context=context, data=data, lang=lang)
    # z-order: the layers of the region, flood, pockets, routes (add_analysis), the kecamatan
    # boundary, the TPS, the staging points and police units on top
    kel, kel_names = _draw_base(sheet, shapely.box(*view.bounds), legend=True)
    _draw_lines(ax, kec.boundary, color=P.KECAMATAN_LINE, linewidth=1.8, zorder=2.5)
    sheet.legend.append((91, Line2D([], [], color=P.KECAMATAN_LINE, lw=1.8, label=t("kecamatan", lang))))
    _draw_police(sheet, data.police_posts, context)
    points = shapely.point_on_surface(kel)
    for name, (x, y) in zip(kel_names[shapely.contains(area, points)], shapely.get_coordinates(
            points[shapely.contains(area, points)]), strict=True):
        sheet.labels.append(Label(str(name), _area_candidates((x, y)), {"color": "#444", "style": "italic"}))
    cfg = data.config
    name = kec["kecamatan"].iloc[0]
    n_tps = int((data.tps["kode_kec"] == kode_kec).sum())
    x0, y_head = _mm(MARGIN_MM, h_mm - MARGIN_MM, size)
    fig.text(0.5, y_head, cfg.region.classification, ha="center", va="top", color="#8b0000", weight="bold",
             fontsize=11)
    fig.text(x0, _mm(0, h_mm - MARGIN_MM - 6.5, size)[1], f"{t('briefing_title', lang)}: {t('kecamatan', lang)} "
             f"{name} ({kode_kec}) · {number(n_tps, lang)} TPS", fontsize=12, ha="left", va="top")
    note_key = data.estimated_note_key  # a property that looks at the TPS
    if note_key:
        sheet.notes.append(t(note_key, lang))
    if data.police_posts is not None and (data.police_posts["position_source"] == "approximate").any():
        sheet.notes.append(t("approx_police_note", lang))
    sheet.attribution = f"{t('attribution', lang)}: " + " · ".join(cfg.attributions())
    _frame(ax, view)
    return sheet


def _draw_base(sheet: Sheet, box, *, legend: bool) -> tuple[np.ndarray, np.ndarray]:
    """Kelurahan, roads and rivers in the rectangle ``box``; returns the kelurahan drawn and their names."""
    data, ax, lang = sheet.data, sheet.ax, sheet.lang
    kel, names = _in_view(data.kelurahan, box, column="kelurahan")
    _draw_polygons(ax, kel, facecolor=P.LAND, edgecolor=P.KELURAHAN_LINE, linewidth=0.6, linestyle="--", zorder=1)
    entries = [(90, Line2D([], [], color=P.KELURAHAN_LINE, ls="--", lw=0.8, label=t("kelurahan_boundaries", lang)))]
    if data.roads is not None:
        roads, road_class = _in_view(data.roads, box, column="road_class")
        major = np.isin(road_class, list(MAJOR_ROADS))
        if (~major).any():
            _draw_lines(ax, roads[~major], color=P.ROAD_MINOR, linewidth=0.3, zorder=1.1)
            entries.append((86, Line2D([], [], color=P.ROAD_MINOR, lw=0.6, label=t("roads_minor", lang))))
        if major.any():
            _draw_lines(ax, roads[major], color=P.ROAD_MAJOR, linewidth=1.2, zorder=1.2)
            entries.append((85, Line2D([], [], color=P.ROAD_MAJOR, lw=1.5, label=t("roads_major", lang))))
    if data.waterways is not None:
        water, _ = _in_view(data.waterways, box)
        if len(water):
            _draw_lines(ax, water, color=P.WATER_COLOUR, linewidth=1.2, zorder=1.3)
            entries.append((80, Line2D([], [], color=P.WATER_COLOUR, lw=1.5, label=t("waterways", lang))))
    if legend:
        sheet.legend += entries
    return kel, names


def _draw_police(sheet: Sheet, posts: gpd.GeoDataFrame | None, context) -> None:
    """Existing units filled black, planned ones hollow and dashed; their names to place."""
    if posts is None or posts.empty:
        return
    lang = sheet.lang
    planned = planned_units(posts)
    shown = posts[posts.intersects(context)]
    for is_planned, order in ((False, 20), (True, 21)):
        sel = shown[planned.loc[shown.index] == is_planned]
        style = ({"facecolor": P.PLANNED_FILL, "edgecolor": P.PLANNED_RING, "linestyle": (0, (2, 1))} if is_planned
                 else {"facecolor": P.POLICE_FILL, "edgecolor": P.POLICE_RING})
        if (planned == is_planned).any():  # in the legend when the region has such units
            sheet.legend.append((order, Line2D([], [], marker="o", ls="", markersize=7, markeredgewidth=1.2,
                                               markerfacecolor=style["facecolor"],
                                               markeredgecolor=P.PLANNED_RING,
                                               label=t("police_planned" if is_planned else "police_posts", lang))))
        if sel.empty:
            continue
        xy = shapely.get_coordinates(sel.geometry.to_numpy())
        if is_planned:  # dashed rings: a scatter (a line's markers have solid edges)
            sheet.ax.scatter(xy[:, 0], xy[:, 1], s=55, linewidths=1.3, zorder=7, **style)
        else:
            _draw_points(sheet.ax, xy, 55, face=style["facecolor"], edge=style["edgecolor"], width=1.3, zorder=7)
        for (x, y), unit in zip(xy, sel["unit"], strict=True):
            sheet.obstacles.append((x, y, 5.0))
            sheet.labels.append(Label(str(unit), _point_candidates((x, y)), {"color": "#111"}, required=True,
                                      own=len(sheet.obstacles) - 1))


def add_analysis(sheet: Sheet, analysis, *, moment: datetime | None = None) -> Figure:
    """Draw the analysis onto a :func:`base_sheet` and finish it; returns its figure.

    Flood evidence, pockets (those the page lists), the reserve's routes and staging points,
    the TPS by class; then the frame, legend, notes, north arrow, scale bar, the time made
    (``moment``, default now) and the labels.
    """
    ax, lang = sheet.ax, sheet.lang
    tps = analysis.tps[analysis.tps["kode_kec"] == sheet.kode_kec]
    pockets = _listed_pockets(analysis, sheet.kode_kec)
    frame = _grow_frame(sheet, pockets)
    view_box = shapely.box(*sheet.view.bounds)
    if not view_box.contains(frame):  # the base layers where the frame grew
        ring = frame.difference(view_box)
        _draw_base(sheet, shapely.box(*ring.bounds), legend=False)
    _draw_flood(sheet, analysis, frame)
    _draw_pockets(sheet, pockets)
    _draw_routes(sheet, analysis, tps, frame)
    points, risk = tps.geometry.to_numpy(), tps["risk_class"].to_numpy()
    for cls, order in zip(CLASSES, range(1, 5), strict=True):
        sel = points[risk == cls]
        if not len(sel):
            continue
        big = cls in ("rawan", "sangat_rawan")
        xy = shapely.get_coordinates(sel)
        _draw_points(ax, xy, 26 if big else 7, face=P.CLASS_COLOURS[cls], edge=P.CLASS_OUTLINES[cls], width=0.4,
                     zorder=5 + order / 10)
        sheet.legend.append((order, Line2D([], [], marker="o", ls="", markersize=6 if big else 4,
                                           markerfacecolor=P.CLASS_COLOURS[cls], markeredgecolor=P.CLASS_OUTLINES[cls],
                                           label=f"TPS {class_label(cls, lang)}")))
        if big:
            sheet.obstacles += [(x, y, 3.0) for x, y in xy]
    _frame(ax, frame)
    _finish(sheet, moment or now())
    return sheet.fig


def _grow_frame(sheet: Sheet, pockets: gpd.GeoDataFrame | None):
    """The frame: the kecamatan and FRAME_M around it, grown to hold every pocket the page
    lists (``pockets``) whole (up to the area the base layers cover; a note if one still runs
    past it)."""
    frame = sheet.view
    if pockets is not None and not pockets.empty:
        whole = shapely.box(*shapely.union_all([frame, *pockets.geometry.buffer(50)]).bounds)
        frame = shapely.box(*frame.bounds).union(whole.intersection(sheet.context)).envelope
        if not sheet.context.contains(whole):
            sheet.notes.append(t("frame_clipped", sheet.lang))
    return frame


def _listed_pockets(analysis, kode_kec: str) -> gpd.GeoDataFrame | None:
    polygons = analysis.pockets.polygons
    if polygons is None or polygons.empty:
        return None
    return polygons[polygons["pocket_id"].isin(set(analysis.pocket_table(kode_kec)["pocket_id"]))]


def _draw_flood(sheet: Sheet, analysis, frame) -> None:
    """Flood hazard by class, lakes, flood reports."""
    ax, lang = sheet.ax, sheet.lang
    lab = FLOOD_LABELS.get(lang, FLOOD_LABELS["id"])
    hazard = analysis.flood_hazard
    if hazard is not None and not hazard.empty:
        hz, flood_class = _in_view(hazard, frame, simplify_m=5, column="flood_class")
        for i, cls in enumerate(FLOOD_LEVELS[1:]):
            sel = hz[flood_class == cls]
            if not len(sel):
                continue
            colour = P.FLOOD_COLOURS[cls]
            _draw_polygons(ax, sel, facecolor=colour, edgecolor=colour, linewidth=0.3, alpha=0.5, zorder=1.35)
            sheet.legend.append((60 + i, Patch(facecolor=colour, edgecolor=colour, alpha=0.5,
                                               label=f"{t('flood_class', lang)}: {lab[cls]}")))
    layers = analysis.flood_layers
    if layers is None:
        return
    if layers.lakes is not None and not layers.lakes.empty:
        lakes, _ = _in_view(layers.lakes, frame)
        if len(lakes):
            _draw_polygons(ax, lakes, facecolor=P.LAKE_FILL, edgecolor=P.LAKE_LINE, linewidth=0.6, linestyle="--",
                           zorder=1.36)
            sheet.legend.append((64, Patch(facecolor=P.LAKE_FILL, edgecolor=P.LAKE_LINE, ls="--", label=t("lakes", lang))))
    if layers.events is not None and not layers.events.empty:
        ev = layers.events[layers.events.intersects(frame)]
        if not ev.empty:
            xy = shapely.get_coordinates(ev.geometry.to_numpy())
            _draw_points(ax, xy, 16, face=P.WATER_COLOUR, edge=P.FLOOD_LINE, width=0.8, zorder=4)
            sheet.legend.append((65, Line2D([], [], marker="o", ls="", markersize=5, markerfacecolor=P.WATER_COLOUR,
                                            markeredgecolor=P.FLOOD_LINE, label=t("flood_events", lang))))


def _draw_pockets(sheet: Sheet, pockets: gpd.GeoDataFrame | None) -> None:
    if pockets is None or pockets.empty:
        return
    risky = (pockets["n_rawan"] + pockets["n_sangat_rawan"]) > 0
    for sel, key, colour, order in ((pockets[risky], "pockets", P.POCKET_COLOUR, 40),
                                    (pockets[~risky], "dense_clusters", P.CLUSTER_COLOUR, 41)):
        if sel.empty:
            continue
        _draw_polygons(sheet.ax, sel.geometry, facecolor=colour, edgecolor="none", alpha=0.15, linewidth=0, zorder=2)
        _draw_lines(sheet.ax, sel.boundary, color=colour, linewidth=1.2, linestyle="--", zorder=2.1)
        sheet.legend.append((order, Patch(facecolor=colour + "26", edgecolor=colour, ls="--",
                                          label=t(key, sheet.lang))))
        for _, row in sel.iterrows():
            sheet.labels.append(Label(str(row["pocket_id"]), _hull_candidates(row.geometry),
                                      {"color": colour, "weight": "bold"}, required=True))


def _draw_routes(sheet: Sheet, analysis, tps, frame) -> None:
    """Routes to this kecamatan's rawan TPS (cut at the frame) and the staging points; a note
    names the staging points beyond the frame."""
    ax, lang = sheet.ax, sheet.lang
    routes = analysis.routes
    rayons: set = set()
    if routes is not None and not routes.empty:
        r = routes[routes["tps_id"].isin(set(tps["tps_id"]))]
        drawn = _in_view(r, frame, simplify_m=3)[0] if not r.empty else []
        if len(drawn):  # only what is on the sheet, and in the legend only then
            rayons = set(r["rayon"].dropna())
            _draw_lines(ax, drawn, color=P.ROUTE_COLOUR, linewidth=1.6, alpha=0.9, zorder=3)
            sheet.legend.append((30, Line2D([], [], color=P.ROUTE_COLOUR, lw=2, label=t("routes", lang))))
    staging = analysis.staging
    if staging is None or staging.empty:
        return
    inside = staging[staging.intersects(frame)]
    if not inside.empty:
        xy = shapely.get_coordinates(inside.geometry.to_numpy())
        _draw_points(ax, xy, 150, face="none", edge=P.STAGING_COLOUR, width=2, zorder=6)
        sheet.legend.append((22, Line2D([], [], marker="o", ls="", markersize=9, markerfacecolor="none",
                                        markeredgewidth=2, markeredgecolor=P.STAGING_COLOUR, label=t("staging", lang))))
        for (x, y), rayon, name in zip(xy, inside["rayon"], inside["staging"], strict=True):
            sheet.obstacles.append((x, y, 7.0))
            sheet.labels.append(Label(f"{rayon}: {name}", _point_candidates((x, y), gap=8), {"color": "#111"},
                                      required=True, own=len(sheet.obstacles) - 1))
    centre = sheet.area.centroid
    away = staging[~staging.intersects(frame) & staging["rayon"].isin(rayons)]
    if not away.empty:
        parts = [f"{row['rayon']}: {row['staging']} ({distance(row.geometry.distance(centre), lang)})"
                 for _, row in away.iterrows()]
        sheet.notes.append(f"{t('offmap_staging', lang)}: " + "; ".join(parts))


def _finish(sheet: Sheet, moment: datetime) -> None:
    """Legend, notes, north arrow, scale bar, date, sources; then the labels."""
    fig, ax, lang = sheet.fig, sheet.ax, sheet.lang
    w_mm, h_mm = (v * 25.4 for v in fig.get_size_inches())
    size = tuple(fig.get_size_inches())
    px0 = w_mm - MARGIN_MM - PANEL_MM
    top = h_mm - MARGIN_MM - HEAD_MM
    made = f"{t('print_made', lang)}: {when(moment, lang)}"
    fig.text(*_mm(w_mm - MARGIN_MM, h_mm - MARGIN_MM - 6.5, size), made, ha="right", va="top", fontsize=8,
             gid="print-date")
    # the Agg canvas (at the print's dpi) that measures the text here draws the PNG
    renderer = FigureCanvasAgg(fig).get_renderer()
    handles = [h for _, h in sorted(sheet.legend, key=lambda x: x[0])]
    y = _legend(fig, handles, t("legend", lang), px0, top, renderer) - 4
    chars = int(PANEL_MM / 1.4)
    for note in sheet.notes:
        text = fig.text(*_mm(px0, y, size), textwrap.fill(note, chars), fontsize=MIN_PT, va="top", ha="left",
                        color="#333", linespacing=1.25)
        y = text.get_window_extent(renderer).transformed(fig.transFigure.inverted()).y0 * h_mm - 2.5
    _north_arrow(fig, px0 + PANEL_MM - 8, MARGIN_MM + FOOT_MM, lang)
    _scale_bar(fig, ax, px0, MARGIN_MM + FOOT_MM + 2)
    fig.text(*_mm(MARGIN_MM, MARGIN_MM, size), textwrap.fill(sheet.attribution, 190), fontsize=MIN_PT, va="bottom",
             ha="left", color="#333", linespacing=1.2)
    place_labels(sheet, renderer)


def _legend(fig: Figure, handles: list, title: str, x_mm: float, top_mm: float, renderer) -> float:
    """The legend, its top left corner at ``(x_mm, top_mm)``; returns its bottom (mm).

    Laid out as ``fig.legend(loc="upper left", handlelength=2.2, labelspacing=0.45,
    borderpad=0, frameon=False)`` lays it out, and drawn from the same handles, but once: a
    matplotlib legend lays itself out anew at every draw, for each format, which took longer
    than drawing it. Placed in points from the figure's corner, it prints alike at any dpi.
    """
    size = LABEL_PT + 0.5
    handle_w, handle_h, pad, spacing = 2.2 * size, 0.7 * size, 0.8 * size, 0.45 * size  # as a Legend's, in pt
    pts = Affine2D().scale(1 / 72) + fig.dpi_scale_trans  # points from the figure's lower left corner
    px_pt = fig.dpi / 72
    x, top = x_mm / 25.4 * 72, top_mm / 25.4 * 72
    head = fig.text(x, top, title, transform=pts, fontsize=9, ha="left", va="top", gid="legend-title")
    _, lp_h, lp_d = renderer.get_text_width_height_descent("lp", FontProperties(size=size), ismath=False)
    ascent, descent = (lp_h - lp_d) / px_pt, lp_d / px_pt  # a row's height: the text's line ("lp")
    base = top - head.get_window_extent(renderer).height / px_pt - spacing - ascent
    for handle in handles:
        if isinstance(handle, Patch):
            art = Rectangle((x, base), handle_w, handle_h)
        else:  # a Line2D: the line across, its marker in the middle
            art = Line2D([x, x + handle_w / 2, x + handle_w], [base + handle_h / 2] * 3, markevery=[1])
        art.update_from(handle)
        art.set_transform(pts)
        art.set_gid("legend-handle")
        fig.add_artist(art)
        fig.text(x + handle_w + pad, base, handle.get_label(), transform=pts, fontsize=size, ha="left", va="baseline",
                 gid="legend-entry")
        base -= ascent + descent + spacing
    return (base + ascent + spacing) / 72 * 25.4


def _north_arrow(fig: Figure, x_mm: float, y_mm: float, lang: str) -> None:
    """An arrow pointing to grid north (the map's up; in UTM near Jakarta within 0.2° of true north)."""
    size = tuple(fig.get_size_inches())
    pts = [_mm(x_mm, y_mm + 13, size), _mm(x_mm - 3.2, y_mm + 4, size), _mm(x_mm, y_mm + 6, size),
           _mm(x_mm + 3.2, y_mm + 4, size)]
    fig.add_artist(Polygon(pts, closed=True, transform=fig.transFigure, facecolor="#111", edgecolor="#111",
                           gid="north-arrow"))
    fig.text(*_mm(x_mm, y_mm + 14, size), t("north", lang), ha="center", va="bottom", fontsize=10, weight="bold",
             gid="north-arrow-label")


def _scale_bar(fig: Figure, ax: Axes, x_mm: float, y_mm: float) -> None:
    """A metric scale bar in two halves, its length a round number of about 30 mm on paper."""
    size = tuple(fig.get_size_inches())
    ax.apply_aspect()
    minx, maxx = ax.get_xlim()
    metres_per_mm = (maxx - minx) / (ax.get_position().width * size[0] * 25.4)
    length = next((n for n in (100, 200, 250, 500, 1000, 2000, 2500, 5000) if n / metres_per_mm >= 25), 10000)
    bar_mm = length / metres_per_mm
    for i in range(2):
        fig.add_artist(Rectangle(_mm(x_mm + i * bar_mm / 2, y_mm, size), bar_mm / 2 / (size[0] * 25.4),
                                 1.6 / (size[1] * 25.4), transform=fig.transFigure,
                                 facecolor="#111" if i == 0 else "#fff", edgecolor="#111", linewidth=0.6,
                                 gid="scale-bar"))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    fig.text(*_mm(x_mm, y_mm + 2.5, size), "0", ha="center", va="bottom", fontsize=MIN_PT)
    fig.text(*_mm(x_mm + bar_mm, y_mm + 2.5, size), label, ha="center", va="bottom", fontsize=MIN_PT)


def _point_candidates(xy, gap: float = 5.0) -> list:
    """Positions around a point symbol: right, left, above, below, then the diagonals."""
    return [(xy, (gap, 0), "left", "center"), (xy, (-gap, 0), "right", "center"),
            (xy, (0, gap), "center", "bottom"), (xy, (0, -gap), "center", "top"),
            (xy, (gap, gap), "left", "bottom"), (xy, (-gap, gap), "right", "bottom"),
            (xy, (gap, -gap), "left", "top"), (xy, (-gap, -gap), "right", "top"),
            (xy, (2 * gap, 2 * gap), "left", "bottom"), (xy, (-2 * gap, -2 * gap), "right", "top")]


def _area_candidates(xy) -> list:
    """Positions for an area's name: its inner point, then shifts around it."""
    shifts = [(0, 0), (0, 9), (0, -9), (14, 0), (-14, 0), (0, 18), (0, -18), (20, 10), (-20, -10), (20, -10),
              (-20, 10), (0, 27), (0, -27)]
    return [(xy, s, "center", "center") for s in shifts]


def _hull_candidates(geom) -> list:
    """Positions for a pocket's name: outside its hull, above, below, right, left."""
    minx, miny, maxx, maxy = geom.bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    return [((cx, maxy), (0, 2), "center", "bottom"), ((cx, miny), (0, -2), "center", "top"),
            ((maxx, cy), (3, 0), "left", "center"), ((minx, cy), (-3, 0), "right", "center"),
            ((maxx, maxy), (2, 2), "left", "bottom"), ((minx, miny), (-2, -2), "right", "top"),
            ((cx, maxy), (0, 10), "center", "bottom"), ((cx, miny), (0, -10), "center", "top")]


def place_labels(sheet: Sheet, renderer) -> list[Annotation]:
    """Place the sheet's labels so that none overlaps another or a symbol kept clear.

    Greedy, in order (police units, staging points, pockets, then kelurahan): each label takes
    the first of its candidate positions whose box lies inside the map and meets neither a
    label placed before nor an obstacle (the rawan TPS, police and staging symbols). A required
    label with no free position takes the one overlapping least; another is left out, and so
    is every label that would not lie wholly inside the map, or whose feature is outside it.
    """
    ax = sheet.ax
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    frame = ax.get_window_extent(renderer)
    to_px = ax.transData.transform
    scale = sheet.fig.dpi / 72
    obstacles = [(*to_px((x, y)), r * scale) for x, y, r in sheet.obstacles]
    boxes = [np.array([x - r, y - r, x + r, y + r]) for x, y, r in obstacles]
    placed: list[np.ndarray] = []
    out = []
    order = sorted(range(len(sheet.labels)), key=lambda i: not sheet.labels[i].required)
    for i in order:
        label = sheet.labels[i]
        (ax_, ay_) = label.candidates[0][0]
        if not (x0 <= ax_ <= x1 and y0 <= ay_ <= y1):
            continue
        others = [b for k, b in enumerate(boxes) if k != label.own]
        ann = _MapLabel(label.text, label.candidates[0][0], xytext=label.candidates[0][1], textcoords="offset points",
                        fontsize=LABEL_PT, zorder=8, annotation_clip=False, path_effects=_halo(), **label.style)
        ann.set_transform(IdentityTransform())  # as Axes.annotate adds one: unclipped
        ax.add_artist(ann)
        ann.set_clip_on(False)
        best, best_cost = None, np.inf
        for xy, offset, ha, va in label.candidates:
            ann.xy, ann.xyann = xy, offset
            ann.set_ha(ha)
            ann.set_va(va)
            e = ann.get_window_extent(renderer)
            box = np.array([e.x0, e.y0, e.x1, e.y1])
            inside = box[0] >= frame.x0 and box[1] >= frame.y0 and box[2] <= frame.x1 and box[3] <= frame.y1
            cost = sum(_overlap(box, b) for b in placed) + sum(_overlap(box, b) for b in others)
            if inside and cost == 0:
                best, best_cost = (xy, offset, ha, va, box), 0
                break
            cost += 0 if inside else 1e9
            if cost < best_cost:
                best, best_cost = (xy, offset, ha, va, box), cost
        if best_cost >= 1e9 or (best_cost > 0 and not label.required):
            ann.remove()
            continue
        xy, offset, ha, va, box = best
        ann.xy, ann.xyann = xy, offset
        ann.set_ha(ha)
        ann.set_va(va)
        placed.append(box)
        out.append(ann)
    return out


class _MapLabel(Annotation):
    """A label on the map: an annotation drawn, as matplotlib draws a text with path effects
    (the white halo), as the outline of its glyphs; but the outline is made and placed once, at
    the first draw (the PNG's), and every later draw (the PDF's) reuses it. A text with path
    effects is turned into a path anew at every draw, which took longer than drawing it.
    A text of several lines, rotated or with mathtext (``$``) is drawn as any annotation is."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._outline: tuple | None = None  # (what it was made for, path in points, its place in inches)

    def draw(self, renderer) -> None:
        fig = self.get_figure(root=True)
        text = self.get_text()
        if (not self.get_path_effects() or "$" in text or "\n" in text or self.get_rotation() or self.axes is None
                or fig is None):
            return super().draw(renderer)
        if not self.get_visible() or not text:
            return None
        anchor = self.axes.transData.transform(self.xy) / fig.dpi  # inches: alike at any dpi
        key = (text, *np.round(anchor, 6), *self.xyann, self.get_ha(), self.get_va(),
               hash(self.get_fontproperties()))
        if self._outline is None or self._outline[0] != key:
            self.update_positions(renderer)
            _, info, _ = self._get_layout(renderer)
            ((line, _, dx, dy),) = info  # one line
            x, y = self.get_transform().transform(self.get_unitless_position()) + (dx, dy)
            glyphs = TextPath((0, 0), line, prop=self.get_fontproperties())  # in points
            self._outline = (key, Path(glyphs.vertices, glyphs.codes),
                             Affine2D().scale(1 / 72).translate(x / fig.dpi, y / fig.dpi))
        _, path, place = self._outline
        gc = renderer.new_gc()
        gc.set_foreground(self.get_color())
        gc.set_alpha(self.get_alpha())
        gc.set_url(self.get_url())
        gc.set_antialiased(self.get_antialiased())
        self._set_gc_clip(gc)
        gc.set_linewidth(0.0)
        PathEffectRenderer(self.get_path_effects(), renderer).draw_path(
            gc, path, place + fig.dpi_scale_trans, rgbFace=gc.get_rgb())
        gc.restore()
        self.stale = False
        return None


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _halo():
    return [withStroke(linewidth=2.2, foreground="white")]


def _frame(ax: Axes, view) -> None:
    minx, miny, maxx, maxy = view.bounds
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal")


def png_bytes(fig: Figure) -> bytes:
    """The figure as a PNG at its own dpi (:data:`PRINT_DPI` for a sheet): lossless, 8-bit RGB.

    Drawn on the figure's Agg canvas when it has one (:func:`add_analysis` attaches it, at the
    print's dpi): the text measured while placing the labels is not measured again. Encoded
    here, not by Pillow: a sheet is mostly flat colour, which deflate (level 1) packs well
    unfiltered; Pillow's per-row adaptive filters and the alpha channel (the sheet is opaque)
    took 2-3 times as long for a file 15-30% larger. The rows go to zlib in bands that stay in
    the CPU's cache.
    """
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    height, width = rgba.shape[:2]
    band = np.zeros((PNG_BAND, 1 + 3 * width), dtype=np.uint8)  # each row: filter type 0 (none), then RGB
    deflate = zlib.compressobj(PNG_LEVEL)
    idat = []
    for y in range(0, height, PNG_BAND):
        rows = band[: min(PNG_BAND, height - y)]
        rows[:, 1:].reshape(len(rows), width, 3)[:] = rgba[y : y + len(rows), :, :3]
        idat.append(deflate.compress(rows))
    idat.append(deflate.flush())
    ppm = round(fig.dpi / 0.0254)  # pixels per metre
    software = f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/".encode("latin-1")
    return b"".join([b"\x89PNG\r\n\x1a\n",
                     _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),  # 8-bit RGB
                     _png_chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
                     _png_chunk(b"tEXt", b"Software\0" + software),
                     _png_chunk(b"IDAT", b"".join(idat)),
                     _png_chunk(b"IEND", b"")])


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def pdf_bytes(fig: Figure) -> bytes:
    """The figure as a PDF, all vector, its text text: each layer of many features one path
    (:func:`_compound_path`), written with zlib level 1."""
    out = io.BytesIO()
    with matplotlib.rc_context({"pdf.compression": 1}):
        fig.savefig(out, format="pdf")
    return out.getvalue()
