"""The national page: a kab/kota choropleth of TPS, per-Polda personnel, drill-down tables, and the
kecamatan with TPS but no polygon (listed, never dropped). Pure: HTML from the tables it is given."""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import pandas as pd

from pamgeo.core.groups import GroupConfig
from pamgeo.core.i18n import number, t
from pamgeo.core.presets import Preset
from pamgeo.render.maps import base_map, map_iframe
from pamgeo.render.polda import PALETTE, _colour, esc, fmt, group_page
from pamgeo.render.webmap_elements import GeoJson, tooltip
from pamgeo.render.webmap_encoding import layer_data


def _rows(frame: pd.DataFrame, cols: list[str], num: set[str]) -> str:
    out = []
    for r in frame[cols].itertuples(index=False):
        out.append("<tr>" + "".join(
            f"<td class='num'>{fmt(v)}</td>" if c in num else f"<td>{v if c == 'link' else esc(v)}</td>"
            for c, v in zip(cols, r, strict=True)) + "</tr>")
    return "".join(out)


def _table(frame: pd.DataFrame, cols: list[str], head: list[str], num: set[str], total: dict | None = None) -> str:
    th = "".join(f"<th>{esc(h)}</th>" for h in head)
    tot = ""
    if total:
        tot = "<tr class='total'>" + "".join(
            f"<td class='num'>{fmt(total.get(c))}</td>" if c in num else f"<td>{esc(total.get(c, ''))}</td>"
            for c in cols) + "</tr>"
    return (f"<table class='pamgeo-table'><thead><tr>{th}</tr></thead><tbody>{_rows(frame, cols, num)}{tot}"
            "</tbody></table>")


def national_map(kab: gpd.GeoDataFrame, per_kab: pd.DataFrame, names: dict[str, str], attributions: list[str], *,
                 lang: str):
    """Kab/kota shaded by their TPS count (quintiles)."""
    g = kab[["kode", "geometry"]].merge(per_kab[["kode_kab", "n_tps"]], left_on="kode", right_on="kode_kab", how="left")
    g["n_tps"] = g["n_tps"].fillna(0).astype(int)
    g["nama"] = g["kode"].map(lambda c: names.get(c, c).title())
    g["label"] = g["n_tps"].map(lambda v: f"{number(v, lang)} TPS")
    g = gpd.GeoDataFrame(g, geometry="geometry", crs=kab.crs)
    g["geometry"] = g.geometry.simplify(0.01)
    g = g.explode(index_parts=False)  # collections (the source's "Unknown" geometries) into their parts
    g = g[g.geom_type.isin(["Polygon", "MultiPolygon"]) & ~g.geometry.is_empty]
    bins = sorted(set(g["n_tps"].quantile([0.2, 0.4, 0.6, 0.8]).round().tolist()))
    m = base_map(SimpleNamespace(config=SimpleNamespace(attributions=lambda: attributions)),
                 tuple(g.total_bounds), lang=lang)
    GeoJson(layer_data(g, ["kode", "nama", "label", "n_tps"]), name=t("national_per_kabkota", lang),
            style_function=lambda f: {"color": "#555", "weight": 0.6, "fillOpacity": 0.75,
                                      "fillColor": _colour(f["properties"].get("n_tps", 0), bins)},
            style_only=("n_tps",), tooltip=tooltip(["kode", "nama", "label"])).add_to(m)
    legend = " ".join(f"<span style='background:{c};border:1px solid #999;padding:0 8px'></span> "
                      f"{'≤' if i < len(bins) else '>'} {number(int(bins[min(i, len(bins) - 1)]), lang)}"
                      for i, c in enumerate(PALETTE[: len(bins) + 1]))
    return m, legend


