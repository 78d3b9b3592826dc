"""pamgeo benchmarks: prints median wall time and peak memory (max RSS) per task.

Each measurement runs in a fresh Python process (so imports and memory are counted as a user
sees them); each task runs ``REPEAT`` times and the median time is printed with the spread.
This machine is shared and noisy: compare medians and ratios, not single runs.

    make bench            # or: .venv/bin/python bench/bench.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "bench"


def measure(code: str, repeat: int) -> tuple[list[float], int]:
    """Run ``code`` in fresh interpreters; return wall times (s) and the peak RSS (KiB)."""
    times, peak = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"benchmark task failed:\n{code}")
        peak = max(peak, usage.ru_maxrss)
    return times, peak


def report(name: str, times: list[float], peak_kib: int, extra: str = "") -> None:
    med = statistics.median(times)
    spread = f"{min(times):.2f}-{max(times):.2f}"
    print(f"{name:<48} median {med:7.2f} s  (range {spread} s, n={len(times)})  "
          f"peak RSS {peak_kib / 1024:7.0f} MiB  {extra}", flush=True)


def make_tps_file(n: int, path: Path) -> None:
    """A KPU-style TPS list of ``n`` rows placed inside the Tangsel kelurahan (names, not codes)."""
    import numpy as np
    import pandas as pd

    from pamgeo.config import load_config
    from pamgeo.io import WGS84, read_kelurahan

    kel = read_kelurahan(load_config("tangsel"))
    rng = np.random.default_rng(1)
    # as evenly as KPU numbering allows (at most 999 TPS per kelurahan)
    counts = np.full(len(kel), n // len(kel))
    counts[: n - counts.sum()] += 1
    rows = []
    for (_, k), c in zip(kel.iterrows(), counts, strict=True):
        minx, miny, maxx, maxy = k.geometry.bounds
        xs, ys = [], []
        while len(xs) < c:
            x, y = rng.uniform(minx, maxx, 4 * c + 10), rng.uniform(miny, maxy, 4 * c + 10)
            import shapely

            ok = shapely.contains_xy(k.geometry, x, y)
            xs += list(x[ok]); ys += list(y[ok])
        import geopandas as gpd

        g = gpd.GeoSeries(gpd.points_from_xy(xs[:c], ys[:c]), crs=kel.crs).to_crs(WGS84)
        for i, p in enumerate(g, start=1):
            rows.append((k.kecamatan.upper(), k.kelurahan.upper(), f"{i:03d}" if i <= 999 else str(i),
                         f"Jl. Contoh No. {i}", round(p.y, 6), round(p.x, 6), 250))
    df = pd.DataFrame(rows, columns=["KECAMATAN", "KELURAHAN", "NO TPS", "ALAMAT", "LATITUDE", "LONGITUDE", "DPT"])
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"pamgeo benchmarks (python {sys.version.split()[0]}, {os.cpu_count()} cores)")

    build = (
        "from pamgeo.config import load_config\n"
        "from pamgeo.region import build_region, write_region\n"
        "from pathlib import Path\n"
        f"write_region(build_region(load_config('tangsel')), Path({str(WORK)!r}))\n"
    )
    times, peak = measure(build, args.repeat)
    report("pamgeo data build tangsel (3,824 TPS)", times, peak)

    tps_file = WORK / "tps_50k.csv"
    if not tps_file.exists():
        make_tps_file(50_000, tps_file)
    validate = (
        "from pamgeo import io as pio\n"
        "from pamgeo.config import load_config\n"
        "from pamgeo.validate import validate_tps\n"
        "cfg = load_config('tangsel')\n"
        "kel = pio.read_kelurahan(cfg)\n"
        f"table = pio.read_tps_table({str(tps_file)!r})\n"
        "tps, rep = validate_tps(table, kel)\n"
        "assert len(tps) > 49000, rep.format_text(5)\n"
    )
    times, peak = measure(validate, args.repeat)
    report("load + validate 50,000-row TPS CSV", times, peak)
    baseline = "import geopandas, pamgeo.validate, pamgeo.io\n"
    times, peak = measure(baseline, args.repeat)
    report("  (import floor: python + geopandas + pamgeo)", times, peak)


if __name__ == "__main__":
    main()
