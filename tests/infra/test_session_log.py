"""The SQLite session log: round trip, WAL and durability, crash safety, bad files."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import wave
from pathlib import Path

import pytest

from voicecoach import locations
from voicecoach.routine.models import Routine, Step
from voicecoach.session_log import (
    SCHEMA_VERSION,
    SessionLog,
    cap_kept_audio,
    save_rejected_audio,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ROUTINE = Routine(name="squat", steps=(Step(id="warmup", title="W", cue="c"),),
                  source=Path("/routines/squat.toml"), sha256="ab" * 32)


def heard(text: str, outcome: str = "accepted", t: float = 1.0) -> dict[str, object]:
    return {"t": t, "kind": "heard", "text": text, "engine": "pocketsphinx",
            "confidence": 0.8, "outcome": outcome}


def correction(path: str, say: str, t: float = 2.0) -> dict[str, object]:
    return {"t": t, "kind": "correction", "path": path, "say": say, "phrase": "my heels lift"}


def test_round_trip_at_the_default_place() -> None:
    warnings: list[str] = []
    with SessionLog.open(on_warning=warnings.append) as log:
        assert log.path == locations.session_db()
        rec = log.start_session(ROUTINE, "pocketsphinx")
        rec.record({"t": 0.0, "kind": "step", "id": "warmup", "set": 1, "rep": 0})
        rec.record(heard("next"))
        rec.record(heard("banana", "rejected"))
        rec.record(correction("steps[1].corrections[0]", "Sit back onto your heels."))
        rec.record({"t": 5.0, "kind": "step", "id": "drop", "set": 1, "rep": 0})
        rec.record({"t": 8.0, "kind": "set_done", "id": "drop", "set": 1, "reps": 5})
        rec.record({"t": 9.0, "kind": "set", "id": "drop", "set": 2, "rep": 0})
        rec.end("stop")
        rec.end("done")  # idempotent: the first reason stays

        [s] = log.sessions()
        events = log.events(s.id)
    assert warnings == []
    assert (s.routine, s.routine_path, s.routine_sha256, s.engine) == (
        "squat", "/routines/squat.toml", "ab" * 32, "pocketsphinx")
    assert s.end_reason == "stop" and s.ended_at is not None and s.seconds is not None
    assert (s.events, s.heard, s.rejected, s.corrections) == (7, 2, 1, 1)
    assert (s.steps_done, s.sets_done) == (1, 1)  # warmup left behind; drop's set 1 over
    assert [e.kind for e in events] == ["step", "heard", "heard", "correction", "step",
                                        "set_done", "set"]
    assert events[2].data == {"text": "banana", "engine": "pocketsphinx", "confidence": 0.8,
                              "outcome": "rejected"}
    assert events[1].t == 1.0


def test_a_real_coached_session_round_trips() -> None:
    """The coach's own records (as the shell passes them) give the history its answers."""
    from voicecoach.coach.simulate import parse_script, run_script
    from voicecoach.routine import load_routine

    routine = load_routine("squat")
    script = parse_script((REPO / "tests/data/scripts/squat.txt").read_text(encoding="utf-8"))
    records = list(run_script(routine, script))
    with SessionLog.open() as log:
        rec = log.start_session(routine, "text")
        for record in records:
            rec.record(record)
        rec.end("done")
        [s] = log.sessions()
        top = log.top_corrections(10)
        stored = log.events(s.id)
    done = next(r for r in records if r["kind"] == "done")
    assert s.routine_path == str(routine.source) and s.routine_sha256 == routine.sha256
    assert s.sets_done == done["sets_done"] == sum(r["kind"] == "set_done" for r in records)
    assert s.steps_done == len({r["id"] for r in records if r["kind"] == "step"})
    assert len(stored) == len(records)
    asked = [r for r in records if r["kind"] == "correction"]
    assert sum(c.times for c in top) == len(asked) > 0
    heels = next(c for c in top if c.phrase == "my heels are lifting")
    assert heels.times == 2 and heels.correction.startswith("steps[")
    assert heels.answer and heels.answer != heels.phrase  # the coach's full answer, not the ack


def test_explicit_counts_and_records_that_carry_them(tmp_path: Path) -> None:
    with SessionLog.open(tmp_path / "s.db") as log:
        rec = log.start_session(ROUTINE, "text")
        rec.record({"kind": "done", "sets_done": 7})
        assert rec.sets_done == 7
        rec.end("done", steps_done=4, sets_done=9)
        [s] = log.sessions()
    assert (s.steps_done, s.sets_done, s.end_reason) == (4, 9, "done")


