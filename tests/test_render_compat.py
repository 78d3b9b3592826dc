"""The web maps use only the public interfaces of folium, branca and offlinefolium.

pamgeo.render needs no private hook of those libraries today (so there is no
``pamgeo.render._compat``): Leaflet's stylesheet comes through offlinefolium's documented
``JSCSSMixin``, the elements follow folium's documented ``MacroElement`` pattern (a
``_template = Template(...)`` whose macros may use ``this._parent``), and the compact GeoJSON
layer writes its macros through jinja2's public ``Template.module``. This test keeps it so: the
Python code of pamgeo.render imports no underscore name from another package and reads none of
the private attributes below. If one is ever truly needed, it goes into
``pamgeo/render/_compat.py`` with a test here that fails when the library drops it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pamgeo.render

RENDER = Path(pamgeo.render.__file__).resolve().parent
# private attributes of branca's Element and folium's classes, and offlinefolium's asset table
PRIVATE = {"_children", "_parent", "_res", "_id", "_template_str", "_template_name", "_png_image",
           "_add_link", "_get_self_bounds", "_validate_function", "_name"}
COMPAT = "_compat.py"


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.module.startswith("pamgeo"):
            found += [f"from {node.module} import {a.name} (line {node.lineno})"
                      for a in node.names if a.name.startswith("_") and a.name != "__future__"]
        elif isinstance(node, ast.Attribute) and node.attr in PRIVATE:
            found.append(f".{node.attr} (line {node.lineno})")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) \
                and node.value.attr == "_template" and node.attr != "module":
            found.append(f"._template.{node.attr} (line {node.lineno})")
        elif isinstance(node, ast.Attribute) and node.attr == "__dict__":
            found.append(f".__dict__ (line {node.lineno})")
    return sorted(found, key=lambda v: int(v.rsplit("line ", 1)[1].rstrip(")")))


def test_render_uses_no_private_name_of_a_library():
    found = {p.name: v for p in sorted(RENDER.glob("*.py")) if p.name != COMPAT and (v := _violations(p))}
    assert found == {}


def test_the_check_finds_private_names(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from offlinefolium.elements import _res\n"
                   "def render(self):\n"
                   "    self._parent.get_name()\n"
                   "    self._template.module.__dict__['script']\n"
                   "    for c in self._children.values(): pass\n")
    assert _violations(bad) == ["from offlinefolium.elements import _res (line 1)", "._parent (line 3)",
                                ".__dict__ (line 4)", "._children (line 5)"]


def test_the_public_interfaces_the_maps_rely_on_are_there():
    import jinja2
    from branca.element import Figure, MacroElement
    from offlinefolium import Map
    from offlinefolium.elements import JSCSSMixin

    assert issubclass(JSCSSMixin, MacroElement) and hasattr(Figure(), "header")
    assert any(name == "leaflet" for name, _ in Map.default_js)
    assert any(name == "leaflet_css" for name, _ in Map.default_css)
    assert callable(jinja2.Template("{% macro layer(this) %}x{% endmacro %}").module.layer)
