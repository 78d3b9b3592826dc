"""Personnel plotting: how many Polri and Linmas the deployment pattern needs, against strength.

Patterns (pola pengamanan) are data with named fields, never "2-4-6" strings: for each TPS class,
``polri`` officers (and ``linmas``) guard a group of ``per_tps`` TPS. Sources order the numbers
differently; the presets live in :mod:`pamgeo.core.presets`.

Rounding rule: TPS are grouped **within a kelurahan** (a patrol covers neighbouring TPS, not TPS
across the kota), and a part group needs a full team: ``ceil(n_tps / per_tps) * polri``. So 9
kurang rawan TPS at 2 Polri per 8 TPS need 2 groups = 4 Polri. Kecamatan, rayon and kota totals
are sums of kelurahan figures. Linmas follow the same rule when a pattern gives Linmas per group;
otherwise KPU's 2 Linmas per TPS (PKPU 8/2022) apply. Each rayon adds one reserve peleton
(``police.peleton_size``, default 30).
"""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from pamgeo.core.presets import Preset
from pamgeo.core.vocabulary import CLASSES


def personnel_by_kelurahan(tps: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """TPS and personnel needed per kelurahan and class (the rounding unit)."""
    keys = ["kode_kel", "kelurahan", "kode_kec", "kecamatan"] + (["rayon"] if "rayon" in tps else [])
    counts = pd.crosstab([tps[k].fillna("-") for k in keys], tps["risk_class"]).reindex(columns=list(CLASSES), fill_value=0)
    out = counts.reset_index()
    out.columns.name = None
    for cls in CLASSES:
        pat = preset.pattern(cls)
        out[f"polri_{cls}"] = out[cls].map(pat.polri_for)
        out[f"linmas_{cls}"] = out[cls].map(pat.linmas_for)
    out = out.rename(columns={c: f"tps_{c}" for c in CLASSES})
    out["tps"] = out[[f"tps_{c}" for c in CLASSES]].sum(axis=1)
    out["polri"] = out[[f"polri_{c}" for c in CLASSES]].sum(axis=1)
    out["linmas"] = out[[f"linmas_{c}" for c in CLASSES]].sum(axis=1)
    return out


def summarise(by_kel: pd.DataFrame, by: str) -> pd.DataFrame:
    """Sum kelurahan figures per ``kecamatan`` or ``rayon``."""
    keys = ["kode_kec", "kecamatan"] if by == "kecamatan" else ["rayon"]
    num = [c for c in by_kel.columns if c.startswith(("tps", "polri", "linmas"))]
    return by_kel.groupby(keys, as_index=False)[num].sum()


def strength_table(by_kel: pd.DataFrame, *, n_rayon: int, peleton_size: int, available: dict[str, int]) -> pd.DataFrame:
    """Needed against available: Polri at TPS + reserve peleton per rayon; Linmas; shortfall."""
    polri_tps = int(by_kel["polri"].sum())
    reserve = n_rayon * peleton_size
    linmas = int(by_kel["linmas"].sum())
    avail_polri = sum(v for k, v in available.items() if k.lower() not in ("tni", "linmas"))
    rows = [
        {"item": "polri_tps", "needed": polri_tps, "available": None},
        {"item": "reserve_peleton", "needed": reserve, "available": None},
        {"item": "polri_total", "needed": polri_tps + reserve, "available": avail_polri or None},
        {"item": "tni", "needed": None, "available": available.get("tni")},
        {"item": "linmas", "needed": linmas, "available": available.get("linmas")},
    ]
    out = pd.DataFrame(rows)
    out["shortfall"] = [
        (max(0, r["needed"] - r["available"]) if r["needed"] is not None and r["available"] is not None else None)
        for r in rows
    ]
    return out


def preset_table(preset: Preset) -> pd.DataFrame:
    """The preset as a table a reader can check the arithmetic against."""
    return pd.DataFrame([{"class": c, **asdict(preset.pattern(c))} for c in CLASSES])
