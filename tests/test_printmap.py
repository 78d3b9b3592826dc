"""Print maps: a sheet drawn ahead of the analysis prints the same as one drawn at once."""

from __future__ import annotations

from pamgeo.analysis.pipeline import analyse
from pamgeo.ingest.region import build_region
from pamgeo.render.printmap import base_sheet
from pamgeo.run.jobs import write_print_maps


def test_sheets_drawn_ahead_print_the_same(tmp_path, toy_cfg):
    data = build_region(toy_cfg)
    result = analyse(data, lang="id")
    codes = data.kecamatan_codes()
    write_print_maps(data, result, codes, tmp_path / "at_once", "id")
    sheets = {(code, "id"): base_sheet(data, code, lang="id") for code in codes}  # before the analysis is used
    write_print_maps(data, result, codes, tmp_path / "ahead", "id", sheets=sheets)
    assert sheets == {}  # every sheet drawn ahead was used
    bare = base_sheet(data, codes[0], lang="id")  # without the TPS and pockets it is another map
    bare.fig.savefig(tmp_path / "bare.png", dpi=130, pil_kwargs={"compress_level": 1})
    assert (tmp_path / "bare.png").read_bytes() != (tmp_path / "at_once" / f"{codes[0].replace('.', '')}.png").read_bytes()
    for code in codes:
        name = code.replace(".", "")
        at_once = (tmp_path / "at_once" / f"{name}.png").read_bytes()
        assert at_once[:8] == b"\x89PNG\r\n\x1a\n" and len(at_once) > 10_000
        assert (tmp_path / "ahead" / f"{name}.png").read_bytes() == at_once
        assert (tmp_path / "ahead" / f"{name}.pdf").read_bytes()[:5] == b"%PDF-"
