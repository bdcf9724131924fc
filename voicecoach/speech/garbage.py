"""The garbage path: ordinary words that compete with the commands inside the grammar.

A grammar of commands alone forces every sound onto some command: measured on
real people (Speech Commands words), a bare grammar took 94 % of out-of-grammar
words ("tree", "dog", "happy") for commands. Checks on the alignment alone could
not tell them apart without throwing away a third of the real commands, because a
real speaker's command and a real non-command look alike to them.

So the grammar itself gets an alternative: one of the most frequent English words
(from pocketsphinx's own language model, `data/common-words.txt`). An utterance that
a common word explains better than any command is not a command. A word that sounds
like a phrase word (within `max_distance` phone edits: "know" for "no", "to" for
"two") is left out, or it would steal the command it sounds like. One word, not a
loop: a loop of words made the search 20-40x slower; longer talk is caught by the
alignment checks (sphinx.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def common_words() -> tuple[str, ...]:
    """Most frequent first; comments and blank lines skipped."""
    text = resources.files("voicecoach.speech").joinpath("data/common-words.txt").read_text()
    return tuple(w for w in (line.strip() for line in text.splitlines()) if w and w[0] != "#")


def _near_keys(phones: tuple[str, ...], max_distance: int) -> set[tuple[str, ...]]:
    """The sequence and, for distance 1, each of its one-phone deletions.

    Two sequences within one edit share a key (the symmetric-delete trick: equal,
    one a deletion of the other, or one substitution, which deleting that position
    from both makes equal), so nearness is a set intersection, not a table per pair.
    It also counts a swap of two neighbouring phones as near, which is harmless here.
    """
    keys = {phones}
    if max_distance >= 1:
        keys |= {phones[:i] + phones[i + 1 :] for i in range(len(phones))}
    return keys


def garbage_words(
    candidates: Iterable[str],
    pronounce: Mapping[str, Sequence[str]],
    phrase_words: Iterable[str],
    count: int,
    max_distance: int = 1,
) -> list[str]:
    """The first `count` candidates that are not phrase words and sound like none of them.

    `pronounce` maps a word to its pronunciations (phones, space-separated); a
    candidate without one is skipped. `max_distance` is 0 (only same-sounding words
    are left out) or 1 (also words one phone away).
    """
    targets = set(phrase_words)
    near: set[tuple[str, ...]] = set()
    for word in targets:
        for pron in pronounce.get(word, ()):
            near |= _near_keys(tuple(pron.split()), max_distance)
    out: list[str] = []
    for word in candidates:
        if len(out) >= count:
            break
        if word in targets or word not in pronounce:
            continue
        if any(_near_keys(tuple(p.split()), max_distance) & near for p in pronounce[word]):
            continue
        out.append(word)
    return out
