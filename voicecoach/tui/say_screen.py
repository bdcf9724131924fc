"""Type what you would say ("my heels are lifting"): matched exactly like speech."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class SayScreen(ModalScreen[str | None]):
    """A one-line input docked at the bottom; Enter sends, Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="say-box"):
            yield Static("Type a phrase, as you would say it (Enter: send, Esc: cancel)")
            yield Input(placeholder="e.g. my heels are lifting", id="say-input")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
