"""Every invalid case of the routine format, one real file each, with where the message points.

The expected text is the location a user needs (a field path, or line:col for
TOML syntax) plus the gist of the message; each line must also name the file.
"""

from __future__ import annotations

import pytest

from tests.routine.conftest import BAD, DATA
from voicecoach.errors import RoutineError
from voicecoach.routine import check_file, load_routine

# file stem -> text each expected problem line must contain (after "FILE")
EXPECTED: dict[str, list[str]] = {
    "syntax-unterminated-string": [":5:12: TOML syntax error"],
    "syntax-duplicate-key": [":6:15: TOML syntax error: cannot overwrite a value"],
    "syntax-bad-value": [":11:8: TOML syntax error: invalid value"],
    "missing-format": [": format: missing required key"],
    "format-2": [": format: must be 1"],
    "format-string": [": format: must be 1"],
    "missing-routine": [": routine: missing required key"],
    "routine-not-table": [": routine: must be a table"],
    "missing-routine-name": [": routine.name: missing required key"],
    "empty-routine-name": [": routine.name: must not be empty"],
    "bad-language": [": routine.language: must be a language tag"],
    "missing-steps": [": steps: missing required key"],
    "empty-steps": [": steps: no steps"],
    "step-not-table": [": steps[0]: must be a table"],
    "missing-step-id": [": steps[0].id: missing required key"],
    "missing-step-title": [": steps[1].title: missing required key"],
    "missing-step-cue": [": steps[0].cue: missing required key"],
    "bad-step-id": [": steps[0].id: must be lower-case letters, digits and dashes"],
    "duplicate-step-id": [': steps[2].id: duplicate step id "one" (also steps[0])'],
    "reps-zero": [": steps[2].reps: must be greater than 0, not 0"],
    "reps-negative": [": steps[0].reps: must be greater than 0, not -3"],
    "reps-string": [": steps[0].reps: must be a whole number"],
    "reps-float": [": steps[0].reps: must be a whole number, not 2.5"],
    "sets-zero": [": steps[0].sets: must be greater than 0"],
    "hold-zero": [": steps[0].hold_seconds: must be greater than 0"],
    "hold-nan": [": steps[0].hold_seconds: must be a finite number"],
    "hold-huge": [": steps[0].hold_seconds: must be at most"],
    "rest-negative": [": steps[0].rest_seconds: must be between 0 and"],
    "rest-inf": [": steps[0].rest_seconds: must be between 0 and"],
    "tempo-one-number": [": steps[0].tempo: must be two numbers, like [3, 1]"],
    "tempo-zero": [": steps[0].tempo[1]: must be greater than 0"],
    "tempo-text": [": steps[0].tempo[0]: must be a number"],
    "title-date": [": steps[0].title: must be text in quotes, not a date/time"],
    "rate-too-high": [": settings.rate: must be between 80 and 450, not 500"],
    "rate-too-low": [": settings.rate: must be between 80 and 450, not 50"],
    "rate-float": [": settings.rate: must be a whole number"],
    "cooldown-negative": [": settings.correction_cooldown: must be between 0 and"],
    "count-reps-text": [": settings.count_reps: must be true or false"],
    "settings-advance-unknown": [': settings.advance: must be "voice" or "auto"'],
    "step-advance-unknown": [
        ': steps[0].advance: must be "voice" or "auto", not the text "automatic"; '
        'did you mean "auto"?'
    ],
    "then-unknown": [
        ': steps[0].corrections[0].then: must be "continue" or "pause" or "stop" or "repeat-step"'
    ],
    "auto-without-length": [
        ': steps[0].advance: is "auto" but the step has neither hold_seconds nor reps'
    ],
    "auto-from-settings-without-length": [': steps[1]: advances "auto" (from settings.advance)'],
    "unknown-key-rest-second": [
        ": steps[0].rest_second: unknown key `rest_second`; did you mean `rest_seconds`?"
    ],
    "unknown-key-cues": [": steps[0].cues: unknown key `cues`; did you mean `cue`?"],
    "unknown-top-level-key": [": setings: unknown key `setings`; did you mean `settings`?"],
    "unknown-routine-key": [
        ": routine.descripton: unknown key `descripton`; did you mean `description`?"
    ],
    "unknown-correction-key": [
        ": steps[0].corrections[0].say: missing required key",
        ": steps[0].corrections[0].says: unknown key `says`; did you mean `say`?",
    ],
    "unknown-command": [": commands.nxt: unknown key `nxt`; did you mean `next`?"],
    "command-value-number": [": commands.next: must be a phrase in quotes or a list of phrases"],
    "command-list-with-number": [": commands.repeat[1]: must be text in quotes, not 2"],
    "when-number": [
        ": steps[0].corrections[0].when: must be a phrase in quotes or a list of phrases"
    ],
    "when-list-with-number": [": steps[2].corrections[0].when[1]: must be text in quotes, not 3"],
    "when-empty-list": [": steps[0].corrections[0].when: must not be an empty list"],
    "when-empty-string": [": steps[0].corrections[0].when: must not be empty"],
    "when-no-words": [': steps[0].corrections[0].when[0]: "?!" has no words'],
    "missing-when": [": corrections[0].when: missing required key"],
    "missing-say": [": corrections[0].say: missing required key"],
    "collision-two-corrections-one-step": [
        ': steps[0].corrections[1].when[0]: "Too fast!" already means the correction at '
        "steps[0].corrections[0].when[0]"
    ],
    "collision-correction-builtin": [
        ': steps[0].corrections[0].when[0]: "Go on!" already means the built-in command `next`'
    ],
    "collision-correction-command-addition": [
        ': steps[0].corrections[0].when[0]: "ready" already means the built-in command `next` '
        "(added at commands.next[0])"
    ],
    "collision-step-and-global": [
        ': steps[0].corrections[0].when[0]: "that hurts" already means the correction at '
        "corrections[0].when[0]"
    ],
    "collision-two-globals": [
        ': corrections[1].when[1]: "ouch" already means the correction at corrections[0].when[0]'
    ],
    "collision-command-addition-builtin": [
        ': commands.next[1]: "back" already means the built-in command `back`'
    ],
    "global-correction-builtin": [
        ': corrections[0].when: "pause" already means the built-in command `pause`'
    ],
}


