"""End to end through real audio: the real `voicecoach run` with Pocketsphinx in a PulseAudio loop.

The coach speaks into the null sink and listens to its monitor; the test
plays espeak-ng clips of a person's commands into the same sink, each after
the coach has gone quiet (as a person would), and reads the outcome back from
the run's event log. Nothing is mocked: real recognizer, real speaker, real
mic stream, real coach.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.app.e2e import REPO, CoachRun, accepted_without_a_person, start_run
from tests.support.pulse import PulseLoop, audio_loop  # noqa: F401 (the fixture)

pytestmark = [pytest.mark.audio, pytest.mark.timeout(240)]

SHORT = str(REPO / "tests" / "data" / "routines" / "e2e-short.toml")


def _speech_ready() -> str | None:
    try:
        from voicecoach import speech
    except ImportError as exc:
        return f"voicecoach.speech not importable: {exc}"
    if not hasattr(speech, "make_recognizer"):
        return "voicecoach.speech.make_recognizer not available yet"
    return None


@pytest.fixture
def coach(audio_loop: PulseLoop, tmp_path: Path) -> Iterator[Any]:  # noqa: F811
    reason = _speech_ready()
    if reason:
        pytest.skip(reason)
    runs: list[CoachRun] = []

    def start(routine: str, *extra: str) -> CoachRun:
        run = start_run(routine, tmp_path / f"events-{len(runs)}.jsonl", dict(os.environ),
                        *extra)
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.kill()


def _heard(run: CoachRun, after: int, text: str, timeout: float = 10.0) -> dict[str, Any]:
    return run.wait_record(lambda r: r["kind"] == "heard" and r.get("source") == "voice"
                           and r.get("outcome") == "accepted", timeout, after)


def test_a_short_routine_by_voice_from_start_to_end(coach: Any) -> None:
    run = coach(SHORT)
    run.wait_record(lambda r: r["kind"] == "ready", timeout=20)
    run.wait_quiet()

    # "repeat" repeats the cue.
    mark = len(run.records())
    run.say("repeat")
    assert _heard(run, mark, "repeat")["intent"] == "repeat"
    run.wait_record(lambda r: r["kind"] == "say" and r["text"].startswith("Stand tall"), 10, mark)
    run.wait_quiet()

    # A correction phrase in its step gets its answer.
    mark = len(run.records())
    run.say("my heels are lifting")
    heard = _heard(run, mark, "my heels are lifting")
    assert heard["intent"] == "correction" and heard["path"] == "steps[0].corrections[0]"
    run.wait_record(lambda r: r["kind"] == "say" and "Roll the heels in" in r["text"], 10, mark)
    run.wait_quiet()

    # "that hurts" pauses; "resume" carries on.
    mark = len(run.records())
    run.say("that hurts")
    assert _heard(run, mark, "that hurts")["intent"] == "correction"
    run.wait_record(lambda r: r["kind"] == "pause", 10, mark)
    run.wait_quiet()
    mark = len(run.records())
    run.say("resume")
    assert _heard(run, mark, "resume")["intent"] == "resume"
    run.wait_record(lambda r: r["kind"] == "resume", 10, mark)
    run.wait_quiet()

    # "next" advances to the rep step, which counts (into the loop) and moves on by itself.
    mark = len(run.records())
    run.say("next")
    assert _heard(run, mark, "next")["intent"] == "next"
    run.wait_record(lambda r: r["kind"] == "step" and r["id"] == "dips", 10, mark)
    run.wait_record(lambda r: r["kind"] == "step" and r["id"] == "breathe", 40, mark)
    run.wait_quiet()

    # The last "next" ends the routine, and the process exits by itself.
    mark = len(run.records())
    run.say("next")
    run.wait_record(lambda r: r["kind"] == "done", 15, mark)
    assert run.proc.wait(timeout=40) == 0
    assert run.records()[-1]["kind"] == "session_end"

    # Never triggered by its own voice: every accepted command has a clip behind it.
    assert accepted_without_a_person(run) == []


def test_the_squat_routine_first_steps(coach: Any) -> None:
    run = coach("squat")
    run.wait_record(lambda r: r["kind"] == "ready", timeout=20)
    run.wait_quiet()
    mark = len(run.records())
    run.say("next")  # ends the warm-up early
    run.wait_record(lambda r: r["kind"] == "step" and r["id"] == "heels-in", 15, mark)
    run.wait_quiet(timeout=40)  # the cue, then the counted reps may be running
    mark = len(run.records())
    run.say("my feet roll out")
    heard = _heard(run, mark, "my feet roll out")
    assert heard["intent"] == "correction" and heard["path"].startswith("steps[1]")
    run.wait_quiet(timeout=40)
    mark = len(run.records())
    run.say("stop the session")
    run.wait_record(lambda r: r["kind"] == "stop", 15, mark)
    assert run.proc.wait(timeout=40) == 0
    assert accepted_without_a_person(run) == []
