"""Render: briefing blocks, the web maps, print maps and page templates.

Draws what it is given (a region and its analysis); writes no file, keeps no module state.
"""
