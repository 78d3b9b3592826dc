"""Flood classes on rasters and polygons the tests build, kelurahan evidence, and access detours."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import LineString, Point, box

from pamgeo.analysis import catchment as C
from pamgeo.analysis.flood import (
    FloodLayers,
    access_cut,
    classify_points,
    coverage_warning,
    merge_waterways,
    raster_class,
    sample_raster,
)
from pamgeo.analysis.network import build_road_graph
from pamgeo.core.config import Flood
from pamgeo.ingest.io import Raster

UTM = "EPSG:32748"
X0, Y0 = 700_000.0, 9_300_000.0  # near latitude -6.3


def _raster(values, *, crs=UTM, x0=X0, y0=Y0 + 1000, cell=100.0, kind="index", breaks=(0.0, 1 / 3, 2 / 3),
            tmp_path=None) -> Raster:
    """A raster written to GeoTIFF with rasterio and read back (NoData = -9999)."""
    arr = np.asarray(values, dtype="float32")
    transform = from_origin(x0, y0, cell, cell)
    path = tmp_path / f"r_{kind}_{abs(hash((crs, x0, cell)))}.tif"
    with rasterio.open(path, "w", driver="GTiff", height=arr.shape[0], width=arr.shape[1], count=1,
                       dtype="float32", crs=crs, transform=transform, nodata=-9999) as ds:
        ds.write(arr, 1)
    with rasterio.open(path) as ds:
        vals = ds.read(1, masked=True).astype(float).filled(np.nan)
        return Raster(vals, ds.transform, ds.crs, kind, breaks, "model uji")


def test_index_thresholds_and_boundaries():
    v = np.array([np.nan, 0.0, 0.2, 1 / 3, 0.5, 2 / 3, 0.9])
    assert list(raster_class(v, (0.0, 1 / 3, 2 / 3))) == ["none", "rendah", "rendah", "sedang", "sedang", "tinggi", "tinggi"]
    d = np.array([0.05, 0.1, 0.49, 0.5, 1.0, 3.0])
    assert list(raster_class(d, (0.1, 0.5, 1.0))) == ["none", "rendah", "rendah", "sedang", "tinggi", "tinggi"]


def test_raster_in_utm_with_tps_in_wgs84_and_nodata(tmp_path):
    # 10 x 10 cells of 100 m: left half index 0.9, right half NoData except one cell 0.2
    vals = np.full((10, 10), -9999.0)
    vals[:, :5] = 0.9
    vals[5, 8] = 0.2
    r = _raster(vals, tmp_path=tmp_path)
    pts_utm = gpd.GeoSeries([Point(X0 + 250, Y0 + 450), Point(X0 + 850, Y0 + 450), Point(X0 + 750, Y0 + 150),
                             Point(X0 + 5000, Y0 + 5000)], crs=UTM)
    pts = pts_utm.to_crs("EPSG:4326")
    at, mx, modelled = sample_raster(r, pts, buffer_m=0)
    assert at[0] == pytest.approx(0.9, abs=1e-6) and at[1] == pytest.approx(0.2, abs=1e-6)
    assert np.isnan(at[2]) and not modelled[2]  # NoData: not modelled, never "safe"
    assert not modelled[3]                      # outside the raster
    out = classify_points(pts_utm, FloodLayers(rasters=(r,)), Flood(raster_buffer_m=0))
    assert list(out["flood_class"]) == ["tinggi", "rendah", "none", "none"]
    assert list(out["raster_not_modelled"]) == [False, False, True, True]
    assert "model uji: 0,90 (tinggi)" in out["flood_reasons"].iloc[0]


def test_buffer_maximum(tmp_path):
    vals = np.zeros((10, 10))
    vals[4, 4] = 0.8  # one high cell
    r = _raster(vals, tmp_path=tmp_path)
    p = gpd.GeoSeries([Point(X0 + 650, Y0 + 450)], crs=UTM)  # 2 cells east of the high cell
    assert classify_points(p, FloodLayers(rasters=(r,)), Flood(raster_buffer_m=0))["flood_class"].iloc[0] == "rendah"
    assert classify_points(p, FloodLayers(rasters=(r,)), Flood(raster_buffer_m=250))["flood_class"].iloc[0] == "tinggi"


def test_partial_coverage_warns(tmp_path):
    r = _raster(np.full((2, 2), 0.5), tmp_path=tmp_path)
    pts = gpd.GeoSeries([Point(X0 + 50, Y0 + 950), Point(X0 + 9000, Y0)], crs=UTM)
    with pytest.warns(UserWarning, match="memodelkan 50% TPS"):
        msg = coverage_warning(pts, (r,))
    assert "tidak dimodelkan" in msg
    with pytest.warns(UserWarning, match="covers 50% of the TPS"):
        assert "not modelled" in coverage_warning(pts, (r,), "en")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert coverage_warning(pts.iloc[:1], (r,)) is None


def test_tps_exactly_on_a_corridor_band_edge():
    river = gpd.GeoDataFrame({"name": ["Kali Uji"], "source": [0]}, geometry=[LineString([(X0, Y0 - 5000), (X0, Y0 + 5000)])], crs=UTM)
    pts = gpd.GeoSeries([Point(X0 + 50, Y0), Point(X0 + 50.001, Y0), Point(X0 + 150, Y0), Point(X0 + 300, Y0),
                         Point(X0 + 301, Y0)], crs=UTM)
    out = classify_points(pts, FloodLayers(waterways=river), Flood())
    assert list(out["flood_class"]) == ["tinggi", "sedang", "sedang", "rendah", "none"]
    assert out["flood_reasons"].iloc[0] == "± 50 m dari Kali Uji"


def test_kelurahan_level_evidence_without_points():
    river = gpd.GeoDataFrame({"name": ["Kali Uji"], "source": [0]}, geometry=[LineString([(X0, Y0 - 5000), (X0, Y0 + 5000)])], crs=UTM)
    pts = gpd.GeoSeries([Point(X0 + 5000, Y0), Point(X0 + 100, Y0), Point(X0 + 100, Y0 + 10)], crs=UTM)
    kel = pd.Series(["99.01.01.1001", "99.01.01.1001", "99.01.01.1002"])
    layers = FloodLayers(waterways=river, flood_kelurahan={"99.01.01.1001": ["Perumahan Uji"]})
    out = classify_points(pts, layers, Flood(), kode_kel=kel)
    # far from the river but in a listed kelurahan: rendah; near the river there: bumped to tinggi
    assert list(out["flood_class"]) == ["rendah", "tinggi", "sedang"]
    assert "kelurahan rawan banjir BPBD (Perumahan Uji)" in out["flood_reasons"].iloc[0]


def test_polygons_lakes_events():
    poly = gpd.GeoDataFrame({"flood_class": ["sedang"], "label": ["RW uji"]}, geometry=[box(X0, Y0, X0 + 100, Y0 + 100)], crs=UTM)
    lake = gpd.GeoDataFrame({"name": ["Situ Uji"], "position_source": ["approximate"]},
                            geometry=[Point(X0 + 1000, Y0).buffer(100)], crs=UTM)
    ev = gpd.GeoDataFrame({"depth_cm": [60.0, np.nan], "date": ["2017-02-21", "2017-02-21"]},
                          geometry=[Point(X0 + 3000, Y0), Point(X0 + 5000, Y0)], crs=UTM)
    pts = gpd.GeoSeries([Point(X0 + 50, Y0 + 50), Point(X0 + 1000, Y0), Point(X0 + 1150, Y0),
                         Point(X0 + 3100, Y0), Point(X0 + 5100, Y0)], crs=UTM)
    out = classify_points(pts, FloodLayers(polygons=poly, lakes=lake, events=ev), Flood())
    assert list(out["flood_class"]) == ["sedang", "tinggi", "sedang", "tinggi", "sedang"]
    assert "laporan banjir 2017-02-21, 60 cm" in out["flood_reasons"].iloc[3]


def test_merge_waterways_without_double_counting():
    a = LineString([(0, 0), (0, 1000)])
    b = LineString([(5, -500), (5, 1500)])  # the same river drawn again, longer
    ww = gpd.GeoDataFrame({"name": ["A", "B"], "source": [0, 1]}, geometry=[a, b], crs=UTM)
    merged = merge_waterways(ww)
    assert merged.geometry.length.sum() == pytest.approx(1000 + 2 * (500 - 30), abs=2)


def test_access_cut_and_detour_on_a_hand_built_graph():
    # staging S at (0,0); TPS at (1000,0). Direct road S-T 1 km (floods in the middle);
    # detour S-(0,1000)-(1000,1000)-T 3 km; an island road reachable only through the flood.
    roads = gpd.GeoDataFrame({"road_class": ["residential"] * 5, "is_bridge": [False] * 5}, geometry=[
        LineString([(0, 0), (500, 0)]), LineString([(500, 0), (1000, 0)]),
        LineString([(0, 0), (0, 1000), (1000, 1000), (1000, 0)]),
        LineString([(500, 0), (500, -800)]), LineString([(1000, 0), (1200, 0)]),
    ], crs=UTM)
    g = build_road_graph(roads, {"residential": 30.0})
    net = C.Network(g)
    edge_class = np.array(["none"] * g.n_edges, dtype=object)
    mids = g.edge_midpoints()
    flooded = np.flatnonzero((abs(mids.x - 250) < 1) & (abs(mids.y) < 1))
    assert len(flooded) == 1
    edge_class[flooded] = "tinggi"
    staging = gpd.GeoDataFrame({"rayon": ["R"], "staging": ["S"]}, geometry=[Point(0, 0)], crs=UTM)
    tps = gpd.GeoDataFrame({"tps_id": ["t1", "t2", "t3"]}, geometry=[Point(1000, 0), Point(500, -800), Point(0, 500)], crs=UTM)
    out = access_cut(tps, pd.Series("R", index=tps.index), staging, net, edge_class, access_kmh=10)
    assert list(out["access_cut"]) == [True, True, False]
    assert out.loc[0, "detour_min"] == pytest.approx(6.0)   # 3 km at 30 km/h
    assert out.loc[1, "detour_min"] == pytest.approx(8.6)   # 3 km + 0.5 km back + 0.8 km = 4.3 km
    assert not out["cut_unreachable"].any()
    # flood the detour too: t1 becomes unreachable
    edge_class[:] = "tinggi"
    out2 = access_cut(tps, pd.Series("R", index=tps.index), staging, net, edge_class, access_kmh=10)
    assert out2.loc[0, "cut_unreachable"] and np.isnan(out2.loc[0, "detour_min"])


def test_access_status_splits_unreachable_long_and_short_detours():
    import pandas as pd

    from pamgeo.analysis.flood import access_status

    tps = pd.DataFrame({"access_cut": [True, True, True, False, True],
                        "cut_unreachable": [True, False, False, False, False],
                        "response_min": [10.0, 10.0, 10.0, 10.0, 10.0],
                        "detour_min": [float("nan"), 16.0, 14.5, float("nan"), 15.0]})
    assert access_status(tps, 5.0).tolist() == ["unreachable", "detour", "minor_detour", "", "minor_detour"]
    assert access_status(tps.drop(columns="access_cut"), 5.0).tolist() == [""] * 5


def _window_max_one_by_one(values, rows, cols, k):
    """The buffer maximum cell by cell (as sample_raster once did): whether the window holds a finite
    value, and its maximum ignoring NaN."""
    ny, nx = values.shape
    found, top = np.zeros(len(rows), dtype=bool), np.full(len(rows), np.nan)
    for i, (r, c) in enumerate(zip(rows, cols, strict=True)):
        win = values[max(r - k, 0):min(r + k + 1, ny), max(c - k, 0):min(c + k + 1, nx)]
        if win.size and np.isfinite(win).any():
            found[i], top[i] = True, np.nanmax(win)
    return found, top


@pytest.mark.parametrize("many", [True, False])
def test_window_maximum_at_edges_and_nodata(many):
    from pamgeo.analysis.flood import _window_max

    rng = np.random.default_rng(7)
    for _ in range(40):
        ny, nx = rng.integers(1, 25, 2)
        vals = rng.normal(size=(ny, nx))
        vals[rng.random(vals.shape) < rng.random()] = np.nan
        vals[rng.random(vals.shape) < 0.05] = np.inf
        k = int(rng.integers(1, 5))
        n = 400 if many else 2  # many points: the array is filtered once; few: each window gathered
        rows, cols = rng.integers(-k, ny + k, n), rng.integers(-k, nx + k, n)
        found, top = _window_max(vals, rows, cols, k)
        want_found, want_top = _window_max_one_by_one(vals, rows, cols, k)
        assert (found == want_found).all()
        assert np.array_equal(top[found], want_top[want_found])


def test_buffer_maximum_reaches_from_outside_the_raster(tmp_path):
    vals = np.full((10, 10), -9999.0)  # NoData except the corner cells
    vals[0, 0], vals[9, 9] = 0.4, 0.9
    r = _raster(vals, tmp_path=tmp_path)
    pts = gpd.GeoSeries([Point(X0 - 150, Y0 + 1050), Point(X0 + 1050, Y0 - 50), Point(X0 + 1350, Y0 - 350),
                         Point(X0 + 550, Y0 + 550)], crs=UTM)
    at, mx, modelled = sample_raster(r, pts, buffer_m=200)
    assert np.isnan(at).all()  # outside, or on NoData
    assert mx[0] == pytest.approx(0.4) and mx[1] == pytest.approx(0.9)  # 2 and 1 cells beyond the edge
    assert np.isnan(mx[2]) and np.isnan(mx[3])  # 4 cells beyond; only NoData around
    assert list(modelled) == [True, True, False, False]


def test_nearest_pairs_match_the_spatial_index_also_on_ties():
    from shapely import MultiLineString, distance

    from pamgeo.analysis.risk import nearest_pairs

    # rivers meeting at shared vertices (equal distances to two rivers), one drawn twice, a multi-line,
    # an empty and a missing geometry
    arms = [LineString([(X0, Y0), (X0 + dx, Y0 + dy), (X0 + 2 * dx, Y0 + 2 * dy + 5)])
            for dx, dy in [(300, 0), (0, 300), (-200, -200), (150, -300)]]
    geoms = [*arms, arms[0], MultiLineString([arms[1], LineString([(X0 + 900, Y0), (X0 + 900, Y0 + 900)])]),
             LineString(), None]
    ww = gpd.GeoDataFrame({"name": list("abcdefgh")}, geometry=geoms, crs=UTM)
    rng = np.random.default_rng(3)
    xy = np.r_[rng.uniform(-800, 1200, (400, 2)), [[0, 0], [-10, -3], [600, 0], [5, 5]]] + [X0, Y0]
    pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=UTM).to_numpy()
    for max_distance in (None, 100.0):
        want_p, want_t = ww.sindex.nearest(pts, return_all=False, max_distance=max_distance)
        got_p, got_t, got_d = nearest_pairs(pts, ww, max_distance=max_distance)
        assert np.array_equal(got_p, want_p) and np.array_equal(got_t, want_t)
        assert np.array_equal(got_d, distance(ww.geometry.to_numpy()[want_t], pts[want_p]))


def test_reasons_name_every_piece_of_evidence_in_order():
    river = gpd.GeoDataFrame({"name": ["Kali Uji", ""], "source": [0, 0]},
                             geometry=[LineString([(X0, Y0 - 5000), (X0, Y0 + 5000)]),
                                       LineString([(X0 + 2000, Y0 - 5000), (X0 + 2000, Y0 + 5000)])], crs=UTM)
    poly = gpd.GeoDataFrame({"flood_class": ["sedang", "tinggi"], "label": ["RW uji", "RW dua"]},
                            geometry=[box(X0, Y0, X0 + 200, Y0 + 200), box(X0 + 100, Y0, X0 + 300, Y0 + 200)], crs=UTM)
    ev = gpd.GeoDataFrame({"depth_cm": [30.0, np.nan], "date": ["2017-02-21", "2017-02-22"]},
                          geometry=[Point(X0 + 150, Y0 + 150), Point(X0 + 160, Y0 + 100)], crs=UTM)
    pts = gpd.GeoSeries([Point(X0 + 150, Y0 + 100), Point(X0 + 1900, Y0), Point(X0 + 1000, Y0)], crs=UTM)
    kel = pd.Series(["99.01.01.1001", "99.01.01.1002", "99.01.01.1001"])
    layers = FloodLayers(waterways=river, polygons=poly, events=ev,
                         flood_kelurahan={"99.01.01.1001": ["Perumahan Uji", "Blok B", "Blok C", "Blok D"]})
    out = classify_points(pts, layers, Flood(), kode_kel=kel, lang="en")
    parts = out["flood_reasons"].iloc[0].split("; ")
    # kelurahan, river, reports, polygons (several of a kind in the spatial index's order)
    assert parts[:2] == ["flood-prone kelurahan per BPBD (Perumahan Uji, Blok B (+2))", "± 150 m from Kali Uji"]
    assert sorted(parts[2:4]) == ["flood report 2017-02-21, 30 cm at ± 50 m", "flood report 2017-02-22 at ± 10 m"]
    assert sorted(parts[4:]) == ["RW dua (high)", "RW uji (medium)"]
    assert out["flood_reasons"].iloc[1] == "± 100 m from a river/canal"
    assert out["flood_reasons"].iloc[2] == "flood-prone kelurahan per BPBD (Perumahan Uji, Blok B (+2))"
    assert list(out["flood_class"]) == ["tinggi", "sedang", "rendah"]
