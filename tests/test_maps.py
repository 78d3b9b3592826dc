"""Map HTML: layers present, feature counts equal the data, text escaped, nothing from a CDN."""

from __future__ import annotations

import json
import re

import pytest

from pamgeo.analysis.pipeline import analyse
from pamgeo.ingest.region import build_region
from pamgeo.render.maps import embedded_documents, kecamatan_map, map_html, map_iframe
from pamgeo.render.palette import CLASS_COLOURS
from pamgeo.render.webmap_encoding import (
    pack_geojson,
    to_geojson,
    unpack_geojson,
    unpack_point_table,
)

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def toy_data(toy_cfg):
    data = build_region(toy_cfg)
    data.tps.loc[0, "alamat"] = XSS
    return data


@pytest.fixture
def toy_analysis(toy_data):
    return analyse(toy_data)


def _geojson_layers(page: str) -> list[dict]:
    """Every layer's data (``pamgeo.layer(data, options)`` and ``pamgeo.points(table, options)``
    calls) as GeoJSON, geometries unpacked."""
    decoder, out = json.JSONDecoder(), []
    for m in re.finditer(r"= pamgeo\.(layer|points)\(", page):
        data, _ = decoder.raw_decode(page, m.end())
        out.append(unpack_geojson(data) if m.group(1) == "layer" else unpack_point_table(data))
    return out


def test_kecamatan_map_layers_and_counts(toy_data, toy_analysis):
    page = map_html(kecamatan_map(toy_data, "99.01.01", toy_analysis, lang="id"))
    layers = _geojson_layers(page)
    n_tps = int((toy_data.tps["kode_kec"] == "99.01.01").sum())
    tps_layers = [fc for fc in layers if fc["features"] and "kelas" in fc["features"][0]["properties"]
                  and fc["features"][0]["geometry"]["type"] == "Point"]
    assert len(tps_layers) == 1 and len(tps_layers[0]["features"]) == n_tps
    assert {f["properties"]["tps_id"] for f in tps_layers[0]["features"]} == set(
        toy_data.tps.loc[toy_data.tps["kode_kec"] == "99.01.01", "tps_id"])
    assert f"TPS ({n_tps})" in page
    for label in ("Batas kelurahan", "Jalan lingkungan", "Sungai dan saluran", "Satuan Polri", "Legenda",
                  "PERKIRAAN"):
        assert label in page


def test_text_from_data_is_escaped(toy_data, toy_analysis):
    page = map_html(kecamatan_map(toy_data, "99.01.01", toy_analysis, lang="id"))
    assert XSS not in page
    # escaped once by pamgeo (&lt;) and then by folium's JSON encoder (& -> \u0026)
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in page


def test_no_cdn_resources(toy_data, toy_analysis):
    page = map_html(kecamatan_map(toy_data, "99.01.02", toy_analysis, lang="en"))
    refs = re.findall(r"""(?:src|href)\s*=\s*["'](https?://[^"']+)""", page)
    assert refs == [] or all("leafletjs.com" in r for r in refs), refs  # Leaflet's own credit link only
    assert "<script src=" not in page and "<link rel=\"stylesheet\" href=\"http" not in page
    assert "L.map(" in page or "L.map (" in page
    assert "Polling stations" in page  # English labels


def test_unknown_kecamatan(toy_data, toy_analysis):
    with pytest.raises(ValueError, match="not in region"):
        kecamatan_map(toy_data, "99.01.09", toy_analysis)


def test_map_iframe_stores_the_document_compressed(toy_data, toy_analysis):
    m = kecamatan_map(toy_data, "99.01.01", toy_analysis, lang="en")
    frag = map_iframe(m, lang="en")
    [doc] = embedded_documents(frag)
    assert doc.startswith("<!DOCTYPE html>") and "L.map(" in doc and "Polling stations (TPS) (8)" in doc
    assert len(frag) < len(doc) / 2  # gzip + base64 of the map document
    assert "DecompressionStream" in frag and "This browser cannot open the map" in frag
    assert "L.map(" not in frag  # nothing of the map runs before it is inflated
    plain = map_iframe(m, compress=False)
    [doc_plain] = embedded_documents(plain)
    assert "srcdoc=" in plain and "L.map(" in doc_plain and "Polling stations (TPS) (8)" in doc_plain


