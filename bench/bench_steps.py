"""Per-step times of the per-TPS analysis: :func:`pamgeo.analysis.risk.score_tps` and
:func:`pamgeo.analysis.flood.classify_points` (TPS and road-edge midpoints), in-process.

Runs on the Tangsel region (3,824 TPS) and on 50,000 TPS scattered at random inside the Tangsel
kelurahan (with the region's own waterways, police units, flood layers and road midpoints).
Each step runs ``--repeat`` times; the median is printed with the range. The machine is shared
and noisy: compare medians.

    .venv/bin/python bench/bench_steps.py [--repeat N] [--n 50000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd


@dataclass
class Case:
    """Inputs of the per-TPS steps for one TPS set."""

    name: str
    tps: gpd.GeoDataFrame
    mids: gpd.GeoSeries
    mid_kel: pd.Series
    bridge: np.ndarray
    data: object
    layers: object
    roads: bool = True  # time the road midpoints with this case (they are the same in every case)


def load_tangsel():
    """The Tangsel region, built from the raw bundle."""
    from pamgeo.core.config import load_config
    from pamgeo.ingest.region import build_region

    return build_region(load_config("tangsel"))


def scatter_tps(data, n: int, seed: int = 15) -> gpd.GeoDataFrame:
    """``n`` TPS at random inside the region's kelurahan, attributes copied from real TPS."""
    rng = np.random.default_rng(seed)
    kel = data.kelurahan[["kode_kel", "geometry"]].reset_index(drop=True)
    x0, y0, x1, y1 = kel.total_bounds
    m = int(n * 3)
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)), crs=kel.crs)
    hit = gpd.sjoin(pts, kel, how="inner", predicate="within")
    hit = hit[~hit.index.duplicated()].iloc[:n]
    rows = data.tps.drop(columns=data.tps.geometry.name).sample(len(hit), replace=True, random_state=seed)
    rows = rows.reset_index(drop=True).assign(kode_kel=hit["kode_kel"].to_numpy(),
                                              tps_id=[f"S{i:06d}" for i in range(len(hit))])
    return gpd.GeoDataFrame(rows, geometry=hit.geometry.to_numpy(), crs=kel.crs)


def make_cases(n_big: int) -> list[Case]:
    """The Tangsel TPS and ``n_big`` scattered TPS, with the region's flood layers and road midpoints."""
    import pamgeo.analysis.flood as F
    from pamgeo.analysis.network import build_road_graph
    from pamgeo.analysis.risk import apply_official

    data = load_tangsel()
    cfg = data.config
    fp = data.flood_prone
    sites = fp.groupby("kode_kel")["lokasi"].agg(list).to_dict() if fp is not None and not fp.empty else None
    layers = F.FloodLayers(
        waterways=F.merge_waterways(data.waterways), lakes=data.flood_lakes, events=data.flood_events,
        polygons=data.flood_polygons, rasters=tuple(data.flood_rasters), flood_kelurahan=sites)
    roads = cfg.sources.roads
    graph = build_road_graph(data.roads, roads.speeds_kmh, precision_m=roads.node_precision_m)
    mids = graph.edge_midpoints()
    mid_kel = gpd.sjoin(gpd.GeoDataFrame(geometry=mids), data.kelurahan[["kode_kel", "geometry"]], how="left",
                        predicate="within").groupby(level=0)["kode_kel"].first().reindex(mids.index)
    tps = apply_official(data.tps, None)
    big = apply_official(scatter_tps(data, n_big), None)
    return [Case(f"tangsel {len(tps):,} TPS", tps, mids, mid_kel, graph.edge_bridge, data, layers),
            Case(f"scattered {len(big):,} TPS", big, mids, mid_kel, graph.edge_bridge, data, layers, roads=False)]


def steps(case: Case, lang: str = "id") -> dict[str, Callable[[], object]]:
    """The timed steps of one case (each a call without arguments)."""
    import pamgeo.analysis.flood as F
    from pamgeo.analysis.risk import score_tps

    cfg, data, layers, tps = case.data.config, case.data, case.layers, case.tps
    flood = F.classify_points(tps.geometry, layers, cfg.flood, kode_kel=tps["kode_kel"], lang=lang)

    def classify_tps():
        return F.classify_points(tps.geometry, layers, cfg.flood, kode_kel=tps["kode_kel"], lang=lang)

    def classify_roads():
        return F.classify_points(case.mids, layers, cfg.flood, kode_kel=case.mid_kel, corridor_exempt=case.bridge,
                                 corridor_max=cfg.flood.road_corridor_max, lang=lang, distances=False)

    def score():
        return score_tps(tps, cfg.risk, waterways=data.waterways, police_posts=data.police_posts,
                         flood_prone=data.flood_prone, flood=flood, lang=lang)

    out = {"classify_points (TPS)": classify_tps, "score_tps": score}
    if case.roads:
        out[f"classify_points ({len(case.mids):,} road midpoints)"] = classify_roads
    return out


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall times (s) of ``repeat`` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def step_profile(n_big: int = 50_000, repeat: int = 5, profile: bool = False, lang: str = "id") -> dict[str, float]:
    """Print the median time of each step for Tangsel and ``n_big`` TPS; return them by name.

    With ``profile`` the cumulative cProfile of each step (one call) is printed too.
    """
    medians = {}
    for case in make_cases(n_big):
        for step, fn in steps(case, lang).items():
            times = timed(fn, repeat)
            med = statistics.median(times)
            medians[f"{case.name}: {step}"] = med
            print(f"{case.name:<22} {step:<42} median {med:7.3f} s  (range {min(times):.3f}-{max(times):.3f} s, "
                  f"n={len(times)})", flush=True)
            if profile:
                prof = cProfile.Profile()
                prof.runcall(fn)
                pstats.Stats(prof).sort_stats("cumulative").print_stats(15)
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--n", type=int, default=50_000, help="TPS of the scattered case")
    parser.add_argument("--lang", default="id")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of each step")
    args = parser.parse_args()
    step_profile(args.n, args.repeat, args.profile, args.lang)


if __name__ == "__main__":
    main()
