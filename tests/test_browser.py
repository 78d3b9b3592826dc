"""The briefing opened from disk in headless Chromium with the network off."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pamgeo.report import run_region

pytestmark = pytest.mark.slow

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"

COUNT_JS = """
const maps = Object.keys(window).filter(k => k.startsWith("map_")).map(k => window[k])
  .filter(v => typeof L !== "undefined" && v instanceof L.Map);
let tps = 0;
if (maps.length) maps[0].eachLayer(l => {
  if (l.feature && l.feature.properties && "kantong" in l.feature.properties && !(l instanceof L.GeoJSON)) tps++;
});
return {leaflet: typeof L === "undefined" ? null : L.version, maps: maps.length, tps: tps};
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


def test_kecamatan_page_offline(browser, tmp_path_factory, toy_config_path):
    out = tmp_path_factory.mktemp("r")
    res = run_region(toy_config_path, build_dir=out / "b", reports_dir=out / "r", progress=False)
    assert res.ok
    page = out / "r" / "toy" / "kecamatan" / "990101.html"
    browser.get_log("browser")  # clear
    browser.get(page.as_uri())
    frame = browser.find_element("css selector", "iframe.pamgeo-map")
    browser.switch_to.frame(frame)
    info = browser.execute_script(COUNT_JS)
    browser.switch_to.default_content()
    assert info["leaflet"] == "1.9.3" and info["maps"] == 1
    assert info["tps"] == 8  # kecamatan 99.01.01: 5 + 3 TPS
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    shutil.rmtree(out)
