"""Built-in commands: back, repeat, pause/resume, stop, why, help, status, pace, skip rest.

And what happens to words the coach does not understand.
"""

from __future__ import annotations

import pytest

from tests.coach.helpers import Coach, hushed, logs, plain, reps, routine, says, texts, three_steps
from voicecoach.coach import CoachError, Phase
from voicecoach.coach.effects import Finish, Priority
from voicecoach.coach.events import Heard, SpeechDone
from voicecoach.coach.intents import Intent


def counting(beeps: bool = False) -> Coach:
    """Squat step, set 1, counting has begun."""
    c = Coach.started(three_steps(beeps=beeps))
    c.command("next")
    c.done_speaking()
    return c


# --- back ------------------------------------------------------------------------


def test_back_goes_to_the_previous_step_from_its_first_set() -> None:
    c = counting()
    c.tick(2.5)
    out = c.command("back")
    assert hushed(out)
    assert (c.state.step_index, c.state.set_number, c.state.rep, c.state.phase) == (
        0, 1, 0, Phase.ANNOUNCING)
    assert texts(out) == ["This is intro."]
    assert logs(out, "step")[0].data["id"] == "intro"


def test_back_on_the_first_step_restarts_the_current_set() -> None:
    c = Coach.started(routine(reps("a", sets=3, rest_seconds=0.0), plain("b")))
    c.done_speaking()
    c.tick(6.0)  # set 1 done, set 2 announced
    c.done_speaking()
    c.tick(2.0)
    assert (c.state.set_number, c.state.rep) == (2, 1)
    out = c.command("back")
    assert (c.state.step_index, c.state.set_number, c.state.rep, c.state.rep_phase) == (
        0, 2, 0, None)
    assert texts(out) == ["This is the first step. Let's start this set again. Set 2 of 3. Do a."]
    assert c.state.last_said == "Set 2 of 3. Do a."


# --- repeat -----------------------------------------------------------------------


def test_repeat_says_the_last_cue_or_correction_but_never_a_count() -> None:
    c = counting()
    c.tick(2.0)  # "one" was counted
    out = c.command("repeat")
    assert texts(out) == ["Set 1 of 2. Do squat."]
    assert says(out)[0].awaited is False  # repeating does not hold the timers again
    assert c.state.phase is Phase.COUNTING
    c.say("my heels are lifting")
    c.tick(2.0)
    assert texts(c.command("repeat")) == ["Roll the heels in. Shift your weight forward."]


# --- pause / resume ---------------------------------------------------------------


def test_pause_stops_every_timer_and_says_only_the_acknowledgement() -> None:
    c = counting()
    c.tick(1.5)
    out = c.command("pause")
    assert hushed(out)
    assert texts(out) == ["Paused. Say resume when you're ready."]
    assert logs(out, "pause")[0].data == {"reason": "command"}
    frozen = (c.state.rep, c.state.rep_phase, c.state.timer_elapsed, c.state.phase)
    during = c.tick(100.0, by=0.5)
    assert says(during) == []
    assert c.state.now == pytest.approx(101.5)  # the clock runs on...
    assert (c.state.rep, c.state.rep_phase, c.state.timer_elapsed, c.state.phase) == frozen
    for name in ("next", "status", "why", "help", "repeat", "faster", "back", "skip_rest"):
        before = c.state
        assert says(c.command(name)) == []
        assert (c.state.step_index, c.state.phase, c.state.rate) == (
            before.step_index, before.phase, before.rate)
        assert c.state.last_heard is not None and c.state.last_heard.outcome == "ignored"
    assert texts(c.command("pause")) == ["Still paused. Say resume when you're ready."]
    out = c.command("resume")
    assert c.state.paused is False
    assert logs(out, "resume")[0].data == {"paused_seconds": pytest.approx(100.0)}
    (ack,) = says(out)
    assert (ack.text, ack.awaited) == ("Resuming.", True)
    c.tick(3.0)
    assert c.state.timer_elapsed == pytest.approx(0.5)  # still frozen until "Resuming." ends
    c.done_speaking()
    c.tick(0.5)
    assert (c.state.rep, c.state.rep_phase) == (1, "down")
    assert c.state.timer_started == pytest.approx(c.now - c.state.timer_elapsed)


def test_pause_during_the_cue_says_the_cue_again_on_resume() -> None:
    c = Coach.started(three_steps())
    cue = says(c.last)[0]
    c.command("pause")
    assert c.state._awaiting is None
    c.send(SpeechDone(c.now, cue.id))
    assert c.state.phase is Phase.ANNOUNCING  # the hushed cue's end is stale
    out = c.command("resume")
    (again,) = says(out)
    assert (again.text, again.awaited) == ("Resuming. This is intro.", True)
    c.done_speaking()
    assert c.phase() is Phase.WAITING


