"""`voicecoach history`: text and JSON over a real session log."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tests.infra.conftest import RunCli
from voicecoach import locations
from voicecoach.cli import cli
from voicecoach.routine.models import Routine, Step
from voicecoach.session_log import SessionLog

ROUTINE = Routine(name="squat", steps=(Step(id="warmup", title="W", cue="c"),))


def fill() -> None:
    with SessionLog.open() as log:
        for reason in ("done", "stop"):
            rec = log.start_session(ROUTINE, "pocketsphinx")
            rec.record({"t": 1.0, "kind": "heard", "text": "my heels lift",
                        "engine": "pocketsphinx", "confidence": 0.9, "outcome": "accepted"})
            rec.record({"t": 1.5, "kind": "heard", "text": "banana", "engine": "pocketsphinx",
                        "confidence": 0.2, "outcome": "rejected"})
            rec.record({"t": 2.0, "kind": "correction", "path": "steps[2].corrections[1]",
                        "phrase": "my heels lift", "form": "full"})
            rec.record({"t": 2.0, "kind": "say", "text": "Sit back onto your heels.",
                        "say_kind": "correction"})
            rec.end(reason, steps_done=3, sets_done=5)
        log.start_session(ROUTINE, "text")  # never ended: a crash


def test_empty_says_so_and_creates_nothing() -> None:
    result = CliRunner().invoke(cli, ["history"])
    assert result.exit_code == 0 and result.output.strip() == "no sessions yet"
    assert not locations.session_db().exists()
    data = json.loads(CliRunner().invoke(cli, ["history", "--json"]).output)
    assert data["sessions"] == [] and data["top_corrections"] == []


def test_text_lists_sessions_newest_first_and_top_corrections() -> None:
    fill()
    result = CliRunner().invoke(cli, ["history"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("sessions (newest first")
    assert lines[1].lstrip().startswith("#3") and "unfinished" in lines[1]
    assert "#2" in lines[2] and "stop" in lines[2] and "steps 3, sets 5" in lines[2]
    assert "heard 2 (1 not understood)" in lines[2] and "[pocketsphinx]" in lines[2]
    assert "corrections asked for most:" in lines
    assert any("2x  steps[2].corrections[1]  \"my heels lift\" -> \"Sit back onto your heels.\""
               in line
               and "(2 sessions)" in line for line in lines)


def test_json_and_limit() -> None:
    fill()
    result = CliRunner().invoke(cli, ["history", "--json", "--limit", "2"])
    data = json.loads(result.output)
    assert [s["id"] for s in data["sessions"]] == [3, 2]
    assert data["sessions"][1]["end_reason"] == "stop" and data["sessions"][1]["rejected"] == 1
    assert data["sessions"][0]["ended_at"] is None and data["sessions"][0]["seconds"] is None
    assert data["top_corrections"][0] == {
        "correction": "steps[2].corrections[1]", "answer": "Sit back onto your heels.",
        "phrase": "my heels lift", "times": 2, "sessions": 2,
        "last_at": data["sessions"][1]["started_at"]}
    assert data["db"] == str(locations.session_db())


def test_one_session_as_json_lines(run_cli: RunCli) -> None:
    fill()
    result = CliRunner().invoke(cli, ["history", "--session", "2"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [r["kind"] for r in lines] == ["heard", "heard", "correction", "say"]
    assert lines[1] == {"t": 1.5, "kind": "heard", "text": "banana", "engine": "pocketsphinx",
                        "confidence": 0.2, "outcome": "rejected"}
    missing = run_cli("history", "--session", "99")
    assert missing.code == 2 and "no session 99" in missing.err


def test_bad_limit_and_unreadable_db(run_cli: RunCli) -> None:
    result = run_cli("history", "--limit", "0")
    assert result.code == 2 and result.err.strip() == "error: --limit must be at least 1, not 0"
    db: Path = locations.session_db()
    db.parent.mkdir(parents=True)
    db.write_bytes(b"garbage" * 10)
    result = run_cli("history")
    assert result.code == 0 and result.out.strip() == "no sessions yet"
    assert result.err.startswith("warning: session log") and len(result.err.splitlines()) == 1
    assert list(db.parent.glob("sessions.db.unreadable-*"))
