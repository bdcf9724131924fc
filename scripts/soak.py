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

If the coach ends a run by itself (it heard "stop" in the noise), the run is
started again and counted as a new segment: memory and threads are judged on
the longest segment, and the segments' ends are listed so a misheard stop is
visible. Not a CI test: a one-hour run is the point. Exit status 0 when
memory grew less than `--max-growth-mb` and every thread alive at start is
alive at the end, else 1.
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


def run_once(args: list[str], env: dict[str, str], log: Path, work: Path, until: float,
             health_seconds: float) -> dict[str, Any]:
    """One `voicecoach run` until `until` (monotonic) or until it ends by itself."""
    started = time.monotonic()
    with (work / f"{log.stem}.out").open("w") as out, (work / f"{log.stem}.err").open("w") as err:
        proc = subprocess.Popen([*args, "--event-log", str(log)], cwd=REPO, env=env,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err)
    samples: list[tuple[float, float]] = []
    try:
        while time.monotonic() < until and proc.poll() is None:
            mb = rss_mb(proc.pid)
            if mb is not None:
                samples.append((round(time.monotonic() - started, 1), round(mb, 1)))
            time.sleep(min(health_seconds, max(0.1, until - time.monotonic())))
        ended_early = proc.poll() is not None
        if not ended_early:
            proc.send_signal(signal.SIGTERM)  # as systemd stops it
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait(timeout=10)
        ended_early = False
    records = read_records(log)
    health = [r for r in records if r["kind"] == "health"]
    ready = next((r for r in records if r["kind"] == "ready"), None)
    # The steady state is what must stay flat: from the first health record after a
    # minute of warm-up (model loaded, caches filled), else the first one.
    warm = [r for r in health if r["t"] >= 60] or health
    end_record = records[-1] if records else None
    return {
        "seconds": round(time.monotonic() - started, 1),
        "exit_code": code,
        "ended_early": ended_early,
        "end": end_record,
        "ready_s": round(ready["at"] - started, 2) if ready and "at" in ready else None,
        "rss_start_mb": warm[0]["rss_mb"] if warm else None,
        "rss_start_t": warm[0]["t"] if warm else None,
        "rss_end_mb": health[-1]["rss_mb"] if health else None,
        "rss_end_t": health[-1]["t"] if health else None,
        "threads_start": sorted(warm[0]["threads"]) if warm else [],
        "threads_end": sorted(health[-1]["threads"]) if health else [],
        "heard": sum(1 for r in records if r["kind"] == "heard"),
        "accepted": sum(1 for r in records if r["kind"] == "heard"
                        and r.get("outcome") == "accepted"),
        "steps": sum(1 for r in records if r["kind"] == "step"),
        "warnings": [r for r in records if r["kind"] == "warning"],
        "rss_samples": samples,
    }


def soak(minutes: float, engine: str, audio: bool, health_seconds: float = 10.0) -> dict[str, Any]:
    """Run for `minutes`; a run the coach ends by itself (a misheard "stop") is started again.

    Each run is a segment; memory and threads are judged on the longest one,
    which is the long session the soak is about.
    """
    work = Path(tempfile.mkdtemp(prefix="vc-soak-"))
    wav = work / "input.wav"
    loop_seconds = build_recording(wav)
    env = {**os.environ, "VOICECOACH_HEALTH_SECONDS": str(health_seconds)}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        env[var] = str(work / var.lower())
    args = [sys.executable, "-m", "voicecoach", "run", str(ROUTINE), "--no-tui",
            "--engine", engine, "--input-file", str(wav), "--loop-input"]
    stack = contextlib.ExitStack()
    if audio:
        from tests.support.pulse import pulse_loop

        loop = stack.enter_context(pulse_loop())
        env.update(loop.env)
    else:
        args.append("--mute")
    segments: list[dict[str, Any]] = []
    with stack:
        until = time.monotonic() + minutes * 60
        while time.monotonic() < until - 5:
            log = work / f"events-{len(segments)}.jsonl"
            segments.append(run_once(args, env, log, work, until, health_seconds))
            if not segments[-1]["ended_early"]:
                break
    longest = max(segments, key=lambda s: s["seconds"])
    growth = None
    if longest["rss_start_mb"] is not None and longest["rss_end_mb"] is not None:
        growth = round(longest["rss_end_mb"] - longest["rss_start_mb"], 1)
    span_h = ((longest["rss_end_t"] or 0) - (longest["rss_start_t"] or 0)) / 3600
    return {
        "minutes": minutes,
        "engine": engine,
        "audio": audio,
        "loop_seconds": round(loop_seconds, 1),
        "segments": len(segments),
        "segment_ends": [s["end"] for s in segments],
        "longest_segment_s": longest["seconds"],
        "exit_code": segments[-1]["exit_code"],
        "ready_s": segments[0]["ready_s"],
        "rss_start_mb": longest["rss_start_mb"],
        "rss_end_mb": longest["rss_end_mb"],
        "rss_growth_mb": growth,
        "rss_growth_mb_per_hour": round(growth / span_h, 1) if growth is not None and span_h > 0
        else None,
        "threads_start": longest["threads_start"],
        "threads_end": longest["threads_end"],
        "threads_lost": sorted(set(longest["threads_start"]) - set(longest["threads_end"])),
        "heard": sum(s["heard"] for s in segments),
        "accepted": sum(s["accepted"] for s in segments),
        "steps": sum(s["steps"] for s in segments),
        "warnings": [w for s in segments for w in s["warnings"]],
        "rss_samples": longest["rss_samples"],
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
    growth = result["rss_growth_mb"]
    ok = (growth is not None and growth <= args.max_growth_mb and not result["threads_lost"]
          and result["exit_code"] == 0)
    result["ok"] = ok
    summary = {k: v for k, v in result.items() if k != "rss_samples"}
    print(json.dumps(summary, indent=2, default=str))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
