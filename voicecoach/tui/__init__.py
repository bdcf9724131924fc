"""The terminal UI. `make_app` is the one way in (CLI, tests, tmux runs).

Imported lazily: `voicecoach --help` and the plain `--no-tui` mode never load Textual.
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
