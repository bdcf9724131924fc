"""`voicecoach run` as a person runs it: a real subprocess, keyboard on stdin, no audio.

`--keyboard --mute` so no device is needed; the speech-driven runs are in
test_e2e_audio.py. Every wait is bounded, and every process is killed in a
`finally`, whatever the test's outcome.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.signals import ctrl_c_as_in_a_terminal

REPO = Path(__file__).resolve().parents[2]
SHORT = REPO / "tests" / "data" / "routines" / "e2e-short.toml"
BAD = REPO / "tests" / "data" / "routines" / "bad"


class Run:
    """A running `voicecoach run` with its stdout collected line by line in a thread."""

    def __init__(self, args: list[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "voicecoach", "run", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, cwd=REPO, env={**os.environ, **(env or {})},
            preexec_fn=ctrl_c_as_in_a_terminal,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if text in line:
                    return line
            if self.proc.poll() is not None and self._reader.is_alive() is False:
                break
            time.sleep(0.05)
        raise AssertionError(f"no line with {text!r} within {timeout} s; got:\n"
                             + "\n".join(self.lines))

    def type(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def finish(self, timeout: float = 30.0) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def stderr(self) -> str:
        assert self.proc.stderr is not None
        return self.proc.stderr.read() if self.proc.poll() is not None else ""

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):  # the process is gone: nothing to flush
                    stream.close()


@pytest.fixture
def run_cli() -> Iterator[Any]:
    started: list[Run] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Run:
        run = Run(list(args), env)
        started.append(run)
        return run

    yield start
    for run in started:
        run.kill()


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_keyboard_session_runs_to_the_end(run_cli: Any, tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    run = run_cli(str(SHORT), "--no-tui", "--keyboard", "--mute", "--event-log", str(log))
    run.wait_for("say     Stand tall")
    run.type("my heels are lifting")
    run.wait_for("Roll the heels in")
    run.type("n")
    run.wait_for("step    2/3")
    run.wait_for("step    3/3", timeout=30)  # the auto rep step counts two reps and moves on
    run.type("next")
    assert run.finish(timeout=30) == 0
    kinds = [r["kind"] for r in records(log)]
    assert kinds[:2] == ["session_start", "start"] and "done" in kinds
    assert kinds[-1] == "session_end"
    heard = [r for r in records(log) if r["kind"] == "heard"]
    assert [(h["text"], h["outcome"]) for h in heard] == [
        ("my heels are lifting", "accepted"), ("next", "accepted"), ("next", "accepted")]
    assert "saved   session log:" in run.lines[-1]


def test_sigterm_ends_cleanly_and_saves_the_log(run_cli: Any, tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    run = run_cli(str(SHORT), "--no-tui", "--keyboard", "--mute", "--event-log", str(log))
    run.wait_for("say     Stand tall")
    run.proc.send_signal(signal.SIGTERM)
    assert run.finish(timeout=15) == 0
    assert records(log)[-1] == {**records(log)[-1], "kind": "session_end",
                                "reason": "interrupted"}
    assert "Traceback" not in run.stderr()
    db = Path(os.environ["XDG_DATA_HOME"]) / "voicecoach" / "sessions.db"
    with sqlite3.connect(db) as conn:
        ended, reason = conn.execute(
            "SELECT ended_at, end_reason FROM sessions ORDER BY id DESC LIMIT 1").fetchone()
    assert ended is not None and reason == "interrupted"


def test_ctrl_c_ends_cleanly(run_cli: Any, tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    run = run_cli(str(SHORT), "--no-tui", "--keyboard", "--mute", "--event-log", str(log))
    run.wait_for("say     Stand tall")
    run.proc.send_signal(signal.SIGINT)
    assert run.finish(timeout=15) == 130
    assert records(log)[-1]["kind"] == "session_end"
    assert "Traceback" not in run.stderr()


def test_stop_command_ends_the_session(run_cli: Any, tmp_path: Path) -> None:
    run = run_cli(str(SHORT), "--no-tui", "--keyboard", "--mute")
    run.wait_for("say     Stand tall")
    run.type("stop the session")
    assert run.finish(timeout=30) == 0
    assert any("end     stop" in line for line in run.lines)


@pytest.mark.parametrize("bad", sorted(p.name for p in BAD.glob("*.toml"))[:4])
def test_run_refuses_an_invalid_routine_like_check(bad: str) -> None:
    path = str(BAD / bad)
    check = subprocess.run([sys.executable, "-m", "voicecoach", "check", path],
                           capture_output=True, text=True, timeout=60, cwd=REPO)
    run = subprocess.run([sys.executable, "-m", "voicecoach", "run", path, "--no-tui",
                          "--keyboard", "--mute"],
                         capture_output=True, text=True, timeout=60, cwd=REPO,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 2
    assert run.stderr.strip() and "Traceback" not in run.stderr
    for line in run.stderr.strip().splitlines():
        assert line in check.stdout + check.stderr


def test_run_names_an_unknown_routine_in_one_line() -> None:
    run = subprocess.run([sys.executable, "-m", "voicecoach", "run", "no-such-routine",
                          "--no-tui", "--keyboard", "--mute"],
                         capture_output=True, text=True, timeout=60, cwd=REPO,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 2
    assert "no-such-routine" in run.stderr and "Traceback" not in run.stderr


def test_missing_input_file_is_a_usage_error(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "voicecoach", "run", str(SHORT), "--no-tui",
                          "--input-file", str(tmp_path / "nope.wav"), "--mute"],
                         capture_output=True, text=True, timeout=60, cwd=REPO,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 2
    assert "nope.wav" in run.stderr and "Traceback" not in run.stderr


def test_user_config_gives_the_defaults_and_flags_override(run_cli: Any, tmp_path: Path) -> None:
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "voicecoach" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'routine = "{SHORT}"\nengine = "text"\nrate = 200\n')
    log = tmp_path / "events.jsonl"
    run = run_cli("--no-tui", "--mute", "--event-log", str(log))
    run.wait_for("routine End to end: short")
    run.type("q")
    assert run.finish(timeout=30) == 0
    assert records(log)[1]["rate"] == 200  # the coach's start record

    log2 = tmp_path / "events2.jsonl"
    run = run_cli("--no-tui", "--mute", "--rate", "120", "--event-log", str(log2))
    run.wait_for("routine End to end: short")
    run.type("q")
    assert run.finish(timeout=30) == 0
    assert records(log2)[1]["rate"] == 120


def test_no_microphone_falls_back_to_the_keyboard(run_cli: Any, tmp_path: Path) -> None:
    # No sound server (and no sound card on a CI machine): the mic cannot open. That is
    # a notice, not a failure, and typed commands drive the session.
    env = {"PULSE_SERVER": f"unix:{tmp_path / 'no-such-socket'}"}
    run = run_cli(str(SHORT), "--no-tui", "--engine", "pocketsphinx", "--mute", env=env)
    run.wait_for("say     Stand tall", timeout=60)
    run.type("stop")
    assert run.finish(timeout=30) == 0
    err = run.stderr()
    assert "note:" in err and "keyboard" in err and "Traceback" not in err


def test_run_refuses_words_the_engine_cannot_hear(tmp_path: Path) -> None:
    routine = tmp_path / "odd.toml"
    routine.write_text(SHORT.read_text().replace('"my heels are lifting"',
                                                 '"my zorblax wobbles"'))
    check = subprocess.run([sys.executable, "-m", "voicecoach", "check", str(routine),
                            "--engine", "pocketsphinx"],
                           capture_output=True, text=True, timeout=60, cwd=REPO)
    run = subprocess.run([sys.executable, "-m", "voicecoach", "run", str(routine), "--no-tui",
                          "--engine", "pocketsphinx", "--mute"],
                         capture_output=True, text=True, timeout=60, cwd=REPO,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 2 and check.returncode == 2
    lines = [line for line in run.stderr.splitlines() if "zorblax" in line]
    assert lines and all(line in check.stderr for line in lines)
    assert "Traceback" not in run.stderr


def test_keep_audio_saves_what_was_rejected(run_cli: Any, tmp_path: Path) -> None:
    """`--keep-audio`: an ordinary sentence (not a command) is kept as a WAV + JSON to tune with."""
    from tests.support import clips
    from voicecoach import locations

    talk = clips.pad(clips.speak("I had pancakes for breakfast this morning"), 1.0, 2.0)
    wav = clips.write_wav(tmp_path / "talk.wav", talk)
    log = tmp_path / "events.jsonl"
    run = run_cli(str(SHORT), "--no-tui", "--mute", "--engine", "pocketsphinx",
                  "--input-file", str(wav), "--keep-audio", "--event-log", str(log))
    kept_dir = locations.kept_audio_dir()
    deadline = time.monotonic() + 60
    kept: list[Path] = []
    while time.monotonic() < deadline and not kept:
        kept = sorted(kept_dir.glob("*.wav")) if kept_dir.is_dir() else []
        time.sleep(0.2)
    run.proc.terminate()
    assert run.finish() == 0
    assert kept, f"nothing kept in {kept_dir}; events:\n{log.read_text()}"
    meta = json.loads(kept[0].with_suffix(".json").read_text())
    assert meta["reason"] != "gated" and meta["engine"] == "pocketsphinx"
    seconds = len(talk) / clips.SAMPLE_RATE
    assert 1.0 < meta["seconds"] < seconds  # the utterance, not the whole recording
    assert any(r["kind"] == "heard" and r["outcome"] == "rejected" for r in records(log))


# --- when input ends, and how fast a stop exits (issue 13) -----------------------------------


def test_typed_input_that_runs_out_ends_the_session_like_stop(run_cli: Any,
                                                              tmp_path: Path) -> None:
    """`printf 'next\\n' | voicecoach run --keyboard --mute --no-tui` waited forever."""
    log = tmp_path / "events.jsonl"
    run = run_cli(str(SHORT), "--no-tui", "--keyboard", "--mute", "--linger", "0.5",
                  "--event-log", str(log))
    run.wait_for("say     Stand tall")
    run.type("next")
    assert run.proc.stdin is not None
    run.proc.stdin.close()
    assert run.finish(timeout=60) == 0
    why = run.wait_for("input   end of typed input")
    assert "no input left" in why
    assert "saved   session log:" in run.lines[-1]
    kinds = [r["kind"] for r in records(log)]
    assert "input_end" in kinds and "stop" in kinds  # the summary, as "stop the session" does
    assert records(log)[-1] == {**records(log)[-1], "kind": "session_end", "reason": "input_end"}


def _speech_wav(tmp_path: Path, text: str) -> Path:
    from tests.support import clips

    return clips.write_wav(tmp_path / "said.wav", clips.pad(clips.speak(text), 0.5, 1.5))


def _run_file(wav: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`voicecoach run --no-tui --mute` on a recording with pocketsphinx, no keyboard."""
    return subprocess.run(
        [sys.executable, "-m", "voicecoach", "run", str(SHORT), "--no-tui", "--mute",
         "--engine", "pocketsphinx", "--input-file", str(wav), *extra],
        capture_output=True, text=True, timeout=90, cwd=REPO, stdin=subprocess.DEVNULL)


