"""Core: errors, codes, vocabulary, i18n, presets, resources and the region config.

Imports nothing else of pamgeo. Every other layer may import it.
"""
