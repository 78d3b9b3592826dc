"""Static maps (PNG and PDF) for paper briefings, drawn with matplotlib from the same layers.

Pure drawing: :func:`base_sheet` and :func:`add_analysis` return a matplotlib Figure;
:mod:`pamgeo.run.jobs` saves it. A run draws the part that needs no analysis first
(:func:`base_sheet`), while the analysis is computed, and adds the rest (:func:`add_analysis`)
when it is there.

An A4 landscape sheet: margins of ``MARGIN_MM``; the classification, title and the time it was
made (WIB) at the top; the map on the left; on the right the legend (of what is drawn), the
notes, a north arrow and a scale bar; the sources at the foot. No text smaller than
``MIN_PT``. The frame holds the kecamatan, 300 m around it and all of every pocket the
page lists; routes from staging points beyond it are cut at the frame, and a note names those
points. Labels (police units, staging points, pockets, kelurahan) are placed so that they
overlap neither each other nor the rawan TPS, police and staging symbols (:func:`place_labels`,
a greedy search over a few positions per label; a kelurahan name that finds no free place is
left out).

The figures are plain :class:`~matplotlib.figure.Figure` objects, not pyplot ones: nothing is
drawn until one is saved (geopandas asks the canvas to redraw after every layer, which on a
pyplot figure renders the whole map once per layer) and there is no global state to close.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon, Rectangle
from matplotlib.text import Annotation

from pamgeo.core.i18n import distance, number, t, when
from pamgeo.core.vocabulary import CLASSES, FLOOD_LABELS, FLOOD_LEVELS, class_label
from pamgeo.render import palette as P
from pamgeo.render.webmap_base import MAJOR_ROADS
from pamgeo.render.webmap_encoding import simplify
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


def now() -> datetime:
    """The time a sheet is made (a function: tests fix it)."""
    return datetime.now(UTC)


def _in_view(gdf: gpd.GeoDataFrame, view, simplify_m: float = PRINT_SIMPLIFY_M) -> gpd.GeoDataFrame:
    """Features meeting ``view`` (found through the spatial index), cut to its bounding box and
    simplified below the print's resolution: the map draws only what shows."""
    out = gdf.iloc[gdf.sindex.query(view, predicate="intersects")]
    minx, miny, maxx, maxy = view.bounds
    m = 50.0  # cut edges fall just outside the frame, not on it
    geoms = shapely.clip_by_rect(out.geometry.to_numpy(), minx - m, miny - m, maxx + m, maxy + m)
    if simplify_m > 0:
        geoms = simplify(geoms, simplify_m)
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=gdf.crs))
    return out[~out.geometry.is_empty]


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
    context = area.buffer(FRAME_M + CONTEXT_M).envelope
    fig = Figure(figsize=size)
    w_mm, h_mm = size[0] * 25.4, size[1] * 25.4
    left, bottom = _mm(MARGIN_MM, MARGIN_MM + FOOT_MM, size)
    right, top = _mm(w_mm - MARGIN_MM - PANEL_MM - 6, h_mm - MARGIN_MM - HEAD_MM, size)
    ax = fig.add_axes((left, bottom, right - left, top - bottom))
    ax.set_axis_off()
    sheet = Sheet(fig, ax, kode_kec, view, area=area, context=context, data=data, lang=lang)
    # z-order: the layers of the region, flood, pockets, routes (add_analysis), the kecamatan
    # boundary, the TPS, the staging points and police units on top
    kel = _draw_base(sheet, shapely.box(*view.bounds), legend=True)
    kec.boundary.plot(ax=ax, color=P.KECAMATAN_LINE, linewidth=1.8, zorder=2.5)
    sheet.legend.append((91, Line2D([], [], color=P.KECAMATAN_LINE, lw=1.8, label=t("kecamatan", lang))))
    _draw_police(sheet, data.police_posts, context)
    for _, row in kel.iterrows():
        c = row.geometry.representative_point()
        if area.contains(c):
            sheet.labels.append(Label(str(row["kelurahan"]), _area_candidates((c.x, c.y)),
                                      {"color": "#444", "style": "italic"}))
    cfg = data.config
    name = kec["kecamatan"].iloc[0]
    n_tps = int((data.tps["kode_kec"] == kode_kec).sum())
    x0, y_head = _mm(MARGIN_MM, h_mm - MARGIN_MM, size)
    fig.text(0.5, y_head, cfg.region.classification, ha="center", va="top", color="#8b0000", weight="bold",
             fontsize=11)
    fig.text(x0, _mm(0, h_mm - MARGIN_MM - 6.5, size)[1], f"{t('briefing_title', lang)}: {t('kecamatan', lang)} "
             f"{name} ({kode_kec}) · {number(n_tps, lang)} TPS", fontsize=12, ha="left", va="top")
    if data.estimated_note_key:
        sheet.notes.append(t(data.estimated_note_key, lang))
    if data.police_posts is not None and (data.police_posts["position_source"] == "approximate").any():
        sheet.notes.append(t("approx_police_note", lang))
    sheet.attribution = f"{t('attribution', lang)}: " + " · ".join(cfg.attributions())
    _frame(ax, view)
    return sheet


