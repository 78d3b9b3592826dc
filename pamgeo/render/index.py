"""The index page of a briefing run and the notes every page carries (HTML blocks)."""

from __future__ import annotations

import html
from datetime import datetime

import pandas as pd

from pamgeo.analysis.pipeline import Analysis
from pamgeo.core.i18n import number, percent, t, tf
from pamgeo.ingest.region import RegionData, TpsAccount
from pamgeo.render import briefing
from pamgeo.render.headline import anchor, headline_html

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



def validation_body(report_rows: pd.DataFrame, lang: str) -> str:
    """The row-by-row validation table of a TPS list as a page body (``tps_validation.csv``
    with each row's outcome)."""
    if report_rows.empty:
        return f"<p>{html.escape(t('no_findings', lang))}</p>"
    cols = ["row", "column", "severity", "rule", "value", "message", "fix", "outcome"]
    head = "".join(f"<th>{html.escape(t(c, lang) if c != 'column' else t('column', lang))}</th>" for c in cols)
    rows = []
    for rec in report_rows.itertuples(index=False):
        cells = []
        for c in cols:
            v = getattr(rec, c, "")
            v = "" if v is None or (isinstance(v, float) and pd.isna(v)) else v
            if c == "row" and v != "":
                v = int(float(v))
            if c == "outcome" and v:
                v = t(f"outcome_{v}", lang)
            cells.append(f"<td>{html.escape(str(v))}</td>")
        cls = " class='error'" if getattr(rec, "severity", "") == "error" else ""
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return f"<table class='pamgeo-table'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def report_rows(report: pd.DataFrame, tps: pd.DataFrame) -> pd.DataFrame:
    """The findings of a validation report (:meth:`ValidationReport.to_frame`) with the outcome
    of each finding's row: ``kept``, ``repaired``, ``estimated`` or ``left_out``."""
    out = report.copy()
    if out.empty:
        out["outcome"] = []
        return out
    label = tps["source_row"].astype(str) if "source_row" in tps else pd.Series(dtype=str)
    outcome_of = dict(zip(label.str.extract(r"(\d+)$")[0].astype(float),
                          tps["position_source"].map({"file_repaired": "repaired", "estimated": "estimated"})
                          .fillna("kept"), strict=True)) if len(label) else {}
    rows = pd.to_numeric(out["row"], errors="coerce")
    out["outcome"] = [outcome_of.get(r, "left_out") if pd.notna(r) else "" for r in rows]
    return out



def summary_html(analysis: Analysis, *, lang: str) -> str:
    """The region's headline and summary tables, as the index page shows them (the headline's
    links land on the tables' anchors)."""
    return (anchor("classes") + briefing.class_table(analysis, lang=lang)
            + anchor("strength") + briefing.strength_html(analysis, lang=lang)
            + briefing.personnel_table(analysis, lang=lang)
            + anchor("pockets") + briefing.pockets_table(analysis, lang=lang)
            + briefing.flood_table(analysis, lang=lang)
            + anchor("flood") + briefing.access_cut_table(analysis, lang=lang)
            + anchor("response") + briefing.beyond_response_table(analysis, lang=lang))


def index_body(data: RegionData, results: list[dict], lang: str, summary: str = "",
               analysis: Analysis | None = None) -> str:
    """Body of the index page: the headline (of ``analysis``), a row per kecamatan page with its
    status, links to the tables, then the ``summary`` tables. ``results`` are the runner's job
    results."""
    counts = briefing.tps_counts_by(data, "kecamatan").set_index("kode_kec")
    rows = []
    for r in results:
        if r["name"] == "overview" or r.get("kind") == "print":
            continue
        code = r["parameters"]["kecamatan"]
        name = counts.loc[code, "kecamatan"] if code in counts.index else code
        n = int(counts.loc[code, "n_tps"]) if code in counts.index else 0
        if r["status"] == "ok":
            status = f"<a href='{html.escape(r['output'])}'>{html.escape(t('open', lang))}</a>"
        else:
            cell = f" (sel {r.get('cell_index')})" if r.get("cell_index") is not None else ""
            status = (f"<span style='color:#b42318;font-weight:700'>{html.escape(t('failed', lang))}</span>"
                      f"{html.escape(cell)}: {html.escape(r.get('error', '')[:300])}")
        rows.append(f"<tr><td>{html.escape(code)}</td><td>{html.escape(str(name))}</td>"
                    f"<td class='num'>{number(n, lang)}</td><td>{status}</td></tr>")
    total = int(counts["n_tps"].sum())
    rows.append(f"<tr class='total'><td>{html.escape(t('total', lang))}</td><td></td><td class='num'>{number(total, lang)}</td><td></td></tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in
                   ("Kode", t("kecamatan", lang), t("n_tps", lang), t("report_status", lang)))
    overview = [r for r in results if r["name"] == "overview"]
    ov_link = ""
    if overview:
        r = overview[0]
        ov_link = (f"<p><b><a href='overview.html'>{html.escape(t('overview_title', lang))}</a></b></p>" if r["status"] == "ok"
                   else f"<p class='error'>{html.escape(t('overview_title', lang))}: {html.escape(t('failed', lang))} "
                        f"({html.escape(r.get('error', '')[:300])})</p>")
    failed = [r for r in results if r["status"] != "ok"]
    err = ""
    if failed:
        err = "<div class='error'>" + html.escape(tf("briefings_failed", lang, n=len(failed))) + "</div>"
    files = ["tps.xlsx", "tps.csv", "plotting.xlsx", "plotting.csv", "pockets.csv",
             f"pamgeo_{data.config.region.id}.gpkg", "tps_validation.csv", "manifest.json"]
    links = (f"<p><a href='validation.html'>{html.escape(t('validation_link', lang))}</a></p>"
             f"<p>{html.escape(t('files', lang))}: "
             + " · ".join(f"<a href='{html.escape(f)}'>{html.escape(f)}</a>" for f in files) + "</p>")
    lead = headline_html(analysis, lang=lang) if analysis is not None else ""
    return (lead + err + ov_link + f"<table class='pamgeo-table'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            + links + summary)
