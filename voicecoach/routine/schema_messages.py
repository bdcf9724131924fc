"""jsonschema failures -> our own one-line messages, with the field path and a fix.

jsonschema finds every problem (`iter_errors`), but its messages speak JSON
("5 is not of type 'string'"). A person editing TOML by hand needs to hear it
in TOML's words, with the key they probably meant.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from voicecoach.routine.problems import RoutineProblem, join_path
from voicecoach.routine.schema import ROUTINE_SCHEMA

_VALIDATOR = Draft202012Validator(ROUTINE_SCHEMA)

_TYPE_WORDS = {
    "string": "text in quotes",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list [...]",
    "object": "a table",
}

_REQUIRED_HINTS = {
    "format": "add `format = 1` at the top",
    "routine": 'add a [routine] table with `name = "..."`',
    "steps": "add at least one [[steps]] table",
    "name": 'add `name = "..."`',
    "id": 'add `id = "..."` (lower-case letters, digits and dashes)',
    "title": 'add `title = "..."`, shown on screen',
    "cue": 'add `cue = "..."`, spoken when the step starts',
    "when": 'add `when = ["..."]`, the phrases the person may say',
    "say": 'add `say = "..."`, the coach\'s answer',
}


def schema_problems(data: Any, file: str) -> list[RoutineProblem]:
    """Every schema violation in `data` (the caller sorts them into file order)."""
    problems: list[RoutineProblem] = []
    for error in _VALIDATOR.iter_errors(data):
        problems.extend(_translate(error, file))
    return problems


def path_text(parts: Any) -> str:
    """A jsonschema path deque -> `steps[2].corrections[0].when`."""
    text = ""
    for part in parts:
        text = join_path(text, part)
    return text


def describe(value: Any) -> str:
    """A value as the user wrote it in TOML words, for "got ..." endings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 30 else value[:27] + "..."
        return f'the text "{shown}"'
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return "a date/time"
    return type(value).__name__


def _expected(types: str | list[str]) -> str:
    names = [types] if isinstance(types, str) else types
    if sorted(names) == ["array", "string"]:
        return 'a phrase in quotes or a list of phrases ["...", "..."]'
    return " or ".join(_TYPE_WORDS.get(t, t) for t in names)


def _translate(error: ValidationError, file: str) -> Iterator[RoutineProblem]:
    path = path_text(error.absolute_path)
    kind = error.validator
    value = error.instance
    bound = error.validator_value

    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        for key in sorted(k for k in value if k not in allowed):
            yield RoutineProblem(file, join_path(path, key), _unknown_key(key, allowed))
        return
    if kind == "required":
        for key in bound:
            if isinstance(value, dict) and key not in value:
                hint = _REQUIRED_HINTS.get(key, f"add `{key}`")
                yield RoutineProblem(file, join_path(path, key), f"missing required key; {hint}")
        return

    message: str
    if kind == "type":
        message = f"must be {_expected(bound)}, not {describe(value)}"
    elif kind == "const":
        message = f"must be {bound!r}, not {describe(value)}"
        if path == "format":
            message = f"must be 1 (the only format version so far), not {describe(value)}"
    elif kind == "enum":
        choices = " or ".join(f'"{c}"' for c in bound)
        message = f"must be {choices}, not {describe(value)}"
        close = difflib.get_close_matches(str(value), [str(c) for c in bound], n=1)
        if close:
            message += f'; did you mean "{close[0]}"?'
    elif kind == "exclusiveMinimum":
        message = f"must be greater than {bound:g}, not {describe(value)}"
    elif kind == "minimum":
        message = f"must be at least {bound:g}, not {describe(value)}"
        if "maximum" in error.schema:
            message = (
                f"must be between {bound:g} and {error.schema['maximum']:g}, not {describe(value)}"
            )
    elif kind == "maximum":
        message = f"must be at most {bound:g}, not {describe(value)}"
        if "minimum" in error.schema:
            message = (
                f"must be between {error.schema['minimum']:g} and {bound:g}, not {describe(value)}"
            )
    elif kind == "minLength":
        message = "must not be empty"
    elif kind == "pattern":
        message = _pattern_message(path, value)
    elif kind in ("minItems", "maxItems"):
        message = _items_message(path, value, error.schema)
    else:  # a keyword added to the schema later without a message here
        message = error.message
    yield RoutineProblem(file, path, message)


def _unknown_key(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key.replace(" ", "_"), allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key `{key}`; did you mean `{close[0]}`?"
    return f"unknown key `{key}`; valid keys here: " + ", ".join(f"`{k}`" for k in allowed)


def _pattern_message(path: str, value: Any) -> str:
    if path.endswith(".id"):
        return f'must be lower-case letters, digits and dashes, like "heels-in", not "{value}"'
    if path.endswith("language"):
        return f'must be a language tag such as "en-us", not "{value}"'
    return f'"{value}" is not in the expected form'


def _items_message(path: str, value: list[Any], schema: dict[str, Any]) -> str:
    if path == "steps":
        return "no steps; add at least one [[steps]] table"
    if path.endswith("tempo"):
        found = f"{len(value)} number" + ("s" if len(value) != 1 else "")
        return f"must be two numbers, like [3, 1] (seconds down, up), not {found}"
    if not value:
        return "must not be an empty list"
    return f"must have at most {schema.get('maxItems')} items"
