"""Kemendagri region codes, Sirekap TPS ids and place-name normalisation.

Codes are kept in the dotted Kemendagri form (``32.71.01.1005``) inside pamgeo; the
undotted form (``3271011005``) is the KPU/Sirekap id. A Sirekap TPS id is the 10-digit
kelurahan id followed by the 3-digit TPS number, e.g. ``3271011005010``.
"""

from __future__ import annotations

import re
import unicodedata

# digits per level: provinsi 2, kab/kota 4, kecamatan 6, kelurahan/desa 10
_SPLITS = {2: (2,), 4: (2, 2), 6: (2, 2, 2), 10: (2, 2, 2, 4)}

#: first TPS number of the lokasi khusus series (TPS 901, 902, ...)
KHUSUS_FROM = 901


def normalise_code(value: object) -> str | None:
    """Return the dotted Kemendagri code for ``value``, or ``None`` if it is not one.

    Parameters
    ----------
    value
        A code with or without dots (``"32.71.01.1005"``, ``"3271011005"``, ``3271011005``),
        at provinsi, kab/kota, kecamatan or kelurahan level.

    Examples
    --------
    >>> normalise_code("3271011005")
    '32.71.01.1005'
    >>> normalise_code(" 32.71.01 ")
    '32.71.01'
    >>> normalise_code("Pondok Aren") is None
    True
    """
    if value is None:
        return None
    text = str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():  # numbers read as floats
        text = text[:-2]
    if not re.fullmatch(r"[0-9][0-9.]*", text):
        return None
    digits = text.replace(".", "")
    if "." in text:
        parts = text.split(".")
        if [len(p) for p in parts] != list(_SPLITS.get(len(digits), ())):
            return None
    splits = _SPLITS.get(len(digits))
    if splits is None:
        return None
    out, i = [], 0
    for n in splits:
        out.append(digits[i : i + n])
        i += n
    return ".".join(out)


def undotted(code: str) -> str:
    """``"32.71.01.1005"`` -> ``"3271011005"``."""
    return code.replace(".", "")


def kecamatan_of(kode_kel: str) -> str:
    """Dotted kecamatan code of a dotted kelurahan code."""
    return kode_kel.rsplit(".", 1)[0]


def tps_id(kode_kel: str, tps_no: int) -> str:
    """Sirekap TPS id: 10-digit kelurahan id + 3-digit TPS number.

    >>> tps_id("32.71.01.1005", 10)
    '3271011005010'
    """
    if not 1 <= int(tps_no) <= 999:
        raise ValueError(f"TPS number {tps_no} is outside 1..999")
    return f"{undotted(kode_kel)}{int(tps_no):03d}"


_TPS_LABEL = re.compile(
    r"^\s*(?:(?P<kel>\d{2}\.?\d{2}\.?\d{2}\.?\d{4})(?:\s*[-_/:.]\s*|\s+)?)?"  # kelurahan id
    r"(?:TPS\s*[-.:#]?\s*)?0*(?P<no>\d{1,3})(?:\.0+)?\s*$",                  # TPS number
    re.IGNORECASE,
)


def parse_tps_label(value: object) -> tuple[str | None, int | None]:
    """Kelurahan code and TPS number in a KPU/Sirekap TPS label.

    Accepts a plain number (``"001"``), ``"TPS 001"``, a 13-digit Sirekap id (10-digit kelurahan
    id + 3-digit TPS number) and KPU labels like ``"1661234007-TPS 007"``. Either part is
    ``None`` when the label does not hold it.

    >>> parse_tps_label("1661234007-TPS 007")
    ('16.61.23.4007', 7)
    >>> parse_tps_label("3271011005010")
    ('32.71.01.1005', 10)
    >>> parse_tps_label("TPS 901")
    (None, 901)
    >>> parse_tps_label("001")
    (None, 1)
    >>> parse_tps_label("dua")
    (None, None)
    """
    if value is None:
        return None, None
    m = _TPS_LABEL.match(str(value))
    if m is None:
        return None, None
    kel = normalise_code(m["kel"]) if m["kel"] else None
    return kel, int(m["no"])


def is_khusus(tps_no: int) -> bool:
    """TPS numbers from 901 are lokasi khusus (lapas/rutan, panti, hospitals, pesantren)."""
    return int(tps_no) >= KHUSUS_FROM


_PREFIX_WORDS = re.compile(
    r"^(kelurahan|kel|desa|ds|kecamatan|kec|kota|kabupaten|kab|kp|kampung)\b\.?\s*",
    re.IGNORECASE,
)


def normalise_name(value: object) -> str:
    """Comparable key for an Indonesian place name.

    Case, accents, punctuation, spaces, numeric prefixes ("01 - ", "327101 ") and words like
    "Kelurahan"/"Kec." are dropped, so "RAWA BUNTU", "Rawabuntu" and "Kel. Rawa-Buntu" match.

    >>> normalise_name("01. KEL. JURANG MANGU BARAT")
    'JURANGMANGUBARAT'
    >>> normalise_name("Rawabuntu") == normalise_name("RAWA BUNTU")
    True
    """
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode()
    text = text.strip()
    text = re.sub(r"^[0-9.\s\-_)/:]+", "", text)  # numeric prefixes and codes
    prev = None
    while prev != text:
        prev = text
        text = _PREFIX_WORDS.sub("", text).strip()
    return re.sub(r"[^A-Za-z0-9]", "", text).upper()
