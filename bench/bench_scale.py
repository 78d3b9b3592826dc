"""The analysis at 4k, 50k and 820k TPS: a scaling line, with the time of every step.

Tangsel's real region (boundaries, roads, rivers, flood layers, police) and its region-level
half (:func:`pamgeo.analysis.prepared.prepare_region`, computed once per build) carry TPS lists of
three sizes: the real 3,824 TPS, and 50,000 and 820,000 synthetic TPS drawn from the real ones
(kelurahan, special TPS, official classes) and placed uniformly inside their kelurahan. The
DBSCAN radius and the crowding radius shrink with the square root of the density (300 m and
the config's at Tangsel's) so that every size meets the same number of neighbours per TPS: the
line then shows how the analysis grows with the number of TPS, not with crowding. Each size runs in a fresh process; the figures are
medians of ``--repeat`` in-process runs of :func:`~pamgeo.analysis.pipeline.analyse` (the region
and its prepared half already loaded, as in a run), then one profiled run gives each step.

    .venv/bin/python bench/bench_scale.py [--repeat N] [--sizes 3824,50000,820000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "bench"
# the analysis's steps, as functions whose cumulative profile time is reported
STEPS = {
    "flood classes of the TPS": ("pamgeo/analysis/flood.py", "classify_points"),
    "raster coverage warning": ("pamgeo/analysis/flood.py", "coverage_warning"),
    "official classes": ("pamgeo/analysis/risk.py", "apply_official"),
    "class changes": ("pamgeo/analysis/changes.py", "latest_changes"),
    "risk score and reasons": ("pamgeo/analysis/risk.py", "score_tps"),
    "pockets (DBSCAN + table)": ("pamgeo/analysis/pockets.py", "find_pockets"),
    "  of which clustering": ("pamgeo/analysis/pockets.py", "risk_dbscan"),
    "rayon / Polsek (3 methods)": ("pamgeo/analysis/catchment.py", "assign"),
    "reserve response + routes": ("pamgeo/analysis/catchment.py", "response"),
    "flooded access": ("pamgeo/analysis/catchment.py", "closed_access"),
    "personnel per kelurahan": ("pamgeo/analysis/personnel.py", "personnel_by_kelurahan"),
}

CHILD = r'''
import cProfile, json, pstats, statistics, sys, time
from pathlib import Path
import numpy as np, pandas as pd, geopandas as gpd, shapely
from pamgeo.core.config import load_config
from pamgeo.ingest.region import load_region
from pamgeo.run.cache import prepared_region
from pamgeo.analysis.pipeline import analyse

n, repeat, build, steps = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]), json.loads(sys.argv[4])
data = load_region(load_config("tangsel"), build)
prepared = prepared_region(data, build)
real = data.tps
if n != len(real):
    rng = np.random.default_rng(n)
    pick = rng.integers(0, len(real), n)
    tps = real.iloc[pick].reset_index(drop=True)
    kel = data.kelurahan.set_index("kode_kel").geometry
    xy = np.empty((n, 2))
    for code, idx in tps.groupby("kode_kel").indices.items():  # uniform inside the kelurahan
        poly = kel[code]
        x0, y0, x1, y1 = poly.bounds
        got = np.empty((0, 2))
        while len(got) < len(idx):
            c = np.column_stack([rng.uniform(x0, x1, 2 * len(idx) + 16), rng.uniform(y0, y1, 2 * len(idx) + 16)])
            got = np.vstack([got, c[shapely.contains_xy(poly, c[:, 0], c[:, 1])]])
        xy[idx] = got[: len(idx)]
    tps = tps.set_geometry(gpd.points_from_xy(xy[:, 0], xy[:, 1], crs=real.crs))
    tps["tps_no"] = tps.groupby("kode_kel").cumcount() + 1
    tps["tps_id"] = tps["kode_kel"].str.replace(".", "", regex=False) + tps["tps_no"].map("{:06d}".format)
    data.tps = tps
scale = (len(real) / n) ** 0.5  # radii shrink with density: the same neighbours per TPS at every size
eps = 300.0 * scale
cfg = data.config
data.config = cfg.model_copy(update={"risk": cfg.risk.model_copy(
    update={"crowding_radius_m": cfg.risk.crowding_radius_m * scale})})
times = []
for _ in range(repeat):
    t = time.perf_counter()
    a = analyse(data, prepared=prepared, eps_m=eps)
    times.append(time.perf_counter() - t)
prof = cProfile.Profile()
prof.enable()
analyse(data, prepared=prepared, eps_m=eps)
prof.disable()
stats = pstats.Stats(prof).stats
step_s = {}
for name, (path, func) in steps.items():
    step_s[name] = sum(v[3] for (f, _, fn), v in stats.items() if f.endswith(path) and fn == func)
print(json.dumps({"n": n, "eps": eps, "times": times, "steps": step_s, "pockets": len(a.pockets.table),
                  "profiled": sum(v[3] for (f, _, fn), v in stats.items() if fn == "analyse")}))
'''


def run_size(n: int, repeat: int, build: Path) -> dict:
    """The analysis of ``n`` TPS in a fresh process: times of ``repeat`` runs and one profile."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(repeat), str(build), json.dumps(STEPS)],
                         cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_scale(repeat: int, sizes: tuple[int, ...] = (3824, 50_000, 820_000)) -> None:
    """Print the scaling line and the per-step profile of each size."""
    import statistics

    build = WORK
    subprocess.run([sys.executable, "-m", "pamgeo.cli", "data", "build", "tangsel", "--build-dir", str(build)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    results = [run_size(n, repeat, build) for n in sizes]
    base = None
    print("analysis of a TPS list on Tangsel's region (region-level half stored with the build), in-process:")
    for r in results:
        med = statistics.median(r["times"])
        per = med / r["n"] * 1e6
        base = base or (med, r["n"])
        print(f"  {r['n']:>9,} TPS  eps {r['eps']:6.1f} m  median {med:7.3f} s (range {min(r['times']):.3f}-"
              f"{max(r['times']):.3f}, n={len(r['times'])})  {per:6.1f} us per TPS  "
              f"x{med / base[0]:6.1f} time for x{r['n'] / base[1]:6.1f} TPS  {r['pockets']} pockets")
    names = list(STEPS)
    print("  per step (one profiled run each; profiling adds overhead), seconds:")
    print("    " + f"{'step':<30}" + "".join(f"{r['n']:>12,}" for r in results))
    for name in names:
        print("    " + f"{name:<30}" + "".join(f"{r['steps'][name]:12.3f}" for r in results))
    print("    " + f"{'whole analysis (profiled)':<30}" + "".join(f"{r['profiled']:12.3f}" for r in results))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sizes", default="3824,50000,820000")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    bench_scale(args.repeat, tuple(int(s) for s in args.sizes.split(",")))


if __name__ == "__main__":
    main()
