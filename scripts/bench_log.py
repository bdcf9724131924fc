"""Benchmark section: the session log's cost per event and of reading history.

Why measure it: every heard utterance and every correction is one fsynced SQLite
commit (`synchronous=FULL`, see voicecoach/session_log.py). This shows what that
costs on this disk next to NORMAL, so the choice stays an informed one on slower
storage (an SD card) too.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from voicecoach.routine.models import Routine, Step
from voicecoach.session_log import SessionLog

_ROUTINE = Routine(name="bench", steps=(Step(id="a", title="A", cue="Go."),))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _record_latencies(folder: Path, synchronous: str, n: int) -> list[float]:
    log = SessionLog.open(folder / f"{synchronous}.db", on_warning=lambda m: None)
    if synchronous != "FULL" and log._conn is not None:  # the comparison only
        log._conn.execute(f"PRAGMA synchronous = {synchronous}")
    recorder = log.start_session(_ROUTINE, "bench")
    times = []
    for i in range(n):
        record = {"kind": "heard", "text": "my heels are lifting", "engine": "pocketsphinx",
                  "confidence": 0.87, "outcome": "accepted", "intent": "correction", "i": i}
        start = time.perf_counter()
        recorder.record(record)
        times.append((time.perf_counter() - start) * 1000)
    recorder.end("done")
    log.close()
    return times


def _history_read(folder: Path, sessions: int, events_each: int) -> float:
    path = folder / "history.db"
    log = SessionLog.open(path, on_warning=lambda m: None)
    assert log._conn is not None
    log._conn.execute("PRAGMA synchronous = OFF")  # filling only; not what is measured
    for _s in range(sessions):
        rec = log.start_session(_ROUTINE, "bench")
        for i in range(events_each):
            kind = "correction" if i % 10 == 0 else "heard"
            rec.record({"kind": kind, "path": f"steps[{i % 3}].corrections[0]",
                        "say": "Push your knees out.", "text": "x", "outcome": "accepted"})
        rec.end("done")
    log.close()
    start = time.perf_counter()
    with SessionLog.open(path) as log:
        log.sessions(20)
        log.top_corrections(5)
    return (time.perf_counter() - start) * 1000


def run(quick: bool = False) -> dict[str, Any]:
    n = 200 if quick else 2000
    sessions, events_each = (50, 100) if quick else (500, 200)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="voicecoach-bench-log-") as tmp:
        folder = Path(tmp)
        for sync in ("FULL", "NORMAL"):
            ms = _record_latencies(folder, sync, n)
            rows.append({"case": f"record() one event, synchronous={sync}", "n": n,
                         "p50_ms": round(statistics.median(ms), 3),
                         "p95_ms": round(_percentile(ms, 0.95), 3),
                         "max_ms": round(max(ms), 3)})
        read_ms = _history_read(folder, sessions, events_each)
        rows.append({"case": f"open + history read, {sessions} sessions x {events_each} events",
                     "n": 1, "p50_ms": round(read_ms, 1), "p95_ms": None, "max_ms": None})
    table = ["| case | n | p50 ms | p95 ms | max ms |", "|---|---|---|---|---|"]
    for r in rows:
        table.append(f"| {r['case']} | {r['n']} | {r['p50_ms']} | {r['p95_ms'] or '-'} "
                     f"| {r['max_ms'] or '-'} |")
    note = (f"SQLite {sqlite3.sqlite_version}, WAL. The log uses FULL (an event is on disk "
            "when record() returns); NORMAL is shown for comparison only.")
    return {"title": "Session log (SQLite)", "rows": rows,
            "markdown": "\n".join(table) + "\n\n" + note}
