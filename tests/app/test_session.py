"""The session shell with keys only: no mic, a silent speaker, a hand-driven clock.

These run the real coach and the real shell thread; only time is injected
(`ManualClock`), so every assertion follows a `sync()` rather than a sleep.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.support.clock import ManualClock
from voicecoach.coach.effects import Priority, Say
from voicecoach.coach.state import CoachState, Phase
from voicecoach.routine import load_routine
from voicecoach.shell.session import Session, SilentSpeaker

DATA = Path(__file__).resolve().parents[1] / "data" / "routines"


class Recorder:
    """A SessionListener that keeps everything it is told."""

    def __init__(self) -> None:
        self.states: list[CoachState] = []
        self.said: list[Say] = []
        self.heard: list[tuple[str, float, str, str | None]] = []
        self.status: list[tuple[str, str]] = []

    def on_state(self, state: CoachState, effects: tuple[Any, ...]) -> None:
        self.states.append(state)
        self.said.extend(e for e in effects if isinstance(e, Say))

    def on_heard(self, text: str, confidence: float, outcome: str, intent: str | None) -> None:
        self.heard.append((text, confidence, outcome, intent))

    def on_level(self, dbfs: float) -> None:
        pass

    def on_status(self, kind: str, text: str) -> None:
        self.status.append((kind, text))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1000.0)


@pytest.fixture
def short() -> Any:
    return load_routine(DATA / "e2e-short.toml")


@pytest.fixture
def session(short: Any, clock: ManualClock, tmp_path: Path) -> Any:
    s = Session(short, clock=clock, event_log=tmp_path / "events.jsonl")
    rec = Recorder()
    s.add_listener(rec)
    s.rec = rec  # type: ignore[attr-defined]
    yield s
    s.close()


def settle(session: Session, clock: ManualClock, seconds: float = 0.0, steps: int = 1) -> None:
    """Move time on in `steps` slices, letting the shell tick after each."""
    for _ in range(steps):
        clock.advance(seconds / steps)
        assert session.sync(timeout=5)


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_start_speaks_the_first_cue_and_waits_for_next(session: Any, clock: ManualClock) -> None:
    session.start()
    settle(session, clock)
    assert session.rec.said and session.rec.said[0].text.startswith("Stand tall")
    assert session.state.phase is Phase.ANNOUNCING
    # The silent speaker ends the cue at its estimated length; then the voice step waits.
    settle(session, clock, 10.0, steps=10)
    assert session.state.phase is Phase.WAITING
    assert session.state.step_index == 0


def test_keys_drive_the_coach_like_speech(session: Any, clock: ManualClock) -> None:
    session.start()
    settle(session, clock, 10.0, steps=10)
    session.send_text("my heels are lifting")
    settle(session, clock)
    assert any("Roll the heels in" in s.text for s in session.rec.said)
    assert session.rec.heard[-1][2:] == ("accepted", "correction")
    assert session.state.step_index == 0  # a correction does not move on

    session.send_command("next")
    settle(session, clock)
    assert session.state.step_index == 1
    assert session.rec.heard[-1] == ("next", 1.0, "accepted", "next")


def test_typed_key_letters_and_unknown_words(session: Any, clock: ManualClock) -> None:
    session.start()
    settle(session, clock, 10.0, steps=10)
    session.send_text("n")
    settle(session, clock)
    assert session.state.step_index == 1
    session.send_text("banana bread")
    settle(session, clock)
    text, _, outcome, intent = session.rec.heard[-1]
    assert (text, outcome, intent) == ("banana bread", "rejected", None)


def test_pain_pauses_and_the_timers_stand_still(session: Any, clock: ManualClock) -> None:
    session.start()
    settle(session, clock, 10.0, steps=10)
    session.send_text("that hurts")
    settle(session, clock)
    assert session.state.paused
    assert any("Pain means stop" in s.text for s in session.rec.said)
    assert ("paused", "paused") in session.rec.status
    session.send_command("resume")
    settle(session, clock, 5.0, steps=5)
    assert not session.state.paused


def test_routine_runs_to_its_end_and_finishes(session: Any, clock: ManualClock,
                                              tmp_path: Path) -> None:
    session.start()
    settle(session, clock, 10.0, steps=10)
    session.send_command("next")  # -> the auto rep step, which counts two reps and moves on
    settle(session, clock, 30.0, steps=60)
    assert session.state.step_index == 2
    session.send_command("next")  # last step: next ends the routine
    settle(session, clock, 20.0, steps=20)
    assert session.wait_finished(timeout=5)
    assert session.finish_reason == "done"
    assert ("ended", "done") in session.rec.status
    session.close()
    log = records(tmp_path / "events.jsonl")
    kinds = [r["kind"] for r in log]
    assert "heard" in kinds and kinds[-1] == "session_end"
    assert [r.get("text") for r in log if r["kind"] == "heard"][:1] == ["next"]


def test_event_log_is_written_line_by_line_while_running(session: Any, clock: ManualClock,
                                                          tmp_path: Path) -> None:
    session.start()
    settle(session, clock, 10.0, steps=10)
    session.send_command("next")
    settle(session, clock)
    # Not closed yet: what is there must already be whole lines of JSON.
    text = (tmp_path / "events.jsonl").read_text()
    assert text.endswith("\n")
    assert any(r["kind"] == "heard" for r in records(tmp_path / "events.jsonl"))


def test_close_is_idempotent_and_stops_the_thread(session: Any, clock: ManualClock) -> None:
    session.start()
    settle(session, clock)
    session.close()
    session.close()
    assert session.wait_finished(timeout=1)
    assert not any(t.name == "coach" and t.is_alive() for t in threading.enumerate()
                   if t is session._thread)


def test_close_before_start_is_fine(short: Any, clock: ManualClock) -> None:
    s = Session(short, clock=clock)
    s.close()
    s.close()


def test_a_broken_listener_does_not_stop_the_coaching(session: Any, clock: ManualClock) -> None:
    class Broken:
        def on_state(self, *args: Any) -> None:
            raise RuntimeError("boom")

    session.add_listener(Broken())
    session.start()
    settle(session, clock, 10.0, steps=10)
    session.send_command("next")
    settle(session, clock)
    assert session.state.step_index == 1
    assert any("boom" in c for c in session.crashes)


def test_mic_lost_pauses_and_its_return_resumes(session: Any, clock: ManualClock) -> None:
    session.start()
    settle(session, clock, 10.0, steps=10)
    session.mic_lost()
    settle(session, clock)
    assert session.state.paused
    assert any(kind == "mic" for kind, _ in session.rec.status)
    session.mic_back()
    settle(session, clock)
    assert not session.state.paused


def test_mic_return_does_not_undo_a_pause_the_person_asked_for(session: Any,
                                                               clock: ManualClock) -> None:
    session.start()
    settle(session, clock, 10.0, steps=10)
    session.send_command("pause")
    settle(session, clock)
    session.mic_lost()
    session.mic_back()
    settle(session, clock)
    assert session.state.paused


def test_recognizer_rejections_are_logged_not_counted(session: Any, clock: ManualClock,
                                                      tmp_path: Path) -> None:
    session.start()
    settle(session, clock, 10.0, steps=10)
    session.hear("next", 0.2, accepted=False)
    settle(session, clock)
    assert session.state.step_index == 0
    assert session.state.misses == 0
    assert session.rec.heard[-1] == ("next", 0.2, "rejected", None)
    heard = [r for r in records(tmp_path / "events.jsonl") if r["kind"] == "heard"]
    assert heard[-1]["outcome"] == "rejected"


def test_often_missed_voice_ends_with_advice_to_enroll(short: Any, clock: ManualClock) -> None:
    session = Session(short, clock=clock, engine_name="pocketsphinx")
    session.start()
    settle(session, clock, 10.0, steps=10)
    session.hear("next", 0.9)
    for _ in range(5):
        session.hear("north", 0.0, accepted=False, reason="garbage")
    session.hear("", 0.0, accepted=False, reason="no-words")  # a bump: not a miss
    session.hear("let's go", 0.9, accepted=False, reason="gated")  # the coach's own voice
    session.hear("repeat", 1.0, accepted=False, reason="after-talk")  # heard, inside talk
    session.hear("tree", 0.0, accepted=False, reason="garbage", in_talk=True)  # a radio
    session.send_text("nonsense words")  # typed: says nothing about the ears
    settle(session, clock)
    note = session.hearing_note
    assert note is not None and "heard you 1 of 6 times" in note
    assert "voicecoach enroll --user NAME" in note
    session.close()


def test_a_few_misses_say_nothing(session: Any, clock: ManualClock) -> None:
    session.start()
    settle(session, clock, 10.0, steps=10)
    for _ in range(10):
        session.hear("next", 0.9)
    for _ in range(3):
        session.hear("north", 0.0, accepted=False, reason="garbage")
    settle(session, clock)
    assert session.hearing_note is None


# --- the silent speaker on its own ------------------------------------------------------


class Timeline:
    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []

    def start(self, say_id: int, t: float) -> None:
        self.events.append(("start", say_id))

    def end(self, say_id: int, t: float, completed: bool) -> None:
        self.events.append(("end", say_id))


def test_silent_speaker_speaks_one_at_a_time_in_order(clock: ManualClock) -> None:
    t = Timeline()
    sp = SilentSpeaker(t.start, t.end, clock)
    sp.say(Say(1, "one two three four", rate=120))
    sp.say(Say(2, "five", rate=120))
    assert t.events == [("start", 1)]
    clock.advance(10)
    sp.poll(clock())
    assert t.events == [("start", 1), ("end", 1), ("start", 2), ("end", 2)]
    assert not sp.busy


def test_silent_speaker_higher_priority_cuts_and_hush_drops(clock: ManualClock) -> None:
    t = Timeline()
    sp = SilentSpeaker(t.start, t.end, clock)
    sp.say(Say(1, "a long cue about the heels", priority=Priority.CUE))
    sp.say(Say(2, "stop now", priority=Priority.SAFETY))
    assert t.events == [("start", 1), ("end", 1), ("start", 2)]
    sp.say(Say(3, "queued"))
    sp.hush()
    assert t.events[-2:] == [("end", 2), ("end", 3)]
    assert not sp.busy


def test_silent_speaker_drops_a_late_count(clock: ManualClock) -> None:
    t = Timeline()
    sp = SilentSpeaker(t.start, t.end, clock)
    sp.say(Say(1, "a cue that takes a few seconds to say", priority=Priority.CUE))
    sp.say(Say(2, "three", priority=Priority.COUNT, expires_at=clock() + 0.5))
    clock.advance(10)
    sp.poll(clock())
    assert ("start", 2) not in t.events and ("end", 2) in t.events


def test_a_warning_queued_before_start_is_shown_and_nothing_breaks(session: Any,
                                                                    clock: ManualClock) -> None:
    # A speaker with no device warns from its constructor, before the session starts.
    session.report("warning", "no sound output")
    session.start()
    settle(session, clock, 1.0, steps=2)
    assert ("warning", "no sound output") in session.rec.status
    assert session.crashes == []


# --- when the inputs end (issue 13) --------------------------------------------------------


def test_the_last_input_ending_stops_the_session_after_the_linger(
        session: Any, clock: ManualClock, tmp_path: Path) -> None:
    session.linger_seconds = 3.0
    session.start()
    session.input_opened("keyboard")
    settle(session, clock, 10.0, steps=10)  # the cue is "said": the voice step waits
    session.input_ended("keyboard", "end of typed input")
    settle(session, clock)
    assert ("input", "end of typed input; no input left: the session ends after 3 s of quiet"
            ) in session.rec.status
    settle(session, clock, 2.5, steps=5)
    assert not session.finished  # not quiet long enough yet
    settle(session, clock, 1.0, steps=2)
    assert session.wait_finished(5)
    assert session.finish_reason == "input_end"
    said = [s.text for s in session.rec.said]
    assert said[-1].startswith("Stopping here.")  # the summary, as "stop the session" says
    session.close()
    log = records(tmp_path / "events.jsonl")
    ended = [r for r in log if r["kind"] == "input_end"]
    assert ended == [{**ended[0], "input": "keyboard", "open": []}]
    assert log[-1] == {**log[-1], "kind": "session_end", "reason": "input_end"}


def test_the_linger_waits_for_the_coach_to_finish_speaking(session: Any,
                                                           clock: ManualClock) -> None:
    """The last words of a recording are answered before the session ends."""
    session.linger_seconds = 1.0
    session.start()
    session.input_opened("voice")
    settle(session, clock)  # the cue is being "said" (about 3 s)
    session.input_ended("voice", "end of the input file")
    settle(session, clock, 2.0, steps=4)
    assert not session.finished  # still speaking: quiet has not begun
    settle(session, clock, 4.0, steps=8)
    assert session.wait_finished(5)


def test_an_input_still_open_keeps_the_session_going(session: Any, clock: ManualClock) -> None:
    session.linger_seconds = 0.5
    session.start()
    session.input_opened("voice")
    session.input_opened("keyboard")
    session.input_ended("voice", "end of the input file")
    settle(session, clock, 20.0, steps=20)
    assert not session.finished
    assert ("input", "end of the input file; typed input still works") in session.rec.status
