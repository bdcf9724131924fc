"""`voicecoach simulate`: the script format, its errors, and golden runs of the built-in routines.

Golden files live in tests/data/golden/<script>.jsonl. To regenerate them after
a deliberate change, run `UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/coach/test_simulate.py`
and read the diff (`git diff tests/data/golden`) before accepting it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.coach.helpers import plain, reps, routine
from voicecoach.cli import main
from voicecoach.coach.simulate import Phrase, ScriptError, Wait, parse_script, run_script
from voicecoach.routine import load_routine

DATA = Path(__file__).resolve().parents[1] / "data"
SCRIPTS = DATA / "scripts"
GOLDEN = DATA / "golden"

#: script file stem -> the routine it runs
GOLDEN_RUNS = {"squat": "squat", "squat-stop": "squat", "mobility": "mobility"}


Simulate = Callable[..., tuple[int, str, str]]


@pytest.fixture
def simulate(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Simulate:
    """Run `voicecoach simulate ARGS` through the real entry point (its error handling too)."""

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["voicecoach", "simulate", *args])
        with pytest.raises(SystemExit) as info:
            main()
        out, err = capsys.readouterr()
        return int(info.value.code or 0), out, err

    return run


# --- the script format ------------------------------------------------------------------


def test_parse_script_reads_phrases_waits_comments_and_blanks() -> None:
    text = "# a comment\n\nnext\n  WAIT 2.5  \nmy heels are lifting  # trailing comment\nwait 0\n"
    assert parse_script(text) == [
        Phrase("next", 3), Wait(2.5, 4), Phrase("my heels are lifting", 5), Wait(0.0, 6)]


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("wait x", "`wait` needs a number of seconds, got 'x'"),
        ("wait", "expected `wait SECONDS`"),
        ("wait 1 2", "expected `wait SECONDS`"),
        ("wait -1", "from 0 to 86400"),
        ("wait nan", "from 0 to 86400"),
        ("wait inf", "from 0 to 86400"),
        ("wait 1e9", "from 0 to 86400"),
    ],
    ids=["not-a-number", "no-number", "two-numbers", "negative", "nan", "inf", "too-long"],
)
def test_bad_wait_lines_name_the_line(line: str, words: str) -> None:
    with pytest.raises(ScriptError) as info:
        parse_script(f"next\n# fine\n{line}\n", name="s.txt")
    assert info.value.message.startswith("s.txt:3: ")
    assert words in info.value.message
    assert info.value.exit_code == 2


def test_cli_bad_script_is_one_line_on_stderr_exit_2(tmp_path: Path, simulate: Simulate) -> None:
    script = tmp_path / "bad.txt"
    script.write_text("next\nwait x\n")
    code, out, err = simulate("squat", "--script", str(script))
    assert (code, out) == (2, "")
    assert err.strip().splitlines() == [
        f"error: {script}:2: `wait` needs a number of seconds, got 'x'"]


@pytest.mark.parametrize("kind", ["missing", "directory", "binary"])
def test_cli_unreadable_scripts_are_clear_errors(tmp_path: Path, kind: str,
                                                 simulate: Simulate) -> None:
    path = tmp_path / "script.txt"
    if kind == "directory":
        path.mkdir()
    elif kind == "binary":
        path.write_bytes(b"\xff\xfe\x00wait\x80")
    code, out, err = simulate("squat", "--script", str(path))
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1 and str(path) in err


def test_cli_unknown_routine_fails_without_output(tmp_path: Path, simulate: Simulate) -> None:
    script = tmp_path / "s.txt"
    script.write_text("next\n")
    code, out, err = simulate("no-such-routine", "--script", str(script))
    assert code != 0 and out == "" and err


# --- the driver ---------------------------------------------------------------------------


def test_records_are_json_lines_with_the_documented_fields() -> None:
    r = routine(plain("a", cue="Hello there."), reps("b", reps=2))
    records = list(run_script(r, parse_script("next\nwait 10\nnext\n")))
    assert records[0] == {"t": 0.0, "kind": "start", "routine": "Test routine", "steps": 2,
                          "rate": 165, "beeps": False}
    assert records[1] == {"t": 0.0, "kind": "step", "id": "a", "index": 0, "title": "A",
                          "set": 1, "sets": 1, "rep": 0}
    assert records[2] == {"t": 0.0, "kind": "say", "text": "Hello there.", "id": 1,
                          "say_kind": "cue", "priority": "cue", "awaited": True}
    heard = records[3]
    assert heard == {"t": 0.0, "kind": "heard", "text": "next", "intent": "next", "phrase": "next",
                     "confidence": 1.0, "source": "text", "outcome": "accepted"}
    kinds = [rec["kind"] for rec in records]
    assert kinds.count("done") == 1 and kinds[-1] == "done"
    counts = [rec for rec in records if rec.get("say_kind") == "count"]
    # the cue "Do b." takes 0.2 + 2 words at 165 wpm + one full stop = 1.177 s; a rep 2 s
    assert [(c["t"], c["text"]) for c in counts] == [(3.177, "one"), (5.177, "two")]
    ts = [float(rec["t"]) for rec in records]  # type: ignore[arg-type]
    assert ts == sorted(ts)


def test_nothing_after_the_session_ends() -> None:
    r = routine(plain("a"))
    records = list(run_script(r, parse_script("stop\nnext\nwait 100\nhelp\n")))
    assert records[-1]["kind"] == "stop"
    assert [rec for rec in records if rec["kind"] == "heard"][-1]["text"] == "stop"


def test_simulate_is_deterministic() -> None:
    script = parse_script((SCRIPTS / "squat.txt").read_text())
    r = load_routine("squat")
    assert list(run_script(r, script)) == list(run_script(r, script))


# --- golden runs of the built-in routines ---------------------------------------------------


@pytest.mark.parametrize("name", sorted(GOLDEN_RUNS))
def test_golden_simulate_runs(name: str, simulate: Simulate) -> None:
    code, out, err = simulate(GOLDEN_RUNS[name], "--script", str(SCRIPTS / f"{name}.txt"))
    assert (code, err) == (0, "")
    golden = GOLDEN / f"{name}.jsonl"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(out, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    pairs = zip(out.splitlines(), expected.splitlines(), strict=False)
    for number, (got, want) in enumerate(pairs, 1):
        assert json.loads(got) == json.loads(want), f"{golden.name} line {number}"
    assert len(out.splitlines()) == len(expected.splitlines())
    assert out == expected


def test_golden_runs_reach_the_end_they_were_written_for() -> None:
    ends = {name: json.loads((GOLDEN / f"{name}.jsonl").read_text().splitlines()[-1])["kind"]
            for name in GOLDEN_RUNS}
    assert ends == {"squat": "done", "squat-stop": "stop", "mobility": "done"}
