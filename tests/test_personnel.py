"""Deployment presets and the rounding rule."""

from __future__ import annotations

import pandas as pd
import pytest

from pamgeo.analysis.personnel import personnel_by_kelurahan, strength_table, summarise
from pamgeo.core.presets import Pattern, get_preset, presets


def test_rounding_rule_nine_kurang_rawan():
    assert Pattern(2, 8).polri_for(9) == 4      # two groups, a part group gets a full team
    assert Pattern(2, 8).polri_for(8) == 2
    assert Pattern(2, 8).polri_for(0) == 0
    assert Pattern(2, 8).linmas_for(9) == 18    # KPU: 2 Linmas per TPS
    assert Pattern(2, 4, 6).linmas_for(9) == 18  # 3 groups x 6


def _tps(classes: dict[str, dict[str, int]]) -> pd.DataFrame:
    rows = []
    for kel, counts in classes.items():
        for cls, n in counts.items():
            rows += [{"kode_kel": kel, "kelurahan": kel, "kode_kec": kel[:8], "kecamatan": kel[:8], "risk_class": cls}] * n
    return pd.DataFrame(rows)


def test_polres_tangsel_preset_by_kelurahan():
    tps = _tps({"99.01.01.1001": {"kurang_rawan": 9, "rawan": 3, "sangat_rawan": 1, "khusus": 1},
                "99.01.01.1002": {"kurang_rawan": 7}})
    per = personnel_by_kelurahan(tps, presets()["polres_tangsel_pilkada_2024"]).set_index("kode_kel")
    a = per.loc["99.01.01.1001"]
    # 9 KR: ceil(9/8)*2 = 4 ; 3 R: ceil(3/2)*2 = 4 ; 1 SR: 2 ; 1 khusus: 1
    assert (a["polri_kurang_rawan"], a["polri_rawan"], a["polri_sangat_rawan"], a["polri_khusus"]) == (4, 4, 2, 1)
    assert a["polri"] == 11 and a["linmas"] == 28
    assert per.loc["99.01.01.1002", "polri"] == 2
    kec = summarise(per.reset_index(), "kecamatan")
    assert int(kec["polri"].sum()) == 13  # rounded per kelurahan, then summed (not ceil(16/8)*2 = 4 at kota level)


def test_mabes_2019_preset_with_linmas_groups():
    tps = _tps({"99.01.01.1001": {"kurang_rawan": 5, "rawan": 2, "sangat_rawan": 2}})
    per = personnel_by_kelurahan(tps, presets()["mabes_2019"]).iloc[0]
    assert per["polri_kurang_rawan"] == 4 and per["linmas_kurang_rawan"] == 12   # 2 groups of 4
    assert per["polri_rawan"] == 4 and per["linmas_rawan"] == 8
    assert per["polri_sangat_rawan"] == 6 and per["linmas_sangat_rawan"] == 8


def test_custom_preset_and_unknown_name():
    custom = {"name": "Polres Uji", "kurang_rawan": {"polri": 1, "per_tps": 5}, "rawan": {"polri": 2, "per_tps": 1},
              "sangat_rawan": {"polri": 3, "per_tps": 1}, "khusus": {"polri": 1, "per_tps": 1}}
    p = get_preset(None, custom)
    assert p.name == "Polres Uji" and p.kurang_rawan.polri_for(6) == 2
    with pytest.raises(ValueError, match="unknown deployment preset"):
        get_preset("polres_atlantis")
    with pytest.raises(ValueError, match="no deployment preset"):
        get_preset(None)


def test_strength_shortfall():
    per = pd.DataFrame({"polri": [100, 50], "linmas": [40, 20]})
    s = strength_table(per, n_rayon=3, peleton_size=30, available={"polres": 150, "bko": 20, "tni": 10, "linmas": 50})
    s = s.set_index("item")
    assert s.loc["polri_total", "needed"] == 240 and s.loc["polri_total", "available"] == 170
    assert s.loc["polri_total", "shortfall"] == 70 and s.loc["linmas", "shortfall"] == 10