def test_text_from_data_is_not_a_template(toy_data, toy_analysis):
    # branca compiles rendered scripts again as Jinja templates: data must not be evaluated
    toy_analysis.tps.loc[1, "alamat"] = "ADDR {{ 7*7 }} {% if 1 %}X{% endif %}"  # the TPS the map draws
    page = map_html(kecamatan_map(toy_data, "99.01.01", toy_analysis, lang="id"))
    assert "ADDR 49" not in page and "ADDR \\u0026#123;\\u0026#123; 7*7 \\u0026#125;\\u0026#125;" in page


def test_packed_geometries_round_trip(toy_data):
    import shapely

    kel = to_geojson(toy_data.kelurahan, ["kelurahan"])
    packed = pack_geojson(kel)
    assert all(isinstance(r, (str, list)) for f in packed["features"] for r in f["geometry"]["coordinates"])
    def geometry_chars(fc):
        return sum(len(json.dumps(f["geometry"]["coordinates"])) for f in fc["features"])

    assert geometry_chars(packed) < geometry_chars(kel) / 2
    assert unpack_geojson(packed) == json.loads(json.dumps(kel))  # tuples -> lists
    # a line whose code has "{{" (Jinja's expression start) is cut into pieces and still decodes
    line = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {
        "type": "LineString", "coordinates": [[0.0, 0.0], [0.5, 0.00974], [0.50001, 0.00975]]}}]}
    coded = pack_geojson(line)["features"][0]["geometry"]["coordinates"]
    assert isinstance(coded, list) and all("{{" not in piece for piece in coded)
    assert unpack_geojson(pack_geojson(line)) == line
    assert shapely.geometry.shape(unpack_geojson(packed)["features"][0]["geometry"]).is_valid


def test_vectorised_polyline_matches_the_reference_library():
    import numpy as np
    import polyline

    from pamgeo.render.webmap_encoding import encode_polyline

    rng = np.random.default_rng(7)
    for n in (1, 2, 5, 300):
        walk = np.round(106.7 + np.cumsum(rng.normal(0, 0.002, (n, 2)), axis=0), 5)
        world = np.round(np.column_stack([rng.uniform(-180, 180, n), rng.uniform(-90, 90, n)]), 5)
        for pts in (walk, world, -walk):
            assert encode_polyline(pts.tolist()) == polyline.encode(pts.tolist(), 5, geojson=True)


def test_packing_from_coordinate_arrays_equals_packing_the_geojson():
    import geopandas as gpd
    import shapely

    box = shapely.box
    holed = box(0, 0, 0.01, 0.01).difference(box(0.004, 0.004, 0.006, 0.006))
    geoms = [shapely.Point(106.7, -6.3), holed, shapely.MultiPolygon([box(0.02, 0.02, 0.021, 0.021), holed]),
             shapely.LineString([(0, 0), (0.5, 0.00974), (0.50001, 0.00975)]),  # "{{" in its code
             shapely.MultiLineString([[(0, 0), (0.001, 0.002)], [(0.003, 0.003), (0.004, 0.001), (0.005, 0.0)]]),
             shapely.MultiPoint([(0.001, 0.001), (0.002, 0.003)]), shapely.Point(-0.00001, 0.00002),
             box(1, 1, 1.01, 1.01), None, shapely.Polygon()]
    gdf = gpd.GeoDataFrame({"name": [f"f{i}" for i in range(len(geoms))]}, geometry=geoms, crs="EPSG:4326")
    expected = pack_geojson(to_geojson(gdf, ["name"]))
    assert len(expected["features"]) == 8  # missing and empty geometries are left out
    assert to_geojson(gdf, ["name"], packed=True) == expected
    collection = gpd.GeoDataFrame(geometry=[shapely.GeometryCollection([shapely.Point(0, 0)])], crs="EPSG:4326")
    with pytest.raises(ValueError, match="GeometryCollection"):
        to_geojson(collection, [], packed=True)


