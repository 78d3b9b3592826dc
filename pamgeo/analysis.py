"""One call that runs the analysis chain on a built region: risk, pockets, rayons, personnel.

Pure: takes a :class:`~pamgeo.region.RegionData`, returns new frames, touches no file. The
briefing notebooks and :mod:`pamgeo.report` call it with the same defaults (the region config),
so the tables a run writes match its pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from pamgeo import catchment as C
from pamgeo import flood as F
from pamgeo import plotting as P
from pamgeo.cluster import Pockets, find_pockets
from pamgeo.network import RoadGraph, build_road_graph
from pamgeo.region import RegionData
from pamgeo.risk import score_tps


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

    def pocket_table(self, kode_kec: str | None = None) -> pd.DataFrame:
        t = self.pockets.table
        if kode_kec is None or t.empty:
            return t
        ids = set(self.tps.loc[(self.tps["kode_kec"] == kode_kec) & self.tps["pocket_id"].notna(), "pocket_id"])
        return t[t["pocket_id"].isin(ids)]


def analyse(data: RegionData, *, lang: str | None = None, eps_m: float | None = None,
            min_samples: int | None = None, catchment_method: str | None = None,
            preset: str | None = None) -> Analysis:
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
    """
    cfg = data.config
    lang = lang or cfg.region.language
    src = cfg.sources.tps
    # flood exposure of TPS and of the roads that reach them
    layers = F.FloodLayers(
        waterways=F.merge_waterways(data.waterways), lakes=data.flood_lakes, events=data.flood_events,
        polygons=data.flood_polygons, rasters=tuple(data.flood_rasters),
        flood_kelurahan=(data.flood_prone.groupby("kode_kel")["lokasi"].agg(list).to_dict()
                         if data.flood_prone is not None and not data.flood_prone.empty else None),
    )
    area = data.kota.geometry.iloc[0].buffer(2000)
    flood_corridors = F.corridor_polygons(layers.waterways, cfg.flood.corridor_bands_m, area)
    hazard, flood_hazard = [], None
    if layers.polygons is not None and not layers.polygons.empty:
        hz = layers.polygons[layers.polygons.intersects(area)]
        hazard.append(hz[["flood_class", "label", "geometry"]])
    for r in layers.rasters:
        rp = F.raster_polygons(r, data.kota.crs, area)
        if rp is not None:
            hazard.append(rp[["flood_class", "label", "geometry"]])
    hazard = [h for h in hazard if not h.empty]
    if hazard:
        flood_hazard = gpd.GeoDataFrame(pd.concat(hazard, ignore_index=True), crs=data.kota.crs)
    fl = F.classify_points(data.tps.geometry, layers, cfg.flood, kode_kel=data.tps["kode_kel"], lang=lang)
    flood_warning = None
    if layers.rasters:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            flood_warning = F.coverage_warning(data.tps.geometry, layers.rasters)
    scored = score_tps(
        data.tps, cfg.risk, waterways=data.waterways, police_posts=data.police_posts,
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
    result.flood_corridors, result.flood_hazard = flood_corridors, flood_hazard

    police = cfg.police
    if police is not None and police.coverage and data.police_posts is not None:
        method = catchment_method or police.catchment_method
        allkec, area = C.police_area(data.kecamatan, data.outside_kecamatan)
        polsek_pts, staging = C.unit_points(police, data.police_posts)
        cats = {"administrative": C.administrative(scored, allkec, police),
                "voronoi": C.voronoi(scored, polsek_pts, staging, area)}
        net = None
        if data.roads is not None and not data.roads.empty:
            roads_cfg = cfg.sources.roads
            graph = build_road_graph(data.roads, roads_cfg.speeds_kmh, precision_m=roads_cfg.node_precision_m)
            net = C.Network(graph)
            result.graph = graph
            cats["travel_time"] = C.travel_time(scored, polsek_pts, staging, area, net, bands=police.isochrone_min)
        if method not in cats:
            raise ValueError(f"catchment method {method!r} needs roads (sources.roads); use administrative or voronoi")
        scored["rayon"] = cats[method].assignment["rayon"]
        scored["polsek"] = cats[method].assignment["polsek"]
        if net is not None and not staging.empty:
            table, routes = C.reserve_response(scored, scored["rayon"], staging, net,
                                               access_kmh=cfg.sources.roads.access_kmh,
                                               response_min=police.response_min)
            for col in table.columns:
                scored[col] = table[col]
            result.routes = routes
        result.catchment_method, result.catchments = method, cats
        result.staging, result.polsek_points = staging, polsek_pts
    if result.graph is not None and result.staging is not None and not result.staging.empty:
        mids = result.graph.edge_midpoints()
        kel_of = gpd.sjoin(gpd.GeoDataFrame(geometry=mids), data.kelurahan[["kode_kel", "geometry"]],
                           how="left", predicate="within").groupby(level=0)["kode_kel"].first()
        ec = F.classify_points(mids, layers, cfg.flood, kode_kel=kel_of.reindex(mids.index),
                               corridor_exempt=result.graph.edge_bridge, corridor_max=cfg.flood.road_corridor_max,
                               lang=lang, distances=False)
        result.edge_flood_class = ec["flood_class"].to_numpy()
        cut = F.access_cut(scored, scored["rayon"], result.staging, C.Network(result.graph), result.edge_flood_class,
                           access_kmh=cfg.sources.roads.access_kmh)
        for col in cut.columns:
            scored[col] = cut[col]

    preset_obj = P.get_preset(preset or cfg.deployment.preset, cfg.deployment.custom)
    result.preset = preset_obj
    result.personnel = P.personnel_by_kelurahan(scored, preset_obj)
    n_rayon = len(police.rayons) if police else 0
    result.strength = P.strength_table(result.personnel, n_rayon=n_rayon,
                                       peleton_size=police.peleton_size if police else 30,
                                       available=police.available if police else {})
    result.tps = scored
    return result


def analysis_for(data: RegionData, analysis_file: str | None = None, *, build_dir=None, **params) -> Analysis:
    """The analysis a run already computed (``analysis_file``, a pickle written by
    :mod:`pamgeo.report` for its notebooks), else :func:`analyse` with ``params`` through the
    cache beside the build (:mod:`pamgeo.cache`): instant in JupyterLab after a run."""
    if analysis_file:
        import pickle
        from pathlib import Path

        path = Path(analysis_file)
        if path.exists():
            with open(path, "rb") as fh:
                return pickle.load(fh)
    from pamgeo.cache import cached_analysis

    return cached_analysis(data, build_dir, **params)[0]


# the inputs of the last briefing notebook of a `pamgeo run` this process (kernel) showed
_RUN_INPUTS: dict[tuple, tuple] = {}
# the region of that run, by config, build folder and the state of the build's files
_RUN_REGION: dict[tuple, tuple] = {}


def _file_state(path) -> tuple:
    import os

    try:
        st = os.stat(path)
    except FileNotFoundError:
        return (str(path), None)
    return (str(path), st.st_ino, st.st_mtime_ns, st.st_size)


def run_region_data(region, build_dir=None) -> tuple:
    """``(cfg, data)`` of a ``pamgeo run``, read once per kernel.

    Read again when the config file or the build (``region.gpkg``, ``meta.json``) changed.
    """
    from pamgeo.config import load_config
    from pamgeo.region import load_region, region_dir

    cfg = load_config(region)
    folder = region_dir(cfg, build_dir)
    key = (str(region), str(build_dir), _file_state(cfg.config_path), _file_state(folder / "region.gpkg"),
           _file_state(folder / "meta.json"))
    if key not in _RUN_REGION:
        _RUN_REGION.clear()  # one region at a time
        _RUN_REGION[key] = (cfg, load_region(cfg, build_dir))
    return _RUN_REGION[key]


def prepare_run(region, *, build_dir=None, codes: list[str] | None = None) -> None:
    """Read the region and draw the base layers of its maps ahead of a run's notebooks.

    ``pamgeo run`` has each kernel call it while the main process computes the analysis: the
    notebooks then find the region read (:func:`run_region_data`) and the base layers of the
    overview and of the kecamatan ``codes`` drawn (:func:`pamgeo.maps.prepare_base_layers`).
    """
    from pamgeo.maps import prepare_base_layers

    _, data = run_region_data(region, build_dir)
    prepare_base_layers(data, codes)


def briefing_inputs(region, *, build_dir=None, analysis_file: str | None = None, language: str | None = None,
                    **params) -> tuple:
    """What a briefing notebook shows: ``(cfg, data, lang, analysis)``.

    ``params`` are those of :func:`analyse` (eps_m, min_samples, preset, catchment_method).
    Inside ``pamgeo run`` (``analysis_file`` set) the result is kept for the next notebook the
    same kernel runs: every page of a run shows the same inputs, read once per kernel (the
    region usually before the first notebook, by :func:`prepare_run`). Without
    ``analysis_file`` (JupyterLab) everything is read afresh on every call, the analysis through
    the cache beside the build.
    """
    from pamgeo.config import load_config
    from pamgeo.region import load_region

    key = None
    if analysis_file:
        import os

        stat = os.stat(analysis_file)
        key = (str(region), str(build_dir), str(analysis_file), stat.st_mtime_ns, stat.st_size, language,
               tuple(sorted(params.items())))
        if key in _RUN_INPUTS:
            return _RUN_INPUTS[key]
    if key is not None:
        cfg, data = run_region_data(region, build_dir)
    else:
        cfg = load_config(region)
        data = load_region(cfg, build_dir)
    lang = language or cfg.region.language
    result = analysis_for(data, analysis_file, build_dir=build_dir, lang=lang, **params)
    out = (cfg, data, lang, result)
    if key is not None:
        _RUN_INPUTS.clear()  # one run's inputs at a time
        _RUN_INPUTS[key] = out
    return out
