"""pamgeo: election-day police security planning for polling stations (TPS).

The package is layered; each layer imports only from the ones before it::

    core -> ingest -> analysis -> render -> run -> cli

:mod:`pamgeo.core` (errors, codes, vocabulary, i18n, presets, config), :mod:`pamgeo.ingest`
(read, validate, estimate, build a region), :mod:`pamgeo.analysis` (risk, pockets, rayons,
flood, personnel), :mod:`pamgeo.render` (briefing blocks, web and print maps),
:mod:`pamgeo.run` (runner, workers, cache) and :mod:`pamgeo.cli`. See ``docs/architecture.md``.
"""

__version__ = "0.1.0"

from pamgeo.core.errors import ConfigError, InputError, PamgeoError, RunError

__all__ = ["ConfigError", "InputError", "PamgeoError", "RunError", "__version__"]
