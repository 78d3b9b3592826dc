"""The index page of a briefing run and its row-level validation page (HTML blocks)."""

from __future__ import annotations

import html

import pandas as pd

from pamgeo.analysis.pipeline import Analysis
from pamgeo.core.i18n import number, t, tf
from pamgeo.ingest.region import RegionData
from pamgeo.render import briefing
from pamgeo.render.headline import anchor, headline_html


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
