"""The briefing's data as files for the tools Polres staff use: CSV and Excel tables, and a
GeoPackage whose layers carry QGIS styles that look like the briefing's maps.

Pure: frames and style documents are built here; :mod:`pamgeo.run.tables` writes them.

``tps.csv`` holds stable machine values (class codes such as ``sangat_rawan``, ISO dates,
``True``/``False``), documented in :data:`TPS_COLUMNS`; the Excel workbooks are for readers:
headers and class names in the report's language.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from pamgeo.analysis.pipeline import Analysis
from pamgeo.core.i18n import t
from pamgeo.core.vocabulary import CLASSES, FLOOD_LABELS, FLOOD_LEVELS, class_label
from pamgeo.ingest.io import WGS84
from pamgeo.ingest.region import RegionData
from pamgeo.render import palette as _palette
from pamgeo.render.palette import BAND_COLOURS, CLASS_COLOURS, FLOOD_COLOURS, RAYON_COLOURS


@dataclass(frozen=True)
class Column:
    """One documented column of ``tps.csv``."""

    name: str
    dtype: str          # as pandas reads it back: "string", "Int64", "float64", "boolean"
    doc: str            # what it means (README, the workbook's column sheet); its header in the
                        # report's language is the catalogue's "col_<name>"


TPS_COLUMNS: tuple[Column, ...] = (
    Column("tps_id", "string",
           "Sirekap id: 10-digit Kemendagri kelurahan code + 3-digit TPS number"),
    Column("kode_kel", "string",
           "Kemendagri code, dotted (31.71.01.1001)"),
    Column("kelurahan", "string",
           "kelurahan/desa name"),
    Column("kode_kec", "string",
           "Kemendagri code, dotted (31.71.01)"),
    Column("kecamatan", "string",
           "kecamatan name"),
    Column("tps_no", "Int64",
           "TPS number in its kelurahan; 901 and up: lokasi khusus"),
    Column("is_khusus", "boolean",
           "lokasi-khusus TPS (prison, hospital, ...)"),
    Column("alamat", "string",
           "address from the TPS list (empty when the list has none)"),
    Column("dpt", "Int64",
           "registered voters, when the list gives them"),
    Column("lat", "float64",
           "WGS84 latitude of the position used"),
    Column("lon", "float64",
           "WGS84 longitude of the position used"),
    Column("position_source", "string",
           "file, file_repaired, estimated or approximate: where the position comes from"),
    Column("position_method", "string",
           "how an estimated position was placed (estimator and seed); empty for positions from a file"),
    Column("position_note", "string",
           "why a TPS of a list got an estimated position (its coordinates were missing or unusable)"),
    Column("position_check", "string",
           "a position from the file that lies in another kelurahan than the stated one (kept as stated)"),
    Column("risk_class", "string",
           "kurang_rawan, rawan, sangat_rawan or khusus: the class the briefing uses"),
    Column("risk_class_source", "string",
           "official (a Polri list) or computed (pamgeo's score)"),
    Column("risk_class_date", "string",
           "date of the official class (ISO), if any"),
    Column("risk_class_authority", "string",
           "who set the official class"),
    Column("risk_class_computed", "string",
           "pamgeo's class from the score"),
    Column("risk_score", "float64",
           "0-1 weighted score of the risk indicators"),
    Column("risk_reasons", "string",
           "the indicators behind the score, with their numbers"),
    Column("pocket_id", "string",
           "pocket of risk (DBSCAN) the TPS belongs to, if any"),
    Column("rayon", "string",
           "rayon the TPS is assigned to"),
    Column("polsek", "string",
           "Polsek the TPS is assigned to"),
    Column("response_min", "float64",
           "reserve's travel time from its staging point by road, minutes; empty when unreachable or no roads"),
    Column("route_km", "float64",
           "length of that route"),
    Column("beyond_response", "boolean",
           "a rawan or sangat rawan TPS whose response_min is above police.response_min (or that the reserve "
           "cannot reach); False for every other TPS, whatever its response time"),
    Column("flood_class", "string",
           "none, rendah, sedang or tinggi at the TPS"),
    Column("flood_reasons", "string",
           "the evidence behind the flood class"),
    Column("access_cut", "boolean",
           "the route from the staging point crosses a flooded road"),
    Column("detour_min", "float64",
           "the reserve's travel time around the flooded roads (compare response_min); empty when unreachable"),
    Column("cut_unreachable", "boolean",
           "no route avoids the flooded roads"),
)


def tps_export(tps: gpd.GeoDataFrame) -> pd.DataFrame:
    """One row per TPS with the documented columns (:data:`TPS_COLUMNS`), in that order.

    Columns an analysis did not produce (no roads: no response time) are there and empty;
    ``bawaslu_*`` indicator flags, when the list has them, follow at the end.
    """
    wgs = tps.geometry.to_crs(WGS84)
    out = pd.DataFrame(index=tps.index)
    for col in TPS_COLUMNS:
        if col.name == "lat":
            out[col.name] = wgs.y.round(6)
        elif col.name == "lon":
            out[col.name] = wgs.x.round(6)
        elif col.name in tps:
            out[col.name] = tps[col.name].astype(col.dtype)
        elif col.dtype == "float64":  # absent: all missing, as NaN (float64 cannot hold pd.NA)
            out[col.name] = float("nan")
        else:
            out[col.name] = pd.Series(pd.NA, index=tps.index, dtype=object).astype(col.dtype)
    for extra in sorted(c for c in tps.columns if c.startswith("bawaslu_")):
        out[extra] = tps[extra]
    return out.reset_index(drop=True)


def tps_dtypes() -> dict[str, str]:
    """The dtypes of ``tps.csv`` for :func:`pandas.read_csv` (``dtype=``)."""
    return {c.name: c.dtype for c in TPS_COLUMNS}


def tps_for_readers(export: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The TPS table (:func:`tps_export`'s) as an Excel reader sees it: headers and class names
    in ``lang``."""
    out = export.copy()
    out["risk_class"] = out["risk_class"].map(lambda c: class_label(c, lang) if isinstance(c, str) else c)
    out["risk_class_computed"] = out["risk_class_computed"].map(
        lambda c: class_label(c, lang) if isinstance(c, str) else c)
    flood = FLOOD_LABELS.get(lang, FLOOD_LABELS["id"])
    out["flood_class"] = out["flood_class"].map(lambda c: flood.get(c, c) if isinstance(c, str) else c)
    out["position_source"] = out["position_source"].map(lambda s: t(s, lang) if isinstance(s, str) else s)
    headers = {c.name: t(f"col_{c.name}", lang) for c in TPS_COLUMNS}
    return out.rename(columns=headers)


