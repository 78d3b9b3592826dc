"""The briefing opened from disk in headless Chromium with the network off."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from pamgeo.run.runner import run_region

pytestmark = pytest.mark.slow

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"

# the map, and its TPS: one layer of a point table (pamgeo/render/assets/points.js)
FIND_JS = """
const map = Object.keys(window).filter(k => k.startsWith("map_")).map(k => window[k])
  .find(v => typeof L !== "undefined" && v instanceof L.Map);
let pts = null;
if (map) map.eachLayer(l => { if (l.count && l.value) pts = l; });
"""

COUNT_JS = FIND_JS + """
const maps = Object.keys(window).filter(k => k.startsWith("map_")).map(k => window[k])
  .filter(v => typeof L !== "undefined" && v instanceof L.Map);
let tps = 0;
if (pts) for (let i = 0; i < pts.count(); i++) {
  const p = pts.properties(i);  // a TPS: an id and a class (empty properties are left out)
  if ("tps_id" in p && "kelas" in p) tps++;
}
return {leaflet: typeof L === "undefined" ? null : L.version, maps: maps.length, tps: tps, drawn: pts ? pts.drawn : 0};
"""


MEASURE_JS = """
const map = Object.keys(window).filter(k => k.startsWith("map_")).map(k => window[k])
  .find(v => v instanceof L.Map);
