"""What happens to the coach: the inputs of `step(state, event)`.

Every event carries `now`, seconds on the caller's monotonic clock (simulate
starts at 0.0). The coach never reads a clock; time moves only through events,
and an event older than the state's `now` is treated as happening at `now`.
"""

from __future__ import annotations

from dataclasses import dataclass

from voicecoach.coach.intents import Intent


@dataclass(frozen=True)
class Start:
    """Begin the session: the first step's cue is spoken."""

    now: float


@dataclass(frozen=True)
class Tick:
    """Time passed. The shell sends these often (every 0.1 s); simulate at each deadline."""

    now: float


@dataclass(frozen=True)
class Heard:
    """An utterance or a key press, already mapped to an intent (None: not understood)."""

    now: float
    text: str
    intent: Intent | None
    confidence: float = 1.0
    """0..1 from the recognizer; 1.0 for keys and typed text."""
    source: str = "voice"
    """`voice`, `key` or `text`."""


@dataclass(frozen=True)
class SpeechDone:
    """The speaker finished (or abandoned) the utterance `say_id`; timers wait for this."""

    now: float
    say_id: int


Event = Start | Tick | Heard | SpeechDone