def test_clip_keeps_the_features_own_dimension():
    import geopandas as gpd
    import shapely

    from pamgeo.render.webmap_layers import clip

    area = shapely.box(0, 0, 10, 10)
    # touches the area along x = 10 and overlaps it in a 1 x 1 square: the raw intersection is a
    # GeometryCollection (the square and the shared edge), which GeoJSON layers cannot pack
    poly = shapely.union(shapely.box(10, 0, 20, 10), shapely.box(9, 2, 10.0001, 3))
    assert shapely.intersection(poly, area).geom_type == "GeometryCollection"
    out = clip(gpd.GeoDataFrame({"n": [1, 2, 3]}, geometry=[poly, shapely.box(5, 5, 15, 15), shapely.box(1, 1, 2, 2)],
                                 crs=3857), area)
    assert out.geometry.geom_type.tolist() == ["Polygon", "Polygon", "Polygon"]
    assert out.geometry.area.round(3).tolist() == [1.0, 25.0, 1.0]


def test_compact_layer_refuses_what_it_does_not_draw():
    from pamgeo.render.webmap_elements import GeoJson

    empty = {"type": "FeatureCollection", "features": []}
    with pytest.raises(TypeError, match="zoom_on_click"):
        GeoJson(empty, zoom_on_click=True)
    assert GeoJson(empty, name="x", show=False).layer_name == "x"


def test_memoised_base_layers_are_those_drawn_afresh(toy_data, toy_analysis):
    from pamgeo.render import maps

    codes = toy_data.kecamatan_codes()
    fresh = {code: maps.base_layers(toy_data, code) for code in codes}
    assert maps.base_layers(toy_data, codes[0]) is not maps.base_layers(toy_data, codes[0])  # nothing kept
    memo: dict = {}
    kept = maps.base_layers(toy_data, codes[0], memo=memo)
    assert kept is maps.base_layers(toy_data, codes[0], memo=memo)  # drawn once, then memoised
    assert kept == fresh[codes[0]]
    assert maps.base_layers(toy_data, None, minor_roads=False, memo=memo) is memo[(None, False)]
    # a map drawn from memoised layers is the map drawn from fresh ones
    with_kept = _geojson_layers(map_html(kecamatan_map(toy_data, codes[1], toy_analysis, lang="id", base_memo=memo)))
    assert (codes[1], True) in memo
    assert with_kept == _geojson_layers(map_html(kecamatan_map(toy_data, codes[1], toy_analysis, lang="id")))


def test_base_layers_of_another_area_are_not_memoised(toy_data):
    from pamgeo.render import maps

    code = toy_data.kecamatan_codes()[0]
    memo: dict = {}
    own = maps.base_layers(toy_data, code, memo=memo)
    small = toy_data.kecamatan.geometry.iloc[0].centroid.buffer(50)
    other = maps.base_layers(toy_data, code, small, memo=memo)
    assert other is not own
    assert len(other["kelurahan"]["features"]) <= len(own["kelurahan"]["features"])
    assert memo == {(code, True): own}


def test_scripts_and_styles_come_from_the_asset_files(toy_data, toy_analysis):
    from importlib import resources

    from pamgeo.render.webmap_assets import asset_text

    names = sorted(p.name for p in (resources.files("pamgeo.render") / "assets").iterdir()
                   if p.name.endswith((".js", ".css")))
    assert {"runtime.js", "measure.js", "search.js", "fullscreen.js", "box.js", "inflate.js",
            "map.css", "tools.css"} <= set(names)
    for name in names:
        text = asset_text(name)
        # branca compiles every rendered script once more as a Jinja template
        assert not re.search(r"\{[{%#]", text), f"{name} has a Jinja delimiter"
        assert "</script" not in text.lower() and "</style" not in text.lower(), name
    m = kecamatan_map(toy_data, "99.01.01", toy_analysis, lang="id")
    page = map_html(m)
    for name in names:
        if name != "inflate.js":
            assert asset_text(name) in page, name
    assert asset_text("inflate.js") not in page
    frag = map_iframe(m)
    assert "\n".join(line.strip() for line in asset_text("inflate.js").splitlines()) in frag


