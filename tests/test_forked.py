"""Kernels forked by a run's main process (pamgeo.run.forked): they start with the region the
main process read, are managed by their worker through jupyter_client, and leave no process
behind. A real ipykernel each time."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from pamgeo.core.config import load_config
from pamgeo.ingest.region import build_region, write_region
from pamgeo.run import cache, forked
from pamgeo.run.jobs import run_aside
from pamgeo.run.kernels import (
    _KERNELS,
    KERNEL_WARMUP,
    kernel,
    kernel_execute,
    reserve,
    stop_kernels,
)
from pamgeo.run.session import keep_region

pytestmark = pytest.mark.skipif(not forked.available(), reason="kernels are forked on Linux only")


def test_a_forked_kernel_starts_with_the_region_and_leaves_nothing(tmp_path, toy_config_path):
    cfg = load_config(toy_config_path)
    write_region(build_region(cfg), tmp_path)
    data = cache.cached_region(cfg, tmp_path)
    folder = tmp_path / "kernels"
    folder.mkdir()
    assert forked.available("pamgeo") and not forked.available("no-such-kernel")
    path = reserve("pamgeo", str(folder), 1)  # what a notebook worker does as it starts
    with pytest.raises(RuntimeError, match="taken"):
        reserve("pamgeo", str(folder), 1)
    pid = forked.fork_kernel(path, cwd=str(tmp_path), arguments=forked.kernel_arguments(KERNEL_WARMUP),
                             before=lambda: keep_region(cfg.config_path, str(tmp_path), cfg, data))
    try:
        with pytest.raises(RuntimeError, match="names no forked kernel"):
            kernel("pamgeo", adopt={})
        km = kernel("pamgeo", adopt={path: pid})
        assert km.is_alive() and km.provisioner.pid == pid and os.getsid(pid) == pid
        # the region is there without reading the build again: reading it would fail here
        kernel_execute(km, "\n".join([
            "import os, pamgeo.run.session as s, pamgeo.run.cache as c",
            "c.cached_region = None",
            f"cfg, data, memo = s.run_region_data({cfg.config_path!r}, {str(tmp_path)!r})",
            f"assert len(data.tps) == {len(data.tps)} and os.getcwd() == {str(tmp_path)!r}",
            f"assert get_ipython().kernel.parent.parent_handle == {os.getpid()}",  # ends with its parent
            "from pamgeo.run import forked",
            "assert not forked.available()",  # a run started from a notebook launches its kernels
        ]))
        assert kernel("pamgeo") is km  # kept: the next notebook runs in it, its namespace reset
    finally:
        stop_kernels()
    assert not _KERNELS
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    assert state == "Z"  # ended by its manager, left for its parent to reap
    forked.reap([pid])
    assert not os.path.exists(f"/proc/{pid}")
    forked.reap([pid])  # twice is harmless


def test_a_kernel_whose_worker_never_writes_its_connection_file_ends(tmp_path, monkeypatch):
    monkeypatch.setattr(forked, "CONNECTION_WAIT_S", 0.2)
    pid = forked.fork_kernel(str(tmp_path / "never.json"), cwd=str(tmp_path), arguments=[])
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 1


def test_work_set_aside_runs_in_a_process_at_a_lower_priority():
    """`run_aside` runs a closure (not pickled: it holds a lock here) in a forked process with
    a higher nice value; its result and its errors come back."""
    lock = threading.Lock()
    ex, fut = run_aside(lambda: (lock.locked(), os.getpid(), os.getpriority(os.PRIO_PROCESS, 0)), niceness=7)
    ex.shutdown()
    locked, pid, nice = fut.result()
    assert locked is False and pid != os.getpid()
    assert nice == min(os.getpriority(os.PRIO_PROCESS, 0) + 7, 19)

    def fails():
        raise ValueError("the tables could not be written")

    ex, fut = run_aside(fails)
    ex.shutdown()
    with pytest.raises(ValueError, match="could not be written"):
        fut.result()


def test_the_run_process_imports_no_map_code_until_a_map_is_drawn():
    """A run's main process writes the index and the tables but draws no map: it does not import
    folium and the map code (0.3-0.5 s of CPU, taken from the notebooks on a busy machine)."""
    import subprocess
    import sys

    code = ("import sys, pamgeo.cli, pamgeo.run.runner, pamgeo.render.index, pamgeo.run.tables\n"
            "heavy = [m for m in ('offlinefolium', 'folium', 'branca', 'pamgeo.render.maps', 'matplotlib') "
            "if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_run_with_two_notebook_workers_uses_its_forked_kernels(tmp_path, toy_config_path, monkeypatch):
    """`--workers 3`: two notebook workers, each adopting one of the two kernels the run forked;
    every page is made in one of them; afterwards no kernel, zombie or connection file is left."""
    import tempfile

    from pamgeo.run.runner import run_region

    forkedpids: list[int] = []
    real = forked.fork_kernel
    monkeypatch.setattr(forked, "fork_kernel", lambda *a, **k: forkedpids.append(real(*a, **k)) or forkedpids[-1])
    result = run_region(toy_config_path, workers=3, build_dir=tmp_path / "b", reports_dir=tmp_path / "r",
                        progress=False)
    assert result.ok and len(forkedpids) == 2
    pages = [n for n in result.notebooks if n.get("kind") != "print"]
    assert pages and {n["kernel_pid"] for n in pages} <= set(forkedpids)
    for pid in forkedpids:
        assert not Path(f"/proc/{pid}").exists()  # ended and reaped
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
    mine = list(Path(tempfile.gettempdir()).glob(f"{forked.FOLDER_PREFIX}{os.getpid()}-*"))
    assert mine == []
