"""Region configuration: one YAML file per kota/kabupaten or Polres area.

A region file describes where every input layer lives and how its columns are named, the
metric CRS, the report language and classification banner, the police units and rayons, and
the deployment preset. Nothing region-specific lives in the code. The file is validated on
load; every problem names the file, the key and the fix.

Paths may start with ``{raw}`` (the raw public bundle, ``PAMGEO_RAW``) or ``{project}`` (this
repository); other relative paths are relative to the config file.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pyproj import CRS
from pyproj.exceptions import CRSError

from pamgeo.core.codes import normalise_code
from pamgeo.core.errors import ConfigError
from pamgeo.core.presets import presets
from pamgeo.core.resources import raw_dir, regions_dirs, resolve_path


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceFile(_Model):
    """A vector or table file, with an optional layer (GeoPackage) and text encoding."""

    path: str
    layer: str | None = None
    encoding: str | None = None
    attribution: str | None = None


class KelurahanLayer(SourceFile):
    code_column: str
    name_column: str
    kecamatan_name_column: str | None = None


class KecamatanLayer(SourceFile):
    code_column: str
    name_column: str


class Boundaries(_Model):
    kelurahan: KelurahanLayer
    kecamatan: KecamatanLayer | None = None


class Placement(_Model):
    """How TPS without coordinates are placed (see :mod:`pamgeo.ingest.estimate`)."""

    method: Literal["streets", "uniform"] = "streets"
    seed: int = 20240214
    min_spacing_m: float = Field(40.0, gt=0)
    offset_m: tuple[float, float] = (6.0, 20.0)
    road_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "residential": 1.0,
            "living_street": 1.0,
            "unclassified": 0.6,
            "service": 0.4,
            "tertiary": 0.4,
            "secondary": 0.15,
        }
    )


class TpsCounts(SourceFile):
    """Per-kelurahan TPS counts (KPU / KawalPemilu); positions are estimated."""

    format: Literal["counts"]
    kelurahan_code_column: str = "kode_kel"
    regular_column: str = "n_tps_reguler"
    khusus_from_column: str | None = "tps_khusus_from"
    khusus_to_column: str | None = "tps_khusus_to"
    election: str = "Pemilu 2024"
    placement: Placement = Placement()


class TpsKawalPemilu(SourceFile):
    """KawalPemilu's national TPS counts (``tps2.json``), filtered to the region's kab/kota code
    (and ``kecamatan``, when the region is part of a kabupaten); positions are estimated."""

    format: Literal["kawalpemilu"]
    kecamatan: list[str] | None = None
    election: str = "Pemilu 2024"
    placement: Placement = Placement()

    @field_validator("kecamatan")
    @classmethod
    def _kec(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        out = [normalise_code(c) for c in value]
        for c, n in zip(value, out, strict=True):
            if n is None or n.count(".") != 2:
                raise ValueError(f"'{c}' is not a kecamatan code like 32.71.01")
        return out


class TpsList(SourceFile):
    """A per-TPS list (CSV, XLSX, JSON, GeoJSON, GeoPackage) with coordinates.

    ``encoding`` (CSV/JSON) is detected when left out: UTF-8 (with or without BOM), cp1252 or Latin-1.
    """

    format: Literal["list"]
    columns: dict[str, str] = Field(default_factory=dict)
    election: str = "Pemilu 2024"
    class_date: str | None = None       # date of the official risk classes in the list
    class_authority: str | None = None  # who issued them (e.g. "Polres ...")


class Roads(SourceFile):
    class_column: str = "fclass"
    name_column: str | None = "name"
    bridge_column: str | None = "bridge"          # OSM bridge flag (T/F, yes/no, 1/0)
    speeds_kmh: dict[str, float] | None = None   # per road class; None: pamgeo.analysis.network defaults
    node_precision_m: float = Field(2.0, gt=0)   # vertices closer than this are one junction
    access_kmh: float = Field(10.0, gt=0)        # from the road to a TPS off the network


class Waterways(SourceFile):
    name_column: str | None = "name"
    class_column: str | None = None
    rename: dict[str, str] = Field(default_factory=dict)


class FloodProneList(SourceFile):
    """Flood-prone locations without coordinates (e.g. BPBD lists via news), by kelurahan code."""

    kelurahan_code_column: str = "kode_kel_kemendagri"
    name_column: str = "lokasi"
    kind_column: str | None = "record_type"
    date_column: str | None = "source_date"


class PolicePosts(SourceFile):
    """Police units table: CSV with ``unit, level`` and either ``lat, lon`` or ``kode_kel``."""


class ClassificationSource(SourceFile):
    """An official TPS classification list (Polri's "TPS rawan" list): CSV, XLSX or JSON, one TPS a row.

    A row names its TPS by ``tps_id`` (13-digit Sirekap id or a KPU label like
    ``1661234007-TPS 007``) or by ``kelurahan`` (code or name) + ``tps_no``, and gives its class
    (kurang rawan, rawan, sangat rawan, khusus; legacy aman, rawan 1, rawan 2). ``date`` (ISO) and
    ``authority`` apply to rows without a date/authority column of their own. ``columns`` maps
    ``tps_id``, ``kelurahan``, ``kecamatan``, ``tps_no``, ``class``, ``date``, ``authority`` to
    the file's column names when they are not recognised (see :mod:`pamgeo.ingest.classifications`).
    With several lists, the latest date wins per TPS.
    """

    date: str | None = None
    authority: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)

    @field_validator("date")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        if value is None:
            return None
        import datetime as _dt

        try:
            return _dt.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValueError(f"'{value}' is not a date like 2024-02-13 (ISO: year-month-day)") from None

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: dict[str, str]) -> dict[str, str]:
        known = ("tps_id", "kelurahan", "kecamatan", "tps_no", "class", "date", "authority")
        for key in value:
            if key not in known:
                raise ValueError(f"unknown column key '{key}'; use {', '.join(known)}")
        return value


class Sources(_Model):
    boundaries: Boundaries
    tps: Annotated[TpsCounts | TpsList | TpsKawalPemilu, Field(discriminator="format")]
    roads: Roads | None = None
    waterways: list[Waterways] = Field(default_factory=list)
    police_posts: PolicePosts | None = None
    flood_prone: FloodProneList | None = None
    # official TPS classification lists (Polri), each dated; the latest date wins per TPS
    classifications: list[ClassificationSource] = Field(default_factory=list)


FloodClass = Literal["rendah", "sedang", "tinggi"]


class FloodLakes(SourceFile):
    """Situ/lake polygons, or a CSV of ``lat, lon, area_ha`` (drawn as circles of that area)."""

    name_column: str = "name"


class FloodEvents(SourceFile):
    """Observed flood points (e.g. PetaBencana reports), with depth in cm when known."""

    depth_column: str | None = "flood_depth_cm"
    date_column: str | None = "created_at"


class FloodPolygons(SourceFile):
    """Hazard polygons ("rawan banjir" layers): a class column mapped to rendah/sedang/tinggi, or one class."""

    class_column: str | None = None
    class_map: dict[str, FloodClass] = Field(default_factory=dict)
    fixed_class: FloodClass | None = None
    label: str = "poligon rawan banjir"


class FloodRaster(SourceFile):
    """A hazard raster: an index 0-1 (InaRISK; classes cut at ``breaks``) or depths in metres."""

    kind: Literal["index", "depth"]
    breaks: tuple[float, float, float] | None = None  # lower bounds of rendah, sedang, tinggi
    label: str = "model banjir"


class Flood(_Model):
    """Flood evidence layers (each optional) and how they are classed (see :mod:`pamgeo.analysis.flood`)."""

    corridor_bands_m: tuple[float, float, float] = (50.0, 150.0, 300.0)  # tinggi, sedang, rendah
    lake_buffer_m: float = Field(100.0, ge=0)
    event_radius_m: float = Field(200.0, ge=0)
    raster_buffer_m: float = Field(50.0, ge=0)
    kelurahan_bump: bool = True   # BPBD-listed kelurahan raise corridor evidence one class
    # a road is closed only on depth evidence (events, polygons, rasters): corridor evidence
    # alone makes a road edge at most this class
    road_corridor_max: FloodClass = "sedang"
    # a detour around flooded roads is reported ("jalan memutar") when it adds more than this
    detour_report_min: float = Field(5.0, ge=0)
    lakes: list[FloodLakes] = Field(default_factory=list)
    events: list[FloodEvents] = Field(default_factory=list)
    polygons: list[FloodPolygons] = Field(default_factory=list)
    rasters: list[FloodRaster] = Field(default_factory=list)


class Rayon(_Model):
    name: str
    polsek: list[str]
    staging: str


class Police(_Model):
    polres: str
    coverage: dict[str, list[str]] = Field(default_factory=dict)
    rayons: list[Rayon] = Field(default_factory=list)
    peleton_size: int = Field(30, gt=0)
    # personnel available by source (Polres, BKO, TNI, Linmas, ...)
    available: dict[str, int] = Field(default_factory=dict)
    catchment_method: Literal["administrative", "voronoi", "travel_time"] = "administrative"
    response_min: float = Field(15.0, gt=0)      # rawan TPS beyond this reserve time are flagged
    isochrone_min: list[float] = Field(default_factory=lambda: [5.0, 10.0, 15.0])
    # kecamatan outside the kota that the Polres covers (boundaries for the coverage codes)
    outside_kecamatan: KecamatanLayer | None = None

    @field_validator("coverage")
    @classmethod
    def _codes(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        out = {}
        for unit, codes in value.items():
            norm = []
            for c in codes:
                n = normalise_code(c)
                if n is None or n.count(".") != 2:
                    raise ValueError(f"'{c}' under '{unit}' is not a kecamatan code like 32.71.01")
                norm.append(n)
            out[unit] = norm
        return out


class RegionMeta(_Model):
    id: str = Field(pattern=r"^[a-z0-9_\-]+$")
    name: str
    kode: str
    crs: str
    language: Literal["id", "en"] = "id"
    classification: str = "TERBATAS"
    tolerance_m: float = Field(500.0, ge=0)
    kelurahan_tolerance_m: float = Field(150.0, ge=0)
    # a per-TPS list's rows with errors: estimate (keep known TPS, estimate unusable positions),
    # stop (the build stops), drop (left out); whatever the policy, every page gives the account
    on_invalid: Literal["estimate", "stop", "drop"] = "estimate"

    @field_validator("kode")
    @classmethod
    def _kode(cls, value: str) -> str:
        code = normalise_code(value)
        if code is None or code.count(".") != 1:
            raise ValueError(f"'{value}' is not a kab/kota code like 32.71")
        return code

    @field_validator("crs")
    @classmethod
    def _crs(cls, value: str) -> str:
        try:
            crs = CRS.from_user_input(value)
        except CRSError as exc:
            raise ValueError(f"'{value}' is not a CRS pyproj knows ({exc})") from None
        if not crs.is_projected or crs.axis_info[0].unit_name not in ("metre", "meter"):
            raise ValueError(f"'{value}' is not a projected CRS in metres (use the UTM zone)")
        return value


class RiskParams(_Model):
    """Computed TPS risk: indicator ramps, weights and class thresholds (see :mod:`pamgeo.analysis.risk`)."""

    weights: dict[Literal["waterway", "flood_kelurahan", "police_distance", "crowding", "khusus", "voters"],
                  float] = Field(default_factory=lambda: {
        "waterway": 0.30, "flood_kelurahan": 0.25, "police_distance": 0.20, "crowding": 0.15,
        "khusus": 0.10, "voters": 0.0,
    })
    waterway_m: tuple[float, float] = (100.0, 400.0)       # indicator 1 at or below, 0 at or above
    police_km: tuple[float, float] = (1.5, 4.0)            # indicator 0 at or below, 1 at or above
    crowding_radius_m: float = Field(200.0, gt=0)
    crowding_n: tuple[float, float] = (4.0, 12.0)          # other TPS within the radius: 0 .. 1
    voters: tuple[float, float] = (250.0, 300.0)           # DPT per TPS: 0 .. 1 (when known)
    thresholds: dict[Literal["rawan", "sangat_rawan"], float] = Field(
        default_factory=lambda: {"rawan": 0.72, "sangat_rawan": 0.80})

    @field_validator("thresholds")
    @classmethod
    def _order(cls, value: dict[str, float]) -> dict[str, float]:
        if set(value) != {"rawan", "sangat_rawan"} or not 0 < value["rawan"] < value["sangat_rawan"] <= 1:
            raise ValueError("need 0 < rawan < sangat_rawan <= 1")
        return value


class ClusterParams(_Model):
    """DBSCAN pockets of risk (see :mod:`pamgeo.analysis.pockets`)."""

    eps_m: float = Field(300.0, gt=0)
    min_samples: int = Field(6, ge=1)
    risk_tolerance: float | None = Field(0.25, ge=0)
    min_score: float = Field(0.60, ge=0, le=1)
    metric: Literal["haversine", "projected"] = "haversine"
    class_weights: dict[str, float] = Field(default_factory=lambda: {
        "kurang_rawan": 1.0, "rawan": 2.0, "sangat_rawan": 3.0, "khusus": 1.0})
    max_neighbours: int = Field(50_000_000, gt=0)
    hull_buffer_m: float = Field(75.0, ge=0)


class Deployment(_Model):
    preset: str | None = None
    # a user's own pattern: {kurang_rawan: {polri: 2, per_tps: 8, linmas: null}, rawan: ..., ...}
    custom: dict | None = None


class RegionConfig(_Model):
    """A validated region configuration. Build it with :func:`load_config`."""

    region: RegionMeta
    sources: Sources
    police: Police | None = None
    deployment: Deployment = Deployment()
    risk: RiskParams = RiskParams()
    cluster: ClusterParams = ClusterParams()
    flood: Flood = Flood()
    # where the file was read from; set by load_config
    config_path: str = ""

    def resolve(self, path: str) -> Path:
        """Absolute path of a path written in this config (:func:`pamgeo.core.resources.resolve_path`)."""
        return resolve_path(path, self.config_path)

    def source_files(self) -> dict[str, Path]:
        """Every input file this region reads, by config key."""
        s = self.sources
        files = {"sources.boundaries.kelurahan.path": self.resolve(s.boundaries.kelurahan.path)}
        if s.boundaries.kecamatan:
            files["sources.boundaries.kecamatan.path"] = self.resolve(s.boundaries.kecamatan.path)
        files["sources.tps.path"] = self.resolve(s.tps.path)
        if s.roads:
            files["sources.roads.path"] = self.resolve(s.roads.path)
        for i, w in enumerate(s.waterways):
            files[f"sources.waterways[{i}].path"] = self.resolve(w.path)
        if s.police_posts:
            files["sources.police_posts.path"] = self.resolve(s.police_posts.path)
        if s.flood_prone:
            files["sources.flood_prone.path"] = self.resolve(s.flood_prone.path)
        for i, c in enumerate(s.classifications):
            files[f"sources.classifications[{i}].path"] = self.resolve(c.path)
        fl = self.flood
        for name in ("lakes", "events", "polygons", "rasters"):
            for i, item in enumerate(getattr(fl, name)):
                files[f"flood.{name}[{i}].path"] = self.resolve(item.path)
        if self.police and self.police.outside_kecamatan:
            files["police.outside_kecamatan.path"] = self.resolve(self.police.outside_kecamatan.path)
        return files

    def attributions(self) -> list[str]:
        """Attribution lines of every configured source, without repeats, in config order."""
        s = self.sources
        items: list[SourceFile | None] = [
            s.boundaries.kelurahan,
            s.boundaries.kecamatan,
            s.tps,
            s.roads,
            *s.waterways,
            s.police_posts,
            s.flood_prone,
            *s.classifications,
            *self.flood.lakes, *self.flood.events, *self.flood.polygons, *self.flood.rasters,
        ]
        out: list[str] = []
        for item in items:
            if item is not None and item.attribution and item.attribution not in out:
                out.append(item.attribution)
        return out


def _format_loc(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int):
            parts[-1:] = [f"{parts[-1]}[{p}]"] if parts else [f"[{p}]"]
        elif p in ("TpsCounts", "TpsList", "TpsKawalPemilu", "counts", "list", "kawalpemilu"):
            continue
        else:
            parts.append(str(p))
    return ".".join(parts)


def _fix_for(err: dict[str, Any]) -> str:
    kind = err["type"]
    if kind == "missing":
        return "add this key"
    if kind == "extra_forbidden":
        return "remove it or correct its spelling (the region files shipped in data/regions/ show every key)"
    if kind.startswith("literal") or kind == "union_tag_invalid":
        return f"use one of the allowed values ({err.get('ctx', {}).get('expected', '')})"
    return "correct the value"


def known_regions(regions_dir: str | os.PathLike[str] | None = None) -> dict[str, Path]:
    """Every region name that can be given by name, with its file (first folder wins).

    Folders: ``regions_dir`` (``--regions-dir``), ``PAMGEO_REGIONS``, the shipped regions.
    """
    found: dict[str, Path] = {}
    for folder in regions_dirs(regions_dir):
        for path in sorted(folder.glob("*.yml")):
            found.setdefault(path.stem, path)
    return found


def resolve_region_path(region: str | os.PathLike[str], regions_dir: str | os.PathLike[str] | None = None) -> Path:
    """A region name -> ``<name>.yml`` in the region folders (:func:`known_regions`); a path is
    returned as it is."""
    text = str(region)
    p = Path(text)
    if p.suffix in (".yml", ".yaml") or p.exists():
        return p.resolve()
    known = known_regions(regions_dir)
    if text not in known:
        folders = ", ".join(str(d) for d in regions_dirs(regions_dir))
        raise ConfigError(
            Path(f"{text}.yml"),
            "(file)",
            f"no region named '{text}' in {folders}",
            f"use one of {sorted(known)}, give the path of a region .yml file, or name its folder "
            "with --regions-dir / PAMGEO_REGIONS",
        )
    return known[text]


def load_config(region: str | os.PathLike[str], *, check_files: bool = True,
                regions_dir: str | os.PathLike[str] | None = None) -> RegionConfig:
    """Read and validate a region file.

    Parameters
    ----------
    region
        Region name (see :func:`known_regions`) or a path to a ``.yml`` file.
    check_files
        Also check that every input file exists.

    Raises
    ------
    ConfigError
        With the file, the key and the fix.
    """
    path = resolve_region_path(region, regions_dir)
    data = _read_yaml(path)
    data["config_path"] = str(path)
    cfg = _validate_model(path, data)
    if cfg.police:
        _check_police(path, cfg.police)
    _check_deployment(path, cfg.deployment)
    if check_files:
        _check_files(path, cfg)
    return cfg


def _read_yaml(path: Path) -> dict:
    """The region file's top-level mapping."""
    if not path.exists():
        raise ConfigError(path, "(file)", "file not found", "check the path")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(unknown)"
        raise ConfigError(path, where, f"not valid YAML ({exc})", "fix the YAML syntax") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(path, "(file)", f"not UTF-8 text ({exc})", "save it as UTF-8") from None
    if not isinstance(data, dict):
        raise ConfigError(path, "(top level)", "expected a mapping of keys", "see the region files in data/regions/")
    return data


def _validate_model(path: Path, data: dict) -> RegionConfig:
    """:class:`RegionConfig` from the file's data; the first problem (and the others) as a ConfigError."""
    try:
        return RegionConfig.model_validate(data)
    except ValidationError as exc:
        # a misspelt key first: it also explains the "Field required" of the key it was meant to be
        errs = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        first = errs[0]
        key = _format_loc(first["loc"])
        others = "; ".join(f"'{_format_loc(e['loc'])}': {_message(e)}" for e in errs[1:])
        problem = _message(first) + (f" (also: {others})" if others else "")
        raise ConfigError(path, key, problem, _fix_for(first)) from None


def _message(err: dict[str, Any]) -> str:
    """pydantic's message, or for an unknown key the nearest valid key at that level."""
    if err["type"] != "extra_forbidden" or not err["loc"] or not isinstance(err["loc"][-1], str):
        return err["msg"]
    name = err["loc"][-1]
    valid = sorted({f for m in _models_at(err["loc"][:-1]) for f in m.model_fields if f != "config_path"})
    near = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    if near:
        return f"unknown key '{name}'; did you mean '{near[0]}'?"
    return f"unknown key '{name}' (valid keys here: {', '.join(valid)})" if valid else f"unknown key '{name}'"


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold (through Optional, list, Annotated unions)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def _models_at(loc: tuple[Any, ...]) -> list[type[BaseModel]]:
    """The model(s) whose keys sit at ``loc`` (a pydantic error location) in a region file."""
    models: list[type[BaseModel]] = [RegionConfig]
    for part in loc:
        if isinstance(part, int):
            continue
        # a discriminated union names the chosen member by its tag (sources.tps.list...)
        tagged = [m for m in models if "format" in m.model_fields
                  and part in get_args(m.model_fields["format"].annotation)]
        if tagged:
            models = tagged
            continue
        models = [sub for m in models if part in m.model_fields for sub in _models_in(m.model_fields[part].annotation)]
    return models


def _check_police(path: Path, police: Police) -> None:
    """Each kecamatan covered once; rayons name units listed under coverage."""
    # a Polres area may reach outside the kota (coverage codes of another kab/kota are fine)
    seen: dict[str, str] = {}
    for unit, codes in police.coverage.items():
        for c in codes:
            if c in seen:
                raise ConfigError(path, "police.coverage", f"kecamatan {c} is covered by both '{seen[c]}' "
                                  f"and '{unit}'", "give each kecamatan to one Polsek")
            seen[c] = unit
    units = set(police.coverage)
    if not units:
        return
    for i, r in enumerate(police.rayons):
        if r.staging not in units and r.staging != police.polres:
            raise ConfigError(
                path, f"police.rayons[{i}].staging", f"'{r.staging}' is not a unit under police.coverage",
                f"use one of {sorted(units)} or the Polres ('{police.polres}')",
            )
        for p in r.polsek:
            if p not in units:
                raise ConfigError(
                    path,
                    f"police.rayons[{i}].polsek",
                    f"'{p}' is not a unit listed under police.coverage",
                    f"add '{p}' to police.coverage or use one of {sorted(units)}",
                )


def _check_deployment(path: Path, dep: Deployment) -> None:
    known = presets()
    if dep.custom is None and dep.preset not in known:
        raise ConfigError(path, "deployment.preset",
                          f"{'missing' if dep.preset is None else repr(dep.preset) + ' is not a known preset'}",
                          f"use one of {sorted(known)} (data/deployment_presets.yml) or write deployment.custom")


def _check_files(path: Path, cfg: RegionConfig) -> None:
    for key, file in cfg.source_files().items():
        if not file.exists():
            raise ConfigError(path, key, f"file not found: {file}", _missing_file_hint(cfg, key, file))


def _missing_file_hint(cfg: RegionConfig, key: str, file: Path) -> str:
    """What to do about a missing input file: the folder it was looked for in and its nearest names.

    PAMGEO_RAW is named only when the path is under ``{raw}`` and the raw folder itself is missing.
    """
    raw = raw_dir()
    if _raw_key_value(cfg, key).startswith("{raw}") and not raw.is_dir():
        return f"set PAMGEO_RAW to the raw bundle folder (now {raw}, which does not exist)"
    folder = file.parent
    while not folder.is_dir() and folder != folder.parent:
        folder = folder.parent
    wanted = file.parts[len(folder.parts)] if len(file.parts) > len(folder.parts) else file.name
    entries = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    near = difflib.get_close_matches(wanted, entries, n=3, cutoff=0.5)
    if near:
        return f"correct the path: there is no '{wanted}' in {folder}; nearest: {', '.join(near)}"
    if entries:
        shown = ", ".join(entries[:8]) + (f", ... ({len(entries)} in all)" if len(entries) > 8 else "")
        return f"correct the path: there is no '{wanted}' in {folder}, which holds {shown}"
    return f"correct the path: there is no '{wanted}' in {folder} (the folder is empty)"


def _raw_key_value(cfg: RegionConfig, key: str) -> str:
    node: Any = cfg
    for part in key.split("."):
        if "[" in part:
            name, idx = part[:-1].split("[")
            node = getattr(node, name)[int(idx)]
        else:
            node = getattr(node, part)
    return str(node)
