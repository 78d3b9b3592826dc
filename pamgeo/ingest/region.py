"""Build a region's analysis-ready layers from its config, and store/load them.

:func:`build_region` reads every configured input (through :mod:`pamgeo.ingest.io`), validates the
TPS list or estimates TPS positions, and returns a :class:`RegionData`. :func:`write_region`
stores it as one GeoPackage per region (written to a temporary file and moved into place, so a
killed build leaves the previous one), :func:`load_region` reads it back.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pamgeo import __version__
from pamgeo.core.codes import kecamatan_of, normalise_code
from pamgeo.core.config import Placement, RegionConfig, TpsCounts, TpsKawalPemilu
from pamgeo.core.errors import InputError
from pamgeo.core.resources import default_build_dir
from pamgeo.ingest import io as pio
from pamgeo.ingest.classifications import Classifications, region_classifications
from pamgeo.ingest.estimate import place_tps, tps_from_counts
from pamgeo.ingest.validate import NOTE_COLUMNS, ValidationReport, validate_tps

LAYERS = ("kelurahan", "kecamatan", "kota", "tps", "roads", "waterways", "police_posts", "outside_kecamatan",
          "flood_lakes", "flood_events", "flood_polygons")


#: version of what a build holds; a build of another version is rebuilt (see :func:`is_current`)
BUILD_FORMAT = 2


@dataclass(frozen=True)
class TpsAccount:
    """Where every TPS of the source went: ``in_source = own + repaired + estimated + left_out``.

    ``source`` is ``"list"`` (a per-TPS list) or ``"counts"`` (per-kelurahan counts: every
    position estimated).
    """

    source: str
    in_source: int
    own: int = 0
    repaired: int = 0
    estimated: int = 0
    left_out: int = 0

    def __post_init__(self) -> None:
        if self.in_source != self.own + self.repaired + self.estimated + self.left_out:
            raise ValueError(f"TPS account does not add up: {self}")

    @classmethod
    def of(cls, source: str, in_source: int, tps: gpd.GeoDataFrame) -> TpsAccount:
        pos = tps["position_source"]
        repaired = int((pos == "file_repaired").sum())
        estimated = int(pos.isin(("estimated", "approximate")).sum())
        kept = len(tps)
        return cls(source, in_source, kept - repaired - estimated, repaired, estimated, in_source - kept)


def layer_coverage(layer, area) -> float:
    """Share of ``area`` (a polygon) that a vector layer's extent covers: the convex hull of its
    features, cut to the area. A layer clipped to another kota covers only part of this one."""
    if layer is None or len(layer) == 0:
        return 0.0
    hull = layer.geometry.union_all().convex_hull
    return round(float(hull.intersection(area).area / area.area), 3) if area.area else 0.0


def raster_coverage(raster, area, crs) -> float:
    """Share of ``area`` with modelled raster cells (NoData is not modelled)."""
    from rasterio.features import shapes

    valid = np.isfinite(raster.values).astype(np.uint8)
    polys = [shapely.geometry.shape(g) for g, v in shapes(valid, mask=valid > 0, transform=raster.transform)]
    if not polys:
        return 0.0
    footprint = gpd.GeoSeries(polys, crs=raster.crs).to_crs(crs).union_all()
    return round(float(footprint.intersection(area).area / area.area), 3)


def coverage(data: RegionData) -> dict[str, dict]:
    """For each optional layer: whether it exists, how many features, and the share of the
    region it covers (``share``; 1.0 = all of it)."""
    area = data.kota.geometry.iloc[0]
    out: dict[str, dict] = {}
    for name in ("roads", "waterways", "police_posts", "flood_polygons", "flood_events", "flood_lakes"):
        layer = getattr(data, name)
        n = 0 if layer is None else len(layer)
        out[name] = {"present": n > 0, "n": n, "share": layer_coverage(layer, area) if n else 0.0}
    prone = data.flood_prone
    n_prone = 0 if prone is None else int(prone["kode_kel"].nunique())
    out["flood_prone"] = {"present": n_prone > 0, "n": n_prone,
                          "share": 1.0 if n_prone else 0.0}  # a list per kelurahan covers the region it names
    shares = [raster_coverage(r, area, data.kota.crs) for r in data.flood_rasters]
    out["flood_rasters"] = {"present": bool(shares), "n": len(shares), "share": max(shares, default=0.0)}
    return out


@dataclass
class RegionData:
    """Every layer of one region, in the region's metric CRS."""

    config: RegionConfig
    kelurahan: gpd.GeoDataFrame
    kecamatan: gpd.GeoDataFrame
    kota: gpd.GeoDataFrame
    tps: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame | None = None
    waterways: gpd.GeoDataFrame | None = None
    police_posts: gpd.GeoDataFrame | None = None
    flood_prone: pd.DataFrame | None = None
    outside_kecamatan: gpd.GeoDataFrame | None = None
    validation: ValidationReport | None = None
    meta: dict = field(default_factory=dict)
    flood_lakes: gpd.GeoDataFrame | None = None
    flood_events: gpd.GeoDataFrame | None = None
    flood_polygons: gpd.GeoDataFrame | None = None
    flood_rasters: list = field(default_factory=list)
    account: TpsAccount | None = None
    # official classification lists (sources.classifications); applied by the analysis
    classifications: Classifications | None = None

    @property
    def positions_estimated(self) -> bool:
        """True when any TPS position is an estimate."""
        return bool((self.tps["position_source"] == "estimated").any())

    @property
    def estimated_note_key(self) -> str | None:
        """i18n key of the note that explains how TPS positions were estimated (None if not)."""
        est = self.tps.loc[self.tps["position_source"] == "estimated", "position_method"]
        if est.empty:
            return None
        streets = est.astype(str).str.startswith("streets").mean()
        return "estimated_note_streets" if streets >= 0.5 else "estimated_note_uniform"

    def kecamatan_codes(self) -> list[str]:
        return sorted(self.kecamatan["kode_kec"])