def test_pause_during_the_rest_announcement_and_during_the_rest() -> None:
    c = counting()
    c.tick(6.0)
    assert c.state.phase is Phase.RESTING and c.state.timer_total is None
    c.command("pause")
    assert texts(c.command("resume")) == ["Resuming. Set done. Rest 20 seconds."]
    c.done_speaking()
    c.tick(5.0)
    c.command("pause")
    c.tick(60.0)
    assert c.state.timer_remaining == pytest.approx(15.0)
    c.command("resume")
    c.done_speaking()
    assert texts(c.tick(15.0))[-1] == "Set 2 of 2. Do squat."


def test_resume_when_not_paused_changes_nothing() -> None:
    c = counting()
    before = c.state
    out = c.command("resume")
    assert texts(out) == ["We're not paused."]
    assert c.state.last_heard is not None and c.state.last_heard.outcome == "ignored"
    assert (c.state.phase, c.state._awaiting, c.state.rep) == (before.phase, None, before.rep)


# --- stop ---------------------------------------------------------------------------


def test_stop_ends_with_a_short_summary() -> None:
    c = counting()
    out = c.command("stop")
    assert hushed(out)
    (summary,) = says(out)
    assert summary.text.startswith("Stopping here. ")
    assert (c.state.phase, c.state.finished, c.state.paused) == (Phase.STOPPED, True, False)
    assert Finish("stop") in out
    assert logs(out, "stop")


def test_stop_works_while_paused() -> None:
    c = counting()
    c.command("pause")
    out = c.command("stop")
    assert c.state.phase is Phase.STOPPED and not c.state.paused
    assert Finish("stop") in out


def _spoken_stop(c: Coach, confidence: float, phrase: str = "stop") -> tuple:
    return c.send(Heard(c.now, phrase, Intent.command("stop", phrase), confidence=confidence))


def test_an_unsure_spoken_stop_pauses_and_asks_and_a_second_one_ends() -> None:
    """A misheard "stop" must not end a session: pause, ask, and stop only when it comes again."""
    from voicecoach.coach.engine import STOP_ASK_PAUSED

    c = counting()
    out = _spoken_stop(c, 0.5, "stop the session")
    assert [s.text for s in says(out)] == [STOP_ASK_PAUSED]
    assert hushed(out) and c.state.paused and c.state.phase is Phase.COUNTING
    assert logs(out, "heard")[0].data["outcome"] == "asked"
    assert logs(out, "pause")[0].data["reason"] == "stop-asked"
    c.tick(3.0)
    out = _spoken_stop(c, 0.4)
    assert c.state.phase is Phase.STOPPED and Finish("stop") in out


def test_a_bare_spoken_stop_is_asked_about_however_sure() -> None:
    """One short word is where sure misrecognitions live ("faster" heard as "stop" at 0.998)."""
    from voicecoach.coach.engine import STOP_ASK_PAUSED

    c = counting()
    out = _spoken_stop(c, 0.998)
    assert [s.text for s in says(out)] == [STOP_ASK_PAUSED]
    assert c.state.paused and not c.state.finished
    c.command("resume")  # it was "faster": go on as before
    assert not c.state.paused and c.state.phase is Phase.COUNTING


def test_a_sure_long_stop_phrase_ends_at_once() -> None:
    c = counting()
    out = _spoken_stop(c, 0.9, "stop the session")
    assert c.state.phase is Phase.STOPPED and Finish("stop") in out
    c = counting()
    out = _spoken_stop(c, 0.9, "i'm done")
    assert c.state.phase is Phase.STOPPED and Finish("stop") in out


def test_the_stop_question_expires_and_is_asked_again_without_a_second_pause() -> None:
    from voicecoach.coach.engine import STOP_CONFIRM_WINDOW, STOP_QUESTION

    c = counting()
    _spoken_stop(c, 0.5)
    c.tick(STOP_CONFIRM_WINDOW + 1.0)
    out = _spoken_stop(c, 0.5)  # too late: asked again (still paused), not obeyed
    assert [s.text for s in says(out)] == [STOP_QUESTION]
    assert not logs(out, "pause") and c.state.paused
    assert c.state.phase is not Phase.STOPPED
    out = _spoken_stop(c, 0.9)
    assert c.state.phase is Phase.STOPPED and Finish("stop") in out


# --- why, help, status ------------------------------------------------------------


def test_why_says_the_steps_reason_or_that_there_is_none() -> None:
    c = Coach.started(three_steps())
    (why,) = says(c.command("why"))
    assert (why.text, why.kind, why.priority) == ("To get ready.", "why", Priority.CUE)
    c.command("next")
    assert texts(c.command("why")) == ["No reason is given for this step."]


