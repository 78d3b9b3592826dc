"""The jobs of a briefing run and the worker processes that run them.

A job is one notebook (executed by papermill in a kept kernel, converted to a page) or the
print maps of a run. :func:`start_workers` starts the processes; :mod:`pamgeo.run.runner` plans
the jobs and collects their results. This module imports no geospatial code at import time:
``pamgeo run`` starts its workers first, so that their kernels boot while the main process
imports geopandas, reads the region and computes the analysis.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pamgeo.core.codes import undotted
from pamgeo.core.resources import notebooks_dir
from pamgeo.run import forked
from pamgeo.run._compat import reset_jupyter_event_loop
from pamgeo.run.kernels import (
    KERNEL_NAME,
    KERNEL_WARMUP,
    engine_name,
    ensure_kernel,
    kernel,
    kernel_execute,
    notebook_body,
    reserve,
    stop_kernels,
)

if TYPE_CHECKING:
    pass

BODY_MARKER = "<!--pamgeo:body-->"  # where a worker puts a notebook's outputs in its page


def _warm_worker(kernel_name: str | None = None, kernel_folder: str | None = None, slots: int = 0) -> None:
    """Pool initializer of a notebook worker: its kernel, papermill and nbconvert, set up while
    the main process imports the rest, reads the region and computes the analysis.

    With ``kernel_folder`` the main process forks the kernel once it has read the region
    (:mod:`pamgeo.run.forked`): this worker only writes the kernel's connection file
    (:func:`~pamgeo.run.kernels.reserve`). Otherwise it launches its kernel at once, as a new
    process that imports pamgeo and reads the region itself.
    """
    import multiprocessing.util

    reset_jupyter_event_loop()
    # worker processes end with os._exit: atexit would not run, multiprocessing finalizers do
    multiprocessing.util.Finalize(None, stop_kernels, exitpriority=10)
    if kernel_name and kernel_folder:
        reserve(kernel_name, kernel_folder, slots)
    elif kernel_name:  # launched first: it boots and imports pamgeo while this worker imports
        kernel(kernel_name, wait=False)  # papermill and nbconvert; the first notebook waits for it

    import nbformat
    import papermill  # noqa: F401

    notebook_body(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")]))  # compiles the templates


# the region of the print-map process, handed over when it is forked from the main process
_PRINT_DATA: dict[str, Any] = {}


def _warm_print_worker(data=None) -> None:
    """Pool initializer of the print-map process: matplotlib and the drawing code, and the
    region the main process has read (shared by the fork, not copied through a pipe)."""
    import matplotlib.backends.backend_pdf  # noqa: F401  (imported now, not at the first PDF)

    from pamgeo.render import printmap  # noqa: F401

    if data is not None:
        _PRINT_DATA["data"] = data


def _noop() -> None:
    return None


# the work of a process started by run_aside, handed over by the fork
_ASIDE: dict[str, Any] = {}


def _aside_init(work, niceness: int) -> None:
    with contextlib.suppress(OSError):
        os.nice(niceness)
    _ASIDE["work"] = work


def _aside_run():
    return _ASIDE.pop("work")()


def run_aside(work, *, niceness: int = 10) -> tuple[Executor, Any] | None:
    """Start ``work()`` (any callable: it is not pickled) in a process forked now, at a lower
    priority (``niceness`` added): on a busy machine the run's notebooks and print maps go
    first and this fills the gaps they leave. Returns ``(executor, future)`` (the future holds
    what ``work`` returns or raised; shut the executor down after), or None where processes do
    not fork (then run ``work`` yourself)."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    ex = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"),
                             initializer=_aside_init, initargs=(work, niceness))
    return ex, ex.submit(_aside_run)


def _failure(exc: BaseException) -> dict:
    info = {"error": f"{type(exc).__name__}: {exc}".strip()[:2000]}
    for attr in ("cell_index", "exec_count", "ename", "evalue"):
        if hasattr(exc, attr):
            info[attr] = getattr(exc, attr)
    if hasattr(exc, "source"):
        info["cell_source"] = str(exc.source)[:2000]
    return info


