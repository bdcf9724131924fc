"""The speaker on the real engine and the real loop: when sound starts and stops, and cuts.

Tolerances are the mic gate's (a ~0.5 s tail after our own voice): the gate
is safe as long as on_start/on_end are within a fraction of that. The actual
errors are printed (run with -s) and measured properly in scripts/bench_voice.py.
"""

from __future__ import annotations

import time

import pytest

from tests.support.pulse import PulseLoop
from tests.voice.conftest import SpeakerFactory
from voicecoach.coach.effects import Priority, Say

pytestmark = pytest.mark.audio

GATE_TOLERANCE = 0.25
"""Seconds: half the gate's 0.5 s tail."""
CUT = 0.1
"""Seconds within which a hush or a more urgent utterance silences the current one."""


def test_start_and_end_match_the_sound(audio_loop: PulseLoop, make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker()
    with audio_loop.record() as rec:
        rec.wait_until(time.monotonic() + 0.05)
        speaker.say(Say(1, "Sit back and down, chest up.", Priority.CUE, awaited=True))
        t_end, completed = events.wait_end(1)
        t_start = events.starts()[1]
        assert rec.wait_until(t_end + 0.3)
    assert completed
    spans = rec.sound_spans(min_gap=0.4)
    assert len(spans) == 1, spans
    heard_start, heard_end = spans[0]
    print(f"\non_start error {heard_start - t_start:+.3f} s, "
          f"on_end error {heard_end - t_end:+.3f} s")
    assert abs(heard_start - t_start) < GATE_TOLERANCE
    assert abs(heard_end - t_end) < GATE_TOLERANCE


def test_hush_cuts_within_100ms(audio_loop: PulseLoop, make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker()
    with audio_loop.record() as rec:
        speaker.say(Say(1, "Keep your weight over the middle of your feet and breathe out "
                           "as you stand up, all the way to the top.", Priority.CUE, awaited=True))
        events.wait_start(1)
        time.sleep(0.6)
        t_hush = time.monotonic()
        speaker.hush()
        t_end, completed = events.wait_end(1)
        assert rec.wait_until(t_hush + 1.0)
    assert not completed
    last = rec.last_sound_after(t_hush - 0.2)
    assert last is not None  # it was speaking when hushed
    print(f"\nhush -> silence in the loop: {last - t_hush:.3f} s "
          f"(on_end said {t_end - t_hush:.3f} s)")
    assert last - t_hush < CUT + 0.05  # + the recorder's own input latency
    assert rec.peak_between(t_hush + CUT + 0.05, t_hush + 1.0) < 0.01


def test_correction_cuts_a_cue(audio_loop: PulseLoop, make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker()
    with audio_loop.record() as rec:
        speaker.say(Say(1, "Lower yourself slowly, counting two seconds on the way down, "
                           "and keep your knees over your toes.", Priority.CUE, awaited=True))
        events.wait_start(1)
        time.sleep(0.4)
        t_new = time.monotonic()
        speaker.say(Say(2, "Push your knees out.", Priority.CORRECTION, awaited=True))
        t_cut, completed = events.wait_end(1)
        t2 = events.wait_start(2)
        events.wait_end(2)
    assert not completed
    assert events.order()[:4] == [("start", 1), ("end", 1), ("start", 2), ("end", 2)]
    print(f"\ncorrection: cue ended {t_cut - t_new:.3f} s after, correction sounded "
          f"{t2 - t_new:.3f} s after it was said")
    assert t2 - t_new < 1.0
    # between the cut and the correction the loop goes quiet (the cue is really gone)
    assert rec.peak_between(t_cut + 0.05, t2 - 0.02) < 0.01


def test_beep_reaches_the_loop(audio_loop: PulseLoop, make_speaker: SpeakerFactory) -> None:
    speaker, _events = make_speaker()
    with audio_loop.record() as rec:
        rec.wait_until(time.monotonic() + 0.05)
        t0 = time.monotonic()
        speaker.beep("rep")
        heard = rec.wait_for_sound(timeout=5, after=t0)
        assert heard is not None
        assert rec.wait_until(heard + 0.3)
    start, end = rec.sound_spans()[0]
    assert end - start == pytest.approx(0.08, abs=0.03)
