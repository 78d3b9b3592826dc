"""On-disk cache of analysis results, beside the region build.

An analysis (:func:`pamgeo.analysis.pipeline.analyse`) is a pure function of the built region, the
region config, its parameters and pamgeo's own code. Its result is stored in the build folder
under a key made of all of them: the build's input checksums and time, the parameters, the
deployment presets file and a hash of every pamgeo source file. Change any of them and the key
changes, so a stale result is never read; the latest few results are kept.

The region itself is stored the same way (``region-<key>.pickle``): the GeoPackage stays the
build's record (open it in QGIS), the pickle is what a run reads, ten times faster
(:func:`cached_region`).

The region-level half of the analysis (:func:`pamgeo.analysis.prepared.prepare_region`: river
corridors, road graph, road-edge flood classes, catchment areas, the reserve's reach) is stored
the same way, once per region build (``prepared-<key>.pickle``): ``pamgeo data build`` writes it
right after the region (:func:`prepare_build`), and an analysis reads it instead of recomputing it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path

from pamgeo import __version__
from pamgeo.analysis.pipeline import analyse
from pamgeo.analysis.prepared import PreparedRegion, prepare_region
from pamgeo.core.config import RegionConfig
from pamgeo.core.resources import presets_file
from pamgeo.ingest.region import RegionData, load_region, region_dir

KEEP = 4  # results kept per region (one per recent parameter set)
KEEP_PREPARED = 2  # region-level halves kept per region (the current build's and one before)
KEEP_MAP_BASES = 2  # the maps' base layers, likewise
KEEP_REGION = 2  # the region as read from the build, likewise
KEEP_PRINT_BASES = 4  # the print maps' base sheets: two builds' worth, in two languages

# Why not joblib.Memory (or diskcache): they key a call by hashing its arguments, here the whole
# region (GeoDataFrames of TPS, roads, boundaries). Measured on a 3,824-TPS kota: joblib.hash takes
# 0.33 s, on every call, hit or miss; this key, made of the build's input checksums, the parameters
# and a hash of pamgeo's sources, takes 0.05 ms. The pickled result (9 MB) loads in 0.09 s.


# the libraries whose objects the stored files pickle: a new version reads the build afresh
PICKLED_LIBRARIES = ("numpy", "pandas", "geopandas", "shapely", "pyproj", "scipy", "networkx", "matplotlib",
                     "rasterio", "affine", "pydantic", "pyogrio")


@functools.cache
def _code_hash() -> str:
    """Hash of pamgeo's Python sources, the deployment presets and the versions of the libraries
    whose objects are pickled: code or library changes bust the cache."""
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256(__version__.encode())
    for name in PICKLED_LIBRARIES:
        with contextlib.suppress(PackageNotFoundError):
            h.update(f"{name}=={version(name)}".encode())
    package = Path(__file__).resolve().parents[1]  # the pamgeo package
    for path in sorted(package.rglob("*.py")) + [presets_file()]:
        if path.exists():
            h.update(str(path.relative_to(path.parent.parent)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def analysis_key(data: RegionData, params: dict) -> str:
    """Cache key of the analysis of ``data`` with ``params`` (keyword arguments of ``analyse``)."""
    params = {k: v for k, v in params.items() if v is not None}  # None: the config's default
    blob = json.dumps({"inputs": data.meta.get("inputs"), "built_at": data.meta.get("built_at"),
                       "params": params, "code": _code_hash()}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def prepared_key(data: RegionData) -> str:
    """Cache key of the region-level half of ``data``'s analysis: its build and pamgeo's code."""
    blob = json.dumps({"inputs": data.meta.get("inputs"), "built_at": data.meta.get("built_at"),
                       "code": _code_hash()}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _region_key(cfg: RegionConfig, build_dir: Path | None) -> str | None:
    """Key of the stored region of ``cfg``'s build: its inputs and time, the config file's and the
    GeoPackage's size and time and pamgeo's code; None when there is no build to read."""
    folder = region_dir(cfg, build_dir)
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        st = (folder / "region.gpkg").stat()
    except (OSError, ValueError):
        return None
    try:  # the config as well: what load_region takes from it (raster classes, lists) stays current
        cs = Path(cfg.config_path).stat()
        config = [str(cfg.config_path), cs.st_size, cs.st_mtime_ns]
    except (OSError, TypeError):
        config = None
    blob = json.dumps({"inputs": meta.get("inputs"), "built_at": meta.get("built_at"), "config": config,
                       "gpkg": [st.st_size, st.st_mtime_ns], "code": _code_hash()}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def cached_region(cfg: RegionConfig, build_dir: Path | None = None) -> RegionData:
    """:func:`~pamgeo.ingest.region.load_region`, from the pickle stored beside the build when it
    is there (for a kota of 3,800 TPS: 0.03 s against 0.35 s from the GeoPackage), else read and stored.

    The stored region is the one the GeoPackage holds, keyed by the build (:func:`_region_key`):
    a rebuild, a changed GeoPackage or a new pamgeo reads the GeoPackage again. Its ``config``
    is ``cfg``, the config as loaded now.
    """
    key = _region_key(cfg, build_dir)
    if key is None:
        return load_region(cfg, build_dir)  # explains what is missing
    path = region_dir(cfg, build_dir) / f"region-{key}.pickle"
    data = _read(path)
    if isinstance(data, RegionData):
        return dataclasses.replace(data, config=cfg)
    data = load_region(cfg, build_dir)
    _write(data, path, KEEP_REGION)
    return data


def _read(path: Path):
    """The object pickled at ``path``, or None when it is missing or unreadable (then removed)."""
    if not path.exists():
        return None
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except Exception:  # a truncated or foreign file: recompute and replace it
        path.unlink(missing_ok=True)
        return None


def _publish(path: Path, write, keep: int) -> None:
    """Make ``path`` atomically with ``write(tmp_path)``; keep the newest ``keep`` files of its
    kind (the name up to its first ``-``, same suffix) in its folder."""
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    kind = path.name.split("-")[0]
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{kind}-", suffix=f".tmp{path.suffix}")  # a GeoPackage keeps .gpkg
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)  # atomic: readers see the old file set or the complete new one
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    old = sorted(folder.glob(f"{kind}-*{path.suffix}"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in old[keep:]:
        stale.unlink(missing_ok=True)


def _write(obj, path: Path, keep: int) -> None:
    """Pickle ``obj`` to ``path`` atomically; keep the newest ``keep`` files of its kind."""

    def dump(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)

    _publish(path, dump, keep)


def prepared_region(data: RegionData, build_dir: Path | None = None) -> PreparedRegion:
    """The region-level half of ``data``'s analysis: stored beside the build, else computed and stored.

    A region that was not loaded from a build (no ``meta``) gets it computed, not stored.
    """
    if not data.meta.get("inputs"):
        return prepare_region(data)
    path = region_dir(data.config, build_dir) / f"prepared-{prepared_key(data)}.pickle"
    prepared = _read(path)
    if prepared is None:
        prepared = prepare_region(data)
        _write(prepared, path, KEEP_PREPARED)
    return prepared


def prepare_build(cfg: RegionConfig, build_dir: Path | None = None) -> Path:
    """Compute and store the region-level half of the analysis of the region just built.

    Computed from the stored build (as every analysis reads it), so the two always agree.
    Returns the file written.
    """
    data = cached_region(cfg, build_dir)  # and the region itself, stored for the runs to read
    prepared = prepared_region(data, build_dir)
    map_bases(data, {}, build_dir=build_dir, prepared=prepared)  # the maps' base layers, stored the same way
    print_bases(data, data.kecamatan_codes(), cfg.region.language, build_dir)  # and the print maps' bases
    return region_dir(cfg, build_dir) / f"prepared-{prepared_key(data)}.pickle"


def _map_bases_path(data: RegionData, build_dir: Path | None) -> Path:
    return region_dir(data.config, build_dir) / f"mapbases-{prepared_key(data)}.pickle"


def is_map_base_key(key) -> bool:
    """A key of :func:`pamgeo.render.maps.base_layers` in a memo: ``(kode_kec or None, minor_roads)``."""
    return isinstance(key, tuple) and len(key) == 2 and isinstance(key[1], bool)


def map_bases(data: RegionData, memo: dict, codes: list[str] | None = None, build_dir: Path | None = None, *,
              prepared: PreparedRegion | None = None) -> None:
    """Put the base layers of the region's maps into ``memo``: the overview's and those of the
    kecamatan ``codes`` (default all). Like the region-level half of the analysis they depend only
    on the build (and pamgeo's code), so they are stored beside it: read from there when they
    are, drawn and stored when not (a region not loaded from a build: drawn only). Stored ones
    also hold the map's zone layers (``zones``: catchments, isochrones, river corridors, flood
    hazard, :func:`pamgeo.render.webmap_zones.zone_geometries`), cut from the region-level half
    of the analysis (``prepared``, read from beside the build if not given)."""
    from pamgeo.render.maps import base_layers

    wanted = [(None, False)] + [(c, True) for c in (codes if codes is not None else data.kecamatan_codes())]
    stored = data.meta.get("inputs") and not all(k in memo and "zones" in memo[k] for k in wanted)
    if stored:
        memo.update({k: v for k, v in (_read(_map_bases_path(data, build_dir)) or {}).items() if k not in memo})
    missing = [k for k in wanted if k not in memo]
    for code, minor in missing:
        base_layers(data, code, minor_roads=minor, memo=memo)
    no_zones = [k for k in wanted if "zones" not in memo[k]] if stored else []
    if no_zones:  # the zone layers cut to each map's view, from the region-level half of the analysis
        from pamgeo.render.webmap_zones import zone_frames, zone_geometries

        prepared = prepared or prepared_region(data, build_dir)
        frames = zone_frames(prepared.police.areas if prepared.police is not None else {},
                             prepared.flood_corridors, prepared.flood_hazard)
        for key in no_zones:
            memo[key] = {**memo[key], "zones": zone_geometries(frames, memo[key]["view"])}
    if stored and (missing or no_zones):
        _write({k: v for k, v in memo.items() if is_map_base_key(k)}, _map_bases_path(data, build_dir), KEEP_MAP_BASES)


def region_geopackage(data: RegionData, analysis, lang: str, build_dir: Path | None = None) -> Path | None:
    """A GeoPackage of the region's layers with their styles in ``lang``
    (:func:`pamgeo.run.tables.write_geopackage` with ``part="region"``), stored beside the build:
    each run's GeoPackage starts as a copy of it. Written by the first run after a build that
    needs it; None for a region not loaded from a build."""
    if not data.meta.get("inputs"):
        return None
    from pamgeo.run.tables import write_geopackage

    folder = region_dir(data.config, build_dir)
    path = folder / f"gpkgbase-{prepared_key(data)}-{lang}.gpkg"
    if path.exists() and not _readable_gpkg(path):
        path.unlink()  # damaged: written again
    if not path.exists():  # two builds' worth kept, in two languages
        _publish(path, lambda tmp: write_geopackage(data, analysis, tmp, lang, part="region"), KEEP_PREPARED * 2)
    return path


def print_bases(data: RegionData, codes: list[str], lang: str, build_dir: Path | None = None) -> dict:
    """The base sheets of the print maps of the kecamatan ``codes`` in ``lang``
    (:func:`pamgeo.render.printmap.base_sheet`, what a print map draws of the region alone), by
    ``(code, lang)``: each a new copy, ready for :func:`~pamgeo.render.printmap.add_analysis`.

    Like the maps' base layers they depend only on the build, so they are stored beside it
    (``printbases-<key>-<lang>.pickle``, matplotlib figures without the region, which is put
    back on reading): read from there, drawn and stored when missing (a region not loaded from
    a build: drawn only). Reading takes a twentieth of the time of drawing.
    """
    from pamgeo.render.printmap import base_sheet

    stored = bool(data.meta.get("inputs"))
    path = region_dir(data.config, build_dir) / f"printbases-{prepared_key(data)}-{lang}.pickle"
    sheets = (_read(path) or {}) if stored else {}
    missing = [c for c in codes if c not in sheets]
    for code in missing:
        sheets[code] = dataclasses.replace(base_sheet(data, code, lang=lang), data=None)
    if stored and missing:
        _write(sheets, path, KEEP_PRINT_BASES)
    return {(code, lang): dataclasses.replace(sheets[code], data=data) for code in codes}


def _readable_gpkg(path: Path) -> bool:
    import pyogrio

    try:
        return bool(pyogrio.list_layers(path).size)
    except Exception:
        return False


def cached_analysis(data: RegionData, build_dir: Path | None = None, **params):
    """:func:`~pamgeo.analysis.pipeline.analyse` of ``data`` with ``params``, from the cache when it is there.

    Returns ``(analysis, hit)``; ``hit`` tells whether it came from the cache. A region that
    was not loaded from a build (no ``meta``) is analysed without caching.
    """
    if not data.meta.get("inputs"):
        return analyse(data, **params), False
    folder = region_dir(data.config, build_dir)
    path = folder / f"analysis-{analysis_key(data, params)}.pickle"
    result = _read(path)
    if result is not None:
        return result, True
    result = analyse(data, prepared=prepared_region(data, build_dir), **params)
    _write(result, path, KEEP)
    return result, False
