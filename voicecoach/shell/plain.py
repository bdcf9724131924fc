"""`voicecoach run --no-tui`: the session as plain timestamped lines, for logs and headless use.

Why a separate mode: under systemd (a Pi with no screen) or in `tmux`/`ssh`
logs, a full-screen app is noise; one line per thing that happened is what a
journal wants. It prints what the coach says, step and set changes, what was
heard (with confidence and outcome) and status changes, and reads typed
commands from stdin when there is a keyboard (a TTY, or `--keyboard`).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

from voicecoach.coach.effects import Effect, Say
from voicecoach.coach.state import CoachState, Phase

Clock = Callable[[], float]


class PlainPrinter:
    """A `SessionListener` that prints one flushed line per event, prefixed `mm:ss.s`."""

    def __init__(self, out: IO[str] | None = None, clock: Clock = time.monotonic) -> None:
        self._out = out if out is not None else sys.stdout
        self._clock = clock
        self._t0 = clock()
        self._lock = threading.Lock()
        self._where: tuple[int, int, Phase] | None = None
        self._status: tuple[str, str] | None = None
        self._paused = False

    def line(self, tag: str, text: str) -> None:
        elapsed = max(0.0, self._clock() - self._t0)
        minutes, seconds = divmod(elapsed, 60)
        with self._lock:
            try:
                self._out.write(f"{int(minutes):02d}:{seconds:04.1f}  {tag:<7} {text}\n")
                self._out.flush()
            except (OSError, ValueError):
                pass  # stdout closed (a pipe reader went away): keep coaching

    # --- SessionListener -------------------------------------------------------------

    def on_state(self, state: CoachState, effects: tuple[Effect, ...]) -> None:
        where = (state.step_index, state.set_number, state.phase)
        if where != self._where:
            old, self._where = self._where, where
            if old is None or old[0] != state.step_index:
                step = state.current_step
                self.line("step", f"{state.step_index + 1}/{len(state.routine.steps)} "
                                  f"{step.title}{_shape(step)}")
            elif old[1] != state.set_number and state.current_step.sets > 1:
                self.line("set", f"{state.set_number}/{state.current_step.sets}")
            if state.phase in (Phase.RESTING, Phase.WAITING) and (
                    old is None or old[2] != state.phase):
                extra = ""
                if state.phase is Phase.RESTING and state.timer_total:
                    extra = f" {state.timer_total:g} s"
                if state.phase is Phase.WAITING:
                    extra = " (say \"next\")"
                self.line("phase", f"{state.phase.value}{extra}")
        if state.paused != self._paused:
            self._paused = state.paused
            self.line("paused" if state.paused else "resumed", state.current_step.title)
        for effect in effects:
            if isinstance(effect, Say):
                self.line("say", effect.text)

    def on_heard(self, text: str, confidence: float, outcome: str, intent: str | None) -> None:
        meaning = f" -> {intent}" if intent else ""
        if outcome == "after-talk":
            outcome = "rejected: too soon after other talk (pause first)"
        self.line("heard", f"\"{text}\" ({confidence:.2f}) {outcome}{meaning}")

    def on_level(self, dbfs: float) -> None:
        """Too frequent for a line-by-line log."""

    def on_status(self, kind: str, text: str) -> None:
        if kind in _QUIET_STATUS:
            return
        if (kind, text) == self._status:
            return
        self._status = (kind, text)
        self.line("end" if kind == "ended" else kind, text)


_QUIET_STATUS = frozenset({"speaking", "listening", "paused", "engine"})
"""Status kinds the plain log leaves out: each say, pause and the engine already have a line."""


def _shape(step: Any) -> str:
    parts = []
    if step.sets > 1:
        parts.append(f"{step.sets} sets")
    if step.reps:
        parts.append(f"{step.reps} reps")
    if step.hold_seconds:
        parts.append(f"hold {step.hold_seconds:g} s")
    return f" ({', '.join(parts)})" if parts else ""


KEYBOARD_HELP = (
    "type a phrase (\"next\", \"my heels are lifting\") or a key: "
    "n next, b back, r repeat, p pause, w why, s status, k skip rest, +/- faster/slower, "
    "q stop; Enter alone = next"
)


def read_commands(session: Any, stream: IO[str], stop: threading.Event,
                  printer: PlainPrinter | None = None) -> threading.Thread:
    """Feed typed lines to `session.send_text` from a daemon thread, until EOF or `stop`.

    A daemon thread because a blocking `readline` cannot be interrupted; the
    process exits without waiting for it. Enter alone means "next", the most
    common thing to say between sets. At the end of the input (a pipe that ran
    out, Ctrl-D) the session is told: if no other input is open, it ends.
    """

    session.input_opened("keyboard")

    def loop() -> None:
        while not stop.is_set():
            try:
                line = stream.readline()
            except (OSError, ValueError):
                line = ""
            if line == "":
                if not stop.is_set():
                    session.input_ended("keyboard", "end of typed input")
                return
            text = line.strip()
            if stop.is_set():
                return
            if text in ("?", "help") and printer is not None:
                printer.line("keys", KEYBOARD_HELP)
            session.send_text(text or "n", source="key" if len(text) <= 1 else "text")

    thread = threading.Thread(target=loop, name="keyboard", daemon=True)
    thread.start()
    return thread
