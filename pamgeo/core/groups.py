"""Region groups: a Polda and its Polres members, or the national view, as one YAML file.

A group file (``data/regions/<group>.yml``, top-level key ``group:``) lists the members of a Polda
(each a Polres) with the kab/kota (and, where a Polres takes only part of a kabupaten, the
kecamatan) it polices, and the defaults a member without a region file of its own is generated
from: language, banner, deployment preset, TPS source (KawalPemilu's national counts), the
boundary file pattern. A member area with ``region:`` uses that detailed region file instead.

A member is one or more *areas*; every area is one region run (one briefing folder). The first
area's run is named after the member, the others ``<member>_<kabkota code>`` unless they name
themselves (``id:``).

The national view (``kind: national``) names the national counts, the kab/kota and kecamatan
layers and the preset for personnel per Polda.

Validated on load like :mod:`pamgeo.core.config`: every problem names the file, the key and the fix.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pamgeo.core.codes import normalise_code, undotted
from pamgeo.core.config import (
    KecamatanLayer,
    KelurahanLayer,
    Placement,
    _format_loc,
    load_config,
    resolve_region_path,
)
from pamgeo.core.errors import ConfigError, PamgeoError
from pamgeo.core.presets import presets
from pamgeo.core.resources import raw_dir, resolve_path


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _kabkota(value: str) -> str:
    code = normalise_code(value)
    if code is None or code.count(".") != 1:
        raise ValueError(f"'{value}' is not a kab/kota code like 31.71")
    return code


class Area(_Model):
    """One kab/kota, or the listed kecamatan of it, policed by a member: one region run."""

    kode: str
    kecamatan: list[str] | None = None    # only these kecamatan (codes); default the whole kab/kota
    region: str | None = None             # a detailed region file (name or path) used as it is
    file: str | None = None               # fills {file} of defaults.boundaries.path
    id: str | None = Field(None, pattern=r"^[a-z0-9_\-]+$")
    name: str | None = None               # name on the pages (default: from the boundary file)

    @field_validator("kode")
    @classmethod
    def _kode(cls, value: str) -> str:
        return _kabkota(value)

    @field_validator("kecamatan")
    @classmethod
    def _kec(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        out = []
        for c in value:
            n = normalise_code(c)
            if n is None or n.count(".") != 2:
                raise ValueError(f"'{c}' is not a kecamatan code like 36.03.23")
            out.append(n)
        return out


class Member(_Model):
    """A Polres (or another unit) of the group."""

    id: str = Field(pattern=r"^[a-z0-9_\-]+$")
    polres: str
    areas: list[Area] = Field(min_length=1)
    # per-member overrides merged into the generated region file (e.g. {police: {available: {polres: 900}}})
    overrides: dict[str, Any] = Field(default_factory=dict)


class TpsDefaults(_Model):
    format: Literal["kawalpemilu"] = "kawalpemilu"
    path: str
    election: str = "Pemilu 2024"
    attribution: str | None = None


class Defaults(_Model):
    crs: str | None = None                 # default: the UTM zone of each area
    preset: str  # a name in data/deployment_presets.yml
    peleton_size: int = Field(30, gt=0)
    reserve_peleton: int = Field(1, ge=0)  # per Polres area without a rayon plan of its own
    placement: Placement = Placement(method="uniform")
    tps: TpsDefaults
    boundaries: KelurahanLayer             # path may hold {file}: the area's file
    kecamatan_boundaries: KecamatanLayer | None = None  # used where an area has no kelurahan file


class Reported(_Model):
    """A published figure the group's totals are set against (labelled as reported)."""

    date: str
    source: str
    label: str = ""
    tps: int | None = None
    kurang_rawan: int | None = None
    rawan: int | None = None
    sangat_rawan: int | None = None
    personnel: int | None = None
    polri: int | None = None
    tni: int | None = None


class GroupMeta(_Model):
    id: str = Field(pattern=r"^[a-z0-9_\-]+$")
    name: str
    kind: Literal["polda", "national"] = "polda"
    language: Literal["id", "en"] = "id"
    classification: str = "TERBATAS"
    election: str = "Pemilu 2024"
    measure: Literal["tps", "rawan", "shortfall", "polri_needed", "flood"] = "rawan"  # map shading


class National(_Model):
    """Sources of the national view."""

    tps: TpsDefaults
    kabkota: KecamatanLayer
    kecamatan: KecamatanLayer
    preset: str  # a name in data/deployment_presets.yml
    # Polda per province (2-digit code): default "Polda <province name>"
    polda_names: dict[str, str] = Field(default_factory=dict)
    groups: list[str] = Field(default_factory=list)  # Polda groups whose areas override the province rule


class GroupConfig(_Model):
    group: GroupMeta
    defaults: Defaults | None = None
    members: list[Member] = Field(default_factory=list)
    reported: list[Reported] = Field(default_factory=list)
    available: dict[str, int] = Field(default_factory=dict)  # Polda-level strength (e.g. {polri: 6506})
    national: National | None = None
    config_path: str = ""

    def resolve(self, path: str) -> Path:
        """Absolute path of a path written in this group file."""
        return resolve_path(path, self.config_path)

    def runs(self) -> list[tuple[Member, Area, str]]:
        """``(member, area, run id)`` of every region run, in file order."""
        out = []
        for m in self.members:
            for i, a in enumerate(m.areas):
                out.append((m, a, a.id or (m.id if i == 0 else f"{m.id}_{undotted(a.kode)}")))
        return out


def is_group_file(path: str | os.PathLike[str]) -> bool:
    """True when the YAML file is a group file (top-level ``group:``), not a region file."""
    p = Path(path)
    if not p.is_file():
        return False
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and "group" in data


