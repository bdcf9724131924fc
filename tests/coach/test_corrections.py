"""Corrections: scope, `then`, cooldown, pain and safety."""

from __future__ import annotations

import pytest

from tests.coach.helpers import (
    DIZZY,
    HEELS,
    KNEES,
    PAIN,
    TOO_EASY,
    TWISTED,
    WOBBLY,
    Coach,
    hushed,
    logs,
    plain,
    routine,
    says,
    texts,
    three_steps,
)
from voicecoach.coach import Phase, is_safety
from voicecoach.coach.effects import Finish, Hush, Priority
from voicecoach.coach.events import Heard
from voicecoach.coach.intents import CORRECTION, Intent


def at_squat(**settings: object) -> Coach:
    c = Coach.started(three_steps(**settings))
    c.command("next")
    c.done_speaking()
    return c


def test_a_step_correction_is_spoken_in_its_step() -> None:
    c = at_squat()
    out = c.say("my heels are lifting")
    (say,) = says(out)
    assert (say.text, say.kind, say.priority, say.awaited) == (
        HEELS.say, "correction", Priority.CORRECTION, False)
    assert logs(out, "correction")[0].data == {
        "path": "steps[1].corrections[0]", "phrase": "my heels are lifting", "form": "full",
        "then": "continue", "safety": False, "scope": "step"}
    assert c.state.correction_counts == {"steps[1].corrections[0]": 1}
    assert c.state.last_said == HEELS.say
    assert c.state.phase is Phase.COUNTING  # continue: the set goes on


def test_a_known_correction_outside_its_step_is_answered_by_the_nearest_step() -> None:
    """Issue 13: "my heels are lifting" in a step that does not list it was `rejected` and
    the coach said nothing. The nearest step that has it answers, and the record says so."""
    c = Coach.started(three_steps())  # step 0 (intro): HEELS belongs to step 1
    out = c.say("my heels are lifting")
    assert texts(out) == [HEELS.say]
    assert logs(out, "heard")[0].data["outcome"] == "accepted"
    assert logs(out, "correction")[0].data == {
        "path": "steps[1].corrections[0]", "phrase": "my heels are lifting", "form": "full",
        "then": "continue", "safety": False, "scope": "nearest-step", "from_step": "squat"}
    assert c.state.step_index == 0 and c.state.correction_counts == {
        "steps[1].corrections[0]": 1}


def test_a_borrowed_repeat_step_correction_does_not_move_the_person() -> None:
    """TWISTED says then="repeat-step" for the squat step; heard in the hold step it is
    advice only: restarting a step the person is not in would be wrong."""
    c = at_squat()
    while c.state.current_step.id != "hold":
        c.command("next")
    c.done_speaking()
    out = c.say("i feel twisted")
    assert texts(out) == [TWISTED.say]
    data = logs(out, "correction")[0].data
    assert (data["then"], data["scope"], data["from_step"]) == ("continue", "nearest-step",
                                                                "squat")
    assert (c.state.current_step.id, c.state.phase) == ("hold", Phase.HOLDING)


def test_the_nearest_step_answers_and_the_earlier_wins_a_tie() -> None:
    from voicecoach.coach.intents import listen_phrases, match
    from voicecoach.routine.models import Correction

    def fix(n: int) -> Correction:
        return Correction(when=("it wobbles",), say=f"Advice {n}.",
                          path=f"steps[{n}].corrections[0]")

    r = routine(plain("a", corrections=(fix(0),)), plain("b"), plain("c"),
                plain("d", corrections=(fix(3),)), plain("e"))
    answered = [m.correction.say if (m := match(r, i, "it wobbles")) and m.correction else None
                for i in range(5)]
    assert answered == ["Advice 0.", "Advice 0.", "Advice 3.", "Advice 3.", "Advice 3."]
    assert match(r, 0, "it wobbles").from_step is None  # type: ignore[union-attr]
    assert match(r, 1, "it wobbles").from_step == "a"  # type: ignore[union-attr]
    assert match(r, 1, "banana") is None
    # the recognizer listens for it in every step; the screen's own scope stays the step's
    assert all("it wobbles" in listen_phrases(r, i) for i in range(5))


