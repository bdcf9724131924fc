"""A fake `SessionPort` for UI tests that must not depend on the coach's logic.

`StaticSession` is a FAKE, on purpose: it holds whatever `CoachState` a test
gives it (built from the real squat routine) and records what the UI sent.
It exists so that (a) snapshots show one exact, frozen state (no clock, no
thread), and (b) key tests check the UI's own contract (key -> command sent)
without depending on what the coach then does. Everything that tests the
coaching flow through the UI uses the real `voicecoach.shell.session.Session` instead.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from voicecoach.coach.effects import Effect
from voicecoach.coach.state import CoachState, LastHeard, Phase
from voicecoach.routine import load_routine
from voicecoach.tui.port import SessionListener


class StaticSession:
    """A SessionPort fake: a fixed state, pushed to listeners only when a test says so."""

    def __init__(self, state: CoachState, engine: str = "pocketsphinx") -> None:
        self._state = state
        self._engine = engine
        self.listeners: list[SessionListener] = []
        self.received: list[tuple[str, str, str]] = []
        """("command" | "text", value, source), in order."""
        self.started = 0
        self.closed = 0
        self.hearing_note: str | None = None

    @property
    def state(self) -> CoachState:
        return self._state

    @property
    def engine_name(self) -> str:
        return self._engine

    def add_listener(self, listener: SessionListener) -> None:
        self.listeners.append(listener)

    def start(self) -> None:
        self.started += 1

    def send_command(self, name: str, source: str = "key") -> None:
        self.received.append(("command", name, source))

    def send_text(self, text: str, source: str = "text") -> None:
        self.received.append(("text", text, source))

    def close(self) -> None:
        self.closed += 1

    # --- test controls -----------------------------------------------------------

    def push(self, state: CoachState, effects: tuple[Effect, ...] = ()) -> None:
        self._state = state
        for listener in self.listeners:
            listener.on_state(state, effects)

    def emit(self, method: str, *args: Any) -> None:
        for listener in self.listeners:
            getattr(listener, method)(*args)

    @property
    def commands(self) -> list[str]:
        return [value for kind, value, _ in self.received if kind == "command"]


def squat_state(**changes: Any) -> CoachState:
    """A mid-session squat state: step 2 (heels in), set 1, rep 3 going down."""
    routine = load_routine("squat")
    base = CoachState(
        routine=routine,
        now=100.0,
        started_at=40.0,
        step_index=1,
        set_number=1,
        rep=3,
        rep_phase="down",
        phase=Phase.COUNTING,
        last_said="Three.",
        last_heard=LastHeard("next", 0.87, "accepted", "next"),
        sets_done=1,
    )
    return replace(base, **changes)
