"""Ingest: read any input file, validate TPS lists row by row, estimate positions, build a region.

The only layer that reads input files. Imports only :mod:`pamgeo.core`.
"""
