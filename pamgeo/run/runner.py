"""Briefing runs: papermill per kecamatan, HTML pages, index, tables and manifest.

With :mod:`pamgeo.run.jobs` (the jobs and the processes that run them) and
:mod:`pamgeo.ingest.region` (the build), the only module that writes outputs. A run renders into
a temporary folder beside ``reports/<region>/`` and moves it into place at the end, so a run
killed halfway leaves the previous report (or none), never a mix; a run stopped by SIGTERM,
SIGINT or SIGHUP also stops its workers and kernels (:mod:`pamgeo.run.interrupt`). A failing
kecamatan does not stop the others: its cell and error go into ``manifest.json`` and onto the
index page.
"""

from __future__ import annotations

import html
import json
import os
import pickle
import shutil
import tempfile
import time
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pamgeo.analysis.pipeline import Analysis
from pamgeo.core.codes import normalise_code, undotted
from pamgeo.core.config import RegionConfig, load_config
from pamgeo.core.i18n import number, t
from pamgeo.core.resources import default_build_dir, default_reports_dir, notebooks_dir
from pamgeo.ingest.region import (
    RegionData,
    build_region,
    is_current,
    region_dir,
    write_region,
)
from pamgeo.render.notes import account_note, classes_note, coverage_notes
from pamgeo.render.page import render_page
from pamgeo.run.cache import (
    KEEP,
    analysis_key,
    cached_analysis,
    cached_region,
    prepare_build,
    region_geopackage,
)
from pamgeo.run.interrupt import remove_stale_folders, stop_descendants, stopping_on_signals
from pamgeo.run.jobs import BODY_MARKER, Workers, run_aside, run_job, start_workers
from pamgeo.run.kernels import KERNEL_NAME, ensure_kernel, stop_kernels
from pamgeo.run.tables import versions, write_tables


@dataclass
class RunResult:
    """What a run produced."""

    report_dir: Path
    index: Path
    notebooks: list[dict] = field(default_factory=list)

    @property
    def failed(self) -> list[dict]:
        return [n for n in self.notebooks if n["status"] != "ok"]

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass
class _Run:
    """What one run works with, set up step by step."""

    cfg: RegionConfig
    lang: str
    kernel: str
    reuse_kernels: bool
    notes: list[str] = field(default_factory=list)  # on every page: the TPS account, missing data
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    timings: dict[str, float] = field(default_factory=dict)
    clock: float = field(default_factory=time.perf_counter)

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round(now - self.clock, 2)
        self.clock = now


def _region(cfg: RegionConfig, build_dir: Path | None, progress: bool, run: _Run) -> RegionData:
    """The region, built first when its build is missing or out of date."""
    if not is_current(cfg, build_dir):
        write_region(build_region(cfg, progress=progress), build_dir)
        prepare_build(cfg, build_dir)
    run.lap("build_check")
    data = cached_region(cfg, build_dir)
    run.lap("load_region")
    return data


def _codes(cfg: RegionConfig, data: RegionData, kecamatan: list[str] | None) -> list[str]:
    """The kecamatan to render: those asked for (checked), else all."""
    codes = data.kecamatan_codes()
    if not kecamatan:
        return codes
    wanted = []
    for c in kecamatan:
        n = normalise_code(c)
        if n not in codes:
            raise ValueError(f"kecamatan '{c}' is not in region {cfg.region.id}; use one of {codes}")
        wanted.append(n)
    return wanted


def _prepare_workers(pools: Workers, run: _Run, workers: int, bdir: str | None, codes: list[str]) -> None:
    """While the analysis is computed, the kernels get the region and the maps' base layers ready
    (a job each; a worker that takes two does the second in no time), and the print process
    the base sheets of the print maps (both read from beside the build)."""
    for _ in range(workers - 1):
        pools.notebooks.submit(run_job, {"kind": "prepare", "kernel": run.kernel, "region": run.cfg.config_path,
                                         "build_dir": bdir, "codes": codes, "kernel_pids": pools.kernel_pids})
    pools.prints.submit(run_job, {"kind": "prepare-print", "codes": codes, "lang": run.lang, "build_dir": bdir})


