"""What the TUI needs from the session shell, and what the shell tells it.

The TUI holds no coaching logic: it sends intents through a `SessionPort` and
re-renders on `SessionListener` calls. `voicecoach.shell.session.Session` implements the
port; tests may use it directly with keys only (no mic, silent speaker).
Listener calls arrive on the shell's thread, so a Textual listener must
`post_message` (thread-safe), never touch widgets directly.
"""

from __future__ import annotations

from typing import Protocol

from voicecoach.coach.effects import Effect
from voicecoach.coach.state import CoachState


class SessionListener(Protocol):
    def on_state(self, state: CoachState, effects: tuple[Effect, ...]) -> None:
        """After every coach step: the new state and the effects it produced."""

    def on_heard(self, text: str, confidence: float, outcome: str, intent: str | None) -> None:
        """An utterance was decoded; outcome is `accepted`, `ignored`, `rejected`, `asked` or
        `after-talk` (a command heard right after other words, not taken)."""

    def on_level(self, dbfs: float) -> None:
        """Mic level, a few times a second (RMS in dBFS; -120 for silence)."""

    def on_status(self, kind: str, text: str) -> None:
        """`listening`, `speaking`, `paused`, `engine`, `warning`, `error`, `mic`, `ended`."""


class SessionPort(Protocol):
    @property
    def state(self) -> CoachState: ...

    @property
    def engine_name(self) -> str:
        """`pocketsphinx`, `vosk`, `text` (keyboard only)."""
        ...

    @property
    def hearing_note(self) -> str | None:
        """A line for the wrap-up when the person was often not understood (and what helps)."""
        ...

    def add_listener(self, listener: SessionListener) -> None: ...

    def start(self) -> None:
        """Start the coach (and mic/speaker threads); returns at once."""

    def send_command(self, name: str, source: str = "key") -> None:
        """A built-in command by name (`next`, `pause`, `skip_rest`, ...), as if heard."""

    def send_text(self, text: str, source: str = "text") -> None:
        """Typed words, matched like speech (a correction phrase works too)."""

    def close(self) -> None:
        """Stop threads, close devices, save the session log. Idempotent."""
