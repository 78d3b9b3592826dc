"""pamgeo: election-day police security planning for polling stations (TPS).

Data flows one way: :mod:`pamgeo.config` -> :mod:`pamgeo.io` -> :mod:`pamgeo.validate` /
:mod:`pamgeo.estimate` -> :mod:`pamgeo.region` -> :mod:`pamgeo.maps` -> :mod:`pamgeo.report`,
with :mod:`pamgeo.cli` on top.
"""

__version__ = "0.1.0"

from pamgeo._errors import ConfigError, InputError, PamgeoError, RunError

__all__ = ["ConfigError", "InputError", "PamgeoError", "RunError", "__version__"]
