"""Polda-scale and national runs on a Dask cluster.

:func:`run_group` runs every member area of a group (:mod:`pamgeo.core.groups`) as one task of a
``dask.distributed`` cluster: a :class:`~distributed.LocalCluster` of ``workers`` processes, or an
existing cluster (``scheduler`` address, or ``DASK_SCHEDULER_ADDRESS``). A task is a whole member
run (:func:`pamgeo.run.runner.run_region` with one worker: one kept Jupyter kernel, started with
subprocess, so Dask's daemonic worker processes need no children of multiprocessing); it returns
paths and a small summary (:func:`pamgeo.analysis.national.member_summary`), never GeoDataFrames.
A failing member never stops the others; a re-run skips members whose inputs, parameters and
code are unchanged (the key idea of :mod:`pamgeo.run.cache`); the run writes one manifest and the
Polda page. :func:`run_national` computes the national view by province on the same cluster.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import resource
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pamgeo.core.resources import default_build_dir, default_reports_dir, notebooks_dir, raw_dir

STATE = "group_state.json"


@dataclass
class GroupResult:
    report_dir: Path
    index: Path
    runs: list[dict] = field(default_factory=list)
    timings: dict = field(default_factory=dict)

    @property
    def failed(self) -> list[dict]:
        return [r for r in self.runs if r.get("status") != "ok"]

    @property
    def ok(self) -> bool:
        return not self.failed


# -- the cluster ------------------------------------------------------------------------------

@contextlib.contextmanager
def dask_client(workers: int = 2, scheduler: str | None = None):
    """A ``distributed.Client``: of the cluster at ``scheduler`` (or ``DASK_SCHEDULER_ADDRESS``), else
    of a new ``LocalCluster`` of ``workers`` single-threaded processes. Closed (and the local
    cluster shut down) however the block ends."""
    from distributed import Client, LocalCluster

    address = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")
    cluster = None
    client = None
    try:
        if address:
            client = Client(address, timeout="30s")
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=40)
            client = Client(cluster)
        yield client
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()


# -- skip-unchanged ---------------------------------------------------------------------------

@functools.cache
def _notebooks_hash() -> str:
    h = hashlib.sha256()
    for p in sorted(notebooks_dir().glob("*.ipynb")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def run_key(config_path: str, params: dict) -> str:
    """Key of a member run: its inputs (checksums), parameters and pamgeo's code and notebooks."""
    from pamgeo.core.config import load_config
    from pamgeo.ingest.region import input_fingerprint
    from pamgeo.run.cache import _code_hash

    cfg = load_config(config_path)
    blob = json.dumps({"inputs": input_fingerprint(cfg), "params": params, "code": _code_hash(),
                       "notebooks": _notebooks_hash()}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


# -- the task ---------------------------------------------------------------------------------

def _peak_mb() -> dict:
    import psutil

    me = psutil.Process()
    kids = 0
    with contextlib.suppress(psutil.Error):
        kids = sum(c.memory_info().rss for c in me.children(recursive=True))
    return {"worker_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "children_rss_mb": round(kids / 2**20)}


def member_task(run: dict, *, build_dir: str, reports_dir: str, regions_dir: str | None, language: str | None,
                raw: str) -> dict:
    """One member run inside a worker: build, analyse, render (``run_region`` with one worker) and
    summarise. Returns a small dict; an error is returned, not raised."""
    os.environ.setdefault("PAMGEO_RAW", raw)
    start = time.perf_counter()
    out = {"run_id": run["run_id"], "member": run["member"], "polres": run["polres"], "name": run["name"],
           "worker": os.getpid(), "key": run["key"]}
    try:
        from pamgeo.analysis.national import member_summary
        from pamgeo.core.config import load_config
        from pamgeo.run.cache import cached_analysis, cached_region
        from pamgeo.run.runner import run_region

        result = run_region(run["config_path"], workers=1, build_dir=Path(build_dir), reports_dir=Path(reports_dir),
                            regions_dir=Path(regions_dir) if regions_dir else None, language=language,
                            progress=False)
        cfg = load_config(run["config_path"])
        data = cached_region(cfg, Path(build_dir))
        analysis, _ = cached_analysis(data, Path(build_dir), lang=language or cfg.region.language)
        summary = member_summary(data, analysis, counted=run["counted"], reserve_peleton=run["reserve_peleton"],
                                 peleton_size=cfg.police.peleton_size if cfg.police else 30)
        nb = [{"name": n["name"], "status": n["status"], "seconds": n.get("seconds")} for n in result.notebooks]
        out.update(status="ok" if result.ok else "failed", summary=summary, notebooks=nb,
                   index=str(result.index), error="" if result.ok else
                   "; ".join(f"{n['name']}: {str(n.get('error', ''))[:200]}" for n in result.failed))
        if not result.ok:  # pages missing: the summary still counts, the page shows the failure
            out["status"] = "failed"
    except BaseException as exc:
        out.update(status="failed", error=f"{type(exc).__name__}: {exc}"[:2000], summary=None)
    out["seconds"] = round(time.perf_counter() - start, 2)
    out.update(_peak_mb())
    return out


# -- the group run ----------------------------------------------------------------------------

def _prepare(group, counts, build_dir: Path, reports: Path, regions_dir, language, only, force) -> tuple[list, list]:
    """The runs to do and the runs skipped (unchanged since the last run)."""
    from pamgeo.ingest.members import member_runs

    state = _read_state(reports)
    todo, skipped = [], []
    for mr in member_runs(group, build_dir / group.group.id / "members", counts, regions_dir=regions_dir, only=only):
        from pamgeo.core.config import load_config

        cfg = load_config(mr.config_path)
        lang = language or cfg.region.language
        counted = int(counts.select(mr.kode, mr.kecamatan)["n_tps"].sum())
        run = {"run_id": mr.run_id, "member": mr.member, "polres": mr.polres, "name": cfg.region.name,
               "config_path": mr.config_path, "counted": counted, "reserve_peleton": mr.reserve_peleton,
               "kecamatan_polygons": mr.kecamatan_polygons, "left_out_kecamatan": mr.left_out_kecamatan}
        run["key"] = run_key(mr.config_path, {"language": lang, "counted": counted,
                                              "reserve_peleton": mr.reserve_peleton})
        prev = state.get(mr.run_id)
        if (not force and prev and prev.get("key") == run["key"] and prev.get("status") == "ok"
                and (reports / mr.run_id / "index.html").exists()):
            skipped.append({**prev, **{k: run[k] for k in ("polres", "name", "member")}, "skipped": True})
        else:
            todo.append(run)
    todo.sort(key=lambda r: -r["counted"])  # longest first: no big member starts last
    return todo, skipped


def _read_state(reports: Path) -> dict:
    p = reports / STATE
    if p.exists():
        with contextlib.suppress(ValueError):
            return json.loads(p.read_text(encoding="utf-8"))
    return {}


def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2, ensure_ascii=False, default=str)
    os.replace(tmp, path)


def _write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _submit_all(client, todo: list[dict], kwargs: dict, *, progress: bool, total: int, done: int) -> list[dict]:
    """Submit the member tasks and collect their results (a lost worker is that member's failure)."""
    from distributed import as_completed

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=done, desc="members", unit="member")
    results = []
    try:
        futures = {client.submit(member_task, run, key=f"pamgeo-member-{run['run_id']}-{run['key']}",
                                 pure=False, **kwargs): run for run in todo}
        for fut in as_completed(futures):
            run = futures[fut]
            try:
                res = fut.result()
            except BaseException as exc:
                res = {**{k: run[k] for k in ("run_id", "member", "polres", "name", "key")},
                       "status": "failed", "error": f"{type(exc).__name__}: {exc}"[:2000], "summary": None}
            results.append(res)
            if bar:
                bar.update()
                bar.set_postfix_str(f"{res['run_id']} {res['status']}")
    finally:
        if bar:
            bar.close()
    return results


