"""Rayon catchments, road travel times and the reserve's response."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from conftest import X0, Y0, D, make_toy_region
from shapely.geometry import LineString, Point

from pamgeo.analysis import catchment as C
from pamgeo.analysis.network import build_road_graph, travel_minutes
from pamgeo.analysis.pipeline import analyse
from pamgeo.core.config import load_config
from pamgeo.ingest.region import build_region

CRS = "EPSG:32748"


def _partition_ok(polys: gpd.GeoDataFrame, area, tol_m2: float = 1.0) -> None:
    union = polys.geometry.union_all()
    assert union.symmetric_difference(area).area < tol_m2, "gap or spill beyond the Polres area"
    total = polys.geometry.area.sum()
    assert total - union.area < tol_m2, "catchments overlap"


@pytest.fixture
def toy_two_rayons(tmp_path):
    # an extra kecamatan outside the kota (code 99.02.01, east of it) covered by Polsek Dua
    x0, x1 = X0 + 2 * D, X0 + 3 * D
    outside = {"type": "FeatureCollection", "features": [{"type": "Feature",
               "properties": {"kode": "99.02.01", "nama": "Kec Luar"},
               "geometry": {"type": "Polygon", "coordinates": [[[x0, Y0], [x1, Y0], [x1, Y0 + 2 * D], [x0, Y0 + 2 * D], [x0, Y0]]]}}]}
    folder = tmp_path / "toy"
    folder.mkdir()
    (folder / "outside.geojson").write_text(json.dumps(outside))
    path = make_toy_region(folder, extra={
        "police": {"polres": "Polres Uji",
                   "coverage": {"Polsek Satu": ["99.01.01"], "Polsek Dua": ["99.01.02", "99.02.01"]},
                   "rayons": [{"name": "Rayon I", "polsek": ["Polsek Satu"], "staging": "Polsek Satu"},
                              {"name": "Rayon II", "polsek": ["Polsek Dua"], "staging": "Polsek Dua"}],
                   "outside_kecamatan": {"path": "outside.geojson", "code_column": "kode", "name_column": "nama"},
                   "available": {"polres": 20, "tni": 4, "linmas": 30}, "peleton_size": 30},
    })
    return build_region(load_config(path))


def test_catchments_partition_the_polres_area(toy_two_rayons):
    data = toy_two_rayons
    a = analyse(data)
    allkec, area = C.police_area(data.kecamatan, data.outside_kecamatan)
    assert area.area > data.kota.geometry.iloc[0].area * 1.4  # reaches outside the kota
    for method in ("administrative", "voronoi", "travel_time"):
        cat = a.catchments[method]
        _partition_ok(cat.rayon, area, tol_m2=50.0)
        _partition_ok(cat.polsek, area, tol_m2=50.0)
        assert cat.assignment["rayon"].notna().all()
    adm = a.catchments["administrative"]
    dua = adm.polsek.set_index("polsek").geometry["Polsek Dua"]
    # a Polsek covering two kecamatan, one of them outside the kota
    assert dua.area == pytest.approx(allkec.set_index("kode_kec").loc[["99.01.02", "99.02.01"]].area.sum(), rel=1e-6)
    assert set(a.tps.loc[a.tps["kode_kec"] == "99.01.02", "polsek"]) == {"Polsek Dua"}
    assert set(a.tps.loc[a.tps["kode_kec"] == "99.01.01", "rayon"]) == {"Rayon I"}


def test_personnel_and_strength(toy_two_rayons):
    a = analyse(toy_two_rayons)
    s = a.strength.set_index("item")
    assert s.loc["reserve_peleton", "needed"] == 60  # two rayons x 30
    assert s.loc["polri_total", "available"] == 20
    assert s.loc["polri_total", "shortfall"] == s.loc["polri_total", "needed"] - 20


def _graph():
    # a square A(0,0) - B(1000,0) - C(1000,1000) and a diagonal A - C on a fast road,
    # plus a piece E-F that touches nothing
    roads = gpd.GeoDataFrame({"road_class": ["residential", "residential", "primary", "residential"]}, geometry=[
        LineString([(0, 0), (1000, 0)]), LineString([(1000, 0), (1000, 1000)]),
        LineString([(0, 0), (500, 500), (1000, 1000)]), LineString([(5000, 0), (5600, 0)]),
    ], crs=CRS)
    return build_road_graph(roads, {"residential": 30.0, "primary": 60.0})


def test_travel_times_by_hand():
    g = _graph()
    assert g.n_nodes == 5 and g.n_edges == 4
    a = int(np.argmin(np.hypot(*(g.node_xy - [0, 0]).T)))
    b = int(np.argmin(np.hypot(*(g.node_xy - [1000, 0]).T)))
    c = int(np.argmin(np.hypot(*(g.node_xy - [1000, 1000]).T)))
    minutes, _ = travel_minutes(g, np.array([a]))
    assert minutes[0, b] == pytest.approx(2.0)             # 1 km at 30 km/h
    assert minutes[0, c] == pytest.approx(np.hypot(1000, 1000) / 1000.0)  # 1.414 km at 60 km/h
    e = int(np.argmin(np.hypot(*(g.node_xy - [5000, 0]).T)))
    assert np.isinf(minutes[0, e])


def test_disconnected_piece_is_unreachable_not_a_crash():
    g = _graph()
    net = C.Network(g)
    staging = gpd.GeoDataFrame({"rayon": ["R"], "staging": ["S"]}, geometry=[Point(0, 0)], crs=CRS)
    tps = gpd.GeoDataFrame({"tps_id": ["t1", "t2"], "risk_class": ["rawan", "sangat_rawan"]},
                           geometry=[Point(1000, 10), Point(5300, 0)], crs=CRS)
    # t2 sits on the disconnected piece: snapped to the main network instead it would be far;
    # use the full graph to show an unreachable node stays unreachable
    net.main = np.arange(g.n_nodes)
    table, routes = C.reserve_response(tps, tps.assign(r="R")["r"], staging, net, access_kmh=10, response_min=15)
    assert table.loc[0, "reachable"] and table.loc[0, "response_min"] == pytest.approx(2.0 + 10 / (10000 / 60), abs=0.05)
    assert table.loc[0, "route_km"] == pytest.approx(1.01, abs=0.01)
    assert not table.loc[1, "reachable"] and np.isnan(table.loc[1, "response_min"])
    assert table.loc[1, "beyond_response"]
    assert list(routes["tps_id"]) == ["t1"]


def test_unknown_unit_in_config(toy_two_rayons):
    posts = toy_two_rayons.police_posts[toy_two_rayons.police_posts["unit"] != "Polsek Dua"]
    with pytest.raises(Exception, match="Polsek Dua"):
        C.unit_points(toy_two_rayons.config.police, posts)


def test_kecamatan_covered_twice_is_a_config_error(tmp_path):
    from pamgeo.core.errors import ConfigError

    path = make_toy_region(tmp_path / "t", extra={"police.coverage": {"Polsek Satu": ["99.01.01"],
                                                                      "Polsek Dua": ["99.01.01", "99.01.02"]}})
    with pytest.raises(ConfigError, match="covered by both"):
        load_config(path)


def test_travel_time_polygons_agree_with_the_assignment(toy_two_rayons):
    # an isolated street listed first takes the lowest node ids, so the main component's node ids
    # no longer start at 0: every TPS must still lie in the polygon of the rayon/polsek it is assigned to
    from pathlib import Path

    folder = Path(toy_two_rayons.config.config_path).parent
    roads = json.loads((folder / "roads.geojson").read_text())
    island = {"type": "Feature", "properties": {"fclass": "residential", "name": "Pulau"},
              "geometry": {"type": "LineString", "coordinates": [[X0 + 0.0002, Y0 + 0.0002], [X0 + 0.0009, Y0 + 0.0002]]}}
    roads["features"].insert(0, island)
    (folder / "roads.geojson").write_text(json.dumps(roads))
    data = build_region(load_config(folder / "toy.yml"))
    a = analyse(data)
    net = a.graph
    assert net.n_nodes > 0
    cat = a.catchments["travel_time"]
    tps = a.tps
    for layer, col in ((cat.rayon, "rayon"), (cat.polsek, "polsek")):
        joined = gpd.sjoin(tps[["tps_id", "geometry"]], layer[[col, "geometry"]], predicate="within")
        joined = joined[~joined.index.duplicated()]
        assert len(joined) >= len(tps) - 1
        assert (joined[col] == cat.assignment.loc[joined.index, col]).all(), col
    # the isochrone band holding each TPS agrees with the TPS's own fastest time
    joined = gpd.sjoin(tps[["tps_id", "geometry"]], cat.isochrones, predicate="within")
    joined = joined[~joined.index.duplicated()]
    assert len(joined) >= len(tps) - 1


def _random_graph(seed: int):
    """A grid of streets with random speeds, some parallel duplicate lines and a cut-off piece."""
    rng = np.random.default_rng(seed)
    lines, classes = [], []
    for i in range(8):
        for j in range(8):
            x, y = i * 100.0, j * 100.0
            if i < 7:
                lines.append(LineString([(x, y), (x + 50, y + rng.uniform(-5, 5)), (x + 100, y)]))
                classes.append(rng.choice(["primary", "residential", "service"]))
            if j < 7:
                lines.append(LineString([(x, y), (x, y + 100)]))
                classes.append(rng.choice(["primary", "residential", "service"]))
    lines.append(LineString([(0, 0), (0, 50), (0, 100)]))  # a parallel, slower or faster, edge
    classes.append("track")
    lines.append(LineString([(5000, 0), (5100, 0)]))  # cut off
    classes.append("primary")
    roads = gpd.GeoDataFrame({"road_class": classes}, geometry=lines, crs=CRS)
    return build_road_graph(roads)


def _walk_sum(g, minutes, pred, values):
    """The reference: each node's route walked hop by hop (the definition of tree_sum)."""
    out = np.full(g.n_nodes, np.inf)
    for n in np.argsort(minutes):
        if not np.isfinite(minutes[n]):
            continue
        p = pred[n]
        out[n] = 0.0 if p < 0 else out[p] + values[g.edge_between([n], [p])[0]]
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorised_tree_sums_and_routes_match_walking_each_route(seed):
    from pamgeo.analysis.network import route, route_lines, tree_sum

    g = _random_graph(seed)
    minutes, pred = travel_minutes(g, np.array([0, 17]))
    for k in range(2):
        for values in (g.edge_length_m, (np.arange(g.n_edges) % 3 == 0).astype(float)):
            np.testing.assert_array_equal(tree_sum(g, minutes[k], pred[k], values),
                                          _walk_sum(g, minutes[k], pred[k], values))
        targets = np.arange(g.n_nodes)
        lines = route_lines(g, pred[k], targets)
        for t in targets:
            one = C.route_line(g, route(g, pred[k], t))
            assert (lines[t] is None) == (one is None), t
            if one is not None:
                assert lines[t].equals_exact(one, 0.0), t
                assert lines[t].length == pytest.approx(tree_sum(g, minutes[k], pred[k], g.edge_length_m)[t])


def test_edge_between_takes_the_fastest_parallel_edge():
    g = _random_graph(0)
    u, v = g.edge_u, g.edge_v
    e = g.edge_between(u, v)
    np.testing.assert_array_equal(e, g.edge_between(v, u))  # either order
    # the edge found is never slower than any edge between the same two nodes
    assert (g.edge_minutes[e] <= g.edge_minutes + 1e-12).all()
    with pytest.raises(KeyError):
        g.edge_between([0], [g.n_nodes - 1])
