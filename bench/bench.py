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

    from pamgeo.core.config import load_config
    from pamgeo.ingest.io import WGS84, read_kelurahan

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
            xs += list(x[ok])
            ys += list(y[ok])
        import geopandas as gpd

        g = gpd.GeoSeries(gpd.points_from_xy(xs[:c], ys[:c]), crs=kel.crs).to_crs(WGS84)
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

    Each round runs the floor, a cold run (no cached analysis: as after a change of the TPS list,
    parameters or code; the region build and its prepared half stay) and a warm run (analysis
    cached), in an order that rotates from round to round, so the machine's noise falls on all
    three alike. Ratios are of medians.
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
    labels = {"cold": f"pamgeo run tangsel --workers 2 ({n_nb} notebooks + print maps), cold",
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
    leaflet_ready(out / "tangsel" / "kecamatan", repeat)


def leaflet_ready(folder: Path, repeat: int) -> None:
    """Milliseconds from navigation start to the map document's load event (Leaflet ready), file://, offline."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--proxy-server=127.0.0.1:9",
                "--host-resolver-rules=MAP * ~NOTFOUND"):
        opts.add_argument(arg)
    opts.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    # from opening the page (its navigation start) to the map document's load event, both as
    # epoch milliseconds: the map is inflated from the page and loads in its own document
    js = ("const t = performance.timing; return {end: t.loadEventEnd, "
          "leaflet: typeof L !== 'undefined' && document.querySelector('.leaflet-container') !== null};")
    try:
        for page in sorted(folder.glob("*.html")):
            vals = []
            for _ in range(repeat):
                driver.get(page.as_uri())
                start = driver.execute_script("return performance.timing.navigationStart;")
                page_ms = driver.execute_script("const t = performance.timing; return t.loadEventEnd - t.navigationStart;")
                r = {"end": 0}
                deadline = time.time() + 20
                while not r["end"] and time.time() < deadline:
                    frames = driver.find_elements("css selector", "iframe.pamgeo-map[srcdoc]")
                    if frames:
                        driver.switch_to.frame(frames[0])
                        r = driver.execute_script(js)
                        driver.switch_to.default_content()
                    if not r["end"]:
                        time.sleep(0.01)
                assert r["end"] and r["leaflet"], page
                vals.append((page_ms, r["end"] - start))
            print(f"    Leaflet ready {page.stem}: {statistics.median(v[1] for v in vals):.0f} ms from opening the page "
                  f"(page itself loaded in {statistics.median(v[0] for v in vals):.0f} ms; median of {repeat})")
    finally:
        driver.quit()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-run", action="store_true", help="skip the (slow) `pamgeo run` benchmark")
    ap.add_argument("--only-run", action="store_true", help="only the `pamgeo run` / page size / Leaflet benchmark")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"pamgeo benchmarks (python {sys.version.split()[0]}, {os.cpu_count()} cores)")
    if args.only_run:
        subprocess.run([sys.executable, "-m", "pamgeo.cli", "data", "build", "tangsel", "--build-dir", str(WORK)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        bench_run(args.repeat)
        return

    build = (
        "from pamgeo.core.config import load_config\n"
        "from pamgeo.ingest.region import build_region, write_region\n"
        "from pathlib import Path\n"
        f"write_region(build_region(load_config('tangsel')), Path({str(WORK)!r}))\n"
    )
    times, peak = measure(build, args.repeat)
    report("pamgeo data build tangsel (3,824 TPS)", times, peak)

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
    # --- clustering (issue: risk pockets) ---
    cluster_tangsel = (
        "from pamgeo.core.config import load_config\n"
        "from pamgeo.ingest.region import load_region\n"
        "from pamgeo.analysis.pipeline import analyse\n"
        "import time\n"
        f"d = load_region(load_config('tangsel'), __import__('pathlib').Path({str(WORK)!r}))\n"
        "t = time.perf_counter(); a = analyse(d); dt = time.perf_counter() - t\n"
        "print(f'    full analysis of {len(d.tps)} TPS: {dt:.2f} s in-process, {len(a.pockets.table)} pockets')\n"
    )
    times, peak = measure(cluster_tangsel, args.repeat)
    report("analyse tangsel (risk, pockets, rayons, plotting)", times, peak)

    roads = (
        "import time, numpy as np\n"
        "from pamgeo.core.config import load_config\n"
        "from pamgeo.ingest.region import load_region\n"
        "from pamgeo.analysis.network import build_road_graph\n"
        "from pamgeo.analysis import catchment as C\n"
        "cfg = load_config('tangsel')\n"
        f"d = load_region(cfg, __import__('pathlib').Path({str(WORK)!r}))\n"
        "t0 = time.perf_counter()\n"
        "g = build_road_graph(d.roads, cfg.sources.roads.speeds_kmh, precision_m=cfg.sources.roads.node_precision_m)\n"
        "t1 = time.perf_counter()\n"
        "net = C.Network(g)\n"
        "allkec, area = C.police_area(d.kecamatan, d.outside_kecamatan)\n"
        "pol, stg = C.unit_points(cfg.police, d.police_posts)\n"
        "cat = C.travel_time(d.tps, pol, stg, area, net, bands=cfg.police.isochrone_min)\n"
        "t2 = time.perf_counter()\n"
        "print(f'    road graph {g.n_nodes:,} nodes / {g.n_edges:,} edges ({len(net.main):,} in the routable component):'"
        " f' build {t1 - t0:.2f} s, travel-time catchments + isochrones from {len(stg)} staging points and'"
        " f' {len(pol)} Polsek {t2 - t1:.2f} s, total {t2 - t0:.2f} s')\n"
    )
    times, peak = measure(roads, args.repeat)
    report("tangsel road graph + travel-time catchments, process", times, peak)

    from bench_cluster import bench_clustering  # pamgeo's DBSCAN against scikit-learn's

    bench_clustering(args.repeat)

    # --- flood ---
    flood_tangsel = (
        "import time\n"
        "from pamgeo.core.config import load_config\n"
        "from pamgeo.ingest.region import load_region\n"
        "from pamgeo.analysis import flood as F\n"
        "cfg = load_config('tangsel')\n"
        f"d = load_region(cfg, __import__('pathlib').Path({str(WORK)!r}))\n"
        "t = time.perf_counter()\n"
        "layers = F.FloodLayers(waterways=F.merge_waterways(d.waterways), lakes=d.flood_lakes, events=d.flood_events,"
        " polygons=d.flood_polygons, rasters=tuple(d.flood_rasters),"
        " flood_kelurahan=d.flood_prone.groupby('kode_kel')['lokasi'].agg(list).to_dict())\n"
        "out = F.classify_points(d.tps.geometry, layers, cfg.flood, kode_kel=d.tps['kode_kel'])\n"
        "dt = time.perf_counter() - t\n"
        "print(f'    classify {len(out):,} TPS against all Tangsel flood layers: {dt:.2f} s in-process; '"
        " f'{out.flood_class.value_counts().to_dict()}')\n"
    )
    times, peak = measure(flood_tangsel, args.repeat)
    report("flood classes, 3,824 Tangsel TPS, process", times, peak)
    flood_820k = (
        "import time, numpy as np, geopandas as gpd\n"
        "from pamgeo.core.config import load_config\n"
        "from pamgeo.ingest.region import load_region\n"
        "from pamgeo.analysis import flood as F\n"
        "cfg = load_config('tangsel')\n"
        f"d = load_region(cfg, __import__('pathlib').Path({str(WORK)!r}))\n"
        "minx, miny, maxx, maxy = d.kota.total_bounds\n"
        "rng = np.random.default_rng(5)\n"
        "pts = gpd.GeoSeries(gpd.points_from_xy(rng.uniform(minx, maxx, 820_000), rng.uniform(miny, maxy, 820_000)), crs=d.kota.crs)\n"
        "layers = F.FloodLayers(waterways=F.merge_waterways(d.waterways))\n"
        "t = time.perf_counter()\n"
        "out = F.classify_points(pts, layers, cfg.flood)\n"
        "print(f'    classify 820,000 points against the river corridors: {time.perf_counter() - t:.2f} s in-process')\n"
    )
    times, peak = measure(flood_820k, args.repeat)
    report("flood corridors, 820,000 synthetic TPS, process", times, peak)

    if not args.skip_run:
        bench_run(args.repeat)

    baseline = "import geopandas, pamgeo.ingest.validate, pamgeo.ingest.io\n"
    times, peak = measure(baseline, args.repeat)
    report("  (import floor: python + geopandas + pamgeo)", times, peak)


if __name__ == "__main__":
    main()
