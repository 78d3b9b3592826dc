"""Analysis: risk, pockets, road network, catchments, flood, personnel, and one ``analyse()``.

Takes and returns (Geo)DataFrames; reads no file, draws nothing, keeps no module state.
Imports only :mod:`pamgeo.core` and :mod:`pamgeo.ingest` (for the region's types).
"""