def test_help_lists_key_commands_and_this_steps_corrections() -> None:
    c = Coach.started(three_steps())
    assert texts(c.command("help")) == [
        "You can say next, repeat, why, pause, or stop. If anything hurts, say so."]
    c.command("next")
    (text,) = texts(c.command("help"))
    assert text == ("You can say next, repeat, why, pause, or stop. Or tell me: my heels are "
                    "lifting, or I feel twisted, or I feel dizzy. If anything hurts, say so.")
    c.done_speaking()
    c.tick(6.0)
    assert texts(c.command("help"))[0].startswith("You can say skip rest, next")


def test_status_says_step_set_rep_and_rest_left() -> None:
    c = counting()
    c.tick(4.0)
    assert texts(c.command("status")) == ["Step 2 of 3: Squat. Set 1 of 2. Rep 2 of 3."]
    c.tick(2.0)
    c.done_speaking()
    c.tick(5.5)
    assert texts(c.command("status")) == [
        "Step 2 of 3: Squat. Resting after set 1 of 2, 15 seconds left."]
    assert c.state.phase is Phase.RESTING  # asking changes nothing


# --- slower / faster -------------------------------------------------------------------


def test_slower_and_faster_move_rate_and_tempo_within_bounds() -> None:
    c = counting()
    out = c.command("slower")
    assert (c.state.rate, c.state.tempo_scale) == (145, 1.25)
    (ack,) = says(out)
    assert (ack.text, ack.rate) == ("Slower.", 145)
    assert logs(out, "pace")[0].data == {"change": "slower", "rate": 145, "tempo_scale": 1.25}
    for _ in range(10):
        c.command("slower")
    assert (c.state.rate, c.state.tempo_scale) == (80, 2.0)
    assert texts(c.last) == ["That's as slow as I go."]
    assert c.state.last_heard is not None and c.state.last_heard.outcome == "ignored"
    for _ in range(30):
        c.command("faster")
    assert (c.state.rate, c.state.tempo_scale) == (450, 0.5)
    assert texts(c.last) == ["That's as fast as I go."]


def test_tempo_scale_applies_from_the_next_half_rep() -> None:
    c = counting()
    c.command("slower")  # the current "down" keeps its 1 s
    c.tick(1.0)
    assert (c.state.rep_phase, c.state.timer_total) == ("up", 1.25)
    c.tick(1.25)
    assert c.state.rep == 1


# --- skip rest ------------------------------------------------------------------------


def test_skip_rest_outside_a_rest_is_acknowledged_and_ignored() -> None:
    c = counting()
    before = c.state
    out = c.command("skip_rest")
    assert texts(out) == ["There's no rest to skip right now."]
    assert (c.state.phase, c.state.set_number) == (before.phase, before.set_number)
    assert logs(out, "heard")[0].data["outcome"] == "ignored"


# --- misses -----------------------------------------------------------------------------


def test_two_misses_in_a_row_earn_a_hint_and_a_hit_resets_the_count() -> None:
    c = counting()
    before = c.state
    out = c.say("banana")
    assert says(out) == []
    assert (c.state.misses, c.state.phase, c.state.rep) == (1, before.phase, before.rep)
    assert logs(out, "heard")[0].data == {
        "text": "banana", "intent": None, "phrase": None, "confidence": 1.0,
        "source": "voice", "outcome": "rejected"}
    c.say("status")
    assert c.state.misses == 0
    c.say("banana")
    out = c.say("apple")
    assert texts(out) == ["Sorry, I didn't catch that. You can say next, repeat, or help."]
    assert c.state.misses == 0
    assert c.state.last_heard is not None and (
        c.state.last_heard.text, c.state.last_heard.outcome, c.state.last_heard.intent) == (
        "apple", "rejected", None)


def test_misses_while_paused_say_nothing() -> None:
    c = counting()
    c.command("pause")
    for word in ("banana", "apple", "cherry"):
        assert says(c.say(word)) == []


def test_heard_records_phrase_confidence_and_source() -> None:
    c = Coach.started(three_steps())
    out = c.send(Heard(0.0, "Go on!", Intent("next", "go on"), confidence=0.83, source="voice"))
    assert logs(out, "heard")[0].data == {
        "text": "Go on!", "intent": "next", "phrase": "go on", "confidence": 0.83,
        "source": "voice", "outcome": "accepted"}
    assert out[0] == logs(out, "heard")[0]  # the heard record comes first


def test_an_unknown_command_intent_is_program_misuse() -> None:
    c = Coach.started(three_steps())
    before = c.state
    with pytest.raises(CoachError):
        c.send(Heard(0.0, "jump", Intent("jump", "jump")))
    assert c.state is before
