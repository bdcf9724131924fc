"""The session log: every session and what happened in it, in one SQLite file.

Why SQLite: one file a user can copy, a reader (`voicecoach history`, the TUI's
history screen) can read while a session writes it, and transactions, so a crash
or a power cut never leaves half an event or a broken file.

Durability, chosen on purpose:
- `journal_mode=WAL`: readers never block the writer; a commit appends to the
  `-wal` file, and the main file changes only at checkpoints.
- `synchronous=FULL`: each commit fsyncs the WAL, so an event is on the disk when
  `record()` returns. With NORMAL, WAL commits survive a killed *process* but a
  *power cut* can roll back every commit since the last checkpoint (many events);
  the promise here is "at most the last event". The cost, measured: ~0.2 ms a
  commit on this machine's disk, a few ms on an SD card, for a handful of events a
  second. The shell should speak first and log after, so the fsync is never
  between hearing and answering.
- One event, one transaction (autocommit `INSERT`); the session row's progress
  counters are updated in the same transaction as the event that changed them.

Failure policy: the log must never end a workout. A file that is not a database
is moved aside (`sessions.db.unreadable-<UTC time>`, never deleted) and a new one
started; a file or folder we cannot write, a full disk, a newer schema: one
warning line, and the session goes on unlogged.

Schema versions live in `PRAGMA user_version` and `_MIGRATIONS`: version N is
reached by running `_MIGRATIONS[N-1]`; a file from a newer voicecoach is not
touched.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from voicecoach import locations
from voicecoach.wavfile import write_pcm16

SCHEMA_VERSION = 1

_MIGRATIONS: tuple[str, ...] = (
    # 1: sessions, events, and a corrections view over the events.
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,          -- ISO 8601, UTC
        ended_at TEXT,                     -- NULL: running, or the process died
        routine TEXT NOT NULL,             -- the routine's name
        routine_path TEXT,                 -- the file it was loaded from
        routine_sha256 TEXT,               -- hash of that file's bytes
        engine TEXT NOT NULL,              -- pocketsphinx, vosk, text
        end_reason TEXT,                   -- done, stop, interrupted, error
        steps_done INTEGER NOT NULL DEFAULT 0,
        sets_done INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id),
        t REAL NOT NULL,                   -- seconds since the session started
        kind TEXT NOT NULL,                -- heard, say, step, correction, pause, ...
        data TEXT NOT NULL DEFAULT '{}'    -- the rest of the record, JSON
    );
    CREATE INDEX events_by_session ON events(session_id, id);
    CREATE INDEX events_by_kind ON events(kind);
    -- One row per correction given (the coach's `correction` record). `correction` is
    -- its identity: the routine path such as steps[2].corrections[0], else its text.
    -- `answer` is what the coach said for it: the record's own `say`, else the next
    -- correction/safety `say` record of the same session (the coach logs, then says).
    CREATE VIEW corrections AS
    SELECT e.id AS event_id, e.session_id, e.t,
           COALESCE(json_extract(e.data, '$.path'), json_extract(e.data, '$.correction'),
                    json_extract(e.data, '$.say'), json_extract(e.data, '$.text')) AS correction,
           COALESCE(json_extract(e.data, '$.say'), json_extract(e.data, '$.text'),
                    (SELECT json_extract(n.data, '$.text') FROM events n
                     WHERE n.session_id = e.session_id AND n.id > e.id AND n.kind = 'say'
                       AND json_extract(n.data, '$.say_kind') IN ('correction', 'safety')
                     ORDER BY n.id LIMIT 1)) AS answer,
           COALESCE(json_extract(e.data, '$.form'), 'full') AS form,
           COALESCE(json_extract(e.data, '$.phrase'), json_extract(e.data, '$.heard')) AS phrase,
           json_extract(e.data, '$.step') AS step
    FROM events e WHERE e.kind = 'correction';
    """,
)

WarningSink = Callable[[str], None]