def _draw_base(sheet: Sheet, box, *, legend: bool) -> gpd.GeoDataFrame:
    """Kelurahan, roads and rivers in the rectangle ``box``; returns the kelurahan drawn."""
    data, ax, lang = sheet.data, sheet.ax, sheet.lang
    kel = _in_view(data.kelurahan, box)
    kel.plot(ax=ax, facecolor=P.LAND, edgecolor=P.KELURAHAN_LINE, linewidth=0.6, linestyle="--", zorder=1)
    entries = [(90, Line2D([], [], color=P.KELURAHAN_LINE, ls="--", lw=0.8, label=t("kelurahan_boundaries", lang)))]
    if data.roads is not None:
        r = _in_view(data.roads, box)
        major = r["road_class"].isin(MAJOR_ROADS)
        if (~major).any():
            r[~major].plot(ax=ax, color=P.ROAD_MINOR, linewidth=0.3, zorder=1.1)
            entries.append((86, Line2D([], [], color=P.ROAD_MINOR, lw=0.6, label=t("roads_minor", lang))))
        if major.any():
            r[major].plot(ax=ax, color=P.ROAD_MAJOR, linewidth=1.2, zorder=1.2)
            entries.append((85, Line2D([], [], color=P.ROAD_MAJOR, lw=1.5, label=t("roads_major", lang))))
    if data.waterways is not None:
        w = _in_view(data.waterways, box)
        if not w.empty:
            w.plot(ax=ax, color=P.WATER_COLOUR, linewidth=1.2, zorder=1.3)
            entries.append((80, Line2D([], [], color=P.WATER_COLOUR, lw=1.5, label=t("waterways", lang))))
    if legend:
        sheet.legend += entries
    return kel


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
        sheet.ax.scatter(xy[:, 0], xy[:, 1], s=55, linewidths=1.3, zorder=7, **style)
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
    frame = _grow_frame(sheet, analysis)
    view_box = shapely.box(*sheet.view.bounds)
    if not view_box.contains(frame):  # the base layers where the frame grew
        ring = frame.difference(view_box)
        _draw_base(sheet, shapely.box(*ring.bounds), legend=False)
    _draw_flood(sheet, analysis, frame)
    _draw_pockets(sheet, analysis, frame)
    _draw_routes(sheet, analysis, tps, frame)
    for cls, order in zip(CLASSES, range(1, 5), strict=True):
        sel = tps[tps["risk_class"] == cls]
        if sel.empty:
            continue
        big = cls in ("rawan", "sangat_rawan")
        xy = shapely.get_coordinates(sel.geometry.to_numpy())
        ax.scatter(xy[:, 0], xy[:, 1], s=26 if big else 7, c=P.CLASS_COLOURS[cls], edgecolors=P.CLASS_OUTLINES[cls],
                   linewidths=0.4, zorder=5 + order / 10)
        sheet.legend.append((order, Line2D([], [], marker="o", ls="", markersize=6 if big else 4,
                                           markerfacecolor=P.CLASS_COLOURS[cls], markeredgecolor=P.CLASS_OUTLINES[cls],
                                           label=f"TPS {class_label(cls, lang)}")))
        if big:
            sheet.obstacles += [(x, y, 3.0) for x, y in xy]
    _frame(ax, frame)
    _finish(sheet, moment or now())
    return sheet.fig


