"""The session: where the person is, what the coach heard, what they can say.

The screen renders `CoachState` (the coach's whole view model) and sends
intents through the `SessionPort`; it decides nothing itself. Updates arrive
as messages posted by `PostingListener` from the shell's thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from voicecoach.coach.state import CoachState
from voicecoach.tui.counters import Counters
from voicecoach.tui.heard_line import HeardLine
from voicecoach.tui.keys import SESSION_BINDINGS
from voicecoach.tui.listen_state import ListenState
from voicecoach.tui.listener import PostingListener
from voicecoach.tui.messages import HeardSomething, MicLevel, SessionStatus, StateChanged
from voicecoach.tui.mic_meter import MicMeter
from voicecoach.tui.phrase_hint import PhraseHint
from voicecoach.tui.rest_bar import RestBar
from voicecoach.tui.step_card import StepCard
from voicecoach.tui.tempo import TempoIndicator
from voicecoach.tui.warning_line import WarningLine

if TYPE_CHECKING:
    # The one allowed circle (tests/test_layers.py): Textual's usual pattern, a screen
    # names its app class only to type `self.app`; nothing is imported at run time.
    from voicecoach.tui.app import VoicecoachApp
    from voicecoach.tui.port import SessionPort


class SessionScreen(Screen[None]):
    """One running session. Keys map 1:1 to the built-in commands (see `keys.py`)."""

    BINDINGS = SESSION_BINDINGS

    def __init__(self, session: SessionPort) -> None:
        super().__init__(id="session")
        self.session = session
        self._talk = "starting"
        """The shell's last `listening`/`speaking` status."""
        self._wrapped_up = False
        self._heard_from_state: object | None = None
        self._state: CoachState = session.state

    @property
    def vc_app(self) -> VoicecoachApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Horizontal(id="top-bar"):
            yield ListenState(id="listen-state")
            yield MicMeter(id="mic-meter")
            yield Static(id="engine")
        yield StepCard(id="step-card")
        with Horizontal(id="middle"):
            yield Counters(id="counters")
            with Vertical(id="timing"):
                yield TempoIndicator(id="tempo")
                yield RestBar(id="rest-bar")
        yield HeardLine("heard: nothing yet", id="heard")
        yield PhraseHint(id="phrases")
        yield WarningLine(id="warning")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(WarningLine).clear()
        self.query_one("#engine", Static).update(f"engine: {self.session.engine_name}")
        self._show(self.session.state)
        self.session.add_listener(PostingListener(self))
        # The screen starts the session once it listens, so no early update is lost.
        if self.session.state.phase.value == "idle":
            self.session.start()

    # --- from the shell ---------------------------------------------------------

    @on(StateChanged)
    def _state_changed(self, message: StateChanged) -> None:
        self._show(message.state)

    @on(HeardSomething)
    def _heard(self, message: HeardSomething) -> None:
        self.query_one(HeardLine).show(
            message.text, message.confidence, message.outcome, message.intent
        )

    @on(MicLevel)
    def _level(self, message: MicLevel) -> None:
        self.query_one(MicMeter).level = message.dbfs

    @on(SessionStatus)
    def _status(self, message: SessionStatus) -> None:
        kind, text = message.kind, message.text
        if kind in ("listening", "speaking"):
            self._talk = kind
        elif kind == "engine":
            self.query_one("#engine", Static).update(f"engine: {text}")
        elif kind in ("warning", "error"):
            self.query_one(WarningLine).warn(kind, text)
        elif kind == "mic":
            self.query_one(WarningLine).warn("warning", text)
        elif kind == "ended":
            self._show(self.session.state)
        self._show_listen_state()

    # --- rendering --------------------------------------------------------------

    def _show(self, state: CoachState) -> None:
        self._state = state
        self.query_one(StepCard).show(state)
        self.query_one(Counters).show(state)
        self.query_one(TempoIndicator).show(state)
        self.query_one(RestBar).show(state)
        self.query_one(PhraseHint).show(state)
        last = state.last_heard
        if last is not None and last is not self._heard_from_state:
            # Only when it changes: a recognizer-level rejection (on_heard) never
            # reaches the coach, and the next tick must not paint over it.
            self._heard_from_state = last
            self.query_one(HeardLine).show(last.text, last.confidence, last.outcome, last.intent)
        self._show_listen_state()
        if state.finished and not self._wrapped_up:
            self._wrapped_up = True
            self.vc_app.show_wrap_up(state)

    def _show_listen_state(self) -> None:
        state = self._state
        if state.finished:
            kind = "finished"
        elif state.paused:
            kind = "paused"
        elif self._talk == "speaking":
            kind = "speaking"
        elif self.session.engine_name == "text":
            kind = "keys"
        else:
            kind = "listening" if self._talk == "listening" else "starting"
        self.query_one(ListenState).set_kind(kind)

    # --- keys -------------------------------------------------------------------

    def action_command(self, name: str) -> None:
        """A key press: the same built-in command the spoken phrase would send."""
        self.session.send_command(name, "key")

    def action_toggle_pause(self) -> None:
        self.session.send_command("resume" if self.session.state.paused else "pause", "key")

    def action_type_phrase(self) -> None:
        from voicecoach.tui.say_screen import SayScreen

        def typed(text: str | None) -> None:
            if text:
                self.session.send_text(text, "text")

        self.app.push_screen(SayScreen(), typed)

    def action_help_screen(self) -> None:
        from voicecoach.tui.help_screen import HelpScreen

        self.app.push_screen(HelpScreen(self._state.routine, self._state.step_index))

    def action_confirm_quit(self) -> None:
        from voicecoach.tui.confirm_screen import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self.vc_app.close_and_exit()

        self.app.push_screen(ConfirmScreen("Quit the session?"), answered)