const button = document.querySelector(".pamgeo-measure a");
button.click();
map.fire("click", {latlng: L.latLng(-6.29, 106.70)});
map.fire("click", {latlng: L.latLng(-6.29, 106.71)});
const label = button.textContent;
return {label: label, text: document.querySelector(".pamgeo-measure .out").textContent};
"""

SEARCH_JS = FIND_JS + """
if (!arguments.length) return pts.value(0, "tps_id");
const box = document.querySelector(".leaflet-popup-content");
return {popup: box ? box.textContent : "", zoom: map.getZoom()};
"""

XSS = "<img src=x onerror=window.__pwned=1> {{ 7*7 }}"  # HTML, and a Jinja expression

POPUP_JS = FIND_JS + """
let target = -1;
for (let i = 0; i < pts.count(); i++) if (pts.value(i, "tps_id") === arguments[0]) target = i;
pts.openPopup(target);  // what a click on it opens
const box = document.querySelector(".leaflet-popup-content");
return {text: box.textContent, imgs: box.querySelectorAll("img").length};
"""


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        if os.environ.get("CI"):
            pytest.fail("Chromium and ChromeDriver are needed on CI (Debian: chromium chromium-driver)")
        pytest.skip("Debian chromium / chromium-driver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                # no network: every connection goes to a closed local port, no name resolves
                "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND", "--window-size=1300,900"):
        opts.add_argument(arg)
    opts.binary_location = CHROMIUM
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield driver
    driver.quit()


def _open_map(browser, page: Path):
    """Open a briefing page and switch into its map once the compressed document is inflated."""
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get_log("browser")  # clear
    browser.get(page.as_uri())
    frame = WebDriverWait(browser, 20).until(
        lambda d: d.find_element("css selector", "iframe.pamgeo-map[srcdoc]"))
    browser.switch_to.frame(frame)
    WebDriverWait(browser, 20).until(lambda d: d.execute_script(
        "return document.readyState === 'complete' && typeof L !== 'undefined'"))


def test_kecamatan_page_offline(browser, tmp_path_factory, toy_config_path):
    out = tmp_path_factory.mktemp("r")
    res = run_region(toy_config_path, build_dir=out / "b", reports_dir=out / "r", progress=False)
    assert res.ok
    page = out / "r" / "toy" / "kecamatan" / "990101.html"
    _open_map(browser, page)
    info = browser.execute_script(COUNT_JS)
    assert info["leaflet"] == "1.9.3" and info["maps"] == 1
    assert info["tps"] == info["drawn"] == 8  # kecamatan 99.01.01: 5 + 3 TPS
    # the measure tool: two clicks 0.01 degree of longitude apart at -6.29 (about 1.106 km)
    measured = browser.execute_script(MEASURE_JS)
    assert measured["label"] == "Selesai ukur" and measured["text"] == "1.11 km", measured
    browser.execute_script("document.querySelector('.pamgeo-measure a').click();")  # measuring off
    # search: the suggestions (made when the box is first used) list every TPS id and kelurahan in
    # view; Enter zooms and opens the popup
    from selenium.webdriver.common.keys import Keys

    box = browser.find_element("css selector", ".pamgeo-search input")
    assert browser.execute_script("return document.querySelectorAll('.pamgeo-search option').length") == 0
    box.click()
    assert browser.execute_script("return document.querySelectorAll('.pamgeo-search option').length") >= 8 + 2
    tps_id = browser.execute_script(SEARCH_JS)
    box.send_keys(tps_id.lower() + Keys.ENTER)  # any case
    # the popup opens once the map has flown there (asynchronously): wait for it, at most 10 s
    deadline = time.monotonic() + 10
    found = browser.execute_script(SEARCH_JS, tps_id)
    while tps_id not in found["popup"] and time.monotonic() < deadline:
        time.sleep(0.05)
        found = browser.execute_script(SEARCH_JS, tps_id)
    assert tps_id in found["popup"] and found["zoom"] >= 17, found
    box.clear()
    box.send_keys("zzz" + Keys.ENTER)
    assert browser.find_element("css selector", ".pamgeo-search .msg").text == "tidak ditemukan"
    browser.switch_to.default_content()
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    shutil.rmtree(out)


def test_text_from_data_runs_nothing(browser, tmp_path, toy_cfg):
    from pamgeo.analysis.pipeline import analyse
    from pamgeo.ingest.region import build_region
    from pamgeo.render import briefing

    data = build_region(toy_cfg)
    data.tps.loc[data.tps.index[0], "alamat"] = XSS
    page = tmp_path / "xss.html"
    page.write_text("<!doctype html><meta charset='utf-8'>" + briefing.kecamatan_map_html(
        data, data.tps["kode_kec"].iloc[0], analyse(data), lang="id"), encoding="utf-8")
    _open_map(browser, page)
    shown = browser.execute_script(POPUP_JS, data.tps["tps_id"].iloc[0])
    browser.switch_to.default_content()
    assert XSS in shown["text"] and shown["imgs"] == 0  # shown as text, no element made
    assert browser.execute_script("return window.__pwned === undefined")
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


DRAWN_JS = FIND_JS + """
// every TPS of the table drawn: a painted pixel of the TPS canvas at each one's centre
const canvas = document.querySelector("canvas.pamgeo-points");
const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
const frame = canvas.getBoundingClientRect(), box = map.getContainer().getBoundingClientRect();
const scale = canvas.width / frame.width, ids = [];
let painted = 0, inView = 0;
for (let i = 0; i < pts.count(); i++) {
  ids.push(pts.value(i, "tps_id"));
  const p = map.latLngToContainerPoint(pts.latLngOf(i));
  if (p.x >= 0 && p.y >= 0 && p.x <= box.width && p.y <= box.height) inView++;
  const x = Math.round((p.x + box.left - frame.left) * scale), y = Math.round((p.y + box.top - frame.top) * scale);
  if (x >= 0 && y >= 0 && x < canvas.width && y < canvas.height && pixels[(y * canvas.width + x) * 4 + 3] > 0) painted++;
}
const last = pts.count() - 1, at = map.latLngToContainerPoint(pts.latLngOf(last));
return {n: pts.count(), drawn: pts.drawn, painted: painted, inView: inView, ids: ids, last: pts.properties(last),
        x: at.x, y: at.y, mark: performance.getEntriesByName(arguments[0]).length};
