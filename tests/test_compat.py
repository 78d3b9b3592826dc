"""pamgeo.run._compat: the private state of jupyter_core it resets still exists and is reset.

If a new jupyter_core renames ``_loop`` or ``_runner_map``, this fails here, loudly, instead of a
forked worker waiting forever for a runner thread that does not exist.
"""

from __future__ import annotations

import asyncio

from jupyter_core import utils as jupyter_utils

from pamgeo.run._compat import reset_jupyter_event_loop


def test_jupyter_core_still_has_the_private_state_pamgeo_resets():
    assert hasattr(jupyter_utils, "_loop"), "jupyter_core.utils._loop is gone: update pamgeo.run._compat"
    assert hasattr(jupyter_utils, "_runner_map"), "jupyter_core.utils._runner_map is gone: update pamgeo.run._compat"
    assert hasattr(jupyter_utils._loop, "set") and hasattr(jupyter_utils._runner_map, "clear")


def test_reset_gives_a_new_loop_and_no_runners():
    jupyter_utils._runner_map["stale-thread"] = object()
    old = asyncio.new_event_loop()
    try:
        jupyter_utils._loop.set(old)
        reset_jupyter_event_loop()
        new = jupyter_utils._loop.get()
        assert new is not old and new is asyncio.get_event_loop()
        assert "stale-thread" not in jupyter_utils._runner_map
    finally:
        old.close()