def column_sheet(lang: str) -> pd.DataFrame:
    """The column dictionary of the TPS workbook."""
    return pd.DataFrame({
        t("column", lang): [t(f"col_{c.name}", lang) for c in TPS_COLUMNS],
        "tps.csv": [c.name for c in TPS_COLUMNS],
        t("meaning", lang): [c.doc for c in TPS_COLUMNS],
    })


# --- GeoPackage layers and their QGIS styles -------------------------------------------------

# the colours of the QGIS styles are the briefing maps' own: CLASS_COLOURS, FLOOD_COLOURS,
# RAYON_COLOURS and BAND_COLOURS are pamgeo.render.palette's (imported above)


@dataclass(frozen=True)
class Style:
    """How QGIS draws one layer: one symbol, or categories of ``attribute``."""

    kind: str                                   # "marker", "line" or "fill"
    colour: str = "#1f6fb2"
    categories: tuple[tuple[str, str, str], ...] = ()   # (value, label, colour)
    attribute: str | None = None
    size: float = 2.0                           # marker size or line width, mm
    opacity: float = 1.0


def gpkg_layers(data: RegionData, analysis: Analysis, lang: str, part: str | None = None
                ) -> dict[str, tuple[gpd.GeoDataFrame, Style]]:
    """Every layer of the briefing's maps, in WGS84, with its style; absent layers are left out.

    ``part="region"`` gives only the layers beneath, which depend on the region alone
    (boundaries, roads, rivers, flood hazard, catchment areas: of the analysis only its
    region-level half, :mod:`pamgeo.analysis.prepared`); ``part="tps"`` the others (the
    reserve's routes, the pockets, the TPS, the police units and staging points on top). The
    default is both, in that order.
    """
    if part not in (None, "region", "tps"):
        raise ValueError(f"part must be None, 'region' or 'tps', not {part!r}")
    layers: dict[str, tuple[gpd.GeoDataFrame, Style]] = {}

    def add(name: str, frame: gpd.GeoDataFrame | None, style: Style) -> None:
        if frame is not None and not frame.empty:
            layers[name] = (frame.to_crs(WGS84).reset_index(drop=True), style)

    if part != "tps":
        add("kelurahan", data.kelurahan[["kode_kel", "kelurahan", "kode_kec", "kecamatan", "geometry"]],
            Style("fill", "#ffffff", size=0.3, opacity=0.0))
        add("kecamatan", data.kecamatan[["kode_kec", "kecamatan", "geometry"]],
            Style("fill", "#111111", size=0.8, opacity=0.0))
        if data.roads is not None:
            add("roads", data.roads[[c for c in ("road_class", "name", "geometry") if c in data.roads]],
                Style("line", _palette.ROAD_MAJOR, size=0.3))
        if data.waterways is not None:
            add("waterways", data.waterways[[c for c in ("name", "geometry") if c in data.waterways]],
                Style("line", _palette.WATER_COLOUR, size=0.5))
        add("flood_hazard", analysis.flood_hazard, _categories("fill", "flood_class", FLOOD_COLOURS, lang, flood=True))
        add("flood_corridors", analysis.flood_corridors,
            _categories("fill", "flood_class", FLOOD_COLOURS, lang, flood=True)
            if analysis.flood_corridors is not None and "flood_class" in analysis.flood_corridors
            else Style("fill", "#4292c6"))
        for method, cat in analysis.catchments.items():
            rayons = tuple(sorted(cat.rayon["rayon"].astype(str).unique()))
            add(f"rayon_{method}", cat.rayon, Style("fill", categories=tuple(
                (r, r, RAYON_COLOURS[i % len(RAYON_COLOURS)]) for i, r in enumerate(rayons)), attribute="rayon",
                opacity=0.25))
            add(f"polsek_{method}", cat.polsek, Style("fill", "#555555", size=0.4, opacity=0.0))
            if cat.isochrones is not None and "band_min" in cat.isochrones:
                bands = list(dict.fromkeys(cat.isochrones["band_min"]))  # "0-5", "5-10", ..., "30+", in order
                add(f"isochrones_{method}", cat.isochrones, Style("fill", categories=tuple(
                    (b, f"{b} {t('minutes', lang)}", BAND_COLOURS[min(i, len(BAND_COLOURS) - 1)])
                    for i, b in enumerate(bands)), attribute="band_min", opacity=0.35))
    if part != "region":
        add("reserve_routes", analysis.routes, Style("line", _palette.ROUTE_COLOUR, size=0.6))
        add("pockets", analysis.pockets.polygons, Style("fill", _palette.POCKET_COLOUR, size=0.6, opacity=0.2))
        add("tps", gpd.GeoDataFrame(tps_export(analysis.tps), geometry=analysis.tps.geometry.to_numpy(),
                                    crs=analysis.tps.crs),
            _categories("marker", "risk_class", CLASS_COLOURS, lang))
        # the police's points last, drawn on top in QGIS as on the briefing's maps (region-level,
        # but a handful of rows: written with each run to keep that order)
        add("police_units", data.police_posts, Style("marker", _palette.POLICE_FILL, size=3.0))
        add("staging_points", analysis.staging, Style("marker", _palette.STAGING_COLOUR, size=3.6))
    return layers


