"""The guided enrollment's plan for the real squat routine: what is said, and how long it takes."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicecoach.commands.enroll_live import TONE, estimate_s, plan, spoken_s
from voicecoach.routine import load_routine


def test_squat_plan_prompts_each_phrase_once_then_blips() -> None:
    prompts = plan(load_routine("squat"))
    phrases = [p for p in prompts if p.text is not None]
    assert [p.takes for p in phrases if p.text == "next"] == [3]
    assert all(p.takes == 2 for p in phrases if len(p.text.split()) > 2)  # type: ignore[union-attr]
    nxt = next(p for p in phrases if p.text == "next")
    assert [nxt.spoken(n) for n in range(3)] == ["Say: next", TONE, TONE]
    negatives = [p.source for p in prompts if p.text is None]
    assert negatives == ["room", "talk 1", "talk 2", "talk 3"]


def test_squat_enrollment_estimate_is_what_the_docs_quote() -> None:
    # README "Enrollment" and bench/enroll.md quote this estimate (about 3.4 minutes).
    minutes = estimate_s(plan(load_routine("squat"))) / 60
    assert 3.0 <= minutes <= 4.0, minutes
    assert abs(spoken_s("Say: my heels are lifting") - 1.76) < 0.2  # espeak-ng's rendering


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
