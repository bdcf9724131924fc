"""A command is not taken from the middle of talk (`Listener.after_talk_s`).

Real recognizer, generated voices: someone's sentence (not a command) and then a
command, with a pause between them shorter or longer than the rule's.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.speech.conftest import CHUNK
from tests.support import clips
from voicecoach.coach.intents import active_phrases
from voicecoach.speech.gate import AFTER_TALK_S, Listener, MicGate
from voicecoach.speech.hypothesis import Hypothesis

TALK = "I think the weather is nice today, and my friend is coming over later"
COMMAND = "repeat"


def _stream(pause_s: float) -> bytes:
    talk = clips.speak(TALK, "en-us", 165)
    command = clips.speak(COMMAND, "en-us", 150)
    silence = np.zeros(int(pause_s * 16000), np.int16)
    return clips.pad(np.concatenate([talk, silence, command]), 0.5, 1.0).tobytes()


@pytest.fixture
def listen(squat, sphinx):
    def run(pcm: bytes, after_talk_s: float = AFTER_TALK_S) -> list[Hypothesis]:
        sphinx.reset()
        listener = Listener(sphinx, MicGate(clock=lambda: 0.0), after_talk_s=after_talk_s)
        listener.set_phrases(active_phrases(squat, 0))
        return listener.hear_recording(pcm, CHUNK)

    return run


def test_a_command_right_after_talk_is_not_taken(listen) -> None:
    hyps = listen(_stream(0.6))
    assert [h.text for h in hyps if h.text] == []
    assert [h.raw for h in hyps if h.reason == "after-talk"] == [COMMAND]
    # The same audio with the rule off: the command is heard, so the rule is what rejected it.
    assert [h.text for h in listen(_stream(0.6), after_talk_s=0.0) if h.text] == [COMMAND]


def test_a_command_after_a_pause_is_heard(listen) -> None:
    hyps = listen(_stream(AFTER_TALK_S + 0.5))
    assert [h.text for h in hyps if h.text] == [COMMAND]
    assert not any(h.in_talk for h in hyps if h.text)


def test_words_inside_talk_are_marked_as_talk(listen) -> None:
    """A sentence is several utterances; all but the first begin amid talk (so the
    session does not count them as missed commands), and so does the command after it."""
    hyps = [h for h in listen(_stream(0.6)) if h.raw]
    assert len(hyps) >= 2
    assert not hyps[0].in_talk  # the first words: nothing came before them
    assert all(h.in_talk for h in hyps[1:])


def test_the_coachs_own_speech_is_not_talk(squat, sphinx) -> None:
    """An answer just after the coach (whose echo the mic heard) is heard."""
    sphinx.reset()
    gate = MicGate(tail_s=0.35, clock=lambda: 0.0)
    listener = Listener(sphinx, gate)
    listener.set_phrases(active_phrases(squat, 0))
    coach = clips.speak(TALK, "en-us", 165)
    answer = clips.speak(COMMAND, "en-us", 150)
    pcm = clips.pad(np.concatenate([coach, np.zeros(int(0.6 * 16000), np.int16), answer]),
                    0.5, 1.0).tobytes()
    gate.speaking_started(0.5, TALK)
    gate.speaking_ended(0.5 + coach.size / 16000)
    hyps = listener.hear_recording(pcm, CHUNK)
    assert any(h.raw and not h.text for h in hyps)  # the coach's echo was decoded, rejected
    assert [h.text for h in hyps if h.text] == [COMMAND]