def test_leaflet_css_is_embedded_without_its_images(toy_data, toy_analysis):
    from pamgeo.render.webmap_assets import leaflet_css

    css = leaflet_css()
    assert css is not None, "offlinefolium no longer embeds Leaflet's CSS as a <style> block"
    assert ".leaflet-pane" in css and "data:image/png" not in css
    page = map_html(kecamatan_map(toy_data, "99.01.01", toy_analysis, lang="id"))
    assert f"<style>{css}</style>" in page
    assert page.count(".leaflet-pane,") == 1  # once: not also from folium's own asset list


# --- legend made from the layers drawn, palette, controls (issue 14) ---------------------------

_LEGEND_ROW = re.compile(r'\[(\w+), "(\w+)", "((?:[^"\\]|\\.)*)"\]')


def _legend(page: str) -> dict[str, list[str]]:
    """The legend's rows by the name of the layer they belong to (from the Legend call)."""
    start = page.index("new Legend().addTo(map);")
    call = page[page.index("(map_", start):page.index("\n", page.index("[[", start))]
    rows: dict[str, list[str]] = {}
    for var, name, row in _LEGEND_ROW.findall(call):
        assert var == name
        rows.setdefault(name, []).append(json.loads(f'"{row}"'))
    return rows


def _layer_styles(page: str) -> dict[str, list[dict]]:
    """Each compact layer's distinct styles, by the layer's name."""
    decoder, out = json.JSONDecoder(), {}
    for m in re.finditer(r"var (\w+) = pamgeo\.(?:layer|points)\(", page):
        _, end = decoder.raw_decode(page, m.end())
        opts, _ = decoder.raw_decode(page, end + 2)  # after ", "
        out[m.group(1)] = opts["styles"]
    return out


def test_legend_lists_every_layer_drawn_and_nothing_else(toy_data, toy_analysis):
    page = map_html(kecamatan_map(toy_data, "99.01.01", toy_analysis, lang="id"))
    legend, layers = _legend(page), _layer_styles(page)
    assert set(legend) == set(layers)  # a row for every layer, no row without a layer
    for name, styles in layers.items():
        svg = " ".join(legend[name]).lower()
        for style in styles:  # every symbol drawn: its colours are in its layer's rows
            assert style.get("color", "").lower() in svg, (name, style)
            if style.get("fill", True) and "fillColor" in style:
                assert style["fillColor"].lower() in svg, (name, style)
    # the classes present only, in the palette's colours
    drawn = set(toy_analysis.tps.loc[toy_analysis.tps["kode_kec"] == "99.01.01", "risk_class"])
    rows = " ".join(r for rs in legend.values() for r in rs)
    for cls, colour in CLASS_COLOURS.items():
        assert (colour in rows) == (cls in drawn), cls


def test_legend_entries_come_from_the_add_functions(toy_data, toy_analysis):
    import offlinefolium as folium

    from pamgeo.render.webmap_layers import add_police, add_routes
    from pamgeo.render.webmap_legend import legend_rows, legend_symbol

    posts = toy_data.police_posts.copy()
    posts.loc[posts.index[1], "status"] = "planned 2021; current status unverified"
    m, legend = folium.Map(), []
    add_police(m, posts, lang="en", legend=legend)
    assert [(e.label, e.kind) for e in legend] == [
        ("Police units (Polres/Polsek)", "point"), ("Police units (planned, not yet built)", "point"),
        ("Police unit locations are approximate (inside their kelurahan).", "note")]  # Polsek Satu: kode_kel only
    assert legend[0].style["fillColor"] != legend[1].style["fillColor"]  # planned units drawn apart
    assert legend[1].style.get("dashArray") and not legend[0].style.get("dashArray")
    assert {id(e.layer) for e in legend} == {id(legend[0].layer)}  # one layer, two symbols
    add_routes(m, None, set(), lang="en", legend=legend)  # nothing drawn, nothing listed
    assert len(legend) == 3
    rows = legend_rows(legend)
    assert [layer is legend[0].layer for layer, _ in rows] == [True, True, True]
    assert "<svg" not in rows[2][1]
    assert "stroke-dasharray=\"3 2\"" in rows[1][1] and "<svg" in rows[0][1]
    line = legend_symbol("line", {"color": "#123456", "weight": 4, "dashArray": "4 3"})
    assert "<line" in line and 'stroke="#123456"' in line and 'stroke-dasharray="4 3"' in line
    assert 'fill="none"' in legend_symbol("area", {"color": "#111", "fill": False})
    # labels from data are escaped in the rows
    from pamgeo.render.webmap_legend import LegendEntry

    [(_, row)] = legend_rows([LegendEntry(None, "<b>{{ x }}</b>", "note")])
    assert "<b>" not in row and "{{" not in row


