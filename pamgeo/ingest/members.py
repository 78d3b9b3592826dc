"""The region file of a group member area (:mod:`pamgeo.core.groups`).

An area with ``region:`` uses that region file as it is. Any other area gets a region file
generated from the group's defaults and the area's codes, written with the inputs derived for
it into the group's build folder (``build/<group>/members/``):

- kelurahan polygons: the bundle's per-kab/kota file (``defaults.boundaries.path`` with the area's
  ``file``), cut to the area's kecamatan when it has only some;
- without such a file: each desa/kelurahan of the national counts drawn as its whole kecamatan
  (``defaults.kecamatan_boundaries``); the name and attribution of every page say so, and
  kecamatan without a polygon are left out of the run (listed in its summary);
- TPS: the national KawalPemilu counts, filtered by code (``format: kawalpemilu``).

Files are rewritten only when their content changes, so an unchanged member keeps its build.
"""

from __future__ import annotations

import copy
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import yaml

from pamgeo.core.config import load_config, resolve_region_path
from pamgeo.core.groups import Area, GroupConfig, Member
from pamgeo.core.i18n import t
from pamgeo.ingest import io as pio
from pamgeo.ingest.kawalpemilu import NationalCounts


@dataclass
class MemberRun:
    """One region run of a group: its id, region file and what the Polda page needs to know."""

    run_id: str
    member: str
    polres: str
    config_path: str
    kode: str
    kecamatan: list[str] | None
    generated: bool
    kecamatan_polygons: bool = False     # drawn from kecamatan polygons (no kelurahan file)
    left_out_kecamatan: list[str] = field(default_factory=list)  # no polygon: not in the run
    reserve_peleton: int = 0             # group default for an area without rayons of its own


def utm_crs(lon: float, lat: float) -> str:
    """The UTM zone (WGS84) of a point, as ``EPSG:...``."""
    zone = math.floor((lon + 180) / 6) + 1
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def _write_if_changed(path: Path, text: str) -> None:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _kelurahan_subset(group: GroupConfig, area: Area) -> gpd.GeoDataFrame:
    """The area's kelurahan from the per-kab/kota file, cut to its kecamatan."""
    b = group.defaults.boundaries
    path = group.resolve(b.path.replace("{file}", area.file))
    gdf = pio.read_vector(path, layer=b.layer)
    codes = gdf[b.code_column].astype(str)
    keep = codes.str.startswith(area.kode + ".") | codes.str.startswith(area.kode.replace(".", ""))
    if area.kecamatan:
        keep &= codes.map(lambda c: any(c.replace(".", "").startswith(k.replace(".", "")) for k in area.kecamatan))
    return gdf[keep]


def _kecamatan_as_kelurahan(group: GroupConfig, area: Area, counts: NationalCounts) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Every desa of the counts under the area, drawn as its kecamatan polygon; and the
    kecamatan codes with TPS but no polygon."""
    k = group.defaults.kecamatan_boundaries
    path = group.resolve(k.path)
    kec = gpd.read_file(path, layer=k.layer, engine="pyogrio",
                        where=f"{k.code_column} LIKE '{area.kode}.%'")
    kec = kec.assign(_code=kec[k.code_column].astype(str)).set_index("_code")
    rows = counts.select(area.kode, area.kecamatan)
    has = rows["kode_kec"].isin(kec.index)
    missing = sorted(set(rows.loc[~has, "kode_kec"]))
    rows = rows[has]
    out = gpd.GeoDataFrame({
        "kode": rows["kode_kel"].to_numpy(),
        "nama": [counts.name(c).title() for c in rows["kode_kel"]],
        "nama_kec": kec.loc[rows["kode_kec"], k.name_column].to_numpy(),
    }, geometry=kec.loc[rows["kode_kec"]].geometry.to_numpy(), crs=kec.crs)
    return out, missing


def _area_name(area: Area, counts: NationalCounts, lang: str) -> str:
    if area.name:
        return area.name
    name = counts.name(area.kode).title()
    if area.kecamatan:
        name += f" ({t('area_part', lang)})"
    return name


def _crs(group: GroupConfig, kel: gpd.GeoDataFrame) -> str:
    if group.defaults.crs:
        return group.defaults.crs
    c = kel.to_crs(pio.WGS84).union_all().centroid if kel.crs else kel.union_all().centroid
    return utm_crs(c.x, c.y)


def member_run(group: GroupConfig, member: Member, area: Area, run_id: str, folder: Path,
               counts: NationalCounts, *, regions_dir: Path | None = None) -> MemberRun:
    """The region file of one member area: the area's own, or one generated into ``folder``."""
    reserve = group.defaults.reserve_peleton if group.defaults else 0
    if area.region:
        path = resolve_region_path(area.region, regions_dir)
        police = load_config(path, check_files=False).police
        has_rayons = bool(police and police.rayons)
        return MemberRun(run_id, member.id, member.polres, str(path), area.kode, area.kecamatan, False,
                         reserve_peleton=0 if has_rayons else reserve)
    d = group.defaults
    lang = group.group.language
    inputs = folder / "inputs"
    missing: list[str] = []
    attribution = d.boundaries.attribution
    if area.file is not None:
        kel = _kelurahan_subset(group, area)
        polygons = False
        boundary = {"code_column": d.boundaries.code_column, "name_column": d.boundaries.name_column,
                    "kecamatan_name_column": d.boundaries.kecamatan_name_column}
    else:
        kel, missing = _kecamatan_as_kelurahan(group, area, counts)
        polygons = True
        boundary = {"code_column": "kode", "name_column": "nama", "kecamatan_name_column": "nama_kec"}
        note = t("no_kelurahan_polygons", lang)
        attribution = f"{d.kecamatan_boundaries.attribution or ''} — {note}".strip(" —")
    if area.file is not None and not area.kecamatan:
        kel_file = d.boundaries.path.replace("{file}", area.file)  # the bundle's file as it is
    else:
        kel_file = str(inputs / f"{run_id}_kelurahan.geojson")
        _write_if_changed(Path(kel_file), kel.to_crs(pio.WGS84).to_json(drop_id=True))
    name = _area_name(area, counts, lang)
    if polygons:
        name += f" ({t('kecamatan_polygons', lang)})"
    kec_codes = area.kecamatan
    if missing:
        kec_codes = sorted(set(counts.select(area.kode, area.kecamatan)["kode_kec"]) - set(missing))
    tps = {"format": "kawalpemilu", "path": d.tps.path, "election": d.tps.election,
           "attribution": d.tps.attribution, "placement": d.placement.model_dump()}
    if kec_codes:
        tps["kecamatan"] = list(kec_codes)
    region = {
        "region": {"id": run_id, "name": name, "kode": area.kode, "crs": _crs(group, kel), "language": lang,
                   "classification": group.group.classification},
        "sources": {"boundaries": {"kelurahan": {"path": kel_file, **boundary, "attribution": attribution}},
                    "tps": tps},
        "police": {"polres": member.polres, "peleton_size": d.peleton_size},
        "deployment": {"preset": d.preset},
    }
    region = _merge(region, member.overrides)
    path = folder / "regions" / f"{run_id}.yml"
    header = (f"# generated by pamgeo from {group.config_path} (member {member.id}); edit the group file, "
              "not this one\n")
    _write_if_changed(path, header + yaml.safe_dump(json.loads(json.dumps(region)), sort_keys=False,
                                                    allow_unicode=True))
    return MemberRun(run_id, member.id, member.polres, str(path), area.kode, area.kecamatan, True,
                     kecamatan_polygons=polygons, left_out_kecamatan=missing, reserve_peleton=reserve)


