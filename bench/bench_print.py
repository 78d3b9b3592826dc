"""Per-step times of the A4 print maps (:mod:`pamgeo.render.printmap`), in-process.

For each Tangsel kecamatan: :func:`~pamgeo.render.printmap.base_sheet`,
:func:`~pamgeo.render.printmap.add_analysis`, the PNG (:func:`~pamgeo.render.printmap.png_bytes`)
and the PDF (:func:`~pamgeo.render.printmap.pdf_bytes`), as :func:`pamgeo.run.jobs.write_print_maps`
runs them (the objects made before set aside from garbage collection, as there; ``--no-freeze``
leaves them). Each round draws every sheet anew; ``--repeat`` rounds, the median CPU and wall
time per step and kecamatan is printed, then the totals. The machine is shared and noisy:
compare medians (CPU time is steadier than wall time there).

    .venv/bin/python bench/bench_print.py [--repeat N] [--out DIR] [--profile] [--no-freeze]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "build" / "bench"
STEPS = ("base_sheet", "add_analysis", "png", "pdf")


def load(build_dir: Path):
    """The Tangsel region (built into ``build_dir`` if it is not there) and its analysis."""
    from pamgeo.core.config import load_config
    from pamgeo.ingest.region import load_region
    from pamgeo.run.cache import cached_analysis

    if not (build_dir / "tangsel" / "region.gpkg").exists():
        subprocess.run([sys.executable, "-m", "pamgeo.cli", "data", "build", "tangsel", "--build-dir", str(build_dir)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    data = load_region(load_config("tangsel"), build_dir)
    analysis, _ = cached_analysis(data, build_dir, lang="id")
    return data, analysis


def one_round(data, analysis, codes: list[str], out: Path | None,
              freeze: bool = True) -> dict[tuple[str, str], tuple[float, float]]:
    """(wall, cpu) seconds by (kecamatan, step) of drawing and saving every sheet once, with the
    objects made before set aside from garbage collection (``freeze``) as write_print_maps does."""
    if freeze:
        gc.freeze()
    try:
        return {key: value for code in codes for key, value in one_sheet(data, analysis, code, out).items()}
    finally:
        if freeze:
            gc.unfreeze()


def one_sheet(data, analysis, code: str, out: Path | None) -> dict[tuple[str, str], tuple[float, float]]:
    """(wall, cpu) seconds by (kecamatan, step) of one sheet; its files written to ``out`` if given."""
    from pamgeo.core.codes import undotted
    from pamgeo.render.printmap import add_analysis, base_sheet, pdf_bytes, png_bytes

    clock = [(time.perf_counter(), time.process_time())]
    sheet = base_sheet(data, code, lang="id")
    clock.append((time.perf_counter(), time.process_time()))
    fig = add_analysis(sheet, analysis)
    clock.append((time.perf_counter(), time.process_time()))
    png = png_bytes(fig)
    clock.append((time.perf_counter(), time.process_time()))
    pdf = pdf_bytes(fig)
    clock.append((time.perf_counter(), time.process_time()))
    if out is not None:
        (out / f"{undotted(code)}.png").write_bytes(png)
        (out / f"{undotted(code)}.pdf").write_bytes(pdf)
    return {(code, step): (b[0] - a[0], b[1] - a[1]) for step, a, b in zip(STEPS, clock, clock[1:], strict=False)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--build-dir", type=Path, default=WORK)
    ap.add_argument("--out", type=Path, help="write the last round's PNG and PDF here")
    ap.add_argument("--profile", action="store_true", help="profile one more round (cProfile, top 30 by cumulative)")
    ap.add_argument("--no-freeze", action="store_true", help="leave the objects made before to garbage collection")
    args = ap.parse_args()
    data, analysis = load(args.build_dir)
    codes = data.kecamatan_codes()
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    one_round(data, analysis, codes[:1], None)  # warm: imports, fonts
    rounds = [one_round(data, analysis, codes, args.out if i == args.repeat - 1 else None, not args.no_freeze)
              for i in range(args.repeat)]

    def med(code: str | None, steps, k: int) -> float:
        """Median over the rounds of the (wall, CPU)[k] seconds of ``steps`` for ``code`` (None: all)."""
        return statistics.median(sum(v[k] for (c, s), v in r.items() if s in steps and code in (None, c))
                                 for r in rounds)

    def cell(code: str | None, steps) -> str:
        return f"{med(code, steps, 1):9.3f} ({med(code, steps, 0):6.3f})".rjust(20)

    print(f"print maps, Tangsel ({len(codes)} kecamatan), median of {args.repeat} rounds: CPU s (wall s)")
    print(f"{'kecamatan':<10}" + "".join(f"{s:>20}" for s in (*STEPS, "total")))
    for code in [*codes, None]:
        print(f"{code or 'all':<10}" + "".join(cell(code, {s}) for s in STEPS) + cell(code, set(STEPS)))
    if args.profile:
        prof = cProfile.Profile()
        prof.runcall(one_round, data, analysis, codes, None)
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(30)
        print(text.getvalue())


if __name__ == "__main__":
    main()
