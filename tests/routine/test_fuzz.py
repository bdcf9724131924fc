"""Property: no routine data and no bytes make the loader raise; every problem is one line."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from voicecoach.errors import RoutineError
from voicecoach.routine import loads_routine
from voicecoach.routine.loader import check_data

KEYS = [
    "format",
    "routine",
    "name",
    "settings",
    "advance",
    "rate",
    "commands",
    "next",
    "steps",
    "id",
    "title",
    "cue",
    "why",
    "reps",
    "sets",
    "hold_seconds",
    "tempo",
    "rest_seconds",
    "corrections",
    "when",
    "say",
    "then",
    "setings",
    "count_reps",
    "correction_cooldown",
    "skip_rest",
    "a\nb\x1b",
]
scalars = st.one_of(
    st.integers(-5, 500),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from(
        ["auto", "voice", "pause", "next", "heels-in", "", "my knees hurt", "?!", "x\ny\u2028z"]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), values, max_size=6))
def test_check_data_never_raises(data: dict) -> None:
    for problem in check_data(data, "fuzz.toml"):
        line = str(problem)
        assert line.startswith("fuzz.toml") and len(line.splitlines()) == 1 and "\x1b" not in line


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_any_bytes_give_a_routine_or_a_routine_error(data: bytes | str) -> None:
    try:
        loads_routine(data, "fuzz.toml")
    except RoutineError as exc:
        assert exc.problems and all(p.startswith("fuzz.toml") for p in exc.problems)
