"""The colours of every map pamgeo draws: web maps, print maps and the GeoPackage's QGIS styles.

Defined once, here, so that a symbol means the same on screen, on paper and in QGIS. Chosen to
stay apart for colour-blind readers and from each other:

- categories (TPS classes, routes, police, staging, rivers) from Okabe & Ito's palette
  (https://jfly.uni-koeln.de/color/), safe for the common colour-vision deficiencies;
- the base map (roads, boundaries) in greys, so that colour always means something thematic;
- rayon catchments as pale fills from Paul Tol's "pale" scheme outlined in his "dark" one
  (https://personal.sron.nl/~pault/; made for backgrounds with text and symbols on top: no
  fill can be taken for a TPS class);
- travel-time bands on the sequential viridis scale, flood classes on ColorBrewer's Blues:
  ordered quantities, lighter = less.

Routes (reddish purple) are apart from the roads (grey), the rawan TPS (orange), the rivers
(sky blue) and the flood classes (blues).
"""

from __future__ import annotations

#: Okabe & Ito (2008), "Color Universal Design"
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
    "grey": "#999999",
}

#: TPS risk classes: fill and (darker) outline
CLASS_COLOURS = {"kurang_rawan": OKABE_ITO["bluish_green"], "rawan": OKABE_ITO["orange"],
                 "sangat_rawan": OKABE_ITO["vermillion"], "khusus": OKABE_ITO["blue"]}
CLASS_OUTLINES = {"kurang_rawan": "#00513b", "rawan": "#5c4000", "sangat_rawan": "#3d1b00", "khusus": "#002a42"}
NO_CLASS_COLOUR, NO_CLASS_OUTLINE = OKABE_ITO["grey"], "#3d3d3d"

#: flood exposure classes (ColorBrewer Blues, 3 classes)
FLOOD_COLOURS = {"rendah": "#9ecae1", "sedang": "#4292c6", "tinggi": "#08306b"}
#: rayon catchments: pale fills (Paul Tol's "pale" scheme) and their outlines ("dark" scheme)
RAYON_COLOURS = ("#BBCCEE", "#EEEEBB", "#FFCCCC", "#CCEEFF", "#CCDDAA", "#DDDDDD")
RAYON_OUTLINES = ("#222255", "#666633", "#663333", "#225555", "#225522", "#555555")
#: reserve travel-time bands, shortest first (viridis, 5 steps, yellow = near)
BAND_COLOURS = ("#FDE725", "#5EC962", "#21918C", "#3B528B", "#440154")

#: the reserve's routes to rawan and sangat rawan TPS
ROUTE_COLOUR = OKABE_ITO["reddish_purple"]
#: kantong kerawanan (pockets holding rawan TPS) and dense clusters of kurang rawan TPS
POCKET_COLOUR = OKABE_ITO["vermillion"]
CLUSTER_COLOUR = "#666666"
#: police units: existing (filled) and planned (hollow, dashed)
POLICE_FILL, POLICE_RING = "#111111", "#FFFFFF"
PLANNED_FILL, PLANNED_RING = "#FFFFFF", "#111111"
#: staging points of the reserve peleton
STAGING_COLOUR = OKABE_ITO["black"]
#: water: rivers and canals, lakes, flood reports, flooded roads, TPS cut off by flood
WATER_COLOUR = OKABE_ITO["sky_blue"]
LAKE_FILL, LAKE_LINE = "#6baed6", "#08519c"
FLOOD_LINE = "#08306b"
#: base map: roads, boundaries, background
ROAD_MAJOR, ROAD_MINOR = "#8c8c8c", "#b8b8b8"
KELURAHAN_LINE, KECAMATAN_LINE = "#555555", "#111111"
LAND = "#f4f1ea"

__all__ = [
    "BAND_COLOURS",
    "CLASS_COLOURS",
    "CLASS_OUTLINES",
    "CLUSTER_COLOUR",
    "FLOOD_COLOURS",
    "FLOOD_LINE",
    "KECAMATAN_LINE",
    "KELURAHAN_LINE",
    "LAKE_FILL",
    "LAKE_LINE",
    "LAND",
    "NO_CLASS_COLOUR",
    "NO_CLASS_OUTLINE",
    "OKABE_ITO",
    "PLANNED_FILL",
    "PLANNED_RING",
    "POCKET_COLOUR",
    "POLICE_FILL",
    "POLICE_RING",
    "RAYON_COLOURS",
    "RAYON_OUTLINES",
    "ROAD_MAJOR",
    "ROAD_MINOR",
    "ROUTE_COLOUR",
    "STAGING_COLOUR",
    "WATER_COLOUR",
]
