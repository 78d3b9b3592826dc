"""The Tangsel analysis per TPS against a reference recorded from the code before the speed work.

Class, score, pocket, rayon and Polsek (all three catchment methods), response time, route
length, flood class, flood access and the reason texts must stay the same TPS by TPS. A change
of definition on purpose re-records the reference (``tests/make_reference.py``) in its own commit.
"""

from __future__ import annotations

import pandas as pd
import pytest
from make_reference import REFERENCE, reference_frame


@pytest.fixture(scope="module")
def tangsel_analysis(tangsel):
    from pamgeo.analysis.pipeline import analyse

    return analyse(tangsel)


def test_reference_recorded():
    assert REFERENCE.exists(), "run tests/make_reference.py"


def test_tangsel_per_tps_matches_reference(tangsel_analysis):
    ref = pd.read_csv(REFERENCE, dtype={"tps_id": str}, keep_default_na=False, na_values=[""])
    now = reference_frame(tangsel_analysis)
    now = pd.read_csv(pd.io.common.StringIO(now.to_csv(index=False)), dtype={"tps_id": str},
                      keep_default_na=False, na_values=[""])  # the same text round trip as the reference
    assert list(now.columns) == list(ref.columns)
    assert len(now) == len(ref) == 3824
    assert (now["tps_id"] == ref["tps_id"]).all()
    for col in ref.columns:
        a, b = now[col], ref[col]
        same = (a == b) | (a.isna() & b.isna())
        bad = ref.loc[~same, "tps_id"]
        assert same.all(), (f"{col}: {len(bad)} TPS differ from the reference, e.g. {list(bad[:3])}: "
                            f"now {list(a[~same][:3])}, reference {list(b[~same][:3])}")


def test_reference_is_not_trivial():
    ref = pd.read_csv(REFERENCE, dtype={"tps_id": str})
    # the reference exercises what it guards: pockets, every class, flooded access, unreachable TPS
    assert ref["pocket_id"].notna().sum() > 100
    assert ref["flood_class"].nunique() == 4
    assert ref["access_cut"].sum() > 0
    assert ref["rayon"].nunique() >= 3
