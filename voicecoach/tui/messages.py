"""Messages that cross from the session shell into the UI, and between screens.

The shell calls `SessionListener` methods on its own thread; `listener.py`
turns each call into one of these and posts it (thread-safe). Messages that
arrive many times a second (state on every tick, mic level) define
`can_replace`, so a slow terminal renders only the newest one.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from voicecoach.coach.effects import Effect
from voicecoach.coach.state import CoachState


@dataclass
class StateChanged(Message):
    """The coach stepped: the state is the whole view model."""

    state: CoachState
    effects: tuple[Effect, ...] = ()

    def can_replace(self, message: Message) -> bool:
        # The newest state is all the screen needs; effects are not rendered.
        return isinstance(message, StateChanged)


@dataclass
class HeardSomething(Message):
    """An utterance was decoded (or typed) and judged."""

    text: str
    confidence: float
    """0..1."""
    outcome: str
    """`accepted`, `ignored` or `rejected`."""
    intent: str | None = None


@dataclass
class MicLevel(Message):
    """The microphone's level, a few times a second."""

    dbfs: float
    """RMS in dBFS; -120 means silence."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, MicLevel)


@dataclass
class SessionStatus(Message):
    """A status change from the shell: `listening`, `speaking`, `paused`, `engine`,
    `warning`, `error`, `mic` or `ended`."""

    kind: str
    text: str


@dataclass
class SessionReady(Message):
    """A session built off the UI thread (by the session factory) is ready to show."""

    session: object
    """A `SessionPort`; typed loosely because Message fields are not generic."""


@dataclass
class SessionFailed(Message):
    """The session factory raised a user-facing error."""

    message: str
    problems: tuple[str, ...] = ()