def member_runs(group: GroupConfig, folder: Path, counts: NationalCounts, *,
                regions_dir: Path | None = None, only: list[str] | None = None) -> list[MemberRun]:
    """Every region run of the group (``only``: these member or run ids)."""
    out = []
    for member, area, run_id in group.runs():
        if only and member.id not in only and run_id not in only:
            continue
        out.append(member_run(group, member, area, run_id, folder, counts, regions_dir=regions_dir))
    return out


def kelurahan_files(folder: Path) -> dict[str, str]:
    """Kab/kota code -> stem of the bundle's per-kab/kota kelurahan GeoJSON in ``folder``."""
    out: dict[str, str] = {}
    for path in sorted(folder.glob("*_kelurahan*.geojson")):
        first = pio.read_vector(path).iloc[:1]
        if not first.empty and "kode" in first:
            code = str(first["kode"].iloc[0])
            if code.count(".") == 3:
                out.setdefault(code[:5], path.stem)
    return out


def province_group(counts: NationalCounts, province: str, files: dict[str, str], *, group_id: str,
                   name: str, raw_folder: str = "{raw}/cahyadsn_wilayah_boundaries") -> dict:
    """A group file (as a mapping) with one member per kab/kota of ``province`` in the national
    counts: kelurahan polygons where the bundle has them, else kecamatan polygons (said on every page)."""
    kabs = sorted(counts.tps.loc[counts.tps["kode_prov"] == province, "kode_kab"].unique())
    if not kabs:
        raise ValueError(f"no TPS under province {province} in {counts.path}")
    members = []
    for kab in kabs:
        area = {"kode": kab, "name": counts.name(kab).title()}
        if kab in files:
            area["file"] = files[kab]
        members.append({"id": "k" + kab.replace(".", ""), "polres": f"Polres {counts.name(kab).title()}",
                        "areas": [area]})
    return {
        "group": {"id": group_id, "name": name, "kind": "polda", "language": "id", "classification": "TERBATAS",
                  "election": "Pemilu 2024", "measure": "tps"},
        "defaults": {
            "preset": "mabes_2019", "peleton_size": 30, "reserve_peleton": 1,
            "placement": {"method": "uniform", "seed": 20240214, "min_spacing_m": 40},
            "tps": {"format": "kawalpemilu", "path": "{raw}/kawalpemilu_kp24/original/tps2.json",
                    "election": "Pemilu 2024", "attribution": "Jumlah TPS: KPU via KawalPemilu (kawalpemilu.org)"},
            "boundaries": {"path": raw_folder + "/{file}.geojson", "code_column": "kode", "name_column": "nama",
                           "kecamatan_name_column": "nama_kec",
                           "attribution": "Batas wilayah: Kemendagri via cahyadsn/wilayah_boundaries (MIT)"},
            "kecamatan_boundaries": {"path": raw_folder + "/indonesia_kecamatan.gpkg", "layer": "kecamatan",
                                     "code_column": "kode", "name_column": "nama",
                                     "attribution": "Batas kecamatan: Kemendagri via cahyadsn/wilayah_boundaries (MIT)"},
        },
        "members": members,
    }