def _categories(kind: str, attribute: str, colours: dict[str, str], lang: str, *, flood: bool = False) -> Style:
    order = FLOOD_LEVELS[1:] if flood else CLASSES
    labels = FLOOD_LABELS.get(lang, FLOOD_LABELS["id"]) if flood else {c: class_label(c, lang) for c in CLASSES}
    return Style(kind, categories=tuple((v, labels[v], colours[v]) for v in order if v in colours),
                 attribute=attribute, size=2.4 if kind == "marker" else 0.3, opacity=1.0 if kind == "marker" else 0.45)


def _rgba(colour: str, opacity: float = 1.0) -> str:
    c = colour.lstrip("#")
    return ",".join([*(str(int(c[i:i + 2], 16)) for i in (0, 2, 4)), str(round(255 * opacity))])


def _symbol(parent: ET.Element, name: str, style: Style, colour: str) -> None:
    symbol = ET.SubElement(parent, "symbol", type=style.kind, name=name, alpha="1", clip_to_extent="1",
                           force_rhr="0")
    cls = {"marker": "SimpleMarker", "line": "SimpleLine", "fill": "SimpleFill"}[style.kind]
    layer = ET.SubElement(symbol, "layer", attrib={"class": cls, "enabled": "1", "pass": "0", "locked": "0"})
    opts = ET.SubElement(layer, "Option", type="Map")
    if style.kind == "marker":
        props = {"name": "circle", "color": _rgba(colour), "outline_color": "35,35,35,255", "size": str(style.size),
                 "size_unit": "MM", "outline_width": "0.2"}
    elif style.kind == "line":
        props = {"line_color": _rgba(colour), "line_width": str(style.size), "line_width_unit": "MM",
                 "line_style": "solid"}
    else:
        props = {"color": _rgba(colour, style.opacity), "outline_color": _rgba(colour),
                 "outline_width": str(style.size), "outline_width_unit": "MM",
                 "style": "solid" if style.opacity > 0 else "no"}
    for key, value in props.items():
        ET.SubElement(opts, "Option", name=key, type="QString", value=value)


