"""The jobs of a briefing run and the worker processes that run them.

A job is one notebook (executed by papermill in a kept kernel, converted to a page) or the
print maps of a run. :func:`start_workers` starts the processes; :mod:`pamgeo.report` plans
the jobs and collects their results. This module imports no geospatial code at import time:
``pamgeo run`` starts its workers first, so that their kernels boot while the main process
imports geopandas, reads the region and computes the analysis.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pamgeo.codes import undotted

if TYPE_CHECKING:
    import nbformat

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
KERNEL_NAME = "pamgeo"
NBCONVERT_TEMPLATES = Path(__file__).parent / "templates" / "nbconvert"  # outputs only, no cell markup
BODY_MARKER = "<!--pamgeo:body-->"  # where a worker puts a notebook's outputs in its page


def ensure_kernel(name: str = KERNEL_NAME) -> str:
    """Register the Jupyter kernel ``name`` for this interpreter if it is not known yet."""
    if (Path(sys.prefix) / "share" / "jupyter" / "kernels" / name / "kernel.json").is_file():
        return name  # registered here before (as below, or by `make install`): no need to ask Jupyter
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    if name not in specs:
        from ipykernel.kernelspec import install

        install(kernel_name=name, display_name=f"{name} (Python {sys.version_info.major}.{sys.version_info.minor})",
                prefix=sys.prefix)
    return name


@functools.cache
def _exporter():
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class OutputsExporter(HTMLExporter):
        """HTMLExporter without its final BeautifulSoup pass.

        That pass parses and re-serialises the whole page to add alt texts to images and
        tabindex to cell wrappers; the ``pamgeo_briefing`` template writes neither (images
        carry alt, there are no cell wrappers), and parsing a map page costs about 0.3 s.
        """

        def from_notebook_node(self, nb, resources=None, **kw):
            lang = nb.metadata.get("language_info", {})
            self.register_filter("highlight_code", Highlight2HTML(
                pygments_lexer=lang.get("pygments_lexer", lang.get("name")), parent=self))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return OutputsExporter(template_name="pamgeo_briefing", extra_template_basedirs=[str(NBCONVERT_TEMPLATES)],
                        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                        exclude_markdown=True)


def notebook_body(nb: nbformat.NotebookNode) -> str:
    """Outputs of an executed notebook as HTML, without code or notebook prose."""
    body, _ = _exporter().from_notebook_node(nb)
    return body


# The kernels of this process, by kernel name: a worker runs its notebooks one after another in
# the same kernel, its user namespace reset in between (see _kernel). Imports and caches
# stay warm; each notebook still starts from an empty namespace and execution count 1.
_KERNELS: dict[str, Any] = {}
# run by a kernel as it starts (IPython's exec_lines), before it reports ready: the imports, then
# gc.freeze() so that garbage collections (one at every namespace reset) skip the modules' objects
_KERNEL_WARMUP = ("import pamgeo.analysis, pamgeo.briefing, pamgeo.config, pamgeo.region",
                  "from IPython.display import HTML, display",
                  "import gc; gc.freeze()")


def _kernel(name: str, *, wait: bool = True):
    """This process's running kernel ``name`` with an empty user namespace, started if needed.

    A kernel that died (a notebook crashed it) is replaced by a new one. With ``wait=False``
    the kernel is only launched: it boots and imports pamgeo on its own while this process
    goes on, and a later call waits for it.
    """
    from jupyter_client.manager import KernelManager

    km = _KERNELS.get(name)
    if km is not None and not km.is_alive():
        stop_kernels()
        km = None
    if km is None:
        # IPC sockets (local only, no "running over TCP without encryption" warning), at an
        # absolute path: the kernel runs in the notebooks' folder, this process elsewhere
        import tempfile

        sockets = tempfile.mkdtemp(prefix="pamgeo-kernel-")
        km = KernelManager(kernel_name=name, transport="ipc", ip=os.path.join(sockets, "ipc"))
        km.start_kernel(cwd=str(NOTEBOOKS_DIR),
                        extra_arguments=[f"--IPKernelApp.exec_lines={line}" for line in _KERNEL_WARMUP]
                        + ["--HistoryManager.enabled=False"])
        km.pamgeo_sockets = sockets
        _KERNELS[name] = km
    if not wait:
        return km
    _kernel_execute(km, "get_ipython().reset(new_session=True)")
    return km


def _kernel_client(km):
    """The one client of this process's kernel ``km``, connected and checked ready on first use.

    Every notebook a worker runs goes through this client (see :func:`_engine`): a new
    client per notebook would wait in ``wait_for_ready`` for IOPub to answer, about 0.2 s each
    time, while the kernel idles. nbclient matches replies to their request, so messages of an
    earlier notebook on the shared channels are ignored.
    """
    kc = getattr(km, "pamgeo_client", None)
    if kc is None:
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=120)
        except BaseException:
            kc.stop_channels()
            raise
        kc.allow_stdin = False
        km.pamgeo_client = kc
    return kc


ENGINE_NAME = "pamgeo-kept-client"


@functools.cache
def _engine() -> str:
    """Register (once per process) and name the papermill engine of reused kernels.

    papermill's own ``nbclient`` engine, except that a notebook runs through the kernel's kept
    client (:func:`_kernel_client`) instead of a new one per notebook. Notebooks on a kernel
    manager this module did not start, and every other option, behave as with papermill's
    engine.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger

    class KeptClientNotebookClient(PapermillNotebookClient):
        def start_new_kernel_client(self):  # what nbclient's (synchronous) setup_kernel calls
            if getattr(self.km, "pamgeo_sockets", None) is None:
                return super().start_new_kernel_client()
            self.kc = _kernel_client(self.km)
            return self.kc

    class KeptClientEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            for unused in ("input_path", "timeout", "startup_timeout"):
                kwargs.pop(unused, None)
            client = KeptClientNotebookClient(
                nb_man, timeout=execution_timeout, startup_timeout=start_timeout, kernel_name=kernel_name,
                log=logger, log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file, **kwargs)
            return client.execute()

    papermill_engines.register(ENGINE_NAME, KeptClientEngine)
    return ENGINE_NAME


