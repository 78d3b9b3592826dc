"""Shared fixtures: a tiny hand-built region near latitude -6, and the raw bundle."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from pamgeo.core.config import raw_dir

# 2 x 2 kelurahan of 0.01 degree (about 1.1 km) near Tangsel; kecamatan 01 = south row.
X0, Y0, D = 106.70, -6.30, 0.01
KEL = {
    "99.01.01.1001": ("Alpha Jaya", "Kec Satu", 0, 0),
    "99.01.01.1002": ("Rawa Beta", "Kec Satu", 1, 0),
    "99.01.02.1001": ("Gamma", "Kec Dua", 0, 1),
    "99.01.02.1002": ("Delta Timur", "Kec Dua", 1, 1),
}
COUNTS = {"99.01.01.1001": (5, None), "99.01.01.1002": (3, None), "99.01.02.1001": (4, 901),
          "99.01.02.1002": (2, None)}


def kel_box(code: str) -> tuple[float, float, float, float]:
    _, _, i, j = KEL[code]
    return X0 + i * D, Y0 + j * D, X0 + (i + 1) * D, Y0 + (j + 1) * D


def kel_center(code: str) -> tuple[float, float]:
    x0, y0, x1, y1 = kel_box(code)
    return (y0 + y1) / 2, (x0 + x1) / 2  # lat, lon


def _fc(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def make_toy_region(folder: Path, *, placement: str = "streets", extra: dict | None = None) -> Path:
    """Write boundaries, counts, roads and police files and a region config; return the config."""
    folder.mkdir(parents=True, exist_ok=True)
    feats = []
    for code, (name, kec, _, _) in KEL.items():
        x0, y0, x1, y1 = kel_box(code)
        feats.append({"type": "Feature", "properties": {"kode": code, "nama": name, "nama_kec": kec},
                      "geometry": {"type": "Polygon",
                                   "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}})
    (folder / "kel.geojson").write_text(json.dumps(_fc(feats)))
    lines = ["kode_kel,n_tps_reguler,tps_khusus_from,tps_khusus_to"]
    for code, (n, k) in COUNTS.items():
        lines.append(f"{code.replace('.', '')},{n},{k or ''},{k or ''}")
    (folder / "counts.csv").write_text("\n".join(lines) + "\n")
    roads = []
    steps = [X0 + 0.0015 + 0.002 * i for i in range(10)]
    for x in steps:  # north-south streets
        roads.append({"type": "Feature", "properties": {"fclass": "residential", "name": ""},
                      "geometry": {"type": "LineString", "coordinates": [[x, Y0], [x, Y0 + 2 * D]]}})
    for k in range(10):  # east-west streets
        y = Y0 + 0.0015 + 0.002 * k
        roads.append({"type": "Feature", "properties": {"fclass": "residential", "name": ""},
                      "geometry": {"type": "LineString", "coordinates": [[X0, y], [X0 + 2 * D, y]]}})
    roads.append({"type": "Feature", "properties": {"fclass": "primary", "name": "Jalan Raya Uji"},
                  "geometry": {"type": "LineString", "coordinates": [[X0, Y0 + D], [X0 + 2 * D, Y0 + D]]}})
    (folder / "roads.geojson").write_text(json.dumps(_fc(roads)))
    river = [{"type": "Feature", "properties": {"name": "Kali Uji", "fclass": "river"},
              "geometry": {"type": "LineString", "coordinates": [[X0 + 0.013, Y0], [X0 + 0.013, Y0 + 2 * D]]}}]
    (folder / "river.geojson").write_text(json.dumps(_fc(river)))
    (folder / "police.csv").write_text(
        "unit,level,kode_kel,lat,lon,status\n"
        "Polsek Satu,Polsek,99.01.01.1001,,,exists\n"
        f"Polsek Dua,Polsek,,{Y0 + 1.5 * D},{X0 + 1.5 * D},exists\n"
    )
    cfg = {
        "region": {"id": "toy", "name": "Kota Uji", "kode": "99.01", "crs": "EPSG:32748",
                   "language": "id", "classification": "TERBATAS"},
        "sources": {
            "boundaries": {"kelurahan": {"path": "kel.geojson", "code_column": "kode", "name_column": "nama",
                                         "kecamatan_name_column": "nama_kec", "attribution": "Batas: uji"}},
            "tps": {"format": "counts", "path": "counts.csv", "attribution": "TPS: uji",
                    "placement": {"method": placement, "seed": 7, "min_spacing_m": 40}},
            "roads": {"path": "roads.geojson", "attribution": "Jalan: uji"},
            "waterways": [{"path": "river.geojson", "class_column": "fclass"}],
            "police_posts": {"path": "police.csv"},
        },
        "police": {"polres": "Polres Uji",
                   "coverage": {"Polsek Satu": ["99.01.01"], "Polsek Dua": ["99.01.02"]},
                   "rayons": [{"name": "Rayon I", "polsek": ["Polsek Satu", "Polsek Dua"], "staging": "Polsek Satu"}]},
        "deployment": {"preset": "polres_tangsel_pilkada_2024"},
    }
    if extra:
        for key, value in extra.items():
            node = cfg
            *path, last = key.split(".")
            for p in path:
                node = node[p]
            node[last] = value
    path = folder / "toy.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
    return path


@pytest.fixture
def toy_config_path(tmp_path: Path) -> Path:
    return make_toy_region(tmp_path / "toy")


@pytest.fixture
def toy_cfg(toy_config_path: Path):
    from pamgeo.core.config import load_config

    return load_config(toy_config_path)


@pytest.fixture
def toy_kelurahan(toy_cfg):
    from pamgeo.ingest.io import read_kelurahan

    return read_kelurahan(toy_cfg)


@pytest.fixture(scope="session")
def bundle() -> Path:
    """The raw public bundle; its absence fails the run on CI and skips elsewhere."""
    path = raw_dir()
    if not (path / "kawalpemilu_kp24").exists():
        if os.environ.get("CI"):
            pytest.fail(f"raw bundle not found at {path}; CI must run with ../shared beside the repo")
        pytest.skip(f"raw bundle not found at {path} (set PAMGEO_RAW)")
    return path


@pytest.fixture(scope="session")
def tangsel(bundle, tmp_path_factory):
    """Tangsel built from the bundle once per test session."""
    from pamgeo.core.config import load_config
    from pamgeo.ingest.region import build_region

    return build_region(load_config("tangsel"))
