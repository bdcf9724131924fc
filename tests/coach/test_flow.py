"""The set flow: cues, awaited speech, reps, holds, rests, sets, steps, the end.

Each test walks the machine event by event with simulated time and asserts the
state (and the effects) after each, h11-style.
"""

from __future__ import annotations

import pytest

from tests.coach.helpers import (
    Coach,
    beeps,
    hold,
    logs,
    plain,
    reps,
    routine,
    says,
    texts,
    three_steps,
)
from voicecoach.coach import CoachError, Phase, initial_state, next_deadline, step
from voicecoach.coach.effects import Finish, Priority, Say, Show
from voicecoach.coach.events import Heard, SpeechDone, Start, Tick


def test_initial_state_is_idle_with_the_routine_settings() -> None:
    r = three_steps(rate=200, beeps=True)
    s = initial_state(r)
    assert (s.phase, s.step_index, s.set_number, s.rate, s.beeps, s.now) == (
        Phase.IDLE, 0, 1, 200, True, 0.0)
    assert initial_state(r, rate=120, beeps=False).rate == 120
    assert initial_state(r, beeps=False).beeps is False
    assert initial_state(r, rate=10).rate == 80  # brought into range, not refused
    assert initial_state(r, rate=9000).rate == 450


def test_events_before_start_are_program_misuse() -> None:
    s = initial_state(three_steps())
    for event in (Tick(1.0), SpeechDone(1.0, 1), Heard(1.0, "next", None)):
        with pytest.raises(CoachError):
            step(s, event)
    s2, _ = step(s, Start(0.0))
    with pytest.raises(CoachError):
        step(s2, Start(1.0))


def test_start_speaks_the_first_cue_awaited_and_logs_the_step() -> None:
    c = Coach.started(three_steps())
    (say,) = says(c.last)
    assert say.text == "This is intro."
    assert (say.awaited, say.kind, say.priority, say.id, say.rate) == (
        True, "cue", Priority.CUE, 1, 165)
    assert [(log.kind, dict(log.data)) for log in logs(c.last)][1] == (
        "step", {"id": "intro", "index": 0, "title": "Intro", "set": 1, "sets": 1, "rep": 0})
    assert (c.state.phase, c.state._awaiting, c.state.started_at, c.state.last_said) == (
        Phase.ANNOUNCING, 1, 0.0, "This is intro.")
    assert isinstance(c.last[-1], Show)


def test_a_plain_voice_step_waits_for_next_and_never_moves_by_itself() -> None:
    c = Coach.started(three_steps())
    c.tick(1.0)
    assert c.state.phase is Phase.ANNOUNCING
    c.done_speaking()
    assert (c.state.phase, c.state.timer_total, c.state._awaiting) == (Phase.WAITING, None, None)
    assert says(c.tick(600.0, by=1.0)) == []
    assert (c.state.phase, c.state.step_index) == (Phase.WAITING, 0)
    assert next_deadline(c.state) is None
    c.command("next")
    assert (c.state.step_index, c.state.phase, c.state.set_number) == (1, Phase.ANNOUNCING, 1)
    assert texts(c.last) == ["Set 1 of 2. Do squat."]
    assert c.state.sets_done == 0  # a plain step has no sets to count


def test_timers_start_only_when_the_awaited_speech_ends() -> None:
    c = Coach.started(three_steps())
    c.command("next")
    cue = says(c.last)[0]
    c.tick(30.0)  # the cue takes as long as it takes: no reps yet
    assert (c.state.phase, c.state.rep, c.state.timer_total) == (Phase.ANNOUNCING, 0, None)
    c.send(SpeechDone(c.now, cue.id - 1))  # a stale id (the intro cue): ignored
    assert c.state.phase is Phase.ANNOUNCING
    c.done_speaking(cue)
    assert (c.state.phase, c.state.rep_phase, c.state.timer_total, c.state.timer_started) == (
        Phase.COUNTING, "down", 1.0, c.now)


def test_rep_counting_at_the_tempo_with_spoken_numbers() -> None:
    c = Coach.started(three_steps(beeps=True))
    c.command("next")
    c.done_speaking()
    start = c.now
    c.tick(1.0)
    assert (c.state.rep, c.state.rep_phase) == (0, "up")
    out = c.tick(1.0)
    assert (c.state.rep, c.state.rep_phase) == (1, "down")
    (count,) = says(out)
    assert (count.text, count.kind, count.priority, count.awaited) == (
        "one", "count", Priority.COUNT, False)
    assert count.expires_at == pytest.approx(start + 2.0 + 0.5)  # dropped, not queued, if late
    assert beeps(out) == ["rep"]
    out = c.tick(4.0)
    assert texts(out)[:2] == ["two", "three"]
    assert c.state.sets_done == 1