def test_one_palette_for_web_print_and_qgis():
    from pamgeo.render import exports, palette
    from pamgeo.render.webmap_layers import CLASS_STYLE, ROUTE_STYLE, band_colours, rayon_colours

    assert exports.CLASS_COLOURS is palette.CLASS_COLOURS and exports.FLOOD_COLOURS is palette.FLOOD_COLOURS
    assert exports.RAYON_COLOURS is palette.RAYON_COLOURS and exports.BAND_COLOURS is palette.BAND_COLOURS
    assert {c: s["fillColor"] for c, s in CLASS_STYLE.items()} == palette.CLASS_COLOURS
    assert rayon_colours(2) == list(palette.RAYON_COLOURS[:2]) and band_colours(7)[-1] == palette.BAND_COLOURS[-1]
    # routes, roads, TPS classes, rayon fills and travel-time bands: no colour shared
    groups = [{ROUTE_STYLE["color"]}, {palette.ROAD_MAJOR, palette.ROAD_MINOR}, set(palette.CLASS_COLOURS.values()),
              set(palette.RAYON_COLOURS), set(palette.BAND_COLOURS)]
    everything = [c.lower() for g in groups for c in g]
    assert len(everything) == len(set(everything))


def test_map_controls_metric_scale_collapsed_layers_first_view(toy_data, toy_analysis):
    page = map_html(kecamatan_map(toy_data, "99.01.01", toy_analysis, lang="en"))
    assert '"imperial": false' in page and "L.control.scale()" not in page
    assert '"collapsed": true' in page
    assert "The online base map cannot be loaded (no internet)" in page  # shown on tileerror
    # the first view keeps the rawan and sangat rawan TPS clear of the controls
    from pamgeo.render.webmap_layers import must_see

    tps = toy_analysis.tps[toy_analysis.tps["kode_kec"] == "99.01.01"]
    points = must_see(tps)
    assert len(points) == int(tps["risk_class"].isin(["rawan", "sangat_rawan"]).sum())
    assert all(-6.31 < lat < -6.28 and 106.69 < lon < 106.73 for lat, lon in points)
    assert page.index("new Legend().addTo(map);") < page.rindex(json.dumps(points))  # fitted after the controls


def test_street_names_for_street_level(toy_data, toy_analysis):
    import polyline

    from pamgeo.render import maps
    from pamgeo.render.webmap_base import LABEL_MIN_ZOOM

    def decode_polyline(text):
        return polyline.decode(text, 5, geojson=True)

    base = maps.base_layers(toy_data, "99.01.01")
    labels = base["labels"]
    assert labels["n"] == ["Jalan Raya Uji"]  # the toy's one named road
    points = decode_polyline(labels["p"][0])  # [lng, lat], one every LABEL_SPACING_M along the road
    assert len(points) == len(labels["a"][0]) >= 2
    assert all(abs(lat - (-6.29)) < 1e-4 for _, lat in points) and set(labels["a"][0]) == {0}  # east-west
    page = map_html(kecamatan_map(toy_data, "99.01.01", toy_analysis, lang="id"))
    assert '"Jalan Raya Uji"' in page and f"}}, {LABEL_MIN_ZOOM});" in page
    toy_data.roads["name"] = "Jalan {{ 7*7 }} <i>"
    page = map_html(kecamatan_map(toy_data, "99.01.01", toy_analysis, lang="id"))
    assert "Jalan &#123;&#123; 7*7 &#125;&#125; &lt;i&gt;" in page.replace("\\u0026", "&")


# --- thousands of TPS: the point table, routes drawn once, the first view (issue 15) -----------


