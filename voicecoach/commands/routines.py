"""`voicecoach check`, `routines` and `schema`: the routine author's tools.

stdout carries only results (`ok PATH`, the listing, the schema), so they can
be piped; every problem (`error: FILE: PATH: what to fix`, the style of every
command's errors) and note (`note: ...`) goes to stderr. Exit 2 when any file
is invalid, like any other bad input.
"""

from __future__ import annotations

import sys
from pathlib import Path

from voicecoach.errors import RoutineError, VoicecoachError
from voicecoach.routine.catalog import (
    USER,
    builtin_dir,
    catalog,
    find_routine,
    looks_like_path,
    user_dir,
)
from voicecoach.routine.estimate import rough_length
from voicecoach.routine.loader import check_file
from voicecoach.routine.problems import RoutineProblem
from voicecoach.routine.schema import schema_json
from voicecoach.routine.vocabulary import Vocabulary, vocabulary_problems

INVALID = 2


def _err(line: str) -> None:
    print(line, file=sys.stderr)


class _LazyVocabulary:
    """Loads the engine's vocabulary on first use, once; None (with a note) when unavailable."""

    def __init__(self, engine: str, model: Path | None) -> None:
        self.engine = engine
        self.model = model
        self._loaded = False
        self._vocab: Vocabulary | None = None

    def get(self) -> Vocabulary | None:
        if not self._loaded:
            self._loaded = True
            self._vocab = self._load()
        return self._vocab

    def _load(self) -> Vocabulary | None:
        try:
            from voicecoach.speech.vocab import load_vocabulary
        except ImportError as exc:
            _err(f"note: vocabulary check skipped: speech support is not available ({exc})")
            return None
        try:
            vocab: Vocabulary | None = load_vocabulary(self.engine, self.model)
        except VoicecoachError as exc:
            _err(f"note: vocabulary check skipped: {exc.message}")
            return None
        except OSError as exc:  # a model folder that vanished or cannot be read
            _err(f"note: vocabulary check skipped: {exc}")
            return None
        if vocab is None:
            _err(f"note: vocabulary check skipped: no word list for engine {self.engine!r}")
        return vocab


def _check_one(arg: str, vocab: _LazyVocabulary | None) -> list[str]:
    """The problem lines for one path or routine name (empty: valid)."""
    try:
        path = find_routine(arg)
    except RoutineError as exc:
        return exc.problems
    display = arg if looks_like_path(arg) else str(path)
    result = check_file(path, display)
    problems: list[RoutineProblem] = list(result.problems)
    if result.routine is not None and vocab is not None:
        words = vocab.get()
        if words is not None:
            problems += vocabulary_problems(result.routine, words, display)
    return [str(p) for p in problems]


def check(paths: list[str], engine: str | None = None, model: Path | None = None) -> int:
    """`ok PATH` per valid file on stdout, every problem on stderr; 2 if any file is invalid."""
    vocab = _LazyVocabulary(engine, model) if engine else None
    status = 0
    for arg in paths:
        problems = _check_one(arg, vocab)
        if problems:
            status = INVALID
            for line in problems:
                _err(f"error: {line}")
        else:
            print(f"ok {arg}")
    return status


def list_routines() -> int:
    """A table of every routine the catalog knows, valid or not, and where each comes from."""
    rows = [("NAME", "TITLE", "STEPS", "LENGTH", "SOURCE", "PATH")]
    for entry in catalog():
        result = check_file(entry.path)
        source = entry.source
        if entry.source == USER and entry.shadows is not None:
            source = "user (replaces built-in)"
        if result.routine is None:
            count = len(result.problems)
            plural = "s" if count != 1 else ""
            title = f"(invalid: {count} problem{plural}; run `voicecoach check {entry.name}`)"
            rows.append((entry.name, title, "-", "-", source, str(entry.path)))
        else:
            routine = result.routine
            rows.append(
                (
                    entry.name,
                    routine.name,
                    str(len(routine.steps)),
                    rough_length(routine),
                    source,
                    str(entry.path),
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1]
        )
    print()
    print(f"built-in routines: {builtin_dir()}")
    print(f"your routines:     {user_dir()}  (copy one there and edit it; yours wins by name)")
    return 0


def print_schema() -> int:
    """The JSON Schema, for `voicecoach schema > routine.schema.json` and an editor."""
    sys.stdout.write(schema_json())
    return 0
