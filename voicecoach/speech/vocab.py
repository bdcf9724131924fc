"""An engine's vocabulary, for `check --engine` and the pre-session check.

A phrase with a word the engine does not know can never be heard, so the
routine layer (voicecoach/routine/vocabulary.py) reports such words with a
suggestion: the closest known spellings (difflib), ranked by how alike they
also sound in the pronunciation dictionary where the engine has one.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from voicecoach.errors import UsageError


@dataclass(frozen=True)
class Vocabulary:
    name: str
    """Engine and source, e.g. "pocketsphinx (cmudict-en-us.dict)"."""
    words: frozenset[str]
    pronunciations: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    """word -> phones, where the engine has them (pocketsphinx)."""

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word.lower() in self.words

    def suggest(self, word: str) -> str | None:
        """A known word spelled most like `word`, preferring one that also sounds like the
        best spelling match (its phones), or None."""
        word = word.lower()
        candidates = difflib.get_close_matches(word, self.words, n=6, cutoff=0.6)
        if not candidates or not self.pronunciations:
            return candidates[0] if candidates else None
        # The top spelling match's phones stand in for the unknown word's sound; among
        # near-equal spellings, the one that sounds most like it wins.
        anchor = self.pronunciations.get(candidates[0], ())

        def score(c: str) -> float:
            sound = difflib.SequenceMatcher(None, anchor, self.pronunciations.get(c, ())).ratio()
            return difflib.SequenceMatcher(None, word, c).ratio() + 0.5 * sound

        return max(candidates, key=score)


def _pocketsphinx() -> Vocabulary:
    from voicecoach.speech.sphinx import EXTRA_DICT, load_dictionary, model_dir

    path = model_dir() / "en-us" / "cmudict-en-us.dict"
    prons = load_dictionary(path)  # the wheel's words, then ours (EXTRA_DICT: "glutes")
    return Vocabulary(f"pocketsphinx ({path.name} + {EXTRA_DICT.name})", frozenset(prons), prons)


def _vosk(model: Path | None) -> Vocabulary | None:
    from voicecoach.speech.models import require_model

    folder = require_model(model)
    words = folder / "graph" / "words.txt"
    if not words.is_file():
        return None  # some models (big ones with a dynamic graph) have no fixed word list
    with open(words, encoding="utf-8") as f:
        vocab = frozenset(
            w
            for line in f
            if (w := line.split()[0] if line.strip() else "") and not w.startswith(("<", "#", "["))
        )
    return Vocabulary(f"vosk ({folder.name})", vocab)


def load_vocabulary(engine: str, model: Path | None = None) -> Vocabulary | None:
    """The engine's word list, or None when it has none (the text engine; some Vosk models).

    "auto" means the engine `make_recognizer("auto")` would pick. A missing
    Vosk model raises ModelMissingError (one line), like starting a session would.
    """
    from voicecoach.speech.engines import choose_engine

    if engine == "auto":
        engine = choose_engine("auto", model).engine
    if engine == "pocketsphinx":
        return _pocketsphinx()
    if engine == "vosk":
        return _vosk(model)
    if engine == "text":
        return None
    raise UsageError(f"unknown engine {engine!r}")
