"""Static maps (PNG and PDF) for paper briefings, drawn with matplotlib from the same layers.

Pure drawing: :func:`base_sheet` and :func:`add_analysis` return a matplotlib Figure;
:mod:`pamgeo.run.jobs` saves it. A run draws the part that needs no analysis first
(:func:`base_sheet`), while the analysis is computed, and adds the TPS and pockets
(:func:`add_analysis`) when it is there.

The figures are plain :class:`~matplotlib.figure.Figure` objects, not pyplot ones: nothing is
drawn until one is saved (geopandas asks the canvas to redraw after every layer, which on a
pyplot figure renders the whole map once per layer) and there is no global state to close.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from pamgeo.core.i18n import t
from pamgeo.core.vocabulary import CLASSES, class_label
from pamgeo.render.webmap_encoding import simplify
from pamgeo.render.webmap_layers import CLASS_STYLE, MAJOR_ROADS

PRINT_SIMPLIFY_M = 2.0  # an A4 map of a kecamatan has about 6 m per pixel at 130 dpi


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
class Sheet:
    """A print map being drawn: its figure, axes and frame (see :func:`base_sheet`)."""

    fig: Figure
    ax: Axes
    kode_kec: str
    view: Any  # the frame: the kecamatan and 300 m around it, in the region's CRS


def base_sheet(data, kode_kec: str, *, lang: str = "id", size=(11.69, 8.27)) -> Sheet:
    """The part of a kecamatan's print map drawn from the region alone.

    Boundaries, roads, rivers, police posts, names, legend, scale, classification banner and
    attribution: everything but the TPS and the pockets, which :func:`add_analysis` adds. A
    run draws it while the analysis is computed.
    """
    kec = data.kecamatan[data.kecamatan["kode_kec"] == kode_kec]
    if kec.empty:
        raise ValueError(f"kecamatan {kode_kec} is not in region {data.config.region.id}")
    area = kec.geometry.iloc[0]
    view = area.buffer(300)
    fig = Figure(figsize=size)
    ax = fig.subplots()
    ax.set_axis_off()
    minx, miny, maxx, maxy = view.bounds
    # z-order: the layers of the region, then the pockets (add_analysis), the kecamatan
    # boundary, the TPS and the police posts on top
    kel = _in_view(data.kelurahan, view)
    kel.plot(ax=ax, facecolor="#f4f1ea", edgecolor="#777", linewidth=0.6, linestyle="--", zorder=1)
    if data.roads is not None:
        r = _in_view(data.roads, view)
        r[~r["road_class"].isin(MAJOR_ROADS)].plot(ax=ax, color="#b5b5b5", linewidth=0.3, zorder=1.1)
        r[r["road_class"].isin(MAJOR_ROADS)].plot(ax=ax, color="#d98c1f", linewidth=1.2, zorder=1.2)
    if data.waterways is not None:
        w = _in_view(data.waterways, view)
        if not w.empty:
            w.plot(ax=ax, color="#2f7fd1", linewidth=1.2, zorder=1.3)
    kec.boundary.plot(ax=ax, color="#111", linewidth=1.8, zorder=1.5)
    if data.police_posts is not None:
        data.police_posts.plot(ax=ax, color="#111", edgecolor="#f2c200", markersize=60, linewidth=1.5, zorder=6)
        for _, row in data.police_posts.iterrows():
            g = row.geometry
            if view.contains(g):
                ax.annotate(row["unit"], (g.x, g.y), xytext=(4, 4), textcoords="offset points", fontsize=7)
    for _, row in kel.iterrows():
        c = row.geometry.representative_point()
        if area.contains(c):
            ax.annotate(row["kelurahan"], (c.x, c.y), fontsize=7, color="#555", ha="center", style="italic")
    cfg = data.config
    name = kec["kecamatan"].iloc[0]
    n_tps = int((data.tps["kode_kec"] == kode_kec).sum())
    ax.set_title(f"{t('briefing_title', lang)}: {t('kecamatan', lang)} {name} ({kode_kec}) · "
                 f"{n_tps:,} TPS", fontsize=12, loc="left")
    handles = [Line2D([], [], marker="o", ls="", color=CLASS_STYLE[c]["fillColor"], label=f"TPS {class_label(c, lang)}")
               for c in CLASSES]
    handles += [Line2D([], [], marker="o", ls="", color="#111", markeredgecolor="#f2c200", label=t("police_posts", lang)),
                Line2D([], [], color="#b42318", ls="--", label=t("pockets", lang)),
                Line2D([], [], color="#d98c1f", label=t("roads_major", lang)),
                Line2D([], [], color="#2f7fd1", label=t("waterways", lang))]
    ax.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.9)
    # scale bar (metric CRS)
    length = 1000 if (maxx - minx) > 4000 else 500
    x0, y0 = minx + (maxx - minx) * 0.75, miny + (maxy - miny) * 0.04
    ax.plot([x0, x0 + length], [y0, y0], color="#111", linewidth=3)
    ax.annotate(f"{length:g} m", (x0 + length / 2, y0), xytext=(0, 4), textcoords="offset points", ha="center", fontsize=7)
    fig.text(0.5, 0.985, cfg.region.classification, ha="center", va="top", color="#8b0000", weight="bold", fontsize=11)
    note = t(data.estimated_note_key, lang) if data.estimated_note_key else ""
    attrib = f"{t('attribution', lang)}: " + " · ".join(cfg.attributions())
    text = "\n".join(textwrap.fill(x, 230) for x in (note, attrib) if x)
    fig.text(0.01, 0.01, text, fontsize=6, va="bottom", color="#333")
    fig.subplots_adjust(left=0.01, right=0.99, top=0.91, bottom=0.1)
    _frame(ax, view)
    return Sheet(fig, ax, kode_kec, view)


def add_analysis(sheet: Sheet, analysis) -> Figure:
    """Draw the pockets and the TPS by class onto a :func:`base_sheet`; returns its figure."""
    ax, view = sheet.ax, sheet.view
    pockets = analysis.pockets.polygons
    if not pockets.empty:
        p = pockets[pockets.intersects(view)]
        if not p.empty:
            p.plot(ax=ax, facecolor="#d6282822", edgecolor="#b42318", linewidth=1.2, linestyle="--", zorder=1.4)
            for _, row in p.iterrows():
                c = row.geometry.centroid
                ax.annotate(row["pocket_id"], (c.x, c.y), color="#b42318", fontsize=7, ha="center", weight="bold")
    tps = analysis.tps[analysis.tps["kode_kec"] == sheet.kode_kec]
    for cls in CLASSES:
        sel = tps[tps["risk_class"] == cls]
        if not sel.empty:
            big = cls in ("rawan", "sangat_rawan")
            sel.plot(ax=ax, color=CLASS_STYLE[cls]["fillColor"], markersize=22 if big else 6,
                     edgecolor=CLASS_STYLE[cls]["color"], linewidth=0.3, zorder=5)
    _frame(ax, view)  # plotting may have moved the limits
    return sheet.fig


def _frame(ax: Axes, view) -> None:
    minx, miny, maxx, maxy = view.bounds
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal")

