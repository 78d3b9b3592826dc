"""Briefing content blocks (HTML strings) used by the notebooks, in the report language.

Pure functions of a :class:`~pamgeo.ingest.region.RegionData`: no file access. Every value from data
is escaped.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from pamgeo.analysis.flood import access_status
from pamgeo.analysis.pipeline import Analysis
from pamgeo.analysis.risk import class_counts
from pamgeo.core.i18n import number, t, tf
from pamgeo.core.vocabulary import CLASSES, FLOOD_LABELS, FLOOD_LEVELS, class_label
from pamgeo.ingest.region import RegionData
from pamgeo.render.headline import pockets_with_rawan


def _kec_row(data: RegionData, kode_kec: str) -> pd.Series:
    row = data.kecamatan[data.kecamatan["kode_kec"] == kode_kec]
    if row.empty:
        raise ValueError(f"kecamatan {kode_kec} is not in region {data.config.region.id}; "
                         f"use one of {data.kecamatan_codes()}")
    return row.iloc[0]


def tps_counts_by(data: RegionData, by: str, kode_kec: str | None = None) -> pd.DataFrame:
    """TPS counts (all, regular, khusus) grouped by ``"kelurahan"`` or ``"kecamatan"``."""
    tps = data.tps if kode_kec is None else data.tps[data.tps["kode_kec"] == kode_kec]
    keys = ["kode_kel", "kelurahan"] if by == "kelurahan" else ["kode_kec", "kecamatan"]
    g = tps.groupby(keys, sort=True)
    out = pd.DataFrame({"n_tps": g.size(), "n_khusus": g["is_khusus"].sum().astype(int)}).reset_index()
    return out


def _cell(value: object, lang: str) -> str:
    """A table cell: whole numbers right-aligned in the language's format, the rest escaped text."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return f"<td class='num'>{number(int(value), lang)}</td>"
    return f"<td>{html.escape(str(value))}</td>"


def _table(frame: pd.DataFrame, headers: list[str], *, total: bool = True, lang: str = "id") -> str:
    """HTML table of ``frame`` (every cell escaped), with an optional total row of the numeric columns.

    Built with html.escape, not a Jinja template like the page around it: measured per 50-row
    table, a template costs 5.6 ms with an environment made per call (render modules keep no
    module state, so no cached environment) and 0.9 ms compiled, this 0.3 ms.
    """
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = ["<tr>" + "".join(_cell(v, lang) for v in rec) + "</tr>" for rec in frame.itertuples(index=False)]
    if total:
        sums: list[object] = [
            int(frame[c].sum()) if pd.api.types.is_numeric_dtype(frame[c]) else "" for c in frame.columns
        ]
        sums[0] = t("total", lang)
        body.append("<tr class='total'>" + "".join(_cell(v, lang) for v in sums) + "</tr>")
    return f"<table class='pamgeo-table'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def kecamatan_header(data: RegionData, kode_kec: str, *, lang: str = "id") -> str:
    """Title block of a kecamatan briefing."""
    kec = _kec_row(data, kode_kec)
    n = int((data.tps["kode_kec"] == kode_kec).sum())
    src = data.config.sources.tps
    parts = [
        f"<h2>{html.escape(t('kecamatan', lang))} {html.escape(kec['kecamatan'])} "
        f"<span class='code'>({html.escape(kode_kec)})</span></h2>",
        f"<p>{html.escape(data.config.region.name)} · {html.escape(t('election', lang))}: "
        f"{html.escape(src.election)} · {html.escape(t('n_tps', lang))}: <b>{number(n, lang)}</b> · "
        f"{html.escape(t('n_kelurahan', lang))}: {int(kec['n_kelurahan'])}</p>",
    ]
    return "".join(parts)


def kecamatan_map_html(data: RegionData, kode_kec: str, analysis: Analysis, *, lang: str = "id",
                       height: int = 660, base_memo: dict | None = None) -> str:
    """The kecamatan map as an embeddable, self-contained iframe (``base_memo``: see
    :func:`pamgeo.render.maps.base_layers`)."""
    # the map code (folium and friends) is imported only where a map is drawn
    from pamgeo.render.maps import kecamatan_map, map_iframe

    return map_iframe(kecamatan_map(data, kode_kec, analysis, lang=lang, base_memo=base_memo),
                      height=height, lang=lang, memo=base_memo)


