"""The notebooks are parameterised for papermill, and the page template loads nothing from the network."""

from __future__ import annotations

import re

import nbformat
import papermill as pm
import pytest

from pamgeo.core.resources import notebooks_dir
from pamgeo.run.kernels import notebook_body

NOTEBOOKS = sorted(p.name for p in notebooks_dir().glob("*.ipynb"))


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_notebook_has_one_tagged_parameters_cell(name):
    nb = nbformat.read(notebooks_dir() / name, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, name
    params = pm.inspect_notebook(str(notebooks_dir() / name))
    assert "region" in params and params["region"]["default"] == '"tangsel"'


def test_briefing_notebooks_say_which_command_writes_their_page():
    for name in ("kecamatan_briefing.ipynb", "kota_overview.ipynb"):
        nb = nbformat.read(notebooks_dir() / name, as_version=4)
        assert "pamgeo run" in nb.cells[0].source, name


def test_page_bodies_load_nothing_from_the_network():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": "<b>peta</b>", "text/plain": "peta"}),
        nbformat.v4.new_output("display_data", data={"text/markdown": "$x^2$ *tebal*"}),
        nbformat.v4.new_output("stream", name="stdout", text="catatan"),
    ])])
    body = notebook_body(nb)
    assert "<b>peta</b>" in body and "catatan" in body
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", body), body
    assert "require" not in body.lower() and "mathjax" not in body.lower()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_are_valid_nbformat(name):
    nb = nbformat.read(notebooks_dir() / name, as_version=4)
    nbformat.validate(nb)
    assert all("id" in c for c in nb.cells)
