"""Reading a routine file's text defensively: whatever a user points us at, one clear line.

A user may pass a directory, a binary, a 50 MB log, a file saved as Latin-1, or
`/dev/zero`. Each becomes a `RoutineProblem` instead of a traceback or a hang:
the read is capped, so a huge or endless file costs at most `MAX_BYTES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voicecoach.routine.problems import RoutineProblem

MAX_BYTES = 1024 * 1024
"""A routine is a few kilobytes; anything over 1 MiB is surely the wrong file."""

_TOO_LARGE = "too large for a routine file (over 1 MiB); is this the right file?"


@dataclass(frozen=True)
class SourceText:
    """A routine file's decoded text and the raw bytes (hashed for the session log)."""

    text: str
    data: bytes


def read_source(path: Path, file: str) -> SourceText | RoutineProblem:
    """The file's text, or the one problem that stops us from reading it."""
    try:
        if not path.exists():
            return RoutineProblem(file, "", "no such file")
        if path.is_dir():
            return RoutineProblem(file, "", "is a directory, not a routine file")
        if not path.is_file():  # a FIFO would block the read; a device never ends
            return RoutineProblem(file, "", "is not a regular file")
        if path.stat().st_size > MAX_BYTES:
            return RoutineProblem(file, "", _TOO_LARGE)
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        return RoutineProblem(file, "", f"cannot read: {exc.strerror or exc}")
    except ValueError:  # a NUL byte in the path itself
        return RoutineProblem(file, "", "not a valid file path")
    if len(data) > MAX_BYTES:  # grew since the stat, or a file system that lies about sizes
        return RoutineProblem(file, "", _TOO_LARGE)
    return decode(data, file)


def decode(data: bytes, file: str) -> SourceText | RoutineProblem:
    """UTF-8 text (a BOM is forgiven), or a problem naming where the bad byte is."""
    if not data.strip():
        return RoutineProblem(
            file, "", "empty file; a routine needs `format = 1`, a [routine] table and [[steps]]"
        )
    if b"\x00" in data:
        return RoutineProblem(file, "", "binary file, not a TOML routine")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        return RoutineProblem(
            file,
            "",
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            line=line,
            col=col,
        )
    return SourceText(text=text, data=data)
