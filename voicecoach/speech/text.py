"""Typed input as hypotheses: the keyboard fallback, and a scripted engine for UI tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from voicecoach.routine.phrases import phrase_key, spoken_words
from voicecoach.speech.base import Recognizer
from voicecoach.speech.hypothesis import Hypothesis


class TextRecognizer(Recognizer):
    """Ignores audio; `feed_text` turns a typed line into the hypothesis speech would give."""

    name = "text"

    def __init__(self) -> None:
        self._keys: frozenset[str] = frozenset()

    def set_phrases(
        self, phrases: Sequence[str], meanings: Mapping[str, str] | None = None
    ) -> None:
        self._keys = frozenset(phrase_key(p) for p in phrases)

    def feed_text(self, line: str) -> list[Hypothesis]:
        words = " ".join(spoken_words(line))
        if not words:
            return []
        ok = phrase_key(words) in self._keys
        return [
            Hypothesis(
                text=words if ok else "",
                confidence=1.0 if ok else 0.0,
                raw=words,
                reason="" if ok else "not-a-phrase",
            )
        ]

    def accept(self, pcm: bytes) -> list[Hypothesis]:
        return []

    def flush(self) -> list[Hypothesis]:
        return []

    def reset(self) -> None:
        pass