"""


def test_thousands_of_tps_all_drawn_and_their_popups(browser, tmp_path, toy_cfg):
    """A kecamatan of 3,000 TPS: the page draws every one (its count, and a painted pixel at each),
    a click on one opens its popup with its details, the pointer over one shows its tooltip."""
    import numpy as np
    import shapely
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import WebDriverWait

    from pamgeo.analysis.pipeline import analyse
    from pamgeo.ingest.region import build_region
    from pamgeo.render import briefing
    from pamgeo.render.webmap_layers import TPS_DRAWN_MARK

    data = build_region(toy_cfg)
    analysis = analyse(data)
    code, n = "99.01.01", 3000
    tps = analysis.tps[analysis.tps["kode_kec"] == code]
    rng = np.random.default_rng(15)
    many = tps.iloc[rng.integers(len(tps), size=n)].copy()
    minx, miny, maxx, maxy = data.kecamatan.loc[data.kecamatan["kode_kec"] == code].total_bounds
    many["geometry"] = shapely.points(rng.uniform(minx + 20, maxx - 20, n), rng.uniform(miny + 20, maxy - 20, n))
    many["tps_id"] = [f"T{i:05d}" for i in range(n)]
    many["alamat"] = [f"Jl. Uji No. {i} <b>{{{{ 7*7 }}}}</b>" for i in range(n)]
    many["risk_reasons"] = [f"{i % 37} TPS lain dalam radius 200 m; {i % 11},5 km dari satuan Polri" for i in range(n)]
    analysis.tps = many
    page = tmp_path / "many.html"
    page.write_text("<!doctype html><meta charset='utf-8'><body style='margin:0'>" + briefing.kecamatan_map_html(
        data, code, analysis, lang="id"), encoding="utf-8")
    _open_map(browser, page)
    WebDriverWait(browser, 20).until(lambda d: d.execute_script(
        "return performance.getEntriesByName(arguments[0]).length", TPS_DRAWN_MARK))
    info = browser.execute_script(DRAWN_JS, TPS_DRAWN_MARK)
    assert info["n"] == info["drawn"] == info["inView"] == info["painted"] == n and info["mark"] == 1
    assert sorted(info["ids"]) == sorted(many["tps_id"])
    expected = many.iloc[-1]
    assert info["last"]["tps_id"] == expected["tps_id"] and info["last"]["kelurahan"] == expected["kelurahan"]
    assert info["last"]["risk_reasons"] == expected["risk_reasons"]  # texts of parts, put together again
    # the pointer over the last TPS (drawn on top): its tooltip; a click: its popup, with its details
    body = browser.find_element("css selector", ".folium-map")
    size = body.size
    ActionChains(browser).move_to_element_with_offset(
        body, int(info["x"] - size["width"] / 2), int(info["y"] - size["height"] / 2)).perform()
    WebDriverWait(browser, 5).until(lambda d: d.execute_script(
        "const t = document.querySelector('.leaflet-tooltip'); return t && t.textContent.includes(arguments[0]);",
        expected["tps_id"]))
    ActionChains(browser).click().perform()
    popup = WebDriverWait(browser, 5).until(lambda d: d.execute_script(
        "const p = document.querySelector('.leaflet-popup-content'); return p && p.textContent;"))
    for text in (expected["tps_id"], expected["kelurahan"], expected["alamat"], expected["risk_reasons"],
                 "Sumber posisi", "perkiraan"):
        assert text in popup, (text, popup)
    assert browser.execute_script("return document.querySelectorAll('.leaflet-popup-content b').length") == 0
    browser.switch_to.default_content()
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


LAYOUT_JS = FIND_JS + """
const priority = arguments[0];
const frame = map.getContainer().getBoundingClientRect();
const controls = Array.from(document.querySelectorAll(".leaflet-control")).map(e => e.getBoundingClientRect())
  .filter(r => r.width > 0 && r.height > 0)
  .map(r => [r.left - frame.left, r.top - frame.top, r.right - frame.left, r.bottom - frame.top]);
const size = map.getSize(), points = [];
for (let i = 0; i < pts.count(); i++) {
  if (priority.includes(pts.value(i, "kelas"))) {
    const q = map.latLngToContainerPoint(pts.latLngOf(i));
    points.push([q.x, q.y]);
  }
}
const under = points.filter(([x, y]) => x < 0 || y < 0 || x > size.x || y > size.y
  || controls.some(c => x >= c[0] && x <= c[2] && y >= c[1] && y <= c[3]));
