"""Where pamgeo finds its files: shipped package data, user regions, the raw bundle, outputs.

The region files, deployment presets and briefing notebooks ship inside the package
(``pamgeo/data`` and ``pamgeo/notebooks`` in a wheel, built from the repository's top-level
``data/`` and ``notebooks/``) and are found through :mod:`importlib.resources`. In a checkout
(an editable install) the same folders are read where they stand. Outputs (``build/``,
``reports/``) default to the current directory, never to the package.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

#: environment variable naming extra folders of region files (``os.pathsep``-separated)
REGIONS_ENV = "PAMGEO_REGIONS"


def _checkout_root() -> Path | None:
    """The repository root when pamgeo runs from a checkout, else None."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "pamgeo").is_dir() else None


def package_dir(name: str) -> Path:
    """A folder shipped with pamgeo: ``"data"`` or ``"notebooks"``.

    The installed package data when it is there, else the checkout's top-level folder.
    """
    shipped = resources.files("pamgeo") / name
    if shipped.is_dir():
        return Path(str(shipped))
    root = _checkout_root()
    if root is not None and (root / name).is_dir():
        return root / name
    raise FileNotFoundError(f"pamgeo's {name!r} folder is missing from the installation "
                            f"(looked in {shipped}); reinstall pamgeo")


def data_dir() -> Path:
    """Shipped project data: region files, deployment presets."""
    return package_dir("data")


def notebooks_dir() -> Path:
    """The briefing notebooks papermill runs."""
    return package_dir("notebooks")


def presets_file() -> Path:
    """The deployment presets written down from the sources (``deployment_presets.yml``)."""
    return data_dir() / "deployment_presets.yml"


def regions_dirs(extra: str | os.PathLike[str] | None = None) -> list[Path]:
    """Folders searched for ``<name>.yml``, first match wins.

    ``extra`` (``--regions-dir``), then every folder of ``PAMGEO_REGIONS``, then the shipped
    regions (a checkout's ``data/regions``).
    """
    dirs: list[Path] = []
    if extra:
        dirs.append(Path(extra).expanduser().resolve())
    for item in os.environ.get(REGIONS_ENV, "").split(os.pathsep):
        if item.strip():
            dirs.append(Path(item).expanduser().resolve())
    dirs.append(data_dir() / "regions")
    return dirs


def raw_dir() -> Path:
    """Folder of the raw public data bundle.

    ``PAMGEO_RAW`` when set, else ``../shared/data/raw`` beside the checkout, else beside the
    current directory.
    """
    env = os.environ.get("PAMGEO_RAW")
    if env:
        return Path(env).expanduser().resolve()
    root = _checkout_root() or Path.cwd()
    return (root.parent / "shared" / "data" / "raw").resolve()


def project_dir() -> Path:
    """What ``{project}`` in a region file stands for: the checkout, else the current directory."""
    return _checkout_root() or Path.cwd()


def resolve_path(path: str, config_path: str | os.PathLike[str]) -> Path:
    """Absolute path of a path written in a region or group file: ``{raw}/...`` (the bundle),
    ``{project}/...`` (:func:`project_dir`), else relative to the file itself."""
    if path.startswith("{raw}"):
        return raw_dir() / path[len("{raw}"):].lstrip("/\\")
    if path.startswith("{project}"):
        return project_dir() / path[len("{project}"):].lstrip("/\\")
    p = Path(path).expanduser()
    return (p if p.is_absolute() else Path(config_path).parent / p).resolve()


def default_build_dir() -> Path:
    """``build/`` under the current directory."""
    return Path.cwd() / "build"


def default_reports_dir() -> Path:
    """``reports/`` under the current directory."""
    return Path.cwd() / "reports"