def run_group(name: str, *, workers: int = 2, scheduler: str | None = None, build_dir: Path | None = None,
              reports_dir: Path | None = None, regions_dir: Path | None = None, language: str | None = None,
              progress: bool = True, only: list[str] | None = None, force: bool = False) -> GroupResult:
    """Run every member of a Polda group on a Dask cluster and write the Polda briefing.

    Parameters
    ----------
    name
        Group name (``data/regions/<name>.yml``, or in ``regions_dir`` / ``PAMGEO_REGIONS``) or path.
    workers
        Worker processes of the local cluster (ignored with ``scheduler``).
    scheduler
        Address of an existing cluster (``tcp://host:8786``); default ``DASK_SCHEDULER_ADDRESS``.
    only
        Member or run ids to run (the others keep their last results).
    force
        Run every member even when unchanged.

    Returns
    -------
    GroupResult
        ``ok`` is false when any member failed; ``runs`` has each member run's status, summary,
        timing and worker memory.
    """
    from pamgeo.core.groups import load_group
    from pamgeo.ingest.kawalpemilu import read_national

    t0 = time.perf_counter()
    group = load_group(name, regions_dir=regions_dir)
    if group.group.kind == "national":
        return run_national(name, workers=workers, scheduler=scheduler, reports_dir=reports_dir,
                            regions_dir=regions_dir, language=language, progress=progress)
    build_dir = Path(build_dir or default_build_dir()).resolve()
    reports = Path(reports_dir or default_reports_dir()).resolve() / group.group.id
    reports.mkdir(parents=True, exist_ok=True)
    counts = read_national(group.resolve(group.defaults.tps.path))
    todo, skipped = _prepare(group, counts, build_dir, reports, regions_dir, language, only, force)
    timings = {"prepare": round(time.perf_counter() - t0, 2)}
    results: list[dict] = []
    if todo:
        kwargs = {"build_dir": str(build_dir), "reports_dir": str(reports),
                  "regions_dir": str(Path(regions_dir).resolve()) if regions_dir else None,
                  "language": language, "raw": str(raw_dir())}
        t1 = time.perf_counter()
        with dask_client(workers, scheduler) as client:
            timings["cluster_start"] = round(time.perf_counter() - t1, 2)
            results = _submit_all(client, todo, kwargs, progress=progress,
                                  total=len(todo) + len(skipped), done=len(skipped))
        timings["members"] = round(time.perf_counter() - t1, 2)
    state = _read_state(reports)
    for r in results:
        state[r["run_id"]] = r
    order = [rid for _, _, rid in group.runs()]
    runs = sorted(results + skipped, key=lambda r: order.index(r["run_id"]) if r["run_id"] in order else 999)
    if only:  # the members not run this time keep their last results
        ran = {r["run_id"] for r in runs}
        runs += [{**state[rid], "skipped": True} for rid in order if rid not in ran and rid in state]
        runs.sort(key=lambda r: order.index(r["run_id"]) if r["run_id"] in order else 999)
    _write_json(reports / STATE, state)
    t2 = time.perf_counter()
    index = _write_polda_page(group, runs, reports, language or group.group.language)
    timings["polda_page"] = round(time.perf_counter() - t2, 2)
    timings["total"] = round(time.perf_counter() - t0, 2)
    manifest = {
        "group": group.group.id, "config": group.config_path, "kind": "polda",
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {"workers": workers, "scheduler": scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS"),
                       "language": language or group.group.language, "only": only, "force": force},
        "timings_s": timings,
        "members": [{k: v for k, v in r.items() if k != "summary"} | {"summary": _small(r.get("summary"))}
                    for r in runs],
        "status": "ok" if all(r.get("status") == "ok" for r in runs) else "failed",
    }
    _write_json(reports / "manifest.json", manifest)
    _remove_stale_member_folders(reports, order)
    return GroupResult(reports, index, runs, timings)


