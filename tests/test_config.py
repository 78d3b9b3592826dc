"""Region configs load, and every kind of mistake names the file, the key and the fix."""

from __future__ import annotations

import pytest
import yaml
from conftest import make_toy_region

from pamgeo.core.config import load_config
from pamgeo.core.errors import ConfigError
from pamgeo.core.resources import data_dir


def test_shipped_regions_validate_without_files():
    regions = 0
    for path in sorted((data_dir() / "regions").glob("*.yml")):
        if "group" in yaml.safe_load(path.read_text(encoding="utf-8")):
            continue  # a region group (tests/test_groups.py)
        cfg = load_config(path, check_files=False)
        assert cfg.region.id == path.stem
        regions += 1
    assert regions >= 2


def test_no_region_literal_in_code():
    """Nothing Tangsel-specific lives in the package: it is all in data/regions/."""
    from pathlib import Path

    import pamgeo

    pkg = Path(pamgeo.__file__).parent
    for py in pkg.rglob("*.py"):
        text = py.read_text(encoding="utf-8").lower()
        for literal in ("tangerang", "tangsel", "36.74", "3674", "32748", "pamulang", "depok"):
            assert literal not in text, f"{py.name} mentions {literal!r}"


def test_tangsel_config(bundle):
    cfg = load_config("tangsel")
    assert cfg.region.kode == "36.74" and cfg.region.crs == "EPSG:32748"
    assert cfg.police.coverage["Polsek Pondok Aren"] == ["36.74.03"]
    assert all(p.exists() for p in cfg.source_files().values())


def _edit(path, fn):
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data))


def test_unknown_key_named(tmp_path):
    path = make_toy_region(tmp_path)
    _edit(path, lambda d: d["region"].update(clasification="RAHASIA"))
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert exc.value.key == "region.clasification"
    assert str(path) in str(exc.value) and "spelling" in exc.value.fix


def test_geographic_crs_refused(tmp_path):
    path = make_toy_region(tmp_path)
    _edit(path, lambda d: d["region"].update(crs="EPSG:4326"))
    with pytest.raises(ConfigError, match="metres") as exc:
        load_config(path)
    assert exc.value.key == "region.crs"


def test_bad_region_code(tmp_path):
    path = make_toy_region(tmp_path)
    _edit(path, lambda d: d["region"].update(kode="Tangsel"))
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert exc.value.key == "region.kode"


def test_bad_tps_format(tmp_path):
    path = make_toy_region(tmp_path)
    _edit(path, lambda d: d["sources"]["tps"].update(format="pdf"))
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert exc.value.key.startswith("sources.tps")


def test_missing_file_names_key(tmp_path):
    path = make_toy_region(tmp_path)
    (tmp_path / "roads.geojson").unlink()
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert exc.value.key == "sources.roads.path" and "roads.geojson" in exc.value.problem


def test_yaml_syntax_error_has_line(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text("region:\n  id: x\n  name: [unclosed\n")
    with pytest.raises(ConfigError, match="line"):
        load_config(path)


def test_rayon_with_unknown_polsek(tmp_path):
    path = make_toy_region(tmp_path)
    _edit(path, lambda d: d["police"]["rayons"][0]["polsek"].append("Polsek Tiga"))
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert exc.value.key == "police.rayons[0].polsek" and "Polsek Tiga" in exc.value.problem


def test_coverage_codes_checked(tmp_path):
    path = make_toy_region(tmp_path)
    _edit(path, lambda d: d["police"]["coverage"].update({"Polsek Satu": ["Kec Satu"]}))
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert exc.value.key == "police.coverage"


def test_unknown_region_name():
    with pytest.raises(ConfigError, match="no region named"):
        load_config("atlantis")


def test_unknown_deployment_preset(tmp_path):
    path = make_toy_region(tmp_path)
    _edit(path, lambda d: d["deployment"].update(preset="polres_atlantis"))
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert exc.value.key == "deployment.preset" and "mabes_2019" in exc.value.fix


@pytest.mark.parametrize("edit,key,problem", [
    (lambda d: d.update(sourcse=d.pop("sources")), "sourcse", "unknown key 'sourcse'; did you mean 'sources'?"),
    (lambda d: d["sources"]["tps"].update(placment={}), "sources.tps.placment",
     "unknown key 'placment'; did you mean 'placement'?"),
    (lambda d: d["police"]["rayons"][0].update(stagging="Polsek Satu"), "police.rayons[0].stagging",
     "unknown key 'stagging'; did you mean 'staging'?"),
    (lambda d: d["sources"]["tps"].update(format="list", colums={}), "sources.tps.colums",
     "unknown key 'colums'; did you mean 'columns'?"),
])
def test_unknown_key_suggests_the_nearest(tmp_path, edit, key, problem):
    path = make_toy_region(tmp_path)
    _edit(path, edit)
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert exc.value.key == key
    assert exc.value.problem.startswith(problem)


def test_unknown_key_without_a_near_one_lists_the_keys(tmp_path):
    path = make_toy_region(tmp_path)
    _edit(path, lambda d: d["region"].update(zzz=1))
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert "unknown key 'zzz' (valid keys here: classification, crs, id," in exc.value.problem


def _raw_region(tmp_path, monkeypatch, raw):
    monkeypatch.setenv("PAMGEO_RAW", str(raw))
    path = make_toy_region(tmp_path / "cfg")
    _edit(path, lambda d: d["sources"]["roads"].update(path="{raw}/osm/road.geojson"))
    return path


def test_missing_raw_file_names_folder_and_nearest_files(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    (raw / "osm").mkdir(parents=True)
    for name in ("roads.geojson", "roads_2023.geojson", "water.geojson"):
        (raw / "osm" / name).write_text("{}")
    with pytest.raises(ConfigError) as exc:
        load_config(_raw_region(tmp_path, monkeypatch, raw))
    assert exc.value.key == "sources.roads.path"
    assert f"no 'road.geojson' in {raw / 'osm'}" in exc.value.fix
    assert "nearest: roads.geojson, roads_2023.geojson" in exc.value.fix
    assert "PAMGEO_RAW" not in str(exc.value)


def test_missing_raw_folder_names_the_nearest_folder(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    (raw / "osm_geofabrik").mkdir(parents=True)
    with pytest.raises(ConfigError) as exc:
        load_config(_raw_region(tmp_path, monkeypatch, raw))
    assert f"no 'osm' in {raw}" in exc.value.fix and "osm_geofabrik" in exc.value.fix
    assert "PAMGEO_RAW" not in str(exc.value)


def test_missing_raw_bundle_says_set_pamgeo_raw(tmp_path, monkeypatch):
    with pytest.raises(ConfigError) as exc:
        load_config(_raw_region(tmp_path, monkeypatch, tmp_path / "nowhere"))
    assert "set PAMGEO_RAW" in exc.value.fix and "does not exist" in exc.value.fix
