"""One root error for everything a user can cause, so the CLI can print one line and exit.

Exit codes follow click's habit: 2 for bad input (a routine, a flag, a file),
1 for a runtime failure (a device, a model). Nothing here imports rich or
textual: errors are raised at start-up, before either is needed.
"""

from __future__ import annotations

import sys
from typing import ClassVar


class VoicecoachError(Exception):
    """An error with a message meant for the person at the keyboard."""

    exit_code: ClassVar[int] = 1

    def __init__(self, message: str, title: str = "voicecoach") -> None:
        super().__init__(message)
        self.message = message
        self.title = title

    def show(self) -> None:
        """Print to stderr: stdout may be a JSON-lines stream another tool reads."""
        print(f"error: {self.message}", file=sys.stderr)


class RoutineError(VoicecoachError):
    """A routine file is missing, unreadable or invalid; `problems` has one line each."""

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message, "routine")
        self.problems: list[str] = problems if problems is not None else [message]

    def show(self) -> None:
        for line in self.problems:
            print(f"error: {line}", file=sys.stderr)


class UsageError(VoicecoachError):
    """A bad flag or argument value."""

    exit_code = 2


class AudioDeviceError(VoicecoachError):
    """No sound server, no device, a busy or vanished device."""


class ModelMissingError(VoicecoachError):
    """A speech model is not where we looked, or is broken."""


class EngineUnavailableError(VoicecoachError):
    """A speech or TTS engine cannot start on this machine (missing library or binary)."""
