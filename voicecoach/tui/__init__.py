"""The terminal UI. `make_app` is the one way in (CLI, tests, tmux runs).

Imported lazily: `voicecoach --help` and the plain `--no-tui` mode never load Textual.

Layer: tui, beside speech and voice. Imports `coach`, `routine` and infrastructure,
never speech, voice, the shell or a command: it shows state and sends what was
pressed through a port (`tui/port.py`); it holds no coaching logic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voicecoach.tui.app import VoicecoachApp, make_app


def __getattr__(name: str) -> Any:
    if name in ("make_app", "VoicecoachApp"):
        from voicecoach.tui import app

        return getattr(app, name)
    raise AttributeError(name)


__all__ = ["VoicecoachApp", "make_app"]
