"""A real per-TPS list as a KPUD publishes it, dirty as delivered, for a region without roads or
police (Kota Depok, from the bundle's boundaries): every TPS of the list is in tps.csv and on
the pages, the account adds up, repaired and estimated rows are marked, lokasi khusus rows with
broken coordinates are kept, and every page says which data is missing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml

from pamgeo.render.exports import tps_dtypes
from pamgeo.render.maps import embedded_documents
from pamgeo.run.runner import run_region

pytestmark = [pytest.mark.bundle, pytest.mark.slow]


def _kpud_export(bundle: Path, folder: Path) -> tuple[Path, dict]:
    """A JSON export of 60 TPS over three Depok kelurahan, with the defects of real lists."""
    kel = gpd.read_file(bundle / "cahyadsn_wilayah_boundaries" / "kota_depok_kelurahan.geojson").head(3)
    metric = kel.to_crs("EPSG:32748")
    rng = np.random.default_rng(7)
    records = []
    for (_, k), geom in zip(kel.iterrows(), metric.geometry, strict=True):
        pts = geom.representative_point()
        for n in range(1, 21):
            x, y = pts.x + rng.uniform(-40, 40), pts.y + rng.uniform(-40, 40)
            lonlat = gpd.GeoSeries(gpd.points_from_xy([x], [y]), crs="EPSG:32748").to_crs(4326).iloc[0]
            records.append({"KODE_WILAYAH": k["kode_bps_style"], "KELURAHAN": k["nama"].upper(),
                            "NO_TPS": f"TPS {n:03d}", "LINTANG": round(lonlat.y, 6), "BUJUR": round(lonlat.x, 6)})
    r = records
    expected = {"own": 60, "repaired": 0, "estimated": 0, "left_out": 0}

    def estimated(i):
        expected["own"] -= 1
        expected["estimated"] += 1

    r[1]["LINTANG"], r[1]["BUJUR"] = r[1]["BUJUR"], r[1]["LINTANG"]         # swapped: repaired
    expected["own"] -= 1
    expected["repaired"] += 1
    r[2]["BUJUR"] = round(r[2]["BUJUR"] / 100, 7)                            # lost decimal point: repaired
    expected["own"] -= 1
    expected["repaired"] += 1
    r[3]["LINTANG"] = None                                                    # no coordinate
    estimated(3)
    r[4]["LINTANG"], r[4]["BUJUR"] = -7.79, 110.36                            # another province
    estimated(4)
    r[5]["LINTANG"], r[5]["BUJUR"] = 0, 0                                     # no GPS fix
    estimated(5)
    r[6]["NO_TPS"] = "TPS 901"                                                # lokasi khusus, broken pin
    r[6]["LINTANG"] = "-6.4x"
    estimated(6)
    r[7]["NO_TPS"] = "TPS 001"                                                # duplicate of row 1: left out
    expected["own"] -= 1
    expected["left_out"] += 1
    r[8]["KELURAHAN"], r[8]["KODE_WILAYAH"] = "ATLANTIS", ""                  # unknown kelurahan: left out
    expected["own"] -= 1
    expected["left_out"] += 1
    r[9]["LINTANG"], r[9]["BUJUR"] = r[25]["LINTANG"], r[25]["BUJUR"]        # a point in the next kelurahan
    path = folder / "tps_depok.json"
    path.write_text(json.dumps({"status": "ok", "data": records}), encoding="utf-8")
    return path, expected


def _region(bundle: Path, folder: Path, tps_path: Path) -> Path:
    cfg = yaml.safe_load((Path(__file__).parents[1] / "data" / "regions" / "depok.yml").read_text())
    cfg["region"].update(id="depok_list", on_invalid="estimate")
    cfg["sources"]["tps"] = {"format": "list", "path": str(tps_path), "election": "Pemilu 2024",
                             "columns": {"kelurahan": "KODE_WILAYAH", "tps_no": "NO_TPS", "lat": "LINTANG",
                                         "lon": "BUJUR"}}
    path = folder / "depok_list.yml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    return path


def test_every_tps_of_a_dirty_list_is_accounted_for(bundle, tmp_path):
    tps_path, expected = _kpud_export(bundle, tmp_path)
    res = run_region(_region(bundle, tmp_path, tps_path), build_dir=tmp_path / "b", reports_dir=tmp_path / "r",
                     progress=False)
    assert res.ok, res.failed
    out = res.report_dir
    manifest = json.loads((out / "manifest.json").read_text())
    account = manifest["tps_account"]
    assert account == {"source": "list", "in_source": 60, **expected}
    tps = pd.read_csv(out / "tps.csv", dtype=tps_dtypes(), encoding="utf-8-sig").set_index("tps_id")
    assert len(tps) == 60 - expected["left_out"] == account["own"] + account["repaired"] + account["estimated"]
    counts = tps["position_source"].value_counts().to_dict()
    assert counts == {"file": expected["own"], "file_repaired": 2, "estimated": expected["estimated"]}
    khusus = tps[tps["tps_no"] == 901]
    assert len(khusus) == 1 and khusus["position_source"].iloc[0] == "estimated"
    assert khusus["position_note"].iloc[0].startswith("bad_coordinate")
    assert bool(khusus["is_khusus"].iloc[0])
    assert (tps["position_check"].fillna("") != "").sum() == 1
    sentence = ("60 TPS dalam daftar: {own} di posisinya sendiri, {repaired} diperbaiki, {estimated} "
                "diperkirakan, {left_out} tidak dimasukkan").format(**expected)
    pages = [out / "index.html", out / "overview.html", *sorted((out / "kecamatan").glob("*.html")),
             out / "validation.html"]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert sentence in text, page.name
        assert "Tidak ada data jalan" in text and "Tidak ada data satuan Polri" in text, page.name
    # on the kecamatan maps: every TPS kept
    drawn = {tid for p in sorted((out / "kecamatan").glob("*.html")) for doc in embedded_documents(p.read_text())
             for tid in re.findall(r'"(\d{13})"', doc)}
    assert set(tps.index) <= drawn
    validation = pd.read_csv(out / "tps_validation.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    outcomes = validation.drop_duplicates("row").set_index("row")["outcome"]
    assert (outcomes == "left_out").sum() == expected["left_out"]
    assert (outcomes == "estimated").sum() == expected["estimated"]
    assert {"lost_decimal", "swapped_latlon"} <= set(validation["rule"])
    assert (outcomes == "repaired").sum() == expected["repaired"]
