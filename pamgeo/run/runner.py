"""Briefing runs: papermill per kecamatan, HTML pages, index, tables and manifest.

With :mod:`pamgeo.run.jobs` (the jobs and the processes that run them) and :mod:`pamgeo.ingest.region`,
the only module that writes outputs. A run renders into a temporary
folder beside ``reports/<region>/`` and moves it into place at the end, so a run killed halfway
leaves the previous report (or none), never a mix. A failing kecamatan does not stop the others:
its cell and error go into ``manifest.json`` and onto the index page.
"""

from __future__ import annotations

import functools
import html
import json
import os
import shutil
import sys
import time
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from pamgeo import __version__
from pamgeo.analysis.personnel import preset_table, summarise
from pamgeo.core.codes import normalise_code, undotted
from pamgeo.core.config import load_config
from pamgeo.core.i18n import t
from pamgeo.core.resources import default_reports_dir, notebooks_dir
from pamgeo.ingest.io import WGS84
from pamgeo.ingest.region import build_region, is_current, load_region, write_region
from pamgeo.render import briefing
from pamgeo.render.page import render_page
from pamgeo.run.cache import cached_analysis
from pamgeo.run.jobs import BODY_MARKER, Workers, run_job, start_workers
from pamgeo.run.kernels import KERNEL_NAME, ensure_kernel, stop_kernels

PACKAGES = ("geopandas", "shapely", "pyproj", "pandas", "folium-offline", "papermill", "nbconvert", "scipy")

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


def _versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0], "pamgeo": __version__}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


TPS_CSV_FIRST = ["tps_id", "kode_kel", "kode_kec", "kecamatan", "kelurahan", "tps_no", "lat", "lon",
                 "position_source", "position_method", "is_khusus", "risk_class", "risk_class_source",
                 "risk_class_date", "risk_class_authority", "risk_score", "risk_reasons", "pocket_id", "rayon",
                 "polsek", "response_min", "route_km", "flood_class", "flood_reasons", "access_cut", "detour_min",
                 "cut_unreachable"]


def tps_table(tps: gpd.GeoDataFrame) -> pd.DataFrame:
    """TPS table for ``tps.csv``: one row per TPS, lat/lon in EPSG:4326, key columns first."""
    wgs = tps.geometry.to_crs(WGS84)
    out = pd.DataFrame(tps.drop(columns="geometry"))
    out["lat"] = wgs.y.round(6).to_numpy()
    out["lon"] = wgs.x.round(6).to_numpy()
    first = [c for c in TPS_CSV_FIRST if c in out.columns]
    return out[first + [c for c in out.columns if c not in first]]


def classes_note(tps: pd.DataFrame, lang: str, when: datetime) -> str:
    """Where the risk classes come from and their date, for every page's subtitle."""
    off = tps[tps["risk_class_source"] == "official"]
    if len(off):
        dates = sorted({d for d in off["risk_class_date"] if d})
        who = sorted({a for a in off["risk_class_authority"] if a})
        label = "kelas kerawanan resmi" if lang == "id" else "official risk classes"
        return f"{label} {', '.join(who)} {', '.join(dates)}".strip()
    label = "kelas kerawanan dihitung pamgeo" if lang == "id" else "risk classes computed by pamgeo"
    return f"{label}, {when.astimezone().strftime('%Y-%m-%d')}"


def write_plotting(analysis, folder: Path, lang: str) -> None:
    """``plotting.csv`` (per kelurahan) and ``plotting.xlsx`` (kelurahan, kecamatan, rayon, strength, pattern)."""
    per = analysis.personnel
    per.to_csv(folder / "plotting.csv", index=False)
    with pd.ExcelWriter(folder / "plotting.xlsx", engine="openpyxl") as xl:
        per.to_excel(xl, sheet_name="kelurahan", index=False)
        summarise(per, "kecamatan").to_excel(xl, sheet_name="kecamatan", index=False)
        if "rayon" in per:
            summarise(per, "rayon").to_excel(xl, sheet_name="rayon", index=False)
        analysis.strength.to_excel(xl, sheet_name="kekuatan" if lang == "id" else "strength", index=False)
        preset_table(analysis.preset).assign(preset=analysis.preset.name).to_excel(
            xl, sheet_name="pola" if lang == "id" else "pattern", index=False)


