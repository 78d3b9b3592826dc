"""Briefing runs through papermill: pages, index, tables, manifest, failure path."""

from __future__ import annotations

import functools
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from pamgeo.core.resources import notebooks_dir
from pamgeo.render.maps import embedded_documents
from pamgeo.run import jobs, kernels
from pamgeo.run import runner as report
from pamgeo.run.runner import run_region

pytestmark = pytest.mark.slow


def test_run_toy_region(tmp_path, toy_config_path):
    res = run_region(toy_config_path, workers=2, build_dir=tmp_path / "b", reports_dir=tmp_path / "r",
                     progress=False)
    assert res.ok, res.failed
    out = tmp_path / "r" / "toy"
    assert sorted(p.name for p in (out / "kecamatan").iterdir()) == [
        "990101.html", "990101.pdf", "990101.png", "990102.html", "990102.pdf", "990102.png"]
    assert (out / "overview.html").exists() and "overview.html" in (out / "index.html").read_text()
    index = (out / "index.html").read_text()
    assert "kecamatan/990101.html" in index and "TERBATAS" in index and "PERKIRAAN" in index
    page = (out / "kecamatan" / "990101.html").read_text()
    assert "Kecamatan Kec Satu" in page and "TERBATAS" in page and "Batas: uji" in page
    assert "def " not in page  # outputs only, no code
    [doc] = embedded_documents(page)  # the map, compressed in the page
    assert "L.map(" in doc and "Kec Satu" in doc
    tps = pd.read_csv(out / "tps.csv", dtype={"tps_id": str}, encoding="utf-8-sig")
    assert len(tps) == 15
    for col in ("tps_id", "kode_kel", "kecamatan", "kelurahan", "tps_no", "lat", "lon", "position_source",
                "risk_class", "risk_class_source", "risk_score", "risk_reasons", "pocket_id", "rayon", "polsek",
                "response_min"):
        assert col in tps.columns
    assert (out / "pockets.csv").exists() and (out / "plotting.csv").exists()
    xl = pd.read_excel(out / "plotting.xlsx", sheet_name=None)
    assert {"kelurahan", "kecamatan", "rayon", "kekuatan", "pola"} <= set(xl)
    assert int(xl["kelurahan"]["Jumlah TPS"].sum()) == 15  # headers in the report's language
    assert "TPS per kelas kerawanan" in page and "Kantong kerawanan" in page
    assert "TPS per kelas kerawanan" in index and "Kantong kerawanan" in index  # the region's summary
    assert tps["lat"].between(-6.31, -6.27).all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "ok"
    assert [n["name"] for n in manifest["notebooks"] if n.get("kind") != "print"] == [
        "overview", "kecamatan 99.01.01", "kecamatan 99.01.02"]
    assert all(n["seconds"] > 0 for n in manifest["notebooks"])
    assert "config" in manifest["inputs"] and manifest["versions"]["pamgeo"]
    assert not list((tmp_path / "r").glob(".toy.*"))  # no temporary folder left behind
    # nothing is loaded from the internet: no tag, stylesheet or tile layer fetches an http(s)
    # resource, except the optional OSM tile layer (off by default). Addresses in the embedded
    # libraries' comments and in credit links are not resources.
    for html_file in [out / "index.html", out / "overview.html", *(out / "kecamatan").glob("*.html")]:
        page_text = html_file.read_text()
        docs = embedded_documents(page_text)  # the map documents, inflated as the browser does
        assert html_file.name == "index.html" or len(docs) == 1, html_file.name
        text = "\n".join([page_text, *docs])
        tags = re.findall(r"<(?:script|link|img|iframe|source|embed|object)\b[^>]*?(?:src|href|data)\s*=\s*[\"']?https?:",
                          text, flags=re.I)
        assert tags == [], (html_file.name, tags[:3])
        assert not re.search(r"url\(\s*[\"']?https?:", text), html_file.name
        assert not re.search(r"@import\s+[\"']?https?:", text), html_file.name
        tiles = set(re.findall(r"L\.tileLayer\(\s*\"([^\"]+)\"", text))
        assert tiles <= {"https://tile.openstreetmap.org/{z}/{x}/{y}.png"}, (html_file.name, tiles)

