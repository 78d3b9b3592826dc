"""pamgeo compare: what changed between two dated classifications (lists or run folders)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import offlinefolium as folium
import pandas as pd
import pytest
from test_classifications import A, B, C, D, E, F, G, H, toy_with_lists, write_lists

from pamgeo.analysis.changes import changes_points, compare_classes, from_tps_csv
from pamgeo.analysis.pipeline import analyse
from pamgeo.core.config import load_config
from pamgeo.ingest.classifications import read_classification_list, read_tps_csv
from pamgeo.ingest.io import read_kelurahan
from pamgeo.ingest.region import build_region
from pamgeo.render.changes import SYMBOLS, add_changes, changes_page, symbol_svg
from pamgeo.run.tables import write_tables

EXPECTED = {"up": 1, "down": 2, "added": 1, "removed": 2, "changed": 0, "unchanged": 2}


def pamgeo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pamgeo.cli", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"}, timeout=600)


@pytest.fixture
def toy_lists(tmp_path, toy_cfg):
    old, new = write_lists(tmp_path / "lists")
    kel = read_kelurahan(toy_cfg)
    return (read_classification_list(old, date="2024-01-30", authority="Polda Metro Jaya", kelurahan=kel),
            read_classification_list(new, kelurahan=kel))


def test_compare_lists_exact_counts(toy_lists):
    old, new = toy_lists
    ch = compare_classes(old.frame, new.frame, old_label=old.label, new_label=new.label)
    assert ch.counts == EXPECTED
    by = ch.table.set_index("tps_id")["change"].to_dict()
    assert by == {C: "up", D: "down", G: "down", H: "added", E: "removed", F: "removed", A: "unchanged",
                  B: "unchanged"}
    assert ch.table.set_index("tps_id").loc[G, "step"] == -2
    assert ch.by_class.set_index("risk_class")[["n_old", "n_new", "delta"]].to_dict("index") == {
        "kurang_rawan": {"n_old": 0, "n_new": 2, "delta": 2}, "rawan": {"n_old": 5, "n_new": 3, "delta": -2},
        "sangat_rawan": {"n_old": 2, "n_new": 1, "delta": -1}, "khusus": {"n_old": 0, "n_new": 0, "delta": 0}}
    k = ch.by_kecamatan.set_index("kode_kec")
    assert k.loc["99.01.01", ["up", "down", "added", "removed", "unchanged"]].tolist() == [1, 1, 0, 1, 2]
    assert k.loc["99.01.02", ["up", "down", "added", "removed", "unchanged"]].tolist() == [0, 1, 1, 1, 0]
    assert k.loc["99.01.01", ["old_rawan", "new_rawan", "old_sangat_rawan", "new_sangat_rawan"]].tolist() == [5, 2, 0, 1]
    assert k.loc["99.01.02", "kecamatan"] == "Kec Dua"


def test_changes_page_and_map_layer(toy_lists, toy_cfg):
    old, new = toy_lists
    ch = compare_classes(old.frame, new.frame, old_label=old.label, new_label=new.label)
    data = build_region(toy_cfg)
    pts = changes_points(ch, data.tps)
    assert pts["change"].value_counts().to_dict() == {"down": 2, "removed": 2, "up": 1, "added": 1}
    page = changes_page(ch, lang="id", changes_gdf=pts)
    assert "Perubahan Kelas Kerawanan TPS" in page and "naik kelas" in page and "keluar dari daftar" in page
    assert "TPS yang berubah (6)" in page and "rawan_2024-01-30.csv (2024-01-30)" in page
    assert "<iframe" in page
    en = changes_page(ch, lang="en")
    assert "Changes in TPS Risk Classes" in en and "up a class" in en and "<iframe" not in en
    # the map layer: one layer per change drawn, each named with its count, a legend entry each
    m = folium.Map(location=[-6.29, 106.71], zoom_start=14)
    layers = add_changes(m, pts, lang="id")
    assert [ly.layer_name for ly in layers] == ["naik kelas (1)", "turun kelas (2)", "baru masuk daftar (1)",
                                                "keluar dari daftar (2)"]
    doc = m.get_root().render()
    assert doc.count("pamgeo-changes-legend") == 1
    for change in ("up", "down", "added", "removed"):
        assert json.dumps(symbol_svg(change, 14))[1:-1].replace("</", "<\\/") in doc
    # distinct shapes, not only colours
    assert len({shape for shape, _, _ in SYMBOLS.values()}) == len(SYMBOLS)


def test_cli_compare_lists(tmp_path):
    cfg_path = toy_with_lists(tmp_path, which="none")
    old, new = tmp_path / "lists" / "rawan_2024-01-30.csv", tmp_path / "lists" / "rawan_2024-02-13.csv"
    out = tmp_path / "out"
    res = pamgeo("compare", str(old), str(new), "--region", str(cfg_path), "--old-date", "2024-01-30",
                 "--authority", "Polda Metro Jaya", "--out", str(out))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "naik kelas" in res.stdout and "Kec Satu" in res.stdout
    csv = pd.read_csv(out / "changes.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(csv) == 8
    assert csv["change"].value_counts().to_dict() == {k: v for k, v in EXPECTED.items() if v}
    assert csv.set_index("tps_id").loc[C, ["class_old", "class_new", "date_old", "date_new"]].tolist() == [
        "rawan", "sangat_rawan", "2024-01-30", "2024-02-13"]
    page = (out / "changes.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "lang='id'" in page and "TERBATAS" in page
    res = pamgeo("compare", str(old), str(new), "--region", str(cfg_path), "--old-date", "2024-01-30",
                 "--language", "en", "--out", str(out))
    assert res.returncode == 0 and "up a class" in (out / "changes.html").read_text(encoding="utf-8")
    # without a date for OLD, the rows name the fix; kelurahan names without --region too
    res = pamgeo("compare", str(old), str(new), "--region", str(cfg_path))
    assert res.returncode == 1 and "[missing_date]" in res.stderr and "--old-date" in res.stderr
    res = pamgeo("compare", str(old), str(new), "--old-date", "2024-01-30")
    assert res.returncode == 1 and "names are matched against a region (--region)" in res.stderr
    res = pamgeo("compare", str(tmp_path / "nope.csv"), str(new))
    assert res.returncode == 1 and "not found" in res.stderr


def test_cli_compare_run_folders(tmp_path):
    """Two runs, one with the 30 Jan list and one with the 13 Feb list: every TPS is in both tps.csv."""
    folders = []
    for which in ("old", "new"):
        cfg = load_config(toy_with_lists(tmp_path / which, which=which))
        data = build_region(cfg)
        analysis = analyse(data)
        folder = tmp_path / which / "reports" / "toy"
        folder.mkdir(parents=True)
        write_tables(data, analysis, folder, "id", csv_sep=";" if which == "new" else ",")
        folders.append((folder, analysis.tps.set_index("tps_id")))
    (old_dir, old_tps), (new_dir, new_tps) = folders
    expected = compare_classes(from_tps_csv(old_tps.reset_index()), from_tps_csv(new_tps.reset_index())).counts
    assert expected["added"] == expected["removed"] == 0 and sum(expected.values()) == 15
    # the classes the lists set: C up, D and G down, whatever the computed classes of E, F and H
    assert old_tps.loc[C, "risk_class"] == "rawan" and new_tps.loc[C, "risk_class"] == "sangat_rawan"
    out = tmp_path / "cmp"
    res = pamgeo("compare", str(old_dir), str(new_dir), "--out", str(out))
    assert res.returncode == 0, res.stdout + res.stderr
    csv = pd.read_csv(out / "changes.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert csv["change"].value_counts().reindex(list(expected), fill_value=0).to_dict() == expected
    row = csv.set_index("tps_id").loc[C]
    assert (row["change"], row["date_old"], row["date_new"]) == ("up", "2024-01-30", "2024-02-13")
    assert "toy (2024-02-13)" in res.stdout
    page = (out / "changes.html").read_text(encoding="utf-8")
    assert "<iframe" in page, "tps.csv has lat/lon: the page has the map (test_exports checks lat/lon)"
    assert len(read_tps_csv(new_dir)) == 15


def test_run_folder_by_hand_semicolon(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "tps.csv").write_text("\ufefftps_id;kecamatan;kode_kec;risk_class;risk_class_source;risk_class_date\n"
                                 f"{A};Kec Satu;99.01.01;rawan;official;2024-01-30\n"
                                 f"{B};Kec Satu;99.01.01;khusus;computed;\n", encoding="utf-8")
    frame = from_tps_csv(read_tps_csv(run))
    new = pd.DataFrame({"tps_id": [A, B], "risk_class": ["kurang_rawan", "rawan"]})
    ch = compare_classes(frame, new)
    assert ch.table.set_index("tps_id")["change"].to_dict() == {A: "down", B: "changed"}


def test_polda_metro_jaya_revision_at_small_scale(tmp_path):
    """PMJ, Pemilu 2024, at 1:25: 30 Jan 1,548 rawan + 53 sangat rawan -> 62 + 2; 13 Feb 976 + 21 -> 39 + 1.

    Of the 62 rawan, 36 stay and 26 leave the list; of the 2 sangat rawan, one stays and one goes down
    to rawan; 2 TPS are newly listed as rawan. Lists without a region: ids only; XLSX and JSON.
    """
    kecs = ["31.71.01", "31.72.02", "31.75.03", "31.01.01"]   # Jakpus, Jakut, Jaktim, Kep. Seribu
    ids = [f"{kecs[i % 4].replace('.', '')}{1001 + i % 3}{i + 1:03d}" for i in range(66)]
    rawan, sangat, new_ids = ids[:62], ids[62:64], ids[64:66]
    old = pd.DataFrame({"ID TPS": rawan + sangat, "Kerawanan": ["RAWAN"] * 62 + ["SANGAT RAWAN"] * 2,
                        "Tanggal": "30/01/2024", "Penetap": "Polda Metro Jaya"})
    old.to_excel(tmp_path / "pmj_2024-01-30.xlsx", index=False)
    recs = ([{"tps_id": i, "kelas": "rawan"} for i in rawan[:36]] + [{"tps_id": sangat[0], "kelas": "sangat rawan"}]
            + [{"tps_id": sangat[1], "kelas": "rawan"}] + [{"tps_id": i, "kelas": "rawan"} for i in new_ids])
    (tmp_path / "pmj_2024-02-13.json").write_text(json.dumps({"data": recs}))
    o = read_classification_list(tmp_path / "pmj_2024-01-30.xlsx")
    n = read_classification_list(tmp_path / "pmj_2024-02-13.json", date="2024-02-13", authority="Polda Metro Jaya")
    ch = compare_classes(o.frame, n.frame, old_label=o.label, new_label=n.label)
    assert ch.by_class.set_index("risk_class").loc[["rawan", "sangat_rawan"], ["n_old", "n_new"]].values.tolist() == [
        [62, 39], [2, 1]]
    assert ch.counts == {"up": 0, "down": 1, "added": 2, "removed": 26, "changed": 0, "unchanged": 37}
    assert ch.by_kecamatan["kode_kec"].tolist() == sorted(kecs)
    assert int(ch.by_kecamatan["removed"].sum()) == 26
    assert o.label == "pmj_2024-01-30.xlsx (2024-01-30)"