def _warn_stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _RoutineLike(Protocol):
    """What a session needs to know of its routine (a `Routine` is one)."""

    @property
    def name(self) -> str: ...
    @property
    def source(self) -> Path | None: ...
    @property
    def sha256(self) -> str: ...


# --- what readers get -----------------------------------------------------------


@dataclass(frozen=True)
class SessionSummary:
    """One row of `voicecoach history`."""

    id: int
    started_at: str
    """ISO 8601, UTC."""
    ended_at: str | None
    """None: still running, or the process died before it could say."""
    routine: str
    routine_path: str | None
    routine_sha256: str | None
    engine: str
    end_reason: str | None
    steps_done: int
    sets_done: int
    events: int
    heard: int
    """Utterances decoded."""
    rejected: int
    """Of those, not understood."""
    corrections: int

    @property
    def seconds(self) -> float | None:
        """Wall-clock length, None while running or after a crash."""
        if self.ended_at is None:
            return None
        start = datetime.fromisoformat(self.started_at)
        return (datetime.fromisoformat(self.ended_at) - start).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "seconds": self.seconds}


@dataclass(frozen=True)
class CorrectionCount:
    """A correction and how often it was asked for, across all sessions."""

    correction: str
    """Its identity: the routine path (`steps[2].corrections[0]`) or its text."""
    answer: str | None
    """The coach's answer, as last given in full."""
    phrase: str | None
    """What the person last said to ask for it (`my heels are lifting`)."""
    times: int
    sessions: int
    last_at: str
    """When it was last asked (the session's start, ISO 8601 UTC)."""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class EventRow:
    session_id: int
    t: float
    """Seconds since the session started."""
    kind: str
    data: Mapping[str, Any]


# --- writing ---------------------------------------------------------------------


class SessionRecorder:
    """Writes one session's events. `record()` is durable when it returns.

    Thread-safe (the audio thread may record `heard`, the coach thread the rest).
    A write error disables the recorder with one warning; the session goes on.
    """

    def __init__(self, log: SessionLog, session_id: int | None) -> None:
        self._log = log
        self.session_id = session_id
        self._t0 = time.monotonic()
        self._ended = False
        self._steps_seen: list[str] = []
        self.steps_done = 0
        self.sets_done = 0
        self.events_written = 0

    @property
    def enabled(self) -> bool:
        return self.session_id is not None and self._log.writable

    def record(self, record: Mapping[str, Any]) -> None:
        """Store one record: `kind` (required), `t` (seconds; default: since start), rest as JSON.

        These are the coach's `Log` records (as simulate prints them) and the shell's own
        (`heard` with engine, confidence and outcome; `warning`; `device`...).
        """
        if self._ended or not self.enabled:
            return
        data = dict(record)
        kind = str(data.pop("kind", "") or "unknown")
        t_raw = data.pop("t", None)
        t = float(t_raw) if isinstance(t_raw, (int, float)) else time.monotonic() - self._t0
        progressed = self._track(kind, data)
        payload = json.dumps(data, default=str, ensure_ascii=False, separators=(",", ":"))
        statements: list[tuple[str, tuple[Any, ...]]] = [
            ("INSERT INTO events(session_id, t, kind, data) VALUES (?, ?, ?, ?)",
             (self.session_id, t, kind, payload)),
        ]
        if progressed:
            statements.append(("UPDATE sessions SET steps_done = ?, sets_done = ? WHERE id = ?",
                               (self.steps_done, self.sets_done, self.session_id)))
        if self._log._write(statements):
            self.events_written += 1

    def _track(self, kind: str, data: Mapping[str, Any]) -> bool:
        """Keep steps/sets done up to date from the records themselves (crash-proof progress).

        A step counts as done when the coach moves on to a step not seen before (or
        reaches `done`); a set when the coach says so (`set_done`). Records that carry
        `steps_done`/`sets_done` are taken as they are (the coach's `stop`/`done` carry
        `sets_done`); the shell's own counts at `end()` win over all of these.
        """
        before = (self.steps_done, self.sets_done)
        if kind == "step":
            step_id = str(data.get("id", ""))
            if step_id not in self._steps_seen:
                self.steps_done = max(self.steps_done, len(self._steps_seen))
                self._steps_seen.append(step_id)
        elif kind == "set_done":
            self.sets_done += 1
        elif kind == "done":
            self.steps_done = max(self.steps_done, len(self._steps_seen))
        for key in ("steps_done", "sets_done"):
            value = data.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                setattr(self, key, value)
        return (self.steps_done, self.sets_done) != before

    def end(self, reason: str, *, steps_done: int | None = None,
            sets_done: int | None = None) -> None:
        """Close the session row (idempotent). The shell passes the coach's own counts."""
        if self._ended:
            return
        self._ended = True
        if steps_done is not None:
            self.steps_done = steps_done
        if sets_done is not None:
            self.sets_done = sets_done
        if not self.enabled:
            return
        self._log._write([(
            "UPDATE sessions SET ended_at = ?, end_reason = ?, steps_done = ?, sets_done = ? "
            "WHERE id = ?",
            (_utc_now(), reason, self.steps_done, self.sets_done, self.session_id))])

    def __enter__(self) -> SessionRecorder:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.end("done")
        elif issubclass(exc_type, KeyboardInterrupt):
            self.end("interrupted")
        else:
            self.end("error")