def find_group(name: str | os.PathLike[str], regions_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """The group file for a name or path, or None when it names a region (or nothing)."""
    try:
        path = resolve_region_path(name, regions_dir)
    except PamgeoError:
        return None
    return path if is_group_file(path) else None


def load_group(name: str | os.PathLike[str], *, regions_dir: str | os.PathLike[str] | None = None,
               check_files: bool = True) -> GroupConfig:
    """Read and validate a group file (by name, as regions are found, or by path).

    Raises
    ------
    ConfigError
        With the file, the key and the fix.
    """
    path = resolve_region_path(name, regions_dir)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(path, "(file)", f"not valid YAML ({exc})", "fix the YAML syntax") from None
    if not isinstance(data, dict) or "group" not in data:
        raise ConfigError(path, "group", "not a group file (no top-level 'group:')",
                          "give a group file, or run it as a region with `pamgeo run REGION`")
    data["config_path"] = str(path)
    try:
        cfg = GroupConfig.model_validate(data)
    except ValidationError as exc:
        errs = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        first = errs[0]
        fix = ("remove it or correct its spelling" if first["type"] == "extra_forbidden"
               else "add this key" if first["type"] == "missing" else "correct the value")
        raise ConfigError(path, _format_loc(first["loc"]), first["msg"],
                          f"{fix} (the group files shipped in data/regions/ show every key)") from None
    _check(path, cfg, regions_dir, check_files)
    return cfg


def _check(path: Path, cfg: GroupConfig, regions_dir, check_files: bool) -> None:
    """Unique ids; no kecamatan policed twice; detailed region files exist and match their area."""
    if cfg.group.kind == "national":
        if cfg.national is None:
            raise ConfigError(path, "national", "a national group needs its sources", "add the national: block")
        _check_preset(path, "national.preset", cfg.national.preset)
        if check_files:
            for key in ("tps", "kabkota", "kecamatan"):
                _exists(path, f"national.{key}.path", cfg.resolve(getattr(cfg.national, key).path))
        return
    if cfg.defaults is None:
        raise ConfigError(path, "defaults", "missing", "add the defaults: block (tps, boundaries, preset)")
    if not cfg.members:
        raise ConfigError(path, "members", "no members", "list the Polres with their kab/kota codes")
    _check_preset(path, "defaults.preset", cfg.defaults.preset)
    _unique(path, "members[].id", [m.id for m in cfg.members])
    _unique(path, "members[].areas[] (run ids)", [r for _, _, r in cfg.runs()])
    whole: dict[str, str] = {}
    parts: dict[str, str] = {}
    for i, m in enumerate(cfg.members):
        for j, a in enumerate(m.areas):
            key = f"members[{i}].areas[{j}]"
            _check_area(path, key, cfg, a, parts, whole, m.id, regions_dir, check_files)


def _check_area(path, key, cfg, a: Area, parts, whole, member: str, regions_dir, check_files) -> None:
    if a.kecamatan is None:
        if a.kode in whole or any(k.startswith(a.kode + ".") for k in parts):
            raise ConfigError(path, key, f"kab/kota {a.kode} is given to two members",
                              "give it to one member, or split it by kecamatan")
        whole[a.kode] = member
    for k in a.kecamatan or []:
        if not k.startswith(a.kode + "."):
            raise ConfigError(path, f"{key}.kecamatan", f"{k} is not a kecamatan of {a.kode}",
                              f"use codes {a.kode}.xx")
        if k in parts or a.kode in whole:
            raise ConfigError(path, f"{key}.kecamatan", f"kecamatan {k} is policed by two members "
                              f"('{parts.get(k, whole.get(a.kode))}' and '{member}')", "give it to one member")
        parts[k] = member
    if a.region:
        try:
            rc = load_config(a.region, regions_dir=regions_dir, check_files=check_files)
        except ConfigError as exc:
            raise ConfigError(path, f"{key}.region", f"its region file is not valid ({exc})",
                              "fix that file or remove region: to generate the member") from None
        if rc.region.kode != a.kode:
            raise ConfigError(path, f"{key}.region", f"'{a.region}' is kab/kota {rc.region.kode}, not {a.kode}",
                              "use the region file of this kab/kota")
    elif check_files:
        d = cfg.defaults
        if a.file is not None:
            _exists(path, f"{key}.file", cfg.resolve(d.boundaries.path.replace("{file}", a.file)))
        elif d.kecamatan_boundaries is None:
            raise ConfigError(path, f"{key}.file", "no kelurahan boundary file and no "
                              "defaults.kecamatan_boundaries", "name the file or add defaults.kecamatan_boundaries")
        else:
            _exists(path, "defaults.kecamatan_boundaries.path", cfg.resolve(d.kecamatan_boundaries.path))
        _exists(path, "defaults.tps.path", cfg.resolve(d.tps.path))


def _unique(path: Path, key: str, values: list[str]) -> None:
    seen = set()
    for v in values:
        if v in seen:
            raise ConfigError(path, key, f"'{v}' appears twice", "give every member and area its own id")
        seen.add(v)


def _check_preset(path: Path, key: str, name: str) -> None:
    if name not in presets():
        raise ConfigError(path, key, f"'{name}' is not a known preset", f"use one of {sorted(presets())}")


def _exists(path: Path, key: str, file: Path) -> None:
    if not file.exists():
        hint = ("set PAMGEO_RAW to the raw bundle folder" if not raw_dir().is_dir()
                else f"correct the path (looked for {file})")
        raise ConfigError(path, key, f"file not found: {file}", hint)
