"""pyproject.toml's ranges, environment.yml's and constraints.txt's pins agree; the wheel ships
what an install outside the checkout needs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict[str, SpecifierSet]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = list(data["project"]["dependencies"])
    for extra in data["project"]["optional-dependencies"].values():
        reqs += extra
    out = {}
    for text in reqs:
        req = Requirement(text)
        assert "==" not in str(req.specifier), f"[project] pins {text} exactly: give a compatible range"
        assert req.specifier, f"[project] gives no version range for {text}"
        out[req.name.lower()] = req.specifier
    return out


def _environment() -> dict[str, str]:
    data = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for dep in data["dependencies"]:
        if isinstance(dep, dict):
            for req in dep["pip"]:
                name, ver = req.split("==")
                out[name.lower()] = ver
        elif dep not in ("pip",) and not dep.startswith("python="):
            name, ver = dep.split("=")
            out[name.lower()] = ver
    return out


def test_environment_pins_fall_in_pyproject_ranges():
    ranges, pins = _pyproject(), _environment()
    assert set(pins) == set(ranges)
    for name, spec in ranges.items():
        assert pins[name] in spec, f"environment.yml pins {name} {pins[name]}, outside pyproject's {spec}"


def test_constraints_agree_with_environment():
    pins = _environment()
    lines = [ln for ln in (ROOT / "constraints.txt").read_text().splitlines() if ln and not ln.startswith("#")]
    frozen = {re.split("==", ln)[0].lower().replace("_", "-"): ln.split("==")[1] for ln in lines}
    for name, ver in pins.items():
        assert frozen.get(name.replace("_", "-")) == ver, name


def test_nbformat_import_does_not_compile_rfc3987_grammar():
    # jsonschema >= 4.25 imports rfc3987-syntax, whose Lark grammar costs ~1.8 s in every process
    # that imports nbformat (CLI, papermill workers); the pin keeps it out
    import subprocess
    import sys

    code = "import sys, nbformat, papermill; print('rfc3987_syntax' in sys.modules, 'lark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
