"""A run stopped from outside (SIGTERM, SIGINT, SIGHUP) stops everything it started.

``pamgeo run`` starts worker processes, and they start Jupyter kernels. When the run is
told to stop, :func:`stopping_on_signals` turns SIGTERM and SIGHUP into
:class:`RunInterrupted` (SIGINT already raises ``KeyboardInterrupt``), so that the run's own
clean-up (its temporary folder removed, the previous report kept) runs as for any error; and
:func:`stop_descendants` ends every process the run started, kernels included, with psutil.
A run killed with SIGKILL can clean nothing: the next run removes what it left
(:func:`remove_stale_folders`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil

#: signals that stop a run (SIGINT raises KeyboardInterrupt by itself)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class RunInterrupted(KeyboardInterrupt):
    """The run was told to stop by a signal (the signal's number is ``signum``)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


def _raise(signum: int, frame: object) -> None:
    raise RunInterrupted(signum)


@contextlib.contextmanager
def stopping_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`RunInterrupted` in the main thread.

    Outside the main thread (where Python cannot install handlers) it does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _raise) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def stop_descendants(timeout: float = 5.0) -> list[int]:
    """Terminate every process this one started (workers, kernels, their children).

    SIGTERM first, SIGKILL for what is still there after ``timeout`` seconds. Returns the
    ids of the processes that were running.
    """
    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return []
    for child in children:
        with contextlib.suppress(psutil.Error):
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=timeout)
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()
    psutil.wait_procs(alive, timeout=timeout)
    return [c.pid for c in children]


def remove_stale_folders(reports_dir: Path, region_id: str) -> list[Path]:
    """Remove the temporary folders (``.<region>.tmp-<pid>``, ``.<region>.old-<pid>``) that a
    run of ``region_id`` left when it was killed: those whose process no longer runs."""
    removed = []
    for kind in ("tmp", "old"):
        for folder in reports_dir.glob(f".{region_id}.{kind}-*"):
            pid = folder.name.rsplit("-", 1)[-1]
            if not pid.isdigit() or (int(pid) != os.getpid() and psutil.pid_exists(int(pid))):
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed
