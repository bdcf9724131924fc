"""Benchmark section "e2e": the real `voicecoach run` in a PulseAudio loop.

Measures, on this machine:
- ready-to-listen time: from spawning `voicecoach run --no-tui --engine
  pocketsphinx` to its first audio chunk reaching the recognizer (the `ready`
  record's monotonic `at`; the monotonic clock is shared by all processes);
  target <= 2 s;
- answer latency: from the end of a spoken command (last loud sample of the
  clip, read from a recording of the loop) to the first sound of the coach's
  answer (first loud sample after it), p50/p95; target p95 <= 500 ms;
- self-triggers: texts of the built-in routines spoken by the real Speaker into
  the loop while the real recognizer and gate listen; target 0.

Run through scripts/bench.py (`--only e2e`), or alone:
`.venv/bin/python scripts/bench_e2e.py [--quick]`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SHORT = str(REPO / "tests" / "data" / "routines" / "e2e-short.toml")
#: Commands that get a spoken answer in the short routine's first step, without moving on.
LATENCY_COMMANDS = ("repeat", "why", "status", "my heels are lifting", "say that again", "help")


def _percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def ready_times(loop: Any, runs: int, work: Path) -> list[float]:
    from tests.app.e2e import start_run

    out = []
    for i in range(runs):
        spawned = time.monotonic()
        run = start_run(SHORT, work / f"ready-{i}.jsonl", dict(os.environ))
        try:
            ready = run.wait_record(lambda r: r["kind"] == "ready", timeout=30)
            out.append(round(ready["at"] - spawned, 3))
        finally:
            run.stop()
            run.kill()
    return out


def answer_latencies(loop: Any, rounds: int, work: Path) -> tuple[list[float], int]:
    """(latencies in seconds, commands that got no answer)."""
    from tests.app.e2e import start_run

    latencies: list[float] = []
    missed = 0
    run = start_run(SHORT, work / "latency.jsonl", dict(os.environ))
    try:
        run.wait_record(lambda r: r["kind"] == "ready", timeout=30)
        with loop.record() as rec:
            for i in range(rounds):
                run.wait_quiet(quiet_for=0.8)
                text = LATENCY_COMMANDS[i % len(LATENCY_COMMANDS)]
                mark = len(run.records())
                played = run.say(text)
                try:
                    answer = run.wait_record(
                        lambda r: r["kind"] == "speech_start", timeout=10, after=mark)
                except AssertionError:
                    missed += 1
                    continue
                rec.wait_until(answer["at"] + 0.3, timeout=5)
                # End of speech: the command's last loud sample, looked for between the
                # clip's start and shortly before the speaker says its answer began (the
                # answer may start before `play()` returns). The answer's first sound is
                # then the first loud sample after a short gap (the endpointer waits for
                # at least 0.2 s of silence, so nothing of the command comes later).
                data, times = rec.snapshot()
                window = (times >= played.start - 0.05) & (times <= answer["at"] - 0.05)
                loud = np.flatnonzero(window & (np.abs(data) > 0.01))
                if loud.size == 0:
                    missed += 1
                    continue
                end_of_speech = float(times[loud[-1]])
                first_sound = rec.first_sound_after(end_of_speech + 0.05, threshold=0.01)
                if first_sound is None:
                    missed += 1
                    continue
                latencies.append(round(first_sound - end_of_speech, 3))
    finally:
        run.stop()
        run.kill()
    return latencies, missed


def self_triggers(quick: bool) -> tuple[int, int]:
    """(accepted commands, texts spoken)."""
    from tests.app.selftrigger import speak_all
    from voicecoach.routine import load_routine
    from voicecoach.shell.mouth import routine_texts

    accepted = spoken = 0
    for name in ("squat",) if quick else ("squat", "mobility"):
        routine = load_routine(name)
        texts = list(routine_texts(routine))
        if quick:
            texts = texts[:15]
        collector = speak_all(routine, texts)
        accepted += len(collector.accepted)
        spoken += len(texts)
    return accepted, spoken


def run(quick: bool = False) -> dict[str, Any]:
    from tests.support.pulse import pulse_loop

    work = Path(tempfile.mkdtemp(prefix="vc-bench-e2e-"))
    saved = {k: os.environ.get(k) for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME",
                                             "XDG_CACHE_HOME", "XDG_STATE_HOME")}
    for var in saved:
        os.environ[var] = str(work / var.lower())
    try:
        with pulse_loop() as loop:
            ready = ready_times(loop, 1 if quick else 3, work)
            latencies, missed = answer_latencies(loop, 6 if quick else 24, work)
            triggers, spoken = self_triggers(quick)
    finally:
        for var, value in saved.items():
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value
    p50, p95 = _percentile(latencies, 50), _percentile(latencies, 95)
    rows = [
        {"metric": "ready to listen (s)", "value": max(ready) if ready else None,
         "target": "<= 2.0", "detail": f"runs: {ready}"},
        {"metric": "answer latency p50 (s)", "value": p50, "target": "", "detail":
         f"{len(latencies)} answers, {missed} without one"},
        {"metric": "answer latency p95 (s)", "value": p95, "target": "<= 0.5", "detail": ""},
        {"metric": "self-triggers", "value": triggers, "target": "0",
         "detail": f"{spoken} texts of the built-in routines"},
    ]
    md = ["| metric | value | target | detail |", "|---|---|---|---|"]
    for row in rows:
        md.append(f"| {row['metric']} | {row['value']} | {row['target']} | {row['detail']} |")
    md.append("")
    md.append("End of a spoken command (last loud sample in the loop) to the first sound of the "
              "coach's answer, through the real `voicecoach run --no-tui --engine pocketsphinx` "
              "in a PulseAudio null-sink loop. Ready time: process spawn to the first audio "
              "chunk reaching the recognizer.")
    return {"title": "End to end (voicecoach run in a PulseAudio loop)", "rows": rows,
            "markdown": "\n".join(md), "latencies": latencies, "ready": ready}


if __name__ == "__main__":
    result = run(quick="--quick" in sys.argv)
    print(result["markdown"])
    print(json.dumps({k: v for k, v in result.items() if k != "markdown"}, indent=2))
