"""`?`: every key and every phrase, built from the same tables the app runs on."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from voicecoach.routine.commands import BUILTIN_COMMANDS
from voicecoach.routine.models import Routine
from voicecoach.tui.keys import COMMAND_KEYS, key_label

#: Keys that are not coach commands, with what they do; the app-wide ones last.
OTHER_KEYS: tuple[tuple[str, str], ...] = (
    ("p", "pause / resume"),
    (": or /", "type a phrase (matched like speech)"),
    ("?", "this help"),
    ("q", "quit (asks first)"),
    ("t", "switch theme (high contrast / light)"),
    ("Esc", "close this screen"),
    ("Ctrl-Q", "quit at once"),
)

PICKER_KEYS: tuple[tuple[str, str], ...] = (
    ("Enter", "start the highlighted routine"),
    ("e", "edit it in $EDITOR (checked again when you return)"),
    ("h", "history of past sessions"),
)


def keys_table() -> Table:
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=False)
    table.add_column("key", no_wrap=True)
    table.add_column("does")
    table.add_column("same as saying")
    for keys, command, description, _ in COMMAND_KEYS:
        phrase = BUILTIN_COMMANDS[command][0]
        table.add_row(key_label(keys), description.lower(), f'"{phrase}"')
    for keys, does in OTHER_KEYS:
        table.add_row(keys, does, "")
    return table


def phrases_table(routine: Routine | None, step_index: int | None) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    table.add_column("command", no_wrap=True)
    table.add_column("phrases")
    commands = routine.commands if routine is not None else BUILTIN_COMMANDS
    for name, phrases in commands.items():
        table.add_row(name.replace("_", " "), ", ".join(phrases))
    return table


def corrections_text(routine: Routine, step_index: int | None) -> Text:
    """This step's corrections first (they work now), then every step's, then global ones."""
    text = Text()
    for i, step in enumerate(routine.steps):
        if not step.corrections:
            continue
        now = " (this step)" if i == step_index else ""
        text.append(f"{step.title}{now}\n", style="bold")
        for correction in step.corrections:
            text.append("  " + " / ".join(f'"{p}"' for p in correction.when) + "\n")
    if routine.corrections:
        text.append("any step\n", style="bold")
        for correction in routine.corrections:
            text.append("  " + " / ".join(f'"{p}"' for p in correction.when) + "\n")
    return text


class HelpScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "app.pop_screen", "Close"),
    ]

    def __init__(self, routine: Routine | None = None, step_index: int | None = None,
                 *, picker: bool = False) -> None:
        super().__init__(id="help")
        self._routine = routine
        self._step_index = step_index
        self._picker = picker

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static("Keys", classes="help-heading")
            if self._picker:
                picker = Table(box=None, show_header=False, pad_edge=False)
                picker.add_column(no_wrap=True)
                picker.add_column()
                for keys, does in PICKER_KEYS:
                    picker.add_row(keys, does)
                yield Static(picker, classes="help-table")
            yield Static(keys_table(), classes="help-table")
            yield Static("Phrases you can say", classes="help-heading")
            yield Static(phrases_table(self._routine, self._step_index), classes="help-table")
            if self._routine is not None and (
                self._routine.corrections or any(s.corrections for s in self._routine.steps)
            ):
                yield Static("Tell the coach about your form", classes="help-heading")
                yield Static(corrections_text(self._routine, self._step_index),
                             classes="help-table")
        yield Footer()
