"""Which routine phrases a speech engine cannot hear: the engine-free half of `check --engine`.

A phrase with a word outside the recogniser's vocabulary can never match, and
the person would say it mid-squat to silence. The speech layer knows each
engine's word list (`voicecoach.speech.vocab.load_vocabulary`); this module only
walks the routine's phrases, so it works with any object shaped like `Vocabulary`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from voicecoach.routine.commands import BUILTIN_COMMANDS
from voicecoach.routine.models import Correction, Routine
from voicecoach.routine.phrases import phrase_key, spoken_words
from voicecoach.routine.problems import RoutineProblem


class Vocabulary(Protocol):
    """What the speech layer's vocabulary offers (see `voicecoach.speech.vocab`)."""

    @property
    def name(self) -> str: ...

    def __contains__(self, word: object) -> bool: ...

    def suggest(self, word: str) -> str | None: ...


def routine_phrases(routine: Routine) -> Iterator[tuple[str, str, bool]]:
    """(field path, phrase, is built-in) for every phrase a person may say in this routine."""
    for name, phrases in routine.commands.items():
        builtin = BUILTIN_COMMANDS.get(name, ())
        builtin_keys = {phrase_key(p) for p in builtin}
        added = [p for p in phrases if phrase_key(p) not in builtin_keys]
        for phrase in builtin:
            yield f"commands.{name}", phrase, True
        for k, phrase in enumerate(added):
            yield f"commands.{name}[{k}]", phrase, False
    corrections: list[Correction] = [c for s in routine.steps for c in s.corrections]
    corrections += routine.corrections
    for correction in corrections:
        for k, phrase in enumerate(correction.when):
            yield f"{correction.path}.when[{k}]", phrase, False


def vocabulary_problems(
    routine: Routine, vocab: Vocabulary, file: str | None = None
) -> list[RoutineProblem]:
    """One problem per unknown word per phrase, naming the word and a sound-alike if any."""
    file = file if file is not None else str(routine.source or "<routine>")
    problems: list[RoutineProblem] = []
    for path, phrase, builtin in routine_phrases(routine):
        for word in dict.fromkeys(spoken_words(phrase)):
            if word in vocab:
                continue
            where = "the built-in phrase" if builtin else "the phrase"
            message = f'"{word}" in {where} "{phrase}" is not in the {vocab.name} vocabulary'
            alike = vocab.suggest(word)
            message += f'; a word that sounds alike: "{alike}"' if alike else "; use another word"
            problems.append(RoutineProblem(file, path, message))
    return problems
