"""How a phrase is compared: the one rule every layer (check, coach, speech, keys) shares.

The format says phrases match case-insensitively, with punctuation dropped and
spaces collapsed. Apostrophes are dropped for *matching* too ("im done" typed
on a keyboard is "i'm done"), but kept in `spoken_words`, because speech
dictionaries spell the word "i'm", not "im".
"""

from __future__ import annotations

import re

_NOT_WORD = re.compile(r"[^\w' ]+", re.UNICODE)
_SPACES = re.compile(r"\s+")


def spoken_words(text: str) -> tuple[str, ...]:
    """Lower-case words with punctuation dropped, inner apostrophes kept (for grammars)."""
    cleaned = _NOT_WORD.sub(" ", text.lower().replace("\u2019", "'").replace("_", " "))
    words = (w.strip("'") for w in _SPACES.split(cleaned))
    return tuple(w for w in words if w)


def phrase_key(text: str) -> str:
    """The canonical form two phrases share exactly when the format says they match."""
    return " ".join(w.replace("'", "") for w in spoken_words(text))