def run_job(job: dict) -> dict | None:
    """Run one job of a run; top-level so that a process pool can call it.

    Kinds: a notebook (the default: executed, its page written), ``print`` (the print maps),
    and the best-effort ``prepare`` and ``prepare-print`` that draw ahead what needs no
    analysis (they return None).
    """
    start = time.perf_counter()
    kind = job.get("kind", "notebook")
    if kind == "print":
        return _run_print_job(job, start)
    if kind == "prepare":
        return _prepare_kernel_job(job)
    if kind == "prepare-print":
        return _prepare_print_job(job)
    import papermill as pm

    result = {"name": job["name"], "notebook": job["template"], "parameters": job["parameters"],
              "output": job["page_rel"], "status": "ok"}
    try:
        km = kernel(job["kernel"], adopt=job.get("kernel_pids")) if job.get("reuse_kernel") else None
        nb = pm.execute_notebook(job["template"], job["executed"], parameters=job["parameters"],
                                 kernel_name=job["kernel"], progress_bar=False, cwd=str(notebooks_dir()),
                                 log_output=False, km=km, engine_name=engine_name() if km else None,
                                 request_save_on_cell_execute=False)  # written once, at the end
        head, tail = job["page_shell"].split(BODY_MARKER, 1)
        Path(job["page"]).write_text(head + notebook_body(nb) + tail, encoding="utf-8")
        if km is not None:  # which kernel ran it (the manifest's record of a run)
            result["kernel_pid"] = km.provisioner.pid
    except Exception as exc:  # one kecamatan failing must not stop the others
        result.update({"status": "failed", **_failure(exc)})
    result["seconds"] = round(time.perf_counter() - start, 2)
    return result


def _prepare_kernel_job(job: dict) -> None:
    """Have this worker's kernel read the region and draw the maps' base layers
    (:func:`pamgeo.run.session.prepare_run`) while the main process computes the analysis.

    Best effort: whatever fails here fails again, with its cell and error, in the first notebook.
    """
    code = (f"import pamgeo.run.session\npamgeo.run.session.prepare_run({job['region']!r}, "
            f"build_dir={job['build_dir']!r}, codes={job['codes']!r})")
    with contextlib.suppress(Exception):
        kernel_execute(kernel(job["kernel"], adopt=job.get("kernel_pids")), code)


def _prepare_print_job(job: dict) -> None:
    """In the print process, while the main process computes the analysis: the part of each
    print map drawn from the region alone, stored beside the build
    (:func:`pamgeo.run.cache.print_bases`). Best effort: whatever fails here fails again in the
    print job, which reports it."""
    from pamgeo.run.cache import print_bases

    data = _PRINT_DATA.get("data")
    if data is None:
        return
    with contextlib.suppress(Exception):
        _PRINT_DATA["sheets"] = print_bases(data, job["codes"], job["lang"], job.get("build_dir"))


def _run_print_job(job: dict, start: float) -> dict:
    import pickle

    from pamgeo.core.config import load_config
    from pamgeo.run.cache import cached_region

    result = {"name": job["name"], "kind": "print", "parameters": job["parameters"], "output": job["page_rel"],
              "status": "ok"}
    try:
        data = _PRINT_DATA.get("data")
        if data is None:  # a pool that was not handed the region (a kernel per notebook)
            data = cached_region(load_config(job["config_path"]), job["build_dir"])
        with open(job["analysis_file"], "rb") as fh:
            analysis = pickle.load(fh)
        write_print_maps(data, analysis, job["codes"], Path(job["folder"]), job["lang"],
                         sheets=_PRINT_DATA.pop("sheets", None))
    except Exception as exc:
        result.update({"status": "failed", **_failure(exc)})
    result["seconds"] = round(time.perf_counter() - start, 2)
    return result


def write_print_maps(data, analysis, codes: list[str], folder: Path, lang: str,
                     sheets: dict | None = None) -> None:
    """A4 PNG and PDF map per kecamatan for paper briefings.

    ``sheets`` are base sheets drawn ahead (:func:`pamgeo.render.printmap.base_sheet`), by
    ``(code, lang)``; the others are drawn here.
    """
    import gc

    from pamgeo.render.printmap import add_analysis, base_sheet, pdf_bytes, png_bytes

    folder.mkdir(parents=True, exist_ok=True)
    sheets = sheets or {}
    # a sheet makes many objects in reference cycles (artists, transforms): the collections they
    # set off would each go through every object of the process (modules, region, analysis)
    # but for gc.freeze, which sets those aside while the maps are drawn (10% of the time)
    freeze = gc.get_freeze_count() == 0  # unless someone else froze them
    if freeze:
        gc.freeze()
    try:
        for code in codes:
            sheet = sheets.pop((code, lang), None) or base_sheet(data, code, lang=lang)
            fig = add_analysis(sheet, analysis)
            # the PNG first: it draws on the canvas that measured the text while placing the
            # labels, and makes the labels' outlines that the PDF reuses (printmap._MapLabel)
            (folder / f"{undotted(code)}.png").write_bytes(png_bytes(fig))
            (folder / f"{undotted(code)}.pdf").write_bytes(pdf_bytes(fig))
    finally:
        if freeze:
            gc.unfreeze()


