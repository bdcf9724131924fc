"""Validated TOML data -> the immutable models, with every default resolved.

Only called on data that passed the schema and the semantic checks, so it can
index freely; resolving defaults here means the coach never asks "was this
key written?".
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from voicecoach.routine.commands import BUILTIN_COMMANDS
from voicecoach.routine.models import Correction, Routine, Settings, Step
from voicecoach.routine.phrases import phrase_key


def _phrase_tuple(value: str | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _corrections(items: list[dict[str, Any]], base: str) -> tuple[Correction, ...]:
    prefix = f"{base}." if base else ""
    return tuple(
        Correction(
            when=_phrase_tuple(item["when"]),
            say=item["say"],
            then=item.get("then", "continue"),
            path=f"{prefix}corrections[{j}]",
        )
        for j, item in enumerate(items)
    )


def _commands(extra: dict[str, str | list[str]]) -> dict[str, tuple[str, ...]]:
    """Built-in phrases first, then the routine's additions (a repeat of a built-in dropped)."""
    merged: dict[str, tuple[str, ...]] = {}
    for name, phrases in BUILTIN_COMMANDS.items():
        seen = {phrase_key(p) for p in phrases}
        added = []
        for phrase in _phrase_tuple(extra.get(name, [])):
            if phrase_key(phrase) not in seen:
                seen.add(phrase_key(phrase))
                added.append(phrase)
        merged[name] = tuple(phrases) + tuple(added)
    return merged


def _step(item: dict[str, Any], index: int, settings: Settings) -> Step:
    hold = item.get("hold_seconds")
    reps = item.get("reps")
    down, up = item.get("tempo", (2, 2))
    return Step(
        id=item["id"],
        title=item["title"],
        cue=item["cue"],
        why=item.get("why"),
        advance=item.get("advance", settings.advance),
        hold_seconds=float(hold) if hold is not None else None,
        sets=int(item.get("sets", 1)),
        reps=int(reps) if reps is not None else None,
        tempo=(float(down), float(up)),
        rest_seconds=float(item.get("rest_seconds", 0)),
        corrections=_corrections(item.get("corrections", []), f"steps[{index}]"),
    )


def build_routine(data: dict[str, Any], source: Path | None = None, raw: bytes = b"") -> Routine:
    """The `Routine` a valid file describes."""
    meta = data["routine"]
    given = data.get("settings", {})
    settings = Settings(
        advance=given.get("advance", "voice"),
        rate=int(given.get("rate", 165)),
        count_reps=given.get("count_reps", True),
        correction_cooldown=float(given.get("correction_cooldown", 20)),
        beeps=given.get("beeps", False),
    )
    return Routine(
        name=meta["name"],
        description=meta.get("description", ""),
        language=meta.get("language", "en-us").lower(),
        settings=settings,
        commands=_commands(data.get("commands", {})),
        steps=tuple(_step(item, i, settings) for i, item in enumerate(data["steps"])),
        corrections=_corrections(data.get("corrections", []), ""),
        source=source,
        sha256=hashlib.sha256(raw).hexdigest() if raw else "",
    )