const rows = Array.from(document.querySelectorAll(".pamgeo-legend .lg-row"));
const shown = rows.filter(r => r.style.display !== "none").map(r => r.getAttribute("data-layer"));
const drawn = Object.keys(window).filter(k => k.startsWith("geo_json_"))  // (some window properties throw)
  .filter(k => map.hasLayer(window[k]) && (window[k] instanceof L.GeoJSON ? window[k].getLayers().length
                                                                          : window[k].count()));
const offRows = rows.filter(r => r.style.display === "none").map(r => r.getAttribute("data-layer"))
  .filter(k => map.hasLayer(window[k]));
const layers = document.querySelector(".leaflet-control-layers");
return {
  points: points.length, under: under, size: [size.x, size.y], controls: controls.length,
  legendShown: Array.from(new Set(shown)).sort(), drawn: drawn.sort(), offRowsOnMap: offRows,
  legendOpen: !document.querySelector(".pamgeo-legend").classList.contains("collapsed"),
  layersCollapsed: !layers.classList.contains("leaflet-control-layers-expanded"),
  scale: Array.from(document.querySelectorAll(".leaflet-control-scale-line")).map(e => e.textContent),
};
"""


@pytest.mark.parametrize(("width", "height", "legend_open"), [(1280, 720, False), (1400, 900, True)])
def test_map_controls_legend_and_first_view(tmp_path, toy_cfg, width, height, legend_open):
    """At a laptop's 1280x720 (legend folded) and at 1400x900 (legend open): the layer control
    folded, the legend lists exactly the layers drawn, the scale is metric only, and no rawan or
    sangat rawan TPS lies under a control in the first view."""
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        pytest.skip("Debian chromium / chromium-driver not installed")
    import shapely
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from pamgeo.analysis.pipeline import analyse
    from pamgeo.core.vocabulary import class_label
    from pamgeo.ingest.region import build_region
    from pamgeo.render import briefing

    data = build_region(toy_cfg)
    analysis = analyse(data)
    code = "99.01.01"
    tps = analysis.tps[analysis.tps["kode_kec"] == code]
    # rawan TPS where the controls sit when the kecamatan fills the map: under the search box
    # (top left), the note and layer button (top right), the legend (bottom left), the sources
    # (bottom right); one of them sangat rawan
    minx, miny, maxx, maxy = data.kecamatan.loc[data.kecamatan["kode_kec"] == code].total_bounds
    spots = [(0.08, 0.75), (0.95, 0.97), (0.04, 0.03), (0.7, 0.01)]
    moved = list(tps.index[:len(spots)])
    analysis.tps.loc[moved, "geometry"] = [shapely.Point(minx + fx * (maxx - minx), miny + fy * (maxy - miny))
                                           for fx, fy in spots]
    analysis.tps.loc[moved, "risk_class"] = "rawan"
    analysis.tps.loc[moved[0], "risk_class"] = "sangat_rawan"
    corners = set(moved)
    page = tmp_path / "map.html"
    page.write_text("<!doctype html><meta charset='utf-8'><body style='margin:0'>" + briefing.kecamatan_map_html(
        data, code, analysis, lang="id"), encoding="utf-8")
    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
                f"--window-size={width},{height}", f"--screen-info={{0,0 {width}x{height}}}"):
        opts.add_argument(arg)
    opts.binary_location = CHROMIUM
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        _open_map(driver, page)
        info = driver.execute_script(LAYOUT_JS, [class_label("rawan", "id"), class_label("sangat_rawan", "id")])
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        driver.quit()
    assert info["points"] == len(corners) and info["controls"] >= 8, info
    assert info["under"] == [], info  # every rawan / sangat rawan TPS clear of the controls
    assert info["layersCollapsed"] and info["legendOpen"] is legend_open, info
    assert info["legendShown"] == info["drawn"] and info["offRowsOnMap"] == [], info  # legend = layers drawn
    assert len(info["scale"]) == 1 and info["scale"][0].endswith((" m", " km")), info  # metric only
    assert errors == []
