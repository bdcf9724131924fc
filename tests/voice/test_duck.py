"""Yielding the floor: the speaker's duck and pause on the real engine and the real loop.

Why these matter (bench/echo.md, fifth round): with the sound server's canceller, a
command said over the coach is heard far more often when the coach goes quiet as soon as
the person starts; that only works if the drop reaches the loop at once (not after the
0.1 s queue), and if the voice comes back, whole, when nobody took the floor after all.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from tests.support.pulse import PulseLoop
from tests.voice.conftest import SpeakerFactory
from voicecoach.coach.effects import Priority, Say
from voicecoach.voice.engine import EspeakEngine
from voicecoach.voice.speaker import phrase_start

pytestmark = pytest.mark.audio

LONG_CUE = ("Keep your weight over the middle of your feet, breathe out as you stand up, "
            "all the way to the top, and squeeze your glutes before the next rep.")
DROP = 0.1
"""Seconds within which a duck or a pause reaches the loop (as a hush does)."""


def _rms(rec: object, t0: float, t1: float) -> float:
    data, times = rec.snapshot()  # type: ignore[attr-defined]
    sel = data[(times >= t0) & (times < t1)].astype(np.float64)
    return float(np.sqrt(np.mean(sel ** 2))) if sel.size else 0.0


def _duck_during_cue(speaker: Any, events: Any, gain: float, after_s: float,
                     for_s: float) -> tuple[float, float, bool]:
    """Say the long cue; `after_s` into it duck to `gain` for `for_s`, then back to 1.0.
    (duck time, back time, whether the cue then played to its end)."""
    speaker.say(Say(1, LONG_CUE, Priority.CUE, awaited=True))
    events.wait_start(1)
    time.sleep(after_s)
    t_duck = time.monotonic()
    speaker.duck(gain)
    time.sleep(for_s)
    t_back = time.monotonic()
    speaker.duck(1.0)
    _, completed = events.wait_end(1, timeout=20)
    return t_duck, t_back, completed


def test_duck_drops_the_voice_at_once_and_brings_it_back(
        audio_loop: PulseLoop, make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker()
    with audio_loop.record() as rec:
        t_duck, t_back, completed = _duck_during_cue(speaker, events, 0.1, 1.0, 1.2)
        assert rec.wait_until(t_back + 0.8)
    assert completed  # a duck is not a cut: the cue goes on to its end
    before = _rms(rec, t_duck - 0.8, t_duck)
    ducked = _rms(rec, t_duck + DROP + 0.05, t_back)
    after = _rms(rec, t_back + DROP + 0.05, t_back + 0.8)
    print(f"\nvoice {20 * np.log10(before):.1f} dBFS, ducked {20 * np.log10(ducked):.1f}, "
          f"back {20 * np.log10(after):.1f}; drops {speaker.stats.ducks}")
    assert ducked < before / 5  # -20 dB asked; speech varies, so at least -14 dB
    assert after > ducked * 5
    gains = [g for g, _ in speaker.stats.ducks]
    assert gains == [0.1, 1.0]
    assert speaker.stats.ducks[0][1] - t_duck < DROP


def test_pause_goes_on_from_the_start_of_the_phrase(
        audio_loop: PulseLoop, make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker()
    with audio_loop.record() as rec:
        t_pause, t_resume, completed = _duck_during_cue(speaker, events, 0.0, 1.5, 1.0)
    assert completed
    assert rec.peak_between(t_pause + DROP, t_resume) < 0.01  # silent while paused
    assert rec.first_sound_after(t_resume) is not None
    # The whole cue played once, plus the repeated start of the paused phrase: longer than
    # the cue, by less than what had been said before the pause.
    spans = rec.sound_spans(min_gap=0.6)
    assert len(spans) == 2, spans
    assert spans[0][1] - t_pause < DROP + 0.05


def test_hush_while_paused_ends_the_utterance(audio_loop: PulseLoop,
                                              make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker()
    with audio_loop.record() as rec:
        speaker.say(Say(1, LONG_CUE, Priority.CUE, awaited=True))
        events.wait_start(1)
        time.sleep(0.8)
        speaker.duck(0.0)
        time.sleep(0.3)
        t_hush = time.monotonic()
        speaker.hush()
        _, completed = events.wait_end(1)
        speaker.say(Say(2, "Next.", Priority.CUE, awaited=True))
        _, done = events.wait_end(2)
        assert rec.wait_until(time.monotonic() + 0.2)
    assert not completed and done
    assert rec.peak_between(t_hush, events.starts()[2] - 0.02) < 0.01
    assert rec.peak_between(events.starts()[2], events.ends()[2][0] + 0.05) > 0.05  # full voice


def test_phrase_start_is_the_last_pause_of_the_voice() -> None:
    clip = EspeakEngine().render("Sit back and down, chest up. Now stand.", "en-us", 165)
    samples, rate = clip.samples, clip.rate
    # In the middle of "chest up": back to just before "chest" (after the comma's pause).
    words = np.flatnonzero(np.abs(samples) > 0.02)
    middle = int(words[-1] * 0.55)
    start = phrase_start(samples, middle, rate)
    assert 0 < start < middle
    assert np.abs(samples[start:start + rate // 20]).max() < 0.02  # it starts in the pause
    assert phrase_start(samples, rate // 10, rate) == 0  # first phrase: from the start
