"""LISTENING / SPEAKING / PAUSED, in a block of colour you can see from the door."""

from __future__ import annotations

from textual.widgets import Static

LABELS = {
    "listening": "● LISTENING",
    "speaking": "◆ SPEAKING",
    "paused": "‖ PAUSED",
    "keys": "⌨ KEYS ONLY",
    "finished": "■ FINISHED",
    "starting": "… STARTING",
}


class ListenState(Static):
    """One of `LABELS`; the kind is also a CSS class (`-listening`, ...)."""

    kind: str = "starting"

    def set_kind(self, kind: str) -> None:
        self.update(LABELS.get(kind, kind.upper()))
        for name in LABELS:
            self.set_class(kind == name, f"-{name}")
        self.kind = kind
