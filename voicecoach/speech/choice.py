"""`EngineChoice`: what `auto` picked and why, on its own so both sides can import it.

`base.Recognizer` carries a choice and `engines` makes one; living here (it imports
nothing of ours) keeps the arrow from `base` to `engines` from becoming a circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EngineChoice:
    """What `auto` picked and why, for the UI's "listening with ..." line."""

    engine: str
    reason: str
    model: Path | None = None
