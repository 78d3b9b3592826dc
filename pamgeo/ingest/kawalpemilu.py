"""KawalPemilu's national TPS counts (``tps2.json`` of github.com/kawalpemilu/kp24) as a TPS source.

The file is ``{"id2name": {id: NAME}, "tps": {idDesa: [n] | [n, k, j]}}``: ids are Kemendagri codes
without dots (2 digits provinsi, 4 kab/kota, 6 kecamatan, 10 desa/kelurahan); ``[n]`` is regular
TPS 1..n, ``[n, k, j]`` adds TPS k..j (901 and up: lokasi khusus). Read as is, filtered by code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pamgeo.core.codes import normalise_code
from pamgeo.core.config import RegionConfig
from pamgeo.core.errors import InputError


@dataclass(frozen=True)
class NationalCounts:
    """The national counts: one row per desa/kelurahan, and the names of every code."""

    path: Path
    tps: pd.DataFrame     # kode_kel, kode_kec, kode_kab, kode_prov (dotted), n_regular, khusus_from, khusus_to, n_tps, row
    names: dict[str, str]  # dotted code -> name as written (upper case KPU spelling)

    def name(self, code: str) -> str:
        return self.names.get(code, code)

    def select(self, kode: str, kecamatan: list[str] | None = None) -> pd.DataFrame:
        """Rows under a kab/kota (or provinsi) code, optionally only the listed kecamatan."""
        level = {2: "kode_prov", 5: "kode_kab", 8: "kode_kec"}[len(kode)]
        out = self.tps[self.tps[level] == kode]
        if kecamatan is not None:
            out = out[out["kode_kec"].isin(kecamatan)]
        return out


def _dotted(ids: pd.Series) -> pd.Series:
    s = ids.astype(str)
    return s.str[:2] + "." + s.str[2:4] + "." + s.str[4:6] + "." + s.str[6:10]


def read_national(path: str | Path) -> NationalCounts:
    """Read ``tps2.json``. Raises :class:`InputError` naming the file and the entry when it cannot."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        entries, id2name = data["tps"], data["id2name"]
    except FileNotFoundError:
        raise InputError(f"{path}: file not found. Fix: set PAMGEO_RAW or the tps path.") from None
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a KawalPemilu tps2.json ({{'id2name', 'tps'}}): {exc}") from None
    ids = pd.Series(list(entries.keys()), dtype=str)
    bad = ~ids.str.fullmatch(r"\d{10}")
    if bad.any():
        raise InputError(f"{path}: tps entry '{ids[bad].iloc[0]}' is not a 10-digit desa id.")
    vals = list(entries.values())
    lens = np.fromiter((len(v) for v in vals), dtype=int, count=len(vals))
    if not np.isin(lens, (1, 3)).all():
        i = int(np.flatnonzero(~np.isin(lens, (1, 3)))[0])
        raise InputError(f"{path}: tps entry '{ids[i]}': {vals[i]!r} is neither [n] nor [n, from, to].")
    n_reg = np.fromiter((v[0] for v in vals), dtype=int, count=len(vals))
    k_from = pd.array([v[1] if len(v) == 3 else pd.NA for v in vals], dtype="Int64")
    k_to = pd.array([v[2] if len(v) == 3 else pd.NA for v in vals], dtype="Int64")
    kel = _dotted(ids)
    frame = pd.DataFrame({
        "kode_kel": kel, "kode_kec": kel.str[:8], "kode_kab": kel.str[:5], "kode_prov": kel.str[:2],
        "n_regular": pd.array(n_reg, dtype="Int64"), "khusus_from": k_from, "khusus_to": k_to,
    })
    frame["n_tps"] = (frame["n_regular"] + (frame["khusus_to"] - frame["khusus_from"] + 1).fillna(0)).astype(int)
    frame["row"] = np.arange(1, len(frame) + 1)
    names = {}
    for code, name in id2name.items():
        dotted = normalise_code(code)
        if dotted is not None:
            names[dotted] = str(name)
    return NationalCounts(path, frame, names)


def read_counts(cfg: RegionConfig) -> pd.DataFrame:
    """Per-kelurahan counts of a region whose TPS source is ``format: kawalpemilu``.

    Same columns as :func:`pamgeo.ingest.io.read_tps_counts`: ``kode_kel, row, n_regular,
    khusus_from, khusus_to``.
    """
    src = cfg.sources.tps
    path = cfg.resolve(src.path)
    counts = read_national(path)
    out = counts.select(cfg.region.kode, getattr(src, "kecamatan", None))
    if out.empty:
        raise InputError(f"{path}: no TPS under {cfg.region.kode}"
                         f"{' in kecamatan ' + ', '.join(src.kecamatan) if getattr(src, 'kecamatan', None) else ''}. "
                         f"Fix: check region.kode and sources.tps.kecamatan in {cfg.config_path}.")
    return out[["kode_kel", "row", "n_regular", "khusus_from", "khusus_to"]].reset_index(drop=True)
