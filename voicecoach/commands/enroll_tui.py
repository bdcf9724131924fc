"""The enrollment screen: the phrase to say, take n of N, a level meter, what went wrong.

It only shows what `LiveEnrollment` (commands/enroll_live.py) does in a worker thread;
the recording, checking, storing and fitting are the `--no-tui` code path.
Ctrl-C (or q) stops like Ctrl-C in the terminal: the takes are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from voicecoach.commands.enroll_live import LiveEnrollment, Prompt
from voicecoach.tui.mic_meter import MicMeter


class EnrollApp(App[int]):
    """Exit code: 0 enrolled, 130 stopped (takes kept), 1 failed."""

    CSS = """
    Screen { align: center middle; }
    #box { width: 72; height: auto; border: round $accent; padding: 1 2; }
    #prompt { text-style: bold; content-align: center middle; height: 3; }
    #last { color: $text-muted; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "stop_enroll", "stop (keeps the takes)", priority=True),
        Binding("q", "stop_enroll", "stop (keeps the takes)"),
    ]

    def __init__(self, session: LiveEnrollment, finish: Callable[[], list[str]],
                 title: str) -> None:
        super().__init__()
        self.session = session
        self.finish = finish
        """Fits the profile after the last take; returns the report lines."""
        self.heading = title
        self.lines: list[str] = []
        session.show = self._from_thread(self._show)
        session.on_prompt = self._from_thread(self._prompt)
        session.on_level = self._from_thread(self._level)

    def _from_thread(self, fn: Callable[..., None]) -> Callable[..., None]:
        def call(*args: Any) -> None:
            self.call_from_thread(fn, *args)

        return call

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(self.heading, id="title")
            yield Static("Get ready...", id="prompt")
            yield ProgressBar(total=max(1, len(list(self.session.remaining()))),
                              show_eta=False, id="progress")
            yield MicMeter(id="meter")
            yield Static("", id="last")
            yield Static("Ctrl-C or q: stop; what is recorded is kept", id="keys")

    def on_mount(self) -> None:
        self.run_enrollment()

    @work(thread=True, exclusive=True)
    def run_enrollment(self) -> None:
        try:
            self.session.run()
        except KeyboardInterrupt:
            kept = len(self.session.store.rows())
            self.call_from_thread(self._done, 130, [f"stopped: {kept} takes kept; run "
                                                     "the same command to go on"])
            return
        except Exception as exc:  # shown, not a traceback over the screen
            self.call_from_thread(self._done, 1, [f"failed: {exc}"])
            return
        self.call_from_thread(self._status, "Learning your voice...")
        try:
            lines = self.finish()
        except Exception as exc:
            self.call_from_thread(self._done, 1, [f"failed: {exc}"])
            return
        self.call_from_thread(self._done, 0, lines)

    def _show(self, line: str) -> None:
        self.lines.append(line)
        if line.startswith("    "):
            self.query_one("#last", Static).update(line.strip())

    def _prompt(self, prompt: Prompt, n: int, i: int, total: int) -> None:
        self.query_one("#prompt", Static).update(
            prompt.say + (f"   ({n + 1} of {prompt.takes})" if prompt.text else ""))
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=total, progress=i - 1)

    def _level(self, db: float) -> None:
        self.query_one("#meter", MicMeter).level = db

    def _status(self, text: str) -> None:
        self.query_one("#prompt", Static).update(text)

    def _done(self, code: int, lines: list[str]) -> None:
        self.lines += lines
        self.query_one("#prompt", Static).update(lines[-1] if lines else "")
        self.exit(code, return_code=code)

    def action_stop_enroll(self) -> None:
        self.session.stop.set()
        self._status("Stopping (the takes are kept)...")
