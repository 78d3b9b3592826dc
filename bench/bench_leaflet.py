"""How fast the briefing maps are ready in a browser: a 7,000-TPS kecamatan and the real Tangsel pages.

A user region (a copy of ``tangsel.yml`` in a regions folder of its own, ``--regions-dir``) whose
``sources.tps`` is a synthetic KPU-style list with 7,000 TPS in the kelurahan of Pondok Aren
(36.74.03) and a few in every other kelurahan; it is built and run with the ``pamgeo`` command
like any region (under ``build/bench/``; the data build is kept between runs, the briefing is
rendered again each time, from the current code). Then each kecamatan page is opened from disk
in headless Chromium with the network off, ``repeat`` times, and two medians are printed:

- *Leaflet ready*: from opening the page (its navigation start) to the map document's load event
  (the map is stored compressed in the page and loads in an iframe of its own);
- *TPS drawn*: to the ``pamgeo-tps-drawn`` performance mark the map sets in the animation frame
  after its TPS layer is added (the frame that paints the TPS): the map usable, its TPS visible.

    .venv/bin/python bench/bench_leaflet.py [--repeat 5]
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
REGION = "tangsel7k"
DENSE_KEC = "Pondok Aren"
DENSE_CODE = "36.74.03"
N_DENSE = 7_000
N_OTHER_PER_KEL = 40
#: the TPS mark the maps set (pamgeo/render/assets/runtime.js)
DRAWN_MARK = "pamgeo-tps-drawn"


def make_dense_tps_file(path: Path, n: int = N_DENSE, kecamatan: str = DENSE_KEC,
                        per_other_kel: int = N_OTHER_PER_KEL) -> None:
    """A KPU-style TPS list: ``n`` TPS spread over the kelurahan of ``kecamatan`` (evenly, at
    random points inside each), ``per_other_kel`` in every other Tangsel kelurahan."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from pamgeo.core.config import load_config
    from pamgeo.ingest.io import WGS84, read_kelurahan

    kel = read_kelurahan(load_config("tangsel"))
    dense = (kel["kecamatan"] == kecamatan).to_numpy()
    if not dense.any():
        raise SystemExit(f"no kecamatan {kecamatan!r} in Tangsel")
    counts = np.full(len(kel), per_other_kel)
    n_kel = int(dense.sum())
    share = np.full(n_kel, n // n_kel)
    share[: n - share.sum()] += 1
    if share.max() > 900:  # KPU numbers from 901 are lokasi khusus
        raise SystemExit(f"{n} TPS in {n_kel} kelurahan: more than 900 in one")
    counts[dense] = share
    rng = np.random.default_rng(7000)
    rows = []
    from bench import sample_in_polygon  # here, not at top: bench.py imports this file

    for (_, k), c in zip(kel.iterrows(), counts, strict=True):
        xs, ys = sample_in_polygon(k.geometry, c, rng)
        g = gpd.GeoSeries(gpd.points_from_xy(xs, ys), crs=kel.crs).to_crs(WGS84)
        for i, p in enumerate(g, start=1):
            rows.append((k.kecamatan.upper(), k.kelurahan.upper(), f"{i:03d}", f"Jl. Contoh Raya No. {i}",
                         round(p.y, 6), round(p.x, 6), int(rng.integers(180, 300))))
    df = pd.DataFrame(rows, columns=["KECAMATAN", "KELURAHAN", "NO TPS", "ALAMAT", "LATITUDE", "LONGITUDE", "DPT"])
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False)


def write_region_file(regions: Path, tps_file: Path) -> Path:
    """``<regions>/tangsel7k.yml``: Tangsel's region file with ``tps_file`` as its TPS list."""
    import yaml

    from pamgeo.core.resources import data_dir

    shipped = data_dir() / "regions"
    cfg = yaml.safe_load((shipped / "tangsel.yml").read_text(encoding="utf-8"))
    cfg["region"]["id"] = REGION
    cfg["region"]["name"] = "Kota Tangerang Selatan (uji 7.000 TPS)"
    cfg["sources"]["tps"] = {"format": "list", "path": str(tps_file), "election": "Pemilu 2024 (uji)",
                             "attribution": "TPS: daftar sintetis untuk uji kecepatan"}
    # the shipped file's own tables are relative to it: point at them where they are
    cfg["sources"]["police_posts"]["path"] = str(shipped / cfg["sources"]["police_posts"]["path"])
    for lake in cfg["flood"].get("lakes", []):
        lake["path"] = str(shipped / lake["path"])
    regions.mkdir(parents=True, exist_ok=True)
    out = regions / f"{REGION}.yml"
    text = yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True)
    if not out.exists() or out.read_text(encoding="utf-8") != text:
        out.write_text(text, encoding="utf-8")
    return out