def dissolve_kecamatan(kelurahan: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Kecamatan polygons as the union of their kelurahan (a partition by construction)."""
    kec = kelurahan.dissolve(by=["kode_kec", "kecamatan"], as_index=False)[["kode_kec", "kecamatan", "geometry"]]
    n = kelurahan.groupby("kode_kec").size()
    kec["n_kelurahan"] = kec["kode_kec"].map(n).astype(int)
    return kec.sort_values("kode_kec").reset_index(drop=True)


def police_posts_frame(table: pd.DataFrame, kelurahan: gpd.GeoDataFrame, path: str) -> gpd.GeoDataFrame:
    """Police units with a point each: their own coordinates, or approximately inside their kelurahan.

    Rows with ``lat``/``lon`` keep them (``position_source`` as written, else ``"surveyed"``);
    rows with only ``kode_kel`` get a point inside that kelurahan (``"approximate"``).
    """
    kel = kelurahan.set_index("kode_kel")
    lat = pd.to_numeric(table.get("lat", pd.Series([""] * len(table))).replace("", None), errors="coerce")
    lon = pd.to_numeric(table.get("lon", pd.Series([""] * len(table))).replace("", None), errors="coerce")
    has_xy = lat.notna() & lon.notna()
    pts = gpd.GeoSeries(gpd.points_from_xy(lon.fillna(0), lat.fillna(0)), crs=pio.WGS84).to_crs(kelurahan.crs)
    geoms, sources, codes = [], [], []
    for i, row in table.reset_index(drop=True).iterrows():
        code = normalise_code(row.get("kode_kel", "")) if row.get("kode_kel", "") else None
        if has_xy.iloc[i]:
            geoms.append(pts.iloc[i])
            sources.append(row.get("position_source") or "surveyed")
            if code is None:
                hit = kel.index[kel.contains(pts.iloc[i])]
                code = hit[0] if len(hit) else None
        elif code is not None and code in kel.index:
            geoms.append(kel.loc[code, "geometry"].representative_point())
            sources.append("approximate")
        else:
            raise InputError(
                f"{path}: row {row['_row']}: unit '{row['unit']}' has neither lat/lon nor a kode_kel "
                f"of this region ('{row.get('kode_kel', '')}'). Fix: add coordinates or a kelurahan code."
            )
        codes.append(code)
    out = gpd.GeoDataFrame(table.drop(columns=[c for c in ("lat", "lon", "_row") if c in table]).reset_index(drop=True),
                           geometry=geoms, crs=kelurahan.crs)
    out["kode_kel"] = codes
    out["kode_kec"] = [kecamatan_of(c) if c else None for c in codes]
    out["position_source"] = sources
    return out


def build_region(cfg: RegionConfig, *, progress: bool = False, on_invalid: str | None = None) -> RegionData:
    """Read, validate and assemble every layer of a region.

    ``on_invalid`` (``"estimate"``, ``"stop"`` or ``"drop"``) overrides ``region.on_invalid``
    for this run. ``estimate`` keeps a TPS whose position is unusable (no coordinate, another
    province, outside the region) with an estimated position inside its stated kelurahan
    (``position_source = estimated``, the reason in ``position_note``), and leaves out only rows
    that name no known TPS; ``stop`` stops at rows with errors; ``drop`` builds without them.
    Whatever the policy, ``RegionData.account`` says where every TPS of the source went, and
    the validation report is kept with the build.

    Raises
    ------
    InputError
        A source cannot be read, or (with ``region.on_invalid: stop``) the TPS list has errors;
        the error carries the row-level report.
    """
    kelurahan = pio.read_kelurahan(cfg)
    kecamatan = dissolve_kecamatan(kelurahan)
    kota = gpd.GeoDataFrame(
        {"kode": [cfg.region.kode], "nama": [cfg.region.name]},
        geometry=[kelurahan.geometry.union_all()], crs=kelurahan.crs,
    )
    roads = pio.read_roads(cfg)
    src = cfg.sources.tps
    tps_path = str(cfg.resolve(src.path))
    if isinstance(src, TpsCounts | TpsKawalPemilu):
        if isinstance(src, TpsKawalPemilu):
            from pamgeo.ingest.kawalpemilu import read_counts

            counts = read_counts(cfg)
        else:
            counts = pio.read_tps_counts(cfg)
        try:
            rows = tps_from_counts(counts, kelurahan)
        except ValueError as exc:
            raise InputError(f"{tps_path}: {exc}. Fix: check region.kode and the boundary source.") from None
        pl = src.placement
        tps = place_tps(rows, kelurahan, roads, method=pl.method, seed=pl.seed,
                        min_spacing_m=pl.min_spacing_m, offset_m=pl.offset_m,
                        road_weights=pl.road_weights, progress=progress)
        # check the estimate with the same rules a real list meets
        check = tps.to_crs(pio.WGS84)
        frame = pd.DataFrame({
            "kelurahan": check["kode_kel"], "tps_no": check["tps_no"].astype(str),
            "lat": check.geometry.y.astype(str), "lon": check.geometry.x.astype(str),
            "_row": np.arange(1, len(check) + 1),
        })
        table = pio.TpsTable(Path(tps_path), frame, "tps", {c: c for c in frame.columns if c != "_row"}, [])
        _, report = validate_tps(table, kelurahan, tolerance_m=cfg.region.tolerance_m,
                                 kelurahan_tolerance_m=cfg.region.kelurahan_tolerance_m)
        if not report.ok:
            raise InputError(f"{tps_path}: estimated TPS failed validation:\n{report.format_text(10)}", report)
        for col in NOTE_COLUMNS:
            tps[col] = ""
        account = TpsAccount.of("counts", len(tps), tps)
    else:
        tps, report, account = _tps_from_list(cfg, kelurahan, roads, on_invalid or cfg.region.on_invalid, progress)
    waterways = pio.read_waterways(cfg)
    police_table = pio.read_police_posts(cfg)
    police = None
    if police_table is not None:
        police = police_posts_frame(police_table, kelurahan, str(cfg.resolve(cfg.sources.police_posts.path)))
    flood_prone = pio.read_flood_prone(cfg)
    fv = pio.read_flood_vectors(cfg)
    return RegionData(cfg, kelurahan, kecamatan, kota, tps.sort_values("tps_id").reset_index(drop=True),
                      roads, waterways, police, flood_prone, pio.read_outside_kecamatan(cfg), report,
                      flood_lakes=fv["lakes"], flood_events=fv["events"], flood_polygons=fv["polygons"],
                      flood_rasters=pio.read_flood_rasters(cfg), account=account,
                      classifications=region_classifications(cfg, kelurahan, tps, on_invalid))


def _tps_from_list(cfg: RegionConfig, kelurahan: gpd.GeoDataFrame, roads: gpd.GeoDataFrame | None, policy: str,
                   progress: bool) -> tuple[gpd.GeoDataFrame, ValidationReport, TpsAccount]:
    """The TPS of a per-TPS list, validated, under the ``on_invalid`` policy."""
    if policy not in ("estimate", "stop", "drop"):
        raise ValueError(f"on_invalid must be 'estimate', 'stop' or 'drop', not {policy!r}")
    src = cfg.sources.tps
    table = pio.read_tps_table(cfg.resolve(src.path), columns=src.columns, encoding=src.encoding)
    tps, report = validate_tps(table, kelurahan, tolerance_m=cfg.region.tolerance_m,
                               kelurahan_tolerance_m=cfg.region.kelurahan_tolerance_m,
                               keep_unplaced=policy == "estimate")
    if not report.ok and policy == "stop":
        raise InputError(
            f"{report.format_text(30)}\nThe build stopped (region.on_invalid: stop). Fix the rows, or set "
            "region.on_invalid: estimate (TPS without a usable position get an estimated one) or drop "
            "(rows with errors are left out).", report,
        )
    if tps.empty:
        raise InputError(f"{report.format_text(30)}\nNo TPS of {report.path} could be used ({report.n_rows} rows). "
                         "Fix the rows above (or the columns: mapping in the region config).", report)
    unplaced = (tps["position_source"] == "unplaced").to_numpy()
    if unplaced.any():
        tps = _estimate_unplaced(tps, unplaced, kelurahan, roads, progress)
    return tps, report, TpsAccount.of("list", report.n_rows, tps)


def _estimate_unplaced(tps: gpd.GeoDataFrame, unplaced: np.ndarray, kelurahan: gpd.GeoDataFrame,
                       roads: gpd.GeoDataFrame | None, progress: bool) -> gpd.GeoDataFrame:
    """Estimated positions inside their stated kelurahan for the TPS of a list without a usable one."""
    pl = Placement()
    method = pl.method if roads is not None and not roads.empty else "uniform"
    rows = pd.DataFrame(tps.loc[unplaced].drop(columns="geometry"))
    placed = place_tps(rows, kelurahan, roads, method=method, seed=pl.seed, min_spacing_m=pl.min_spacing_m,
                       offset_m=pl.offset_m, road_weights=pl.road_weights, progress=progress)
    placed.index = rows.index
    out = tps.copy()
    out.loc[unplaced, "geometry"] = placed.geometry.to_numpy()
    out.loc[unplaced, "position_source"] = "estimated"
    out.loc[unplaced, "position_method"] = placed["position_method"].to_numpy()
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def input_fingerprint(cfg: RegionConfig) -> dict[str, dict[str, str]]:
    """Path and sha256 of the config file and of every input file."""
    files = {"config": Path(cfg.config_path), **cfg.source_files()}
    return {k: {"path": str(p), "sha256": _sha256(p)} for k, p in files.items()}


def region_dir(cfg: RegionConfig, build_dir: Path | None = None) -> Path:
    return Path(build_dir or default_build_dir()) / cfg.region.id


def write_region(data: RegionData, build_dir: Path | None = None) -> Path:
    """Store a region as ``<build_dir>/<id>/region.gpkg`` plus the validation report and meta.

    The GeoPackage is written to a temporary file and moved into place.
    """
    out_dir = region_dir(data.config, build_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".gpkg", dir=out_dir, prefix=".tmp-")
    os.close(fd)
    os.unlink(tmp)
    try:
        for name in LAYERS:
            layer = getattr(data, name)
            if layer is None or len(layer) == 0:
                continue
            layer.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
        meta = {
            "region": data.config.region.id,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "pamgeo_version": __version__,
            "inputs": input_fingerprint(data.config),
            "build_format": BUILD_FORMAT,
            "counts": {"kelurahan": len(data.kelurahan), "kecamatan": len(data.kecamatan),
                       "tps": len(data.tps)},
            "account": None if data.account is None else asdict(data.account),
            "coverage": coverage(data),
        }
        if data.flood_prone is not None:
            data.flood_prone.to_csv(out_dir / "flood_prone.csv", index=False)
        report_path = out_dir / "tps_validation.csv"
        (out_dir / "classification_findings.csv").unlink(missing_ok=True)
        if data.classifications is not None and not data.classifications.findings().empty:
            data.classifications.findings().to_csv(out_dir / "classification_findings.csv", index=False)
        if data.validation is not None:
            data.validation.to_frame().to_csv(report_path.with_suffix(".csv.tmp"), index=False)
            os.replace(report_path.with_suffix(".csv.tmp"), report_path)
        os.replace(tmp, out_dir / "region.gpkg")
        (out_dir / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out_dir / "region.gpkg"


def is_current(cfg: RegionConfig, build_dir: Path | None = None) -> bool:
    """True when the stored build exists and was made from the same config and inputs."""
    d = region_dir(cfg, build_dir)
    if not (d / "region.gpkg").exists() or not (d / "meta.json").exists():
        return False
    meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
    return (meta.get("inputs") == input_fingerprint(cfg) and meta.get("pamgeo_version") == __version__
            and meta.get("build_format") == BUILD_FORMAT)


def load_region(cfg: RegionConfig, build_dir: Path | None = None) -> RegionData:
    """Read a region stored by :func:`write_region`."""
    d = region_dir(cfg, build_dir)
    gpkg = d / "region.gpkg"
    if not gpkg.exists():
        raise InputError(f"{gpkg}: not built yet. Fix: run `pamgeo data build {cfg.region.id}`.")
    import pyogrio

    present = {name for name, _ in pyogrio.list_layers(gpkg)}
    layers = {n: (gpd.read_file(gpkg, layer=n) if n in present else None) for n in LAYERS}
    tps = layers["tps"]
    tps["dpt"] = tps["dpt"].astype("Int64")
    for c in ("alamat", "risk_class_official", *NOTE_COLUMNS):
        tps[c] = tps[c].fillna("") if c in tps else ""
    meta = json.loads((d / "meta.json").read_text(encoding="utf-8")) if (d / "meta.json").exists() else {}
    flood = None
    if (d / "flood_prone.csv").exists():
        flood = pd.read_csv(d / "flood_prone.csv", dtype=str, keep_default_na=False)
    return RegionData(cfg, layers["kelurahan"], layers["kecamatan"], layers["kota"], tps,
                      layers["roads"], layers["waterways"], layers["police_posts"], flood,
                      layers["outside_kecamatan"], None, meta,
                      flood_lakes=layers["flood_lakes"], flood_events=layers["flood_events"],
                      flood_polygons=layers["flood_polygons"], flood_rasters=pio.read_flood_rasters(cfg),
                      account=TpsAccount(**meta["account"]) if meta.get("account") else None,
                      classifications=region_classifications(cfg, layers["kelurahan"], tps, "drop"))
