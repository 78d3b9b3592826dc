"""pamgeo benchmarks: prints median wall time and peak memory (max RSS) per task.

Each measurement runs in a fresh Python process (so imports and memory are counted as a user
sees them); each task runs ``REPEAT`` times and the median time is printed with the spread.
This machine is shared and noisy: compare medians and ratios, not single runs.

    make bench            # or: .venv/bin/python bench/bench.py [--repeat N] [--rounds N] [--quick]
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


def measure_cmd(argv: list[str], repeat: int) -> tuple[list[float], int]:
    """Run a command ``repeat`` times; return wall times (s) and the peak RSS (KiB) of its processes."""
    times, peak = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - start)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"benchmark command failed: {' '.join(argv)}")
        peak = max(peak, usage.ru_maxrss)
    return times, peak


def report(name: str, times: list[float], peak_kib: int, extra: str = "") -> None:
    med = statistics.median(times)
    spread = f"{min(times):.2f}-{max(times):.2f}"
    print(f"{name:<48} median {med:7.2f} s  (range {spread} s, n={len(times)})  "
          f"peak RSS {peak_kib / 1024:7.0f} MiB  {extra}", flush=True)


def sample_in_polygon(geom, n: int, rng) -> tuple[list[float], list[float]]:
    """``n`` points drawn uniformly inside ``geom`` (rejection sampling in its bounds)."""
    import shapely

    minx, miny, maxx, maxy = geom.bounds
    xs: list[float] = []
    ys: list[float] = []
    while len(xs) < n:
        x, y = rng.uniform(minx, maxx, 4 * n + 10), rng.uniform(miny, maxy, 4 * n + 10)
        ok = shapely.contains_xy(geom, x, y)
        xs += list(x[ok])
        ys += list(y[ok])
    return xs[:n], ys[:n]


def make_tps_file(n: int, path: Path) -> None:
    """A KPU-style TPS list of ``n`` rows placed inside the Tangsel kelurahan (names, not codes)."""
    import numpy as np
    import pandas as pd

    from pamgeo.core.config import load_config
    from pamgeo.ingest.io import WGS84, read_kelurahan

    kel = read_kelurahan(load_config("tangsel"))
    rng = np.random.default_rng(1)
    # as evenly as KPU numbering allows (at most 999 TPS per kelurahan)
    counts = np.full(len(kel), n // len(kel))
    counts[: n - counts.sum()] += 1
    rows = []
    for (_, k), c in zip(kel.iterrows(), counts, strict=True):
        import geopandas as gpd

        xs, ys = sample_in_polygon(k.geometry, c, rng)
        g = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=kel.crs).to_crs(WGS84)
        for i, p in enumerate(g, start=1):
            rows.append((k.kecamatan.upper(), k.kelurahan.upper(), f"{i:03d}" if i <= 999 else str(i),
                         f"Jl. Contoh No. {i}", round(p.y, 6), round(p.x, 6), 250))
    df = pd.DataFrame(rows, columns=["KECAMATAN", "KELURAHAN", "NO TPS", "ALAMAT", "LATITUDE", "LONGITUDE", "DPT"])
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False)


def make_dense_points(n: int, path: Path) -> None:
    """``n`` points spread like TPS at four times Tangsel's density (3,824 TPS in ~147 km2).

    A square around Tangsel's latitude, of the area that gives that density, filled with
    kelurahan-like clumps (lognormal size, ~280 TPS each, wider when bigger) that overlap as in a
    city. Saved as ``X`` ([lat, lon] radians), ``risk`` (0-1) and ``w`` (class weight 1-3).
    """
    import numpy as np

    rng = np.random.default_rng(2024)
    density = 4 * 3824 / 147.0  # TPS per km2
    side_km = np.sqrt(n / density)
    n_clumps = max(1, n // 280)
    east_c = rng.uniform(-side_km / 2, side_km / 2, n_clumps)
    north_c = rng.uniform(-side_km / 2, side_km / 2, n_clumps)
    size = rng.lognormal(mean=0.0, sigma=0.5, size=n_clumps)
    counts = rng.multinomial(n, size / size.sum())
    spread_km = 0.5 + 0.4 * np.sqrt(counts / counts.mean())
    clump = np.repeat(np.arange(n_clumps), counts)
    east = east_c[clump] + rng.normal(0, 1, n) * spread_km[clump]
    north = north_c[clump] + rng.normal(0, 1, n) * spread_km[clump]
    lat0, lon0 = -6.30, 106.70
    lat = lat0 + north * 1000 / 110_574.0
    lon = lon0 + east * 1000 / (111_320.0 * np.cos(np.radians(lat0)))
    risk = rng.beta(2, 5, n)
    w = np.where(risk > 0.8, 3.0, np.where(risk > 0.7, 2.0, 1.0))
    np.savez(path, X=np.radians(np.column_stack([lat, lon])), risk=risk, w=w)


def _floor_script(n_nb: int, folder: Path) -> Path:
    """A script that runs ``n_nb`` notebooks that do nothing through papermill, 2 workers, a fresh
    kernel each: the least any run of that many notebooks can take (the floor)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "pamgeo", "display_name": "pamgeo", "language": "python"}
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell]
    nbformat.write(nb, folder / "empty.ipynb")
    (folder / "floor.py").write_text(
        "import papermill as pm\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        f"paths = [({str(folder / 'empty.ipynb')!r}, {str(folder)!r} + f'/out{{i}}.ipynb') for i in range({n_nb})]\n"
        "def run(p):\n"
        "    pm.execute_notebook(p[0], p[1], kernel_name='pamgeo', progress_bar=False)\n"
        "if __name__ == '__main__':\n"
        "    with ProcessPoolExecutor(2) as ex:\n"
        "        list(ex.map(run, paths))\n"
    )
    return folder / "floor.py"


