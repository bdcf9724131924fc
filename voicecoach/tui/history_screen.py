"""Past sessions and the corrections asked for most, read from the session log.

The log is SQLite on disk, so it is read in a worker thread; the screen shows
"loading" until it arrives and "no sessions yet" when there is nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from voicecoach import locations
from voicecoach.session_log import CorrectionCount, SessionLog, SessionSummary

SESSION_LIMIT = 50
TOP_LIMIT = 10


def when_text(iso: str) -> str:
    """ISO 8601 UTC -> local `YYYY-MM-DD HH:MM` (the log stores UTC)."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso[:16]


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def correction_text(row: CorrectionCount) -> str:
    """What the person said to ask for it reads best; the log's key is a routine path."""
    label = row.phrase or row.correction
    if not row.phrase and label.startswith(("steps[", "corrections[")) and row.answer:
        label = row.answer
    if len(label) > 60:
        label = label[:59] + "…"
    return f"{row.times:>3}x  {label}  ({row.sessions} session{'s' if row.sessions != 1 else ''})"


def read_history(
    limit: int = SESSION_LIMIT,
) -> tuple[list[SessionSummary], list[CorrectionCount], list[str]]:
    """(sessions, top corrections, warnings) from the session log; empty when there is none yet."""
    warnings: list[str] = []
    if not locations.session_db().exists():
        return [], [], warnings
    with SessionLog.open(on_warning=warnings.append) as log:
        return log.sessions(limit), log.top_corrections(TOP_LIMIT), warnings


class HistoryScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,h", "app.pop_screen", "Close")]

    def __init__(self) -> None:
        super().__init__(id="history")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="history-body"):
            yield Static("Past sessions", classes="help-heading")
            yield Static("loading…", id="history-empty")
            yield DataTable(id="history-sessions", cursor_type="row", show_cursor=False)
            yield Static("Asked for most", classes="help-heading")
            yield Static(id="history-top")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#history-sessions", DataTable)
        table.add_columns("when", "routine", "time", "end", "sets", "corrections")
        table.display = False
        self._load()

    @work(thread=True, exclusive=True)
    def _load(self) -> None:
        sessions, top, warnings = read_history()
        self.app.call_from_thread(self.show_history, sessions, top, warnings)

    def show_history(self, sessions: list[SessionSummary], top: list[CorrectionCount],
                     warnings: list[str]) -> None:
        empty = self.query_one("#history-empty", Static)
        table = self.query_one("#history-sessions", DataTable)
        if not sessions:
            empty.update("\n".join([*warnings, "no sessions yet"]))
            empty.display = True
            table.display = False
        else:
            empty.display = bool(warnings)
            empty.update("\n".join(warnings))
            table.display = True
            table.clear()
            for row in sessions:
                table.add_row(
                    when_text(row.started_at),
                    row.routine,
                    duration_text(row.seconds),
                    row.end_reason or "?",
                    str(row.sets_done),
                    str(row.corrections),
                )
        lines = [correction_text(row) for row in top]
        self.query_one("#history-top", Static).update("\n".join(lines) or "nothing yet")
