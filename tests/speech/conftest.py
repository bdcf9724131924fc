"""Speech fixtures: one real pocketsphinx recognizer per session, clips decoded once.

Decoding is the slow part (~40 ms a clip), so every clip is decoded once per
session (`decode_once`), and tests assert on the cached results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support import clips
from voicecoach.coach.intents import all_phrases
from voicecoach.routine import load_routine
from voicecoach.routine.models import Routine
from voicecoach.speech.hypothesis import Hypothesis

CHUNK = 1600  # 50 ms, as a mic delivers


def voices() -> list[tuple[str, int]]:
    """espeak-ng voices (robotic: the hard case) plus flite's CMU voices when installed."""
    out = [("en-us", 150), ("en-us+f2", 170)]
    if clips.have_flite():
        out += [("flite:slt", 0), ("flite:rms", 0)]
    return out


def feed(rec, pcm: bytes) -> list[Hypothesis]:
    out: list[Hypothesis] = []
    for i in range(0, len(pcm), CHUNK):
        out.extend(rec.accept(pcm[i : i + CHUNK]))
    out.extend(rec.flush())
    return out


@pytest.fixture(scope="session")
def squat() -> Routine:
    return load_routine("squat")


@pytest.fixture(scope="session")
def mobility() -> Routine:
    return load_routine("mobility")


@pytest.fixture(scope="session")
def sphinx():
    from voicecoach.speech.sphinx import PocketsphinxRecognizer

    rec = PocketsphinxRecognizer()
    yield rec
    rec.close()


@pytest.fixture(scope="session")
def decode_once(sphinx) -> Iterator[Callable[..., list[Hypothesis]]]:
    """decode(phrases, key, pcm) -> hypotheses, cached by (phrases, key)."""
    cache: dict[tuple, list[Hypothesis]] = {}

    def decode(phrases: tuple[str, ...], key: tuple, pcm: Callable[[], bytes]) -> list[Hypothesis]:
        k = (phrases, key)
        if k not in cache:
            sphinx.reset()
            sphinx.set_phrases(phrases)
            cache[k] = feed(sphinx, pcm())
        return cache[k]

    yield decode


def routine_phrases(*routines: Routine) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for r in routines:
        for p in all_phrases(r):
            seen.setdefault(p, None)
    return tuple(seen)