def _grow_frame(sheet: Sheet, analysis):
    """The frame: the kecamatan and FRAME_M around it, grown to hold every pocket the page
    lists whole (up to the area the base layers cover; a note if one still runs past it)."""
    frame = sheet.view
    pockets = _listed_pockets(analysis, sheet.kode_kec)
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
        hz = _in_view(hazard, frame, simplify_m=5)
        for i, cls in enumerate(FLOOD_LEVELS[1:]):
            sel = hz[hz["flood_class"] == cls]
            if sel.empty:
                continue
            colour = P.FLOOD_COLOURS[cls]
            sel.plot(ax=ax, facecolor=colour, edgecolor=colour, linewidth=0.3, alpha=0.5, zorder=1.35)
            sheet.legend.append((60 + i, Patch(facecolor=colour, edgecolor=colour, alpha=0.5,
                                               label=f"{t('flood_class', lang)}: {lab[cls]}")))
    layers = analysis.flood_layers
    if layers is None:
        return
    if layers.lakes is not None and not layers.lakes.empty:
        lk = _in_view(layers.lakes, frame)
        if not lk.empty:
            lk.plot(ax=ax, facecolor=P.LAKE_FILL, edgecolor=P.LAKE_LINE, linewidth=0.6, linestyle="--", zorder=1.36)
            sheet.legend.append((64, Patch(facecolor=P.LAKE_FILL, edgecolor=P.LAKE_LINE, ls="--", label=t("lakes", lang))))
    if layers.events is not None and not layers.events.empty:
        ev = layers.events[layers.events.intersects(frame)]
        if not ev.empty:
            xy = shapely.get_coordinates(ev.geometry.to_numpy())
            ax.scatter(xy[:, 0], xy[:, 1], s=16, c=P.WATER_COLOUR, edgecolors=P.FLOOD_LINE, linewidths=0.8, zorder=4)
            sheet.legend.append((65, Line2D([], [], marker="o", ls="", markersize=5, markerfacecolor=P.WATER_COLOUR,
                                            markeredgecolor=P.FLOOD_LINE, label=t("flood_events", lang))))


def _draw_pockets(sheet: Sheet, analysis, frame) -> None:
    pockets = _listed_pockets(analysis, sheet.kode_kec)
    if pockets is None or pockets.empty:
        return
    risky = (pockets["n_rawan"] + pockets["n_sangat_rawan"]) > 0
    for sel, key, colour, order in ((pockets[risky], "pockets", P.POCKET_COLOUR, 40),
                                    (pockets[~risky], "dense_clusters", P.CLUSTER_COLOUR, 41)):
        if sel.empty:
            continue
        sel.plot(ax=sheet.ax, facecolor=colour, edgecolor=colour, alpha=0.15, linewidth=0, zorder=2)
        sel.boundary.plot(ax=sheet.ax, color=colour, linewidth=1.2, linestyle="--", zorder=2.1)
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
        drawn = _in_view(r, frame, simplify_m=3) if not r.empty else r
        if not drawn.empty:  # only what is on the sheet, and in the legend only then
            rayons = set(r["rayon"].dropna())
            drawn.plot(ax=ax, color=P.ROUTE_COLOUR, linewidth=1.6, alpha=0.9, zorder=3)
            sheet.legend.append((30, Line2D([], [], color=P.ROUTE_COLOUR, lw=2, label=t("routes", lang))))
    staging = analysis.staging
    if staging is None or staging.empty:
        return
    inside = staging[staging.intersects(frame)]
    if not inside.empty:
        xy = shapely.get_coordinates(inside.geometry.to_numpy())
        ax.scatter(xy[:, 0], xy[:, 1], s=150, facecolors="none", edgecolors=P.STAGING_COLOUR, linewidths=2, zorder=6)
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
    handles = [h for _, h in sorted(sheet.legend, key=lambda x: x[0])]
    legend = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=_mm(px0, top, size), fontsize=LABEL_PT + 0.5,
                        title=t("legend", lang), title_fontsize=9, alignment="left", frameon=False, borderaxespad=0,
                        borderpad=0, handlelength=2.2, labelspacing=0.45)
    # an Agg canvas for the text extents, attached only now: geopandas asks the canvas to
    # redraw after every layer it plots, which an Agg canvas would do
    renderer = FigureCanvasAgg(fig).get_renderer()
    box = legend.get_window_extent(renderer).transformed(fig.transFigure.inverted())
    y = box.y0 * h_mm - 4
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
        ann = ax.annotate(label.text, label.candidates[0][0], xytext=label.candidates[0][1], textcoords="offset points",
                          fontsize=LABEL_PT, zorder=8, annotation_clip=False, **label.style)
        ann.set_path_effects(_halo())
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


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _halo():
    from matplotlib import patheffects

    return [patheffects.withStroke(linewidth=2.2, foreground="white")]


def _frame(ax: Axes, view) -> None:
    minx, miny, maxx, maxy = view.bounds
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal")
