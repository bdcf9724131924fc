"""Routine files: find them, read them, validate them, and turn them into models.

The public surface other layers use is small: `load_routine` (name or path ->
`Routine`, or a `RoutineError` carrying every problem), `find_routine`, and the
models. Nothing here does I/O beyond reading the file.

Layer: routine, the innermost. Imports only infrastructure (`errors`, `locations`).
"""

from __future__ import annotations

from pathlib import Path

from voicecoach.routine.catalog import CatalogEntry, catalog, find_routine, looks_like_path
from voicecoach.routine.loader import CheckResult, check_file, load_file, loads_routine
from voicecoach.routine.models import Correction, Routine, Settings, Step
from voicecoach.routine.problems import RoutineProblem


def load_routine(name_or_path: str | Path) -> Routine:
    """A routine by name (`squat`) or path; raises `RoutineError` listing every problem."""
    path = find_routine(name_or_path)
    # Name a path as the user typed it; a routine found by name by where it was found.
    return load_file(path, str(name_or_path) if looks_like_path(name_or_path) else str(path))


__all__ = [
    "CatalogEntry",
    "CheckResult",
    "Correction",
    "Routine",
    "RoutineProblem",
    "Settings",
    "Step",
    "catalog",
    "check_file",
    "find_routine",
    "load_file",
    "load_routine",
    "loads_routine",
]