def national_page(group: GroupConfig, tables: dict[str, pd.DataFrame], per_polda: pd.DataFrame,
                  kab: gpd.GeoDataFrame, names: dict[str, str], links: dict[str, str], *, preset: Preset,
                  lang: str) -> str:
    """``reports/<national>/index.html``."""
    nat = group.national
    attributions = [a for a in (nat.tps.attribution, nat.kabkota.attribution) if a]
    prov, kabt, nopoly = tables["provinsi"], tables["kabkota"], tables["no_polygon"]
    total_tps = int(prov["n_tps"].sum())
    parts = [f"<p><b>{esc(t('national_accounted', lang))}: {number(total_tps, lang)} TPS</b> · {number(int(prov['n_desa'].sum()), lang)} "
             f"{esc(t('n_desa', lang).lower())} · {number(len(kabt), lang)} {esc(t('kabkota', lang).lower())} "
             f"({number(int(kabt['has_polygon'].sum()), lang)} {esc(t('with_polygon', lang))}) · "
             f"{number(len(tables['kecamatan']), lang)} {esc(t('kecamatan', lang).lower())} · {len(prov)} "
             f"{esc(t('provinsi', lang).lower())}</p>"]
    m, legend = national_map(kab, kabt, names, attributions, lang=lang)
    parts.append(map_iframe(m, 560, lang=lang) + f"<p class='small'>{legend}</p>")
    pp = per_polda.copy()
    pp["link"] = pp["polda"].map(lambda p: f"<a href='{esc(links[p])}'>{esc(t('national_polda_run', lang))}</a>"
                                 if p in links else "")
    pp["polda"] = pp["polda"].astype(str)
    num = {"n_tps", "n_khusus", "polri_needed", "linmas_needed", "n_kabkota", "n_desa", "n_kecamatan"}
    parts.append(f"<h2>{esc(t('national_per_polda', lang))}</h2><p class='small'>"
                 f"{esc(t('national_preset_note', lang).replace('{preset}', preset.name))}</p>")
    tot = {"polda": t("total", lang), **{c: int(pp[c].sum()) for c in ("n_tps", "n_khusus", "polri_needed",
                                                                         "linmas_needed", "n_kabkota")}}
    parts.append(_table(pp, ["polda", "provinces", "n_kabkota", "n_tps", "n_khusus", "polri_needed", "linmas_needed",
                             "link"],
                        ["Polda", t("provinsi", lang), t("kabkota", lang), t("n_tps", lang), t("n_khusus", lang),
                         t("polri_needed", lang), t("linmas_needed", lang), ""], num, tot))
    parts.append(f"<h2>{esc(t('national_no_polygon', lang))} ({len(nopoly)}: {number(int(nopoly['n_tps'].sum()), lang)} TPS)</h2>"
                 f"<p class='small'>{esc(t('national_no_polygon_note', lang))}</p>")
    npf = nopoly.assign(nama=nopoly["kode_kec"].map(lambda c: names.get(c, "")),
                        kab=nopoly["kode_kab"].map(lambda c: names.get(c, "")))
    parts.append(_table(npf, ["kode_kec", "nama", "kab", "n_desa", "n_tps"],
                        ["Kode", t("kecamatan", lang), t("kabkota", lang), t("n_desa", lang), t("n_tps", lang)],
                        num, {"kode_kec": t("total", lang), "n_desa": int(npf["n_desa"].sum()),
                              "n_tps": int(npf["n_tps"].sum())}))
    parts.append(f"<h2>{esc(t('national_per_province', lang))} / {esc(t('national_per_kabkota', lang))}</h2>")
    for r in prov.itertuples(index=False):
        sub = kabt[kabt["kode_prov"] == r.kode_prov].assign(nama=lambda f: f["kode_kab"].map(
            lambda c: names.get(c, c).title()), poly=lambda f: f["has_polygon"].map({True: "", False: "–"}))
        parts.append(f"<details><summary><b>{esc(r.kode_prov)} {esc(names.get(r.kode_prov, ''))}</b>: "
                     f"{number(int(r.n_tps), lang)} TPS · {int(r.n_kabkota)} {esc(t('kabkota', lang).lower())}</summary>"
                     + _table(sub, ["kode_kab", "nama", "n_kecamatan", "n_desa", "n_tps", "n_khusus", "poly"],
                              ["Kode", t("kabkota", lang), t("kecamatan", lang), t("n_desa", lang), t("n_tps", lang),
                               t("n_khusus", lang), t("national_kabkota_no_polygon", lang)], num) + "</details>")
    parts.append("<p>" + " · ".join(f"<a href='{f}'>{f}</a>" for f in (
        "tps_per_kabkota.csv", "tps_per_kecamatan.csv", "personnel_per_polda.csv", "manifest.json")) + "</p>")
    return group_page(group, title=f"{t('national_title', lang)}: {group.group.name}",
                      subtitle=f"{group.group.election} · {number(total_tps, lang)} TPS", body="\n".join(parts), lang=lang,
                      attributions=attributions)


__all__ = ["national_page"]
