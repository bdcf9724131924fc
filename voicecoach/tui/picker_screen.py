"""Pick a routine: built-in and user routines, each checked, with problems shown inline.

Files are read and validated in a worker thread (they are the user's, and a
slow disk or a huge file must not freeze the screen). `e` opens the file in
$EDITOR with the app suspended and checks it again on return; a built-in is
first copied to the user routines folder, where it then wins by name.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from voicecoach.routine import CatalogEntry, Routine, catalog, check_file
from voicecoach.routine.catalog import BUILTIN, user_dir
from voicecoach.routine.estimate import rough_length

if TYPE_CHECKING:
    # The one allowed circle (tests/test_layers.py): Textual's usual pattern, a screen
    # names its app class only to type `self.app`; nothing is imported at run time.
    from voicecoach.tui.app import VoicecoachApp


@dataclass(frozen=True)
class PickerRow:
    """One catalog entry after checking: a routine, or the problems that stop it."""

    entry: CatalogEntry
    routine: Routine | None
    problems: tuple[str, ...]


def check_entries(entries: list[CatalogEntry]) -> list[PickerRow]:
    rows = []
    for entry in entries:
        result = check_file(entry.path)
        rows.append(PickerRow(entry, result.routine, tuple(str(p) for p in result.problems)))
    return rows


def where_text(entry: CatalogEntry) -> str:
    """Where the file is, short: built-ins by file name (the install path is noise)."""
    if entry.source == BUILTIN:
        return f"built-in: {entry.path.name} (e: edit a copy)"
    path = str(entry.path)
    home = str(Path.home())
    if path.startswith(home + os.sep):
        path = "~" + path[len(home):]
    shadows = " (replaces the built-in)" if entry.shadows is not None else ""
    return f"yours: {path}{shadows}"


def editor_command() -> list[str]:
    """$VISUAL, then $EDITOR, then a few editors that are usually there."""
    for var in ("VISUAL", "EDITOR"):
        value = os.environ.get(var, "").strip()
        if value:
            return shlex.split(value)
    for name in ("nano", "vim", "vi"):
        if shutil.which(name):
            return [name]
    return ["vi"]


class PickerScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "start", "Start", priority=True),
        Binding("e", "edit", "Edit"),
        Binding("h", "app.show_history", "History"),
        Binding("question_mark", "help_screen", "Keys"),
        Binding("q", "app.close_and_exit", "Quit"),
    ]

    def __init__(self, *, selected: str | None = None) -> None:
        super().__init__(id="picker")
        self.rows: list[PickerRow] = []
        self._selected = selected

    @property
    def vc_app(self) -> VoicecoachApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-body"):
            yield Static("Pick a routine", id="picker-title")
            yield DataTable(id="routines", cursor_type="row", zebra_stripes=False)
            yield Static(id="routine-about")
            yield Static(id="routine-problems")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # Fixed widths: they fit 80 columns, and the header never lags behind the rows.
        for label, width in (("routine", 28), ("length", 18), ("from", 9), ("status", 12)):
            table.add_column(label, width=width)
        self.query_one("#routine-problems", Static).display = False
        self.refresh_rows()

    @work(thread=True, exclusive=True, group="picker-scan")
    def refresh_rows(self) -> None:
        rows = check_entries(catalog())
        self.app.call_from_thread(self.show_rows, rows)

    def show_rows(self, rows: list[PickerRow]) -> None:
        self.rows = rows
        table = self.query_one(DataTable)
        keep = self._selected or (self.current.entry.name if self.current else None)
        table.clear()
        for row in rows:
            title = row.routine.name if row.routine else row.entry.name
            length = self.length_text(row.routine) if row.routine else "-"
            status = "ok" if row.routine else f"{len(row.problems)} problem(s)"
            table.add_row(title, length, row.entry.source, status, key=row.entry.name)
        names = [row.entry.name for row in rows]
        if keep in names:
            table.move_cursor(row=names.index(keep))
        self._selected = None
        self._show_about()
        table.focus()

    @staticmethod
    def length_text(routine: Routine) -> str:
        steps = len(routine.steps)
        return f"{steps} step{'s' if steps != 1 else ''} · {rough_length(routine)}"

    @property
    def current(self) -> PickerRow | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_about()

    def _show_about(self) -> None:
        row = self.current
        about = self.query_one("#routine-about", Static)
        if row is None:
            about.update("No routines found. Put .toml files in " + str(user_dir()))
            self.show_problems(())
            return
        description = row.routine.description if row.routine else ""
        about.update(f"{description}\n{where_text(row.entry)}".strip())
        self.show_problems(row.problems)

    def show_problems(self, problems: tuple[str, ...] | list[str]) -> None:
        box = self.query_one("#routine-problems", Static)
        box.update("\n".join(problems))
        box.display = bool(problems)

    # --- actions ------------------------------------------------------------------

    def action_start(self) -> None:
        row = self.current
        if row is None:
            return
        # The app checks the file again (it may have changed since the list was
        # drawn) and builds the session, both off the UI thread.
        self.vc_app.start_routine_file(row.entry.path)

    def action_edit(self) -> None:
        row = self.current
        if row is None:
            return
        path = row.entry.path
        if row.entry.source == BUILTIN:
            path = self._copy_to_user(row.entry)
        command = [*editor_command(), str(path)]
        try:
            with self.app.suspend():
                subprocess.run(command, check=False)
        except SuspendNotSupported:
            # Headless (tests) or the web: nothing to hand the terminal to; run it anyway.
            subprocess.run(command, check=False, stdin=subprocess.DEVNULL)
        except OSError as exc:
            self.show_problems((f"cannot start the editor {command[0]!r}: {exc.strerror or exc}",))
            return
        self._selected = path.stem
        self.refresh_rows()

    def _copy_to_user(self, entry: CatalogEntry) -> Path:
        target = user_dir() / entry.path.name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry.path, target)
            self.notify(f"copied to {target}; your copy now wins over the built-in")
        return target

    def action_help_screen(self) -> None:
        from voicecoach.tui.help_screen import HelpScreen

        self.app.push_screen(HelpScreen(picker=True))
