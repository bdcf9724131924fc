"""The coach: a pure state machine from events (words, time, speech ends) to effects.

`initial_state(routine)` then `step(state, event) -> (state, effects)`; see
`voicecoach/coach/engine.py` for the theory of operation.

Layer: coach. Imports only `routine` and infrastructure; no threads, clock, audio or I/O.
"""

from voicecoach.coach.engine import CoachError, initial_state, is_safety, next_deadline, step
from voicecoach.coach.records import effect_records
from voicecoach.coach.state import CoachState, LastHeard, Phase
from voicecoach.coach.words import estimate_speech_seconds

__all__ = [
    "CoachError",
    "CoachState",
    "LastHeard",
    "Phase",
    "effect_records",
    "estimate_speech_seconds",
    "initial_state",
    "is_safety",
    "next_deadline",
    "step",
]
