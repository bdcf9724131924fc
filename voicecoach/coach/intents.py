"""From words to meaning: which phrases are valid where, and what a heard text means.

Pure and shared: the coach uses it to scope corrections, speech uses it to
build grammars (`active_phrases`) and `transcribe` (`all_phrases`), the TUI
uses it for "you can say: ...", and keys produce the same `Intent`s.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from voicecoach.routine.models import Correction, Routine
from voicecoach.routine.phrases import phrase_key

CORRECTION = "correction"


@dataclass(frozen=True)
class Intent:
    """What an utterance means: a built-in command or a correction."""

    kind: str
    """A command name (`next`, `skip_rest`, ...) or `correction`."""
    phrase: str
    """The phrase as written (in the routine, or the built-in table) that matched."""
    correction: Correction | None = None
    from_step: str | None = None
    """Set when the correction belongs to another step than the one `match` was asked about:
    that step's id (the nearest step that knows the phrase; see `match`)."""

    @property
    def meaning(self) -> str:
        """Equal for two intents exactly when the coach answers them alike: the phrase aside
        ("i'm falling back" and "i'm falling backwards" are one correction)."""
        return f"{CORRECTION} {self.correction.path}" if self.correction else self.kind

    @classmethod
    def command(cls, name: str, phrase: str | None = None) -> Intent:
        """An intent for a key press or a typed command name."""
        return cls(kind=name, phrase=phrase if phrase is not None else name.replace("_", " "))


@lru_cache(maxsize=64)
def _book(routine: Routine, step_index: int | None) -> dict[str, Intent]:
    """phrase_key -> Intent for one scope (a step), or for every step when None.

    Order matters only for the `None` (all steps) book, where one phrase may mean
    different corrections in different steps: the first step's wins, which is
    what `transcribe` reports.
    """
    book: dict[str, Intent] = {}
    for name, phrases in routine.commands.items():
        for phrase in phrases:
            book.setdefault(phrase_key(phrase), Intent(name, phrase))
    steps = routine.steps if step_index is None else (routine.steps[step_index],)
    scoped = [c for s in steps for c in s.corrections] + list(routine.corrections)
    for correction in scoped:
        for phrase in correction.when:
            book.setdefault(phrase_key(phrase), Intent(CORRECTION, phrase, correction))
    return book


@lru_cache(maxsize=64)
def _nearest_book(routine: Routine, step_index: int) -> dict[str, Intent]:
    """phrase_key -> the correction of the nearest *other* step that has the phrase.

    The rule for a correction the routine knows but this step does not: it must
    never vanish. The nearest step by distance answers (on a tie, the earlier
    one: advice the person has already been given). Phrases of this step's own
    scope (its corrections, the global ones, the commands) are not in here.
    """
    own = _book(routine, step_index)
    order = sorted((i for i in range(len(routine.steps)) if i != step_index),
                   key=lambda i: (abs(i - step_index), i))
    book: dict[str, Intent] = {}
    for i in order:
        step = routine.steps[i]
        for correction in step.corrections:
            for phrase in correction.when:
                key = phrase_key(phrase)
                if key not in own:
                    book.setdefault(key, Intent(CORRECTION, phrase, correction, step.id))
    return book


def match(routine: Routine, step_index: int | None, text: str) -> Intent | None:
    """The intent `text` has in step `step_index` (None: any step), or None if it has none.

    A correction phrase of another step still matches (`Intent.from_step` says
    whose): the nearest step that has it answers. Only words the routine does not
    know at all give None.
    """
    key = phrase_key(text)
    found = _book(routine, step_index).get(key)
    if found is None and step_index is not None:
        found = _nearest_book(routine, step_index).get(key)
    return found


def active_phrases(routine: Routine, step_index: int | None) -> tuple[str, ...]:
    """Every phrase of this step's own scope (None: of any step), as written, without repeats.

    What the screen suggests; the recognizer listens for `listen_phrases`.
    """
    return tuple(intent.phrase for intent in _book(routine, step_index).values())


def listen_phrases(routine: Routine, step_index: int | None) -> tuple[str, ...]:
    """What the recognizer listens for in this step: its own scope first, then every
    correction of the other steps (answered by the nearest step that has it)."""
    own = active_phrases(routine, step_index)
    if step_index is None:
        return own
    return own + tuple(i.phrase for i in _nearest_book(routine, step_index).values())


def listen_meanings(routine: Routine, step_index: int | None) -> dict[str, str]:
    """`phrase_meanings` for `listen_phrases`."""
    meanings = phrase_meanings(routine, step_index)
    if step_index is not None:
        for intent in _nearest_book(routine, step_index).values():
            meanings[intent.phrase] = intent.meaning
    return meanings


def phrase_meanings(routine: Routine, step_index: int | None) -> dict[str, str]:
    """Each active phrase (as written) -> a label that is equal exactly when two phrases mean
    the same thing. The recognizer uses it to decide "stop" without waiting to hear whether
    "the session" follows: both mean stop, so there is nothing to wait for."""
    return {intent.phrase: intent.meaning for intent in _book(routine, step_index).values()}


def all_phrases(routine: Routine) -> tuple[str, ...]:
    return active_phrases(routine, None)