def test_columns_round_trip_in_few_bytes():
    from pamgeo.render.webmap_encoding import CODE_ALPHABET, decode_column, encode_column

    assert len(CODE_ALPHABET) == 86 and not set(CODE_ALPHABET) & set("\"'\\&<>{}")
    classes = ["rawan", "kurang rawan", None, "sangat rawan", ""] * 400
    col = encode_column(classes)
    assert set(col) == {"d", "k"} and len(col["k"]) == len(classes)  # one character a row
    assert decode_column(col, len(classes)) == [c or None for c in classes]
    many = [f"Jl. Contoh No. {i % 500}" for i in range(3000)]  # more than 86 values: two characters
    col = encode_column(many)
    assert len(col["k"]) == 2 * len(many) and decode_column(col, len(many)) == many
    assert encode_column(["Rayon II"] * 50) == {"d": ["Rayon II"]} and decode_column({"d": ["x"]}, 2) == ["x", "x"]
    ids = [f"367403100{i:04d}" for i in range(300)]  # all distinct: the plain list is smaller
    assert encode_column(ids) == ids
    assert decode_column(encode_column([0.5, float("nan"), None, 0.25]), 4) == [0.5, None, None, 0.25]
    mixed = [True, 1, 1.0, "1"] * 30  # equal in Python, not in the page
    assert decode_column(encode_column(mixed), len(mixed)) == mixed
    assert [type(v) for v in decode_column(encode_column(mixed), len(mixed))[:4]] == [bool, int, float, str]


def test_texts_made_of_parts_store_each_part_once():
    import numpy as np

    from pamgeo.render.webmap_encoding import decode_column, encode_column, encode_parts

    rng = np.random.default_rng(3)
    pools = [[f"banjir rendah: ± {m} m dari sungai/saluran" for m in range(40, 300, 10)],
             [f"{km / 10:.1f} km dari satuan Polri terdekat (Polsek A)".replace(".", ",") for km in range(10, 60)],
             [f"{n} TPS lain dalam radius 200 m" for n in range(3, 40)], ["A &amp; B"]]  # an escaped "&": a "; "
    rows = ["; ".join(p[rng.integers(len(p))] for p in pools if rng.random() < 0.7) or None for _ in range(3000)]
    col = encode_parts(rows)
    assert set(col) == {"d", "s", "r"} and {"A &amp", "B"} <= set(col["d"])
    assert len(col["d"]) <= sum(len(p) for p in pools) + 1 < len(set(rows))  # each part once
    assert decode_column(col, len(rows)) == rows
    assert len(json.dumps(col)) < len(json.dumps(encode_column(rows))) / 3
    assert encode_parts([1.5, "a; b"]) == encode_column([1.5, "a; b"])  # not all texts: a plain column
    assert encode_parts(["a", "b"]) == ["a", "b"]  # nothing to share


def test_point_table_round_trip():
    import geopandas as gpd
    import shapely

    from pamgeo.render.webmap_encoding import point_table

    pts = [shapely.Point(106.7 + i * 1e-4, -6.3 - (i % 7) * 1e-4) for i in range(200)]
    gdf = gpd.GeoDataFrame({"tps_id": [f"T{i:03d}" for i in range(200)], "kelas": ["rawan", "aman"] * 100,
                            "alamat": ["Jl. {{ 7*7 }} <b>"] + [""] * 199, "empty": [None] * 200},
                           geometry=pts, crs="EPSG:4326")
    fc = to_geojson(gdf, ["tps_id", "kelas", "alamat", "empty"])
    table = point_table(fc)
    assert table["n"] == 200 and set(table["cols"]) == {"tps_id", "kelas", "alamat"}  # no value: left out
    assert isinstance(table["xy"], str) and len(table["xy"]) < 200 * 8  # one polyline, a few characters a point
    expected = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": f["geometry"], "properties": {k: v for k, v in f["properties"].items()
                                                                    if v not in (None, "")}}
        for f in json.loads(json.dumps(fc))["features"]]}
    assert unpack_point_table(json.loads(json.dumps(table))) == expected
    text = json.dumps(table)
    assert "{{" not in text and "<b>" not in text  # escaped, never a template
    assert point_table(pack_geojson(fc)) == table  # packed positions read too
    with pytest.raises(ValueError, match="Points only"):
        point_table(to_geojson(gdf.set_geometry(gdf.to_crs(3857).buffer(1)), ["tps_id"]))
    assert unpack_point_table(point_table({"type": "FeatureCollection", "features": []}))["features"] == []