@dataclass
class Workers:
    """The worker processes of a parallel run.

    ``notebooks`` runs the notebook jobs; ``prints`` the print maps. With kept kernels
    (the default) they are separate: N - 1 notebook processes, each with its kernel, and one
    print process forked by :meth:`start_forked` once the region is read. Where kernels can be
    forked (:func:`pamgeo.run.forked.available`), :meth:`start_forked` forks them too, from the
    main process, one per notebook process (``kernel_files`` are their connection files,
    ``kernel_pids`` the forked processes). With a kernel per notebook, one pool of N processes
    takes every job.
    """

    notebooks: Executor
    prints: Executor | None = None
    kernel: str = KERNEL_NAME
    reuse_kernels: bool = True
    kernel_folder: str | None = None
    kernel_files: list[str] = field(default_factory=list)
    kernel_pids: dict[str, int] = field(default_factory=dict)

    def start_forked(self, region: tuple | None = None) -> None:
        """Fork what waited for the region: the kernels (if forked) and the print process.

        ``region`` is ``(region, build_dir, cfg, data)`` as the run's notebooks name it: each
        kernel keeps it for its notebooks (:func:`pamgeo.run.session.keep_region`), the print
        process draws from ``data``.
        """
        if self.kernel_files and not self.kernel_pids:
            import gc

            from pamgeo.run.forked import fork_kernel, kernel_arguments
            from pamgeo.run.session import keep_region

            gc.freeze()  # the region too: the kernels' collections need not go through it

            for path in self.kernel_files:
                self.kernel_pids[path] = fork_kernel(
                    path, cwd=str(notebooks_dir()), arguments=kernel_arguments(KERNEL_WARMUP),
                    before=(lambda: keep_region(*region)) if region else None)
        if self.prints is None:
            data = region[3] if region else None
            self.prints = ProcessPoolExecutor(max_workers=1, initializer=_warm_print_worker, initargs=(data,))
            self.prints.submit(_noop)

    def shutdown(self, wait: bool = True) -> None:
        """Stop the processes (and their kernels); ``wait=False`` only asks them to stop, and a
        later ``shutdown()`` waits for them."""
        for pool in {self.notebooks, self.prints} - {None}:
            pool.shutdown(wait=wait, cancel_futures=True)
        if wait:
            if self.kernel_pids:
                from pamgeo.run.forked import reap

                reap(list(self.kernel_pids.values()))
                self.kernel_pids.clear()
            if self.kernel_folder:
                shutil.rmtree(self.kernel_folder, ignore_errors=True)


def start_workers(workers: int, *, kernel: str = KERNEL_NAME, reuse_kernels: bool = True) -> Workers:
    """Start the worker processes of a run with ``workers`` processes in parallel (``workers`` >= 2).

    With ``reuse_kernels``: ``workers - 1`` notebook processes start now and import papermill
    and nbconvert while the main process imports the rest. Their kernels are forked by the
    main process once it has read the region (:meth:`Workers.start_forked`) where that is
    possible; elsewhere each notebook process launches its kernel now, which boots and imports
    pamgeo meanwhile.
    """
    if workers < 2:
        raise ValueError("start_workers needs at least 2 workers; a serial run needs none")
    ensure_kernel(kernel)
    if reuse_kernels:
        n = workers - 1
        folder = forked.connection_folder() if forked.available(kernel) else None
        pool = ProcessPoolExecutor(max_workers=n, initializer=_warm_worker, initargs=(kernel, folder, n))
        for _ in range(n):
            pool.submit(_noop)
        files = forked.connection_files(folder, n) if folder else []
        return Workers(pool, None, kernel, True, folder, files)
    # a kernel per notebook: kernel start-up dominates, so every worker takes any job
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_warm_worker)
    for _ in range(workers):
        pool.submit(_noop)
    return Workers(pool, pool, kernel, False)
