"""Kernels forked from the main process of a run, once it has read the region.

A Jupyter kernel launched as a new process imports pamgeo and the geospatial stack (1.4 s of
CPU) and reads the region again, while the run's main process has both in memory already. On
POSIX, ``pamgeo run`` forks its kernels from the main process instead (:func:`fork_kernel`),
right after it read the region: each starts with the modules imported and the region kept for
its notebooks (:func:`pamgeo.run.session.keep_region`), and runs ipykernel's own
:class:`~ipykernel.kernelapp.IPKernelApp`.

The notebook worker that uses such a kernel is started earlier, before the main process imports
anything heavy, so that it imports papermill and nbconvert while the main process imports
geopandas. It writes the kernel's connection file (:func:`reserve_kernel`) and, when the main
process has forked the kernel, manages it through jupyter_client's
:class:`~jupyter_client.manager.KernelManager` with a provisioner (jupyter_client's extension
point for how a kernel process is started and watched) that adopts the forked process
(:func:`adopt_kernel`): shutdown, interrupt and liveness work as for a launched kernel. The
main process, its parent, reaps it (:func:`reap`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

CONNECTION_WAIT_S = 120  # how long a forked kernel waits for its worker's connection file


def available(kernel_name: str | None = None) -> bool:
    """Whether kernels can be forked here: on Linux, from a process
    that is not itself a Jupyter kernel (a run started from a notebook launches its kernels),
    for a kernel ``kernel_name`` whose spec runs ipykernel on this very interpreter (what is
    forked is this process); unless the environment variable ``PAMGEO_FORK_KERNELS`` is ``0``.
    Otherwise kernels are launched as new processes, as Jupyter does."""
    if not sys.platform.startswith("linux") or os.environ.get("PAMGEO_FORK_KERNELS", "1") == "0":
        return False
    app = sys.modules.get("ipykernel.kernelapp")
    if app is not None and app.IPKernelApp.initialized():
        return False
    if kernel_name is None:
        return True
    argv = _kernel_argv(kernel_name)
    return (len(argv) > 2 and os.path.realpath(argv[0]) == os.path.realpath(sys.executable)
            and "ipykernel_launcher" in argv)


def _kernel_argv(name: str) -> list[str]:
    """The command of the kernel spec ``name``, found where jupyter_client looks first (its
    ``kernels`` folders in ``jupyter_path`` order); [] if there is none. Read here, not through
    ``KernelSpecManager``, whose import (0.1 s) would hold up the start of every run."""
    from jupyter_core.paths import jupyter_path

    for folder in jupyter_path("kernels"):
        spec = Path(folder) / name / "kernel.json"
        if spec.is_file():
            with contextlib.suppress(OSError, ValueError):
                return list(json.loads(spec.read_text(encoding="utf-8")).get("argv", []))
            return []
    return []


class KernelProcess:
    """The ``subprocess.Popen`` methods jupyter_client's provisioner uses, for a forked kernel
    that is not a child of the process that manages it (its parent reaps it)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            import psutil

            try:
                status = psutil.Process(self.pid).status()
            except psutil.NoSuchProcess:
                status = psutil.STATUS_DEAD  # gone (reaped)
            if status in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD):
                self.returncode = -1  # not our child: its exit status is its parent's to read
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"kernel {self.pid} still runs")
            time.sleep(0.02)
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


FOLDER_PREFIX = "pamgeo-kernels-"


