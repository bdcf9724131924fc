"""The routine format (version 1) as ONE JSON Schema, draft 2020-12.

Why one schema for two jobs: the same document validates files in `check`
and `load` (through jsonschema, which reports every problem at once) and is
exported by `voicecoach schema` for editors with a TOML language server
(Taplo / Even Better TOML), which then validate and autocomplete as you type.
So the two can never disagree. The descriptions are written for the hover text
in an editor; `validate.py` turns failures into our own one-line messages.

What a schema cannot say (unique step ids, `auto` needing a hold or reps once
`settings.advance` is resolved, phrase collisions) lives in `semantics.py`.
"""

from __future__ import annotations

import json
from typing import Any

from voicecoach.routine.commands import BUILTIN_COMMANDS
from voicecoach.routine.models import ADVANCE_VALUES, THEN_VALUES

MAX_SECONDS = 86_400
"""A day: a generous cap that still catches `hold_seconds = 1e300` before the coach overflows."""
MAX_COUNT = 10_000
"""Sets or reps: far beyond any real routine, small enough to keep the coach finite."""

STEP_ID_PATTERN = "^[a-z0-9-]+$"
LANGUAGE_PATTERN = "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$"

_PHRASES: dict[str, Any] = {
    "description": "A phrase, or a list of phrases, the person may say.",
    "type": ["string", "array"],
    "minLength": 1,
    "minItems": 1,
    "items": {"type": "string", "minLength": 1},
}

_SECONDS = {"type": "number", "maximum": MAX_SECONDS}
_COUNT = {"type": "integer", "exclusiveMinimum": 0, "maximum": MAX_COUNT}

_CORRECTION: dict[str, Any] = {
    "type": "object",
    "description": "Something the person may say about their form, and the coach's answer.",
    "required": ["when", "say"],
    "additionalProperties": False,
    "properties": {
        "when": _PHRASES,
        "say": {
            "type": "string",
            "minLength": 1,
            "description": "What the coach answers, spoken aloud.",
        },
        "then": {
            "enum": list(THEN_VALUES),
            "default": "continue",
            "description": "After the answer: carry on, pause, stop, or repeat the step.",
        },
    },
}

_STEP: dict[str, Any] = {
    "type": "object",
    "description": "One step of the routine, in order.",
    "required": ["id", "title", "cue"],
    "additionalProperties": False,
    "properties": {
        "id": {
            "type": "string",
            "pattern": STEP_ID_PATTERN,
            "description": "Unique id: lower-case letters, digits and dashes, e.g. `heels-in`.",
        },
        "title": {"type": "string", "minLength": 1, "description": "Short title, shown on screen."},
        "cue": {"type": "string", "minLength": 1, "description": "Spoken when the step starts."},
        "why": {
            "type": "string",
            "minLength": 1,
            "description": 'Spoken when the person asks "why".',
        },
        "advance": {
            "enum": list(ADVANCE_VALUES),
            "description": 'Overrides settings.advance: `voice` waits for "next", `auto` moves on.',
        },
        "hold_seconds": {
            **_SECONDS,
            "exclusiveMinimum": 0,
            "description": "A held set lasts this many seconds.",
        },
        "sets": {**_COUNT, "default": 1, "description": "How many sets."},
        "reps": {**_COUNT, "description": "Reps per set: a rep-counted step."},
        "tempo": {
            "type": "array",
            "items": {**_SECONDS, "exclusiveMinimum": 0},
            "minItems": 2,
            "maxItems": 2,
            "default": [2, 2],
            "description": "Seconds down, seconds up, for rep counting.",
        },
        "rest_seconds": {
            **_SECONDS,
            "minimum": 0,
            "default": 0,
            "description": "Rest between sets (0: no rest).",
        },
        "corrections": {
            "type": "array",
            "items": _CORRECTION,
            "description": "Corrections active only during this step.",
        },
    },
}

ROUTINE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "voicecoach routine",
    "description": "A voicecoach routine file, format version 1.",
    "type": "object",
    "required": ["format", "routine", "steps"],
    "additionalProperties": False,
    "properties": {
        "format": {"const": 1, "description": "The format version; always 1 for now."},
        "routine": {
            "type": "object",
            "required": ["name"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string", "minLength": 1, "description": "Shown in the title."},
                "description": {"type": "string"},
                "language": {
                    "type": "string",
                    "pattern": LANGUAGE_PATTERN,
                    "default": "en-us",
                    "description": "Language tag, e.g. `en-us`.",
                },
            },
        },
        "settings": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "advance": {
                    "enum": list(ADVANCE_VALUES),
                    "default": "voice",
                    "description": 'For every step: `voice` waits for "next", `auto` moves on.',
                },
                "rate": {
                    "type": "integer",
                    "minimum": 80,
                    "maximum": 450,
                    "default": 165,
                    "description": "Speaking rate, words per minute.",
                },
                "count_reps": {
                    "type": "boolean",
                    "default": True,
                    "description": "Speak rep numbers.",
                },
                "correction_cooldown": {
                    **_SECONDS,
                    "minimum": 0,
                    "default": 20,
                    "description": "Seconds before the same correction may be spoken again.",
                },
                "beeps": {
                    "type": "boolean",
                    "default": False,
                    "description": "Tones for rep ticks and the end of rest.",
                },
            },
        },
        "commands": {
            "type": "object",
            "description": "Extra phrases for built-in commands, added to the built-in ones.",
            "additionalProperties": False,
            "properties": {
                name: {
                    **_PHRASES,
                    "description": f"Extra phrases for `{name}` (built in: "
                    + ", ".join(f'"{p}"' for p in phrases)
                    + ").",
                }
                for name, phrases in BUILTIN_COMMANDS.items()
            },
        },
        "steps": {
            "type": "array",
            "minItems": 1,
            "items": _STEP,
            "description": "The steps, in order.",
        },
        "corrections": {
            "type": "array",
            "items": _CORRECTION,
            "description": "Corrections active in every step.",
        },
    },
}


def _field_order(schema: dict[str, Any], order: dict[str, int]) -> dict[str, int]:
    """Every key name -> its first position in the schema, walking tables depth-first."""
    for name, spec in schema.get("properties", {}).items():
        order.setdefault(name, len(order))
        _field_order(spec, order)
    if isinstance(schema.get("items"), dict):
        _field_order(schema["items"], order)
    return order


FIELD_ORDER: dict[str, int] = _field_order(ROUTINE_SCHEMA, {})
"""Key name -> rank, so problems can be listed in the order a routine file is written."""


def schema_json() -> str:
    """The schema as pretty JSON, for `voicecoach schema` and editors."""
    return json.dumps(ROUTINE_SCHEMA, indent=2) + "\n"
