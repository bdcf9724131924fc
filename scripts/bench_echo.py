"""Benchmark section "echo": talking over the coach with echo cancellation (issue 16), real loop.

The real Speaker speaks the squat routine's long cues into the PulseAudio null
sink; the mic (the sink's monitor) gets the coach through a simulated room
(tests/app/echoloop.py: 40 ms path + 0.25 s reverb, the coach at -34 dBFS)
and recordings of real people saying command words
(../shared/speech-corpus/, Speech Commands) mixed in at 0, +6 and +12 dB
relative to the coach's voice. The canceller takes its reference from the
speaker's own tap, the ears (listen thread, gate, pocketsphinx) listen as in
`voicecoach run --echo-cancel`. Measured:

- commands heard over the coach, per level, against the same clips at the
  same level with the coach silent; target: +6 dB within 10 points;
- wrong commands (a different phrase accepted while the person spoke);
- self-triggers: every text of both built-in routines spoken with the
  canceller on and the full-duplex gate, widest grammar; target 0; and the near
  misses, what the gate held back although it was confident;
- hush: from a command heard over the coach to the coach's last loud sample
  in the loop, p95; target <= 100 ms;
- the canceller's CPU (thread CPU / audio seconds: fraction of one core),
  target <= 20 %, and its added latency (processing time per 50 ms chunk; it
  delays no sample: every chunk goes out as it came in, cancelled).

Run through scripts/bench.py (`--only echo`), or alone:
`.venv/bin/python scripts/bench_echo.py [--quick] [--method=webrtc|speex|pulse-speex|...]...
[--per-word=N] [--all-texts] [--levels=0,6,12] [--parts=silence,over,self]
[--duplex-confidence=X] [--duck=G|off] [--duck-oracle[=MS]] [--denoiser=NAME]
[--replay=N --cue=TEXT] [--json=PATH]`.

The coach yields the floor as the app does (`voicecoach.shell.ears.Ears._yield_floor`:
-20 dB while someone talks over it); reported: how often it ducked over the coach and with
nobody talking (the 92 texts), and the delay from the speech's onset to the lowered voice.

The recognizer's noise suppressor is the shipped default (`auto`: WebRTC, RNNoise while
speech/noise.py judges the room's noise steady) or `--denoiser=NAME`. The gate counts the
coach's turn as gated even in full duplex, so the Listener keeps the canceller's leftover out
of that judgement (`room_audible`). Each part reports how often the suppressor switched, the
audio seconds on RNNoise, and the judgements (how many read steady, the loudest quiet floor:
steady needs it above `STEADY_FLOOR_DB`), and the same for a second judgement fed everything,
the coach's turns too: whether the leftover would read steady if it reached it.
"""

from __future__ import annotations

import json
import os
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

LEVELS = (0, 6, 12)
DUPLEX_CONFIDENCE: float | None = None
"""`--duplex-confidence=X`: the gate's confidence over the coach, instead of the shipped one
(to measure what a threshold costs in commands and buys in self-triggers)."""
DUCK: float | None = 0.1
"""`--duck=G`: the coach's gain while someone talks over it (0.1, -20 dB, is the app's; 0:
pause); `--duck=off`: the coach never yields the floor (to measure what it buys)."""
DUCK_ORACLE: float | None = None
"""`--duck-oracle[=MS]`: the bench itself ducks the coach (to `DUCK`) MS after the word's
onset in the clip it plays (pacat adds some 20-30 ms before it sounds); bare: as it starts
playing the clip, before the speech reaches the mic. What ducking gives at a known delay."""
DENOISER: str | None = None
"""`--denoiser=NAME`: the recognizer's noise suppressor (frontend.py) instead of the default."""
REPLAY: tuple[str, int] | None = None
"""`--replay=N --cue=TEXT`: the self-trigger part plays only that text N times (the squat
routine's grammar; TEXT may be the start of one of its texts, "Set 3 of 3"), to see whether
a trigger found once in the 92 texts comes back."""
HELD_CONFIDENCE = 0.5
"""Near misses: what the gate held back that was at least this confident (reported)."""
TARGETS = {"gap_points_at_6db": 10.0, "self_triggers": 0, "hush_p95_ms": 100.0, "cpu": 0.20}


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def _phrases() -> tuple[str, ...]:
    from tests.app.echoloop import WORDS
    from voicecoach.coach.intents import all_phrases
    from voicecoach.routine import load_routine

    return tuple(sorted(set(all_phrases(load_routine("squat"))) | set(WORDS)))


