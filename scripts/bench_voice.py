"""Benchmark section: how fast the coach's voice starts and stops, heard in a real audio loop.

Everything is measured the way a microphone would hear it: the speaker plays
into a private PulseAudio null sink (tests/support/pulse.py) and a recorder on
its monitor stamps each sample with time.monotonic(). So every number includes
the output stream's latency and the recorder's own input latency (a few ms to
a few tens of ms), as a real mic would.

- say -> first sound: from `Speaker.say(Say)` to the first loud sample in the
  loop; cached (prerendered, as a routine's cues are) and uncached (a text
  never seen, rendered by espeak-ng on the spot).
- hush -> silence: from `Speaker.hush()` mid-utterance to the last loud sample.
- correction over a cue: from `say(CORRECTION)` while a cue plays to the
  correction's `on_start` (the cut plus the start; the loop cannot separate
  the two voices, so this one is the speaker's own clock).
- on_start / on_end error: |callback time - when the loop heard it|; the mic
  gate's tail (~0.5 s) must absorb this.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.pulse import PulseLoop, pulse_available, pulse_loop
from voicecoach.coach.effects import Priority, Say
from voicecoach.voice import Speaker, VoiceSettings

TITLE = "Voice: time to first sound and to silence"
CUES = (
    "Feet shoulder width apart, toes slightly out.",
    "Sit back and down, as if onto a chair.",
    "Push your knees out over your toes.",
    "Keep your heels down.",
    "Rest. Thirty seconds.",
    "Set two of three.",
    "seven",
    "Good. Next step.",
)
LONG = "Keep your weight over the middle of your feet and breathe out as you stand all the way up."
WAIT = 10.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class _Ends:
    """Callback sink with bounded waits."""

    def __init__(self) -> None:
        self.starts: dict[int, float] = {}
        self.ends: dict[int, tuple[float, bool]] = {}
        self.cond = threading.Condition()

    def start(self, say_id: int, t: float) -> None:
        with self.cond:
            self.starts[say_id] = t
            self.cond.notify_all()

    def end(self, say_id: int, t: float, completed: bool) -> None:
        with self.cond:
            self.ends[say_id] = (t, completed)
            self.cond.notify_all()

    def wait(self, table: str, say_id: int) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: say_id in getattr(self, table), WAIT)


def _speaker(cache: Path, ends: _Ends) -> Speaker:
    return Speaker(VoiceSettings(device="pulse", cache_dir=cache),
                   on_start=ends.start, on_end=ends.end)


def _measure(loop: PulseLoop, n: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {k: [] for k in (
        "cached", "uncached", "hush", "correction", "start_err", "end_err", "underruns")}
    ids = iter(range(1, 1_000_000))
    with tempfile.TemporaryDirectory(prefix="voicecoach-bench-voice-") as tmp:
        ends = _Ends()
        speaker = _speaker(Path(tmp), ends)
        try:
            speaker.prerender(CUES, 165).result(timeout=60)
            with loop.record() as rec:
                rec.wait_until(time.monotonic() + 0.2)
                for i in range(n):
                    for kind in ("cached", "uncached"):
                        text = CUES[i % len(CUES)] if kind == "cached" else \
                            f"Uncached phrase number {i} for the benchmark."
                        say_id = next(ids)
                        time.sleep(0.15)
                        t0 = time.monotonic()
                        speaker.say(Say(say_id, text, Priority.CUE, awaited=True))
                        if not ends.wait("ends", say_id):
                            continue
                        t_end = ends.ends[say_id][0]
                        rec.wait_until(t_end + 0.15)
                        heard = rec.first_sound_after(t0)
                        last = rec.last_sound_after(t0)
                        if heard is None or last is None or say_id not in ends.starts:
                            continue
                        out[kind].append(heard - t0)
                        out["start_err"].append(abs(heard - ends.starts[say_id]))
                        out["end_err"].append(abs(last - t_end))
                    # hush mid-utterance
                    say_id = next(ids)
                    speaker.say(Say(say_id, LONG, Priority.CUE, awaited=True))
                    if ends.wait("starts", say_id):
                        time.sleep(0.3 + 0.05 * (i % 5))
                        t_h = time.monotonic()
                        speaker.hush()
                        ends.wait("ends", say_id)
                        rec.wait_until(t_h + 0.4)
                        last = rec.last_sound_after(t_h - 0.5)
                        if last is not None:
                            out["hush"].append(max(0.0, last - t_h))
                    # a correction over a cue
                    cue_id, corr_id = next(ids), next(ids)
                    time.sleep(0.15)
                    speaker.say(Say(cue_id, LONG, Priority.CUE, awaited=True))
                    if ends.wait("starts", cue_id):
                        time.sleep(0.3)
                        t_c = time.monotonic()
                        speaker.say(Say(corr_id, CUES[2], Priority.CORRECTION, awaited=True))
                        if ends.wait("ends", corr_id) and corr_id in ends.starts:
                            # The correction follows the cut cue without a gap, so the loop
                            # cannot tell them apart: report the speaker's own start time
                            # (its error against the loop is the on_start row below).
                            out["correction"].append(ends.starts[corr_id] - t_c)
            out["underruns"] = [float(speaker.underruns)]
        finally:
            speaker.close()
    return out


def run(quick: bool = False) -> dict[str, Any]:
    reason = pulse_available()
    if reason:
        note = f"skipped: audio loop unavailable ({reason})"
        return {"title": TITLE, "rows": [], "markdown": note}
    n = 5 if quick else 20
    with pulse_loop() as loop:
        data = _measure(loop, n)
    labels = {
        "cached": "say -> first sound, cached (prerendered cue)",
        "uncached": "say -> first sound, uncached (espeak-ng render)",
        "correction": "correction over a playing cue -> its on_start",
        "hush": "hush -> silence",
        "start_err": "on_start error vs. the loop (abs)",
        "end_err": "on_end error vs. the loop (abs)",
    }
    rows: list[dict[str, Any]] = []
    for key, label in labels.items():
        ms = [v * 1000 for v in data[key]]
        if not ms:
            rows.append({"case": label, "n": 0, "p50_ms": None, "p95_ms": None, "max_ms": None})
            continue
        rows.append({"case": label, "n": len(ms), "p50_ms": round(statistics.median(ms), 1),
                     "p95_ms": round(_pct(ms, 0.95), 1), "max_ms": round(max(ms), 1)})
    gaps = int(data["underruns"][0]) if data["underruns"] else None
    rows.append({"case": "audible gaps (underruns) over the whole run", "n": 1,
                 "p50_ms": None, "p95_ms": None, "max_ms": None, "count": gaps})
    table = ["| case | n | p50 ms | p95 ms | max ms |", "|---|---|---|---|---|"]
    for r in rows:
        if "count" in r:
            table.append(f"| {r['case']} | {r['count']} | - | - | - |")
            continue
        table.append(f"| {r['case']} | {r['n']} | {r['p50_ms'] if r['n'] else '-'} "
                     f"| {r['p95_ms'] if r['n'] else '-'} | {r['max_ms'] if r['n'] else '-'} |")
    note = ("Heard through a PulseAudio null-sink loop by a recorder stamping time.monotonic(), "
            "so every number includes the output path (PulseAudio) and the recorder's input "
            "latency. Targets: a cached cue sounds within 100 ms of "
            "the effect; a hush silences within 100 ms; callback errors far below the mic "
            "gate's 0.35 s tail.")
    return {"title": TITLE, "rows": rows, "markdown": "\n".join(table) + "\n\n" + note}


if __name__ == "__main__":
    result = run(quick="--quick" in sys.argv)
    print(result["markdown"])
