"""The headline every briefing page leads with: the five numbers that decide, each linking to
its table. Numbers say exactly what their label says; where the data behind one is missing,
the headline says so instead of showing 0."""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from pamgeo.analysis.flood import access_status
from pamgeo.analysis.pipeline import Analysis
from pamgeo.core.i18n import number, t, tf
from pamgeo.core.vocabulary import CLASSES, class_label

#: anchors of the tables the headline links to (the notebooks put them before each table)
PRIORITY = ("rawan", "sangat_rawan")
ANCHORS = {"classes": "kelas", "strength": "kekuatan", "response": "respons", "flood": "akses-banjir",
           "pockets": "kantong"}


@dataclass(frozen=True)
class Headline:
    """One headline figure: its label, the value as text, a detail line and the table it links to."""

    key: str
    label: str
    value: str
    detail: str
    alert: bool = False


def anchor(key: str) -> str:
    """An invisible link target for the table ``key`` of :data:`ANCHORS`."""
    return f"<a id='{ANCHORS[key]}'></a>"


def _tps(analysis: Analysis, kode_kec: str | None) -> pd.DataFrame:
    return analysis.tps if kode_kec is None else analysis.tps[analysis.tps["kode_kec"] == kode_kec]


def _classes(tps: pd.DataFrame, lang: str) -> Headline:
    counts = tps["risk_class"].value_counts()
    high = int(counts.get("rawan", 0)) + int(counts.get("sangat_rawan", 0))
    detail = " · ".join(f"{class_label(c, lang)} {number(int(counts.get(c, 0)), lang)}" for c in CLASSES)
    return Headline("classes", t("hl_classes", lang), tf("hl_classes_value", lang, n=len(tps), high=high), detail,
                    alert=high > 0)


def _strength(analysis: Analysis, tps: pd.DataFrame, kode_kec: str | None, lang: str) -> Headline:
    label = t("hl_strength", lang)
    if kode_kec is not None and analysis.personnel is not None:
        per = analysis.personnel[analysis.personnel["kode_kec"] == kode_kec]
        needed = int(per["polri"].sum())
        return Headline("strength", label, tf("hl_needed", lang, n=needed), t("hl_available_region_only", lang))
    s = analysis.strength
    if s is None:
        return Headline("strength", label, t("hl_not_computed", lang), "")
    row = s.set_index("item").loc["polri_total"]
    needed = int(row["needed"])
    if pd.isna(row["available"]):
        return Headline("strength", label, tf("hl_needed", lang, n=needed), t("hl_available_unknown", lang))
    short = int(row["shortfall"]) if pd.notna(row["shortfall"]) else 0
    reserve = s.set_index("item").loc["reserve_peleton", "needed"]
    detail = tf("hl_strength_detail", lang, available=int(row["available"]),
                peleton=int(reserve // max(1, analysis.peleton_size)) if pd.notna(reserve) else 0,
                reserve=int(reserve) if pd.notna(reserve) else 0)
    value = tf("hl_shortfall", lang, n=short, needed=needed) if short > 0 else tf("hl_enough", lang, needed=needed)
    return Headline("strength", label, value, detail, alert=short > 0)


def _response(analysis: Analysis, tps: pd.DataFrame, lang: str) -> Headline:
    label = t("hl_response", lang)
    high = tps[tps["risk_class"].isin(("rawan", "sangat_rawan"))]
    if "beyond_response" not in tps:
        return Headline("response", label, t("hl_not_computed", lang), t("hl_needs_roads_police", lang))
    beyond = int(high["beyond_response"].astype(bool).sum())
    limit = analysis.response_min
    return Headline("response", label, tf("hl_response_value", lang, n=beyond, of=len(high), limit=limit),
                    tf("hl_response_detail", lang, limit=limit), alert=beyond > 0)


def _flood(analysis: Analysis, tps: pd.DataFrame, lang: str) -> Headline:
    label = t("hl_flood", lang)
    if "access_cut" not in tps:
        return Headline("flood", label, t("hl_not_computed", lang), t("hl_needs_roads_police", lang))
    status = access_status(tps, analysis.detour_report_min).value_counts()
    unreachable, detour = int(status.get("unreachable", 0)), int(status.get("detour", 0))
    threshold = analysis.detour_report_min
    return Headline("flood", label, tf("hl_flood_value", lang, n=unreachable),
                    tf("hl_flood_detail", lang, detour=detour, threshold=threshold), alert=unreachable > 0)


def pockets_with_rawan(analysis: Analysis, kode_kec: str | None = None) -> set[str]:
    """Pockets holding rawan or sangat rawan TPS of the kecamatan ``kode_kec`` (or of the region):
    the kantong kerawanan of a page. A pocket whose rawan TPS lie in another kecamatan is, on this
    kecamatan's page, a dense cluster."""
    tps = _tps(analysis, kode_kec)
    high = tps[tps["risk_class"].isin(PRIORITY) & tps["pocket_id"].notna()]
    return set(high["pocket_id"].astype(str))


def _pockets(analysis: Analysis, kode_kec: str | None, lang: str) -> Headline:
    table = analysis.pocket_table(kode_kec)
    with_rawan = len(pockets_with_rawan(analysis, kode_kec) & set(table["pocket_id"].astype(str))) if not table.empty else 0
    dense = len(table) - with_rawan
    return Headline("pockets", t("hl_pockets", lang), tf("hl_pockets_value", lang, n=with_rawan),
                    tf("hl_pockets_detail", lang, dense=dense), alert=with_rawan > 0)


def headlines(analysis: Analysis, kode_kec: str | None = None, *, lang: str = "id") -> list[Headline]:
    """The five figures of a kecamatan (``kode_kec``) or of the whole region."""
    tps = _tps(analysis, kode_kec)
    return [_classes(tps, lang), _strength(analysis, tps, kode_kec, lang), _response(analysis, tps, lang),
            _flood(analysis, tps, lang), _pockets(analysis, kode_kec, lang)]


def headline_html(analysis: Analysis, kode_kec: str | None = None, *, lang: str = "id") -> str:
    """The headline block: five figures side by side, each a link to its table."""
    cards = []
    for h in headlines(analysis, kode_kec, lang=lang):
        cls = "hl alert" if h.alert else "hl"
        cards.append(
            f"<a class='{cls}' href='#{ANCHORS[h.key]}'><span class='hl-label'>{html.escape(h.label)}</span>"
            f"<span class='hl-value'>{html.escape(h.value)}</span>"
            f"<span class='hl-detail'>{html.escape(h.detail)}</span></a>")
    return f"<section class='headline' aria-label='{html.escape(t('hl_title', lang))}'>{''.join(cards)}</section>"
