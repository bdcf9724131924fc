"""`check --engine`'s engine-independent half: every phrase's words against a vocabulary.

The speech layer's real `load_vocabulary` may not be importable yet, so these
tests use a tiny hand-written vocabulary (a fake on purpose: it makes the
expected messages exact); test_builtin_routines.py checks the shipped routines
against the real CMU dictionary.
"""

from __future__ import annotations

from voicecoach.routine import loads_routine
from voicecoach.routine.vocabulary import vocabulary_problems

ROUTINE = """\
format = 1
[routine]
name = "Vocab"
[commands]
next = ["onwards", "ready"]
[[steps]]
id = "one"
title = "One"
cue = "Go."
[[steps.corrections]]
when = ["my glutes ache", "it aches"]
say = "Rest."
[[corrections]]
when = "ouchie"
say = "Stop."
then = "pause"
"""


class SmallVocabulary:
    """Every built-in command word and a few more; only "glutes" has a sound-alike."""

    name = "tiny"

    def __init__(self) -> None:
        words = """next step go on back previous repeat say that again pause hold one moment
            resume carry let's stop the session i'm done why is help what can i status where am
            slower slow down faster speed up skip rest ready my ache it aches"""
        self.words = set(words.split())

    def __contains__(self, word: object) -> bool:
        return word in self.words

    def suggest(self, word: str) -> str | None:
        return {"glutes": "gluts"}.get(word)


def test_every_unknown_word_is_named_with_its_phrase_and_path() -> None:
    routine = loads_routine(ROUTINE, "vocab.toml")
    lines = [str(p) for p in vocabulary_problems(routine, SmallVocabulary(), "vocab.toml")]
    assert lines == [
        'vocab.toml: commands.next[0]: "onwards" in the phrase "onwards" is not in the tiny '
        "vocabulary; use another word",
        'vocab.toml: steps[0].corrections[0].when[0]: "glutes" in the phrase "my glutes ache" '
        'is not in the tiny vocabulary; a word that sounds alike: "gluts"',
        'vocab.toml: corrections[0].when[0]: "ouchie" in the phrase "ouchie" is not in the tiny '
        "vocabulary; use another word",
    ]


def test_built_in_phrases_are_checked_too() -> None:
    routine = loads_routine(ROUTINE, "vocab.toml")
    vocab = SmallVocabulary()
    vocab.words = vocab.words - {"previous"}
    problems = vocabulary_problems(routine, vocab, "vocab.toml")
    assert any(p.path == "commands.back" and "built-in phrase" in p.message for p in problems)