def test_an_input_file_that_ends_ends_the_session(tmp_path: Path) -> None:
    """`run --no-tui --input-file WAV` with no keyboard waited for "next" forever."""
    log = tmp_path / "events.jsonl"
    wav = _speech_wav(tmp_path, "my heels are lifting")
    run = _run_file(wav, "--linger", "1", "--event-log", str(log))
    assert run.returncode == 0, run.stderr
    assert "end of the input file; no input left" in run.stdout
    ends = [r for r in records(log) if r["kind"] == "input_end"]
    assert [e["input"] for e in ends] == ["voice"]
    assert records(log)[-1]["reason"] == "input_end"


def test_an_input_file_that_ends_leaves_the_keyboard_working(tmp_path: Path) -> None:
    """With a keyboard (a terminal on stdin) the file's end is said, and typing goes on."""
    import pty

    wav = _speech_wav(tmp_path, "my heels are lifting")
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "voicecoach", "run", str(SHORT), "--no-tui", "--mute",
         "--engine", "pocketsphinx", "--input-file", str(wav), "--linger", "0.5"],
        stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO)
    os.close(slave)
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if "end of the input file" in line:
                break
        assert "typed input still works" in lines[-1], lines
        time.sleep(1.5)
        assert proc.poll() is None  # typed input goes on
        os.write(master, b"stop the session\n")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
        os.close(master)