def _small(summary: dict | None) -> dict | None:
    if not summary:
        return summary
    return {k: v for k, v in summary.items() if k not in ("outline", "pockets_geojson")}


def _remove_stale_member_folders(reports: Path, order: list[str]) -> None:
    """Temporary folders left by member runs that were killed (their worker is gone)."""
    from pamgeo.run.interrupt import remove_stale_folders

    for rid in order:
        remove_stale_folders(reports, rid)


def _write_polda_page(group, runs: list[dict], reports: Path, lang: str) -> Path:
    from pamgeo.analysis.national import polda_table, polda_total
    from pamgeo.core.i18n import number, t
    from pamgeo.render.polda import group_page, polda_body

    table = polda_table(runs)
    total = polda_total(table, group.available)
    attributions = [a for a in (group.defaults.tps.attribution, group.defaults.boundaries.attribution) if a]
    body = polda_body(group, table, total, runs, lang=lang, measure=group.group.measure, attributions=attributions)
    n_ok = sum(r.get("status") == "ok" for r in runs)
    page = group_page(group, title=f"{t('polda_title', lang)}: {group.group.name}",
                      subtitle=f"{group.group.election} · {number(total['tps'], lang)} TPS · {len(table)} Polres · "
                               f"{n_ok}/{len(runs)} briefing", body=body, lang=lang, attributions=attributions)
    index = reports / "index.html"
    _write_text(index, page)
    return index


