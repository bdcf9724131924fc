"""`voicecoach history`: past sessions and the corrections asked for most."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from voicecoach import locations
from voicecoach.errors import UsageError
from voicecoach.session_log import CorrectionCount, SessionLog, SessionSummary

TOP_CORRECTIONS = 5


def main(as_json: bool = False, limit: int = 20, session_id: int | None = None) -> int:
    if limit < 1:
        raise UsageError(f"--limit must be at least 1, not {limit}")
    path = locations.session_db()
    if session_id is not None:
        return _events(path, session_id)
    if not path.exists():  # don't create an empty database just to say it is empty
        sessions: list[SessionSummary] = []
        corrections: list[CorrectionCount] = []
    else:
        with SessionLog.open(path) as log:
            sessions = log.sessions(limit)
            corrections = log.top_corrections(TOP_CORRECTIONS)

    if as_json:
        click.echo(json.dumps({
            "db": str(path),
            "sessions": [s.to_dict() for s in sessions],
            "top_corrections": [c.to_dict() for c in corrections],
        }, indent=2, ensure_ascii=False))
        return 0

    if not sessions:
        click.echo("no sessions yet")
        return 0
    click.echo(f"sessions (newest first; {path}):")
    for s in sessions:
        click.echo("  " + _session_line(s))
    if corrections:
        click.echo("")
        click.echo("corrections asked for most:")
        for c in corrections:
            click.echo("  " + _correction_line(c))
    return 0


def _events(path: Path, session_id: int) -> int:
    """One session's records, as JSON lines: what was heard, said and done, in order."""
    events = []
    if path.exists():
        with SessionLog.open(path) as log:
            events = log.events(session_id)
    if not events:
        raise UsageError(f"no session {session_id} in {path} (see `voicecoach history`)")
    for event in events:
        click.echo(json.dumps({"t": event.t, "kind": event.kind, **event.data},
                              ensure_ascii=False))
    return 0


def _local(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _session_line(s: SessionSummary) -> str:
    ending = s.end_reason or "unfinished"
    heard = f"heard {s.heard}" + (f" ({s.rejected} not understood)" if s.rejected else "")
    return (f"#{s.id:<4} {_local(s.started_at)}  {s.routine:<12} {_duration(s.seconds):>7}  "
            f"{ending:<10} steps {s.steps_done}, sets {s.sets_done}, {heard}, "
            f"corrections {s.corrections}  [{s.engine}]")


def _correction_line(c: CorrectionCount) -> str:
    asked = f"  \"{c.phrase}\"" if c.phrase else ""
    answer = f" -> \"{c.answer}\"" if c.answer and c.answer != c.correction else ""
    in_sessions = "1 session" if c.sessions == 1 else f"{c.sessions} sessions"
    return f"{c.times:>3}x  {c.correction}{asked}{answer}  ({in_sessions})"
