"""What a briefing notebook reads, once per kernel within a run.

The notebooks of ``pamgeo run`` execute one after another in kept kernels (:mod:`pamgeo.run.jobs`).
This module is the kernel side of that speed-up: the region read once (or, in a kernel forked
by the run, kept from the run's process: :func:`keep_region`), the run's analysis read once,
and the maps' base layers read from beside the build once, while the main process computes
the analysis (:func:`prepare_run`). It is the only place that keeps such state; the analysis and render
layers take everything they need as arguments. In JupyterLab (no ``analysis_file``) nothing
is kept: every call reads afresh, the analysis through the cache beside the build.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any, NamedTuple

from pamgeo.analysis.pipeline import Analysis
from pamgeo.core.config import RegionConfig, load_config
from pamgeo.ingest.region import RegionData, region_dir
from pamgeo.run.cache import cached_analysis, cached_region, map_bases


class BriefingInputs(NamedTuple):
    """What a briefing notebook shows."""

    cfg: RegionConfig
    data: RegionData
    lang: str
    analysis: Analysis
    #: memo of the maps' base layers for ``data`` (see :func:`pamgeo.render.maps.base_layers`)
    base_layers: dict


# the inputs of the last briefing notebook of a `pamgeo run` this process (kernel) showed
_RUN_INPUTS: dict[tuple, BriefingInputs] = {}
# the region of that run (by config, build folder and the state of the build's files), and the
# base layers of its maps, drawn ahead by prepare_run
_RUN_REGION: dict[tuple, tuple[RegionConfig, RegionData, dict]] = {}


def _file_state(path) -> tuple:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return (str(path), None)
    return (str(path), st.st_ino, st.st_mtime_ns, st.st_size)


def _kept_key(region, build_dir, cfg: RegionConfig) -> tuple:
    folder = region_dir(cfg, build_dir)
    return (str(region), str(build_dir), _file_state(cfg.config_path), _file_state(folder / "region.gpkg"),
            _file_state(folder / "meta.json"))


def keep_region(region, build_dir, cfg: RegionConfig, data: RegionData) -> None:
    """Keep ``data``, already read by the caller, as the region of a run's notebooks named
    ``(region, build_dir)``: what a kernel forked from a run's main process does first
    (:mod:`pamgeo.run.forked`), so that it starts with the region in memory."""
    _RUN_REGION.clear()
    _RUN_REGION[_kept_key(region, build_dir, cfg)] = (cfg, data, {})


def run_region_data(region, build_dir=None) -> tuple[RegionConfig, RegionData, dict]:
    """``(cfg, data, base_layers memo)`` of a ``pamgeo run``, read once per kernel.

    Read again when the config file or the build (``region.gpkg``, ``meta.json``) changed.
    """
    cfg = load_config(region)
    key = _kept_key(region, build_dir, cfg)
    if key not in _RUN_REGION:
        _RUN_REGION.clear()  # one region at a time
        _RUN_REGION[key] = (cfg, cached_region(cfg, build_dir), {})
    return _RUN_REGION[key]


def prepare_run(region, *, build_dir=None, codes: list[str] | None = None) -> None:
    """Have the region and the base layers of its maps ready ahead of a run's notebooks.

    ``pamgeo run`` has each kernel call it while the main process computes the analysis: the
    notebooks then find the region (:func:`run_region_data`) and the base layers of the
    overview and of the kecamatan ``codes`` (default: all), with their zone layers, read from
    beside the build (drawn and stored there if missing: :func:`pamgeo.run.cache.map_bases`).
    """
    _, data, memo = run_region_data(region, build_dir)
    map_bases(data, memo, codes, build_dir)  # stored beside the build: read, or drawn and stored


def analysis_for(data: RegionData, analysis_file: str | os.PathLike[str] | None = None, *,
                 build_dir=None, **params: Any) -> Analysis:
    """The analysis a run already computed (``analysis_file``, written by the runner for its
    notebooks), else :func:`~pamgeo.analysis.pipeline.analyse` with ``params`` through the cache
    beside the build (:mod:`pamgeo.run.cache`): instant in JupyterLab after a run."""
    if analysis_file and Path(analysis_file).exists():
        with open(analysis_file, "rb") as fh:
            return pickle.load(fh)
    return cached_analysis(data, build_dir, **params)[0]


def briefing_inputs(region, *, build_dir=None, analysis_file: str | None = None, language: str | None = None,
                    **params: Any) -> BriefingInputs:
    """What a briefing notebook shows: config, region, language, analysis, base-layer memo.

    ``params`` are those of :func:`~pamgeo.analysis.pipeline.analyse` (eps_m, min_samples,
    preset, catchment_method). Inside ``pamgeo run`` (``analysis_file`` set) the result is kept
    for the next notebook the same kernel runs: every page of a run shows the same inputs, read
    once per kernel (the region usually before the first notebook, by :func:`prepare_run`).
    Without ``analysis_file`` (JupyterLab) everything is read afresh on every call.
    """
    key = None
    if analysis_file:
        stat = os.stat(analysis_file)
        key = (str(region), str(build_dir), str(analysis_file), stat.st_mtime_ns, stat.st_size, language,
               tuple(sorted(params.items())))
        if key in _RUN_INPUTS:
            return _RUN_INPUTS[key]
        cfg, data, memo = run_region_data(region, build_dir)
    else:
        cfg = load_config(region)
        data, memo = cached_region(cfg, build_dir), {}
    lang = language or cfg.region.language
    result = analysis_for(data, analysis_file, build_dir=build_dir, lang=lang, **params)
    out = BriefingInputs(cfg, data, lang, result, memo)
    if key is not None:
        _RUN_INPUTS.clear()  # one run's inputs at a time
        _RUN_INPUTS[key] = out
    return out