def test_stop_exits_at_once_under_mute(run_cli: Any, tmp_path: Path) -> None:
    """After "stop" the process waited out the silent voice's wrap-up: 4.1 s here, 4.5-7.9 s
    in the report. Nothing plays under --mute, so nothing is waited for. (A bound on
    behaviour, not a speed target: the numbers are in the commit message.)"""
    log = tmp_path / "events.jsonl"
    for word in ("stop the session", "q"):
        run = run_cli(str(SHORT), "--no-tui", "--keyboard", "--mute", "--event-log", str(log))
        run.wait_for("say     Stand tall")
        started = time.monotonic()
        run.type(word)
        assert run.finish(timeout=30) == 0
        assert time.monotonic() - started < 2.0, word
        assert records(log)[-1]["kind"] == "session_end"  # the log is complete


CORPUS = REPO.parent / "shared" / "speech-corpus"


@pytest.mark.skipif(not (CORPUS / "manifest.jsonl").exists(),
                    reason="the real-speech corpus (../shared/speech-corpus) is not here")
def test_a_session_that_missed_real_words_ends_with_advice(tmp_path: Path) -> None:
    """Five real people's words the squat routine does not know: the last line says so."""
    import numpy as np
    import soundfile as sf

    rows = [json.loads(line) for line in (CORPUS / "manifest.jsonl").read_text().splitlines()]
    words = [r for r in rows if r["text"] in ("marvin", "house", "bird", "happy", "learn")][:5]
    quiet = np.zeros(16000, dtype=np.int16)
    audio = [quiet]
    for r in words:
        audio += [sf.read(CORPUS / r["file"], dtype="int16")[0], quiet]
    wav = tmp_path / "talk.wav"
    sf.write(wav, np.concatenate(audio), 16000)
    run = _run_file(wav, "--linger", "0.5")
    assert run.returncode == 0, run.stderr
    hearing = [line for line in run.stdout.splitlines() if " hearing " in line]
    assert len(hearing) == 1 and "voicecoach enroll --user NAME" in hearing[0], run.stdout


def test_a_command_right_after_other_talk_is_shown_as_such(tmp_path: Path) -> None:
    """A radio's "repeat" is not taken; the log line says why, and a pause makes it count."""
    import numpy as np

    from tests.support import clips

    talk = clips.speak("I think the weather is nice today, and my friend is coming over later",
                       "en-us", 165)
    command = clips.speak("repeat", "en-us", 150)
    wav = clips.write_wav(tmp_path / "talk.wav", clips.pad(np.concatenate(
        [talk, np.zeros(9600, np.int16), command, np.zeros(32000, np.int16), command]), 1.0, 1.5))
    log = tmp_path / "events.jsonl"
    run = _run_file(wav, "--linger", "0.5", "--event-log", str(log))
    assert run.returncode == 0, run.stderr
    assert any('"repeat"' in line and "rejected: too soon after other talk" in line
               for line in run.stdout.splitlines()), run.stdout
    heard = [(r["text"], r["outcome"], r.get("reason")) for r in records(log)
             if r["kind"] == "heard" and r["text"] == "repeat"]
    assert heard[0] == ("repeat", "rejected", "after-talk")
    assert heard[1][1] == "accepted"  # the same word after a pause of 2 s
