"""What a valid file means: every default resolved, phrases normalised to tuples, paths kept."""

from __future__ import annotations

from voicecoach.routine import loads_routine
from voicecoach.routine.commands import BUILTIN_COMMANDS

TEXT = """\
format = 1
[routine]
name = "Build"
language = "EN-GB"
[settings]
advance = "auto"
rate = 120
[commands]
next = ["done", "Next!"]
skip_rest = "onward"
[[steps]]
id = "hold"
title = "Hold"
cue = "Hold it."
hold_seconds = 5
[[steps]]
id = "reps"
title = "Reps"
cue = "Go."
advance = "voice"
sets = 2
reps = 3.0
tempo = [3, 1.5]
rest_seconds = 10
[[steps.corrections]]
when = "too fast"
say = "Slow down."
[[corrections]]
when = ["ouch"]
say = "Stop."
then = "pause"
"""


def test_defaults_are_resolved() -> None:
    routine = loads_routine(TEXT)
    hold, reps = routine.steps
    assert (routine.language, routine.settings.rate, routine.settings.count_reps) == (
        "en-gb",
        120,
        True,
    )
    assert (hold.advance, hold.hold_seconds, hold.sets, hold.reps, hold.tempo) == (
        "auto",
        5.0,
        1,
        None,
        (2.0, 2.0),
    )
    assert hold.rest_seconds == 0.0 and hold.why is None
    assert (reps.advance, reps.sets, reps.reps, reps.tempo, reps.rest_seconds) == (
        "voice",
        2,
        3,
        (3.0, 1.5),
        10.0,
    )
    assert isinstance(reps.reps, int)


def test_commands_add_to_builtins_without_repeats() -> None:
    routine = loads_routine(TEXT)
    assert routine.commands["next"] == (*BUILTIN_COMMANDS["next"], "done")
    assert routine.commands["skip_rest"] == (*BUILTIN_COMMANDS["skip_rest"], "onward")
    assert set(routine.commands) == set(BUILTIN_COMMANDS)


def test_corrections_keep_their_paths_and_phrases_as_tuples() -> None:
    routine = loads_routine(TEXT)
    (step_correction,) = routine.steps[1].corrections
    (global_correction,) = routine.corrections
    assert (step_correction.when, step_correction.path, step_correction.then) == (
        ("too fast",),
        "steps[1].corrections[0]",
        "continue",
    )
    assert global_correction.path == "corrections[0]" and global_correction.is_global
    assert not step_correction.is_global
