"""`make lab`: JupyterLab serves the notebooks with the pamgeo kernel (headless, loopback only)."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy


def _get(url: str) -> dict:
    with _OPENER.open(url, timeout=10) as resp:
        return json.loads(resp.read())


def test_jupyterlab_serves_explore_notebook_with_pamgeo_kernel(tmp_path):
    from pamgeo.run.kernels import ensure_kernel

    ensure_kernel()
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT / 'notebooks'}",
           f"--ServerApp.runtime_dir={tmp_path}", "--ServerApp.open_browser=False", "--allow-root"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):  # at most ~60 s
            try:
                _get(f"{base}/api/status?token={token}")
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("jupyter lab exited early")
                time.sleep(0.5)
        else:
            pytest.fail("jupyter lab did not start within 60 s")
        nb = _get(f"{base}/api/contents/explore.ipynb?token={token}")
        assert nb["type"] == "notebook" and nb["content"]["metadata"]["kernelspec"]["name"] == "pamgeo"
        assert any("k_distance" in "".join(c["source"]) for c in nb["content"]["cells"])
        specs = _get(f"{base}/api/kernelspecs?token={token}")
        assert "pamgeo" in specs["kernelspecs"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
