"""The region-level half of the analysis: what depends only on the region, computed once per build.

River corridors, hazard polygons, the road graph, the flood class of every road edge, the
catchment areas of all three methods and the reserve's travel from every staging point to every
road node depend on the region's layers and config, never on the TPS list or a run's parameters
(eps, preset, language, catchment method). :func:`prepare_region` computes them;
:func:`pamgeo.analysis.pipeline.analyse` takes the result and does only the per-TPS work. The
run layer stores it beside the region build (:mod:`pamgeo.run.cache`), so a run reads it
instead of recomputing it.

Pure: takes a :class:`~pamgeo.ingest.region.RegionData` and returns new objects; the TPS layer of
``data`` is not read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from pamgeo.analysis import catchment as C
from pamgeo.analysis import flood as F
from pamgeo.analysis.network import RoadGraph, build_road_graph
from pamgeo.ingest.region import RegionData


@dataclass
class PolicePrepared:
    """Police units, the Polres area and, per catchment method, its areas; the reserve's reach."""

    kecamatan: gpd.GeoDataFrame          # the kota's and the covered outside kecamatan
    area: object                         # the Polres area (shapely geometry)
    polsek_points: gpd.GeoDataFrame
    staging: gpd.GeoDataFrame
    areas: dict[str, C.Areas] = field(default_factory=dict)
    reach: C.Reach | None = None         # from the staging points over the roads (flooded edges closed)


@dataclass
class PreparedRegion:
    """Everything the analysis of a region needs that no TPS list or run parameter changes."""

    layers: F.FloodLayers
    flood_corridors: gpd.GeoDataFrame | None = None   # river corridor rings (for maps)
    flood_hazard: gpd.GeoDataFrame | None = None      # hazard polygons and classed rasters (for maps)
    graph: RoadGraph | None = None
    network: C.Network | None = None
    edge_flood_class: np.ndarray | None = None        # flood class of every road edge
    police: PolicePrepared | None = None


def flood_layers(data: RegionData) -> F.FloodLayers:
    """The region's flood evidence, waterways of several sources merged."""
    prone = data.flood_prone
    return F.FloodLayers(
        waterways=F.merge_waterways(data.waterways), lakes=data.flood_lakes, events=data.flood_events,
        polygons=data.flood_polygons, rasters=tuple(data.flood_rasters),
        flood_kelurahan=(prone.groupby("kode_kel")["lokasi"].agg(list).to_dict()
                         if prone is not None and not prone.empty else None),
    )


def _hazard(data: RegionData, layers: F.FloodLayers, area) -> gpd.GeoDataFrame | None:
    """Hazard polygons and classed raster cells within ``area``, for the maps."""
    hazard = []
    if layers.polygons is not None and not layers.polygons.empty:
        hz = layers.polygons[layers.polygons.intersects(area)]
        hazard.append(hz[["flood_class", "label", "geometry"]])
    for r in layers.rasters:
        rp = F.raster_polygons(r, data.kota.crs, area)
        if rp is not None:
            hazard.append(rp[["flood_class", "label", "geometry"]])
    hazard = [h for h in hazard if not h.empty]
    if not hazard:
        return None
    return gpd.GeoDataFrame(pd.concat(hazard, ignore_index=True), crs=data.kota.crs)


def _edge_flood_class(data: RegionData, graph: RoadGraph, layers: F.FloodLayers) -> np.ndarray:
    """Flood class of every road edge, at its midpoint (bridges take no river-corridor evidence)."""
    cfg = data.config
    mids = graph.edge_midpoints()
    kel_of = gpd.sjoin(gpd.GeoDataFrame(geometry=mids), data.kelurahan[["kode_kel", "geometry"]],
                       how="left", predicate="within").groupby(level=0)["kode_kel"].first()
    ec = F.classify_points(mids, layers, cfg.flood, kode_kel=kel_of.reindex(mids.index),
                           corridor_exempt=graph.edge_bridge, corridor_max=cfg.flood.road_corridor_max,
                           distances=False)
    return ec["flood_class"].to_numpy()


def _police(data: RegionData, prepared: PreparedRegion) -> PolicePrepared:
    """Units, areas of every catchment method and the reserve's reach (roads closed where flooded)."""
    police = data.config.police
    allkec, area = C.police_area(data.kecamatan, data.outside_kecamatan)
    polsek_pts, staging = C.unit_points(police, data.police_posts)
    out = PolicePrepared(allkec, area, polsek_pts, staging)
    out.areas["administrative"] = C.administrative_areas(allkec, police)
    out.areas["voronoi"] = C.voronoi_areas(polsek_pts, staging, area)
    net = prepared.network
    if net is not None:
        out.areas["travel_time"] = C.travel_time_areas(polsek_pts, staging, area, net, bands=police.isochrone_min)
        if not staging.empty:
            prepared.edge_flood_class = _edge_flood_class(data, net.graph, prepared.layers)
            out.reach = C.staging_reach(net, staging, closed=prepared.edge_flood_class == "tinggi")
    return out


def prepare_region(data: RegionData) -> PreparedRegion:
    """Compute the region-level half of the analysis (see the module docstring).

    Parameters
    ----------
    data
        A built region (its TPS layer is not used).
    """
    cfg = data.config
    layers = flood_layers(data)
    area = data.kota.geometry.iloc[0].buffer(2000)
    out = PreparedRegion(layers, F.corridor_polygons(layers.waterways, cfg.flood.corridor_bands_m, area),
                         _hazard(data, layers, area))
    if data.roads is not None and not data.roads.empty:
        roads = cfg.sources.roads
        out.graph = build_road_graph(data.roads, roads.speeds_kmh, precision_m=roads.node_precision_m)
        out.network = C.Network(out.graph)
    police = cfg.police
    if police is not None and police.coverage and data.police_posts is not None:
        out.police = _police(data, out)
    return out
