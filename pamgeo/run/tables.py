"""The tables a run writes beside its pages: ``tps.csv``, ``pockets.csv``, ``plotting.csv/.xlsx``."""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import geopandas as gpd
import pandas as pd

from pamgeo import __version__
from pamgeo.analysis.personnel import preset_table, summarise
from pamgeo.analysis.pipeline import Analysis
from pamgeo.ingest.io import WGS84

PACKAGES = ("geopandas", "shapely", "pyproj", "pandas", "scikit-learn", "folium-offline", "papermill", "nbconvert",
            "scipy")


def versions() -> dict[str, str]:
    """Versions of Python, pamgeo and the packages its results depend on (for the manifest)."""
    out = {"python": sys.version.split()[0], "pamgeo": __version__}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


TPS_CSV_FIRST = ["tps_id", "kode_kel", "kode_kec", "kecamatan", "kelurahan", "tps_no", "lat", "lon",
                 "position_source", "position_method", "is_khusus", "risk_class", "risk_class_source",
                 "risk_class_date", "risk_class_authority", "risk_score", "risk_reasons", "pocket_id", "rayon",
                 "polsek", "response_min", "route_km", "flood_class", "flood_reasons", "access_cut", "detour_min",
                 "cut_unreachable"]


def tps_table(tps: gpd.GeoDataFrame) -> pd.DataFrame:
    """TPS table for ``tps.csv``: one row per TPS, lat/lon in EPSG:4326, key columns first."""
    wgs = tps.geometry.to_crs(WGS84)
    out = pd.DataFrame(tps.drop(columns="geometry"))
    out["lat"] = wgs.y.round(6).to_numpy()
    out["lon"] = wgs.x.round(6).to_numpy()
    first = [c for c in TPS_CSV_FIRST if c in out.columns]
    return out[first + [c for c in out.columns if c not in first]]


def write_plotting(analysis: Analysis, folder: Path, lang: str) -> None:
    """``plotting.csv`` (per kelurahan) and ``plotting.xlsx`` (kelurahan, kecamatan, rayon, strength, pattern)."""
    per = analysis.personnel
    per.to_csv(folder / "plotting.csv", index=False)
    with pd.ExcelWriter(folder / "plotting.xlsx", engine="openpyxl") as xl:
        per.to_excel(xl, sheet_name="kelurahan", index=False)
        summarise(per, "kecamatan").to_excel(xl, sheet_name="kecamatan", index=False)
        if "rayon" in per:
            summarise(per, "rayon").to_excel(xl, sheet_name="rayon", index=False)
        analysis.strength.to_excel(xl, sheet_name="kekuatan" if lang == "id" else "strength", index=False)
        preset_table(analysis.preset).assign(preset=analysis.preset.name).to_excel(
            xl, sheet_name="pola" if lang == "id" else "pattern", index=False)


def write_tables(analysis: Analysis, folder: Path, lang: str) -> None:
    """The run's tables: ``tps.csv``, ``pockets.csv``, ``plotting.csv`` and ``plotting.xlsx``."""
    tps_table(analysis.tps).to_csv(folder / "tps.csv", index=False)
    analysis.pockets.table.to_csv(folder / "pockets.csv", index=False)
    write_plotting(analysis, folder, lang)