def qml(style: Style) -> str:
    """A QGIS layer style (QML document) drawing ``style``."""
    root = ET.Element("qgis", version="3.28.0", styleCategories="Symbology")
    if style.categories and style.attribute:
        renderer = ET.SubElement(root, "renderer-v2", type="categorizedSymbol", attr=style.attribute,
                                 symbollevels="0", enableorderby="0", forceraster="0")
        cats = ET.SubElement(renderer, "categories")
        symbols = ET.SubElement(renderer, "symbols")
        for i, (value, label, colour) in enumerate(style.categories):
            ET.SubElement(cats, "category", value=value, label=label, symbol=str(i), render="true")
            _symbol(symbols, str(i), style, colour)
    else:
        renderer = ET.SubElement(root, "renderer-v2", type="singleSymbol", symbollevels="0", enableorderby="0",
                                 forceraster="0")
        _symbol(ET.SubElement(renderer, "symbols"), "0", style, style.colour)
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")


def _header(name: str, lang: str) -> str:
    """A personnel-table column as a reader reads it (``polri_rawan`` -> ``Polri rawan``)."""
    for prefix, word in (("tps_", "TPS"), ("polri_", "Polri"), ("linmas_", "Linmas")):
        if name.startswith(prefix) and name[len(prefix):] in CLASSES:
            return f"{word} {class_label(name[len(prefix):], lang)}"
    fixed = {"kode_kel": t("kode_kel", lang), "kode_kec": t("kode_kec", lang), "kelurahan": t("kelurahan", lang),
             "kecamatan": t("kecamatan", lang), "rayon": "Rayon", "tps": t("n_tps", lang), "polri": "Polri",
             "linmas": "Linmas", "item": t("item", lang), "needed": t("needed", lang),
             "available": t("available", lang), "shortfall": t("shortfall", lang), "class": t("risk_class", lang),
             "per_tps": t("per_tps", lang), "preset": t("preset", lang)}
    return fixed.get(name, name)


def for_readers(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A personnel, strength or pattern table with headers (and item/class values) in ``lang``."""
    out = frame.copy()
    if "item" in out:
        out["item"] = [t(i, lang) for i in out["item"]]
    if "class" in out:
        out["class"] = [class_label(c, lang) for c in out["class"]]
    return out.rename(columns={c: _header(c, lang) for c in out.columns})
