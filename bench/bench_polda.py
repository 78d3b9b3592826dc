"""Benchmark of Polda-scale and national runs on Dask.

Prints the Polda run's wall time with 1 and 2 workers (and the speedup), the time per member and
per notebook, the peak memory per worker; and the national view's wall time. Each Polda run starts
cold (fresh build and report folders under --tmp), so it includes the member builds.

    .venv/bin/python bench/bench_polda.py [--group polda_metro_jaya] [--workers 1 2] [--skip-national]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path


def polda(group: str, workers: int, root: Path) -> dict:
    from pamgeo.run.distributed import run_group

    build, reports = root / f"build-{workers}", root / f"reports-{workers}"
    shutil.rmtree(build, ignore_errors=True)
    shutil.rmtree(reports, ignore_errors=True)
    t0 = time.perf_counter()
    result = run_group(group, workers=workers, build_dir=build, reports_dir=reports, progress=False, force=True)
    wall = time.perf_counter() - t0
    notebooks = []
    for r in result.runs:
        notebooks += [n["seconds"] for n in r.get("notebooks") or [] if n.get("seconds")]
    per_worker: dict[int, int] = {}
    for r in result.runs:
        per_worker[r.get("worker")] = max(per_worker.get(r.get("worker"), 0), r.get("worker_peak_mb") or 0)
    return {"workers": workers, "wall_s": round(wall, 1), "ok": result.ok, "members": len(result.runs),
            "per_member_s": {r["run_id"]: r.get("seconds") for r in result.runs},
            "notebooks": len(notebooks), "notebook_mean_s": round(statistics.mean(notebooks), 2) if notebooks else None,
            "notebook_max_s": round(max(notebooks), 2) if notebooks else None,
            "peak_mb_per_worker": per_worker}


def national(root: Path, workers: int) -> float:
    from pamgeo.run.distributed import run_national

    t0 = time.perf_counter()
    run_national("indonesia", workers=workers, reports_dir=root / "reports-national", progress=False)
    return round(time.perf_counter() - t0, 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--group", default="polda_metro_jaya")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--skip-national", action="store_true")
    ap.add_argument("--tmp", type=Path, default=None, help="work folder (default: a temporary one, removed)")
    args = ap.parse_args(argv)
    root = args.tmp or Path(tempfile.mkdtemp(prefix="bench-polda-"))
    results = []
    try:
        for w in args.workers:
            r = polda(args.group, w, root)
            results.append(r)
            print(f"polda {args.group}: {w} worker(s): {r['wall_s']} s, {r['members']} members "
                  f"({'ok' if r['ok'] else 'FAILED'}), {r['notebooks']} notebooks "
                  f"(mean {r['notebook_mean_s']} s, max {r['notebook_max_s']} s)", flush=True)
            print("  per member (s): " + ", ".join(f"{k} {v}" for k, v in r["per_member_s"].items()), flush=True)
            print("  peak memory per worker (MB): " + ", ".join(f"{k}: {v}" for k, v in r["peak_mb_per_worker"].items()),
                  flush=True)
        by = {r["workers"]: r["wall_s"] for r in results}
        if 1 in by and 2 in by:
            print(f"speedup 2 vs 1 worker: {by[1] / by[2]:.2f}x (goal >= 1.6x); 2 workers under 5 min: {by[2] < 300}")
        if not args.skip_national:
            s = national(root, max(args.workers))
            print(f"national view: {s} s (goal < 60 s)")
        (root / "bench_polda.json").write_text(json.dumps(results, indent=2))
    finally:
        if args.tmp is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