def bench_run(repeat: int, fresh_kernels: bool = True) -> None:
    """`pamgeo run tangsel` against the papermill floor, interleaved; page sizes; Leaflet-ready time.

    Each round runs the floor, a cold run and a warm run, in an order that rotates from round to
    round, so the machine's noise falls on all three alike. Ratios are of medians.

    Cold: nothing of the analysis is kept, neither the analysis nor the tables and GeoPackage
    written from it (``analysis-*`` and ``exports-*`` removed), as after a change of the run's
    parameters or language. What belongs to the region build stays (the region, its
    region-level analysis, the maps' and print maps' base layers, the GeoPackage's region
    layers): made once per build. Warm: the analysis and its exports cached.
    """
    import json
    import shutil
    import tempfile

    out = WORK / "reports"
    cmd = [sys.executable, "-m", "pamgeo.cli", "run", "tangsel", "--workers", "2", "--build-dir", str(WORK),
           "--reports-dir", str(out)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # builds, warms the OS cache
    manifest = json.loads((out / "tangsel" / "manifest.json").read_text())
    n_nb = sum(1 for n in manifest["notebooks"] if n.get("kind") != "print")
    floor_dir = Path(tempfile.mkdtemp())
    floor = _floor_script(n_nb, floor_dir)

    def timed(kind: str) -> float:
        if kind == "cold":
            for f in (WORK / "tangsel").glob("analysis-*.pickle"):
                f.unlink()
            for d in (WORK / "tangsel").glob("exports-*"):
                shutil.rmtree(d)
        argv = [sys.executable, str(floor)] if kind == "floor" else cmd + (
            ["--fresh-kernels"] if kind == "fresh" else [])
        t = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t

    kinds = ["floor", "cold", "warm"]
    times: dict[str, list[float]] = {k: [] for k in kinds}
    for i in range(repeat):
        for k in kinds[i % 3:] + kinds[: i % 3]:
            times[k].append(timed(k))
    if fresh_kernels:
        times["fresh"] = [timed("fresh") for _ in range(max(1, repeat // 2))]
    shutil.rmtree(floor_dir)
    med_floor = statistics.median(times["floor"])
    print(f"papermill floor, {n_nb} empty notebooks, 2 workers, a fresh kernel each   median {med_floor:6.2f} s "
          f"(range {min(times['floor']):.2f}-{max(times['floor']):.2f}, n={len(times['floor'])})")
    labels = {"cold": f"pamgeo run tangsel --workers 2 ({n_nb} notebooks + print maps), cold (analysis and exports made)",
              "warm": "  same, analysis cached (nothing changed since the last run)",
              "fresh": "  same, cold, --fresh-kernels (a kernel per notebook)"}
    for k, label in labels.items():
        if k in times:
            med = statistics.median(times[k])
            print(f"{label:<75} median {med:6.2f} s (range {min(times[k]):.2f}-{max(times[k]):.2f}, "
                  f"n={len(times[k])})  -> {med / med_floor:.2f}x the floor")
    timings = json.loads((out / "tangsel" / "manifest.json").read_text())
    stages = ", ".join(f"{k} {v:.2f} s" for k, v in timings.get("timings_s", {}).items())
    notebooks = ", ".join(f"{n['name'].replace('kecamatan ', '')} {n.get('seconds', 0):.2f}"
                          for n in timings["notebooks"])
    print(f"  the last run's stages: {stages}")
    print(f"  the last run's notebooks (s, from its start to its page written): {notebooks}")
    # page sizes against a naive folium page: one CircleMarker (with popup) per TPS, CDN assets
    naive_code = (
        "import folium, sys\n"
        "from pamgeo.core.config import load_config\n"
        "from pamgeo.ingest.region import load_region\n"
        "from pamgeo.core.codes import undotted\n"
        f"d = load_region(load_config('tangsel'), __import__('pathlib').Path({str(WORK)!r}))\n"
        "tps = d.tps.to_crs('EPSG:4326')\n"
        "for code, grp in tps.groupby('kode_kec'):\n"
        "    m = folium.Map(location=[grp.geometry.y.mean(), grp.geometry.x.mean()], zoom_start=14)\n"
        "    for _, r in grp.iterrows():\n"
        "        folium.CircleMarker([r.geometry.y, r.geometry.x], radius=5,\n"
        "                            popup=f\"{r.tps_id} {r.kelurahan}\").add_to(m)\n"
        f"    m.save({str(WORK)!r} + f'/naive_{{undotted(code)}}.html')\n"
    )
    subprocess.run([sys.executable, "-c", naive_code], check=True)
    print("  kecamatan page sizes (pamgeo page, all layers, assets embedded / naive folium TPS-only page, CDN):")
    for page in sorted((out / "tangsel" / "kecamatan").glob("*.html")):
        naive = WORK / f"naive_{page.stem}.html"
        a, b = page.stat().st_size, naive.stat().st_size
        print(f"    {page.stem}: {a / 1e6:5.2f} MB / {b / 1e6:5.2f} MB = {a / b:.2f}")
    from bench_leaflet import bench_leaflet  # a 7,000-TPS kecamatan page and the Tangsel pages

    bench_leaflet(repeat)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (fresh processes)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds of the floor, cold and warm run")
    ap.add_argument("--skip-run", action="store_true", help="skip the (slow) `pamgeo run` benchmark")
    ap.add_argument("--only-run", action="store_true", help="only the `pamgeo run` / page size / Leaflet benchmark")
    ap.add_argument("--quick", action="store_true", help="the scaling line without 820,000 TPS, no clustering bench")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"pamgeo benchmarks (python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f})", flush=True)
    build_cmd = [sys.executable, "-m", "pamgeo.cli", "data", "build", "tangsel", "--build-dir", str(WORK)]
    if args.only_run:
        subprocess.run(build_cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        bench_run(args.rounds)
        return

    # the region build, with its region-level half of the analysis (corridors, road graph, ...)
    times, peak = measure_cmd(build_cmd, args.repeat)
    report("pamgeo data build tangsel (3,824 TPS + prepared half)", times, peak)
    prepare = (
        "import time\n"
        "from pamgeo.core.config import load_config\n"
        "from pamgeo.ingest.region import load_region\n"
        "from pamgeo.analysis.prepared import prepare_region\n"
        f"d = load_region(load_config('tangsel'), __import__('pathlib').Path({str(WORK)!r}))\n"
        "t = time.perf_counter(); p = prepare_region(d)\n"
        "print(f'    region-level half (once per build): {time.perf_counter() - t:.2f} s in-process, road graph '"
        " f'{p.graph.n_nodes:,} nodes / {p.graph.n_edges:,} edges')\n"
    )
    times, peak = measure(prepare, args.repeat)
    report("prepare_region tangsel, process", times, peak)

    tps_file = WORK / "tps_50k.csv"
    if not tps_file.exists():
        make_tps_file(50_000, tps_file)
    validate = (
        "from pamgeo.ingest import io as pio\n"
        "from pamgeo.core.config import load_config\n"
        "from pamgeo.ingest.validate import validate_tps\n"
        "cfg = load_config('tangsel')\n"
        "kel = pio.read_kelurahan(cfg)\n"
        f"table = pio.read_tps_table({str(tps_file)!r})\n"
        "tps, rep = validate_tps(table, kel)\n"
        "assert len(tps) > 49000, rep.format_text(5)\n"
    )
    times, peak = measure(validate, args.repeat)
    report("load + validate 50,000-row TPS CSV", times, peak)

    # the analysis: a scaling line with every step's time (bench_scale.py)
    from bench_scale import bench_scale

    bench_scale(args.repeat, (3824, 50_000) if args.quick else (3824, 50_000, 820_000))
    if not args.quick:
        from bench_cluster import bench_clustering  # pamgeo's DBSCAN against scikit-learn's

        bench_clustering(args.repeat)
    # the print maps, per step (bench_print.py)
    subprocess.run([sys.executable, str(ROOT / "bench" / "bench_print.py"), "--repeat", str(args.repeat),
                    "--build-dir", str(WORK)], check=True)
    if not args.skip_run:
        bench_run(args.rounds)

    baseline = "import geopandas, pamgeo.ingest.validate, pamgeo.ingest.io\n"
    times, peak = measure(baseline, args.repeat)
    report("  (import floor: python + geopandas + pamgeo)", times, peak)


if __name__ == "__main__":
    main()
