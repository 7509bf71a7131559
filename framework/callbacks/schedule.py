"""When pictures and histograms are drawn: often early, thinning as a run grows, so that a long
run's event files stay small and a short run loses nothing.

Draw number ``i`` (0, 1, 2 … of a callback's own interval) is kept when ``i < 10``, or ``i`` is a
multiple of 10 below 100, of 100 below 1,000, and so on: 10 + 9 + 9 + … draws, 37 for a million
intervals. Each callback also draws once at the end.
"""

from __future__ import annotations


def on_schedule(index: int) -> bool:
    """Whether draw number ``index`` is kept."""
    if index < 10:
        return True
    return index % 10 ** (len(str(index)) - 1) == 0
