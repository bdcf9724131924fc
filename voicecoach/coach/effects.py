"""What the coach wants done: the outputs of `step(state, event)`.

Effects are data; the shell (app, simulate, TUI) performs them. `Log` records
are the stable, structured account of a session: simulate prints them as JSON
lines and the session log stores them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class Priority(IntEnum):
    """Who may interrupt whom: a higher priority cuts a lower one that is speaking."""

    COUNT = 0
    """Rep numbers: never queued behind anything; dropped if late (see `Say.expires_at`)."""
    INFO = 1
    """Status, help, rest warnings, acknowledgements."""
    CUE = 2
    """Step cues, set announcements, why."""
    CORRECTION = 3
    SAFETY = 4
    """Pain and stop: interrupt everything."""


@dataclass(frozen=True)
class Say:
    """Speak `text`. When `awaited`, the coach's timers wait for `SpeechDone(say_id=id)`."""

    id: int
    text: str
    priority: Priority = Priority.INFO
    kind: str = "info"
    """`cue`, `set`, `count`, `rest`, `correction`, `safety`, `why`, `help`, `status`, `ack`, ..."""
    rate: int = 165
    """Words per minute."""
    awaited: bool = False
    expires_at: float | None = None
    """If speech cannot start by this time (caller's clock), drop it: a late rep count is wrong."""


ONE_OFF_KINDS = frozenset({"status", "summary"})
"""`Say` kinds whose text is made from the moment (reps done, time trained): each is
new, so the speaker renders it without keeping it."""


@dataclass(frozen=True)
class Hush:
    """Cut whatever is being spoken now, and drop anything queued (pause, stop, back)."""


@dataclass(frozen=True)
class Beep:
    """A short tone: `rep`, `rest_end`, `listening`."""

    kind: str


@dataclass(frozen=True)
class Show:
    """The screen should re-render from the new state (the state itself is the view model)."""


@dataclass(frozen=True)
class Log:
    """A structured record: `step`, `heard`, `correction`, `pause`, `resume`, `stop`, `done`, ...

    `data` holds only JSON-able values.
    """

    kind: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Finish:
    """The session is over (done or stopped); the shell should wind down."""

    reason: str
    """`done` or `stop`."""


Effect = Say | Hush | Beep | Show | Log | Finish