def test_tps_are_one_point_table_with_the_drawn_mark(toy_data, toy_analysis):
    from pamgeo.render.webmap_elements import GeoJson
    from pamgeo.render.webmap_layers import TPS_DRAWN_MARK

    page = map_html(kecamatan_map(toy_data, "99.01.01", toy_analysis, lang="id"))
    [m] = re.finditer(r"var (\w+) = pamgeo\.points\(", page)
    table, end = json.JSONDecoder().raw_decode(page, m.end())
    opts, _ = json.JSONDecoder().raw_decode(page, end + 2)
    assert table["n"] == 8 and opts["mark"] == TPS_DRAWN_MARK and opts["marker"] == {"radius": 5}
    assert "risk_class" not in table["cols"] and "position_source" not in table["cols"]  # style only
    assert f"{m.group(1)}.bindPopup(pamgeo.table(" in page and f"{m.group(1)}.bindTooltip(pamgeo.table(" in page
    assert page.count("pamgeo.points(") == 1 and "performance.mark" in page
    with pytest.raises(TypeError, match="marker"):
        GeoJson({"type": "FeatureCollection", "features": []}, table=True)


def test_the_first_view_is_set_once_after_every_layer(toy_data, toy_analysis):
    from pamgeo.render import maps

    page = map_html(kecamatan_map(toy_data, "99.01.01", toy_analysis, lang="id"))
    created = page[page.index("L.map("):page.index(");", page.index("L.map("))]
    assert '"zoom":' not in created and not re.search(r"map_\w+\.fitBounds\(", page)
    # without a view Leaflet adds the layers when FitView sets it: each drawn once, at that view
    assert page.rindex("pamgeo.points(") < page.rindex("points, margin) {")
    plain = map_html(maps.base_map(toy_data, (106.70, -6.30, 106.72, -6.29)))  # other maps: fitted at once
    assert '"zoom": 1' in plain and re.search(r"map_\w+\.fitBounds\(", plain)


def test_shared_route_stretches_are_drawn_once():
    import geopandas as gpd
    import shapely

    from pamgeo.render.webmap_layers import drawn_once

    trunk = [(0, 0), (100, 0), (200, 0), (300, 0)]
    routes = gpd.GeoDataFrame({"tps_id": ["a", "b", "c", "d", "e"]}, geometry=[
        shapely.LineString([*trunk, (300, 50)]),               # trunk, then its own tail
        shapely.LineString([*trunk[:3], (200, 80)]),           # part of the trunk, then a tail
        shapely.LineString(trunk[:2]),                         # all shared: left out
        shapely.LineString([*trunk[::-1]]),                    # the trunk the other way: last, it keeps it
        shapely.MultiLineString([[(0, 10), (0, 20)], [(0, 30), (0, 40)]]),  # no segment between its parts
    ], crs=3857)
    out = drawn_once(routes)
    assert out["tps_id"].tolist() == ["a", "b", "d", "e"]
    assert out.geometry.length.round(6).tolist() == [50.0, 80.0, 300.0, 20.0]
    assert shapely.equals(shapely.union_all(out.geometry.to_numpy()), shapely.union_all(routes.geometry.to_numpy()))
    assert drawn_once(routes.iloc[:0]).empty


# --- what a run keeps between its maps changes none of them (issue 15) -------------------------

_ELEMENT_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])")


def _document(page: str) -> str:
    """The map document of a briefing fragment, its random element ids numbered in order."""
    (doc,) = embedded_documents(page)
    seen: dict[str, int] = {}
    return _ELEMENT_ID.sub(lambda m: f"id{seen.setdefault(m.group(0), len(seen))}", doc)


def _frame(page: str) -> str:
    """The fragment around the map document (the compressed document and its id left out)."""
    page = re.sub(r'(<script type="application/gzip"[^>]*>).*?(</script>)', r"\1\2", page, flags=re.S)
    return re.sub(r"pamgeo-map-[0-9a-f]{12}", "pamgeo-map-", page)