def class_table(analysis: Analysis, kode_kec: str | None = None, *, lang: str = "id") -> str:
    """TPS per risk class, per kelurahan of a kecamatan (or per kecamatan of the region)."""
    tps = analysis.tps if kode_kec is None else analysis.tps[analysis.tps["kode_kec"] == kode_kec]
    by = "kelurahan" if kode_kec else "kecamatan"
    frame = class_counts(tps, by)
    frame["total"] = frame[list(CLASSES)].sum(axis=1)
    headers = [t(by, lang), *[class_label(c, lang) for c in CLASSES], t("total", lang)]
    note = f"<p class='small'>{html.escape(t('risk_method_note', lang))}</p>"
    return f"<h3>{html.escape(t('tps_per_class', lang))}</h3>" + _table(frame, headers, lang=lang) + note


def rawan_table(analysis: Analysis, kode_kec: str | None = None, *, lang: str = "id") -> str:
    """Every rawan and sangat rawan TPS with its class source and reasons."""
    tps = analysis.tps if kode_kec is None else analysis.tps[analysis.tps["kode_kec"] == kode_kec]
    sel = tps[tps["risk_class"].isin(["sangat_rawan", "rawan"])].copy()
    title = f"<h3>{html.escape(t('rawan_list', lang))} ({len(sel)})</h3>"
    if sel.empty:
        return title + f"<p>{html.escape(t('none', lang))}</p>"
    sel["order"] = sel["risk_class"].map({"sangat_rawan": 0, "rawan": 1})
    sel = sel.sort_values(["order", "risk_score"], ascending=[True, False])
    frame = pd.DataFrame({
        "tps_id": sel["tps_id"], "kelurahan": sel["kelurahan"], "tps_no": sel["tps_no"].astype(int),
        "kelas": [class_label(c, lang) for c in sel["risk_class"]],
        # an official class with its date and authority: "resmi 2024-02-13 (Polda Metro Jaya)"
        "sumber": [t(src, lang) + (f" {d}" if d else "") + (f" ({a})" if a and src == "official" else "")
                   for src, d, a in zip(sel["risk_class_source"], sel["risk_class_date"].fillna(""),
                                        sel["risk_class_authority"].fillna(""), strict=True)],
        "skor": sel["risk_score"].map(lambda v: number(v, lang, 2)),
        "kantong": sel["pocket_id"].fillna("-"), "alasan": sel["risk_reasons"],
    })
    headers = [t("tps_id", lang), t("kelurahan", lang), t("tps_no", lang), t("risk_class", lang),
               t("class_source", lang), t("risk_score", lang), t("pocket", lang), t("risk_reasons", lang)]
    return title + _table(frame, headers, total=False, lang=lang)


def pockets_table(analysis: Analysis, kode_kec: str | None = None, *, lang: str = "id") -> str:
    """Pockets holding TPS of a kecamatan (or all): first the kantong kerawanan (with rawan or
    sangat rawan TPS), then the dense clusters of kurang rawan TPS, with classes, factors and place."""
    table = analysis.pocket_table(kode_kec)
    params = f"DBSCAN eps {number(analysis.eps_m, lang)} m, min_samples {analysis.min_samples}"
    if table.empty:
        return f"<h3>{html.escape(t('pockets', lang))} (0) · {params}</h3><p>{html.escape(t('none', lang))}</p>"
    risky = table["pocket_id"].astype(str).isin(pockets_with_rawan(analysis, kode_kec))
    headers = [t("pocket", lang), t("n_tps", lang), *[class_label(c, lang) for c in CLASSES],
               t("dominant_reasons", lang), t("kelurahan", lang), "km²"]
    out = []
    for sel, key in ((table[risky], "pockets"), (table[~risky], "dense_clusters")):
        out.append(f"<h3>{html.escape(t(key, lang))} ({number(len(sel), lang)}) · {params}</h3>")
        if sel.empty:
            out.append(f"<p>{html.escape(t('none', lang))}</p>")
            continue
        frame = sel[["pocket_id", "n_tps", *[f"n_{c}" for c in CLASSES], "dominant_reasons", "kelurahan",
                     "area_km2"]].copy()
        frame["area_km2"] = frame["area_km2"].map(lambda v: number(v, lang, 2))
        out.append(_table(frame, headers, total=False, lang=lang))
    return "".join(out)


