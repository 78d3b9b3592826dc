"""Analysis cache: hits for the same inputs, misses when anything that matters changes."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from pamgeo.core.config import load_config
from pamgeo.ingest.region import build_region, load_region, region_dir, write_region
from pamgeo.run import cache


@pytest.fixture
def built(tmp_path, toy_config_path):
    cfg = load_config(toy_config_path)
    write_region(build_region(cfg), tmp_path)
    return cfg, tmp_path


def test_second_call_is_a_hit_with_the_same_result(built):
    cfg, build = built
    data = load_region(cfg, build)
    first, hit1 = cache.cached_analysis(data, build, lang="id")
    second, hit2 = cache.cached_analysis(load_region(cfg, build), build, lang="id")
    assert (hit1, hit2) == (False, True)
    assert first.tps.drop(columns="geometry").equals(second.tps.drop(columns="geometry"))
    assert len(list(region_dir(cfg, build).glob("analysis-*.pickle"))) == 1


def test_parameters_rebuild_and_code_change_miss(built, monkeypatch):
    cfg, build = built
    data = load_region(cfg, build)
    cache.cached_analysis(data, build, lang="id")
    assert cache.cached_analysis(data, build, lang="en")[1] is False  # other parameters
    assert cache.cached_analysis(data, build, lang="id", eps_m=90)[1] is False
    assert cache.cached_analysis(data, build, lang="id")[1] is True
    # the region rebuilt from changed inputs (here its config file)
    path = Path(cfg.config_path)
    path.write_text(path.read_text() + "\n# edited\n")
    cfg = load_config(path)
    write_region(build_region(cfg), build)
    assert cache.cached_analysis(load_region(cfg, build), build, lang="id")[1] is False
    monkeypatch.setattr(cache, "_code_hash", lambda: "other code")  # pamgeo's code changed
    assert cache.cached_analysis(load_region(cfg, build), build, lang="id")[1] is False
    assert len(list(region_dir(cfg, build).glob("analysis-*.pickle"))) <= cache.KEEP


def test_a_damaged_cache_file_is_recomputed(built):
    cfg, build = built
    data = load_region(cfg, build)
    cache.cached_analysis(data, build, lang="id")
    [path] = region_dir(cfg, build).glob("analysis-*.pickle")
    path.write_bytes(b"not a pickle")
    result, hit = cache.cached_analysis(data, build, lang="id")
    assert hit is False and len(result.tps) == len(data.tps)
    with open(path, "rb") as fh:
        assert len(pickle.load(fh).tps) == len(data.tps)  # replaced by a good file


def test_briefing_inputs_kept_within_a_run_only(built, tmp_path):
    from pamgeo.run.session import briefing_inputs

    cfg, build = built
    # JupyterLab (no analysis_file): read afresh each time, the analysis from the cache
    a = briefing_inputs(cfg.config_path, build_dir=build)
    b = briefing_inputs(cfg.config_path, build_dir=build)
    assert a[1] is not b[1] and a[2] == "id"
    # inside a run: the run's analysis file, read once per kernel
    run_file = tmp_path / "analysis.pickle"
    with open(run_file, "wb") as fh:
        pickle.dump(a[3], fh)
    c = briefing_inputs(cfg.config_path, build_dir=build, analysis_file=str(run_file))
    assert briefing_inputs(cfg.config_path, build_dir=build, analysis_file=str(run_file)) is c
    assert briefing_inputs(cfg.config_path, build_dir=build, analysis_file=str(run_file), language="en") is not c


def test_region_level_half_stored_once_per_build_and_reused(built, monkeypatch):
    """`prepare_build` stores the region-level half beside the build; analyses read it, any
    parameter set; a rebuild makes a new one (and the old ones are cleaned up)."""
    from pamgeo.analysis import pipeline

    cfg, build = built
    path = cache.prepare_build(cfg, build)
    assert path.exists() and path.parent == region_dir(cfg, build)
    calls = []
    real = cache.prepare_region
    monkeypatch.setattr(cache, "prepare_region", lambda data: calls.append(1) or real(data))
    monkeypatch.setattr(pipeline, "prepare_region", lambda data: calls.append(1) or real(data))
    data = load_region(cfg, build)
    for params in ({"lang": "id"}, {"lang": "en"}, {"lang": "id", "eps_m": 90}, {"lang": "id", "preset": None}):
        cache.cached_analysis(data, build, **params)
    assert calls == []  # read from the build, never recomputed
    path.write_bytes(b"damaged")
    cache.cached_analysis(data, build, lang="id", eps_m=91)
    assert calls == [1] and pickle.loads(path.read_bytes()) is not None  # recomputed and replaced
    for _ in range(3):  # rebuilds: one file per build, the newest KEEP_PREPARED kept
        write_region(build_region(cfg), build)
        cache.prepare_build(cfg, build)
    assert len(list(region_dir(cfg, build).glob("prepared-*.pickle"))) == cache.KEEP_PREPARED


def test_analysis_with_stored_half_equals_analysis_from_scratch(built):
    from pamgeo.analysis.pipeline import analyse

    cfg, build = built
    cache.prepare_build(cfg, build)
    data = load_region(cfg, build)
    stored, _ = cache.cached_analysis(data, build, lang="id")
    fresh = analyse(load_region(cfg, build), lang="id")
    assert stored.tps.drop(columns="geometry").equals(fresh.tps.drop(columns="geometry"))
    assert stored.routes.geometry.geom_equals(fresh.routes.geometry).all()
    for m, cat in fresh.catchments.items():
        assert cat.rayon.geometry.geom_equals(stored.catchments[m].rayon.geometry).all()


def test_map_base_layers_stored_with_the_build_equal_drawn_ones(built, monkeypatch):
    """The maps' base layers are stored by `prepare_build`; a kernel's memo filled from the file
    holds exactly what drawing them gives, and nothing is drawn again."""
    from pamgeo.render import maps

    cfg, build = built
    cache.prepare_build(cfg, build)
    assert len(list(region_dir(cfg, build).glob("mapbases-*.pickle"))) == 1
    data = load_region(cfg, build)
    drawn: dict = {}
    for code, minor in [(None, False)] + [(c, True) for c in data.kecamatan_codes()]:
        maps.base_layers(data, code, minor_roads=minor, memo=drawn)
    calls = []
    real = maps.base_layers
    monkeypatch.setattr(maps, "base_layers", lambda *a, **k: calls.append(a) or real(*a, **k))
    memo: dict = {}
    cache.map_bases(data, memo, build_dir=build)
    assert calls == [] and set(memo) == set(drawn)
    for key, layers in drawn.items():
        assert set(memo[key]) == set(layers) | {"zones"}
        for name, value in layers.items():
            assert memo[key][name] == value, (key, name)
    # the zones stored with them are those the map would cut from the analysis for its view
    from pamgeo.render.webmap_zones import zone_frames, zone_geometries

    analysis, _ = cache.cached_analysis(data, build, lang="id")
    frames = zone_frames(analysis.catchments, analysis.flood_corridors, analysis.flood_hazard)
    assert "rayon_administrative" in frames and "flood_corridors" in frames
    for key in drawn:
        fresh = zone_geometries(frames, memo[key]["view"])
        assert set(memo[key]["zones"]) == set(fresh)
        for name, (rows, geometries, keep) in fresh.items():
            stored_rows, stored_geometries, stored_keep = memo[key]["zones"][name]
            assert rows.tolist() == stored_rows.tolist() and keep.tolist() == stored_keep.tolist()
            assert geometries == stored_geometries, (key, name)
    # and the maps drawn with them are the maps drawn without (ids aside), in both languages
    import re

    from pamgeo.render import briefing
    from pamgeo.render.maps import embedded_documents

    without = {k: {n: v for n, v in layers.items() if n != "zones"} for k, layers in memo.items()}
    code = data.kecamatan_codes()[0]
    for lang in ("id", "en"):
        pages = [briefing.kecamatan_map_html(data, code, analysis, lang=lang, base_memo=m) for m in (memo, without)]
        docs = [re.sub(r"pamgeo-map-[0-9a-f]{12}|[0-9a-f]{32}", "ID", embedded_documents(p)[0]) for p in pages]
        assert docs[0] == docs[1] and "rayon" in docs[0]
    calls.clear()
    # a region not loaded from a build: drawn, not stored
    fresh = build_region(cfg)
    memo2: dict = {}
    cache.map_bases(fresh, memo2)
    assert len(calls) == len(drawn) and set(memo2) == set(drawn)


def test_region_read_from_the_stored_pickle_until_the_build_changes(built, monkeypatch):
    """`cached_region` stores the region read from the GeoPackage beside it and reads that
    after; a rebuild (or a damaged file) reads the GeoPackage again. The config is always the
    one loaded now."""
    from pamgeo.ingest import region as region_module

    cfg, build = built
    first = cache.cached_region(cfg, build)
    [stored] = region_dir(cfg, build).glob("region-*.pickle")
    reads = []
    real = region_module.load_region
    monkeypatch.setattr(cache, "load_region", lambda *a, **k: reads.append(a) or real(*a, **k))
    again = cache.cached_region(load_config(cfg.config_path), build)
    assert reads == []
    assert again.tps.drop(columns="geometry").equals(first.tps.drop(columns="geometry"))
    assert again.tps.geometry.equals(first.tps.geometry) and again.meta == first.meta
    assert again.config is not first.config and again.config.config_path == cfg.config_path
    stored.write_bytes(b"damaged")
    assert len(cache.cached_region(cfg, build).tps) == len(first.tps) and len(reads) == 1
    write_region(build_region(cfg), build)  # a new build: new key, the GeoPackage read again
    cache.cached_region(cfg, build)
    assert len(reads) == 2
    assert len(list(region_dir(cfg, build).glob("region-*.pickle"))) <= cache.KEEP_REGION


def test_print_base_sheets_stored_with_the_build_draw_the_same_map(built, monkeypatch):
    """`prepare_build` stores the print maps' base sheets; a print map made from a stored sheet is
    the PNG made from a freshly drawn one, and nothing is drawn again."""
    from datetime import UTC, datetime

    from pamgeo.render import printmap

    cfg, build = built
    cache.prepare_build(cfg, build)
    assert len(list(region_dir(cfg, build).glob(f"printbases-*-{cfg.region.language}.pickle"))) == 1
    data = cache.cached_region(cfg, build)
    analysis, _ = cache.cached_analysis(data, build, lang=cfg.region.language)
    code = data.kecamatan_codes()[0]
    moment = datetime(2024, 2, 14, 7, tzinfo=UTC)
    drawn = printmap.png_bytes(printmap.add_analysis(printmap.base_sheet(data, code, lang=cfg.region.language),
                                                     analysis, moment=moment))
    monkeypatch.setattr(printmap, "base_sheet", lambda *a, **k: pytest.fail("drawn again"))
    sheets = cache.print_bases(data, [code], cfg.region.language, build)
    assert sheets[(code, cfg.region.language)].data is data
    assert printmap.png_bytes(printmap.add_analysis(sheets[(code, cfg.region.language)], analysis,
                                                    moment=moment)) == drawn
    # each call gives new sheets: adding the analysis to one leaves the stored ones as they were
    again = cache.print_bases(data, [code], cfg.region.language, build)
    assert again[(code, cfg.region.language)].fig is not sheets[(code, cfg.region.language)].fig


def test_geopackage_from_the_stored_region_layers_equals_one_written_whole(built, tmp_path):
    """A run's GeoPackage starts from the region's layers stored beside the build and adds the
    TPS layers: the same layers, rows and styles as one written whole."""
    import sqlite3

    import geopandas as gpd
    import pyogrio

    from pamgeo.run.tables import write_geopackage

    cfg, build = built
    data = cache.cached_region(cfg, build)
    analysis, _ = cache.cached_analysis(data, build, lang="id")
    whole, fast = tmp_path / "whole.gpkg", tmp_path / "fast.gpkg"
    names = write_geopackage(data, analysis, whole, "id")
    base = cache.region_geopackage(data, analysis, "id", build)
    assert base is not None and base.exists() and cache.region_geopackage(data, analysis, "id", build) == base
    per_run = ("reserve_routes", "pockets", "tps", "police_units", "staging_points")
    assert write_geopackage(data, analysis, fast, "id", base=base) == [n for n in names if n in per_run]
    layers = [n for n, _ in pyogrio.list_layers(whole)]
    assert [n for n, _ in pyogrio.list_layers(fast)] == layers  # in the same order: QGIS draws it
    assert [n for n in layers if n in per_run][-3:] == ["tps", "police_units", "staging_points"]
    assert layers.index("tps") > max(layers.index(n) for n in ("kelurahan", "roads", "flood_hazard") if n in layers)
    for name in set(layers) - {"layer_styles"}:
        a, b = gpd.read_file(whole, layer=name), gpd.read_file(fast, layer=name)
        assert a.equals(b), name

    def styles(path):
        with sqlite3.connect(path) as db:
            return sorted(db.execute("SELECT f_table_name, styleQML FROM layer_styles"))

    assert styles(fast) == styles(whole) and len(styles(whole)) == len(names)
    base.write_bytes(b"damaged")  # a damaged stored file is written again, not copied into runs
    assert cache.region_geopackage(data, analysis, "id", build) == base
    assert {n for n, _ in pyogrio.list_layers(base)} >= {"kelurahan", "kecamatan"}
