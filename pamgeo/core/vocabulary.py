"""pamgeo's vocabulary: TPS risk classes and flood levels, with their labels.

One place for the words every layer uses, so that the analysis, the maps and the tables agree.
"""

from __future__ import annotations

import re

import numpy as np

#: Polri TPS classes of 2024, in rising order; ``khusus`` is a lokasi-khusus TPS
CLASSES = ("kurang_rawan", "rawan", "sangat_rawan", "khusus")
CLASS_ORDER = {c: i for i, c in enumerate(CLASSES)}

#: accepted spellings of official classes (after lower-casing and replacing non-letters by "_")
CLASS_ALIASES = {
    "kurang_rawan": "kurang_rawan", "kurangrawan": "kurang_rawan", "aman": "kurang_rawan",
    "rawan": "rawan", "rawan_1": "rawan", "rawan_i": "rawan", "rawan1": "rawan",
    "sangat_rawan": "sangat_rawan", "sangatrawan": "sangat_rawan", "rawan_2": "sangat_rawan",
    "rawan_ii": "sangat_rawan", "rawan2": "sangat_rawan",
    "khusus": "khusus", "tps_khusus": "khusus", "lokasi_khusus": "khusus",
}

CLASS_LABELS = {
    "id": {"kurang_rawan": "kurang rawan", "rawan": "rawan", "sangat_rawan": "sangat rawan", "khusus": "khusus"},
    "en": {"kurang_rawan": "less vulnerable", "rawan": "vulnerable", "sangat_rawan": "highly vulnerable",
           "khusus": "special location"},
}

#: flood exposure levels, in rising order
FLOOD_LEVELS = ("none", "rendah", "sedang", "tinggi")
FLOOD_RANK = {c: i for i, c in enumerate(FLOOD_LEVELS)}
FLOOD_LABELS = {
    "id": {"none": "tidak ada", "rendah": "rendah", "sedang": "sedang", "tinggi": "tinggi"},
    "en": {"none": "none", "rendah": "low", "sedang": "medium", "tinggi": "high"},
}


def normalise_class(value: object) -> str | None:
    """Official class in pamgeo's vocabulary, ``None`` for empty, ``ValueError`` if unknown.

    >>> normalise_class("Rawan 2"), normalise_class("AMAN"), normalise_class("")
    ('sangat_rawan', 'kurang_rawan', None)
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = re.sub(r"[^a-z0-9]+", "_", str(value).strip().lower()).strip("_")
    if not text:
        return None
    if text not in CLASS_ALIASES:
        raise ValueError(f"unknown TPS class {value!r}; use kurang_rawan, rawan, sangat_rawan or khusus "
                         "(legacy: aman, rawan_1, rawan_2)")
    return CLASS_ALIASES[text]


def class_label(cls: str, lang: str = "id") -> str:
    """A class as the reader sees it.

    >>> class_label("sangat_rawan"), class_label("rawan", "en")
    ('sangat rawan', 'vulnerable')
    """
    return CLASS_LABELS.get(lang, CLASS_LABELS["id"]).get(cls, cls)
