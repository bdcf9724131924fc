"""The rules a JSON Schema cannot express, checked in code on the raw TOML data.

They run even when the schema found problems (so a user sees everything at
once), which is why every check here tolerates values of the wrong type and
simply skips them: the schema has already said what is wrong with those.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from voicecoach.routine.commands import BUILTIN_COMMANDS
from voicecoach.routine.phrases import phrase_key
from voicecoach.routine.problems import RoutineProblem, join_path


def semantic_problems(data: Any, file: str) -> list[RoutineProblem]:
    if not isinstance(data, dict):
        return []
    steps = [s for s in _list(data.get("steps"))]
    problems = list(_non_finite(data, "", file))
    problems += _duplicate_ids(steps, file)
    problems += _auto_without_length(steps, _dict(data.get("settings")).get("advance"), file)
    problems += _phrase_collisions(data, steps, file)
    return problems


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _non_finite(value: Any, path: str, file: str) -> Iterator[RoutineProblem]:
    """TOML allows `nan`, and every range check lets it through (`nan <= 0` is false).

    `inf` needs no check here: every number in the schema has a maximum.
    """
    if isinstance(value, float) and math.isnan(value):
        yield RoutineProblem(file, path, f"must be a finite number, not {value}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _non_finite(item, join_path(path, key), file)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _non_finite(item, join_path(path, i), file)


def _duplicate_ids(steps: list[Any], file: str) -> Iterator[RoutineProblem]:
    first: dict[str, int] = {}
    for i, step in enumerate(steps):
        step_id = _dict(step).get("id")
        if not isinstance(step_id, str):
            continue
        if step_id in first:
            yield RoutineProblem(
                file,
                f"steps[{i}].id",
                f'duplicate step id "{step_id}" (also steps[{first[step_id]}]); '
                "give each step its own id",
            )
        else:
            first[step_id] = i


def _auto_without_length(steps: list[Any], default: Any, file: str) -> Iterator[RoutineProblem]:
    """An `auto` step with neither a hold nor reps would have no way to know when it is over."""
    for i, step in enumerate(steps):
        step = _dict(step)
        advance = step.get("advance", default if default is not None else "voice")
        if advance != "auto" or "hold_seconds" in step or "reps" in step:
            continue
        if "advance" in step:
            yield RoutineProblem(
                file,
                f"steps[{i}].advance",
                'is "auto" but the step has neither hold_seconds nor reps; add one, or use "voice"',
            )
        else:
            yield RoutineProblem(
                file,
                f"steps[{i}]",
                'advances "auto" (from settings.advance) but has neither hold_seconds nor reps; '
                'add one, or set advance = "voice" on the step',
            )


@dataclass(frozen=True)
class _Meaning:
    """What a phrase means in one scope: a command name or a correction's path."""

    what: str
    """`command next` or `steps[2].corrections[0]`."""
    path: str
    """Where the phrase was written (`commands.next[1]`, `corrections[0].when[2]`) or "built-in"."""


def _phrases(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(phrase, path) for a `when`/command value: a string, or a list of strings."""
    if isinstance(value, str):
        yield value, path
    else:
        for i, phrase in enumerate(_list(value)):
            if isinstance(phrase, str):
                yield phrase, join_path(path, i)


def _command_book(
    data: dict[str, Any], file: str, out: list[RoutineProblem]
) -> dict[str, _Meaning]:
    """phrase_key -> meaning for every built-in command phrase and `[commands]` addition."""
    book: dict[str, _Meaning] = {}
    for name, phrases in BUILTIN_COMMANDS.items():
        for phrase in phrases:
            book[phrase_key(phrase)] = _Meaning(f"the built-in command `{name}`", "built-in")
    for name, value in _dict(data.get("commands")).items():
        if name not in BUILTIN_COMMANDS:
            continue  # the schema reports the unknown key
        for phrase, path in _phrases(value, f"commands.{name}"):
            meaning = _Meaning(f"the built-in command `{name}`", path)
            _add(book, phrase, meaning, file, out)
    return book


def _add(
    book: dict[str, _Meaning], phrase: str, meaning: _Meaning, file: str, out: list[RoutineProblem]
) -> None:
    """Record `phrase` in `book`, reporting it if it already means something else there."""
    key = phrase_key(phrase)
    if not phrase:
        return  # the schema reports an empty phrase
    if not key:
        out.append(RoutineProblem(file, meaning.path, f'"{phrase}" has no words to listen for'))
        return
    other = book.get(key)
    if other is None:
        book[key] = meaning
    elif other.what != meaning.what:
        if other.path == "built-in":
            where = other.what
        elif other.what.startswith("the correction"):
            where = f"the correction at {other.path}"
        else:
            where = f"{other.what} (added at {other.path})"
        out.append(
            RoutineProblem(
                file,
                meaning.path,
                f'"{phrase}" already means {where}; '
                "the coach could not tell them apart, so use a different phrase",
            )
        )


def _corrections(value: Any, base: str) -> Iterator[tuple[str, Any]]:
    for j, correction in enumerate(_list(value)):
        path = join_path(base, f"corrections[{j}]") if base else f"corrections[{j}]"
        yield path, _dict(correction).get("when")


def _phrase_collisions(data: dict[str, Any], steps: list[Any], file: str) -> list[RoutineProblem]:
    """The same phrase with two meanings in one scope (one step plus everything global)."""
    out: list[RoutineProblem] = []
    global_book = _command_book(data, file, out)
    for path, when in _corrections(data.get("corrections"), ""):
        for phrase, phrase_path in _phrases(when, f"{path}.when"):
            _add(global_book, phrase, _Meaning(f"the correction {path}", phrase_path), file, out)
    for i, step in enumerate(steps):
        book = dict(global_book)
        for path, when in _corrections(_dict(step).get("corrections"), f"steps[{i}]"):
            for phrase, phrase_path in _phrases(when, f"{path}.when"):
                _add(book, phrase, _Meaning(f"the correction {path}", phrase_path), file, out)
    return out
