"""The sentences every page of a briefing carries: where the classes come from, where every TPS
of the source went, and which analyses ran on partial or no data. Light: no map code, so the
runner can plan its pages before it imports the rest of render."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from pamgeo.core.i18n import percent, t, tf
from pamgeo.ingest.region import TpsAccount

#: below this share of the region, a layer counts as partial
PARTIAL_SHARE = 0.95


def classes_note(tps: pd.DataFrame, lang: str, when: datetime) -> str:
    """Where the risk classes come from and their date, for every page's subtitle."""
    off = tps[tps["risk_class_source"] == "official"]
    if len(off):
        dates = sorted({d for d in off["risk_class_date"] if d})
        who = sorted({a for a in off["risk_class_authority"] if a})
        return f"{t('classes_official', lang)} {', '.join(who)} {', '.join(dates)}".strip()
    return f"{t('classes_computed', lang)}, {when.astimezone().strftime('%Y-%m-%d')}"


def account_note(account: TpsAccount | None, lang: str) -> str:
    """Where every TPS of the source went, in one sentence (empty when the build predates it)."""
    if account is None:
        return ""
    if account.source == "counts":
        return tf("account_counts", lang, n=account.in_source)
    return tf("account_list", lang, n=account.in_source, own=account.own, repaired=account.repaired,
              estimated=account.estimated, left_out=account.left_out)


def coverage_notes(coverage: dict | None, lang: str) -> list[str]:
    """Which analyses ran on partial or no data, one sentence each (nothing when all is there)."""
    if not coverage:
        return []
    notes = []
    for layer in ("roads", "police_posts", "waterways"):
        c = coverage.get(layer, {})
        if not c.get("present"):
            notes.append(t(f"coverage_none_{layer}", lang))
        elif layer != "police_posts" and c.get("share", 1.0) < PARTIAL_SHARE:
            notes.append(tf(f"coverage_part_{layer}", lang, share=percent(c["share"], lang)))
    flood = [coverage.get(k, {}) for k in ("flood_polygons", "flood_rasters", "flood_prone", "flood_events")]
    if not any(c.get("present") for c in flood):
        notes.append(t("coverage_none_flood", lang))
    rasters = coverage.get("flood_rasters", {})
    if rasters.get("present") and rasters.get("share", 1.0) < PARTIAL_SHARE:
        notes.append(tf("coverage_part_flood_rasters", lang, share=percent(rasters["share"], lang)))
    return notes
