"""Group runs on a real Dask cluster started from the command line, and the Polda totals."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

from pamgeo.core.groups import load_group
from pamgeo.core.resources import raw_dir

VENV_BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _two_member_group(folder: Path) -> Path:
    """Kep. Seribu (6 kelurahan) and the five Tangsel kecamatan of Kab. Tangerang cut to two of them:
    two small real members, generated from the group defaults."""
    pmj = load_group("polda_metro_jaya", check_files=False)
    data = yaml.safe_load(Path(pmj.config_path).read_text(encoding="utf-8"))
    data["group"]["id"] = "toy_polda"
    data["members"] = [
        {"id": "seribu", "polres": "Polres Uji Satu", "areas": [{"kode": "31.01", "file": "kep_seribu_kelurahan"}]},
        {"id": "kabtng", "polres": "Polres Uji Dua",
         "areas": [{"kode": "36.03", "file": "kab_tangerang_kelurahan_desa", "kecamatan": ["36.03.23", "36.03.22"]}]},
    ]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "toy_polda.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@contextlib.contextmanager
def cli_cluster(tmp_path: Path):
    """`dask scheduler` and two `dask worker` processes (the venv's dask CLI) on free localhost ports;
    yields the address and the process ids (with their children), stops them at the end."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PAMGEO_RAW": str(raw_dir())}
    log = open(tmp_path / "dask.log", "w")  # noqa: SIM115 - closed below
    procs = [subprocess.Popen([str(VENV_BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--dashboard-address", ":0", "--no-show"], stdout=log, stderr=log, env=env)]
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.3)
        for _ in range(2):
            procs.append(subprocess.Popen([str(VENV_BIN / "dask"), "worker", address, "--nthreads", "1",
                                           "--nworkers", "1", "--no-dashboard", "--host", "127.0.0.1"],
                                          stdout=log, stderr=log, env=env, cwd=tmp_path))
        from distributed import Client

        with Client(address, timeout="60s") as c:
            c.wait_for_workers(2, timeout=120)
        pids = [p.pid for p in procs]
        pids += [c.pid for p in procs for c in psutil.Process(p.pid).children(recursive=True)]
        yield address, pids
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        log.close()


@pytest.mark.bundle
@pytest.mark.slow
def test_two_member_group_on_command_line_cluster(bundle, tmp_path):
    with cli_cluster(tmp_path) as (address, pids):
        _run_two_members(bundle, tmp_path, address)
    time.sleep(1)
    left = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
    assert left == [], f"processes left: {left}"
    kernels = [p for p in psutil.process_iter(["cmdline"]) if "ipykernel" in " ".join(p.info["cmdline"] or [])
               and str(tmp_path) in " ".join(p.info["cmdline"] or [])]
    assert kernels == []


def _run_two_members(bundle: Path, tmp_path: Path, address: str) -> None:
    group = _two_member_group(tmp_path / "regions")
    reports, build = tmp_path / "reports", tmp_path / "build"
    cmd = [str(VENV_BIN / "pamgeo"), "run", str(group), "--scheduler", address, "--build-dir", str(build),
           "--reports-dir", str(reports)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=tmp_path,
                          env={**os.environ, "PAMGEO_RAW": str(bundle)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = reports / "toy_polda"
    assert (out / "index.html").exists() and (out / "seribu" / "index.html").exists()
    assert (out / "kabtng" / "index.html").exists()
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "seribu/index.html" in page and "kabtng/index.html" in page
    assert "Dilaporkan" in page and "2024-01-30" in page and "65.495" in page  # Indonesian number format
    from pamgeo.render.maps import embedded_documents

    docs = embedded_documents(page)
    assert docs and not any(re.search(r"<(script|link)[^>]+(src|href)=[\"']https?:", d) for d in [page, *docs])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "ok" and {m["run_id"] for m in manifest["members"]} == {"seribu", "kabtng"}
    # both workers took part: the members ran in different processes
    assert len({m["worker"] for m in manifest["members"]}) == 2

    # the Polda total is the sum of its members and the national counts for those codes, exactly
    from pamgeo.ingest.kawalpemilu import read_national

    counts = read_national(bundle / "kawalpemilu_kp24" / "original" / "tps2.json")
    expected = {"seribu": int(counts.select("31.01")["n_tps"].sum()),
                "kabtng": int(counts.select("36.03", ["36.03.23", "36.03.22"])["n_tps"].sum())}
    by_run = {m["run_id"]: m["summary"]["tps"] for m in manifest["members"]}
    assert by_run == expected
    assert f"{sum(expected.values()):,}" in page

    # a re-run skips both members (inputs, parameters and code unchanged)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**os.environ, "PAMGEO_RAW": str(bundle)})
    assert proc.returncode == 0 and "2 unchanged" in proc.stdout, proc.stdout + proc.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert all(m.get("skipped") for m in manifest["members"])



def test_local_cluster_closes_in_finally():
    """The local cluster's worker processes end when the block fails."""
    from pamgeo.run.distributed import dask_client

    me = psutil.Process()
    with pytest.raises(RuntimeError), dask_client(2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        raise RuntimeError("boom")
    time.sleep(1)
    # multiprocessing's resource tracker (one per interpreter, by design) is the only helper allowed to stay
    left = [c for c in me.children(recursive=True) if c.status() != psutil.STATUS_ZOMBIE
            and "resource_tracker" not in " ".join(c.cmdline())]
    assert left == [], [" ".join(c.cmdline()) for c in left]
