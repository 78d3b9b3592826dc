"""Print maps: a sheet drawn ahead of the analysis prints the same as one drawn at once; an A4
sheet at 200 dpi with its date, north arrow, scale, legend of what is drawn, margins, no small
text and no colliding labels."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from pamgeo.analysis.pipeline import analyse
from pamgeo.ingest.region import build_region
from pamgeo.render import printmap
from pamgeo.render.printmap import MARGIN_MM, MIN_PT, PRINT_DPI, add_analysis, base_sheet
from pamgeo.run.jobs import write_print_maps

MOMENT = datetime(2026, 11, 27, 3, 5, tzinfo=UTC)  # 10:05 WIB


@pytest.fixture
def fixed_clock(monkeypatch):
    monkeypatch.setattr(printmap, "now", lambda: MOMENT)


def test_sheets_drawn_ahead_print_the_same(tmp_path, toy_cfg, fixed_clock):
    data = build_region(toy_cfg)
    result = analyse(data, lang="id")
    codes = data.kecamatan_codes()
    write_print_maps(data, result, codes, tmp_path / "at_once", "id")
    sheets = {(code, "id"): base_sheet(data, code, lang="id") for code in codes}  # before the analysis is used
    write_print_maps(data, result, codes, tmp_path / "ahead", "id", sheets=sheets)
    assert sheets == {}  # every sheet drawn ahead was used
    bare = base_sheet(data, codes[0], lang="id")  # without the TPS and pockets it is another map
    bare.fig.savefig(tmp_path / "bare.png", dpi=PRINT_DPI, pil_kwargs={"compress_level": 1})
    assert (tmp_path / "bare.png").read_bytes() != (tmp_path / "at_once" / f"{codes[0].replace('.', '')}.png").read_bytes()
    for code in codes:
        name = code.replace(".", "")
        at_once = (tmp_path / "at_once" / f"{name}.png").read_bytes()
        assert at_once[:8] == b"\x89PNG\r\n\x1a\n" and len(at_once) > 10_000
        assert (tmp_path / "ahead" / f"{name}.png").read_bytes() == at_once
        assert (tmp_path / "ahead" / f"{name}.pdf").read_bytes()[:5] == b"%PDF-"


def test_print_sheet_date_north_scale_dpi_margins_labels(tmp_path, toy_cfg, fixed_clock):
    from PIL import Image

    data = build_region(toy_cfg)
    result = analyse(data, lang="en")
    code = "99.01.01"
    write_print_maps(data, result, [code], tmp_path, "en")
    with Image.open(tmp_path / "990101.png") as im:
        dpi = im.info.get("dpi", (0, 0))
        assert round(dpi[0]) >= 200 and im.size[0] >= round(11.69 * 200) - 1  # A4 landscape at >= 200 dpi
    fig = add_analysis(base_sheet(data, code, lang="en"), result)
    by_gid = {a.get_gid(): a for a in fig.findobj() if a.get_gid()}
    assert by_gid["print-date"].get_text() == "Made: 27 Nov 2026 10:05 WIB"
    assert "north-arrow" in by_gid and by_gid["north-arrow-label"].get_text() == "N"
    assert "scale-bar" in by_gid
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # lays the legend out
    renderer = canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    margin = MARGIN_MM / 25.4 * fig.dpi
    drawn = [*fig.texts, *fig.axes[0].texts, *fig.legends[0].get_texts(), fig.legends[0].get_title()]
    texts = [a for a in drawn if a.get_visible() and a.get_text().strip()]  # the axes' own are off
    assert len(texts) > 20 and all(isinstance(a, Text) for a in texts)
    legend_labels = {x.get_text() for x in fig.legends[0].get_texts()}
    assert {"TPS less vulnerable", "Reserve peleton staging point", "Police units (Polres/Polsek)",
            "Kecamatan (district)", "Main roads", "Rivers and canals"} <= legend_labels, legend_labels
    tps = result.tps[result.tps["kode_kec"] == code]
    routed = result.routes is not None and result.routes["tps_id"].isin(tps["tps_id"]).any()
    assert ("Reserve routes to vulnerable TPS" in legend_labels) == routed  # in the legend when drawn
    assert ("TPS vulnerable" in legend_labels) == (tps["risk_class"] == "rawan").any()
    for text in texts:
        assert text.get_fontsize() >= MIN_PT, (text.get_text(), text.get_fontsize())
        e = text.get_window_extent(renderer)
        assert e.x0 >= margin - 1 and e.y0 >= margin - 1 and e.x1 <= width - margin + 1 and e.y1 <= height - margin + 1, \
            text.get_text()
    # the labels on the map: inside it, none overlapping another
    ax = fig.axes[0]
    frame = ax.get_window_extent(renderer)
    boxes = [a.get_window_extent(renderer) for a in ax.texts]
    assert any(a.get_text() == "Polsek Satu" for a in ax.texts)
    for i, a in enumerate(boxes):
        assert a.x0 >= frame.x0 - 1 and a.x1 <= frame.x1 + 1 and a.y0 >= frame.y0 - 1 and a.y1 <= frame.y1 + 1
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (a, b)


def test_labels_are_placed_apart():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3))
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    sheet = printmap.Sheet(fig, ax, "x", None)
    # ten labels on one point: the greedy placement spreads them, drops those that find no room
    for i in range(10):
        sheet.labels.append(printmap.Label(f"Label {i}", printmap._point_candidates((50.0, 50.0)), required=i < 2))
    sheet.obstacles.append((50.0, 50.0, 4.0))
    placed = printmap.place_labels(sheet, FigureCanvasAgg(fig).get_renderer())
    renderer = fig.canvas.get_renderer()
    boxes = [np.array(a.get_window_extent(renderer).extents) for a in placed]
    assert 2 <= len(placed) <= 10 and {"Label 0", "Label 1"} <= {a.get_text() for a in placed}
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert printmap._overlap(a, b) == 0
