"""Spoken numbers, durations, the speech-length estimate, and the JSON-lines records."""

from __future__ import annotations

import json

import pytest

from voicecoach.coach import effect_records, estimate_speech_seconds
from voicecoach.coach.effects import Beep, Finish, Hush, Log, Priority, Say, Show
from voicecoach.coach.words import duration_words, first_sentence, number_words


@pytest.mark.parametrize(("n", "words"), [
    (0, "zero"), (1, "one"), (13, "thirteen"), (20, "twenty"), (42, "forty-two"),
    (100, "one hundred"), (115, "one hundred and fifteen"), (2005, "two thousand and five"),
    (1999, "one thousand nine hundred and ninety-nine"), (12345, "12345"), (-1, "-1"),
])
def test_number_words(n: int, words: str) -> None:
    assert number_words(n) == words


@pytest.mark.parametrize(("seconds", "words"), [
    (0, "0 seconds"), (1, "1 second"), (45, "45 seconds"), (60, "1 minute"),
    (61.4, "1 minute 1 second"), (725, "12 minutes 5 seconds"), (-3, "0 seconds"),
])
def test_duration_words(seconds: float, words: str) -> None:
    assert duration_words(seconds) == words


def test_first_sentence() -> None:
    assert first_sentence("Roll in. Then shift.") == "Roll in."
    assert first_sentence("No full stop") == "No full stop"
    assert first_sentence("Wait! Then go.") == "Wait!"
    assert first_sentence("Weight at 2.5 kg. Then go.") == "Weight at 2.5 kg."


def test_estimate_speech_seconds_grows_with_words_and_shrinks_with_rate() -> None:
    assert estimate_speech_seconds("", 165) == 0.0
    assert estimate_speech_seconds("one", 165) == pytest.approx(0.2 + 60 / 165, abs=1e-3)
    short = estimate_speech_seconds("Roll your heels in.", 165)
    long = estimate_speech_seconds("Roll your heels in, and shift your weight forward.", 165)
    assert long > short
    assert estimate_speech_seconds("Roll your heels in.", 330) < short
    assert estimate_speech_seconds("Hello, there. Friend.", 120) == pytest.approx(
        0.2 + 3 * 0.5 + 3 * 0.25, abs=1e-3)


def test_effect_records_shape() -> None:
    effects = (
        Log("heard", {"text": "next", "intent": "next"}),
        Hush(),
        Say(3, "one", Priority.COUNT, "count", 165, False, 4.5),
        Beep("rep"),
        Show(),
        Finish("done"),
    )
    records = effect_records(effects, 4.00049)
    assert records == [
        {"t": 4.0, "kind": "heard", "text": "next", "intent": "next"},
        {"t": 4.0, "kind": "hush"},
        {"t": 4.0, "kind": "say", "text": "one", "id": 3, "say_kind": "count",
         "priority": "count", "awaited": False},
        {"t": 4.0, "kind": "beep", "beep": "rep"},
    ]
    json.dumps(records)