class SessionLog:
    """The session database. Open with `SessionLog.open()`; never raises for a bad file."""

    def __init__(self, path: Path, conn: sqlite3.Connection | None,
                 on_warning: WarningSink) -> None:
        self.path = path
        self._conn = conn
        self._lock = threading.Lock()
        self._warn = on_warning
        self.warnings: list[str] = []

    # -- opening --

    @classmethod
    def open(cls, path: str | Path | None = None,
             on_warning: WarningSink | None = None) -> SessionLog:
        """Open (creating or migrating) the log. Problems become one warning, never an exception.

        `on_warning` receives each one-line warning (default: stderr); the TUI passes its
        own so the line does not land under the screen.
        """
        target = Path(path) if path is not None else locations.session_db()
        sink = on_warning or _warn_stderr
        log = cls(target, None, sink)
        try:
            log._conn = _connect(target)
        except _Unreadable as exc:
            aside = _move_aside(target)
            if aside is None:
                log._warning(f"session log {target} is unreadable ({exc}) and could not be "
                             "moved aside; this session is not logged")
                return log
            log._warning(f"session log {target} was unreadable ({exc}); kept it as {aside.name} "
                         "and started a new one")
            try:
                log._conn = _connect(target)
            except (_Unreadable, _Unwritable, sqlite3.Error, OSError) as again:
                log._warning(f"session log {target}: {again}; this session is not logged")
        except _Unwritable as exc:
            log._warning(f"session log {target}: {exc}; this session is not logged")
        except (sqlite3.Error, OSError) as exc:
            log._warning(f"session log {target}: {exc}; this session is not logged")
        return log

    @property
    def writable(self) -> bool:
        return self._conn is not None

    def _warning(self, message: str) -> None:
        self.warnings.append(message)
        self._warn(message)

    # -- writing --

    def start_session(self, routine: _RoutineLike, engine: str) -> SessionRecorder:
        """A recorder for a new session (a disabled one when the log is not writable)."""
        row = (_utc_now(), routine.name, str(routine.source) if routine.source else None,
               routine.sha256 or None, engine)
        session_id: int | None = None
        with self._lock:
            if self._conn is not None:
                try:
                    cur = self._conn.execute(
                        "INSERT INTO sessions(started_at, routine, routine_path, routine_sha256,"
                        " engine) VALUES (?, ?, ?, ?, ?)", row)
                    session_id = cur.lastrowid
                except sqlite3.Error as exc:
                    self._disable(exc)
        return SessionRecorder(self, session_id)

    def _write(self, statements: list[tuple[str, tuple[Any, ...]]]) -> bool:
        with self._lock:
            if self._conn is None:
                return False
            try:
                if len(statements) == 1:
                    self._conn.execute(*statements[0])
                else:
                    self._conn.execute("BEGIN IMMEDIATE")
                    try:
                        for sql, params in statements:
                            self._conn.execute(sql, params)
                    except BaseException:
                        self._conn.execute("ROLLBACK")
                        raise
                    self._conn.execute("COMMIT")
                return True
            except sqlite3.Error as exc:
                self._disable(exc)
                return False

    def _disable(self, exc: Exception) -> None:
        """Called with the lock held: stop logging, keep the file, say so once."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._warning(f"session log {self.path}: {exc}; the rest of this session is not logged")

    # -- reading --

    def sessions(self, limit: int = 20) -> list[SessionSummary]:
        """Newest first."""
        rows = self._query(
            """
            SELECT s.id, s.started_at, s.ended_at, s.routine, s.routine_path, s.routine_sha256,
                   s.engine, s.end_reason, s.steps_done, s.sets_done,
                   (SELECT count(*) FROM events e WHERE e.session_id = s.id),
                   (SELECT count(*) FROM events e WHERE e.session_id = s.id AND e.kind = 'heard'),
                   (SELECT count(*) FROM events e WHERE e.session_id = s.id AND e.kind = 'heard'
                        AND json_extract(e.data, '$.outcome') = 'rejected'),
                   (SELECT count(*) FROM events e WHERE e.session_id = s.id
                        AND e.kind = 'correction')
            FROM sessions s ORDER BY s.id DESC LIMIT ?
            """, (max(0, limit),))
        return [SessionSummary(*row) for row in rows]

    def top_corrections(self, limit: int = 5) -> list[CorrectionCount]:
        """The corrections asked for most, across all sessions; ties: the latest asked first."""
        rows = self._query(
            """
            SELECT c.correction,
                   (SELECT c2.answer FROM corrections c2 WHERE c2.correction = c.correction
                        AND c2.form = 'full' ORDER BY c2.event_id DESC LIMIT 1),
                   (SELECT c3.phrase FROM corrections c3 WHERE c3.correction = c.correction
                        AND c3.phrase IS NOT NULL ORDER BY c3.event_id DESC LIMIT 1),
                   count(*), count(DISTINCT c.session_id), max(s.started_at)
            FROM corrections c JOIN sessions s ON s.id = c.session_id
            WHERE c.correction IS NOT NULL
            GROUP BY c.correction ORDER BY count(*) DESC, max(c.event_id) DESC LIMIT ?
            """, (max(0, limit),))
        return [CorrectionCount(*row) for row in rows]

    def events(self, session_id: int) -> list[EventRow]:
        rows = self._query("SELECT session_id, t, kind, data FROM events WHERE session_id = ?"
                           " ORDER BY id", (session_id,))
        return [EventRow(sid, t, kind, _loads(data)) for sid, t, kind, data in rows]

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            if self._conn is None:
                return []
            try:
                return list(self._conn.execute(sql, params).fetchall())
            except sqlite3.Error as exc:
                self._warning(f"session log {self.path}: cannot read it ({exc})")
                return []

    def close(self) -> None:
        """Checkpoint and close (idempotent); the `-wal` file is folded into the main file."""
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            # A reader may hold the WAL; then the next open checkpoints instead.
            with contextlib.suppress(sqlite3.Error):
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()

    def __enter__(self) -> SessionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- opening, migrating, moving aside -------------------------------------------


class _Unreadable(Exception):
    """The file exists but is not a (readable) SQLite database."""


class _Unwritable(Exception):
    """We may not create or write the file (permissions, read-only disk, newer schema)."""


def _connect(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _Unwritable(f"cannot create {path.parent} ({exc.strerror or exc})") from None
    if path.is_dir():
        raise _Unwritable("is a directory")
    try:
        conn = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise _Unwritable(str(exc)) from None
    # A -wal file left at open means the last writer did not close (a crash, a power
    # cut) or is still running: the one time a full page check is worth its cost
    # (~30 ms for a year of sessions here), so damage is found now, not mid-workout.
    unclean = path.with_name(path.name + "-wal").exists()
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if unclean:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise sqlite3.DatabaseError(f"damaged: {verdict}")
    except sqlite3.OperationalError as exc:  # locked, no permission: the file may be fine
        conn.close()
        raise _Unwritable(str(exc)) from None
    except sqlite3.DatabaseError as exc:  # not a database, or a damaged one
        conn.close()
        raise _Unreadable(str(exc)) from None
    try:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise _Unwritable(f"cannot use WAL mode (got {mode})")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        if version > SCHEMA_VERSION:
            raise _Unwritable(f"made by a newer voicecoach (schema {version}, we know "
                              f"{SCHEMA_VERSION}); not touching it")
        _migrate(conn, version)
    except sqlite3.OperationalError as exc:
        conn.close()
        raise _Unwritable(str(exc)) from None
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise _Unreadable(str(exc)) from None
    except _Unwritable:
        conn.close()
        raise
    return conn


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    for target in range(version + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(_MIGRATIONS[target - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {target}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def _statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    without_comments = re.sub(r"--[^\n]*", "", script)
    return [s.strip() for s in without_comments.split(";") if s.strip()]


def _move_aside(path: Path) -> Path | None:
    """Rename an unreadable log (and its -wal/-shm) out of the way; never delete it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.unreadable-{stamp}")
    try:
        path.rename(aside)
    except OSError:
        return None
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            with contextlib.suppress(OSError):
                side.rename(aside.with_name(aside.name + suffix))
    return aside


