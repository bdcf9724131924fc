"""The Textual app: screens, themes, and the one factory everything uses.

`make_app` is called by `voicecoach run` (with a real `Session`), by the
snapshot tests and by the tmux test, so tests exercise the real wiring. The
app holds no coaching logic: the session screen renders `CoachState` and
sends intents through the `SessionPort`.

Threads: session factories (which may open a mic or load a speech model) and
`session.close()` (which joins threads and writes the log) run in worker
threads; their results come back with `call_from_thread`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType

from voicecoach.coach.state import CoachState
from voicecoach.errors import VoicecoachError
from voicecoach.routine.models import Routine
from voicecoach.tui.port import SessionPort
from voicecoach.tui.themes import CONTRAST, LIGHT, THEMES, theme_name

SessionFactory = Callable[[Routine], SessionPort]


class VoicecoachApp(App[int]):
    """Opens on the session screen when given a session, else on the routine picker."""

    TITLE = "voicecoach"
    CSS_PATH = [  # noqa: RUF012 - Textual declares it an instance variable
        "app.tcss", "session.tcss", "picker.tcss", "dialogs.tcss",
    ]
    ENABLE_COMMAND_PALETTE = False
    # The screen gets `-tall` from 32 rows: session.tcss spends the extra rows on space.
    VERTICAL_BREAKPOINTS = [  # noqa: RUF012 - an instance variable in Textual
        (0, "-short"), (32, "-tall"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "toggle_theme", "Theme", show=False),
        Binding("ctrl+q", "close_and_exit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        session: SessionPort | None = None,
        *,
        routine_name: str | None = None,
        theme: str = "contrast",
        session_factory: SessionFactory | None = None,
    ) -> None:
        super().__init__()
        self.session: SessionPort | None = session
        self.session_factory = session_factory
        self.routine_name = routine_name
        for t in THEMES:
            self.register_theme(t)
        self.theme = theme_name(theme)
        self._quitting = False

    def on_mount(self) -> None:
        if self.session is not None:
            self.open_session(self.session)
        else:
            self.show_picker()

    # --- screens ------------------------------------------------------------------

    def show_picker(self) -> None:
        from voicecoach.tui.picker_screen import PickerScreen

        self.push_screen(PickerScreen(selected=self.routine_name))

    def open_session(self, session: SessionPort) -> None:
        from voicecoach.tui.session_screen import SessionScreen

        self.session = session
        self.push_screen(SessionScreen(session))

    def show_wrap_up(self, state: CoachState) -> None:
        from voicecoach.tui.wrapup_screen import WrapUpScreen

        note = self.session.hearing_note if self.session is not None else None
        self.push_screen(WrapUpScreen(state, note))

    def action_show_history(self) -> None:
        from voicecoach.tui.history_screen import HistoryScreen

        self.push_screen(HistoryScreen())

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.theme == CONTRAST else CONTRAST

    # --- starting and ending sessions ------------------------------------------------

    def start_routine_file(self, path: Path) -> None:
        """From the picker: check the file and build a session off the UI thread, then show it."""
        if self.session_factory is None:
            self._picker_problems(["this app was started without a way to start sessions"])
            return
        self._build_session(path)

    @work(thread=True, exclusive=True, group="session-factory")
    def _build_session(self, path: Path) -> None:
        from voicecoach.routine import check_file

        factory = self.session_factory
        assert factory is not None
        result = check_file(path)
        if result.routine is None:
            self.call_from_thread(self._picker_problems, [str(p) for p in result.problems])
            return
        try:
            session = factory(result.routine)
        except VoicecoachError as exc:
            problems = getattr(exc, "problems", None) or [exc.message]
            self.call_from_thread(self._picker_problems, list(problems))
            return
        self.call_from_thread(self.open_session, session)

    def _picker_problems(self, problems: list[str]) -> None:
        from voicecoach.tui.picker_screen import PickerScreen

        if isinstance(self.screen, PickerScreen):
            self.screen.show_problems(problems)
        else:
            self.notify("\n".join(problems), severity="error")

    async def action_back_to_picker(self) -> None:
        """From the wrap-up: close the finished session and pick another routine."""
        if self.session_factory is None:
            self.notify("start voicecoach without a routine to pick another", severity="warning")
            return
        session, self.session = self.session, None
        if session is not None:
            self._close_in_background(session)
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        self.show_picker()

    @work(thread=True, group="session-close")
    def _close_in_background(self, session: SessionPort) -> None:
        session.close()

    def action_close_and_exit(self) -> None:
        """Quit: close the session (threads, devices, log) off the UI thread, then exit."""
        if self._quitting:
            return
        self._quitting = True
        if self.session is None:
            self.exit(0, 0)
            return
        note_end = getattr(self.session, "note_end", None)
        if note_end is not None:
            note_end("quit")  # the log says what the person did (x logs `stop`)
        self._close_then_exit(self.session)

    @work(thread=True, group="session-close")
    def _close_then_exit(self, session: SessionPort) -> None:
        try:
            session.close()
        except VoicecoachError as exc:
            self.call_from_thread(self.exit, exc.exit_code, exc.exit_code, exc.message)
            return
        self.call_from_thread(self.exit, 0, 0)

    def close_and_exit(self) -> None:
        self.action_close_and_exit()


def make_app(
    session: SessionPort | None = None,
    *,
    routine_name: str | None = None,
    theme: str = "contrast",
    session_factory: SessionFactory | None = None,
) -> VoicecoachApp:
    """The app, on the session screen (given a session) or the routine picker.

    `routine_name` pre-selects a routine in the picker; `theme` is `contrast`
    (default) or `light`; `session_factory(routine)` builds a session when the
    person picks a routine (the CLI passes one that opens the mic and speaker).
    The app calls `session.start()` once its screen listens, and
    `session.close()` when the person quits.
    """
    return VoicecoachApp(
        session, routine_name=routine_name, theme=theme, session_factory=session_factory
    )