def connection_folder() -> str:
    """A new temporary folder for the connection files (and IPC sockets) of a run's forked
    kernels, named after this process; those of runs no longer running (killed) go."""
    import shutil
    import tempfile

    import psutil

    for old in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        pid = old.name[len(FOLDER_PREFIX):].split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not psutil.pid_exists(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-")


def connection_files(folder: str, slots: int) -> list[str]:
    """The connection files of a run's ``slots`` forked kernels in ``folder``."""
    return [os.path.join(folder, f"kernel-{i}.json") for i in range(slots)]


def reserve_kernel(name: str, connection_file: str):
    """In a notebook worker: the kernel manager of the kernel the main process will fork, its
    connection file (IPC sockets beside it) written now. Adopted later by :func:`adopt_kernel`."""
    from jupyter_client.manager import KernelManager

    stem = Path(connection_file).with_suffix("")
    km = KernelManager(kernel_name=name, transport="ipc", ip=f"{stem}-ipc", connection_file=connection_file)
    km.write_connection_file()
    return km


def adopt_kernel(km, pid: int) -> None:
    """Let ``km`` (from :func:`reserve_kernel`) manage the kernel process ``pid`` that the main
    process forked with its connection file."""
    from jupyter_client.provisioning import LocalProvisioner

    class AdoptedKernelProvisioner(LocalProvisioner):
        """jupyter_client's local provisioner, for a kernel started elsewhere: nothing to launch."""

        async def launch_kernel(self, cmd: list[str], **kwargs: Any):
            raise RuntimeError("a forked kernel is not launched again; a new kernel replaces it")

    import uuid

    km.kernel_id = km.kernel_id or str(uuid.uuid4())
    prov = AdoptedKernelProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
    prov.process, prov.pid, prov.pgid = KernelProcess(pid), pid, pid  # its own session: pgid == pid
    prov.connection_info = km.get_connection_info()
    km.provisioner = prov


def kernel_arguments(warmup: tuple[str, ...]) -> list[str]:
    """IPKernelApp arguments of a run's kernel: ``warmup`` lines run as it starts, no history."""
    return [f"--IPKernelApp.exec_lines={line}" for line in warmup] + ["--HistoryManager.enabled=False"]


def fork_kernel(connection_file: str, *, cwd: str, arguments: list[str],
                before: Callable[[], None] | None = None) -> int:
    """Fork a kernel from this process; returns its pid (reap it with :func:`reap`).

    The child calls ``before`` (to keep what its notebooks read), waits for ``connection_file``
    (written by the worker that will use the kernel, :func:`reserve_kernel`) and runs
    IPKernelApp on it, in a session of its own, in ``cwd``, with stdin from ``/dev/null``. It
    ends when this process does (ipykernel's parent poller), and never returns into this
    process's code.
    """
    parent = os.getpid()
    for stream in (sys.stdout, sys.stderr):  # what is buffered is written once, by this process
        with contextlib.suppress(Exception):
            stream.flush()
    with warnings.catch_warnings():
        # Python 3.12 warns of forking a process with threads (here the run's pools' manager
        # threads): the child only runs IPKernelApp, which starts its own
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        os.setsid()  # as jupyter_client's launcher gives a kernel: signals go to its group only
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_DFL)  # not the run's handlers (pamgeo.run.interrupt)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.chdir(cwd)
        os.environ["JPY_PARENT_PID"] = str(parent)
        if before is not None:
            before()
        _wait_for(connection_file)
        import asyncio

        asyncio.set_event_loop(asyncio.new_event_loop())  # none shared with the parent
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        # the parent named explicitly: it may have imported ipykernel (the default is read then)
        app.initialize(["-f", connection_file, f"--IPKernelApp.parent_handle={parent}", *arguments])
        app.start()
        code = 0
    except BaseException:  # reported; the worker sees a dead kernel and says so
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def _wait_for(connection_file: str) -> None:
    deadline = time.monotonic() + CONNECTION_WAIT_S
    while True:
        with contextlib.suppress(OSError, ValueError):
            if "key" in json.loads(Path(connection_file).read_text()):
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{connection_file}: no worker wrote it in {CONNECTION_WAIT_S} s")
        time.sleep(0.01)


def reap(pids: list[int]) -> None:
    """End (if its worker has not) and reap each forked kernel ``pids``: no zombie is left."""
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:  # gone, or not a session leader yet
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