def test_an_out_of_scope_correction_intent_is_ignored_defensively() -> None:
    c = Coach.started(three_steps())
    before = c.state
    phrase = "my heels are lifting"
    # the phrase is answered by HEELS (nearest step); an intent claiming WOBBLY is a bug
    out = c.send(Heard(0.0, phrase, Intent(CORRECTION, phrase, WOBBLY)))
    assert says(out) == []
    assert logs(out, "heard")[0].data["outcome"] == "ignored"
    assert (c.state.correction_counts, c.state.phase, c.state.last_said) == (
        before.correction_counts, before.phase, before.last_said)
    # a correction with a phrase in scope but a different meaning: also ignored
    fake = Intent(CORRECTION, "too easy", HEELS)
    assert says(c.send(Heard(0.0, "too easy", fake))) == []


def test_global_corrections_work_in_every_step() -> None:
    c = Coach.started(three_steps())
    assert texts(c.say("too easy")) == [TOO_EASY.say]
    c.command("next")
    assert texts(c.say("too easy")) == ["Same as before: Go a little deeper."]


def test_the_same_correction_within_the_cooldown_gets_the_short_form() -> None:
    c = at_squat(correction_cooldown=20)
    c.say("my heels are lifting")
    c.tick(19.0)
    out = c.say("my heels are lifting")
    assert texts(out) == ["Same as before: Roll the heels in."]
    assert logs(out, "correction")[0].data["form"] == "short"
    assert c.state.last_said == HEELS.say  # "repeat" still gives the whole answer
    c.tick(1.0)  # 20 s after the full one: full again
    assert texts(c.say("my heels are lifting")) == [HEELS.say]
    assert c.state.correction_counts == {"steps[1].corrections[0]": 3}


def test_zero_cooldown_always_speaks_in_full() -> None:
    c = at_squat(correction_cooldown=0)
    assert texts(c.say("my heels are lifting")) == texts(c.say("my heels are lifting"))


def test_then_pause_says_the_text_then_pauses() -> None:
    c = Coach.started(three_steps())
    for _ in range(4):  # intro -> squat set 1 cue -> its rest -> set 2 cue -> hold step
        c.command("next")
    assert c.state.step_index == 2
    c.done_speaking()
    out = c.say("i'm wobbly")
    (say,) = says(out)
    assert [type(e) for e in out].index(Hush) < out.index(say)
    assert say.text == (
        "Hold on to something. Then carry on. I've paused. Say resume when you're ready.")
    assert (say.kind, say.priority) == ("correction", Priority.CORRECTION)
    assert c.state.paused and logs(out, "pause")[0].data == {"reason": "correction"}
    c.tick(30.0)
    assert c.state.phase is Phase.HOLDING and c.state.timer_elapsed == 0.0


def test_pain_pauses_at_safety_priority_and_says_so() -> None:
    c = at_squat()
    c.tick(1.0)
    out = c.say("ouch")
    assert hushed(out)
    (say,) = says(out)
    assert (say.kind, say.priority) == ("safety", Priority.SAFETY)
    assert say.text.startswith(PAIN.say)
    assert c.state.paused and logs(out, "pause")[0].data == {"reason": "safety"}
    assert logs(out, "correction")[0].data["safety"] is True


def test_a_pain_phrase_pauses_even_when_the_routine_says_continue() -> None:
    assert is_safety(KNEES) and is_safety(PAIN) and not is_safety(HEELS)
    c = at_squat()
    out = c.say("my knees hurt")
    assert c.state.paused
    (say,) = says(out)
    assert say.priority is Priority.SAFETY
    assert logs(out, "correction")[0].data["then"] == "pause"


def test_safety_is_never_shortened_and_is_spoken_while_paused() -> None:
    c = at_squat()
    c.say("that hurts")
    out = c.say("that hurts")
    assert c.state.paused
    assert texts(out) == [PAIN.say]  # in full, the one thing said while paused
    assert says(out)[0].priority is Priority.SAFETY
    assert texts(c.say("my heels are lifting")) == []  # other corrections: silent while paused
    assert c.state.last_heard is not None and c.state.last_heard.outcome == "ignored"


def test_then_stop_ends_the_session_after_the_text() -> None:
    c = at_squat()
    out = c.say("i feel dizzy")
    spoken = says(out)
    assert spoken[0].text == DIZZY.say
    assert spoken[1].kind == "summary"
    assert [type(e) for e in out].index(Hush) < out.index(spoken[0])  # hush first, never after
    assert [type(e) for e in out].count(Hush) == 1
    assert c.state.phase is Phase.STOPPED and Finish("stop") in out


