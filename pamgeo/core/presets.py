"""Deployment patterns (pola pengamanan) as data: named fields, never "2-4-6" strings.

For each TPS class, ``polri`` officers (and ``linmas``) guard a group of ``per_tps`` TPS. The
presets are written down from the sources in the shipped ``data/deployment_presets.yml``;
a region may define its own (``deployment.custom``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import yaml

from pamgeo.core.resources import presets_file
from pamgeo.core.vocabulary import CLASSES

KPU_LINMAS_PER_TPS = 2


@dataclass(frozen=True)
class Pattern:
    """``polri`` Polri (and ``linmas`` Linmas, when given) per group of ``per_tps`` TPS."""

    polri: int
    per_tps: int
    linmas: int | None = None

    def polri_for(self, n_tps: int) -> int:
        return math.ceil(n_tps / self.per_tps) * self.polri if n_tps > 0 else 0

    def linmas_for(self, n_tps: int) -> int:
        if n_tps <= 0:
            return 0
        if self.linmas is None:
            return KPU_LINMAS_PER_TPS * n_tps
        return math.ceil(n_tps / self.per_tps) * self.linmas


@dataclass(frozen=True)
class Preset:
    name: str
    source: str
    kurang_rawan: Pattern
    rawan: Pattern
    sangat_rawan: Pattern
    khusus: Pattern
    note: str = ""

    def pattern(self, cls: str) -> Pattern:
        return getattr(self, cls)


def _preset_from(key: str, d: dict) -> Preset:
    return Preset(d.get("name", key), d.get("source", ""), *(Pattern(**d[c]) for c in CLASSES), d.get("note", ""))


def load_presets(path: Path | None = None) -> dict[str, Preset]:
    """Presets written down in ``deployment_presets.yml`` (default: the shipped file)."""
    path = path or presets_file()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {k: _preset_from(k, v) for k, v in data.items()}


@functools.cache
def presets() -> Mapping[str, Preset]:
    """The shipped presets, read once (a read-only mapping)."""
    return MappingProxyType(load_presets())


def get_preset(name: str | None, custom: dict | None = None) -> Preset:
    """A preset by name, or a user's own from a mapping of class -> {polri, per_tps, linmas}."""
    known = presets()
    if custom:
        try:
            return _preset_from("custom", {"name": "custom", "source": "region config", **custom})
        except (KeyError, TypeError) as exc:
            raise ValueError(f"deployment.custom needs polri/per_tps (and optional linmas) for every class "
                             f"{list(CLASSES)} ({exc})") from None
    if name is None:
        raise ValueError(f"no deployment preset: set deployment.preset to one of {sorted(known)} "
                         "or define deployment.custom in the region config")
    if name not in known:
        raise ValueError(f"unknown deployment preset {name!r}; use one of {sorted(known)} or define deployment.custom")
    return known[name]
