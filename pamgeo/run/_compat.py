"""The one place pamgeo reaches into a library's private state (``jupyter_core.utils``).

Each function here names the private attribute it uses; ``tests/test_compat.py`` fails loudly
when the pinned library changes it, instead of a forked worker hanging without a word.
"""

from __future__ import annotations

import asyncio


def reset_jupyter_event_loop() -> None:
    """Give a forked worker its own asyncio loop and no inherited sync-helper threads.

    jupyter_client's blocking calls run through jupyter_core's ``run_sync``, which keeps the
    thread's event loop and background runner threads in module state. A forked process
    inherits that state but not the threads (nor an epoll set of its own): a worker forked
    after its parent ran a notebook (a serial run, a test, a notebook session) would wait
    forever for a runner thread that does not exist. Cleared here, first thing in a worker.
    """
    from jupyter_core import utils as jupyter_utils

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    if hasattr(jupyter_utils, "_loop"):  # pinned jupyter_core: the thread's cached loop
        jupyter_utils._loop.set(loop)
    if hasattr(jupyter_utils, "_runner_map"):  # ... and its runner threads by thread name
        jupyter_utils._runner_map.clear()
