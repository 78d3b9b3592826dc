"""The page around a briefing: banner, title, estimate note, body, attribution (Jinja)."""

from __future__ import annotations

from datetime import UTC, datetime

from jinja2 import Environment, PackageLoader, select_autoescape

from pamgeo import __version__
from pamgeo.core.config import RegionConfig
from pamgeo.core.i18n import t


def _environment() -> Environment:
    return Environment(loader=PackageLoader("pamgeo.render", "templates"), autoescape=select_autoescape(["html"]))


def render_page(cfg: RegionConfig, *, title: str, subtitle: str, body: str, lang: str,
                estimated: str | None, nav: str = "") -> str:
    """A complete briefing page: banner, title, estimate note, body, attribution.

    ``estimated`` is the i18n key of the estimated-positions note, or None.
    """
    return _environment().get_template("page.html").render(
        lang=lang, title=title, subtitle=subtitle, body=body, nav=nav,
        classification=cfg.region.classification,
        estimated_note=t(estimated, lang) if estimated else "",
        attribution_label=t("attribution", lang), attributions=cfg.attributions(),
        generated_label=t("generated", lang),
        generated=datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z"), version=__version__,
    )
