"""A rough length for a routine, for `voicecoach routines`: "about how long is this?".

Only an estimate: a `voice` step lasts as long as the person wants. We count
the timed parts (reps at the tempo, holds, rests), the spoken cues at the
routine's rate, and a fixed guess for each untimed voice step.
"""

from __future__ import annotations

from voicecoach.routine.models import Routine, Step

UNTIMED_STEP_SECONDS = 30.0
"""A guess for a `voice` step with neither reps nor a hold: time to try it and say "next"."""


def _speech_seconds(text: str, rate: int) -> float:
    return len(text.split()) * 60.0 / rate


def step_seconds(step: Step, rate: int) -> float:
    if step.reps is not None:
        per_set = step.reps * sum(step.tempo)
    elif step.hold_seconds is not None:
        per_set = step.hold_seconds
    else:
        per_set = UNTIMED_STEP_SECONDS
    cue = _speech_seconds(step.cue, rate)
    return step.sets * (per_set + cue) + (step.sets - 1) * step.rest_seconds


def rough_seconds(routine: Routine) -> float:
    return sum(step_seconds(step, routine.settings.rate) for step in routine.steps)


def rough_length(routine: Routine) -> str:
    """`~7 min`, or `<1 min`."""
    minutes = round(rough_seconds(routine) / 60)
    return f"~{minutes} min" if minutes >= 1 else "<1 min"