def _kernel_execute(km, code: str) -> None:
    """Run ``code`` in the kernel ``km`` (waits until it is ready)."""
    reply = _kernel_client(km).execute_interactive(code, store_history=False, timeout=60,
                                                   output_hook=lambda msg: None)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"kernel {km.kernel_name}: {reply['content'].get('ename')}: "
                           f"{reply['content'].get('evalue')}")


def stop_kernels() -> None:
    while _KERNELS:
        _, km = _KERNELS.popitem()
        kc = getattr(km, "pamgeo_client", None)
        if kc is not None:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        with contextlib.suppress(Exception):  # already gone
            km.shutdown_kernel(now=True)
        sockets = getattr(km, "pamgeo_sockets", None)
        if sockets:
            shutil.rmtree(sockets, ignore_errors=True)


def _fresh_event_loop() -> None:
    """Give a forked worker its own asyncio loop and no inherited sync-helper threads.

    jupyter_client's blocking calls run through jupyter_core's ``run_sync``, which keeps the
    thread's event loop and background runner threads in module state. A forked process
    inherits that state but not the threads (nor an epoll set of its own): a worker forked
    after its parent ran a notebook (a serial run, a test, a notebook session) would wait
    forever for a runner thread that does not exist. Cleared here, first thing in a worker.
    """
    import asyncio

    from jupyter_core import utils as jupyter_utils

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    if hasattr(jupyter_utils, "_loop"):  # pinned jupyter_core: the thread's cached loop
        jupyter_utils._loop.set(loop)
    if hasattr(jupyter_utils, "_runner_map"):  # ... and its runner threads by thread name
        jupyter_utils._runner_map.clear()


def _warm_worker(kernel: str | None = None) -> None:
    """Pool initializer of a notebook worker: its kernel, papermill and nbconvert, set up while
    the main process computes the analysis."""
    import multiprocessing.util

    _fresh_event_loop()
    # worker processes end with os._exit: atexit would not run, multiprocessing finalizers do
    multiprocessing.util.Finalize(None, stop_kernels, exitpriority=10)
    if kernel:  # launched first: it boots and imports pamgeo while this worker imports
        _kernel(kernel, wait=False)  # papermill and nbconvert; the first notebook waits for it

    import nbformat
    import papermill  # noqa: F401

    notebook_body(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("")]))  # compiles the templates


# the region of the print-map process, handed over when it is forked from the main process
_PRINT_DATA: dict[str, Any] = {}


def _warm_print_worker(data=None) -> None:
    """Pool initializer of the print-map process: matplotlib and the drawing code, and the
    region the main process has read (shared by the fork, not copied through a pipe)."""
    from pamgeo import printmap  # noqa: F401

    if data is not None:
        _PRINT_DATA["data"] = data


def _noop() -> None:
    return None


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
        km = _kernel(job["kernel"]) if job.get("reuse_kernel") else None
        nb = pm.execute_notebook(job["template"], job["executed"], parameters=job["parameters"],
                                 kernel_name=job["kernel"], progress_bar=False, cwd=str(NOTEBOOKS_DIR),
                                 log_output=False, km=km, engine_name=_engine() if km else None,
                                 request_save_on_cell_execute=False)  # written once, at the end
        head, tail = job["page_shell"].split(BODY_MARKER, 1)
        Path(job["page"]).write_text(head + notebook_body(nb) + tail, encoding="utf-8")
    except Exception as exc:  # one kecamatan failing must not stop the others
        result.update({"status": "failed", **_failure(exc)})
    result["seconds"] = round(time.perf_counter() - start, 2)
    return result


