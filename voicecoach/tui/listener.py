"""The bridge from the shell's thread to Textual's message queue.

Nothing here touches a widget: `post_message` is the one thread-safe door
into a Textual app, so every listener call becomes a message on the target
(usually the session screen).
"""

from __future__ import annotations

from textual.message_pump import MessagePump

from voicecoach.coach.effects import Effect
from voicecoach.coach.state import CoachState
from voicecoach.tui.messages import HeardSomething, MicLevel, SessionStatus, StateChanged


class PostingListener:
    """A `SessionListener` that posts each callback to `target` as a message."""

    def __init__(self, target: MessagePump) -> None:
        self._target = target

    def on_state(self, state: CoachState, effects: tuple[Effect, ...]) -> None:
        self._target.post_message(StateChanged(state, tuple(effects)))

    def on_heard(self, text: str, confidence: float, outcome: str, intent: str | None) -> None:
        self._target.post_message(HeardSomething(text, confidence, outcome, intent))

    def on_level(self, dbfs: float) -> None:
        self._target.post_message(MicLevel(dbfs))

    def on_status(self, kind: str, text: str) -> None:
        self._target.post_message(SessionStatus(kind, text))
