"""The national view accounts for every TPS and every kab/kota; the Polda totals match the national counts."""

from __future__ import annotations

import json

import pytest

from pamgeo.analysis.national import (
    kecamatan_personnel,
    national_counts,
    polda_of,
    polda_personnel,
    polda_table,
)
from pamgeo.core.presets import get_preset


@pytest.fixture(scope="module")
def counts(bundle):
    from pamgeo.ingest.kawalpemilu import read_national

    return read_national(bundle / "kawalpemilu_kp24" / "original" / "tps2.json")


@pytest.mark.bundle
def test_national_counts_account_for_every_tps(counts, bundle):
    import geopandas as gpd

    kab = gpd.read_file(bundle / "cahyadsn_wilayah_boundaries" / "indonesia_kabkota.gpkg", read_geometry=False)
    kec = gpd.read_file(bundle / "cahyadsn_wilayah_boundaries" / "indonesia_kecamatan.gpkg", read_geometry=False)
    t = national_counts(counts.tps, set(kab["kode"]), set(kec["kode"]))
    assert int(t["provinsi"]["n_tps"].sum()) == int(t["kabkota"]["n_tps"].sum()) == 823_332
    assert int(t["kecamatan"]["n_tps"].sum()) == 823_332
    placed = int(t["kecamatan"].loc[t["kecamatan"]["has_polygon"], "n_tps"].sum())
    assert placed + int(t["no_polygon"]["n_tps"].sum()) == 823_332
    assert len(t["no_polygon"]) == 152
    assert int(t["kabkota"]["has_polygon"].sum()) == 514 == len(kab)


@pytest.mark.bundle
def test_pmj_codes_total(counts):
    pmj = ["31.71", "31.72", "31.73", "31.74", "31.75", "31.01", "32.76", "32.75", "32.16", "36.71", "36.74"]
    assert sum(int(counts.select(k)["n_tps"].sum()) for k in pmj) == 60_830
    assert int(counts.select("36.03")["n_tps"].sum()) == 9_016


@pytest.mark.bundle
def test_polda_personnel_sums(counts):
    kec = kecamatan_personnel(counts.tps, get_preset("mabes_2019"))
    polda = polda_of(kec, {p: f"P{p}" for p in kec["kode_prov"].unique()}, {"36.74": "PMJ", "36.03.23": "PMJ"})
    per = polda_personnel(kec, polda)
    assert int(per["n_tps"].sum()) == 823_332
    assert "PMJ" in set(per["polda"])


def test_polda_table_is_sum_of_members():
    runs = [{"member": "a", "polres": "A", "run_id": "a", "status": "ok", "summary": {"tps": 5, "rawan": 1}},
            {"member": "a", "polres": "A", "run_id": "a2", "status": "ok", "summary": {"tps": 7, "rawan": 0}},
            {"member": "b", "polres": "B", "run_id": "b", "status": "failed", "summary": None}]
    t = polda_table(runs)
    assert t.set_index("member")["tps"].to_dict() == {"a": 12, "b": 0}
    json.dumps(t.to_dict("records"), default=str)


@pytest.mark.bundle
@pytest.mark.slow
def test_national_run(bundle, tmp_path):
    from pamgeo.run.distributed import run_national

    r = run_national("indonesia", workers=2, reports_dir=tmp_path, progress=False)
    m = json.loads((r.report_dir / "manifest.json").read_text())
    assert m["totals"]["tps"] == 823_332 and m["totals"]["kabkota_with_polygon"] == 514
    assert m["totals"]["kecamatan_no_polygon"] == 152
    page = r.index.read_text(encoding="utf-8")
    assert "823.332" in page and "(152:" in page
