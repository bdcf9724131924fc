"""The last thing heard, how sure the recognizer was, and what the coach made of it."""

from __future__ import annotations

from textual.widgets import Static

_MARKS = {"accepted": "✓ accepted", "ignored": "· ignored", "rejected": "✗ not understood",
          "asked": "? asked to confirm",
          "after-talk": "✗ not taken: too soon after other talk"}


def heard_text(text: str, confidence: float, outcome: str, intent: str | None) -> str:
    mark = _MARKS.get(outcome, outcome)
    meaning = f" → {intent}" if intent and outcome not in ("rejected", "after-talk") else ""
    return f'heard: "{text}"  {confidence:.0%}  {mark}{meaning}'


class HeardLine(Static):
    """One line; its class says the outcome so the theme can colour it."""

    def show(self, text: str, confidence: float, outcome: str, intent: str | None) -> None:
        self.update(heard_text(text, confidence, outcome, intent))
        for name in _MARKS:
            self.set_class(outcome == name, f"-{name}")
