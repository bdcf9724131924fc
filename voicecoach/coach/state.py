"""The coach's state: one immutable value, replaced (never mutated) by `step()`.

The public fields below are the contract the TUI, the shell and the tests read;
the engine may add private fields (leading underscore) as it needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from voicecoach.routine.models import Routine, Step


class Phase(StrEnum):
    """Where the current step is. Timers run only in HOLDING, COUNTING and RESTING."""

    IDLE = "idle"
    """Not started yet."""
    ANNOUNCING = "announcing"
    """The cue / "set N of M" is being spoken; timers start on its SpeechDone."""
    HOLDING = "holding"
    """A held set is running (`hold_seconds`)."""
    COUNTING = "counting"
    """A rep-counted set is running at the tempo."""
    WAITING = "waiting"
    """Nothing runs: a `voice` step (or a finished set of one) waits for "next"."""
    RESTING = "resting"
    """Rest between sets."""
    DONE = "done"
    """The routine reached its end."""
    STOPPED = "stopped"
    """The person said stop."""


@dataclass(frozen=True)
class LastHeard:
    """What the screen shows under "heard"."""

    text: str
    confidence: float
    outcome: str
    """`accepted`, `ignored` (understood, but changes nothing here) or `rejected` (not understood).
    """
    intent: str | None = None


@dataclass(frozen=True)
class CoachState:
    routine: Routine
    now: float = 0.0
    started_at: float | None = None
    step_index: int = 0
    set_number: int = 1
    """1-based."""
    rep: int = 0
    """Reps completed in the current set."""
    rep_phase: str | None = None
    """`down` or `up` while counting, else None."""
    phase: Phase = Phase.IDLE
    paused: bool = False
    timer_started: float | None = None
    """When the running hold/rep/rest timer started (paused time excluded by the engine).

    While COUNTING, the timer is the current half rep (`rep_phase` down or up).
    """
    timer_total: float | None = None
    """Its length in seconds (None: no timer yet, e.g. while the rest is announced)."""
    timer_elapsed: float = 0.0
    """Seconds of the running timer already elapsed (advanced only while not paused)."""
    rate: int = 165
    """Current speaking rate, words per minute (changed by slower/faster)."""
    tempo_scale: float = 1.0
    """Multiplies the step's tempo (slower > 1 > faster)."""
    last_said: str = ""
    last_heard: LastHeard | None = None
    misses: int = 0
    """Unrecognised utterances in a row."""
    sets_done: int = 0
    correction_counts: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    """Correction path -> times asked, for the wrap-up."""
    next_say_id: int = 1
    beeps: bool = False
    """Tones for rep ticks and the end of rest (`Beep` effects)."""

    # --- private to the engine (see voicecoach/coach/engine.py) -------------------
    _awaiting: int | None = None
    """The id of the awaited `Say` whose `SpeechDone` the timers wait for; None: nothing awaited."""
    _stop_asked_at: float | None = None
    """When an unsure spoken "stop" was asked about (see `STOP_SURE` in the engine)."""
    _paused_at: float | None = None
    """When the current pause began (for the resume log and `timer_started`)."""
    _said_at: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    """Correction path -> when its full text was last spoken (for `correction_cooldown`)."""

    @property
    def current_step(self) -> Step:
        return self.routine.steps[self.step_index]

    @property
    def finished(self) -> bool:
        return self.phase in (Phase.DONE, Phase.STOPPED)

    @property
    def timer_remaining(self) -> float | None:
        """Seconds left on the running hold or rest timer, None when none runs."""
        if self.timer_total is None:
            return None
        return max(0.0, self.timer_total - self.timer_elapsed)
