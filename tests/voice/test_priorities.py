"""Who interrupts whom, on the real engine and loop (rules: voicecoach/voice/speaker.py)."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from tests.support.pulse import PulseLoop
from tests.voice.conftest import SpeakerFactory
from voicecoach.coach.effects import Priority, Say

pytestmark = pytest.mark.audio

LONG = "Stand tall with your feet shoulder width apart and your toes turned slightly out."
MEDIUM = "Chest up, knees out."
SHORT = "Good."


def test_one_batch_plays_in_order(audio_loop: PulseLoop, make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker()
    speaker.say(Say(1, "Set two of three.", Priority.CUE, awaited=True))
    speaker.say(Say(2, "Squat.", Priority.CUE, awaited=True))
    assert events.wait_end(2)[1]
    assert events.order() == [("start", 1), ("end", 1), ("start", 2), ("end", 2)]
    assert all(completed for _t, completed in events.ends().values())


def test_lower_priority_waits(audio_loop: PulseLoop, make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker()
    speaker.say(Say(1, "Heels down.", Priority.CORRECTION, awaited=True))
    events.wait_start(1)
    time.sleep(0.1)
    speaker.say(Say(2, SHORT, Priority.INFO, awaited=True))
    assert events.wait_end(2)[1]
    assert events.order() == [("start", 1), ("end", 1), ("start", 2), ("end", 2)]
    assert events.ends()[1][1]


def test_newer_equal_priority_replaces(audio_loop: PulseLoop, make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker()
    speaker.say(Say(1, LONG, Priority.CUE, awaited=True))
    events.wait_start(1)
    time.sleep(0.2)
    speaker.say(Say(2, SHORT, Priority.CUE, awaited=True))
    assert events.wait_end(2)[1]
    assert events.ends()[1][1] is False
    assert events.order() == [("start", 1), ("end", 1), ("start", 2), ("end", 2)]


def test_safety_cuts_and_drops_the_queue(audio_loop: PulseLoop,
                                         make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker()
    speaker.say(Say(1, LONG, Priority.CORRECTION, awaited=True))
    speaker.say(Say(2, "Then stand up.", Priority.CORRECTION, awaited=True))  # same batch: queued
    events.wait_start(1)
    time.sleep(0.2)
    speaker.say(Say(3, "Stop. Sit down and rest.", Priority.SAFETY, awaited=True))
    assert events.wait_end(3)[1]
    ends = events.ends()
    assert ends[1][1] is False and ends[2][1] is False
    assert 2 not in events.starts()
    order = events.order()
    assert order.index(("end", 1)) < order.index(("start", 3))  # the gate never sees a gap
    assert order[-2:] == [("start", 3), ("end", 3)]


def test_count_that_would_wait_is_dropped(audio_loop: PulseLoop,
                                          make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker()
    speaker.say(Say(1, MEDIUM, Priority.CUE, awaited=True))
    events.wait_start(1)
    time.sleep(0.1)
    speaker.say(Say(2, "three", Priority.COUNT, kind="count", expires_at=time.monotonic() + 5))
    _t, completed = events.wait_end(2, timeout=1.0)
    assert not completed
    assert 2 not in events.starts()
    assert events.wait_end(1)[1]  # the cue was not disturbed
    assert speaker.stats.late_counts == [2]


def test_expired_count_is_dropped(audio_loop: PulseLoop, make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker()
    speaker.say(Say(1, "four", Priority.COUNT, kind="count", expires_at=time.monotonic() - 0.01))
    speaker.say(Say(2, "five", Priority.COUNT, kind="count", expires_at=time.monotonic() + 5))
    assert events.wait_end(1)[1] is False
    assert events.wait_end(2)[1] is True
    assert 1 not in events.starts()


def test_new_count_replaces_old_count(audio_loop: PulseLoop, make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker()
    speaker.say(Say(1, "twenty seven", Priority.COUNT, kind="count"))
    events.wait_start(1)
    time.sleep(0.1)
    speaker.say(Say(2, "twenty eight", Priority.COUNT, kind="count"))
    assert events.wait_end(2)[1]
    assert events.ends()[1][1] is False


def test_hush_ends_everything_once(audio_loop: PulseLoop, make_speaker: SpeakerFactory) -> None:
    speaker, events = make_speaker()
    for i in range(1, 4):
        speaker.say(Say(i, f"{LONG} Number {i}.", Priority.CUE, awaited=True))
    events.wait_start(1)
    speaker.hush()
    for i in range(1, 4):
        assert events.wait_end(i)[1] is False
    assert list(events.starts()) == [1]
    assert speaker.wait_idle(5)


def test_every_say_ends_exactly_once(audio_loop: PulseLoop, make_speaker: SpeakerFactory) -> None:
    """A burst of mixed priorities, hushes and late counts: no Say is lost or ended twice."""
    speaker, events = make_speaker()
    now = time.monotonic()
    plan = [
        Say(1, "One.", Priority.INFO, awaited=True),
        Say(2, "two", Priority.COUNT, expires_at=now + 0.05),
        Say(3, "Heels down.", Priority.CORRECTION, awaited=True),
        Say(4, "Next step.", Priority.CUE, awaited=True),
        Say(5, "Stop.", Priority.SAFETY, awaited=True),
        Say(6, "Rest.", Priority.INFO, awaited=True),
    ]
    for i, effect in enumerate(plan):
        speaker.say(effect)
        if i == 3:
            speaker.hush()
        time.sleep(0.07)
    for effect in plan:
        events.wait_end(effect.id)
    assert speaker.wait_idle(10)
    counts = Counter(e[1] for e in events.log if e[0] == "end")
    assert counts == Counter({s.id: 1 for s in plan})
    # every start has its end after it
    for say_id, t_start in events.starts().items():
        assert events.order().index(("start", say_id)) < events.order().index(("end", say_id))
        assert events.ends()[say_id][0] >= t_start