# -- the national view ------------------------------------------------------------------------

def province_task(rows, kab_codes: set[str], kec_codes: set[str], preset: str) -> dict:
    """One province's counts per kab/kota and kecamatan and its personnel per kecamatan (in a worker)."""
    from pamgeo.analysis.national import kecamatan_personnel, national_counts
    from pamgeo.core.presets import get_preset

    tables = national_counts(rows, kab_codes, kec_codes)
    tables["personnel"] = kecamatan_personnel(rows, get_preset(preset))
    return {k: v for k, v in tables.items() if k != "no_polygon"}


def run_national(name: str = "indonesia", *, workers: int = 2, scheduler: str | None = None,
                 reports_dir: Path | None = None, regions_dir: Path | None = None, language: str | None = None,
                 progress: bool = True, client=None) -> GroupResult:
    """The national view: TPS per Polda, kab/kota and kecamatan, personnel per Polda, a choropleth."""
    from pamgeo.analysis.national import polda_of, polda_personnel
    from pamgeo.core.groups import load_group
    from pamgeo.core.presets import get_preset
    from pamgeo.ingest.kawalpemilu import read_national
    from pamgeo.render.national import national_page

    t0 = time.perf_counter()
    group = load_group(name, regions_dir=regions_dir)
    nat = group.national
    lang = language or group.group.language
    reports_root = Path(reports_dir or default_reports_dir()).resolve()
    reports = reports_root / group.group.id
    reports.mkdir(parents=True, exist_ok=True)
    tps_path = str(group.resolve(nat.tps.path))
    counts = read_national(tps_path)
    import geopandas as gpd
    import pandas as pd

    kab = gpd.read_file(group.resolve(nat.kabkota.path), layer=nat.kabkota.layer, engine="pyogrio")
    kec_codes = set(gpd.read_file(group.resolve(nat.kecamatan.path), layer=nat.kecamatan.layer, engine="pyogrio",
                                  columns=[nat.kecamatan.code_column], read_geometry=False)[nat.kecamatan.code_column])
    kab_codes = set(kab[nat.kabkota.code_column])
    timings = {"read": round(time.perf_counter() - t0, 2)}
    t1 = time.perf_counter()
    parts: list[dict] = []
    with dask_client(workers, scheduler) if client is None else contextlib.nullcontext(client) as cl:
        timings["cluster_start"] = round(time.perf_counter() - t1, 2)
        # the code sets go once to each worker (scattered as one object each, not element-wise)
        [kab_f], [kec_f] = cl.scatter([kab_codes], broadcast=True), cl.scatter([kec_codes], broadcast=True)
        futures = [cl.submit(province_task, rows, kab_f, kec_f, nat.preset, pure=False)
                   for _, rows in counts.tps.groupby("kode_prov")]
        parts = _gather(futures, progress, "provinces", "province")
    timings["provinces"] = round(time.perf_counter() - t1, 2)
    tables = {k: pd.concat([p[k] for p in parts], ignore_index=True).sort_values(
        [c for c in ("kode_prov", "kode_kab", "kode_kec") if c in parts[0][k]]).reset_index(drop=True)
        for k in parts[0]}
    tables["no_polygon"] = tables["kecamatan"][~tables["kecamatan"]["has_polygon"]]
    provinces = sorted(tables["provinsi"]["kode_prov"])
    province_polda = {p: nat.polda_names.get(p, "Polda " + counts.name(p).title()) for p in provinces}
    overrides = _group_overrides(nat.groups, regions_dir)
    kec_pers = tables.pop("personnel")
    per_polda = polda_personnel(kec_pers, polda_of(kec_pers, province_polda, overrides))
    links = {g: f"../{gid}/index.html" for g, gid in _polda_runs(nat.groups, regions_dir, reports_root).items()}
    html_text = national_page(group, tables, per_polda, kab, counts.names, links, preset=get_preset(nat.preset),
                              lang=lang)
    _write_text(reports / "index.html", html_text)
    timings["total"] = round(time.perf_counter() - t0, 2)
    total = int(tables["provinsi"]["n_tps"].sum())
    _write_json(reports / "manifest.json", {
        "group": group.group.id, "kind": "national", "config": group.config_path,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"), "timings_s": timings,
        "totals": {"tps": total, "kabkota": len(tables["kabkota"]),
                   "kabkota_with_polygon": int(tables["kabkota"]["has_polygon"].sum()),
                   "kecamatan": len(tables["kecamatan"]), "kecamatan_no_polygon": len(tables["no_polygon"]),
                   "tps_no_polygon": int(tables["no_polygon"]["n_tps"].sum())},
        "status": "ok"})
    for name_, frame in (("tps_per_kabkota.csv", tables["kabkota"]), ("tps_per_kecamatan.csv", tables["kecamatan"]),
                         ("personnel_per_polda.csv", per_polda)):
        frame.to_csv(reports / name_, index=False)
    return GroupResult(reports, reports / "index.html", [], timings)


