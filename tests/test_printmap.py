"""Print maps: a sheet drawn ahead of the analysis prints the same as one drawn at once; an A4
sheet at 200 dpi with its date, north arrow, scale, legend of what is drawn, margins, no small
text and no colliding labels; a lossless PNG of what the canvas drew; a PDF whose dense layers
are a few paths and whose text is text."""

from __future__ import annotations

import io
import re
import zlib
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
    drawn = [*fig.texts, *fig.axes[0].texts]
    texts = [a for a in drawn if a.get_visible() and a.get_text().strip()]  # the axes' own are off
    assert len(texts) > 20 and all(isinstance(a, Text) for a in texts)
    assert [a.get_text() for a in fig.texts if a.get_gid() == "legend-title"] == ["Legend"]
    legend_labels = {x.get_text() for x in fig.texts if x.get_gid() == "legend-entry"}
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


def _pdf_page(pdf: bytes) -> bytes:
    """The page's content: the largest stream of the PDF, inflated."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S)
    return zlib.decompress(max(streams, key=len))


def _pdf_strings(page: bytes) -> list[str]:
    """The strings the page shows: each text-showing array (``[...] TJ``) joined, kerns left out."""
    out = []
    for array in re.findall(rb"\[((?:[^\]\\]|\\.)*)\]\s*TJ", page, re.S):
        parts = re.findall(rb"\(((?:[^()\\]|\\.)*)\)", array)
        out.append(b"".join(re.sub(rb"\\(.)", rb"\1", p) for p in parts).decode("latin-1"))
    return out


def test_png_is_the_canvas_and_pdf_is_few_paths_and_text(tmp_path, toy_cfg, fixed_clock):
    """The PNG holds exactly the pixels the Agg canvas drew, at the print's dpi; the PDF draws
    each dense layer (kelurahan, roads, rivers...) as one path of many sub-paths, not a path per
    feature, and writes its text as text (the title, legend, notes, date and sources)."""
    from PIL import Image

    data = build_region(toy_cfg)
    result = analyse(data, lang="en")
    code = "99.01.01"
    fig = add_analysis(base_sheet(data, code, lang="en"), result)
    png = printmap.png_bytes(fig)
    with Image.open(io.BytesIO(png)) as im:
        assert im.format == "PNG" and im.mode == "RGB" and round(im.info["dpi"][0]) == PRINT_DPI
        pixels = np.asarray(im)
    assert np.array_equal(pixels, np.asarray(fig.canvas.buffer_rgba())[..., :3])
    assert (pixels != 255).any(axis=2).mean() > 0.2  # a map, not a blank page
    pdf = printmap.pdf_bytes(fig)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    page = _pdf_page(pdf)
    # every kelurahan, road and river is there, as sub-paths (moveto) of a few painted paths
    features = sum(len(layer) for layer in (data.kelurahan, data.roads, data.waterways) if layer is not None)
    moves = len(re.findall(rb"(?m) m$", page))
    painted = len(re.findall(rb"(?m)^(?:S|s|f|f\*|B|B\*|b|b\*)$", page))
    assert moves >= features > 0
    assert painted < 80, painted  # one or two per layer, symbol and label halo: not one per feature
    strings = _pdf_strings(page)
    assert "Legend" in strings and "Made: 27 Nov 2026 10:05 WIB" in strings
    assert {"TPS less vulnerable", "Main roads", "Rivers and canals"} <= set(strings)
    assert any(s.startswith("Data sources: ") for s in strings), strings
    assert b"/Subtype /Image" not in pdf  # all vector


def test_compound_path_keeps_every_ring_and_line():
    import shapely
    from matplotlib.figure import Figure
    from matplotlib.path import Path

    square = shapely.box(0, 0, 10, 10)
    holed = shapely.Polygon([(20, 0), (30, 0), (30, 10), (20, 10)], [[(22, 2), (22, 8), (28, 8), (28, 2)]])
    path = printmap._compound_path(np.array([square, shapely.MultiPolygon([holed]), shapely.Point(1, 1)]),
                                   polygons=True)
    assert (path.codes == Path.MOVETO).sum() == 3 and (path.codes == Path.CLOSEPOLY).sum() == 3
    # filled as one path, the squares are filled and the hole is not
    fig = Figure(figsize=(3, 1), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, 30)
    ax.set_ylim(0, 10)
    printmap._draw_polygons(ax, [holed, square], facecolor="black", edgecolor="none")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())[..., 0]
    assert pixels[50, 50] == 0 and pixels[50, 205] == 0 and pixels[50, 250] == 255  # (5, 5), (20.5, 5), (25, 5)
    lines = printmap._compound_path(np.array([shapely.LineString([(0, 0), (1, 1)]),
                                              shapely.MultiLineString([[(2, 2), (3, 3), (4, 2)], [(5, 5), (6, 6)]]),
                                              square]), polygons=False)
    assert (lines.codes == Path.MOVETO).sum() == 3 and len(lines.vertices) == 7
    assert printmap._compound_path(np.array([shapely.Point(0, 0)]), polygons=False) is None


def test_map_label_draws_as_a_haloed_annotation_once_made():
    """A map label prints pixel for pixel as an annotation with the same halo; its outline is
    made at the first draw and reused by the next (another format, another dpi)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle
    from matplotlib.text import Annotation

    def render(cls):
        fig = Figure(figsize=(2, 1), dpi=PRINT_DPI)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_axis_off()
        ax.set_xlim(0, 10)
        ax.set_ylim(0, 5)
        ax.add_artist(Rectangle((0, 0), 10, 5, facecolor="#999"))  # a grey ground, for the halo to show
        label = cls("Polsek Satu", (3.3, 2.1), xytext=(5, -5), textcoords="offset points", fontsize=7,
                    style="italic", path_effects=printmap._halo(), ha="left", va="top", annotation_clip=False)
        ax.add_artist(label)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        return label, np.asarray(canvas.buffer_rgba()).copy()

    label, pixels = render(printmap._MapLabel)
    _, expected = render(Annotation)
    assert np.array_equal(pixels, expected) and (pixels[..., 0] > 240).any()  # the white halo
    outline = label._outline
    assert outline is not None and printmap.pdf_bytes(label.get_figure(root=True)).startswith(b"%PDF-")
    assert label._outline is outline