def test_unended_session_and_context_manager(tmp_path: Path) -> None:
    with SessionLog.open(tmp_path / "s.db") as log:
        log.start_session(ROUTINE, "text").record(heard("next"))
        with pytest.raises(KeyboardInterrupt), log.start_session(ROUTINE, "text"):
            raise KeyboardInterrupt
        newest, oldest = log.sessions()
    assert oldest.ended_at is None and oldest.end_reason is None and oldest.seconds is None
    assert newest.end_reason == "interrupted"


def test_top_corrections_counts_across_sessions(tmp_path: Path) -> None:
    with SessionLog.open(tmp_path / "s.db") as log:
        for _ in range(2):
            rec = log.start_session(ROUTINE, "pocketsphinx")
            rec.record(correction("steps[1].corrections[0]", "Sit back onto your heels."))
            rec.record(correction("steps[1].corrections[0]", "Sit back onto your heels."))
            rec.end("done")
        rec = log.start_session(ROUTINE, "pocketsphinx")
        rec.record({"kind": "correction", "say": "A correction without a path."})
        rec.record(correction("corrections[0]", "Stop. We pause here."))
        rec.end("done")
        top = log.top_corrections(5)
        assert len(log.top_corrections(1)) == 1
    assert [(c.correction, c.times, c.sessions) for c in top][:2] == [
        ("steps[1].corrections[0]", 4, 2), ("corrections[0]", 1, 1)]
    assert top[0].answer == "Sit back onto your heels."
    assert top[2].correction == "A correction without a path."


def test_wal_full_sync_and_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    log = SessionLog.open(path)
    assert log._conn is not None
    assert log._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    log.start_session(ROUTINE, "text").record(heard("next"))
    other = sqlite3.connect(path)
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert other.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert other.execute("SELECT count(*) FROM events").fetchone()[0] == 1  # committed
    other.close()
    log.close()
    log.close()  # idempotent
    assert SessionLog.open(path).sessions()[0].heard == 1  # reopening migrates nothing


