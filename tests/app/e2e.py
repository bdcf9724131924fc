"""Driving a real `voicecoach run` through the PulseAudio loop: shared by tests and the benchmark.

The run is the real command in a subprocess (`--no-tui --engine pocketsphinx
--event-log F`), pointed at the private PulseAudio daemon: the coach speaks
into the null sink, its mic records the sink's monitor, and so do we. A
"person" plays espeak-ng clips into the same sink, after the coach has
finished talking, as a person would. Everything is read back from the event
log (JSON lines, flushed per line), so no assertion depends on timing.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tests.support import clips

REPO = Path(__file__).resolve().parents[2]
VOICES: tuple[tuple[str, int], ...] = (("en-us", 150), ("en-us+f3", 150), ("en", 150),
                                       ("en-us", 175))
"""(espeak-ng voice, words per minute) for a command's first, second... attempt."""
PLAY_RATE = 16_000
"""Hertz of the clips we play; the sound server resamples to the sink's rate."""


@dataclass
class Played:
    """One clip the person said: what, and when it was in the loop (monotonic)."""

    text: str
    start: float
    end: float
    """When its last sample was written (the sink may lag a few ms)."""


@dataclass
class CoachRun:
    """A `voicecoach run` subprocess and its event log."""

    proc: subprocess.Popen[str]
    log_path: Path
    played: list[Played] = field(default_factory=list)
    retries: list[str] = field(default_factory=list)
    """Commands that had to be said again (not understood the first time)."""
    _offset: int = 0
    _records: list[dict[str, Any]] = field(default_factory=list)

    # --- the event log -----------------------------------------------------------

    def records(self) -> list[dict[str, Any]]:
        """Every record so far (reads only what was appended since the last call)."""
        try:
            with self.log_path.open("rb") as f:
                f.seek(self._offset)
                chunk = f.read()
        except FileNotFoundError:
            return list(self._records)
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.decode("utf-8").splitlines():
            if line.strip():
                self._records.append(json.loads(line))
        return list(self._records)

    def wait_record(self, pred: Any, timeout: float, after: int = 0) -> dict[str, Any]:
        """The first record (from index `after`) for which pred(record) is true."""
        deadline = time.monotonic() + timeout
        while True:
            recs = self.records()
            for r in recs[after:]:
                if pred(r):
                    return r
            if self.proc.poll() is not None:
                recs = self.records()
                for r in recs[after:]:
                    if pred(r):
                        return r
                raise AssertionError(f"voicecoach exited ({self.proc.returncode}) first; "
                                     f"last records: {recs[-8:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no such record within {timeout} s; last: {recs[-8:]}")
            time.sleep(0.05)

    def wait_quiet(self, quiet_for: float = 0.6, timeout: float = 30.0) -> None:
        """Wait until the coach has said everything and been silent for `quiet_for` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            recs = self.records()
            said = {r["id"] for r in recs if r["kind"] == "say"}
            ended = {r["say_id"] for r in recs if r["kind"] == "speech_end"}
            if said <= ended:
                last_end = max((r["at"] for r in recs if r["kind"] == "speech_end"),
                               default=0.0)
                if time.monotonic() - last_end >= quiet_for:
                    return
            if self.proc.poll() is not None:
                return
            time.sleep(0.05)
        raise AssertionError("the coach never went quiet")

    # --- the person --------------------------------------------------------------

    def say(self, text: str, device: str = "pulse", voice: str = "en-us",
            rate: int = 150) -> Played:
        """Play `text` into the loop (blocking) like a person saying it."""
        import sounddevice as sd

        samples = clips.speak(text, voice=voice, rate=rate, sample_rate=PLAY_RATE)
        # Lead-in silence: a new output stream may swallow its first few milliseconds.
        audio = clips.pad(samples, 0.3, 0.05).astype(np.float32) / 32768.0
        start = time.monotonic()
        sd.play(audio, samplerate=PLAY_RATE, device=device, blocking=True)
        played = Played(text, start, time.monotonic())
        self.played.append(played)
        return played

    def command(self, text: str, intent: str, attempts: int = 4,
                timeout: float = 8.0) -> tuple[int, dict[str, Any]]:
        """Say `text` until it is accepted as `intent`, like a person repeating themselves.

        Returns (index of the first record after the accepted attempt's start,
        the accepted heard record). A retry uses another voice, as a person
        says it a little differently the second time. Each retry is counted in
        `self.retries`:
        recognition accuracy is the speech benchmark's business; here what
        matters is what the coach does once it understood.
        """
        for attempt in range(attempts):
            self.wait_quiet()
            mark = len(self.records())
            voice, rate = VOICES[attempt % len(VOICES)]
            self.say(text, voice=voice, rate=rate)
            try:
                heard = self.wait_record(
                    lambda r: r["kind"] == "heard" and r.get("source") == "voice"
                    and r.get("outcome") == "accepted", timeout, mark)
            except AssertionError:
                if self.proc.poll() is not None or attempt == attempts - 1:
                    raise
                self.retries.append(text)
                continue
            return mark, heard
        raise AssertionError(f"{text!r} never heard")

    def heard_after(self, index: int) -> list[dict[str, Any]]:
        return [r for r in self.records()[index:] if r["kind"] == "heard"]

    # --- the end -----------------------------------------------------------------

    def stop(self, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=5)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr, self.proc.stdin):
            if stream is not None:
                with contextlib.suppress(OSError):  # the process is gone: nothing to flush
                    stream.close()


def start_run(routine: str, log_path: Path, env: dict[str, str], *extra: str) -> CoachRun:
    """`voicecoach run ROUTINE --no-tui --engine pocketsphinx --event-log LOG` in the loop."""
    out = log_path.with_suffix(".out")
    err = log_path.with_suffix(".err")
    with out.open("w") as stdout, err.open("w") as stderr:  # the child keeps its own copies
        proc = subprocess.Popen(
            [sys.executable, "-m", "voicecoach", "run", routine, "--no-tui",
             "--engine", "pocketsphinx", "--event-log", str(log_path), *extra],
            cwd=REPO, env={**os.environ, **env}, text=True,
            stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
        )
    return CoachRun(proc, log_path)


def accepted_without_a_person(run: CoachRun, slack: float = 2.5) -> list[dict[str, Any]]:
    """Accepted voice commands that no played clip can explain: self-triggers.

    Each heard record's time (`t`, seconds since the session started) is put on
    time.monotonic() with the `session_start` record's `clock` (the monotonic
    clock is one clock for every process on the machine), then matched against
    the windows in which a clip was playing.
    """
    recs = run.records()
    t0 = next(r["clock"] for r in recs if r["kind"] == "session_start")
    bad = []
    for r in recs:
        if r["kind"] != "heard" or r.get("source") != "voice" or r.get("outcome") != "accepted":
            continue
        when = r["t"] + t0
        if not any(p.start - 0.2 <= when <= p.end + slack for p in run.played):
            bad.append(r)
    return bad
