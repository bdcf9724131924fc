"""Set x/y and rep x/y in big digits, readable at two metres."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Digits, Static

from voicecoach.coach.state import CoachState

# Digits has no "/" glyph; this one is three rows high like the digits.
_SLASH = "  /\n / \n/  "


class Fraction(Vertical):
    """A caption over `value / total` in big digits."""

    def __init__(self, caption: str, *, id: str) -> None:
        super().__init__(id=id, classes="fraction")
        self._caption = caption

    def compose(self) -> ComposeResult:
        yield Static(self._caption, classes="fraction-caption")
        with Horizontal(classes="fraction-row"):
            yield Digits("0", classes="fraction-value")
            yield Static(_SLASH, classes="fraction-slash")
            yield Digits("0", classes="fraction-total")

    def show(self, value: int | None, total: int | None) -> None:
        self.display = total is not None
        if total is None:
            return
        self.query_one(".fraction-value", Digits).update(str(value or 0))
        self.query_one(".fraction-total", Digits).update(str(total))


class Counters(Horizontal):
    """SET x/y, and REP x/y on rep-counted steps."""

    def compose(self) -> ComposeResult:
        yield Fraction("SET", id="sets")
        yield Fraction("REP", id="reps")

    def show(self, state: CoachState) -> None:
        step = state.current_step
        self.query_one("#sets", Fraction).show(state.set_number, step.sets)
        self.query_one("#reps", Fraction).show(state.rep, step.reps)