def _write_tables(analysis, folder: Path, lang: str) -> dict[str, Any]:
    """The run's tables (``tps.csv``, ``pockets.csv``, ``plotting.csv/.xlsx``) and what the index
    page and manifest need from the analysis: its summary tables as HTML, the package versions."""
    tps_table(analysis.tps).to_csv(folder / "tps.csv", index=False)
    analysis.pockets.table.to_csv(folder / "pockets.csv", index=False)
    write_plotting(analysis, folder, lang)
    summary = (briefing.class_table(analysis, lang=lang) + briefing.strength_html(analysis, lang=lang)
               + briefing.personnel_table(analysis, lang=lang) + briefing.pockets_table(analysis, lang=lang)
               + briefing.flood_table(analysis, lang=lang) + briefing.access_cut_table(analysis, lang=lang)
               + briefing.beyond_response_table(analysis, lang=lang))
    return {"summary_html": summary, "versions": _versions()}


def _index_body(data, results: list[dict], lang: str, summary_html: str = "") -> str:
    counts = briefing.tps_counts_by(data, "kecamatan").set_index("kode_kec")
    rows = []
    for r in results:
        if r["name"] == "overview" or r.get("kind") == "print":
            continue
        code = r["parameters"]["kecamatan"]
        name = counts.loc[code, "kecamatan"] if code in counts.index else code
        n = int(counts.loc[code, "n_tps"]) if code in counts.index else 0
        if r["status"] == "ok":
            status = f"<a href='{html.escape(r['output'])}'>{html.escape(t('open', lang))}</a>"
        else:
            cell = f" (sel {r.get('cell_index')})" if r.get("cell_index") is not None else ""
            status = (f"<span style='color:#b42318;font-weight:700'>{html.escape(t('failed', lang))}</span>"
                      f"{html.escape(cell)}: {html.escape(r.get('error', '')[:300])}")
        rows.append(f"<tr><td>{html.escape(code)}</td><td>{html.escape(str(name))}</td>"
                    f"<td class='num'>{n:,}</td><td>{status}</td></tr>")
    total = int(counts["n_tps"].sum())
    rows.append(f"<tr class='total'><td>{html.escape(t('total', lang))}</td><td></td><td class='num'>{total:,}</td><td></td></tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in
                   ("Kode", t("kecamatan", lang), t("n_tps", lang), t("report_status", lang)))
    overview = [r for r in results if r["name"] == "overview"]
    ov_link = ""
    if overview:
        r = overview[0]
        ov_link = (f"<p><b><a href='overview.html'>{html.escape(t('overview_title', lang))}</a></b></p>" if r["status"] == "ok"
                   else f"<p class='error'>{html.escape(t('overview_title', lang))}: {html.escape(t('failed', lang))} "
                        f"({html.escape(r.get('error', '')[:300])})</p>")
    failed = [r for r in results if r["status"] != "ok"]
    err = ""
    if failed:
        err = "<div class='error'>" + html.escape(
            f"{len(failed)} briefing gagal dibuat; lihat manifest.json." if lang == "id"
            else f"{len(failed)} briefings failed; see manifest.json.") + "</div>"
    links = ("<p>Tabel: <a href='tps.csv'>tps.csv</a> · <a href='pockets.csv'>pockets.csv</a> · "
             "<a href='plotting.csv'>plotting.csv</a> · <a href='plotting.xlsx'>plotting.xlsx</a> · "
             "<a href='manifest.json'>manifest.json</a></p>")
    return (err + ov_link + f"<table class='pamgeo-table'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            + links + summary_html)


def _run_region(
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

    Returns
    -------
    RunResult
        Paths and per-notebook status; ``ok`` is false when any notebook failed.
    """
    started = datetime.now(UTC)
    clock = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[stage] = round(now - clock, 2)
        clock = now

    try:
        cfg = load_config(region, regions_dir=regions_dir)
    except BaseException:
        if pools is not None:
            pools.shutdown()
        raise
    lang = language or cfg.region.language
    if workers > 1 and pools is None:
        # started now, they set up while this process checks the build and computes the analysis
        pools = start_workers(workers, kernel=kernel, reuse_kernels=reuse_kernels)
    elif pools is not None:
        kernel, reuse_kernels = pools.kernel, pools.reuse_kernels
    else:
        ensure_kernel(kernel)
    try:  # the pools go down however this section ends
        if not is_current(cfg, build_dir):
            write_region(build_region(cfg, progress=progress), build_dir)
        lap("build_check")
        data = load_region(cfg, build_dir)
        lap("load_region")
        if pools is not None:
            # the print process, forked now: it shares the region read above and imports
            # matplotlib while this process computes the analysis
            pools.start_prints(data)
        codes = data.kecamatan_codes()
        if kecamatan:
            wanted = []
            for c in kecamatan:
                n = normalise_code(c)
                if n not in codes:
                    raise ValueError(f"kecamatan '{c}' is not in region {cfg.region.id}; use one of {codes}")
                wanted.append(n)
            codes = wanted
        bdir = str(Path(build_dir).resolve()) if build_dir else None
        if pools is not None and pools.reuse_kernels:
            # while the analysis is computed, the kernels read the region and draw the maps' base
            # layers (a job each; a worker that takes two does the second in no time), and the
            # print process draws what the print maps show of the region
            for _ in range(workers - 1):
                pools.notebooks.submit(run_job, {"kind": "prepare", "kernel": kernel,
                                                           "region": cfg.config_path, "build_dir": bdir,
                                                           "codes": codes})
            pools.prints.submit(run_job, {"kind": "prepare-print", "codes": codes, "lang": lang})
        # absolute: the kernels run in the notebooks' folder and read the run's files by path
        reports_dir = Path(reports_dir or default_reports_dir()).resolve()
        final = reports_dir / cfg.region.id
        tmp = reports_dir / f".{cfg.region.id}.tmp-{os.getpid()}"
        if tmp.exists():
            shutil.rmtree(tmp)
        if kecamatan and final.exists():
            shutil.copytree(final, tmp)
        (tmp / "kecamatan").mkdir(parents=True, exist_ok=True)
        (tmp / "notebooks").mkdir(parents=True, exist_ok=True)
        names = dict(zip(data.kecamatan["kode_kec"], data.kecamatan["kecamatan"], strict=True))
        estimated = data.estimated_note_key
        nav = f"<a href='../index.html'>← {html.escape(t('index_title', lang))}</a>"
        analysis, cached = cached_analysis(data, build_dir, lang=lang)
        lap("analysis_cached" if cached else "analysis")
        class_note = classes_note(analysis.tps, lang, started)
        import pickle

        analysis_file = tmp / "analysis.pickle"
        with open(analysis_file, "wb") as fh:
            pickle.dump(analysis, fh, protocol=pickle.HIGHEST_PROTOCOL)
        lap("analysis_pickle")
        jobs = []
        if not kecamatan:
            jobs.append({
                "name": "overview",
                "template": str(notebooks_dir() / "kota_overview.ipynb"),
                "executed": str(tmp / "notebooks" / "overview.ipynb"),
                "parameters": {"region": cfg.config_path, "build_dir": bdir, "language": lang,
                               "analysis_file": str(analysis_file)},
                "kernel": kernel, "reuse_kernel": reuse_kernels,
                "page_shell": render_page(
                    cfg, title=f"{t('overview_title', lang)}: {cfg.region.name}",
                    subtitle=f"{cfg.sources.tps.election} · {class_note}", body=BODY_MARKER, lang=lang,
                    estimated=estimated, nav=f"<a href='index.html'>← {html.escape(t('index_title', lang))}</a>"),
                "page": str(tmp / "overview.html"), "page_rel": "overview.html",
            })
        for code in codes:
            page_rel = f"kecamatan/{undotted(code)}.html"
            jobs.append({
                "name": f"kecamatan {code}",
                "template": str(notebooks_dir() / "kecamatan_briefing.ipynb"),
                "executed": str(tmp / "notebooks" / f"kecamatan_{undotted(code)}.ipynb"),
                "parameters": {"region": cfg.config_path, "kecamatan": code, "build_dir": bdir, "language": lang,
                               "analysis_file": str(analysis_file)},
                "kernel": kernel, "reuse_kernel": reuse_kernels,
                "page_shell": render_page(
                    cfg, title=f"{t('briefing_title', lang)}: {t('kecamatan', lang)} {names[code]}",
                    subtitle=f"{cfg.region.name} · {cfg.sources.tps.election} · {class_note}", body=BODY_MARKER,
                    lang=lang, estimated=estimated,
                    nav=nav + (f" · <a href='{undotted(code)}.png'>{html.escape(t('print_png', lang))}</a>"
                               f" · <a href='{undotted(code)}.pdf'>{html.escape(t('print_pdf', lang))}</a>")),
                "page": str(tmp / page_rel), "page_rel": page_rel,
            })
        # print maps: one job (data and analysis read once)
        jobs.append({"kind": "print", "name": "print maps", "codes": codes,
                     "parameters": {"kecamatan": codes}, "page_rel": "kecamatan/", "config_path": cfg.config_path,
                     "build_dir": bdir, "analysis_file": str(analysis_file), "folder": str(tmp / "kecamatan"),
                     "lang": lang})
        # longest first (the overview, the print maps, then kecamatan by TPS count) so that no long job
        # starts last while the other worker idles; results are reported in the original order
        n_tps = data.tps["kode_kec"].value_counts()
        order = sorted(range(len(jobs)), key=lambda i: (
            0 if jobs[i]["name"] == "overview" else 1 if jobs[i].get("kind") == "print" else 2,
            -int(n_tps.get(jobs[i]["parameters"].get("kecamatan"), 0)) if jobs[i].get("kind") != "print" else 0))
        results: list[dict | None] = [None] * len(jobs)
        tables: dict[str, Any] = {}
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(jobs), desc=f"briefing {cfg.region.id}", unit="notebook")
        try:
            if pools is not None:
                futures = {(pools.prints if jobs[i].get("kind") == "print" else pools.notebooks).submit(
                    run_job, jobs[i]): i for i in order}
                # the tables meanwhile: at the end they would hold up the run on their own
                tables.update(_write_tables(analysis, tmp, lang))
                for fut in as_completed(futures):
                    results[futures[fut]] = fut.result()
                    if bar:
                        bar.update()
            else:
                for i in order:
                    results[i] = run_job(jobs[i])
                    if bar:
                        bar.update()
        finally:
            if bar:
                bar.close()
    except BaseException:
        if pools is not None:
            pools.shutdown()
        raise
    finally:
        stop_kernels()  # the serial path's kernel (workers stop their own)
    if pools is not None:  # asked to stop now, waited for at the end: the kernels stop meanwhile
        pools.shutdown(wait=False)
    lap("notebooks_and_print_maps")
    # keep earlier results of kecamatan not re-run
    manifest_path = tmp / "manifest.json"
    previous = []
    if kecamatan and manifest_path.exists():
        old = json.loads(manifest_path.read_text(encoding="utf-8"))
        done = {r["name"] for r in results}
        previous = [r for r in old.get("notebooks", []) if r["name"] not in done]
    all_results = sorted(previous + results, key=lambda r: (r["name"] != "overview", r["name"]))
    if not tables:
        tables.update(_write_tables(analysis, tmp, lang))
    analysis_file.unlink()
    index_html = render_page(
        cfg, title=f"{t('index_title', lang)}: {cfg.region.name}",
        subtitle=f"{cfg.sources.tps.election} · {len(data.tps):,} TPS · {len(data.kecamatan)} "
                 f"{t('kecamatan', lang).lower()} · {class_note}",
        body=_index_body(data, all_results, lang, tables["summary_html"]), lang=lang, estimated=estimated,
    )
    (tmp / "index.html").write_text(index_html, encoding="utf-8")
    lap("tables_and_index")
    manifest = {
        "region": cfg.region.id, "config": cfg.config_path,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {"kecamatan": codes, "workers": workers, "language": lang, "kernel": kernel},
        "inputs": data.meta.get("inputs", {}), "build": {"built_at": data.meta.get("built_at")},
        "versions": tables["versions"], "timings_s": timings, "notebooks": all_results,
        "status": "ok" if all(r["status"] == "ok" for r in all_results) else "failed",
    }
    manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    # move into place
    old_dir = reports_dir / f".{cfg.region.id}.old-{os.getpid()}"
    if final.exists():
        os.replace(final, old_dir)
    os.replace(tmp, final)
    if old_dir.exists():
        shutil.rmtree(old_dir)
    if pools is not None:
        pools.shutdown()
    return RunResult(final, final / "index.html", [dict(r, output=str(final / r["output"])) for r in all_results])


@functools.wraps(_run_region)
def run_region(*args, **kwargs) -> RunResult:
    # if the run fails outright, its temporary folder goes and the previous report stays
    try:
        return _run_region(*args, **kwargs)
    except BaseException:
        reports_dir = Path(kwargs.get("reports_dir") or default_reports_dir())
        for leftover in reports_dir.glob(f".*.tmp-{os.getpid()}"):
            shutil.rmtree(leftover, ignore_errors=True)
        raise
