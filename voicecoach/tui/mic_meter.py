"""A live mic level meter, drawn with block characters (works in 16 colours)."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

FLOOR_DBFS = -60.0
"""Levels at or below this draw an empty meter; 0 dBFS draws a full one."""
WIDTH = 12


def meter_text(dbfs: float | None, width: int = WIDTH) -> str:
    if dbfs is None:
        return "mic " + "·" * width
    fraction = min(1.0, max(0.0, (dbfs - FLOOR_DBFS) / -FLOOR_DBFS))
    filled = round(fraction * width)
    return "mic " + "█" * filled + "·" * (width - filled)


class MicMeter(Static):
    """Fed by `MicLevel` messages; shows dots when there is no mic (keys only)."""

    level: reactive[float | None] = reactive(None)

    def render(self) -> str:
        return meter_text(self.level)