def _pamgeo(*args: str) -> None:
    cmd = [sys.executable, "-m", "pamgeo.cli", *args]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def dense_pages(work: Path = WORK) -> Path:
    """Build the 7,000-TPS region (kept once built) and render its Pondok Aren briefing; the
    folder of its kecamatan pages."""
    tps_file = work / "tps_7k_pondok_aren.csv"
    if not tps_file.exists():
        make_dense_tps_file(tps_file)
    regions = work / "regions"
    region_file = write_region_file(regions, tps_file)
    built = work / REGION / "region.gpkg"
    if not built.exists() or built.stat().st_mtime < max(tps_file.stat().st_mtime, region_file.stat().st_mtime):
        _pamgeo("data", "build", REGION, "--regions-dir", str(regions), "--build-dir", str(work))
    reports = work / "leaflet-reports"
    _pamgeo("run", REGION, "--regions-dir", str(regions), "--build-dir", str(work), "--reports-dir", str(reports),
            "--workers", "2", "--kecamatan", DENSE_CODE)
    return reports / REGION / "kecamatan"


def tangsel_pages(work: Path = WORK) -> Path:
    """The real Tangsel briefing rendered from the current code; the folder of its kecamatan pages."""
    if not (work / "tangsel" / "region.gpkg").exists():
        _pamgeo("data", "build", "tangsel", "--build-dir", str(work))
    reports = work / "leaflet-reports"
    _pamgeo("run", "tangsel", "--build-dir", str(work), "--reports-dir", str(reports), "--workers", "2")
    return reports / "tangsel" / "kecamatan"


def chromium(width: int = 1300, height: int = 900):
    """Headless Chromium with the network off (every connection to a closed port, no name resolves)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
                f"--window-size={width},{height}"):
        opts.add_argument(arg)
    opts.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


# in the map's document: its load event and the TPS mark, as epoch milliseconds
_TIMES_JS = f"""
const t = performance.timing, m = performance.getEntriesByName({DRAWN_MARK!r});
return {{end: t.loadEventEnd, drawn: m.length ? performance.timeOrigin + m[0].startTime : null,
         leaflet: typeof L !== 'undefined' && document.querySelector('.leaflet-container') !== null}};
"""


def page_times(driver, page: Path, timeout: float = 30.0) -> tuple[float, float | None]:
    """One load of ``page``: ms from its navigation start to the map's load event and to its TPS mark."""
    driver.get(page.as_uri())
    start = driver.execute_script("return performance.timing.navigationStart;")
    r = {"end": 0, "drawn": None}
    deadline = time.time() + timeout
    while not (r["end"] and r["drawn"]) and time.time() < deadline:
        frames = driver.find_elements("css selector", "iframe.pamgeo-map[srcdoc]")
        if frames:
            driver.switch_to.frame(frames[0])
            r = driver.execute_script(_TIMES_JS)
            driver.switch_to.default_content()
        if r["end"] and not r["drawn"] and time.time() > deadline - timeout + 5:
            break  # a map without the mark (a page from before it)
        time.sleep(0.01)
    if not (r["end"] and r.get("leaflet")):
        raise SystemExit(f"the map of {page} did not load")
    return r["end"] - start, (r["drawn"] - start if r["drawn"] else None)


def measure_pages(pages: list[Path], repeat: int, label: str = "") -> dict[str, tuple[float, float | None]]:
    """Median Leaflet-ready and TPS-drawn ms of each page over ``repeat`` loads, printed."""
    driver = chromium()
    out = {}
    try:
        for page in pages:
            page_times(driver, page)  # a first load, not counted (the browser's own warm-up)
            runs = [page_times(driver, page) for _ in range(repeat)]
            ready = statistics.median(r[0] for r in runs)
            drawn_all = [r[1] for r in runs if r[1] is not None]
            drawn = statistics.median(drawn_all) if drawn_all else None
            out[page.stem] = ready, drawn
            drawn_text = f"TPS drawn {drawn:5.0f} ms" if drawn is not None else "TPS drawn     - (no mark)"
            spread = f"{min(r[0] for r in runs):.0f}-{max(r[0] for r in runs):.0f}"
            print(f"    {label}{page.stem}: Leaflet ready {ready:5.0f} ms (range {spread}), {drawn_text}  "
                  f"(median of {repeat}, page {page.stat().st_size / 1e6:.2f} MB)", flush=True)
    finally:
        driver.quit()
    return out


def bench_leaflet(repeat: int) -> None:
    """Leaflet-ready and TPS-drawn medians of a 7,000-TPS kecamatan page and of the real Tangsel
    pages (its seven kecamatan, and the overview map of its 3,824 TPS)."""
    WORK.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    dense = dense_pages()
    real = tangsel_pages()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"  Leaflet ready / TPS drawn in headless Chromium, file://, offline (pages rendered in "
          f"{time.perf_counter() - t:.0f} s; load average {load}):", flush=True)
    measure_pages([dense / f"{DENSE_CODE.replace('.', '')}.html"], repeat, label=f"{N_DENSE:,} TPS, ")
    measure_pages(sorted(real.glob("*.html")), repeat, label="tangsel ")
    measure_pages([real.parent / "overview.html"], repeat, label="tangsel ")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"pamgeo Leaflet benchmark (python {sys.version.split()[0]}, {os.cpu_count()} cores)", flush=True)
    bench_leaflet(args.repeat)


if __name__ == "__main__":
    main()
