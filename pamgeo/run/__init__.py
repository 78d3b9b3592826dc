"""Run: the briefing runner, its worker processes and kept kernels, the analysis cache and
the per-kernel session. The only layer that writes outputs, and the only home of speed tricks.
"""