def _gather(futures, progress: bool, desc: str, unit: str) -> list:
    from distributed import as_completed

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(futures), desc=desc, unit=unit)
    out = []
    try:
        for fut in as_completed(futures):
            out.append(fut.result())
            if bar:
                bar.update()
    finally:
        if bar:
            bar.close()
    return out


def _group_overrides(groups: list[str], regions_dir) -> dict[str, str]:
    from pamgeo.core.groups import load_group

    out: dict[str, str] = {}
    for g in groups:
        cfg = load_group(g, regions_dir=regions_dir, check_files=False)
        for _, area, _ in cfg.runs():
            for code in area.kecamatan or [area.kode]:
                out[code] = cfg.group.name
    return out


def _polda_runs(groups: list[str], regions_dir, reports_root: Path) -> dict[str, str]:
    """Polda name -> group id of every Polda run that exists."""
    from pamgeo.core.groups import load_group

    out = {}
    for g in groups:
        cfg = load_group(g, regions_dir=regions_dir, check_files=False)
        if (reports_root / cfg.group.id / "index.html").exists():
            out[cfg.group.name] = cfg.group.id
    return out


def clean_reports(reports: Path) -> None:
    """Remove a group's report folder (tests, benchmarks)."""
    shutil.rmtree(reports, ignore_errors=True)
