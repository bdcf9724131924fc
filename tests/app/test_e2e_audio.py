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


@pytest.fixture
def coach(audio_loop: PulseLoop, tmp_path: Path) -> Iterator[Any]:  # noqa: F811
    runs: list[CoachRun] = []

    def start(routine: str, *extra: str) -> CoachRun:
        run = start_run(routine, tmp_path / f"events-{len(runs)}.jsonl", dict(os.environ),
                        *extra)
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.kill()


def test_a_short_routine_by_voice_from_start_to_end(coach: Any) -> None:
    run = coach(SHORT)
    run.wait_record(lambda r: r["kind"] == "ready", timeout=20)

    # "repeat" repeats the cue.
    mark, heard = run.command("repeat", "repeat")
    assert heard["intent"] == "repeat"
    run.wait_record(lambda r: r["kind"] == "say" and r["text"].startswith("Stand tall"), 10, mark)

    # A correction phrase in its step gets its answer.
    mark, heard = run.command("my heels are lifting", "correction")
    assert heard["intent"] == "correction" and heard["path"] == "steps[0].corrections[0]"
    run.wait_record(lambda r: r["kind"] == "say" and "Roll the heels in" in r["text"], 10, mark)

    # "that hurts" pauses; "resume" carries on.
    mark, heard = run.command("that hurts", "correction")
    assert heard["path"] == "corrections[0]"
    run.wait_record(lambda r: r["kind"] == "pause", 10, mark)
    mark, heard = run.command("resume", "resume")
    assert heard["intent"] == "resume"
    run.wait_record(lambda r: r["kind"] == "resume", 10, mark)

    # "next" advances to the rep step, which counts (into the loop) and moves on by itself.
    mark, heard = run.command("next", "next")
    assert heard["intent"] == "next"
    run.wait_record(lambda r: r["kind"] == "step" and r["id"] == "dips", 10, mark)
    run.wait_record(lambda r: r["kind"] == "step" and r["id"] == "breathe", 40, mark)

    # The last "next" ends the routine, and the process exits by itself.
    mark, heard = run.command("next", "next")
    assert heard["intent"] == "next"
    run.wait_record(lambda r: r["kind"] == "done", 15, mark)
    assert run.proc.wait(timeout=40) == 0
    assert run.records()[-1]["kind"] == "session_end"

    # Never triggered by its own voice: every accepted command has a clip behind it.
    assert accepted_without_a_person(run) == []


def test_the_squat_routine_first_steps(coach: Any) -> None:
    run = coach("squat")
    run.wait_record(lambda r: r["kind"] == "ready", timeout=20)
    mark, heard = run.command("next", "next")  # ends the warm-up early
    run.wait_record(lambda r: r["kind"] == "step" and r["id"] == "heels-in", 15, mark)
    mark, heard = run.command("my feet roll out", "correction")
    assert heard["intent"] == "correction" and heard["path"].startswith("steps[1]")
    run.wait_record(lambda r: r["kind"] == "say" and "Roll your heels in before you start"
                    in r["text"], 10, mark)
    mark, heard = run.command("stop the session", "stop")
    run.wait_record(lambda r: r["kind"] == "stop", 15, mark)
    assert run.proc.wait(timeout=40) == 0
    assert accepted_without_a_person(run) == []