def _loads(text: str) -> Mapping[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {"raw": text}
    return value if isinstance(value, dict) else {"value": value}


# --- kept audio of rejected utterances ------------------------------------------

DEFAULT_KEEP_AUDIO_BYTES = 50 * 1024 * 1024


def save_rejected_audio(pcm: bytes, rate: int, meta: Mapping[str, Any], *,
                        directory: Path | None = None,
                        cap_bytes: int = DEFAULT_KEEP_AUDIO_BYTES) -> Path | None:
    """Keep one rejected utterance (16-bit mono PCM) as a WAV plus a `.json` of `meta`.

    Then delete the oldest pairs until the folder is within `cap_bytes`, so the
    option can stay on for months on a small SD card. Returns the WAV's path, or
    None when it could not be written (never raises: it is a tuning aid).
    """
    folder = directory if directory is not None else locations.kept_audio_dir()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    words = re.sub(r"[^a-z0-9]+", "-", str(meta.get("text", "")).lower()).strip("-")[:40]
    stem = f"{stamp}-{words}" if words else stamp
    wav_path = folder / f"{stem}.wav"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_pcm16(wav_path, pcm, rate)
        side = {**meta, "rate": rate, "seconds": len(pcm) / 2 / rate}
        wav_path.with_suffix(".json").write_text(json.dumps(side, default=str), encoding="utf-8")
    except OSError:
        return None
    cap_kept_audio(folder, cap_bytes)
    return wav_path if wav_path.exists() else None


def cap_kept_audio(folder: Path, cap_bytes: int) -> list[Path]:
    """Delete the oldest WAV/JSON pairs until the folder's total is <= cap; returns what went."""
    try:
        # Names start with a UTC timestamp, so sorted means oldest first.
        wavs = sorted(folder.glob("*.wav"))
    except OSError:
        return []
    sizes: dict[Path, int] = {}
    for wav in wavs:
        total = 0
        for part in (wav, wav.with_suffix(".json")):
            with contextlib.suppress(OSError):
                total += part.stat().st_size
        sizes[wav] = total
    total_bytes = sum(sizes.values())
    removed: list[Path] = []
    for wav in wavs:
        if total_bytes <= cap_bytes:
            break
        for part in (wav, wav.with_suffix(".json")):
            try:
                part.unlink()
            except FileNotFoundError:
                pass
            except OSError:
                continue
        total_bytes -= sizes[wav]
        removed.append(wav)
    return removed