def test_every_bad_file_has_an_expectation() -> None:
    assert sorted(p.stem for p in BAD.glob("*.toml")) == sorted(EXPECTED)


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_bad_file_is_reported_where_it_is_wrong(stem: str) -> None:
    path = BAD / f"{stem}.toml"
    result = check_file(path)
    lines = [str(p) for p in result.problems]
    assert result.routine is None
    assert len(lines) == len(EXPECTED[stem]), lines
    for line, expected in zip(lines, EXPECTED[stem], strict=True):
        assert line.startswith(str(path)), line
        assert f"{path}{expected}" in line, line
        assert "\n" not in line


def test_load_routine_raises_one_error_with_every_problem() -> None:
    path = DATA / "many-problems.toml"
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    problems = caught.value.problems
    assert str(path) in caught.value.message
    expected = [
        ": setings: unknown key `setings`",
        ": steps[0].reps: must be greater than 0",
        ": steps[1].id: duplicate step id",
        ": steps[1].rest_second: unknown key `rest_second`; did you mean `rest_seconds`?",
        ': steps[1].advance: is "auto" but the step has neither',
        ': steps[1].corrections[0].when[0]: "next" already means the built-in command `next`',
        ": settings.rate: must be between 80 and 450",
    ]
    for text in expected:
        assert any(f"{path}{text}" in line for line in problems), (text, problems)
    assert len(problems) == len(expected)


def test_syntax_error_has_line_and_column_but_no_path() -> None:
    (problem,) = check_file(BAD / "syntax-bad-value.toml").problems
    assert (problem.line, problem.col, problem.path) == (11, 8, "")


def test_schema_problem_has_a_path_but_no_line() -> None:
    (problem,) = check_file(BAD / "reps-zero.toml").problems
    assert (problem.line, problem.path) == (None, "steps[2].reps")
