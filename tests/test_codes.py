from __future__ import annotations

import pytest

from pamgeo.core.codes import (
    is_khusus,
    kecamatan_of,
    normalise_code,
    normalise_name,
    parse_tps_label,
    tps_id,
)


@pytest.mark.parametrize("value,expected", [
    ("3674031007", "36.74.03.1007"), ("36.74.03.1007", "36.74.03.1007"), (3674031007, "36.74.03.1007"),
    ("3674031007.0", "36.74.03.1007"), ("367403", "36.74.03"), ("36.74", "36.74"), ("36", "36"),
    ("36.7403.1007", None), ("12345", None), ("Ciputat", None), ("", None), (None, None),
])
def test_normalise_code(value, expected):
    assert normalise_code(value) == expected


def test_tps_id_and_khusus():
    assert tps_id("36.74.06.1006", 901) == "3674061006901"
    assert is_khusus(901) and not is_khusus(900)
    assert kecamatan_of("36.74.06.1006") == "36.74.06"
    with pytest.raises(ValueError):
        tps_id("36.74.06.1006", 1000)


@pytest.mark.parametrize("a,b", [
    ("RAWA BUNTU", "Rawabuntu"), ("JURANG MANGU BARAT", "Jurangmangu Barat"), ("PAKU JAYA", "Pakujaya"),
    ("Kel. Pondok Aren", "PONDOK AREN"), ("3674031005 Pondok Aren", "pondok aren"), ("Kelurahan Serua Indah", "SERUA INDAH"),
])
def test_normalise_name(a, b):
    assert normalise_name(a) == normalise_name(b)


@pytest.mark.parametrize("label,expected", [
    ("1661234007-TPS 007", ("16.61.23.4007", 7)), ("TPS 001", (None, 1)), ("001", (None, 1)),
    ("3674031007010", ("36.74.03.1007", 10)), ("36.74.03.1007.901", ("36.74.03.1007", 901)),
    ("tps-12", (None, 12)), ("7.0", (None, 7)), (7, (None, 7)),
    ("1000", (None, None)), ("3674031007", (None, None)), ("dua", (None, None)), ("", (None, None)), (None, (None, None)),
])
def test_parse_tps_label(label, expected):
    assert parse_tps_label(label) == expected


def test_numeric_prefix_names():
    assert normalise_name("4625-PONDOK AREN") == normalise_name("Pondok Aren")
