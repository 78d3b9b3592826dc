"""The command line, run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import kel_center


def pamgeo(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pamgeo.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "COLUMNS": "200"}, timeout=600)


def _snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_validate_reports_each_problem_and_writes_nothing(tmp_path, toy_config_path):
    lat, lon = kel_center("99.01.01.1001")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "kelurahan,no_tps,latitude,longitude\n"      # no 'kecamatan' column while names are used
        f"Alpha Jaya,1,{lat},{lon}\n"
        f"Alpha Jaya,2,{lon},{lat}\n"                 # row 3: swapped
        f"Alpha Jaya,1,{lat + 0.002},{lon}\n"         # row 4: duplicate of row 2
    )
    before = _snapshot(tmp_path)
    res = pamgeo("validate", str(bad), "--region", str(toy_config_path))
    assert res.returncode == 1, res.stdout + res.stderr
    out = res.stdout
    assert "column 'kecamatan'" in out and "[missing_column]" in out
    assert "row 3, column 'latitude': [swapped_latlon]" in out
    assert "row 4, column 'no_tps': [duplicate_tps_id]" in out
    assert _snapshot(tmp_path) == before


def test_validate_clean_file_exits_zero(tmp_path, toy_config_path):
    lat, lon = kel_center("99.01.01.1001")
    good = tmp_path / "good.csv"
    good.write_text(f"kelurahan,no_tps,lat,lon\n9901011001,1,{lat},{lon}\n")
    res = pamgeo("validate", str(good), "--region", str(toy_config_path))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 errors" in res.stdout


def test_validate_unreadable_file(tmp_path, toy_config_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    res = pamgeo("validate", str(empty), "--region", str(toy_config_path))
    assert res.returncode == 1 and "empty" in res.stderr


def test_bad_config_message(tmp_path):
    cfg = tmp_path / "x.yml"
    cfg.write_text("region: {id: x}\n")
    res = pamgeo("data", "build", str(cfg), "--build-dir", str(tmp_path / "b"))
    assert res.returncode == 2
    assert "x.yml" in res.stderr and "Fix:" in res.stderr
    assert not (tmp_path / "b").exists()


def test_data_build(tmp_path, toy_config_path):
    res = pamgeo("data", "build", str(toy_config_path), "--build-dir", str(tmp_path / "b"))
    assert res.returncode == 0, res.stderr
    assert "15 TPS" in res.stdout
    assert (tmp_path / "b" / "toy" / "region.gpkg").exists()


@pytest.mark.bundle
def test_validate_on_real_boundaries(tmp_path, bundle):
    """A KPU-style list for Tangsel, names in KPU spelling, with a swapped row (repaired) and a
    row without a TPS number (an error)."""
    bad = tmp_path / "kpu.csv"
    bad.write_text(
        "KECAMATAN,KELURAHAN,NO TPS,LATITUDE,LONGITUDE\n"
        "PONDOK AREN,JURANG MANGU BARAT,001,-6.2745,106.7253\n"
        "PONDOK AREN,PONDOK KACANG TIMUR,002,106.7015,-6.2690\n"
        "SERPONG UTARA,PAKU JAYA,,-6.2431,106.6677\n"
    )
    res = pamgeo("validate", str(bad), "--region", "tangsel")
    assert res.returncode == 1
    assert "row 3, column 'LATITUDE': [swapped_latlon] latitude and longitude were swapped" in res.stdout
    assert "row 4, column 'NO TPS': [bad_tps_number]" in res.stdout
    assert "3 rows, 1 errors," in res.stdout


def _list_region(tmp_path: Path) -> Path:
    from conftest import make_toy_region

    folder = tmp_path / "lst"
    lat, lon = kel_center("99.01.01.1001")
    folder.mkdir(parents=True)
    (folder / "tps.csv").write_text(
        "kelurahan,no_tps,lat,lon\n"
        f"9901011001,1,{lat},{lon}\n"
        f"9901011001,2,,{lon}\n"                # row 3: no latitude
        f"9901011001,3,{lat + 0.002},{lon}\n"
    )
    return make_toy_region(folder, extra={"sources.tps": {"format": "list", "path": "tps.csv"}})


def test_build_policies_estimate_stop_and_drop(tmp_path):
    cfg = _list_region(tmp_path)
    # the default, estimate: the swapped row's TPS stays, at an estimated position in its kelurahan
    est = pamgeo("data", "build", str(cfg), "--build-dir", str(tmp_path / "b0"))
    assert est.returncode == 0, est.stderr
    assert "3 TPS in the list: 2 at their own position, 0 repaired, 1 estimated, 0 left out" in est.stdout
    import geopandas as gpd

    tps = gpd.read_file(tmp_path / "b0" / "toy" / "region.gpkg", layer="tps").set_index("tps_id")
    assert tps.loc["9901011001002", "position_source"] == "estimated"
    assert tps.loc["9901011001002", "position_note"].startswith("bad_coordinate")
    stop = pamgeo("data", "build", str(cfg), "--build-dir", str(tmp_path / "b1"), "--on-invalid", "stop")
    assert stop.returncode == 2 and "row 3" in stop.stderr and "on_invalid" in stop.stderr
    assert not (tmp_path / "b1" / "toy" / "region.gpkg").exists()   # nothing half-written
    drop = pamgeo("data", "build", str(cfg), "--build-dir", str(tmp_path / "b2"), "--on-invalid", "drop")
    assert drop.returncode == 0, drop.stderr
    assert "3 TPS in the list: 2 at their own position, 0 repaired, 0 estimated, 1 left out" in drop.stdout
    report = (tmp_path / "b2" / "toy" / "tps_validation.csv").read_text()
    assert "bad_coordinate" in report and ",3," in report


def test_parallel_run_from_the_command_line(tmp_path, toy_config_path):
    # the command starts its workers before it reads the config, the region and the analysis
    res = pamgeo("run", str(toy_config_path), "--workers", "2", "--build-dir", str(tmp_path / "b"),
                 "--reports-dir", str(tmp_path / "r"))
    assert res.returncode == 0, res.stderr
    assert "4/4 briefings written" in res.stdout
    out = tmp_path / "r" / "toy"
    assert {p.name for p in (out / "kecamatan").iterdir()} == {
        "990101.html", "990101.pdf", "990101.png", "990102.html", "990102.pdf", "990102.png"}
    assert (out / "overview.html").exists() and (out / "index.html").exists()


def test_parallel_run_of_an_unknown_region_stops_its_workers(tmp_path):
    res = pamgeo("run", "no-such-region", "--workers", "2", "--reports-dir", str(tmp_path / "r"))
    assert res.returncode != 0
    assert "no-such-region" in res.stderr + res.stdout
    assert not (tmp_path / "r").exists() or not any((tmp_path / "r").iterdir())