def _report_folders(reports_dir: Path, region_id: str, partial: bool) -> tuple[Path, Path]:
    """``(tmp, final)``: the run's temporary folder, made now (a copy of the report when only
    some kecamatan are re-run), and the report folder it replaces at the end."""
    remove_stale_folders(reports_dir, region_id)
    final = reports_dir / region_id
    tmp = reports_dir / f".{region_id}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    if partial and final.exists():
        shutil.copytree(final, tmp)
    (tmp / "kecamatan").mkdir(parents=True, exist_ok=True)
    (tmp / "notebooks").mkdir(parents=True, exist_ok=True)
    return tmp, final


def _hand_over(analysis: Analysis, tmp: Path) -> Path:
    """The analysis, pickled for the notebooks and the print process to read."""
    path = tmp / "analysis.pickle"
    with open(path, "wb") as fh:
        pickle.dump(analysis, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _plan_jobs(run: _Run, data: RegionData, codes: list[str], *, overview: bool, tmp: Path, bdir: str | None,
               analysis_file: Path, class_note: str, kernel_pids: dict[str, int]) -> list[dict]:
    """The notebook jobs (overview, a page per kecamatan) and the print-map job of a run."""
    cfg, lang = run.cfg, run.lang
    estimated = data.estimated_note_key
    common = {"kernel": run.kernel, "reuse_kernel": run.reuse_kernels, "kernel_pids": kernel_pids}
    params = {"region": cfg.config_path, "build_dir": bdir, "language": lang, "analysis_file": str(analysis_file)}
    jobs = []
    if overview:
        jobs.append({
            "name": "overview", **common, "parameters": params,
            "template": str(notebooks_dir() / "kota_overview.ipynb"),
            "executed": str(tmp / "notebooks" / "overview.ipynb"),
            "page_shell": render_page(
                cfg, title=f"{t('overview_title', lang)}: {cfg.region.name}",
                subtitle=f"{cfg.sources.tps.election} · {class_note}", body=BODY_MARKER, lang=lang,
                estimated=estimated, nav=f"<a href='index.html'>← {html.escape(t('index_title', lang))}</a>",
                notes=run.notes),
            "page": str(tmp / "overview.html"), "page_rel": "overview.html",
        })
    names = dict(zip(data.kecamatan["kode_kec"], data.kecamatan["kecamatan"], strict=True))
    nav = f"<a href='../index.html'>← {html.escape(t('index_title', lang))}</a>"
    for code in codes:
        page_rel = f"kecamatan/{undotted(code)}.html"
        jobs.append({
            "name": f"kecamatan {code}", **common, "parameters": {**params, "kecamatan": code},
            "template": str(notebooks_dir() / "kecamatan_briefing.ipynb"),
            "executed": str(tmp / "notebooks" / f"kecamatan_{undotted(code)}.ipynb"),
            "page_shell": render_page(
                cfg, title=f"{t('briefing_title', lang)}: {t('kecamatan', lang)} {names[code]}",
                subtitle=f"{cfg.region.name} · {cfg.sources.tps.election} · {class_note}", body=BODY_MARKER,
                lang=lang, estimated=estimated, notes=run.notes,
                nav=nav + (f" · <a href='{undotted(code)}.png'>{html.escape(t('print_png', lang))}</a>"
                           f" · <a href='{undotted(code)}.pdf'>{html.escape(t('print_pdf', lang))}</a>")),
            "page": str(tmp / page_rel), "page_rel": page_rel,
        })
    # print maps: one job (data and analysis read once)
    jobs.append({"kind": "print", "name": "print maps", "codes": codes, "parameters": {"kecamatan": codes},
                 "page_rel": "kecamatan/", "config_path": cfg.config_path, "build_dir": bdir,
                 "analysis_file": str(analysis_file), "folder": str(tmp / "kecamatan"), "lang": lang})
    return jobs


def _job_order(jobs: list[dict], data: RegionData) -> list[int]:
    """Longest first (the overview, the print maps, then kecamatan by TPS count), so that no long
    job starts last while the other worker idles."""
    n_tps = data.tps["kode_kec"].value_counts()

    def key(i: int) -> tuple[int, int]:
        job = jobs[i]
        if job.get("kind") == "print":
            return (1, 0)
        return (0 if job["name"] == "overview" else 2, -int(n_tps.get(job["parameters"].get("kecamatan"), 0)))

    return sorted(range(len(jobs)), key=key)


def _execute(jobs: list[dict], order: list[int], pools: Workers | None, *, progress: bool, label: str,
             meanwhile) -> list[dict]:
    """Run the jobs (in the pools, or here one after another) and return their results in the
    jobs' order. ``meanwhile()`` runs while the pools work (or, serially, after the jobs)."""
    results: list[dict | None] = [None] * len(jobs)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc=label, unit="notebook")
    try:
        if pools is not None:
            futures = {(pools.prints if jobs[i].get("kind") == "print" else pools.notebooks).submit(
                run_job, jobs[i]): i for i in order}
            # beside the pools, in a process at a lower priority: on a busy machine the notebooks
            # and print maps (the run's critical path) go first, and this fills their gaps
            aside = run_aside(meanwhile)
            if aside is None:
                meanwhile()
            try:
                for fut in as_completed(futures):
                    results[futures[fut]] = fut.result()
                    if bar:
                        bar.update()
                if aside is not None:
                    aside[1].result()
            finally:
                if aside is not None:  # stopped: not waited for (the run's clean-up ends it)
                    aside[0].shutdown(wait=aside[1].done(), cancel_futures=True)
        else:
            for i in order:
                results[i] = run_job(jobs[i])
                if bar:
                    bar.update()
            meanwhile()
    finally:
        if bar:
            bar.close()
    return results  # type: ignore[return-value]