def test_no_spoken_counts_without_count_reps_and_no_beeps_by_default() -> None:
    c = Coach.started(three_steps(count_reps=False))
    c.command("next")
    c.done_speaking()
    out = c.tick(2.0)
    assert c.state.rep == 1
    assert says(out) == [] and beeps(out) == []


def test_a_big_tick_crosses_several_reps_in_order() -> None:
    c = Coach.started(three_steps())
    c.command("next")
    c.done_speaking()
    c.now += 6.0
    out = c.send(Tick(c.now))
    assert texts(out)[:3] == ["one", "two", "three"]
    assert c.state.phase is Phase.RESTING  # after the last rep of set 1


def test_rest_between_sets_with_heads_up_and_the_next_set() -> None:
    c = Coach.started(three_steps(beeps=True))
    c.command("next")
    c.done_speaking()
    out = c.tick(6.0)
    assert texts(out)[-1] == "Set done. Rest 20 seconds."
    assert [dict(log.data) for log in logs(out, "rest")] == [
        {"id": "squat", "seconds": 20.0, "after_set": 1}]
    assert (c.state.phase, c.state.timer_total, c.state.set_number) == (Phase.RESTING, None, 1)
    c.tick(5.0)  # the rest starts when its announcement ends
    assert c.state.timer_remaining is None
    c.done_speaking()
    assert (c.state.timer_total, c.state.timer_elapsed) == (20.0, 0.0)
    assert next_deadline(c.state) == pytest.approx(c.now + 10.0)
    assert texts(c.tick(10.0)) == ["Ten seconds."]
    assert c.state.timer_remaining == pytest.approx(10.0)
    assert texts(c.tick(9.0)) == ["Three.", "Two.", "One."]
    out = c.tick(1.0)
    assert beeps(out) == ["rest_end"]
    assert texts(out) == ["Set 2 of 2. Do squat."]
    assert [dict(log.data) for log in logs(out, "set")] == [
        {"id": "squat", "set": 2, "sets": 2, "rep": 0}]
    assert (c.state.phase, c.state.set_number, c.state.rep) == (Phase.ANNOUNCING, 2, 0)


def test_short_rests_have_no_ten_second_warning_and_tiny_ones_no_countdown() -> None:
    for seconds, expected in ((12.0, ["Three.", "Two.", "One."]), (4.0, [])):
        c = Coach.started(routine(reps("r", reps=1, sets=2, rest_seconds=seconds)))
        c.done_speaking()
        c.tick(2.0)
        c.done_speaking()
        assert texts(c.tick(seconds - 0.05)) == expected


def test_no_rest_after_the_last_set_and_an_auto_hold_moves_on() -> None:
    c = Coach.started(three_steps())
    c.command("next")
    c.done_speaking()
    c.tick(6.0)
    c.command("skip_rest")
    assert (c.state.phase, c.state.set_number) == (Phase.ANNOUNCING, 2)
    assert texts(c.last) == ["Skipping the rest. Set 2 of 2. Do squat."]
    c.done_speaking()
    out = c.tick(6.0)
    # voice step, last set over: no rest, it waits for "next"
    assert texts(out)[-1] == "That was the last set. Say next when you're ready."
    assert (c.state.phase, c.state.step_index, c.state.sets_done) == (Phase.WAITING, 1, 2)
    c.tick(100.0)
    assert (c.state.phase, c.state.step_index) == (Phase.WAITING, 1)
    c.command("next")
    assert (c.state.step_index, c.state.phase) == (2, Phase.ANNOUNCING)
    c.done_speaking()
    assert (c.state.phase, c.state.timer_total) == (Phase.HOLDING, 10.0)
    c.tick(9.9)
    assert c.phase() is Phase.HOLDING
    out = c.tick(0.1)
    # auto hold, last step: the wrap-up
    assert c.phase() is Phase.DONE and c.state.finished
    assert Finish("done") in out
    (summary,) = says(out)
    assert summary.kind == "summary"
    assert "3 sets done" in summary.text
    assert logs(out, "done")[0].data["sets_done"] == 3


def test_auto_rep_step_moves_on_after_the_reps_of_the_last_set() -> None:
    c = Coach.started(routine(reps("a", advance="auto", reps=2), plain("b")))
    c.done_speaking()
    c.tick(4.0)
    assert (c.state.step_index, c.state.phase) == (1, Phase.ANNOUNCING)