def _prepare_kernel_job(job: dict) -> None:
    """Have this worker's kernel read the region and draw the maps' base layers
    (:func:`pamgeo.analysis.prepare_run`) while the main process computes the analysis.

    Best effort: whatever fails here fails again, with its cell and error, in the first notebook.
    """
    code = (f"import pamgeo.analysis\npamgeo.analysis.prepare_run({job['region']!r}, "
            f"build_dir={job['build_dir']!r}, codes={job['codes']!r})")
    with contextlib.suppress(Exception):
        _kernel_execute(_kernel(job["kernel"]), code)


def _prepare_print_job(job: dict) -> None:
    """In the print process, while the main process computes the analysis: the part of each
    print map drawn from the region alone (:func:`pamgeo.printmap.base_sheet`). Best effort:
    whatever fails here fails again in the print job, which reports it."""
    from pamgeo.printmap import base_sheet

    data = _PRINT_DATA.get("data")
    if data is None:
        return
    sheets = _PRINT_DATA.setdefault("sheets", {})
    for code in job["codes"]:
        with contextlib.suppress(Exception):
            sheets[(code, job["lang"])] = base_sheet(data, code, lang=job["lang"])


def _run_print_job(job: dict, start: float) -> dict:
    import pickle

    from pamgeo.config import load_config
    from pamgeo.region import load_region

    result = {"name": job["name"], "kind": "print", "parameters": job["parameters"], "output": job["page_rel"],
              "status": "ok"}
    try:
        data = _PRINT_DATA.get("data")
        if data is None:  # a pool that was not handed the region (a kernel per notebook)
            data = load_region(load_config(job["config_path"]), job["build_dir"])
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

    ``sheets`` are base sheets drawn ahead (:func:`pamgeo.printmap.base_sheet`), by
    ``(code, lang)``; the others are drawn here.
    """
    import matplotlib

    from pamgeo.printmap import add_analysis, base_sheet

    folder.mkdir(parents=True, exist_ok=True)
    sheets = sheets or {}
    for code in codes:
        sheet = sheets.pop((code, lang), None) or base_sheet(data, code, lang=lang)
        fig = add_analysis(sheet, analysis)
        # zlib level 1, not the default 6: the PNG in half the time for 4% more bytes, the PDF
        # in 10-30% less time for 9% more
        fig.savefig(folder / f"{undotted(code)}.png", dpi=130, pil_kwargs={"compress_level": 1})
        with matplotlib.rc_context({"pdf.compression": 1}):
            fig.savefig(folder / f"{undotted(code)}.pdf")


@dataclass
class Workers:
    """The worker processes of a parallel run.

    ``notebooks`` runs the notebook jobs; ``prints`` the print maps. With kept kernels
    (the default) they are separate: N - 1 notebook processes, each with its kernel, and one
    print process started by :meth:`start_prints` once the region is read. With a kernel per
    notebook, one pool of N processes takes every job.
    """

    notebooks: Executor
    prints: Executor | None = None
    kernel: str = KERNEL_NAME
    reuse_kernels: bool = True

    def start_prints(self, data=None) -> Executor:
        """The print pool, forked now (after the region ``data`` is read) if not started yet."""
        if self.prints is None:
            self.prints = ProcessPoolExecutor(max_workers=1, initializer=_warm_print_worker, initargs=(data,))
            self.prints.submit(_noop)
        return self.prints

    def shutdown(self, wait: bool = True) -> None:
        """Stop the processes (and their kernels); ``wait=False`` only asks them to stop, and a
        later ``shutdown()`` waits for them."""
        for pool in {self.notebooks, self.prints} - {None}:
            pool.shutdown(wait=wait, cancel_futures=True)


def start_workers(workers: int, *, kernel: str = KERNEL_NAME, reuse_kernels: bool = True) -> Workers:
    """Start the worker processes of a run with ``workers`` processes in parallel (``workers`` >= 2).

    With ``reuse_kernels`` each notebook process launches its kernel at once: the kernel boots
    and imports pamgeo while the process imports papermill and nbconvert.
    """
    if workers < 2:
        raise ValueError("start_workers needs at least 2 workers; a serial run needs none")
    ensure_kernel(kernel)
    if reuse_kernels:
        pool = ProcessPoolExecutor(max_workers=workers - 1, initializer=_warm_worker, initargs=(kernel,))
        for _ in range(workers - 1):
            pool.submit(_noop)
        return Workers(pool, None, kernel, True)
    # a kernel per notebook: kernel start-up dominates, so every worker takes any job
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_warm_worker)
    for _ in range(workers):
        pool.submit(_noop)
    return Workers(pool, pool, kernel, False)
