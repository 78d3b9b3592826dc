"""One call that runs the analysis chain on a built region: risk, then pockets.

Pure: takes a :class:`~pamgeo.region.RegionData`, returns new frames, touches no file. The
briefing notebooks and :mod:`pamgeo.report` call it with the same defaults (the region config),
so the tables a run writes match its pages.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from pamgeo.cluster import Pockets, find_pockets
from pamgeo.region import RegionData
from pamgeo.risk import score_tps


@dataclass
class Analysis:
    """TPS with risk and pocket columns, and the pockets."""

    tps: gpd.GeoDataFrame
    pockets: Pockets
    eps_m: float
    min_samples: int

    def pocket_table(self, kode_kec: str | None = None) -> pd.DataFrame:
        t = self.pockets.table
        if kode_kec is None or t.empty:
            return t
        ids = set(self.tps.loc[(self.tps["kode_kec"] == kode_kec) & self.tps["pocket_id"].notna(), "pocket_id"])
        return t[t["pocket_id"].isin(ids)]


def analyse(data: RegionData, *, lang: str | None = None, eps_m: float | None = None,
            min_samples: int | None = None) -> Analysis:
    """Score every TPS and find the pockets of risk.

    Parameters
    ----------
    data
        A built region.
    lang
        Language of reasons and labels (default: the region's).
    eps_m, min_samples
        Override the config's DBSCAN parameters (``cluster:``).
    """
    cfg = data.config
    lang = lang or cfg.region.language
    src = cfg.sources.tps
    scored = score_tps(
        data.tps, cfg.risk, waterways=data.waterways, police_posts=data.police_posts,
        flood_prone=data.flood_prone, lang=lang,
        class_date=getattr(src, "class_date", None), class_authority=getattr(src, "class_authority", None),
    )
    pockets = find_pockets(scored, cfg.cluster, cfg.risk, lang=lang, eps_m=eps_m, min_samples=min_samples)
    scored["pocket_id"] = pockets.labels
    return Analysis(scored, pockets, float(eps_m or cfg.cluster.eps_m), int(min_samples or cfg.cluster.min_samples))
