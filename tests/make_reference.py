"""Write the per-TPS reference of the Tangsel analysis that ``tests/test_reference.py`` compares against.

Run it only to record a deliberate change of a definition (and say so in the commit):

    .venv/bin/python tests/make_reference.py

It holds no raw data: TPS ids and the analysis's own results (classes, scores, pockets, rayons,
response times, flood classes and the reason texts), no coordinates.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

REFERENCE = Path(__file__).parent / "data" / "tangsel_reference.csv.gz"
COLUMNS = ["tps_id", "risk_class", "risk_score", "risk_class_computed", "pocket_id", "rayon", "polsek",
           "response_min", "route_km", "reachable", "beyond_response", "flood_class", "dist_river_m",
           "access_cut", "detour_min", "cut_unreachable", "n_tps_nearby", "dist_police_m", "dist_waterway_m",
           "risk_reasons", "flood_reasons"]


def reference_frame(analysis) -> pd.DataFrame:
    """The compared columns, plus the TPS assignment of every catchment method."""
    out = pd.DataFrame(analysis.tps[COLUMNS])
    for method, cat in sorted(analysis.catchments.items()):
        out[f"rayon_{method}"] = cat.assignment["rayon"].to_numpy()
        out[f"polsek_{method}"] = cat.assignment["polsek"].to_numpy()
    return out.sort_values("tps_id").reset_index(drop=True)


def main() -> None:
    from pamgeo.analysis.pipeline import analyse
    from pamgeo.core.config import load_config
    from pamgeo.ingest.region import build_region

    a = analyse(build_region(load_config("tangsel")))
    REFERENCE.parent.mkdir(parents=True, exist_ok=True)
    reference_frame(a).to_csv(REFERENCE, index=False)
    print(f"wrote {REFERENCE} ({len(a.tps)} TPS)")


if __name__ == "__main__":
    main()
