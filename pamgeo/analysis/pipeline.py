"""One call that runs the analysis chain on a built region: risk, pockets, rayons, personnel.

Pure: takes a :class:`~pamgeo.ingest.region.RegionData`, returns new frames, touches no file. The
briefing notebooks and the runner (:mod:`pamgeo.run.runner`) call it with the same defaults (the
region config), so the tables a run writes match its pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from pamgeo.analysis import catchment as C
from pamgeo.analysis import flood as F
from pamgeo.analysis import personnel as P
from pamgeo.analysis.changes import Changes, latest_changes
from pamgeo.analysis.network import RoadGraph
from pamgeo.analysis.pockets import Pockets, find_pockets
from pamgeo.analysis.prepared import PreparedRegion, prepare_region
from pamgeo.analysis.risk import apply_official, score_tps
from pamgeo.core.presets import get_preset
from pamgeo.ingest.region import RegionData


@dataclass
class Analysis:
    """TPS with risk, pocket, rayon and response columns, and every derived layer and table."""

    tps: gpd.GeoDataFrame
    pockets: Pockets
    eps_m: float
    min_samples: int
    catchment_method: str | None = None
    catchments: dict[str, C.Catchments] = field(default_factory=dict)
    staging: gpd.GeoDataFrame | None = None
    polsek_points: gpd.GeoDataFrame | None = None
    routes: gpd.GeoDataFrame | None = None
    graph: RoadGraph | None = None
    preset: P.Preset | None = None
    personnel: pd.DataFrame | None = None      # per kelurahan
    strength: pd.DataFrame | None = None
    flood_layers: F.FloodLayers | None = None
    edge_flood_class: np.ndarray | None = None
    flood_warning: str | None = None
    flood_params: object = None
    flood_corridors: gpd.GeoDataFrame | None = None   # for maps: river corridor rings
    flood_hazard: gpd.GeoDataFrame | None = None      # for maps: hazard polygons and classed rasters
    response_min: float | None = None     # the reserve's response time limit (police.response_min)
    peleton_size: int = 30                # personnel per reserve peleton (police.peleton_size)
    detour_report_min: float = 5.0        # detours around floods above this are reported (flood.detour_report_min)
    class_changes: Changes | None = None  # the two latest dated official lists compared (sources.classifications)

    def pocket_table(self, kode_kec: str | None = None) -> pd.DataFrame:
        t = self.pockets.table
        if kode_kec is None or t.empty:
            return t
        ids = set(self.tps.loc[(self.tps["kode_kec"] == kode_kec) & self.tps["pocket_id"].notna(), "pocket_id"])
        return t[t["pocket_id"].isin(ids)]


def analyse(data: RegionData, *, lang: str | None = None, eps_m: float | None = None,
            min_samples: int | None = None, catchment_method: str | None = None,
            preset: str | None = None, prepared: PreparedRegion | None = None) -> Analysis:
    """Score every TPS, find pockets, assign rayons and reserve times, plot personnel.

    Parameters
    ----------
    data
        A built region.
    lang
        Language of reasons and labels (default: the region's).
    eps_m, min_samples
        Override the config's DBSCAN parameters (``cluster:``).
    catchment_method
        ``administrative``, ``voronoi`` or ``travel_time`` for the TPS -> rayon/Polsek assignment
        (default ``police.catchment_method``); all three catchments are computed either way.
    preset
        Deployment preset name (default ``deployment.preset``).
    prepared
        The region-level half of the analysis (:func:`~pamgeo.analysis.prepared.prepare_region`
        of this ``data``), e.g. stored with the region build; computed here when not given.
    """
    cfg = data.config
    lang = lang or cfg.region.language
    src = cfg.sources.tps
    prep = prepared if prepared is not None else prepare_region(data)
    layers = prep.layers
    fl = F.classify_points(data.tps.geometry, layers, cfg.flood, kode_kel=data.tps["kode_kel"], lang=lang)
    flood_warning = None
    if layers.rasters:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            flood_warning = F.coverage_warning(data.tps.geometry, layers.rasters, lang)
    # official classification lists (sources.classifications): the latest dated class per TPS
    official = getattr(data, "classifications", None)
    tps_in = apply_official(data.tps, None if official is None else official.frame,
                            list_date=getattr(src, "class_date", None))
    class_changes = latest_changes(None if official is None else official.frame, data.tps)
    scored = score_tps(
        tps_in, cfg.risk, waterways=data.waterways, police_posts=data.police_posts,
        flood_prone=data.flood_prone, flood=fl, lang=lang,
        class_date=getattr(src, "class_date", None), class_authority=getattr(src, "class_authority", None),
    )
    for col in fl.columns:
        scored[col] = fl[col]
    pockets = find_pockets(scored, cfg.cluster, cfg.risk, lang=lang, eps_m=eps_m, min_samples=min_samples)
    scored["pocket_id"] = pockets.labels
    result = Analysis(scored, pockets, float(eps_m or cfg.cluster.eps_m),
                      int(min_samples or cfg.cluster.min_samples))
    result.flood_layers, result.flood_params, result.flood_warning = layers, cfg.flood, flood_warning
    result.flood_corridors, result.flood_hazard = prep.flood_corridors, prep.flood_hazard
    if prep.police is not None:
        _rayons(result, scored, prep, cfg, catchment_method)
    police = cfg.police
    result.class_changes = class_changes
    result.response_min = police.response_min if police else None
    result.peleton_size = police.peleton_size if police else 30
    result.detour_report_min = cfg.flood.detour_report_min
    preset_obj = get_preset(preset or cfg.deployment.preset, cfg.deployment.custom)
    result.preset = preset_obj
    result.personnel = P.personnel_by_kelurahan(scored, preset_obj)
    n_rayon = len(police.rayons) if police else 0
    result.strength = P.strength_table(result.personnel, n_rayon=n_rayon,
                                       peleton_size=police.peleton_size if police else 30,
                                       available=police.available if police else {})
    result.tps = scored
    return result


def _rayons(result: Analysis, scored: gpd.GeoDataFrame, prep: PreparedRegion, cfg, catchment_method: str | None
            ) -> None:
    """Rayon and Polsek of every TPS, the reserve's response time and flooded access (into ``scored``)."""
    police, pp, net = cfg.police, prep.police, prep.network
    method = catchment_method or police.catchment_method
    cats = {name: C.assign(scored, areas, net) for name, areas in pp.areas.items()}
    if method not in cats:
        raise ValueError(f"catchment method {method!r} needs roads (sources.roads); use administrative or voronoi")
    scored["rayon"] = cats[method].assignment["rayon"]
    scored["polsek"] = cats[method].assignment["polsek"]
    result.graph = prep.graph
    if pp.reach is not None:
        roads = cfg.sources.roads
        table, routes = C.response(scored, scored["rayon"], pp.reach, net, access_kmh=roads.access_kmh,
                                   response_min=police.response_min)
        for col in table.columns:
            scored[col] = table[col]
        result.routes = routes
        result.edge_flood_class = prep.edge_flood_class
        cut = C.closed_access(scored, scored["rayon"], pp.reach, net, access_kmh=roads.access_kmh)
        for col in cut.columns:
            scored[col] = cut[col]
    result.catchment_method, result.catchments = method, cats
    result.staging, result.polsek_points = pp.staging, pp.polsek_points
