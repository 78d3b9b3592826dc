"""Jupyter kernels kept for a worker's notebooks, the papermill engine that uses them, and the
nbconvert exporter that turns an executed notebook into a page body.

A worker runs its notebooks one after another in the same kernel, its user namespace reset in
between: imports and caches stay warm, each notebook still starts from an empty namespace and
execution count 1. papermill is extended through its engine registry (``papermill_engines``)
and nbconvert through a template and the public :class:`~nbconvert.exporters.TemplateExporter`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pamgeo.core.resources import notebooks_dir

if TYPE_CHECKING:
    import nbformat

KERNEL_NAME = "pamgeo"
NBCONVERT_TEMPLATES = Path(__file__).resolve().parents[1] / "render" / "templates" / "nbconvert"


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
    """The exporter of page bodies: nbconvert's public ``TemplateExporter`` with pamgeo's
    ``pamgeo_briefing`` template (outputs only: no code, prompts, cell wrappers or prose).

    Not ``HTMLExporter``: that one re-parses the whole page with BeautifulSoup to add alt texts
    and tabindex to cell wrappers, which this template does not write (0.3 s per map page).
    """
    from nbconvert.exporters import TemplateExporter

    class BriefingExporter(TemplateExporter):
        output_mimetype = "text/html"

        def _file_extension_default(self) -> str:  # traitlets' default hook
            return ".html"

    return BriefingExporter(template_name="pamgeo_briefing", extra_template_basedirs=[str(NBCONVERT_TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            exclude_markdown=True)


def notebook_body(nb: nbformat.NotebookNode) -> str:
    """Outputs of an executed notebook as HTML, without code or notebook prose."""
    body, _ = _exporter().from_notebook_node(nb)
    return body


# The kernels of this process, by kernel name: a worker runs its notebooks one after another in
# the same kernel, its user namespace reset in between (see kernel). Imports and caches
# stay warm; each notebook still starts from an empty namespace and execution count 1.
_KERNELS: dict[str, Any] = {}
FORKED_READY_S = 60  # a forked kernel that does not answer by then is replaced
# run by a kernel as it starts (IPython's exec_lines), before it reports ready: the imports, then
# gc.freeze() so that garbage collections (one at every namespace reset) skip the modules' objects
KERNEL_WARMUP = ("import pamgeo.analysis.pipeline, pamgeo.render.briefing, pamgeo.render.maps, pamgeo.core.config, "
                 "pamgeo.ingest.region",
                 "from IPython.display import HTML, display",
                 "import gc; gc.freeze()")


def kernel(name: str, *, wait: bool = True, adopt: dict[str, int] | None = None):
    """This process's running kernel ``name`` with an empty user namespace, started if needed.

    A kernel that died (a notebook crashed it) is replaced by a new one. With ``wait=False``
    the kernel is only launched: it boots and imports pamgeo on its own while this process
    goes on, and a later call waits for it. A kernel reserved for this worker
    (:func:`reserve`) is the one ``adopt`` (connection file -> pid) names: forked by the main
    process (:mod:`pamgeo.run.forked`).
    """
    from jupyter_client.manager import KernelManager

    km = _KERNELS.get(name)
    if km is not None and getattr(km, "pamgeo_reserved", False):
        pid = (adopt or {}).get(km.connection_file)
        if pid is None:
            raise RuntimeError(f"kernel {name}: its connection file {km.connection_file} names no forked kernel")
        from pamgeo.run.forked import adopt_kernel

        adopt_kernel(km, pid)
        km.pamgeo_reserved = False
        try:  # a forked kernel that does not answer is replaced by a launched one, not waited for
            _kernel_client(km, timeout=FORKED_READY_S)
        except Exception:
            stop_kernels()
            km = None
    if km is not None and not km.is_alive():
        stop_kernels()
        km = None
    if km is None:
        # IPC sockets (local only, no "running over TCP without encryption" warning), at an
        # absolute path: the kernel runs in the notebooks' folder, this process elsewhere
        import tempfile

        from pamgeo.run.forked import kernel_arguments

        sockets = tempfile.mkdtemp(prefix="pamgeo-kernel-")
        km = KernelManager(kernel_name=name, transport="ipc", ip=os.path.join(sockets, "ipc"))
        km.start_kernel(cwd=str(notebooks_dir()), extra_arguments=kernel_arguments(KERNEL_WARMUP))
        km.pamgeo_sockets = sockets
        _KERNELS[name] = km
    if not wait:
        return km
    kernel_execute(km, "get_ipython().reset(new_session=True)")
    return km


def reserve(name: str, folder: str, slots: int) -> str:
    """In a notebook worker of a run whose main process forks the kernels: take one of the
    ``slots`` connection files in ``folder`` (``kernel-<i>.json``), write it and keep its kernel
    manager as this process's kernel ``name``, adopted when a job names its pid (:func:`kernel`).
    Returns the connection file."""
    from pamgeo.run.forked import connection_files, reserve_kernel

    for path in connection_files(folder, slots):
        try:
            os.close(os.open(path + ".taken", os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            continue
        km = reserve_kernel(name, path)
        km.pamgeo_reserved = True
        _KERNELS[name] = km
        return path
    raise RuntimeError(f"{folder}: all {slots} kernel connection files are taken")


def _kernel_client(km, timeout: float = 120):
    """The one client of this process's kernel ``km``, connected and checked ready on first use.

    Every notebook a worker runs goes through this client (see :func:`engine_name`): a new
    client per notebook would wait in ``wait_for_ready`` for IOPub to answer, about 0.2 s each
    time, while the kernel idles. nbclient matches replies to their request, so messages of an
    earlier notebook on the shared channels are ignored.
    """
    kc = getattr(km, "pamgeo_client", None)
    if kc is None:
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=timeout)
        except BaseException:
            kc.stop_channels()
            raise
        kc.allow_stdin = False
        km.pamgeo_client = kc
    return kc


ENGINE_NAME = "pamgeo-kept-client"


@functools.cache
def engine_name() -> str:
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
            if self.km not in _KERNELS.values():
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


def kernel_execute(km, code: str) -> None:
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