def test_then_repeat_step_restarts_the_step_from_set_one() -> None:
    c = at_squat()
    c.tick(6.0)
    c.command("skip_rest")
    c.done_speaking()
    assert c.state.set_number == 2
    out = c.say("i feel twisted")
    assert texts(out) == ["That's expected. Check a mirror.", "Set 1 of 2. Do squat."]
    assert (c.state.set_number, c.state.phase, c.state.rep) == (1, Phase.ANNOUNCING, 0)
    assert logs(out, "step")[0].data["id"] == "squat"
    assert c.state.last_said == "That's expected. Check a mirror."


@pytest.mark.parametrize("phase_setup", ["announcing", "resting", "waiting"])
def test_corrections_work_in_every_phase(phase_setup: str) -> None:
    c = Coach.started(three_steps())
    c.command("next")
    if phase_setup != "announcing":
        c.done_speaking()
        c.tick(6.0)
    if phase_setup == "waiting":
        c.command("skip_rest")
        c.done_speaking()
        c.tick(6.0)
    before = c.state.phase
    assert texts(c.say("my heels are lifting")) == [HEELS.say]
    assert c.state.phase is before


def test_wobbly_is_not_about_pain() -> None:
    assert not is_safety(WOBBLY)


def test_after_a_pain_pause_resume_picks_the_count_up_where_it_stood() -> None:
    c = at_squat()
    c.tick(2.5)  # rep one done, half-way into the down of rep two
    assert (c.state.rep, c.state.rep_phase) == (1, "down")
    assert c.state.timer_elapsed == pytest.approx(0.5)
    frozen = (c.state.rep, c.state.rep_phase, c.state.timer_elapsed)
    c.say("that hurts")
    c.tick(120.0, by=1.0)
    assert (c.state.rep, c.state.rep_phase, c.state.timer_elapsed) == frozen
    c.say("resume")
    c.done_speaking()
    c.tick(1.5)  # the rest of the down, then the up
    assert (c.state.rep, c.state.rep_phase) == (2, "down")


def test_a_pausing_correction_within_the_cooldown_is_short_but_still_pauses() -> None:
    c = Coach.started(three_steps())
    for _ in range(4):
        c.command("next")
    c.done_speaking()
    c.say("i'm wobbly")
    c.say("resume")
    out = c.say("i'm wobbly")
    assert texts(out) == [
        "Same as before: Hold on to something. I've paused. Say resume when you're ready."]
    assert c.state.paused


def test_phrase_meanings_group_the_phrases_of_one_intent() -> None:
    """The recognizer decides a phrase early only when longer ones mean the same: this says."""
    from voicecoach.coach.intents import active_phrases, phrase_meanings
    from voicecoach.routine import load_routine

    squat = load_routine("squat")
    meanings = phrase_meanings(squat, 0)
    assert set(meanings) == set(active_phrases(squat, 0))
    assert meanings["next"] == meanings["next step"] == "next"
    assert meanings["stop"] == meanings["stop the session"] == "stop"
    assert meanings["that hurts"] == meanings["it hurts"] != meanings["next"]
    in_step = phrase_meanings(squat, 1)
    corrections = {m for m in in_step.values() if m.startswith("correction ")}
    assert len(corrections) == len(squat.steps[1].corrections) + len(squat.corrections)


def test_an_intents_meaning_is_what_the_coach_does_with_it_whatever_the_phrase() -> None:
    """Benches score a command by this: another phrase of the same correction is right."""
    from voicecoach.coach.intents import match
    from voicecoach.routine import load_routine

    squat = load_routine("squat")
    glutes, butt = match(squat, None, "i can't feel my glutes"), match(squat, None,
                                                                       "i can't feel my butt")
    assert glutes is not None and butt is not None and glutes != butt
    assert glutes.meaning == butt.meaning
    knees = match(squat, None, "my knees hurt")
    assert knees is not None and knees.meaning != glutes.meaning
    stop, long_stop = match(squat, None, "stop"), match(squat, None, "stop the session")
    assert stop is not None and long_stop is not None and stop.meaning == long_stop.meaning