def test_one_failing_kecamatan_does_not_stop_the_others(tmp_path, toy_config_path, monkeypatch):
    nb_dir = tmp_path / "nb"
    shutil.copytree(notebooks_dir(), nb_dir)
    src = (nb_dir / "kecamatan_briefing.ipynb").read_text()
    broken = src.replace("catchment_method=catchment_method)",
                         "catchment_method=catchment_method)\\n"
                         "if kecamatan.endswith('02'): raise RuntimeError('peta gagal')")
    assert broken != src
    (nb_dir / "kecamatan_briefing.ipynb").write_text(broken)
    monkeypatch.setattr(report, "notebooks_dir", lambda: nb_dir)
    res = run_region(toy_config_path, build_dir=tmp_path / "b", reports_dir=tmp_path / "r", progress=False)
    assert not res.ok
    [failed] = res.failed
    assert failed["parameters"]["kecamatan"] == "99.01.02"
    assert failed["ename"] == "RuntimeError" and "peta gagal" in failed["evalue"]
    assert failed["cell_index"] is not None
    out = tmp_path / "r" / "toy"
    assert (out / "kecamatan" / "990101.html").exists()
    assert not (out / "kecamatan" / "990102.html").exists()
    assert "GAGAL" in (out / "index.html").read_text()
    assert json.loads((out / "manifest.json").read_text())["status"] == "failed"


def test_single_kecamatan_rerun_keeps_other_pages(tmp_path, toy_config_path):
    kw = {"build_dir": tmp_path / "b", "reports_dir": tmp_path / "r", "progress": False}
    run_region(toy_config_path, **kw)
    res = run_region(toy_config_path, kecamatan=["990102"], **kw)
    assert res.ok
    out = tmp_path / "r" / "toy"
    assert (out / "kecamatan" / "990101.html").exists()
    names = [n["name"] for n in json.loads((out / "manifest.json").read_text())["notebooks"]]
    assert "overview" in names and "kecamatan 99.01.01" in names and "kecamatan 99.01.02" in names


def test_failed_run_keeps_previous_report_and_leaves_no_temp(tmp_path, toy_config_path, monkeypatch):
    kw = {"build_dir": tmp_path / "b", "reports_dir": tmp_path / "r", "progress": False}
    (tmp_path / "r" / "toy").mkdir(parents=True)
    (tmp_path / "r" / "toy" / "index.html").write_text("previous report")

    def boom(*a, **k):
        raise RuntimeError("analysis failed")

    monkeypatch.setattr(report, "cached_analysis", boom)
    with pytest.raises(RuntimeError, match="analysis failed"):
        run_region(toy_config_path, **kw)
    assert (tmp_path / "r" / "toy" / "index.html").read_text() == "previous report"
    assert [p.name for p in (tmp_path / "r").iterdir()] == ["toy"]


# a second client of a kept kernel in the same process would take the kept client's replies
# (both use the session's socket identity): a run would hang; these tests fail in time instead
limits = {"start_timeout": 20, "execution_timeout": 20}


def _counted(make, calls, *args, **kwargs):
    calls.append(1)
    return make(*args, **kwargs)


def test_reused_kernel_starts_every_notebook_empty(tmp_path):
    import nbformat
    import papermill as pm

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(sorted(k for k in globals() if k.startswith('left')))"),
                                         nbformat.v4.new_code_cell("leftover = 1")])
    nb.metadata["kernelspec"] = {"name": "pamgeo", "display_name": "pamgeo", "language": "python"}
    nbformat.write(nb, tmp_path / "a.ipynb")
    bad = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("leftover = 2\nraise ValueError('halt')"),
                                          nbformat.v4.new_code_cell("never = 1")])
    bad.metadata["kernelspec"] = nb.metadata["kernelspec"]
    nbformat.write(bad, tmp_path / "bad.ipynb")
    new_clients: list[int] = []
    try:
        runs = []
        for i in range(3):
            km = kernels.kernel("pamgeo")
            runs.append(km)
            if i == 0:  # every notebook goes through the kernel's kept client: no new client is made
                km.client = functools.partial(_counted, km.client, new_clients)
            if i == 1:  # a notebook that fails halfway, in between: the next one is not disturbed
                with pytest.raises(pm.PapermillExecutionError, match="halt"):
                    pm.execute_notebook(str(tmp_path / "bad.ipynb"), str(tmp_path / "bad_out.ipynb"),
                                        kernel_name="pamgeo", progress_bar=False, km=km, engine_name=kernels.engine_name(), **limits)
                continue
            out = pm.execute_notebook(str(tmp_path / "a.ipynb"), str(tmp_path / f"out{i}.ipynb"), kernel_name="pamgeo",
                                      progress_bar=False, km=km, engine_name=kernels.engine_name(), **limits)
            first = out.cells[0]
            assert first.outputs[0]["text"].strip() == "[]"  # nothing left from the notebook before
            assert first.execution_count == 1
            assert out.cells[1].execution_count == 2
        assert runs[0] is runs[1] is runs[2] and runs[0].is_alive()  # one kernel, kept running
        assert new_clients == []  # ... and one client of it, kept connected
        runs[0].shutdown_kernel(now=True)  # a kernel that died is replaced
        assert kernels.kernel("pamgeo") is not runs[0] and kernels.kernel("pamgeo").is_alive()
    finally:
        kernels.stop_kernels()
    assert kernels._KERNELS == {}


