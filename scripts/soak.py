#!/usr/bin/env python3
"""A long run of the real `voicecoach run` on a looped recording: memory stays flat, no thread dies.

Usage: .venv/bin/python scripts/soak.py [--minutes 60] [--engine pocketsphinx] [--audio]
                                        [--out bench/soak.json]

It builds a ~90 s WAV of spoken commands (espeak-ng), ordinary talk, pink
noise and music-like noise, and runs `voicecoach run tests/data/routines/soak.toml
--no-tui --input-file W --loop-input` for the given time, with a `health`
record (threads alive, RSS) every 10 s in the event log. At the end it sends
SIGTERM, as systemd would, and reports: RSS at start (once listening) and at
the end, the growth per hour, thread names at start and end, restarts, the
commands heard, and the exit code. Without `--audio` the coach is muted (no
sound device needed); with it, a private PulseAudio null sink is started and
the coach speaks into it.

Not a CI test: a one-hour run is the point. Exit status 0 when memory grew
less than `--max-growth-mb` and every thread alive at start is alive at the
end, else 1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support import clips  # noqa: E402

RATE = 16_000
ROUTINE = REPO / "tests" / "data" / "routines" / "soak.toml"

#: What the recording says, in order; None is a stretch of noise. "next" and "back"
#: alternate, so the session walks between steps without reaching the end.
SCRIPT: tuple[str | None, ...] = (
    "repeat", None, "next", "why", "what a lovely morning it is", "back",
    "my heels are lifting", None, "status", "pause", "resume", "slower", "faster",
    "that hurts", "resume", None, "next", "say that again", "back", "help",
)


def build_recording(path: Path, seed: int = 0) -> float:
    """Write the looped input WAV; returns its length in seconds."""
    rng = np.random.default_rng(seed)
    parts: list[np.ndarray] = []
    for item in SCRIPT:
        gap = np.zeros(int(RATE * rng.uniform(2.5, 4.0)), np.int16)
        # A quiet room is never digitally silent: a little noise under everything.
        gap = (gap + clips.pink_noise(gap.size, seed=int(rng.integers(1 << 30))) * 60).astype(
            np.int16)
        parts.append(gap)
        if item is None:
            n = int(RATE * rng.uniform(2.0, 3.0))
            noise = (clips.music_noise(n, seed=int(rng.integers(1 << 30))) if rng.random() < 0.5
                     else clips.pink_noise(n, seed=int(rng.integers(1 << 30))))
            parts.append(np.clip(noise * 1500, -32768, 32767).astype(np.int16))
        else:
            voice = clips.VOICES[int(rng.integers(len(clips.VOICES)))]
            parts.append(clips.speak(item, voice=voice, rate=150, sample_rate=RATE))
    parts.append(np.zeros(RATE * 3, np.int16))
    audio = np.concatenate(parts)
    clips.write_wav(path, audio, RATE)
    return audio.size / RATE


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def read_records(path: Path) -> list[dict[str, Any]]:
    out = []
    with contextlib.suppress(FileNotFoundError):
        for line in path.read_text().splitlines():
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
    return out


def soak(minutes: float, engine: str, audio: bool, health_seconds: float = 10.0) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="vc-soak-"))
    wav = work / "input.wav"
    loop_seconds = build_recording(wav)
    log = work / "events.jsonl"
    env = {**os.environ, "VOICECOACH_HEALTH_SECONDS": str(health_seconds)}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        env[var] = str(work / var.lower())
    args = [sys.executable, "-m", "voicecoach", "run", str(ROUTINE), "--no-tui",
            "--engine", engine, "--input-file", str(wav), "--loop-input",
            "--event-log", str(log)]
    stack = contextlib.ExitStack()
    if audio:
        from tests.support.pulse import pulse_loop

        loop = stack.enter_context(pulse_loop())
        env.update(loop.env)
    else:
        args.append("--mute")
    with stack:
        started = time.monotonic()
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                stdout=(work / "stdout.txt").open("w"),
                                stderr=(work / "stderr.txt").open("w"))
        samples: list[tuple[float, float]] = []
        try:
            deadline = started + minutes * 60
            while time.monotonic() < deadline and proc.poll() is None:
                mb = rss_mb(proc.pid)
                if mb is not None:
                    samples.append((round(time.monotonic() - started, 1), round(mb, 1)))
                time.sleep(min(health_seconds, max(0.1, deadline - time.monotonic())))
            ended_early = proc.poll() is not None
            if not ended_early:
                proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait(timeout=10)
            ended_early = False
    records = read_records(log)
    health = [r for r in records if r["kind"] == "health"]
    ready = next((r for r in records if r["kind"] == "ready"), None)
    # "Start" is once listening and the model is loaded, and after a minute of warm-up
    # (caches, first renders): what must stay flat is the steady state.
    warm = [r for r in health if r["t"] >= 60] or health
    rss_start = warm[0]["rss_mb"] if warm else None
    rss_end = health[-1]["rss_mb"] if health else None
    threads_start = set(warm[0]["threads"]) if warm else set()
    threads_end = set(health[-1]["threads"]) if health else set()
    heard = [r for r in records if r["kind"] == "heard"]
    hours = max((health[-1]["t"] - warm[0]["t"]) / 3600, 1e-9) if len(warm) > 1 else None
    return {
        "minutes": minutes,
        "engine": engine,
        "audio": audio,
        "loop_seconds": round(loop_seconds, 1),
        "exit_code": code,
        "ended_early": ended_early,
        "ready_s": round(ready["at"] - started, 2) if ready and "at" in ready else None,
        "rss_start_mb": rss_start,
        "rss_end_mb": rss_end,
        "rss_growth_mb_per_hour": (round((rss_end - rss_start) / hours, 1)
                                   if hours and rss_start is not None and rss_end is not None
                                   else None),
        "rss_samples": samples,
        "threads_start": sorted(threads_start),
        "threads_end": sorted(threads_end),
        "threads_lost": sorted(threads_start - threads_end),
        "heard": len(heard),
        "accepted": sum(1 for r in heard if r.get("outcome") == "accepted"),
        "rejected": sum(1 for r in heard if r.get("outcome") == "rejected"),
        "steps": sum(1 for r in records if r["kind"] == "step"),
        "restarts": [r for r in records if r["kind"] == "warning"],
        "last_record": records[-1] if records else None,
        "workdir": str(work),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--engine", default="pocketsphinx")
    parser.add_argument("--audio", action="store_true",
                        help="Speak into a private PulseAudio null sink instead of --mute.")
    parser.add_argument("--max-growth-mb", type=float, default=20.0,
                        help="Largest RSS growth (start to end) that still counts as flat.")
    parser.add_argument("--out", type=Path, default=None, help="Also write the result as JSON.")
    args = parser.parse_args()
    result = soak(args.minutes, args.engine, args.audio)
    growth = (None if result["rss_start_mb"] is None or result["rss_end_mb"] is None
              else result["rss_end_mb"] - result["rss_start_mb"])
    ok = (growth is not None and growth <= args.max_growth_mb and not result["threads_lost"]
          and not result["ended_early"] and result["exit_code"] == 0)
    result["ok"] = ok
    summary = {k: v for k, v in result.items() if k != "rss_samples"}
    print(json.dumps(summary, indent=2, default=str))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
