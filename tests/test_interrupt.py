"""A run stopped from outside stops its workers and kernels, leaves no temporary folder and keeps
the previous report; what a SIGKILL leaves, the next run removes. Real runs in a subprocess,
checked against the process table and the file system."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow

PREVIOUS = "<html>the previous report</html>"


def _start_run(config: Path, tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    reports = tmp_path / "r"
    (reports / "toy").mkdir(parents=True)
    (reports / "toy" / "index.html").write_text(PREVIOUS)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pamgeo.cli", "run", str(config), "--workers", "2", "--build-dir",
         str(tmp_path / "b"), "--reports-dir", str(reports)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, reports


def _wait_for_notebooks(proc: subprocess.Popen, reports: Path, timeout: float = 120) -> list[psutil.Process]:
    """The run's descendants once its temporary folder exists and a kernel runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        kids = psutil.Process(proc.pid).children(recursive=True)
        # a kernel: launched (ipykernel in its command line) or forked by the run
        # (pamgeo.run.forked: a session of its own)
        kernels = [k for k in kids if "ipykernel" in " ".join(_cmdline(k)) or _session_leader(k)]
        if kernels and list(reports.glob(".toy.tmp-*")):
            return kids
        time.sleep(0.05)
    raise AssertionError("the run never reached its notebooks")


def _session_leader(p: psutil.Process) -> bool:
    try:
        return os.getsid(p.pid) == p.pid
    except OSError:
        return False


def _cmdline(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []


def _alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.Error:
            pass
    return out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stopped_run_stops_everything_and_keeps_the_previous_report(tmp_path, toy_config_path, sig):
    proc, reports = _start_run(toy_config_path, tmp_path)
    try:
        kids = _wait_for_notebooks(proc, reports)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + sig, (proc.returncode, err[-2000:])
    assert "stopped" in err
    assert _alive(kids) == [], [(p.pid, _cmdline(p)) for p in _alive(kids)]
    assert list(reports.glob(".toy.*")) == []
    assert (reports / "toy" / "index.html").read_text() == PREVIOUS


def test_the_next_run_removes_what_a_killed_run_left(tmp_path, toy_config_path):
    proc, reports = _start_run(toy_config_path, tmp_path)
    try:
        kids = _wait_for_notebooks(proc, reports)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    left = list(reports.glob(".toy.tmp-*"))
    assert left, "a SIGKILL leaves the temporary folder (nothing could clean it)"
    for p in _alive(kids):  # orphans of the killed run: not this test's subject
        p.kill()
    assert (reports / "toy" / "index.html").read_text() == PREVIOUS
    res = subprocess.run([sys.executable, "-m", "pamgeo.cli", "run", str(toy_config_path), "--kecamatan",
                          "99.01.01", "--build-dir", str(tmp_path / "b"), "--reports-dir", str(reports)],
                         capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "200"})
    assert res.returncode == 0, res.stderr[-2000:]
    assert not any(p.exists() for p in left)
    assert list(reports.glob(".toy.*")) == []
