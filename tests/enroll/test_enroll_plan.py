"""The guided enrollment's plan for the real squat routine: what is said, and how long it takes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voicecoach.commands.enroll_live import (
    GAP_GUARD_S,
    MID_SET,
    NOISE_S,
    TONE,
    _quiet_around,
    estimate_s,
    gap_s,
    plan,
    spoken_s,
)
from voicecoach.routine import load_routine


def test_squat_plan_prompts_each_phrase_once_then_blips() -> None:
    prompts = plan(load_routine("squat"))
    phrases = [p for p in prompts if p.text is not None]
    takes = {p.text: p.takes for p in phrases}
    # Three takes of what a lifter says mid-set, two of the rest and of each correction.
    assert [w for w, n in takes.items() if n == 3] == list(MID_SET)
    assert takes["help"] == takes["status"] == takes["skip rest"] == 2
    assert all(p.takes == 2 for p in phrases if len(p.text.split()) > 2)  # type: ignore[union-attr]
    # "Say after me" once; then the coach says each phrase bare, and a blip asks again.
    nxt, back = phrases[0], phrases[1]
    assert [nxt.spoken(n) for n in range(3)] == ["Say after me: next", TONE, TONE]
    assert [back.spoken(n) for n in range(2)] == ["back", TONE]
    assert nxt.say == "Say: next"  # the screen, and a take asked again
    negatives = [p for p in prompts if p.text is None]
    assert [p.source for p in negatives] == ["talk 1", "talk 2", "talk 3", "room"]
    assert [p.spoken(0) for p in negatives[1:3]] == [TONE, TONE]


def test_squat_enrollment_estimate_is_what_the_docs_quote() -> None:
    # README "Enrollment" and bench/enroll.md quote this estimate (about 2.2 minutes).
    prompts = plan(load_routine("squat"))
    minutes = estimate_s(prompts) / 60
    assert 1.9 <= minutes <= 2.2, minutes
    assert abs(spoken_s("Say: my heels are lifting") - 1.76) < 0.2  # espeak-ng's rendering
    # The quiet around the takes gives the room noise: no 20 s wait at the end.
    assert sum(gap_s(p) * p.takes for p in prompts if p.source != "room") >= NOISE_S
    assert estimate_s(prompts[:-1]) == estimate_s(prompts)


def test_quiet_around_a_take_is_room_noise_clear_of_the_speech() -> None:
    rng = np.random.default_rng(1)
    room = (rng.normal(0, 30, 16000)).astype("<i2")  # 1 s of quiet room, about -60 dBFS
    word = (8000 * np.sin(np.arange(8000) * 0.2)).astype("<i2")  # 0.5 s, loud
    pcm = np.concatenate([room[:8000], word, room[8000:]]).tobytes()
    quiet = _quiet_around(pcm)
    assert abs(len(quiet) / 16000 - (1.0 - 2 * GAP_GUARD_S)) < 0.03
    assert np.abs(quiet).max() < 500  # none of the word
    assert _quiet_around(b"").size == 0


def test_a_finished_enrollment_needs_no_mic_to_re_fit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every take already stored (e.g. after an upgrade that asks to re-fit): `run` records
    # nothing and never opens the mic, which here does not exist.
    from voicecoach.commands.enroll_live import LiveEnrollment, Prompt
    from voicecoach.speech.audio import MicSource
    from voicecoach.speech.enrollment import Take, TakeStore

    monkeypatch.setenv("VOICECOACH_DATA_DIR", str(tmp_path))
    TakeStore("ann").add(Take(b"\0\0" * 8000, "yes", "mic"))
    lines: list[str] = []
    session = LiveEnrollment("ann", [Prompt("yes", 1, "Say: yes")], MicSource("no-such-mic"),
                             speak=lambda text: None, show=lines.append)
    assert session.run() == 0
    assert lines == ["resuming: 1 takes already recorded"]
