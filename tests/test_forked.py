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
from pamgeo.run.kernels import (
    _KERNELS,
    KERNEL_WARMUP,
    kernel,
    kernel_execute,
    reserve,
    stop_kernels,
)
from pamgeo.run.runner import lower_priority
from pamgeo.run.session import keep_region

pytestmark = pytest.mark.skipif(not forked.available(), reason="kernels are forked on Linux only")


def test_a_forked_kernel_starts_with_the_region_and_leaves_nothing(tmp_path, toy_config_path):
    cfg = load_config(toy_config_path)
    write_region(build_region(cfg), tmp_path)
    data = cache.cached_region(cfg, tmp_path)
    folder = tmp_path / "kernels"
    folder.mkdir()
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
            f"assert os.environ['JPY_PARENT_PID'] == '{os.getpid()}'",
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


def test_tables_thread_runs_at_a_lower_priority():
    seen = {}

    def side():
        lower_priority(7)
        seen["thread"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = os.getpriority(os.PRIO_PROCESS, 0)
    t = threading.Thread(target=side)
    t.start()
    t.join()
    assert seen["thread"] == min(before + 7, 19)
    assert os.getpriority(os.PRIO_PROCESS, 0) == before  # the rest of the process as it was


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
