"""One line for speaker/mic faults: visible, never a dialog in the way of the workout."""

from __future__ import annotations

from textual.widgets import Static


class WarningLine(Static):
    def warn(self, kind: str, text: str) -> None:
        prefix = "error" if kind == "error" else "warning"
        self.update(f"⚠ {prefix}: {text}")
        self.set_class(kind == "error", "-error")
        self.display = True

    def clear(self) -> None:
        self.update("")
        self.display = False