def tps_per_kelurahan_table(data: RegionData, kode_kec: str, *, lang: str = "id") -> str:
    """Table: TPS per kelurahan of a kecamatan, with a total row."""
    frame = tps_counts_by(data, "kelurahan", kode_kec)
    headers = ["Kode", t("kelurahan", lang), t("n_tps", lang), t("n_khusus", lang)]
    return f"<h3>{html.escape(t('tps_per_kelurahan', lang))}</h3>" + _table(frame, headers, lang=lang)


def personnel_table(analysis: Analysis, kode_kec: str | None = None, *, lang: str = "id") -> str:
    """Polri and Linmas needed per kelurahan (kecamatan page) or per kecamatan and rayon (region)."""
    from pamgeo.analysis.personnel import summarise

    per = analysis.personnel
    if per is None:
        return ""
    cls_cols = [f"polri_{c}" for c in CLASSES]
    heads_cls = [f"Polri {class_label(c, lang)}" for c in CLASSES]
    preset = analysis.preset
    title = (f"<h3>{html.escape(t('personnel', lang))} · {html.escape(t('preset', lang))}: "
             f"{html.escape(preset.name)}</h3>")
    if kode_kec is not None:
        frame = per[per["kode_kec"] == kode_kec][["kelurahan", "tps", *cls_cols, "polri", "linmas"]]
        headers = [t("kelurahan", lang), t("n_tps", lang), *heads_cls, "Polri", "Linmas"]
        body = _table(frame, headers, lang=lang)
    else:
        kec = summarise(per, "kecamatan")[["kecamatan", "tps", *cls_cols, "polri", "linmas"]]
        body = _table(kec, [t("kecamatan", lang), t("n_tps", lang), *heads_cls, "Polri", "Linmas"], lang=lang)
        if "rayon" in per:
            ray = summarise(per, "rayon")[["rayon", "tps", *cls_cols, "polri", "linmas"]]
            body += _table(ray, ["Rayon", t("n_tps", lang), *heads_cls, "Polri", "Linmas"], lang=lang)
    pattern_rows = [
        f"{class_label(c, lang)}: {p.polri} Polri" + (f" + {p.linmas} Linmas" if p.linmas else "") + f" / {p.per_tps} TPS"
        for c in CLASSES for p in [preset.pattern(c)]
    ]
    note = (f"<p class='small'>{html.escape('; '.join(pattern_rows))}. {html.escape(t('rounding_note', lang))}"
            f" ({html.escape(preset.source)}{'; ' + html.escape(preset.note) if preset.note and lang == 'en' else ''})</p>")
    return title + body + note