def test_kept_client_engine_leaves_other_kernels_to_papermill(tmp_path):
    # a kernel manager pamgeo did not start gets papermill's own client handling
    import nbformat
    import papermill as pm
    from jupyter_client.manager import KernelManager

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    nb.metadata["kernelspec"] = {"name": "pamgeo", "display_name": "pamgeo", "language": "python"}
    nbformat.write(nb, tmp_path / "a.ipynb")
    km = KernelManager(kernel_name="pamgeo")
    km.start_kernel()
    try:
        out = pm.execute_notebook(str(tmp_path / "a.ipynb"), str(tmp_path / "b.ipynb"), kernel_name="pamgeo",
                                  progress_bar=False, km=km, engine_name=kernels.engine_name(), **limits)
        assert out.cells[0].outputs[0]["text"].strip() == "42"
        assert getattr(km, "pamgeo_client", None) is None
    finally:
        km.shutdown_kernel(now=True)


def test_parallel_run_after_a_serial_run_in_the_same_process(tmp_path, toy_config_path):
    # the serial run leaves jupyter's sync-helper state in this process; forked workers must
    # not inherit it (they would wait forever for a thread that a fork does not copy)
    kw = {"build_dir": tmp_path / "b", "reports_dir": tmp_path / "r", "progress": False}
    assert run_region(toy_config_path, workers=1, **kw).ok
    assert run_region(toy_config_path, workers=2, **kw).ok


def test_run_with_relative_folders(tmp_path, toy_config_path, monkeypatch):
    # the kernels run in notebooks/, so the run must hand them absolute paths
    monkeypatch.chdir(tmp_path)
    res = run_region(toy_config_path, kecamatan=["990101"], build_dir=Path("b"), reports_dir=Path("r"), progress=False)
    assert res.ok, res.failed
    assert (tmp_path / "r" / "toy" / "kecamatan" / "990101.html").exists()


def test_parallel_run_with_a_kernel_per_notebook(tmp_path, toy_config_path):
    # --fresh-kernels: one pool takes every job (no process kept for the print maps)
    res = run_region(toy_config_path, workers=2, reuse_kernels=False, build_dir=tmp_path / "b",
                     reports_dir=tmp_path / "r", progress=False)
    assert res.ok, res.failed
    out = tmp_path / "r" / "toy"
    assert {p.name for p in (out / "kecamatan").iterdir()} == {
        "990101.html", "990101.pdf", "990101.png", "990102.html", "990102.pdf", "990102.png"}
    assert (out / "tps.csv").exists() and (out / "overview.html").exists()


def test_run_region_data_is_read_again_when_the_build_changes(tmp_path, toy_config_path):
    import os

    from pamgeo.core.config import load_config
    from pamgeo.ingest.region import build_region, write_region
    from pamgeo.run import session

    gpkg = write_region(build_region(load_config(toy_config_path)), tmp_path / "b")
    _, data1, _ = session.run_region_data(str(toy_config_path), str(tmp_path / "b"))
    assert session.run_region_data(str(toy_config_path), str(tmp_path / "b"))[1] is data1  # read once
    st = gpkg.stat()
    os.utime(gpkg, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # a rebuilt region
    assert session.run_region_data(str(toy_config_path), str(tmp_path / "b"))[1] is not data1
    session._RUN_REGION.clear()


def test_prepare_job_reads_the_region_and_draws_base_layers_in_the_kernel(tmp_path, toy_config_path):
    from pamgeo.core.config import load_config
    from pamgeo.ingest.region import build_region, write_region

    cfg = load_config(toy_config_path)
    write_region(build_region(cfg), tmp_path / "b")
    codes = ["99.01.01"]
    job = {"kind": "prepare", "kernel": "pamgeo", "region": str(toy_config_path), "build_dir": str(tmp_path / "b"),
           "codes": codes}
    try:
        assert jobs.run_job(job) is None
        km = kernels.kernel("pamgeo")  # the namespace is reset; what pamgeo keeps stays
        probe = ("[sorted(map(repr, v[2])) for v in "
                 "__import__('pamgeo.run.session', fromlist=['_RUN_REGION'])._RUN_REGION.values()]")
        reply = kernels._kernel_client(km).execute_interactive("", user_expressions={"probe": probe}, timeout=60,
                                                            output_hook=lambda msg: None)
        value = reply["content"]["user_expressions"]["probe"]["data"]["text/plain"]
        assert value == "[[\"('99.01.01', True)\", '(None, False)']]"
    finally:
        kernels.stop_kernels()


def test_default_folders_are_under_the_current_directory(tmp_path, toy_config_path, monkeypatch):
    # the kernels run in the notebooks' folder: the default build folder must reach them absolute
    monkeypatch.chdir(tmp_path)
    res = run_region(toy_config_path, kecamatan=["99.01.01"], progress=False)
    assert res.ok, res.failed
    assert (tmp_path / "build" / "toy" / "region.gpkg").exists()
    assert res.report_dir == tmp_path / "reports" / "toy"