def test_a_kept_memo_changes_no_map(toy_data, toy_analysis):
    import base64
    import gzip
    import hashlib

    from pamgeo.render import briefing

    def pages(memo):
        return [briefing.kecamatan_map_html(toy_data, code, toy_analysis, lang=lang, base_memo=memo)
                for lang in ("id", "en") for code in toy_data.kecamatan_codes()] + \
               [briefing.kota_map_html(toy_data, toy_analysis, lang=lang, base_memo=memo) for lang in ("id", "en")]

    alone = pages(None)
    memo: dict = {}
    fresh, kept = pages(memo), pages(memo)  # the second time, everything the memo keeps is there
    for a, f, k in zip(alone, fresh, kept, strict=True):
        assert _document(a) == _document(f) == _document(k)
        assert _frame(a) == _frame(f) == _frame(k)
        for page in (f, k):  # the document compressed as gzip.compress(level 9) compresses it alone
            (doc,) = embedded_documents(page)
            packed = gzip.compress(doc.encode(), compresslevel=9, mtime=0)
            assert f'id="pamgeo-map-{hashlib.sha1(doc.encode()).hexdigest()[:12]}"' in page
            assert f'data-encoding="base85" id="pamgeo-map-{hashlib.sha1(doc.encode()).hexdigest()[:12]}-gz">' \
                   f'{base64.b85encode(packed).decode()}</script>' in page


def test_documents_compressed_with_a_memo_are_those_compressed_alone():
    import base64
    import gzip
    import os

    from pamgeo.render.maps import b85encode, gzip_document

    shared = os.urandom(20_000).hex().encode()  # 40 KB the documents begin with
    docs = [shared + os.urandom(n).hex().encode() for n in (0, 1, 5000, 70_000)] + [b"<!doctype html>", b""]
    memo: dict = {}
    for doc in docs * 2:
        assert gzip_document(doc, memo) == gzip.compress(doc, compresslevel=9, mtime=0)
    for n in (0, 1, 2, 3, 4, 5, 1001):
        data = os.urandom(n)
        assert b85encode(data) == base64.b85encode(data).decode()


def test_properties_read_a_column_at_a_time_are_those_read_a_row_at_a_time():
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    from pamgeo.render.webmap_encoding import (
        _escape,
        column_values,
        escaped_values,
        property_columns,
        to_geojson,
    )

    n = 6
    frame = gpd.GeoDataFrame({
        "text": pd.Series(["a<b", None, "{x}", "a<b", "", "é"], dtype="str"),
        "string": pd.Series(["x", None, "y", "x", "&", "z"], dtype="string"),
        "int": np.arange(n), "float": [1.5, np.nan, 2.0, -0.0, np.inf, 3.25], "bool": [True, False] * 3,
        "Int64": pd.Series([1, None, 3, 4, None, 6], dtype="Int64"),
        "object": pd.Series(["t", 1, 2.5, None, np.float64(np.nan), True], dtype=object),
        "category": pd.Series(["p", "q", "p", None, "q", "p"], dtype="category"),
    }, geometry=shapely.points(np.arange(n), np.zeros(n)), crs="EPSG:4326")
    names = [c for c in frame.columns if c != "geometry"]
    for keep in (None, np.array([True, False, True, True, False, True])):
        rows = frame.loc[keep, names] if keep is not None else frame[names]
        records = rows.to_dict("records")  # how to_geojson read them a row at a time
        want = [[_escape(r[name]) for r in records] for name in names]
        assert property_columns(frame, names, keep) == want
    for name in names:
        assert column_values(frame[name]) == list(frame[name]) or name in ("float", "object")  # NaN != NaN
    # a list of texts is written as the column pandas makes of it
    texts = ["<a>", None, float("nan"), "b", "{{c}}"]
    assert escaped_values(texts) == escaped_values(pd.Series(texts)) == ["&lt;a&gt;", None, None, "b", "&#123;&#123;c&#125;&#125;"]
    # points are written as shapely writes them
    fc = to_geojson(frame, ["int"])
    assert [f["geometry"] for f in fc["features"]] == [shapely.geometry.mapping(g) for g in frame.geometry]