def strength_html(analysis: Analysis, *, lang: str = "id") -> str:
    """Needed against available strength, with the shortfall."""
    s = analysis.strength
    if s is None:
        return ""
    size = max(1, analysis.peleton_size)

    def label(item: str, needed: object) -> str:
        if item == "reserve_peleton" and pd.notna(needed):  # as peleton and personnel, not a bare number
            return tf("reserve_peleton_n", lang, n=int(needed) // size, size=size)
        return t(item, lang)

    frame = pd.DataFrame({
        "item": [label(i, n) for i, n in zip(s["item"], s["needed"], strict=True)],
        "needed": ["" if pd.isna(v) else int(v) for v in s["needed"]],
        "available": ["" if pd.isna(v) else int(v) for v in s["available"]],
        "shortfall": ["" if pd.isna(v) else int(v) for v in s["shortfall"]],
    })
    headers = ["", t("needed", lang), t("available", lang), t("shortfall", lang)]
    return f"<h3>{html.escape(t('strength', lang))}</h3>" + _table(frame, headers, total=False, lang=lang)


def beyond_response_table(analysis: Analysis, kode_kec: str | None = None, *, lang: str = "id") -> str:
    """Rawan and sangat rawan TPS the reserve cannot reach within ``police.response_min``."""
    tps = analysis.tps if kode_kec is None else analysis.tps[analysis.tps["kode_kec"] == kode_kec]
    if "beyond_response" not in tps:
        return ""
    sel = tps[tps["beyond_response"].astype(bool)].sort_values("response_min", ascending=False)
    title = f"<h3>{html.escape(t('beyond_response', lang))} ({len(sel)})</h3>"
    if sel.empty:
        return title + f"<p>{html.escape(t('none', lang))}</p>"
    frame = pd.DataFrame({
        "tps_id": sel["tps_id"], "kelurahan": sel["kelurahan"], "kelas": [class_label(c, lang) for c in sel["risk_class"]],
        "rayon": sel["rayon"].fillna("-"),
        "menit": [t("unreachable", lang) if pd.isna(v) else number(v, lang, 1) for v in sel["response_min"]],
        "km": ["" if pd.isna(v) else number(v, lang, 1) for v in sel["route_km"]],
    })
    headers = [t("tps_id", lang), t("kelurahan", lang), t("risk_class", lang), "Rayon",
               f"{t('response_min', lang)} ({t('minutes', lang)})", "km"]
    return title + _table(frame, headers, total=False, lang=lang)


def flood_table(analysis: Analysis, kode_kec: str | None = None, *, lang: str = "id") -> str:
    """TPS per flood class, with access cut and unreachable counts, per kelurahan (or kecamatan)."""

    tps = analysis.tps if kode_kec is None else analysis.tps[analysis.tps["kode_kec"] == kode_kec]
    if "flood_class" not in tps:
        return ""
    by = "kelurahan" if kode_kec else "kecamatan"
    frame = pd.crosstab(tps[by], tps["flood_class"]).reindex(columns=list(FLOOD_LEVELS), fill_value=0)
    if "access_cut" in tps:
        frame["cut"] = tps.groupby(by)["access_cut"].sum().astype(int)
        frame["unreach"] = tps.groupby(by)["cut_unreachable"].sum().astype(int)
    frame = frame.reset_index()
    lab = FLOOD_LABELS.get(lang, FLOOD_LABELS["id"])
    headers = [t(by, lang), *[lab[c] for c in FLOOD_LEVELS]]
    if "cut" in frame:
        headers += [t("access_cut", lang), t("unreachable", lang)]
    key = "flood_per_kelurahan" if kode_kec else "flood_per_kecamatan"
    warn = (f"<p class='small'>{html.escape(analysis.flood_warning)}</p>" if analysis.flood_warning else "")
    return (f"<h3>{html.escape(t(key, lang))}</h3>" + _table(frame, headers, lang=lang)
            + f"<p class='small'>{html.escape(t('flood_note', lang))}</p>" + warn)


def access_cut_table(analysis: Analysis, kode_kec: str | None = None, *, lang: str = "id") -> str:
    """TPS the reserve cannot reach when roads flood, and those whose detour adds more than
    ``flood.detour_report_min`` minutes; shorter detours are counted, not listed."""
    tps = analysis.tps if kode_kec is None else analysis.tps[analysis.tps["kode_kec"] == kode_kec]
    if "access_cut" not in tps:
        return ""
    status = access_status(tps, analysis.detour_report_min)
    sel = tps.assign(added=tps["detour_min"] - tps["response_min"])[status.isin(("unreachable", "detour"))]
    sel = sel.sort_values(["cut_unreachable", "added"], ascending=[False, False])
    title = f"<h3>{html.escape(t('access_cut', lang))} ({number(len(sel), lang)})</h3>"
    minor = int((status == "minor_detour").sum())
    note = (f"<p class='small'>{html.escape(tf('minor_detours', lang, n=minor, threshold=analysis.detour_report_min))}"
            "</p>")
    if sel.empty:
        return title + f"<p>{html.escape(t('none', lang))}</p>" + note
    lab = FLOOD_LABELS.get(lang, FLOOD_LABELS["id"])
    frame = pd.DataFrame({
        "tps_id": sel["tps_id"], "kelurahan": sel["kelurahan"], "kelas": [class_label(c, lang) for c in sel["risk_class"]],
        "banjir": [lab[c] for c in sel["flood_class"]],
        "normal": [number(v, lang) if pd.notna(v) else "" for v in sel["response_min"]],
        "memutar": [t("unreachable", lang) if u else f"+{number(a, lang)}"
                    for a, u in zip(sel["added"], sel["cut_unreachable"], strict=True)],
    })
    headers = [t("tps_id", lang), t("kelurahan", lang), t("risk_class", lang), t("flood_class", lang),
               f"{t('response_min', lang)} ({t('minutes', lang)})", f"{t('detour_added', lang)} ({t('minutes', lang)})"]
    return title + _table(frame, headers, total=False, lang=lang) + note


def overview_header(data: RegionData, analysis: Analysis, *, lang: str = "id") -> str:
    """Title block of the region overview: counts that frame the briefing."""
    cfg = data.config
    tps = analysis.tps
    counts = tps["risk_class"].value_counts()
    parts = [f"<h2>{html.escape(t('overview_title', lang))}: {html.escape(cfg.region.name)}</h2>",
             f"<p>{html.escape(cfg.sources.tps.election)} · {html.escape(t('n_tps', lang))}: <b>{number(len(tps), lang)}</b> · "
             f"{len(data.kecamatan)} {html.escape(t('kecamatan', lang).lower())} · {len(data.kelurahan)} "
             f"{html.escape(t('kelurahan', lang).lower())} · "
             + " · ".join(f"{html.escape(class_label(c, lang))}: {number(int(counts.get(c, 0)), lang)}" for c in CLASSES)
             + "</p>"]
    return "".join(parts)


def kota_map_html(data: RegionData, analysis: Analysis, *, lang: str = "id", height: int = 720,
                  base_memo: dict | None = None) -> str:
    """The region overview map as an embeddable, self-contained iframe."""
    from pamgeo.render.maps import kota_map, map_iframe

    return map_iframe(kota_map(data, analysis, lang=lang, base_memo=base_memo), height=height, lang=lang,
                      memo=base_memo)


def position_check_table(analysis: Analysis, kode_kec: str, *, lang: str = "id") -> str:
    """TPS of a kecamatan whose point from the list lies in another kelurahan than the one the
    list states (the stated kelurahan is kept), and TPS whose position had to be estimated."""
    tps = analysis.tps[analysis.tps["kode_kec"] == kode_kec]
    check = tps[tps.get("position_check", pd.Series("", index=tps.index)).fillna("") != ""]
    note = tps[tps.get("position_note", pd.Series("", index=tps.index)).fillna("") != ""]
    out = [f"<h3>{html.escape(t('position_check_title', lang))} ({number(len(check), lang)})</h3>"]
    if check.empty:
        out.append(f"<p>{html.escape(t('no_position_check', lang))}</p>")
    else:
        frame = pd.DataFrame({"tps_id": check["tps_id"], "kelurahan": check["kelurahan"],
                              "check": check["position_check"]})
        out.append(_table(frame, [t("tps_id", lang), t("kelurahan", lang), t("position_check", lang)],
                          total=False, lang=lang))
    if not note.empty:
        out.append(f"<h3>{html.escape(t('position_estimated_title', lang))} ({number(len(note), lang)})</h3>")
        frame = pd.DataFrame({"tps_id": note["tps_id"], "kelurahan": note["kelurahan"], "note": note["position_note"]})
        out.append(_table(frame, [t("tps_id", lang), t("kelurahan", lang), t("position_note", lang)],
                          total=False, lang=lang))
    return "".join(out)