def _long_cues(min_words: int = 14) -> list[str]:
    from voicecoach.routine import load_routine
    from voicecoach.shell.mouth import routine_texts

    return [t for t in routine_texts(load_routine("squat")) if len(t.split()) >= min_words]


def _wait_heard(duplex: Any, mark: int, word: str, timeout: float) -> tuple[bool, float | None,
                                                                             list[str]]:
    """(the word was accepted, when, other accepted texts) after `mark` heard entries."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.02)
        got = [h for h in duplex.collector.heard[mark:] if h[2]]
        if any(h[0] == word for h in got):
            break
    got = [h for h in duplex.collector.heard[mark:] if h[2]]
    hit = [h for h in got if h[0] == word]
    return bool(hit), (hit[0][3] if hit else None), [h[0] for h in got if h[0] != word]


def outcome(word: str, cue: str | None, heard: list[tuple[str, float, bool, float, str]]) -> str:
    """Why a clip was or was not heard: "heard", "nothing", "gated: own words" (all its words
    are in the cue the coach was saying), "gated: confidence", "gated: echo level" (confident
    enough, yet no louder than the coach's leftover: `ResidualGate.leftover`), or the
    recognizer's reason ("garbage", "partial", "unexplained-speech", ...); the first that
    applies, in that order."""
    from voicecoach.speech.gate import DUPLEX_CONFIDENCE as SHIPPED
    from voicecoach.speech.gate import spoken_keys

    threshold = SHIPPED if DUPLEX_CONFIDENCE is None else DUPLEX_CONFIDENCE

    if any(h[2] and h[0] == word for h in heard):
        return "heard"
    mine = [h for h in heard if not h[2]]
    if not mine:
        return "wrong" if heard else "nothing"
    own = set(spoken_keys(cue)) if cue else set()
    reasons = []
    for text, conf, _ok, _t, reason in mine:
        if reason == "gated":
            reasons.append("gated: own words" if set(spoken_keys(text)) <= own
                           else "gated: confidence" if conf < threshold
                           else "gated: echo level")
        else:
            reasons.append(reason or "rejected")
    return reasons[0]


def over_speech(loop: Any, clips: list[tuple[str, np.ndarray]], *, coach: bool,
                method: str = "speex", seed: int = 0,
                levels: tuple[int, ...] = LEVELS) -> dict[str, Any]:
    """Every clip at every level, over a long cue (coach=True) or in silence."""
    from collections import Counter

    from tests.app.echoloop import Duplex, level

    rng = random.Random(seed)
    cues = _long_cues()
    duplex = _tuned(Duplex(_phrases(), method=method,
                           duck=None if DUCK_ORACLE is not None else DUCK))
    denoiser = DenoiserLog(duplex)
    heard = {db: 0 for db in levels}
    wrong = {db: 0 for db in levels}
    why: dict[int, Counter[str]] = {db: Counter() for db in levels}
    evidence: list[dict[str, Any]] = []
    hush_ms: list[float] = []
    end_to_quiet_ms: list[float] = []
    converged_after: float | None = None
    try:
        duplex.start()
        if coach:  # one cue first: the filter converges, as in a session's first cue
            t0 = time.monotonic()
            duplex.say(cues[0])
            duplex.ended.wait(60)
            time.sleep(0.4)
            if duplex.canceller is not None and duplex.canceller.converged:
                converged_after = round(time.monotonic() - t0, 1)
        for n, (word, clip) in enumerate(clips):
            for db in levels:
                mark = len(duplex.collector.heard)
                ducks_before = len(duplex.ears.ducks)
                cue = cues[(n * len(LEVELS) + db) % len(cues)] if coach else None
                if cue is not None:
                    duplex.say(cue)
                    duplex.started.wait(10)
                    time.sleep(rng.uniform(1.0, 2.5))
                if coach and DUCK_ORACLE is not None and DUCK is not None:
                    at = (_word_onset(clip) + DUCK_ORACLE / 1000) if DUCK_ORACLE >= 0 else 0.0
                    threading.Timer(at, duplex.speaker.duck, (DUCK,)).start()
                duplex.speak(loop, level(clip, db))
                ok, at, others = _wait_heard(duplex, mark, word, len(clip) / 16000 + 1.5)
                heard[db] += ok
                wrong[db] += len(others)
                got = list(duplex.collector.heard[mark:])
                why[db][outcome(word, cue, got)] += 1
                evidence.append({"word": word, "db": db, "ok": ok,
                                 "ducked": len(duplex.ears.ducks) - ducks_before,
                                 "got": [(h[0], round(h[1], 2), h[2], h[4]) for h in got]})
                if coach:
                    if ok and at is not None and duplex.ended.wait(2.0) \
                            and duplex.last_end > at:
                        # The speaker's own timeline: when the cut's last sample sounded.
                        hush_ms.append((duplex.last_end - at) * 1000)
                        ended = getattr(duplex.mic, "voice_ended", None)
                        if ended is not None:
                            end_to_quiet_ms.append((duplex.last_end - ended) * 1000)
                    duplex.speaker.hush()
                    duplex.speaker.wait_idle(5)
                    time.sleep(0.5)
                else:
                    time.sleep(0.3)
        canceller = duplex.canceller
        cpu = (canceller.cpu_s / canceller.processed_s
               if canceller is not None and canceller.processed_s else None)
        chunk_ms = (canceller.cpu_s / (canceller.processed_s / 0.05) * 1000
                    if canceller is not None and canceller.processed_s else None)
        erle = round(canceller.erle_db, 1) if canceller is not None else None
        ducks = duck_report(duplex)
    finally:
        duplex.close()
    return {"heard": heard, "wrong": wrong, "of": len(clips), "hush_ms": hush_ms,
            "why": {db: dict(c) for db, c in why.items()}, "evidence": evidence,
            "end_to_quiet_ms": end_to_quiet_ms, "cpu": cpu, "chunk_ms": chunk_ms,
            "erle_db": erle, "converged_after_s": converged_after, "ducks": ducks,
            "denoiser": denoiser.report()}


def _word_onset(clip: np.ndarray) -> float:
    """Seconds into a clip where the word begins: its first 20 ms frame within 20 dB of the
    loudest."""
    frames = clip[: len(clip) // 320 * 320].reshape(-1, 320).astype(np.float64)
    db = 10 * np.log10((frames ** 2).mean(axis=1) + 1e-12)
    return float(np.flatnonzero(db >= db.max() - 20.0)[0] * 0.02)


def duck_report(duplex: Any) -> dict[str, Any]:
    """How often and how long the coach ducked, and the delay from the speech's onset at the
    mic (its 20 ms frames as the listen thread got them, `Duplex._duck`) to the first sample
    at the lowered level (the speaker's timeline); the echo then takes the loop's 40 ms."""
    from dataclasses import asdict

    events = [asdict(duck) for duck in duplex.ears.ducks]
    drops = list(duplex.speaker.stats.ducks)
    onsets = list(duplex.speech_onsets)
    delays = []
    for ev in events:
        drop = next((t for g, t in drops if g < 1.0 and t >= ev["at"] - 0.01), None)
        speech = next((o for asked, o in onsets if abs(asked - ev["at"]) < 0.05), None)
        if drop is not None and speech is not None:
            delays.append(round((drop - speech) * 1000, 1))
        ev["drop"], ev["speech"] = drop, speech
    seconds = sum((ev["ended"] or ev["at"]) - ev["at"] for ev in events)
    return {"count": len(events), "seconds": round(seconds, 2), "delay_ms": delays,
            "outcomes": [ev["outcome"] for ev in events],
            "events": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in ev.items()}
                       for ev in events]}


def _tuned(duplex: Any) -> Any:
    if DUPLEX_CONFIDENCE is not None:
        duplex.ears.gate.duplex_confidence = DUPLEX_CONFIDENCE
    return duplex


class DenoiserLog:
    """The recognizer's noise suppressor in a `Duplex` (set to `DENOISER` if given, before it
    starts) and what its room judgement saw; read-only otherwise: `auto` decides as shipped."""

    def __init__(self, duplex: Any) -> None:
        from voicecoach.speech.frontend import make_frontend

        # Duplex's factory hands its one recognizer to every listen thread: this is it.
        self.recognizer = duplex.ears._make_recognizer()
        if DENOISER is not None:
            self.recognizer.denoiser = DENOISER
            self.recognizer.frontend = make_frontend(DENOISER,
                                                     self.recognizer.noise_suppression)
        self.readings: list[Any] = []
        watch = getattr(self.recognizer.frontend, "watch", None)
        if watch is not None:
            feed = watch.feed

            def noted(pcm: bytes) -> None:
                before = watch.last
                feed(pcm)
                if watch.last is not before:
                    self.readings.append(watch.last)

            watch.feed = noted
        self._shadow_watch(self.recognizer.frontend)

    def _shadow_watch(self, frontend: Any) -> None:
        """A second judgement fed all the input, the coach's turns too (the Listener keeps
        those from the front end's own): would the canceller's leftover read steady if it
        reached it?"""
        from voicecoach.speech.noise import NoiseWatch

        shadow = self.shadow = NoiseWatch()
        self.shadow_readings: list[Any] = []
        self.shadow_flips = 0
        process = frontend.process

        def shadowed(pcm: bytes) -> bytes:
            before, steady = shadow.last, shadow.steady
            shadow.feed(pcm)
            if shadow.last is not before:
                self.shadow_readings.append(shadow.last)
            self.shadow_flips += shadow.steady != steady
            out: bytes = process(pcm)
            return out

        frontend.process = shadowed

    def report(self) -> dict[str, Any]:
        frontend = self.recognizer.frontend
        floors = [r.floor_db for r in self.readings]
        shadow = [r.floor_db for r in self.shadow_readings]
        return {"denoiser": frontend.denoiser, "switches": getattr(frontend, "switches", 0),
                "rnnoise_s": round(float(getattr(frontend, "rnnoise_s",
                                                 self.recognizer.stream_s
                                                 if frontend.denoiser == "rnnoise" else 0.0)),
                                   2),
                "audio_s": round(float(self.recognizer.stream_s), 1),
                "judged": len(self.readings),
                "judged_steady": sum(r.steady for r in self.readings),
                "floor_db_max": round(max(floors), 1) if floors else None,
                "unguarded_judged": len(self.shadow_readings),
                "unguarded_steady": sum(r.steady for r in self.shadow_readings),
                "unguarded_flips": self.shadow_flips,
                "unguarded_floor_db_max": round(max(shadow), 1) if shadow else None}


def merged_denoiser(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Several loops' `DenoiserLog.report`s as one."""
    def loudest(key: str) -> float | None:
        floors = [r[key] for r in reports if r[key] is not None]
        return max(floors) if floors else None

    return {"denoiser": reports[0]["denoiser"] if reports else None,
            **{k: round(sum(r[k] for r in reports), 2)
               for k in ("switches", "rnnoise_s", "audio_s", "judged", "judged_steady",
                         "unguarded_judged", "unguarded_steady", "unguarded_flips")},
            "floor_db_max": loudest("floor_db_max"),
            "unguarded_floor_db_max": loudest("unguarded_floor_db_max")}


def self_triggers(loop: Any, quick: bool, method: str = "speex") -> dict[str, Any]:
    """Every text of both built-in routines, canceller on, widest grammar: accepted phrases."""
    from tests.app.echoloop import Duplex
    from voicecoach.coach.intents import all_phrases
    from voicecoach.routine import load_routine
    from voicecoach.shell.mouth import routine_texts

    triggers: list[tuple[str, str, float]] = []
    held: list[tuple[str, str, float]] = []
    ducks: list[dict[str, Any]] = []
    denoisers: list[dict[str, Any]] = []
    spoken = 0
    for name in ("squat", "mobility"):
        routine = load_routine(name)
        texts = list(routine_texts(routine))
        if REPLAY is not None:
            if name != "squat":
                continue
            cue, times = REPLAY
            texts = ([t for t in texts if t.startswith(cue)][:1] or [cue]) * times
        elif quick:
            texts = texts[:12]
        duplex = _tuned(Duplex(tuple(all_phrases(routine)), method=method,
                               duck=DUCK))
        denoiser = DenoiserLog(duplex)
        try:
            duplex.start()
            for text in texts:
                mark = len(duplex.collector.heard)
                duplex.say(text, rate=routine.settings.rate or 165)
                if not duplex.ended.wait(60):
                    raise AssertionError(f"the speaker never finished {text!r}")
                time.sleep(0.5)
                spoken += 1
                triggers += [(text, h[0], round(h[1], 2))
                             for h in duplex.collector.heard[mark:] if h[2]]
                held += [(text, h[0], round(h[1], 2)) for h in duplex.collector.heard[mark:]
                         if not h[2] and h[4] == "gated" and h[1] >= HELD_CONFIDENCE]
            time.sleep(1.0)
            if duplex.ears.crashes or duplex.ears.restarts:
                raise AssertionError(f"the listen thread crashed: {duplex.ears.crashes}")
            ducks.append(duck_report(duplex))
            denoisers.append(denoiser.report())
        finally:
            duplex.close()
    merged = {"count": sum(d["count"] for d in ducks),
              "seconds": round(sum(d["seconds"] for d in ducks), 2),
              "delay_ms": [x for d in ducks for x in d["delay_ms"]],
              "events": [e for d in ducks for e in d["events"]]}
    return {"spoken": spoken, "triggers": triggers, "held": held, "ducks": merged,
            "denoiser": merged_denoiser(denoisers)}


METHODS = ("webrtc", "speex")
"""PulseAudio's module-echo-cancel (WebRTC) in the sound server; libspeexdsp in-process."""


def measure(method: str, quick: bool, per_word: int | None = None,
            all_texts: bool | None = None, levels: tuple[int, ...] = LEVELS,
            parts: tuple[str, ...] = ("silence", "over", "self")) -> dict[str, Any]:
    """One canceller: silence baseline, over the coach, self-triggers, each in a fresh loop."""
    from tests.app.echoloop import SERVER_CANCELLERS, command_clips, pulse_room
    from tests.support.pulse import pulse_loop

    clips = command_clips(per_word=per_word or (1 if quick else 4))
    out: dict[str, Any] = {"method": method, "clips": len(clips), "levels": levels,
                           "load": os.getloadavg()[0]}
    for part in parts:
        with pulse_loop() as loop:
            if method in SERVER_CANCELLERS or method == "speex-room":
                pulse_room(loop, method)
            time.sleep(0.5)
            cpu0, wall0 = _daemon_cpu(loop), time.monotonic()
            if part == "self":
                out[part] = self_triggers(loop, quick if all_texts is None else not all_texts,
                                          method)
            else:
                out[part] = over_speech(loop, clips, coach=part == "over", method=method,
                                        levels=levels)
            out[part]["daemon_cpu"] = round((_daemon_cpu(loop) - cpu0)
                                            / (time.monotonic() - wall0), 4)
    return out


def _daemon_cpu(loop: Any) -> float:
    """CPU seconds the loop's PulseAudio daemon has used (its canceller runs there)."""
    fields = Path(f"/proc/{loop.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rows(res: dict[str, Any]) -> list[dict[str, Any]]:
    n, levels = res["clips"], res.get("levels", LEVELS)
    silence, over, selft = res.get("silence"), res.get("over"), res.get("self")
    rows = []
    for db in levels:
        s = 100 * silence["heard"][db] / n if silence else None
        o = 100 * over["heard"][db] / n if over else None
        rows.append({"metric": f"heard at +{db} dB", "value": _round(o), "silence": _round(s),
                     "gap_points": _round(s - o) if s is not None and o is not None else None,
                     "wrong": over["wrong"][db] if over else None,
                     "why": over["why"][db] if over else None,
                     "why_silence": silence["why"][db] if silence else None})
    if over:
        hush, cpu = over["hush_ms"], over["cpu"]
        rows.append({"metric": "hush p95 (ms)", "value": _pct(hush, 95),
                     "detail": f"p50 {_pct(hush, 50)}, n={len(hush)}"})
    for name, part in (("over the coach", over), ("the coach alone", selft)):
        if part and part.get("ducks") is not None and DUCK is not None:
            d = part["ducks"]
            rows.append({"metric": f"ducks, {name}", "value": d["count"],
                         "detail": f"{d['seconds']} s ducked; delay onset -> drop p50 "
                                   f"{_pct(d['delay_ms'], 50)} / p95 {_pct(d['delay_ms'], 95)}"
                                   f" ms (n={len(d['delay_ms'])})"})
    from voicecoach.speech.noise import STEADY_FLOOR_DB

    for name, part in (("in silence", silence), ("over the coach", over),
                       ("the coach alone", selft)):
        d = part.get("denoiser") if part else None
        if d is not None:
            rows.append({"metric": f"denoiser switches, {name}", "value": d["switches"],
                         "detail": f"{d['denoiser']}: {d['rnnoise_s']} of {d['audio_s']} s "
                                   f"on RNNoise; {d['judged_steady']} of {d['judged']} "
                                   f"room judgements steady; loudest floor "
                                   f"{d['floor_db_max']} dBFS (steady: > {STEADY_FLOOR_DB}); "
                                   f"fed the coach's turns too: {d['unguarded_steady']} of "
                                   f"{d['unguarded_judged']} steady, "
                                   f"{d['unguarded_flips']} switches, loudest floor "
                                   f"{d['unguarded_floor_db_max']} dBFS"})
    if selft:
        rows.append({"metric": "self-triggers", "value": len(selft["triggers"]),
                     "detail": f"{selft['spoken']} texts; {selft['triggers']}"})
        held = selft.get("held", [])
        rows.append({"metric": f"held back by the gate (confidence >= {HELD_CONFIDENCE})",
                     "value": len(held),
                     "detail": ", ".join(f"{p!r} {c}" for _t, p, c in held)})
    if over:
        rows.append({
            "metric": "canceller CPU (fraction of one core)",
            "value": round(cpu, 4) if cpu is not None else "in the sound server",
            "detail": (f"{over['chunk_ms']:.2f} ms per 50 ms chunk; ERLE {over['erle_db']} dB"
                       if over["chunk_ms"] is not None else "")
            + f"; PulseAudio daemon: {over['daemon_cpu']} over the coach"
            + (f", {silence['daemon_cpu']} in silence" if silence else "")})
    return rows


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def _why(counts: dict[str, int] | None) -> str:
    """A reason histogram, most common first: "heard 12, gated: own words 3, ..."."""
    if not counts:
        return ""
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


def run(quick: bool = False, methods: tuple[str, ...] = METHODS, per_word: int | None = None,
        all_texts: bool | None = None, levels: tuple[int, ...] = LEVELS,
        parts: tuple[str, ...] = ("silence", "over", "self")) -> dict[str, Any]:
    from voicecoach.speech.echo import available

    results = []
    for method in methods:
        if method in ("speex", "speex-room") and available():
            continue
        results.append(measure(method, quick, per_word, all_texts, levels, parts))
    md = []
    all_rows = []
    for res in results:
        rows = _rows(res)
        all_rows.append({"method": res["method"], "rows": rows})
        md += [f"### {res['method']} (load average {res['load']:.1f})", "",
               "| metric | over the coach | silence | gap (points) | wrong | why, over the coach "
               "| why, in silence |", "|---|---|---|---|---|---|---|"]
        for row in rows[:len(levels)]:
            md.append(f"| {row['metric']} | {row['value']} | {row['silence']} | "
                      f"{row['gap_points']} | {row['wrong']} | {_why(row['why'])} | "
                      f"{_why(row['why_silence'])} |")
        md += ["", "| metric | value | detail |", "|---|---|---|"]
        for row in rows[len(levels):]:
            md.append(f"| {row['metric']} | {row['value']} | {row['detail']} |")
        md.append("")
    n = results[0]["clips"] if results else 0
    md.append(f"{n} clips of real people per level (stop go yes no up down left right on off). "
              "Targets: +6 dB within 10 points of silence, 0 self-triggers, hush p95 <= 100 ms, "
              "CPU <= 0.20 of a core.")
    return {"title": "Talking over the coach (echo cancellation, real audio loop)",
            "rows": all_rows, "markdown": "\n".join(md), "results": results}


if __name__ == "__main__":
    chosen = tuple(a.split("=", 1)[1] for a in sys.argv if a.startswith("--method="))
    per = [int(a.split("=", 1)[1]) for a in sys.argv if a.startswith("--per-word=")]
    for arg in sys.argv:
        if arg.startswith("--duplex-confidence="):
            DUPLEX_CONFIDENCE = float(arg.split("=", 1)[1])
        if arg.startswith("--duck="):
            DUCK = None if arg == "--duck=off" else float(arg.split("=", 1)[1])
        if arg.startswith("--denoiser="):
            DENOISER = arg.split("=", 1)[1]
        if arg.startswith("--replay="):
            cues = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--cue=")]
            if not cues:
                sys.exit("bench_echo: --replay=N needs --cue=TEXT (the text to play N times)")
            REPLAY = (cues[0], int(arg.split("=", 1)[1]))
    for arg in sys.argv:
        if arg == "--duck-oracle":
            DUCK_ORACLE = -1.0
        elif arg.startswith("--duck-oracle="):
            DUCK_ORACLE = float(arg.split("=", 1)[1])
    result = run(quick="--quick" in sys.argv, methods=chosen or METHODS,
                 per_word=per[0] if per else None,
                 all_texts=True if "--all-texts" in sys.argv else None,
                 levels=tuple(int(x) for a in sys.argv if a.startswith("--levels=")
                              for x in a.split("=", 1)[1].split(",")) or LEVELS,
                 parts=tuple(x for a in sys.argv if a.startswith("--parts=")
                             for x in a.split("=", 1)[1].split(","))
                 or ("silence", "over", "self"))
    print(result["markdown"])
    for a in sys.argv:
        if a.startswith("--json="):
            Path(a.split("=", 1)[1]).write_text(json.dumps(result["results"], default=str))
    print(json.dumps({k: v for k, v in result.items() if k != "markdown"}, indent=1,
                     default=str)[:4000])
