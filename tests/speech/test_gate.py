"""The coach never hears itself: coach-like speech through the gated pipeline passes no command."""

from __future__ import annotations

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
    # stricter confidence, and the app's SimpleGate/`allows` also refuses the coach's own words.
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
