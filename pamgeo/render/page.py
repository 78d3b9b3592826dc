"""The page around a briefing: banner, title, estimate note, body, attribution (Jinja)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from jinja2 import Environment, PackageLoader, select_autoescape

from pamgeo import __version__
from pamgeo.core.config import RegionConfig
from pamgeo.core.i18n import t, when


def templates() -> Environment:
    """The Jinja environment of pamgeo's HTML templates (``pamgeo/render/templates``), escaping
    every value. Pages and tables are Jinja templates; small inline fragments (a heading, a link)
    are built with :func:`html.escape`."""
    return Environment(loader=PackageLoader("pamgeo.render", "templates"), autoescape=select_autoescape(["html"]))


def render_page(cfg: RegionConfig, *, title: str, subtitle: str, body: str, lang: str,
                estimated: str | None, nav: str = "", notes: Sequence[str] = ()) -> str:
    """A complete briefing page: banner, title, estimate note, notes, body, attribution.

    ``estimated`` is the i18n key of the estimated-positions note, or None; ``notes`` are
    sentences every page of the run carries (the TPS account, missing or partial data).
    """
    return templates().get_template("page.html").render(
        lang=lang, title=title, subtitle=subtitle, body=body, nav=nav,
        classification=cfg.region.classification,
        estimated_note=t(estimated, lang) if estimated else "", notes=[n for n in notes if n],
        attribution_label=t("attribution", lang), attributions=cfg.attributions(),
        generated_label=t("generated", lang),
        generated=when(datetime.now(UTC), lang), version=__version__,
    )
