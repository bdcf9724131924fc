"""Typed, immutable routine models: what a valid routine file means.

The loader resolves every default (step `advance` from `settings.advance`,
`tempo` [2, 2], `sets` 1, `rest_seconds` 0), so the coach never has to
know which keys were written and which were implied.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

Advance = Literal["voice", "auto"]
Then = Literal["continue", "pause", "stop", "repeat-step"]

ADVANCE_VALUES: tuple[str, ...] = ("voice", "auto")
THEN_VALUES: tuple[str, ...] = ("continue", "pause", "stop", "repeat-step")


@dataclass(frozen=True)
class Correction:
    """Something the person may say about their form, and the coach's answer."""

    when: tuple[str, ...]
    """Phrases as written in the file (at least one)."""
    say: str
    then: Then = "continue"
    path: str = ""
    """Where it was written, e.g. `steps[2].corrections[0]` or `corrections[1]`; its identity."""

    @property
    def is_global(self) -> bool:
        return self.path.startswith("corrections")


@dataclass(frozen=True)
class Step:
    """One step of a routine, with every default resolved."""

    id: str
    title: str
    cue: str
    why: str | None = None
    advance: Advance = "voice"
    hold_seconds: float | None = None
    """Seconds a held set lasts (None: not a held step)."""
    sets: int = 1
    reps: int | None = None
    """Reps per set (None: not a rep-counted step)."""
    tempo: tuple[float, float] = (2.0, 2.0)
    """Seconds down, seconds up, per rep."""
    rest_seconds: float = 0.0
    """Rest between sets; 0 means no rest."""
    corrections: tuple[Correction, ...] = ()


@dataclass(frozen=True)
class Settings:
    """Routine-wide settings (`[settings]`)."""

    advance: Advance = "voice"
    rate: int = 165
    """Speaking rate, words per minute (80 to 450)."""
    count_reps: bool = True
    correction_cooldown: float = 20.0
    """Seconds before the same correction may be spoken in full again."""
    beeps: bool = False
    """Project extension: tones for rep ticks and the end of rest."""


def _empty_commands() -> Mapping[str, tuple[str, ...]]:
    from voicecoach.routine.commands import BUILTIN_COMMANDS

    return BUILTIN_COMMANDS


@dataclass(frozen=True)
class Routine:
    """A validated routine file."""

    name: str
    steps: tuple[Step, ...]
    description: str = ""
    language: str = "en-us"
    settings: Settings = field(default_factory=Settings)
    commands: Mapping[str, tuple[str, ...]] = field(default_factory=_empty_commands)
    """Every built-in command -> its phrases: the built-ins first, then the routine's additions."""
    corrections: tuple[Correction, ...] = ()
    """Global corrections, active in every step."""
    source: Path | None = None
    sha256: str = ""
    """Hash of the file's bytes, for the session log."""

    def __post_init__(self) -> None:
        if not isinstance(self.commands, MappingProxyType):
            object.__setattr__(self, "commands", MappingProxyType(dict(self.commands)))

    def __hash__(self) -> int:
        # The generated hash would fail on the `commands` mapping proxy; intents caches
        # per routine (lru_cache), so a routine must be hashable. Equal routines hash equal.
        return hash((self.name, self.steps, self.corrections, self.sha256,
                     tuple(self.commands.items())))

    def step_index(self, step_id: str) -> int:
        for i, step in enumerate(self.steps):
            if step.id == step_id:
                return i
        raise KeyError(step_id)
