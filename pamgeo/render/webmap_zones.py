"""The zone layers of a briefing map: rayon catchments of every method, isochrones, river
corridors and flood hazard polygons, cut to a map's view, simplified and encoded.

They come from the region-level half of the analysis (:mod:`pamgeo.analysis.prepared`), so what
a map draws of them depends only on the region and the map's view: :func:`zone_geometries`
computes it for every zone layer at once, and the run layer stores it with the maps' base
layers (:func:`pamgeo.run.cache.map_bases`). The ``add_*`` functions of
:mod:`pamgeo.render.webmap_layers` take it from there when given (:func:`zone`), and add the
properties, which may be in the page's language (:func:`zone_data`).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np

from pamgeo.render.webmap_base import clipped, sliver_free
from pamgeo.render.webmap_encoding import feature_collection, geojson_geometries

# rayon catchments, isochrones and river corridors are zones tens of metres wide at best:
# drawn at 25 m / ~5 m, a third of the bytes of the 1 m base layers
ZONE_SIMPLIFY_M = 25.0
ZONE_PRECISION = 5e-5

#: per zone layer kind: slivers dropped below (m²), simplification (m), coordinate precision (°)
ZONE_ENCODING: dict[str, tuple[float | None, float, float]] = {
    "rayon": (10_000, ZONE_SIMPLIFY_M, ZONE_PRECISION),
    "isochrones": (10_000, ZONE_SIMPLIFY_M, ZONE_PRECISION),
    "flood_corridors": (2_000, ZONE_SIMPLIFY_M, ZONE_PRECISION),
    "flood_hazard": (None, 5.0, 1e-5),
}

#: a zone layer cut to a view: the frame's rows in it, their encoded geometries, and which of
#: those rows the geometries are (a boolean mask over the rows)
Zone = tuple[np.ndarray, list[dict], np.ndarray]


def zone_frames(catchments: dict[str, Any], flood_corridors: gpd.GeoDataFrame | None,
                flood_hazard: gpd.GeoDataFrame | None) -> dict[str, gpd.GeoDataFrame]:
    """The zone layers by key: ``rayon_<method>`` for every catchment method (objects with
    ``rayon`` and ``isochrones``: an analysis's catchments or the prepared region's areas),
    ``isochrones`` (travel time), ``flood_corridors`` and ``flood_hazard``; absent ones left out."""
    frames = {f"rayon_{method}": cat.rayon for method, cat in catchments.items()}
    tt = catchments.get("travel_time")
    if tt is not None and tt.isochrones is not None:
        frames["isochrones"] = tt.isochrones
    if flood_corridors is not None and not flood_corridors.empty:
        frames["flood_corridors"] = flood_corridors
    if flood_hazard is not None:
        frames["flood_hazard"] = flood_hazard
    return frames


def _kind(key: str) -> str:
    return "rayon" if key.startswith("rayon_") else key


def zones_in(zones: gpd.GeoDataFrame, area, min_area_m2: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``zones`` in ``area`` and their geometries cut to it (:func:`clip`), without the
    slivers smaller than ``min_area_m2`` if given (:func:`~pamgeo.render.webmap_base.sliver_free`): what those give, as
    arrays (no frame made for each step)."""
    rows, geoms = clipped(zones.geometry.to_numpy(), area)
    if min_area_m2 is not None:
        present, geoms = sliver_free(geoms, min_area_m2)
        rows = rows[present]
    return rows, geoms


def encode_zone(key: str, frame: gpd.GeoDataFrame, view) -> Zone:
    """The zone layer ``key`` (a key of :func:`zone_frames`) cut to ``view`` and encoded."""
    min_area, simplify_m, precision = ZONE_ENCODING[_kind(key)]
    rows, geoms = zones_in(frame, view, min_area)
    if not len(rows):
        return rows, [], np.zeros(0, dtype=bool)
    geometries, keep = geojson_geometries(geoms, frame.crs, simplify_m=simplify_m, precision=precision, packed=True)
    return rows, geometries, keep


def zone_geometries(frames: dict[str, gpd.GeoDataFrame], view) -> dict[str, Zone]:
    """Every zone layer of ``frames`` (:func:`zone_frames`) cut to ``view`` and encoded."""
    return {key: encode_zone(key, frame, view) for key, frame in frames.items()}


def zone(zones: dict[str, Zone] | None, key: str, frame: gpd.GeoDataFrame, view) -> Zone:
    """The zone layer ``key`` from ``zones`` (made for this view) if there, else encoded now."""
    if zones is not None and key in zones:
        return zones[key]
    return encode_zone(key, frame, view)


def zone_data(z: Zone, columns: dict[str, list]) -> dict:
    """A FeatureCollection of the zone ``z`` with these properties (values by row of its frame,
    escaped for a map)."""
    rows, geometries, keep = z
    kept = rows[keep].tolist()
    return feature_collection(geometries, list(columns), [[values[i] for i in kept] for values in columns.values()])


__all__ = ["ZONE_ENCODING", "ZONE_PRECISION", "ZONE_SIMPLIFY_M", "Zone", "encode_zone", "zone", "zone_data",
           "zone_frames", "zone_geometries", "zones_in"]
