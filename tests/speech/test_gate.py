"""The coach never hears itself: coach-like speech through the gated pipeline passes no command."""

from __future__ import annotations

import numpy as np
import pytest

from tests.speech.conftest import CHUNK
from tests.support import clips
from voicecoach.coach.intents import active_phrases
from voicecoach.speech.gate import Listener, MicGate
from voicecoach.speech.hypothesis import Hypothesis

COACH_LINES = (
    "Say next when you are ready.",
    "Stop now and rest. Pain means stop.",
    "I will repeat that. Roll both heels in.",
    "Next step. Push your knees out.",
)


class FakeClock:
    """The gate's clock, advanced by audio time: the test controls when the coach speaks."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _run(listener: Listener, clock: FakeClock, pcm: bytes, speaking: tuple[float, float]) -> list:
    out = []
    for i in range(0, len(pcm), CHUNK):
        clock.t = i / 32000
        if abs(clock.t - speaking[0]) < 1e-9:
            listener.gate.speaking_started(clock.t)
        if abs(clock.t - speaking[1]) < 0.025:
            listener.gate.speaking_ended(clock.t)
        out.extend(listener.feed(pcm[i : i + CHUNK], clock.t))
    return out + listener.flush()


def test_gate_window_and_tail() -> None:
    clock = FakeClock()
    gate = MicGate(tail_s=0.5, clock=clock)
    assert not gate.gated()
    gate.speaking_started(1.0)
    assert gate.gated(1.2) and gate.gated(100.0)  # speaking until told otherwise
    gate.speaking_ended(2.0)
    assert gate.gated(2.4) and not gate.gated(2.6)


@pytest.mark.parametrize("line", COACH_LINES)
@pytest.mark.parametrize("barge_in", [True, False])
def test_coach_speech_passes_no_command(line: str, barge_in: bool, squat, sphinx) -> None:
    clock = FakeClock()
    listener = Listener(sphinx, MicGate(tail_s=0.5, clock=clock), barge_in=barge_in)
    sphinx.reset()
    listener.set_phrases(active_phrases(squat, 0))
    speech = clips.speak(line, "en-us", 165)
    pcm = clips.pad(speech, 0.3, 1.0).tobytes()
    hyps = _run(listener, clock, pcm, speaking=(0.3, 0.3 + speech.size / 16000))
    passed = [h.text for h in hyps if h.text]
    assert passed == [] or (
        barge_in and set(passed) <= {"stop", "pause"} and "stop" in line.lower()
    )
    # Even with barge-in on, the coach saying "stop" must not stop the session: it needs the
    # stricter confidence, and `MicGate.allows` also refuses the coach's own words.
    if barge_in:
        gate = listener.gate
        for h in hyps:
            if h.text:
                assert not gate.allows(h, 0.35, 0.35 + speech.size / 16000) or "stop" not in line


def test_user_after_the_tail_is_heard(squat, sphinx) -> None:
    clock = FakeClock()
    listener = Listener(sphinx, MicGate(tail_s=0.5, clock=clock))
    sphinx.reset()
    listener.set_phrases(active_phrases(squat, 0))
    voice = "flite:slt" if clips.have_flite() else "en-us"
    pcm = clips.pad(clips.speak("next step", voice, 150), 1.5, 1.0).tobytes()
    hyps = _run(listener, clock, pcm, speaking=(0.0, 0.5))  # coach spoke 0-0.5 s, tail to 1.0 s
    assert [h.text for h in hyps if h.text] == ["next step"]


def test_barge_in_rules() -> None:
    gate = MicGate(tail_s=0.5)
    gate.speaking_started(10.0, "Roll both heels in and keep going.")
    gate.speaking_ended(13.0)
    stop = Hypothesis("stop", 0.9)
    assert gate.allows(stop, 11.0, 11.5)  # the person cuts in
    assert not gate.allows(Hypothesis("stop", 0.5), 11.0, 11.5)  # too unsure while we speak
    assert not gate.allows(Hypothesis("next", 0.99), 11.0, 11.5)  # only stop/pause barge in
    assert gate.allows(Hypothesis("next", 0.5), 13.6, 14.0)  # after the tail: anything
    gate.speaking_started(20.0, "Pain means stop.")
    gate.speaking_ended(21.0)
    assert not gate.allows(Hypothesis("stop", 0.99), 20.5, 21.0)  # our own word


def test_the_onset_decides_not_the_overlap() -> None:
    """A person answering just after the tail is heard, though the utterance reaches back."""
    gate = MicGate(tail_s=0.35, lead_s=0.1)
    gate.speaking_started(10.0, "Keep your chest up.")
    gate.speaking_ended(12.0)
    assert gate.allows(Hypothesis("next", 0.5), 12.4, 12.9)
    assert not gate.allows(Hypothesis("next", 0.5), 12.3, 12.9)  # inside the tail
    assert not gate.allows(Hypothesis("next", 0.5), 9.95, 10.5)  # the start is an estimate
    assert gate.allows(Hypothesis("next", 0.5), 9.8, 9.9)  # before the coach spoke


def test_overlapping_utterances_keep_the_gate_shut_until_the_last_ends() -> None:
    gate = MicGate(tail_s=0.35)
    gate.speaking_started(1.0, "Set 2 of 3.")
    gate.speaking_started(1.5, "one")  # a count starts before the announcement's end is reported
    gate.speaking_ended(2.0)
    assert gate.gated(2.5)
    assert not gate.allows(Hypothesis("next", 0.9), 2.5)
    gate.speaking_ended(3.0)
    assert gate.gated(3.2) and not gate.gated(3.4)
    assert gate.own_words(2.0) == frozenset({"set", "2", "of", "3", "one"})
    gate.speaking_ended(3.5)  # an end without a start changes nothing
    assert not gate.gated(3.6)


def test_barge_in_phrases_and_the_coachs_own_words() -> None:
    gate = MicGate()
    gate.speaking_started(0.0, "Roll both heels in and keep going.")
    assert gate.allows(Hypothesis("hold on", 0.9), 1.0)  # every phrase of stop and pause
    assert gate.allows(Hypothesis("i'm done", 0.9), 1.0)
    assert not gate.allows(Hypothesis("skip rest", 0.99), 1.0)
    gate.speaking_ended(3.0)
    gate.speaking_started(10.0, "Say stop the session when you are done.")
    assert not gate.allows(Hypothesis("stop the session", 0.99), 11.0)  # all its words are ours
    assert not gate.allows(Hypothesis("stop", 0.99), 11.0)
    assert gate.allows(Hypothesis("pause", 0.9), 11.0)
    # A phrase that begins with the coach's word is its echo's tail more likely than a
    # person ("Put one foot forward" heard as "one moment" at 0.91, in the loop).
    gate.speaking_ended(13.0)
    gate.speaking_started(20.0, "Put one foot forward and rock your knee.")
    assert not gate.allows(Hypothesis("one moment", 0.95), 21.0)
    assert gate.allows(Hypothesis("hold on", 0.95), 21.0)
    only_stop = MicGate(barge_in=("stop",))
    only_stop.speaking_started(0.0, "Keep going.")
    assert not only_stop.allows(Hypothesis("pause", 0.99), 0.5)


def test_listener_places_utterances_on_the_gates_clock(squat, sphinx) -> None:
    """Onsets come from the recognizer's stream times plus its pre-roll, on the clock of the
    chunks, even for a recognizer that heard other audio before this listener existed."""
    sphinx.reset()
    sphinx.set_phrases(active_phrases(squat, 0))
    for _ in range(20):
        sphinx.accept(bytes(CHUNK))  # a second of earlier audio: the stream clock runs ahead
    clock = FakeClock()
    listener = Listener(sphinx, MicGate(clock=clock))
    listener.set_phrases(active_phrases(squat, 0))
    voice = "flite:slt" if clips.have_flite() else "en-us"
    speech = clips.speak("next step", voice, 150)
    pcm = clips.pad(speech, 2.0, 1.0).tobytes()
    spans = []
    for i in range(0, len(pcm), CHUNK):
        t = 100.0 + (i + CHUNK) / 32000  # when the chunk's last sample arrived
        spans += [(h.text, *listener.span(h)) for h in listener.feed(pcm[i : i + CHUNK], t)]
    spans += [(h.text, *listener.span(h)) for h in listener.flush(100.0 + len(pcm) / 32000)]
    assert [s[0] for s in spans] == ["next step"]
    _, onset, end = spans[0]
    loud = np.nonzero(np.abs(speech.astype(np.float64)) > 100)[0] / 16000  # the voice itself
    assert 102.0 + loud[0] - 0.1 <= onset <= 102.0 + loud[0] + 0.1
    assert 102.0 + loud[-1] - 0.1 <= end <= 102.0 + loud[-1] + 0.1
