"""The index page of a briefing run and the notes every page carries (HTML blocks)."""

from __future__ import annotations

import html
from datetime import datetime

import pandas as pd

from pamgeo.analysis.pipeline import Analysis
from pamgeo.core.i18n import t
from pamgeo.ingest.region import RegionData
from pamgeo.render import briefing


def classes_note(tps: pd.DataFrame, lang: str, when: datetime) -> str:
    """Where the risk classes come from and their date, for every page's subtitle."""
    off = tps[tps["risk_class_source"] == "official"]
    if len(off):
        dates = sorted({d for d in off["risk_class_date"] if d})
        who = sorted({a for a in off["risk_class_authority"] if a})
        label = "kelas kerawanan resmi" if lang == "id" else "official risk classes"
        return f"{label} {', '.join(who)} {', '.join(dates)}".strip()
    label = "kelas kerawanan dihitung pamgeo" if lang == "id" else "risk classes computed by pamgeo"
    return f"{label}, {when.astimezone().strftime('%Y-%m-%d')}"


def summary_html(analysis: Analysis, *, lang: str) -> str:
    """The region's summary tables, as the index page shows them."""
    return (briefing.class_table(analysis, lang=lang) + briefing.strength_html(analysis, lang=lang)
            + briefing.personnel_table(analysis, lang=lang) + briefing.pockets_table(analysis, lang=lang)
            + briefing.flood_table(analysis, lang=lang) + briefing.access_cut_table(analysis, lang=lang)
            + briefing.beyond_response_table(analysis, lang=lang))


def index_body(data: RegionData, results: list[dict], lang: str, summary: str = "") -> str:
    """Body of the index page: a row per kecamatan page with its status, links to the tables,
    then the ``summary`` tables. ``results`` are the runner's job results."""
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
                    f"<td class='num'>{n:,}</td><td>{status}</td></tr>")
    total = int(counts["n_tps"].sum())
    rows.append(f"<tr class='total'><td>{html.escape(t('total', lang))}</td><td></td><td class='num'>{total:,}</td><td></td></tr>")
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
        err = "<div class='error'>" + html.escape(
            f"{len(failed)} briefing gagal dibuat; lihat manifest.json." if lang == "id"
            else f"{len(failed)} briefings failed; see manifest.json.") + "</div>"
    files = ["tps.xlsx", "tps.csv", "plotting.xlsx", "plotting.csv", "pockets.csv",
             f"pamgeo_{data.config.region.id}.gpkg", "manifest.json"]
    links = (f"<p>{html.escape(t('files', lang))}: "
             + " · ".join(f"<a href='{html.escape(f)}'>{html.escape(f)}</a>" for f in files) + "</p>")
    return (err + ov_link + f"<table class='pamgeo-table'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            + links + summary)