def test_killed_process_loses_at_most_the_last_event(tmp_path: Path) -> None:
    """SIGKILL mid-stream: the file opens clean and holds every acknowledged event."""
    path = tmp_path / "crash.db"
    child = subprocess.Popen([sys.executable, str(HERE / "data" / "crash_writer.py"), str(path)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "started"
        acknowledged = 0
        while acknowledged < 200:
            acknowledged = int(child.stdout.readline())
        child.send_signal(signal.SIGKILL)
        for line in child.stdout:  # lines printed before the kill landed
            acknowledged = int(line)
    finally:
        child.kill()
        child.wait(timeout=30)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert Path(str(path) + "-wal").exists()  # it really died without a clean close

    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = db.execute("SELECT count(*) FROM events").fetchone()[0]
    numbers = [json.loads(d)["i"] for (d,) in db.execute("SELECT data FROM events ORDER BY id")]
    db.close()
    assert acknowledged <= stored <= acknowledged + 1
    assert numbers == list(range(stored))  # none lost in the middle either

    with SessionLog.open(path) as log:  # and the app can go on using it
        [s] = log.sessions()
        assert s.ended_at is None and s.heard == stored


def test_reader_while_a_session_writes(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    writer_log = SessionLog.open(path)
    rec = writer_log.start_session(ROUTINE, "pocketsphinx")
    done = threading.Event()

    def write() -> None:
        for i in range(300):
            rec.record(heard(f"n{i}"))
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    warnings: list[str] = []
    reader = SessionLog.open(path, on_warning=warnings.append)
    seen: list[int] = []
    while not done.is_set() or len(seen) < 3:
        [s] = reader.sessions()
        seen.append(s.heard)
    thread.join(timeout=60)
    assert warnings == []
    assert seen == sorted(seen)  # consistent snapshots, never going backwards
    assert reader.sessions()[0].heard == 300
    reader.close()
    writer_log.close()


def test_unreadable_file_is_moved_aside_not_deleted(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    garbage = b"this is not a database" * 100
    path.write_bytes(garbage)
    warnings: list[str] = []
    with SessionLog.open(path, on_warning=warnings.append) as log:
        assert log.writable
        log.start_session(ROUTINE, "text").record(heard("next"))
        assert log.sessions()[0].heard == 1
    [aside] = tmp_path.glob("sessions.db.unreadable-*")
    assert aside.read_bytes() == garbage
    assert len(warnings) == 1 and "\n" not in warnings[0] and aside.name in warnings[0]


def test_damage_found_after_a_crash_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    with SessionLog.open(path) as log:
        rec = log.start_session(ROUTINE, "text")
        for i in range(300):
            rec.record(heard(f"utterance number {i} " + "x" * 100))
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 6 * page
    data[3 * page + 100: 3 * page + 1500] = b"\xde\xad" * 700  # inside a table page
    path.write_bytes(bytes(data))
    Path(str(path) + "-wal").write_bytes(b"")  # as a crashed writer leaves it
    warnings: list[str] = []
    with SessionLog.open(path, on_warning=warnings.append) as log:
        assert log.writable and log.sessions() == []
    assert len(warnings) == 1 and "unreadable" in warnings[0]
    [aside] = tmp_path.glob("sessions.db.unreadable-*")
    assert aside.read_bytes() == bytes(data)


def test_unwritable_place_means_an_unlogged_session(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    warnings: list[str] = []
    log = SessionLog.open(blocker / "sessions.db", on_warning=warnings.append)
    assert not log.writable and len(warnings) == 1 and "not logged" in warnings[0]
    rec = log.start_session(ROUTINE, "text")
    rec.record(heard("next"))  # no exception: the workout goes on
    rec.end("done")
    assert not rec.enabled and log.sessions() == [] and log.top_corrections() == []
    log.close()


def test_write_failure_mid_session_disables_logging_once(tmp_path: Path) -> None:
    warnings: list[str] = []
    log = SessionLog.open(tmp_path / "s.db", on_warning=warnings.append)
    rec = log.start_session(ROUTINE, "text")
    assert log._conn is not None
    log._conn.execute("PRAGMA query_only = ON")  # every later write fails, like a full disk
    rec.record(heard("next"))
    rec.record(heard("next"))
    rec.end("done")
    assert len(warnings) == 1 and "rest of this session is not logged" in warnings[0]
    assert not log.writable
    log.close()


def test_newer_schema_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.execute("CREATE TABLE future (x)")
    db.commit()
    db.close()
    before = path.read_bytes()
    warnings: list[str] = []
    log = SessionLog.open(path, on_warning=warnings.append)
    assert not log.writable and "newer voicecoach" in warnings[0]
    log.start_session(ROUTINE, "text").record(heard("x"))
    log.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 99
    assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("future",)]
    db.close()
    assert len(path.read_bytes()) == len(before)


def test_kept_audio_is_capped_oldest_first(tmp_path: Path) -> None:
    pcm = b"\x01\x00" * 16000  # one second at 16 kHz, 32 kB
    kept = [save_rejected_audio(pcm, 16000, {"text": f"say {i}!", "confidence": 0.1},
                                directory=tmp_path, cap_bytes=100_000) for i in range(5)]
    assert all(p is not None for p in kept)
    left = sorted(tmp_path.glob("*.wav"))
    assert left == [p for p in kept if p is not None][-3:]  # 3 x ~32 kB fit under 100 kB
    assert sum(f.stat().st_size for f in tmp_path.iterdir()) <= 100_000
    with wave.open(str(left[-1])) as w:
        assert (w.getframerate(), w.getnchannels(), w.getnframes()) == (16000, 1, 16000)
    meta = json.loads(left[-1].with_suffix(".json").read_text())
    assert meta["text"] == "say 4!" and meta["seconds"] == 1.0
    assert "say-4" in left[-1].name
    assert cap_kept_audio(tmp_path, 0) == left and list(tmp_path.iterdir()) == []


def test_kept_audio_default_place_and_unwritable(tmp_path: Path) -> None:
    path = save_rejected_audio(b"\x00\x00" * 10, 16000, {})
    assert path is not None and path.parent == locations.kept_audio_dir()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert save_rejected_audio(b"\x00\x00", 16000, {}, directory=blocker / "sub") is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_read_only_file(tmp_path: Path) -> None:  # pragma: no cover - CI runs as root
    path = tmp_path / "s.db"
    SessionLog.open(path).close()
    path.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        warnings: list[str] = []
        log = SessionLog.open(path, on_warning=warnings.append)
        log.start_session(ROUTINE, "text").record(heard("x"))
        assert warnings
    finally:
        tmp_path.chmod(0o755)
