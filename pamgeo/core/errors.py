"""Exception hierarchy. Messages name the file, row/key and column, and say what to do."""

from __future__ import annotations


class PamgeoError(Exception):
    """Base class of every error pamgeo raises on purpose."""


class ConfigError(PamgeoError):
    """A region configuration file is missing, malformed or inconsistent."""

    def __init__(self, path: object, key: str, problem: str, fix: str) -> None:
        self.path, self.key, self.problem, self.fix = str(path), key, problem, fix
        super().__init__(f"{self.path}: key '{key}': {problem}. Fix: {fix}")


class InputError(PamgeoError):
    """An input data file cannot be used as it is.

    ``report`` carries the row-level :class:`pamgeo.ingest.validate.ValidationReport` when the
    error comes from validation.
    """

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class RunError(PamgeoError):
    """A briefing run failed (a notebook, a conversion, an output step)."""