def test_held_sets_with_rest_then_next_step() -> None:
    c = Coach.started(routine(hold("h", hold_seconds=5.0, sets=2, rest_seconds=5.0), plain("end")))
    assert texts(c.last) == ["Set 1 of 2. Hold h."]
    c.done_speaking()
    c.tick(5.0)
    assert c.state.phase is Phase.RESTING
    c.done_speaking()
    c.tick(5.0)
    assert (c.state.phase, c.state.set_number) == (Phase.ANNOUNCING, 2)
    c.done_speaking()
    c.tick(5.0)
    assert (c.state.step_index, c.state.sets_done) == (1, 2)


def test_next_on_a_voice_step_ends_the_current_set() -> None:
    c = Coach.started(three_steps())
    c.command("next")
    c.done_speaking()
    c.tick(2.5)
    c.command("next")  # ends set 1 early: rest comes next
    assert (c.state.phase, c.state.set_number, c.state.sets_done) == (Phase.RESTING, 1, 1)
    assert logs(c.last, "set_done")[0].data == {"id": "squat", "set": 1, "reps": 1, "early": True}
    c.command("next")  # during rest: skips it
    assert (c.state.phase, c.state.set_number) == (Phase.ANNOUNCING, 2)
    c.command("next")  # during the last set's cue: on to the next step, not counted as done
    assert (c.state.step_index, c.state.sets_done) == (2, 1)


def test_next_on_the_last_step_finishes_and_then_nothing_happens() -> None:
    c = Coach.started(routine(plain("only")))
    c.command("next")
    assert c.state.phase is Phase.DONE
    assert Finish("done") in c.last
    frozen = c.state
    for event in (Tick(99.0), SpeechDone(99.0, 1), Heard(99.0, "next", None), Start(99.0)):
        assert step(frozen, event) == (frozen, ())


def test_wrap_up_names_time_sets_and_the_corrections_asked_most() -> None:
    c = Coach.started(three_steps())
    c.command("next")
    c.done_speaking()
    c.say("my heels are lifting")
    c.tick(30.0)
    c.say("my heels are lifting")
    c.say("too easy")
    c.command("stop")
    (summary,) = [s for s in says(c.last) if s.kind == "summary"]
    assert summary.text == (
        "Stopping here. 30 seconds, 1 set done. "
        "You asked most about: my heels are lifting, and too easy. Well done.")
    assert dict(logs(c.last, "stop")[0].data) == {
        "seconds": 30.0, "sets_done": 1,
        "corrections": {"steps[1].corrections[0]": 2, "corrections[1]": 1}}


def test_time_never_runs_backwards_and_old_events_count_as_now() -> None:
    c = Coach.started(three_steps())
    c.tick(5.0)
    c.send(Tick(2.0))
    assert c.state.now == 5.0
    c.send(Heard(1.0, "status", None))
    assert c.state.now == 5.0


def test_show_only_when_something_visible_changed() -> None:
    c = Coach.started(three_steps())
    c.done_speaking()
    assert c.send(Tick(1.0)) == ()  # WAITING: only the clock moved
    assert any(isinstance(e, Show) for e in c.command("status"))


def test_step_does_not_mutate_its_input() -> None:
    c = Coach.started(three_steps())
    before = c.state
    snapshot = repr(before)
    step(before, Heard(1.0, "next", None))
    c.command("next")
    assert repr(before) == snapshot


def test_say_ids_increase_from_one() -> None:
    c = Coach.started(three_steps())
    c.command("next")
    c.command("status")
    ids = [s.id for s in says(c.effects)]
    assert ids == list(range(1, len(ids) + 1))
    assert c.state.next_say_id == ids[-1] + 1


def test_records_have_awaited_flag_for_cues_only() -> None:
    c = Coach.started(three_steps())
    c.command("help")
    awaited = {s.kind: s.awaited for s in says(c.effects)}
    assert awaited == {"cue": True, "help": False}
    assert all(isinstance(s, Say) for s in says(c.effects))


def test_next_deadline_is_none_when_nothing_runs() -> None:
    c = Coach.started(three_steps())
    assert next_deadline(c.state) is None  # announcing: waiting for speech, not for time
    c.command("next")
    c.done_speaking()
    assert next_deadline(c.state) == pytest.approx(c.now + 1.0)  # the first half rep
    c.command("pause")
    assert next_deadline(c.state) is None
