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


# --- after the script: run on until done or waiting ------------------------------------------


def test_a_script_of_only_comments_runs_an_auto_routine_to_its_end(
        tmp_path: Path, simulate: Simulate) -> None:
    """Issue 13: it printed the start and the first cue and stopped."""
    script = tmp_path / "comments.txt"
    script.write_text("# nothing to say\n\n# at all\n")
    code, out, err = simulate("mobility", "--script", str(script))
    records = [json.loads(line) for line in out.splitlines()]
    assert (code, err) == (0, "")
    assert records[-1]["kind"] == "done"
    steps = [r["id"] for r in records if r["kind"] == "step"]
    assert steps == [s.id for s in load_routine("mobility").steps]


def test_a_voice_step_ends_the_run_with_a_waiting_record(simulate: Simulate) -> None:
    code, out, _ = simulate("squat")
    last = json.loads(out.splitlines()[-1])
    assert code == 0
    assert {k: last[k] for k in ("kind", "for", "step")} == {
        "kind": "waiting", "for": "next", "step": "heels-in"}


def test_a_pause_at_the_end_of_the_script_waits_for_resume() -> None:
    r = routine(reps("a", reps=3, advance="auto"))
    records = list(run_script(r, parse_script("pause\n")))
    assert records[-1] == {"t": 0.0, "kind": "waiting", "for": "resume", "step": "a",
                           "index": 0}


def test_max_seconds_bounds_the_run_on(simulate: Simulate) -> None:
    code, out, _ = simulate("mobility", "--max-seconds", "60")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0
    assert records[-1]["kind"] == "limit" and records[-1]["max_seconds"] == 60
    assert max(r["t"] for r in records) <= 60


def test_summary_walks_the_whole_routine_in_a_table(simulate: Simulate) -> None:
    code, out, err = simulate("squat", "--summary")
    assert (code, err) == (0, "")
    r = load_routine("squat")
    rows = out.splitlines()
    assert "what it says" in rows[2]
    for step in r.steps:
        assert any(row.startswith(step.id + " ") for row in rows), step.id
    assert "(counts 15 reps)" in out  # the squat step: 3 sets of 5
    assert rows[-1].startswith("total ") and rows[-1].endswith("then the routine ends.")
    # the same run as JSON: its `done` time is the total
    records = list(run_script(r, [], answer_next=True))
    total = float(records[-1]["t"])  # type: ignore[arg-type]
    assert f"total {total // 60:.0f}:{round(total) % 60:02d} " in rows[-1]
