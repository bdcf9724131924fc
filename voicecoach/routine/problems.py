"""A problem in a routine file, as data, so `check`, `load` and tests share one shape.

Why data and not just strings: tests assert on the field path, the CLI prints
the one-line form, and an editor integration could place a marker at
`line`/`col`. The line is only known when the TOML parser gave one; a schema or
semantic problem is located by its field path instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from voicecoach.errors import RoutineError

# A key or value quoted from the file may hold a newline or a terminal escape;
# escaping them keeps every problem on exactly one line, safe to print.
_ONE_LINE = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F, 0x85]}
_ONE_LINE |= {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r", 0x2028: "\\u2028", 0x2029: "\\u2029"}


@dataclass(frozen=True)
class RoutineProblem:
    """One thing wrong with one routine file, printable as one line."""

    file: str
    """The file as the user named it (or as the catalog found it)."""
    path: str
    """Dotted field path from the top (`steps[2].reps`); "" for the file as a whole."""
    message: str
    """What is wrong and what to do, lower-case, no trailing period."""
    line: int | None = None
    """1-based; only when the TOML parser gave one."""
    col: int | None = None

    def __str__(self) -> str:
        if self.line is not None:
            text = f"{self.file}:{self.line}:{self.col or 1}: {self.message}"
        elif self.path:
            text = f"{self.file}: {self.path}: {self.message}"
        else:
            text = f"{self.file}: {self.message}"
        return text.translate(_ONE_LINE)


def routine_error(file: str, problems: list[RoutineProblem]) -> RoutineError:
    """One error carrying every problem, so a user fixes the whole file in one go."""
    count = len(problems)
    summary = str(problems[0]) if count == 1 else f"{file}: {count} problems"
    return RoutineError(summary, problems=[str(p) for p in problems])


def join_path(base: str, part: str | int) -> str:
    """`steps` + 2 -> `steps[2]`; `steps[2]` + `reps` -> `steps[2].reps`."""
    if isinstance(part, int):
        return f"{base}[{part}]"
    return f"{base}.{part}" if base else part
