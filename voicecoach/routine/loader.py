"""From a file (or text) to a `Routine`, collecting every problem on the way.

The pipeline is: read (capped, decoded) -> parse TOML -> schema -> semantics
-> build. Each stage that fails returns problems instead of raising, so
`check` can print them all and `load_routine` can raise one `RoutineError`
carrying them all.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voicecoach.routine.build import build_routine
from voicecoach.routine.models import Routine
from voicecoach.routine.problems import RoutineProblem, routine_error
from voicecoach.routine.schema import FIELD_ORDER
from voicecoach.routine.schema_messages import schema_problems
from voicecoach.routine.semantics import semantic_problems
from voicecoach.routine.source import SourceText, decode, read_source

_AT = re.compile(r"^(?P<msg>.*?) \(at line (?P<line>\d+), column (?P<col>\d+)\)$", re.S)
_AT_END = re.compile(r"^(?P<msg>.*?) \(at end of document\)$", re.S)

_SYNTAX_HINTS = {
    "illegal character '\\n'": " (a quote left open before the end of the line?)",
    "cannot overwrite a value": " (a key written twice?)",
    "cannot declare": " (a table written twice?)",
    "invalid value": ' (text needs quotes: "...")',
    "expected '=' after a key": " (keys are written `key = value`)",
}


@dataclass(frozen=True)
class CheckResult:
    """A routine and the problems found; exactly one of them is meaningful."""

    file: str
    routine: Routine | None = None
    problems: list[RoutineProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_toml(text: str, file: str) -> dict[str, Any] | RoutineProblem:
    """The TOML data, or a `FILE:LINE:COL:` problem for a syntax error."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return _syntax_problem(exc, text, file)


def _syntax_problem(exc: tomllib.TOMLDecodeError, text: str, file: str) -> RoutineProblem:
    """tomllib (3.11-3.13) has the position only inside its message; 3.14 adds attributes."""
    message = str(exc)
    line: int | None = getattr(exc, "lineno", None)
    col: int | None = getattr(exc, "colno", None)
    found = _AT.match(message)
    if found:
        message = found["msg"]
        line = line or int(found["line"])
        col = col or int(found["col"])
    elif (end := _AT_END.match(message)) is not None:
        message = end["msg"]
        lines = text.split("\n")
        line, col = len(lines), len(lines[-1]) + 1
    message = getattr(exc, "msg", message)
    message = message[:1].lower() + message[1:]
    hint = next((h for start, h in _SYNTAX_HINTS.items() if message.startswith(start)), "")
    return RoutineProblem(file, "", f"TOML syntax error: {message}{hint}", line=line, col=col)


def check_data(data: Any, file: str) -> list[RoutineProblem]:
    """Every schema and semantic problem in parsed routine data, roughly in file order."""
    return sorted(schema_problems(data, file) + semantic_problems(data, file), key=_path_order)


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_UNKNOWN_KEY = 10_000


def _path_order(problem: RoutineProblem) -> tuple[tuple[int, int], ...]:
    """Keys in the order the format (and so a routine file) lists them, items by index.

    An unknown top-level key sorts first, since it often explains the rest (`setings`
    leaves `settings` unset); an unknown key inside a table sorts after the known ones.
    """
    parts = _PATH_PART.findall(problem.path)
    key: list[tuple[int, int]] = []
    for depth, (name, index) in enumerate(parts):
        if name:
            key.append((1, FIELD_ORDER.get(name, -1 if depth == 0 else _UNKNOWN_KEY)))
        else:
            key.append((0, int(index)))
    return tuple(key)


def check_text(source: SourceText, file: str, path: Path | None = None) -> CheckResult:
    data = parse_toml(source.text, file)
    if isinstance(data, RoutineProblem):
        return CheckResult(file, problems=[data])
    problems = check_data(data, file)
    if problems:
        return CheckResult(file, problems=problems)
    return CheckResult(file, routine=build_routine(data, path, source.data))


def check_file(path: Path, file: str | None = None) -> CheckResult:
    """Read and validate one file; never raises for anything a user could write."""
    file = file if file is not None else str(path)
    source = read_source(path, file)
    if isinstance(source, RoutineProblem):
        return CheckResult(file, problems=[source])
    return check_text(source, file, path.resolve())


def loads_routine(text: str | bytes, file: str = "<routine>") -> Routine:
    """A routine from text (tests, tools); raises `RoutineError` with every problem."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    source = decode(data, file)
    if isinstance(source, RoutineProblem):
        raise routine_error(file, [source])
    result = check_text(source, file)
    if result.routine is None:
        raise routine_error(file, result.problems)
    return result.routine


def load_file(path: Path, file: str | None = None) -> Routine:
    """A routine from a path; raises `RoutineError` with every problem."""
    result = check_file(path, file)
    if result.routine is None:
        raise routine_error(result.file, result.problems)
    return result.routine
