"""Group files: the shipped Polda validates, mistakes name the file, the key and the fix; members are generated."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pamgeo.core.config import load_config
from pamgeo.core.errors import ConfigError
from pamgeo.core.groups import find_group, load_group


def test_shipped_groups_validate_without_files():
    g = load_group("polda_metro_jaya", check_files=False)
    assert g.group.kind == "polda" and len(g.members) == 11
    runs = [r for _, _, r in g.runs()]
    assert len(runs) == len(set(runs)) == 13
    assert load_group("indonesia", check_files=False).group.kind == "national"
    assert find_group("polda_metro_jaya") is not None and find_group("tangsel") is None


def _write(folder: Path, edit) -> Path:
    data = yaml.safe_load(Path(load_group("polda_metro_jaya", check_files=False).config_path).read_text())
    edit(data)
    path = folder / "g.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_kecamatan_given_twice_is_named(tmp_path):
    def edit(d):
        d["members"][-1]["areas"][1]["kecamatan"].append("36.03.13")  # Teluknaga, already Metro Tangerang Kota

    with pytest.raises(ConfigError) as exc:
        load_group(_write(tmp_path, edit), check_files=False)
    assert "36.03.13" in str(exc.value) and "g.yml" in str(exc.value) and "Fix:" in str(exc.value)


def test_unknown_key_and_bad_code_are_named(tmp_path):
    with pytest.raises(ConfigError, match="members"):
        load_group(_write(tmp_path, lambda d: d["members"][0].update(polsek="x")), check_files=False)
    with pytest.raises(ConfigError, match="kab/kota code"):
        load_group(_write(tmp_path, lambda d: d["members"][0]["areas"][0].update(kode="31")), check_files=False)


@pytest.mark.bundle
def test_generated_member_builds_with_national_counts(bundle, tmp_path):
    from pamgeo.ingest.kawalpemilu import read_national
    from pamgeo.ingest.members import member_runs
    from pamgeo.ingest.region import build_region

    g = load_group("polda_metro_jaya")
    counts = read_national(g.resolve(g.defaults.tps.path))
    [run] = member_runs(g, tmp_path, counts, only=["tangsel_kab"])
    data = build_region(load_config(run.config_path))
    assert len(data.tps) == int(counts.select("36.03", run.kecamatan)["n_tps"].sum()) == 1820
    assert sorted(data.kecamatan["kode_kec"]) == sorted(run.kecamatan)


@pytest.mark.bundle
def test_province_group_uses_kecamatan_polygons_where_no_kelurahan_file(bundle, tmp_path):
    from pamgeo.ingest.kawalpemilu import read_national
    from pamgeo.ingest.members import kelurahan_files, member_runs, province_group
    from pamgeo.ingest.region import build_region

    counts = read_national(bundle / "kawalpemilu_kp24" / "original" / "tps2.json")
    files = kelurahan_files(bundle / "cahyadsn_wilayah_boundaries")
    data = province_group(counts, "32", files, group_id="polda_32", name="Polda Jawa Barat")
    assert {m["areas"][0]["kode"] for m in data["members"] if "file" in m["areas"][0]} == {"32.16", "32.75", "32.76"}
    path = tmp_path / "polda_32.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    g = load_group(path)
    [run] = member_runs(g, tmp_path / "build", counts, only=["k3272"])  # Kota Sukabumi: no kelurahan file
    cfg = load_config(run.config_path)
    assert run.kecamatan_polygons and "kecamatan" in cfg.region.name
    assert any("kecamatan" in a.lower() for a in cfg.attributions())
    built = build_region(cfg)
    assert len(built.tps) + sum(int(counts.select("32.72", [k])["n_tps"].sum()) for k in run.left_out_kecamatan) \
        == int(counts.select("32.72")["n_tps"].sum())


def test_polda_map_legend_names_its_classes():
    from pamgeo.render.polda import _bin_labels, _colour

    assert _bin_labels([0], "id") == ["0", "> 0"]
    assert _bin_labels([0, 12, 40], "id") == ["0", "1–12", "13–40", "> 40"]
    assert _bin_labels([1000, 2000], "id") == ["≤ 1.000", "1.001–2.000", "> 2.000"]
    # a value gets the colour of the class its label names
    bins = [0, 12, 40]
    assert [_colour(v, bins) for v in (0, 5, 12, 13, 41)] == [
        _colour(0, bins), _colour(1, bins), _colour(12, bins), _colour(40, bins), _colour(99, bins)]
    assert len({_colour(v, bins) for v in (0, 5, 13, 41)}) == 4