def _with_previous(results: list[dict], manifest_path: Path, partial: bool) -> list[dict]:
    """The results, with those of the pages a partial run did not render kept from the last run."""
    previous = []
    if partial and manifest_path.exists():
        old = json.loads(manifest_path.read_text(encoding="utf-8"))
        done = {r["name"] for r in results}
        previous = [r for r in old.get("notebooks", []) if r["name"] not in done]
    return sorted(previous + results, key=lambda r: (r["name"] != "overview", r["name"]))


def _write_exports(run: _Run, data: RegionData, analysis: Analysis, build_dir: Path, folder: Path,
                   csv_sep: str) -> None:
    """The run's tables and GeoPackage (:func:`pamgeo.run.tables.write_tables`), written once per
    analysis and language beside the build and copied into the report: an unchanged region's run
    does not write its 1-3 s of Excel and GeoPackage again."""
    kept = region_dir(run.cfg, build_dir) / f"exports-{analysis_key(data, {'lang': run.lang})}-{run.lang}-{ord(csv_sep)}"
    if not kept.is_dir():
        staging = Path(tempfile.mkdtemp(dir=kept.parent, prefix=".exports-"))
        try:
            write_tables(data, analysis, staging, run.lang, csv_sep=csv_sep,
                         gpkg_base=region_geopackage(data, analysis, run.lang, build_dir))
            os.replace(staging, kept)
        except OSError:  # another run put it there meanwhile
            if not kept.is_dir():
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        old = sorted(kept.parent.glob("exports-*"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[KEEP:]:
            shutil.rmtree(stale, ignore_errors=True)
    for path in kept.iterdir():  # copies, not links: a reader editing the report's tps.xlsx edits only that
        shutil.copy2(path, folder / path.name)


def _write_validation(run: _Run, data: RegionData, build_dir: Path | None, folder: Path, csv_sep: str) -> None:
    """The build's row-level validation table in the report: ``tps_validation.csv`` (every
    finding with its row's outcome) and ``validation.html`` (the same, readable)."""
    source = region_dir(run.cfg, build_dir) / "tps_validation.csv"
    findings = pd.read_csv(source, dtype=str, keep_default_na=False) if source.exists() else pd.DataFrame(
        columns=["file", "rule", "severity", "row", "column", "value", "message", "fix", "new_value"])
    from pamgeo.render.index import report_rows, validation_body

    rows = report_rows(findings, data.tps)
    rows.to_csv(folder / "tps_validation.csv", index=False, sep=csv_sep, encoding="utf-8-sig")
    title = f"{t('validation_title', run.lang)}: {run.cfg.region.name}"
    (folder / "validation.html").write_text(render_page(
        run.cfg, title=title, subtitle=str(findings["file"].iloc[0]) if len(findings) else "", lang=run.lang,
        body=validation_body(rows, run.lang), estimated=None, notes=run.notes,
        nav=f"<a href='index.html'>← {html.escape(t('index_title', run.lang))}</a>"), encoding="utf-8")


def _move_into_place(tmp: Path, final: Path) -> None:
    old_dir = final.parent / f".{final.name}.old-{os.getpid()}"
    if final.exists():
        os.replace(final, old_dir)
    os.replace(tmp, final)
    if old_dir.exists():
        shutil.rmtree(old_dir)


def _start(region, regions_dir, language, workers, kernel, reuse_kernels, pools) -> tuple[_Run, Workers | None]:
    """The run's config and its worker processes (started now when ``workers`` > 1)."""
    try:
        cfg = load_config(region, regions_dir=regions_dir)
    except BaseException:
        if pools is not None:
            pools.shutdown()
        raise
    if workers > 1 and pools is None:
        # started now, they set up while this process checks the build and computes the analysis
        pools = start_workers(workers, kernel=kernel, reuse_kernels=reuse_kernels)
    elif pools is not None:
        kernel, reuse_kernels = pools.kernel, pools.reuse_kernels
    else:
        ensure_kernel(kernel)
    return _Run(cfg, language or cfg.region.language, kernel, reuse_kernels), pools


def run_region(
    region: str | os.PathLike[str],
    *,
    kecamatan: list[str] | None = None,
    workers: int = 1,
    build_dir: Path | None = None,
    reports_dir: Path | None = None,
    regions_dir: Path | None = None,
    language: str | None = None,
    progress: bool = True,
    kernel: str = KERNEL_NAME,
    reuse_kernels: bool = True,
    pools: Workers | None = None,
    csv_sep: str = ",",
) -> RunResult:
    """Build (if needed) and render the briefing of a region.

    Parameters
    ----------
    region
        Region name or config path.
    kecamatan
        Kecamatan codes to render (default: all). Other pages of an existing report are kept.
    workers
        Notebooks run in parallel.
    build_dir, reports_dir
        Where built regions and reports go (defaults: ``build/`` and ``reports/`` in the
        current directory).
    regions_dir
        A folder of region files searched first (see :func:`pamgeo.core.config.known_regions`).
    language
        ``"id"`` or ``"en"``; default the region's ``report.language``.
    kernel
        Jupyter kernel the notebooks run in (registered for this Python if missing).
    reuse_kernels
        Each worker runs its notebooks in one kernel, the user namespace reset before each
        notebook (imports stay loaded). False starts a fresh kernel per notebook, as papermill
        does by default.
    pools
        Worker processes already started by :func:`pamgeo.run.jobs.start_workers` (``pamgeo run``
        starts them before it imports the geospatial stack); they set ``kernel`` and
        ``reuse_kernels``, and the run shuts them down. Default: started here when
        ``workers`` > 1.
    csv_sep
        Field separator of the CSV tables (``";"`` for a spreadsheet with Indonesian or other
        comma-decimal settings).

    Returns
    -------
    RunResult
        Paths and per-notebook status; ``ok`` is false when any notebook failed.

    If the run fails or is stopped (SIGTERM, SIGINT, SIGHUP), its worker processes and kernels
    stop, its temporary folder goes and the previous report stays.
    """
    # absolute: the kernels run in the notebooks' folder and read the run's files by path
    reports_dir = Path(reports_dir or default_reports_dir()).resolve()
    build_dir = Path(build_dir or default_build_dir()).resolve()
    try:
        with stopping_on_signals():
            return _run_region(region, kecamatan=kecamatan, workers=workers, build_dir=build_dir,
                               reports_dir=reports_dir, regions_dir=regions_dir, language=language,
                               progress=progress, kernel=kernel, reuse_kernels=reuse_kernels, pools=pools,
                               csv_sep=csv_sep)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):  # stopped from outside: whatever still runs goes
            stop_descendants()
        for leftover in reports_dir.glob(f".*.tmp-{os.getpid()}"):
            shutil.rmtree(leftover, ignore_errors=True)
        raise


def _run_region(region, *, kecamatan, workers, build_dir, reports_dir: Path, regions_dir, language, progress,
                kernel, reuse_kernels, pools, csv_sep) -> RunResult:
    run, pools = _start(region, regions_dir, language, workers, kernel, reuse_kernels, pools)
    cfg, lang = run.cfg, run.lang
    bdir = str(build_dir)
    summary: dict[str, Any] = {}
    try:  # the pools go down however this section ends
        data = _region(cfg, build_dir, progress, run)
        run.notes = [account_note(data.account, lang), *coverage_notes(data.meta.get("coverage"), lang)]
        if pools is not None:
            # forked now, they share the region read above: the kernels (pamgeo.run.forked)
            # start ipykernel, the print process imports matplotlib, while this process
            # computes the analysis
            pools.start_forked((cfg.config_path, bdir, cfg, data))
        codes = _codes(cfg, data, kecamatan)
        if pools is not None and pools.reuse_kernels:
            _prepare_workers(pools, run, workers, bdir, codes)
        tmp, final = _report_folders(reports_dir, cfg.region.id, partial=bool(kecamatan))
        analysis, cached = cached_analysis(data, build_dir, lang=lang)
        run.lap("analysis_cached" if cached else "analysis")
        class_note = classes_note(analysis.tps, lang, run.started)
        analysis_file = _hand_over(analysis, tmp)
        run.lap("analysis_pickle")
        jobs = _plan_jobs(run, data, codes, overview=not kecamatan, tmp=tmp, bdir=bdir,
                          analysis_file=analysis_file, class_note=class_note,
                          kernel_pids=pools.kernel_pids if pools is not None else {})

        def tables() -> None:  # the files beside the pages (in a process of its own, see _execute)
            _write_exports(run, data, analysis, build_dir, tmp, csv_sep)
            _write_validation(run, data, build_dir, tmp, csv_sep)

        results = _execute(jobs, _job_order(jobs, data), pools, progress=progress,
                           label=f"briefing {cfg.region.id}", meanwhile=tables)
        from pamgeo.render.index import summary_html

        summary.update(html=summary_html(analysis, lang=lang), versions=versions())
    except BaseException:
        if pools is not None:
            pools.shutdown()
        raise
    finally:
        stop_kernels()  # the serial path's kernel (workers stop their own)
    if pools is not None:  # asked to stop now, waited for at the end: the kernels stop meanwhile
        pools.shutdown(wait=False)
    try:
        return _finish(run, data, analysis, results, tmp, final, analysis_file, codes, workers, summary,
                       class_note, partial=bool(kecamatan))
    finally:
        if pools is not None:
            pools.shutdown()


def _finish(run: _Run, data: RegionData, analysis: Analysis, results: list[dict], tmp: Path, final: Path,
            analysis_file: Path, codes: list[str], workers: int, summary: dict, class_note: str, *,
            partial: bool) -> RunResult:
    """The index page and the manifest of a run whose pages are written; the report moved into place."""
    from pamgeo.render.index import index_body

    cfg, lang = run.cfg, run.lang
    run.lap("notebooks_and_print_maps")
    manifest_path = tmp / "manifest.json"
    all_results = _with_previous(results, manifest_path, partial=partial)
    analysis_file.unlink()
    index_html = render_page(
        cfg, title=f"{t('index_title', lang)}: {cfg.region.name}",
        subtitle=f"{cfg.sources.tps.election} · {number(len(data.tps), lang)} TPS · {len(data.kecamatan)} "
                 f"{t('kecamatan', lang).lower()} · {class_note}",
        body=index_body(data, all_results, lang, summary["html"], analysis), lang=lang, estimated=data.estimated_note_key,
        notes=run.notes,
    )
    (tmp / "index.html").write_text(index_html, encoding="utf-8")
    run.lap("tables_and_index")
    manifest = {
        "region": cfg.region.id, "config": cfg.config_path,
        "started": run.started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {"kecamatan": codes, "workers": workers, "language": lang, "kernel": run.kernel},
        "inputs": data.meta.get("inputs", {}), "build": {"built_at": data.meta.get("built_at")},
        "tps_account": data.meta.get("account"), "coverage": data.meta.get("coverage"),
        "versions": summary["versions"], "timings_s": run.timings, "notebooks": all_results,
        "status": "ok" if all(r["status"] == "ok" for r in all_results) else "failed",
    }
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    _move_into_place(tmp, final)
    return RunResult(final, final / "index.html", [dict(r, output=str(final / r["output"])) for r in all_results])
