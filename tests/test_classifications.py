"""Official classification lists (sources.classifications): reading, row checks, the override, tps.csv."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from conftest import make_toy_region
from shapely.geometry import Point

from pamgeo.analysis.pipeline import analyse
from pamgeo.analysis.risk import apply_official, latest_classes
from pamgeo.core.config import load_config
from pamgeo.core.errors import ConfigError, InputError
from pamgeo.ingest.classifications import parse_date, read_classification_list
from pamgeo.ingest.io import read_kelurahan
from pamgeo.ingest.region import build_region, load_region, write_region
from pamgeo.render.briefing import rawan_table
from pamgeo.run.tables import write_tables

# toy TPS ids (see conftest.make_toy_region): Kec Satu = Alpha Jaya (5) + Rawa Beta (3); Kec Dua = Gamma (4 + 901)
# + Delta Timur (2)
A, B, C = "9901011001001", "9901011001002", "9901011001003"
D, E = "9901011002001", "9901011002002"
F, G = "9901021001001", "9901021001002"
H = "9901021002001"

OLD = ("No,Kelurahan,TPS,Kerawanan\n"              # 30 Jan: 5 rawan + 2 sangat rawan, by name + number
       "1,Alpha Jaya,1,Rawan\n2,Alpha Jaya,2,rawan\n3,ALPHA JAYA,TPS 003,Rawan 1\n"
       "4,Rawa Beta,1,rawan\n5,Kel. Rawa-Beta,2,rawan\n6,Gamma,1,sangat rawan\n7,99.01.02.1001,2,Rawan 2\n")
NEW = ("tps_id,kelas,tanggal,penetap\n"            # 13 Feb: 3 rawan (H new) + 1 sangat rawan, D and G kurang rawan
       f"{A},rawan,13/02/2024,Polda Metro Jaya\n"
       "9901011001-TPS 002,rawan,13 Februari 2024,Polda Metro Jaya\n"
       f"{H},rawan,2024-02-13,Polda Metro Jaya\n"
       f"{C},sangat rawan,2024-02-13,Polda Metro Jaya\n"
       f"{D},kurang rawan,2024-02-13,Polda Metro Jaya\n"
       f"{G},aman,2024-02-13,Polda Metro Jaya\n")


def write_lists(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rawan_2024-01-30.csv").write_text(OLD)
    (folder / "rawan_2024-02-13.csv").write_text(NEW)
    return folder / "rawan_2024-01-30.csv", folder / "rawan_2024-02-13.csv"


def toy_with_lists(tmp_path: Path, *, which: str = "both") -> Path:
    old, new = write_lists(tmp_path / "lists")
    entries = []
    if which in ("both", "old"):
        entries.append({"path": str(old), "date": "2024-01-30", "authority": "Polda Metro Jaya"})
    if which in ("both", "new"):
        entries.append({"path": str(new), "attribution": "Polda Metro Jaya, daftar TPS rawan"})
    return make_toy_region(tmp_path / "toy", extra={"sources.classifications": entries})


def test_parse_date_forms():
    assert parse_date("2024-02-13") == "2024-02-13"
    assert parse_date("13/02/2024") == "2024-02-13"
    assert parse_date("13-2-2024") == "2024-02-13"
    assert parse_date("30 Januari 2024") == "2024-01-30"
    assert parse_date("13 Feb 2024") == "2024-02-13"
    assert parse_date("2024-01-30 00:00:00") == "2024-01-30"  # a spreadsheet date cell read as text
    assert parse_date("") is None
    with pytest.raises(ValueError):
        parse_date("tiga puluh Januari")


def test_list_by_kelurahan_name_and_number_with_list_date(tmp_path, toy_cfg):
    old, _ = write_lists(tmp_path)
    lst = read_classification_list(old, date="2024-01-30", authority="Polda Metro Jaya",
                                   kelurahan=read_kelurahan(toy_cfg))
    f = lst.frame.set_index("tps_id")
    assert sorted(f.index) == sorted([A, B, C, D, E, F, G])
    assert f["risk_class"].value_counts().to_dict() == {"rawan": 5, "sangat_rawan": 2}
    assert set(f["class_date"]) == {"2024-01-30"} and set(f["class_authority"]) == {"Polda Metro Jaya"}
    assert f.loc[G, "row"] == "row 8" and f.loc[G, "kecamatan"] == "Kec Dua"   # header = row 1
    assert f["in_region"].all() and lst.report.findings == []
    assert lst.label == "rawan_2024-01-30.csv (2024-01-30)"


def test_list_by_sirekap_id_and_kpu_label_with_date_column(tmp_path, toy_cfg):
    _, new = write_lists(tmp_path)
    lst = read_classification_list(new, kelurahan=read_kelurahan(toy_cfg))
    f = lst.frame.set_index("tps_id")
    assert f["risk_class"].to_dict() == {A: "rawan", B: "rawan", H: "rawan", C: "sangat_rawan", D: "kurang_rawan",
                                         G: "kurang_rawan"}
    assert set(f["class_date"]) == {"2024-02-13"} and set(f["class_authority"]) == {"Polda Metro Jaya"}


def test_row_errors_name_file_row_column_and_fix(tmp_path, toy_cfg):
    bad = tmp_path / "bad.csv"
    bad.write_text("kelurahan,tps,kelas,tanggal\n"
                   "Alpha Jaya,1,merah,2024-02-13\n"       # row 2: unknown class
                   "Alpha Jaya,2,rawan,\n"                 # row 3: no date, none for the list
                   "Atlantis,1,rawan,2024-02-13\n"         # row 4: unknown kelurahan
                   "Alpha Jaya,3,rawan,31/02/2024\n"       # row 5: no such date
                   "Rawa Beta,1,rawan,2024-02-13\n"
                   "Rawa Beta,1,sangat rawan,2024-02-13\n")  # row 7: the same TPS with another class
    with pytest.raises(InputError) as exc:
        read_classification_list(bad, kelurahan=read_kelurahan(toy_cfg))
    text = str(exc.value)
    assert str(bad) in text
    assert "row 2, column 'risk_class': [unknown_class]" in text
    assert "row 3, column 'risk_class_date': [missing_date]" in text and "set 'date:'" in text
    assert "row 4, column 'kelurahan': [unknown_kelurahan]" in text
    assert "row 5, column 'risk_class_date': [bad_date]" in text
    assert "row 7, column 'tps_id': [duplicate_tps]" in text
    assert text.count("Fix:") >= 5
    # drop: the rows with errors are left out, every finding stays in the report
    lst = read_classification_list(bad, kelurahan=read_kelurahan(toy_cfg), on_invalid="drop")
    assert lst.frame["tps_id"].tolist() == []  # Rawa Beta 1 is in conflict: neither class is taken
    assert len(lst.report.errors) == 5


def test_missing_columns_are_file_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("kelurahan,kelas\nAlpha Jaya,rawan\n")
    with pytest.raises(InputError, match=r"no TPS column.*Fix: name them in 'columns:'"):
        read_classification_list(bad, date="2024-02-13")
    bad.write_text("tps_id,catatan\n9901011001001,x\n")
    with pytest.raises(InputError, match=r"no class column.*Fix"):
        read_classification_list(bad, date="2024-02-13")
    bad.write_text("tps_id,kelas\n9901011001001,rawan\n")
    with pytest.raises(InputError, match=r"columns.date names column 'Tgl', which the file lacks"):
        read_classification_list(bad, columns={"date": "Tgl"})


def test_unknown_tps_is_a_finding_and_kept(tmp_path, toy_cfg):
    f = tmp_path / "l.csv"
    f.write_text(f"tps_id,kelas\n{A},rawan\n9901011001009,rawan\n9999011001001,sangat rawan\n")
    data_ids = {A, B, C}
    lst = read_classification_list(f, date="2024-02-13", kelurahan=read_kelurahan(toy_cfg), tps_ids=data_ids)
    assert lst.frame["in_region"].tolist() == [True, False, False]
    rules = [(x.rule, x.severity, x.row) for x in lst.report.findings]
    assert rules == [("unknown_tps", "warning", 3), ("unknown_tps", "warning", 4)]


def test_xlsx_and_json_lists(tmp_path, toy_cfg):
    kel = read_kelurahan(toy_cfg)
    pd.DataFrame({"Judul": ["Daftar TPS rawan", "", "Kelurahan", "Gamma", "Gamma"],
                  "b": ["", "", "No TPS", "1", "901"], "c": ["", "", "Kategori", "Sangat Rawan", "Khusus"],
                  "d": ["", "", "Tanggal", pd.Timestamp("2024-02-13"), pd.Timestamp("2024-02-13")]}
                 ).to_excel(tmp_path / "l.xlsx", header=False, index=False)
    lst = read_classification_list(tmp_path / "l.xlsx", kelurahan=kel, authority="Polres Uji")
    assert lst.frame[["tps_id", "risk_class", "class_date", "row"]].values.tolist() == [
        [F, "sangat_rawan", "2024-02-13", "row 4"], ["9901021001901", "khusus", "2024-02-13", "row 5"]]
    (tmp_path / "l.json").write_text(json.dumps({"data": [{"id_tps": H, "status": "rawan"}]}))
    lst = read_classification_list(tmp_path / "l.json", date="2024-02-13", kelurahan=kel)
    assert lst.frame[["tps_id", "risk_class", "row"]].values.tolist() == [[H, "rawan", "record 1"]]


def test_config_validates_the_list_date(tmp_path):
    path = make_toy_region(tmp_path, extra={"sources.classifications": [{"path": "counts.csv", "date": "30/01/2024"}]})
    with pytest.raises(ConfigError, match=r"sources.classifications\[0\].date.*2024-02-13"):
        load_config(path)
    path = make_toy_region(tmp_path, extra={"sources.classifications": [{"path": "nope.csv"}]})
    with pytest.raises(ConfigError, match=r"sources.classifications\[0\].path"):
        load_config(path)


def test_latest_date_wins_per_tps():
    lists = pd.DataFrame({
        "tps_id": [A, A, B, B], "risk_class": ["rawan", "sangat_rawan", "rawan", "kurang_rawan"],
        "class_date": ["2024-02-13", "2024-01-30", "2024-01-30", "2024-01-30"], "class_authority": "P",
        "list": ["new", "old", "old", "old2"], "list_index": [1, 0, 0, 2], "in_region": True})
    latest = latest_classes(lists)
    assert latest.loc[A, "risk_class"] == "rawan"          # the later date, whatever the list order
    assert latest.loc[B, "risk_class"] == "kurang_rawan"   # same date: the later list
    tps = gpd.GeoDataFrame({"tps_id": [A, B, C], "risk_class_official": ["", "sangat_rawan", "khusus"],
                            "risk_class_date_file": ["", "2024-03-01", ""]},
                           geometry=[Point(0, 0)] * 3, crs="EPSG:32748")
    out = apply_official(tps, lists)
    # A from the lists; B's own class is dated later than the lists and stays; C is in no list
    assert out["risk_class_official"].tolist() == ["rawan", "sangat_rawan", "khusus"]
    assert out["risk_class_date_file"].tolist() == ["2024-02-13", "2024-03-01", ""]
    assert out["risk_class_list"].tolist() == ["new", "", ""]


def test_official_classes_with_dates_reach_tps_csv(tmp_path):
    cfg = load_config(toy_with_lists(tmp_path))
    data = build_region(cfg)
    assert len(data.classifications.frame) == 13 and all(r.ok for r in data.classifications.reports)
    analysis = analyse(data)
    out = tmp_path / "report"
    out.mkdir()
    write_tables(data, analysis, out, "id")
    tps = pd.read_csv(out / "tps.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig").set_index("tps_id")
    off = tps[tps["risk_class_source"] == "official"]
    # every TPS of either list: the 13 Feb class where the new list has it, else the 30 Jan one
    assert sorted(off.index) == sorted([A, B, C, D, E, F, G, H])
    assert off["risk_class"].to_dict() == {A: "rawan", B: "rawan", C: "sangat_rawan", D: "kurang_rawan",
                                           E: "rawan", F: "sangat_rawan", G: "kurang_rawan", H: "rawan"}
    assert off["risk_class_date"].to_dict() == {A: "2024-02-13", B: "2024-02-13", C: "2024-02-13", D: "2024-02-13",
                                                E: "2024-01-30", F: "2024-01-30", G: "2024-02-13", H: "2024-02-13"}
    assert set(off["risk_class_authority"]) == {"Polda Metro Jaya"}
    assert set(tps["risk_class_computed"]) <= {"kurang_rawan", "rawan", "sangat_rawan", "khusus"}
    assert (tps["risk_class_computed"] != "").all()
    rest = tps[tps["risk_class_source"] == "computed"]
    assert len(rest) == 7 and (rest["risk_class"] == rest["risk_class_computed"]).all()
    assert (rest["risk_class_date"] == "").all()
    # the kecamatan page's rawan table shows the date of each official class
    page = rawan_table(analysis, "99.01.01", lang="id")
    assert "resmi 2024-02-13 (Polda Metro Jaya)" in page and "resmi 2024-01-30 (Polda Metro Jaya)" in page
    assert "Polda Metro Jaya, daftar TPS rawan" in cfg.attributions()


def test_classifications_survive_the_build_and_unknown_ids_are_reported(tmp_path):
    old, _ = write_lists(tmp_path / "lists")
    extra = tmp_path / "lists" / "extra.csv"
    extra.write_text(f"tps_id,kelas\n{A},rawan\n9901011001077,sangat rawan\n")
    path = make_toy_region(tmp_path / "toy", extra={"sources.classifications": [
        {"path": str(old), "date": "2024-01-30"}, {"path": str(extra), "date": "2024-02-13"}]})
    cfg = load_config(path)
    data = build_region(cfg)
    rep = data.classifications.reports[1]
    assert [(f.rule, f.row, f.value) for f in rep.findings] == [("unknown_tps", 3, "9901011001077")]
    build = tmp_path / "build"
    write_region(data, build)
    findings = pd.read_csv(build / "toy" / "classification_findings.csv", dtype=str)
    assert findings[["rule", "row", "value"]].values.tolist() == [["unknown_tps", "3", "9901011001077"]]
    loaded = load_region(cfg, build)
    assert len(loaded.classifications.frame) == 9
    a = analyse(loaded)
    assert int((a.tps["risk_class_source"] == "official").sum()) == 7
    assert a.tps.set_index("tps_id").loc[A, "risk_class_date"] == "2024-02-13"


@pytest.mark.slow
def test_the_briefing_shows_what_changed_between_the_two_latest_lists(tmp_path):
    from pamgeo.render.maps import embedded_documents
    from pamgeo.run.runner import run_region

    res = run_region(toy_with_lists(tmp_path), build_dir=tmp_path / "b", reports_dir=tmp_path / "r", progress=False)
    assert res.ok, res.failed
    overview = (res.report_dir / "overview.html").read_text(encoding="utf-8")
    assert "Perubahan kelas TPS resmi: 2024-01-30 → 2024-02-13" in overview
    # the same counts as `pamgeo compare` of the two lists (tests/test_compare.py): 1 up, 2 down,
    # 1 added, 2 removed (E, F: on the 30 Jan list only)
    analysis = analyse(build_region(load_config(toy_with_lists(tmp_path / "again"))))
    counts = analysis.class_changes.counts
    assert (counts["up"], counts["down"], counts["added"], counts["removed"]) == (1, 2, 1, 2)
    # on the kecamatan map: a layer per kind of change, in the map's legend
    page = (res.report_dir / "kecamatan" / "990101.html").read_text(encoding="utf-8")
    [doc] = embedded_documents(page)
    assert "naik kelas (1)" in doc and "turun kelas (1)" in doc  # C up, D down in Kec Satu
