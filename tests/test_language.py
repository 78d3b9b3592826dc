"""One language per briefing: an Indonesian report shows no English phrase of the catalogue, and
an English report no Indonesian one (pages, their maps and the Excel headers)."""

from __future__ import annotations

import html
import json
import re

import pytest
from openpyxl import load_workbook

from pamgeo.core.i18n import LABELS
from pamgeo.render.maps import embedded_documents
from pamgeo.run.runner import run_region

pytestmark = pytest.mark.slow


def _phrases(lang: str) -> set[str]:
    """Catalogue phrases of ``lang`` that cannot be mistaken for the other language or for code:
    several words, different from the other language's text, and not inside any of its entries."""
    other = "en" if lang == "id" else "id"
    others = " | ".join(e.get(other, "") for e in LABELS.values())
    out = set()
    for entry in LABELS.values():
        text = entry.get(lang, "")
        # the fixed words of a template: the longest run without {fields}
        for part in re.split(r"\{[^}]*\}", text):
            part = part.strip(" .,:;()'")
            if len(part) >= 12 and part.count(" ") >= 2 and part != entry.get(other) and part not in others:
                out.add(part)
    return out


def _visible_text(page: str) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    text = re.sub(r"<[^>]+>", " ", text)
    return html.unescape(re.sub(r"\s+", " ", text))


def _map_text(page: str) -> str:
    # names, legends and popups live in the map documents' scripts and data: take their strings
    docs = embedded_documents(page)
    strings = []
    for doc in docs:
        strings += re.findall(r'"((?:[^"\\]|\\.){3,})"', doc)
    return html.unescape(" ".join(_json_string(s) for s in strings))


def _json_string(text: str) -> str:
    try:
        return json.loads(f'"{text}"')
    except ValueError:
        return text


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_report_speaks_one_language(tmp_path, toy_config_path, lang):
    res = run_region(toy_config_path, language=lang, build_dir=tmp_path / "b", reports_dir=tmp_path / "r",
                     progress=False)
    assert res.ok, res.failed
    foreign = _phrases("en" if lang == "id" else "id")
    assert len(foreign) > 40  # the check has teeth
    found = {}
    for page in sorted(res.report_dir.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        shown = _visible_text(text) + " " + _map_text(text)
        hits = sorted(p for p in foreign if p in shown)
        if hits:
            found[page.name] = hits[:5]
    wb = load_workbook(res.report_dir / "tps.xlsx")
    headers = " ".join(str(c.value) for ws in wb.worksheets for c in ws[1])
    hits = sorted(p for p in foreign if p in headers)
    if hits:
        found["tps.xlsx"] = hits[:5]
    assert found == {}


def test_the_phrase_check_finds_a_foreign_phrase():
    english = _phrases("en")
    phrase = "the reserve needs more than"  # a fixed part of hl_response_detail
    assert phrase in english and phrase not in _phrases("id")
    page = f"<p>Ringkasan: {phrase} 15 min</p><script>var x = '{phrase}';</script>"
    assert phrase in _visible_text(page)
    assert phrase not in _visible_text(page.split("<script>")[0].replace(phrase, "cadangan tiba"))
