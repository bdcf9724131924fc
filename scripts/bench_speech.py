"""Speech benchmark section: accuracy in noise, false accepts, latency, RTF, load time, RSS.

`run(quick)` returns {"title", "rows", "markdown"}; scripts/bench.py calls it and
writes bench/. Run alone: `python scripts/bench_speech.py [--quick] [--json]`.

Every engine decodes the same clips (espeak-ng voices, plus flite's CMU voices
when flite is installed) through the real streaming recognizer, in chunks of
the microphone's size (`voicecoach.speech.audio.CHUNK_S`), as it would feed
it. Each engine runs in its own subprocess so its peak RSS is its own. The peer
row is pocketsphinx as the SpeechRecognition library uses it: the default
language model, no grammar, no rejection; a heard text counts as a command when
it *is* a phrase. The "pocketsphinx+classifier" row is the app's default, the phrase
classifier judging (speech/phrase_classifier.py): it learnt from espeak-ng and flite voices,
the very voices of these clips, so its figures here flatter it twice over (real people:
bench/classifier.md).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

TARGETS = {
    "clean": 0.97,
    "snr10": 0.90,
    "false_accept": 0.03,
    "p95_ms": 300.0,
    "rtf": 0.15,
    "rss_mb": {"pocketsphinx": 120.0, "pocketsphinx+classifier": 120.0, "vosk": 250.0,
               "peer": 120.0},
}
from voicecoach.speech.audio import CHUNK_S  # noqa: E402 (after the path set-up)

SNRS = (20, 10, 5, 0)
CHUNK = round(CHUNK_S * 16000)  # samples per chunk, as the mic delivers them


def _routine():
    from voicecoach.routine.models import Correction, Routine, Step

    try:
        from voicecoach.routine import load_routine  # type: ignore[attr-defined]

        return load_routine("squat")
    except Exception:
        return Routine(
            name="squat (stand-in)",
            steps=(
                Step(
                    "heels",
                    "Heels",
                    "Roll your heels in.",
                    corrections=(
                        Correction(
                            ("my heels are lifting", "heels coming up"),
                            "Weight forward.",
                            path="steps[0].corrections[0]",
                        ),
                        Correction(
                            ("my knees cave in",),
                            "Push the knees out.",
                            path="steps[0].corrections[1]",
                        ),
                    ),
                ),
            ),
            corrections=(
                Correction(("that hurts", "sharp pain"), "Stop.", "pause", "corrections[0]"),
            ),
        )


def _voices(quick: bool) -> list[tuple[str, int]]:
    from tests.support import clips

    voices = (
        [("en-us", 150), ("en-us+f2", 170)]
        if quick
        else [("en-us", 140), ("en-us+f2", 170), ("en", 160)]
    )
    if clips.have_flite():
        voices += [("flite:slt", 0)] if quick else [("flite:slt", 0), ("flite:rms", 0)]
    return voices


def _feed(rec, pcm: bytes, speech_end_s: float | None = None) -> tuple[list, float, float | None]:
    """Feed like a mic; returns (hypotheses, decode seconds, end-of-speech-to-decision seconds).

    Latency = from the true end of speech in the clip (`speech_end_s`) to the moment the
    chunk that produced the decision has been processed, with chunks arriving in real time
    (every CHUNK_S, as the mic delivers them) and waiting while an earlier one is still being
    processed: what a person would wait. Work done ahead (the final pass that starts
    before the early end) counts only where it delays a later chunk.
    """
    hyps = []
    busy = 0.0
    latency = None
    free = 0.0  # audio-clock time at which the recognizer is done with what it was given
    offset = getattr(rec, "_samples", 0) / 16000
    for i in range(0, len(pcm), CHUNK * 2):
        arrives = (i + CHUNK * 2) / 32000
        t0 = time.perf_counter()
        out = rec.accept(pcm[i : i + CHUNK * 2])
        dt = time.perf_counter() - t0
        busy += dt
        free = max(free, arrives) + dt
        for h in out:
            end = speech_end_s if speech_end_s is not None else h.end_s - offset
            if h.text and latency is None:
                latency = max(0.0, free - end)
            hyps.append(h)
    t0 = time.perf_counter()
    hyps += rec.flush()
    busy += time.perf_counter() - t0
    return hyps, busy, latency


def _worker(engine: str, quick: bool) -> dict:
    import numpy as np

    from tests.support import clips
    from voicecoach.coach.intents import all_phrases, match, phrase_meanings

    routine = _routine()
    phrases = list(all_phrases(routine))
    t0 = time.perf_counter()
    if engine == "peer":
        rec = _PeerSphinx()
    else:
        from voicecoach.speech import make_recognizer

        # "+classifier": the app's default (config `classifier`), learnt before the clips.
        base, _, extra = engine.partition("+")
        rec = make_recognizer(base, routine, classifier="wait" if extra else "off")
    load_s = time.perf_counter() - t0
    rec.set_phrases(phrases, phrase_meanings(routine, None) if engine != "peer" else None)
    voices = _voices(quick)
    cmd_phrases = phrases[::3] if quick else phrases
    non = clips.NON_COMMANDS[:8] if quick else clips.NON_COMMANDS
    conditions = [("clean", None, None)] + [
        (f"{kind}{snr}", kind, snr)
        for kind in (("pink", "music") if quick else ("white", "pink", "music"))
        for snr in SNRS
    ]
    if quick:  # white noise at 10 dB only: issue 12's target, a ninth more time
        conditions.insert(1, ("white10", "white", 10))
    stats: dict[str, list[int]] = {}
    decoded: dict[str, int] = {}
    """Clips whose best grammar path was the right phrase, before rejection."""
    by_voice: dict[str, list[int]] = {}
    lat: list[float] = []
    audio_s = busy_s = 0.0
    for cname, kind, snr in conditions:
        right = wrong = raw_right = 0
        n = 0
        for p in cmd_phrases:
            for k, (voice, rate) in enumerate(voices):
                speech = clips.speak(p, voice, rate)
                x = clips.pad(speech, 0.4, 0.8)
                if kind:
                    x = clips.mix_snr(x, kind, snr, seed=k + n)
                pcm = x.tobytes()
                hyps, busy, latency = _feed(rec, pcm, 0.4 + _trailing_trim(speech))
                audio_s += len(pcm) / 32000
                busy_s += busy
                texts = [h.text for h in hyps if h.text]
                intents = [_meaning(match(routine, None, t)) for t in texts]
                want = _meaning(match(routine, None, p))
                raw = [_meaning(match(routine, None, h.raw)) for h in hyps if h.raw]
                raw_right += want in raw
                if cname == "clean":
                    tally = by_voice.setdefault(voice, [0, 0])
                    tally[1] += 1
                n += 1
                if intents and intents[0] == want and len(intents) == 1:
                    right += 1
                    if cname == "clean":
                        by_voice[voice][0] += 1
                    if cname == "clean" and latency is not None:
                        lat.append(latency)
                elif intents:
                    wrong += 1
        stats[cname] = [right, wrong, n]
        decoded[cname] = raw_right
    fa = 0
    nn = 0
    for s in non:
        for voice, rate in voices:
            pcm = clips.pad(clips.speak(s, voice, rate), 0.4, 0.8).tobytes()
            hyps, busy, _ = _feed(rec, pcm)
            nn += 1
            fa += any(h.text and match(routine, None, h.text) for h in hyps)
    noise_fa = 0
    noise_n = 0
    for kind in ("white", "pink", "music"):
        for seed in range(2 if quick else 5):
            pcm = clips.noise_only(3.0, kind, -30.0, seed=seed).tobytes()
            hyps, _, _ = _feed(rec, pcm)
            noise_n += 1
            noise_fa += any(h.text and match(routine, None, h.text) for h in hyps)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lat_ms = np.array(lat) * 1000 if lat else np.array([float("nan")])
    return {
        "engine": engine,
        "load_s": load_s,
        "stats": stats,
        "decoded": decoded,
        "by_voice": by_voice,
        "false_accept": [fa, nn],
        "noise_false_accept": [noise_fa, noise_n],
        "p50_ms": float(np.percentile(lat_ms, 50)),
        "p95_ms": float(np.percentile(lat_ms, 95)),
        "rtf": busy_s / max(audio_s, 1e-9),
        "rss_mb": rss_mb,
        "voices": [v for v, _ in voices],
        "clips_per_condition": stats["clean"][2],
    }


def _meaning(intent) -> str | None:  # type: ignore[no-untyped-def]
    """What the coach does with an intent (None: no command): a phrase heard as another
    phrase of the same correction ("i can't feel my butt" for "... my glutes") is right,
    as the user hears the same answer. Scored by the phrase until 2026-12-02."""
    return None if intent is None else intent.meaning


def _trailing_trim(speech) -> float:
    """Seconds to the last sample above -40 dBFS: TTS output ends with its own silence."""
    import numpy as np

    loud = np.nonzero(np.abs(speech.astype(float)) > 328)[0]
    return (loud[-1] + 1) / 16000 if loud.size else 0.0


class _PeerSphinx:
    """Pocketsphinx with its default LM, no grammar, no rejection (SpeechRecognition's way)."""

    name = "peer"

    def __init__(self) -> None:
        import pocketsphinx as ps

        from voicecoach.speech.base import StreamingRecognizer

        cfg = ps.Config()
        root = Path(ps.get_model_path()) / "en-us"
        cfg["hmm"] = str(root / "en-us")
        cfg["dict"] = str(root / "cmudict-en-us.dict")
        cfg["lm"] = str(root / "en-us.lm.bin")
        cfg["loglevel"] = "FATAL"
        decoder = ps.Decoder(cfg)

        class Peer(StreamingRecognizer):
            name = "peer"

            def _begin(self) -> None:
                decoder.start_utt()

            def _feed(self, pcm: bytes) -> None:
                decoder.process_raw(pcm, False, False)

            def _finish(self):
                from voicecoach.speech.hypothesis import Hypothesis

                decoder.end_utt()
                h = decoder.hyp()
                return Hypothesis(h.hypstr if h else "", 1.0, raw=h.hypstr if h else "")

        self._rec = Peer()

    def __getattr__(self, name: str):
        return getattr(self._rec, name)


def _engines() -> list[str]:
    from voicecoach.speech.models import resolve_model

    return ["pocketsphinx", "pocketsphinx+classifier", "peer"] + (
        ["vosk"] if resolve_model(None)[0] else []
    )


def _pct(a: int, b: int) -> float:
    return a / b if b else float("nan")


def _row(res: dict) -> dict:
    s = res["stats"]
    row = {"engine": res["engine"], "clean": _pct(s["clean"][0], s["clean"][2])}
    for key, (r, _wrong, n) in s.items():
        row[key] = _pct(r, n)
    row["wrong_command"] = _pct(sum(v[1] for v in s.values()), sum(v[2] for v in s.values()))
    row["false_accept"] = _pct(*res["false_accept"])
    row["noise_false_accept"] = _pct(*res["noise_false_accept"])
    for k in ("p50_ms", "p95_ms", "rtf", "load_s", "rss_mb"):
        row[k] = res[k]
    return row


def _verdict(row: dict) -> list[str]:
    missed = []
    if row["clean"] < TARGETS["clean"]:
        missed.append(f"clean {row['clean']:.0%} < 97%")
    snr10 = [v for k, v in row.items() if k.endswith("10") and isinstance(v, float)]
    if snr10 and min(snr10) < TARGETS["snr10"]:
        missed.append(f"10 dB {min(snr10):.0%} < 90%")
    if row["false_accept"] > TARGETS["false_accept"]:
        missed.append(f"false accepts {row['false_accept']:.0%} > 3%")
    if not row["p95_ms"] <= TARGETS["p95_ms"]:
        missed.append(f"p95 {row['p95_ms']:.0f} ms > 300 ms")
    if row["rtf"] > TARGETS["rtf"]:
        missed.append(f"RTF {row['rtf']:.2f} > 0.15")
    if row["rss_mb"] > TARGETS["rss_mb"].get(row["engine"], 250.0):
        missed.append(f"RSS {row['rss_mb']:.0f} MB over target")
    return missed


def _learn_classifier() -> dict:
    """Learn the routine's classifier in a process of its own, before its worker: that
    worker then loads it from the user's cache as the app does after a routine's first
    start, so its load time and RSS are the recognizer's in use, not the one-time training
    (from nothing: minutes, and ~180 MB at its peak; reported on a line of its own)."""
    out = subprocess.run(
        [sys.executable, __file__, "--learn"], capture_output=True, text=True, cwd=REPO,
        timeout=7200,
    )
    if out.returncode != 0:
        return {"failed": (out.stderr.strip().splitlines() or ["?"])[-1]}
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _learn() -> dict:
    from voicecoach.coach.intents import all_phrases, phrase_meanings
    from voicecoach.speech import make_recognizer

    routine = _routine()
    t0 = time.perf_counter()
    rec = make_recognizer("pocketsphinx", routine, classifier="wait")
    rec.set_phrases(list(all_phrases(routine)), phrase_meanings(routine, None))
    return {"seconds": time.perf_counter() - t0,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run(quick: bool = False) -> dict:
    rows = []
    learning: dict | None = None
    for engine in ("pocketsphinx", "pocketsphinx+classifier", "peer", "vosk"):
        if engine not in _engines():
            rows.append({"engine": engine, "skipped": "no model (run `voicecoach model download`)"})
            continue
        if engine == "pocketsphinx+classifier":
            learning = _learn_classifier()
        out = subprocess.run(
            [sys.executable, __file__, "--worker", engine] + (["--quick"] if quick else []),
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=3600,
        )
        if out.returncode != 0:
            rows.append(
                {"engine": engine, "skipped": f"failed: {out.stderr.strip().splitlines()[-1:]}"}
            )
            continue
        res = json.loads(out.stdout.strip().splitlines()[-1])
        row = _row(res)
        row["voices"] = res["voices"]
        row["clips_per_condition"] = res["clips_per_condition"]
        n = res["clips_per_condition"]
        row["decoded"] = {k: v / n for k, v in res["decoded"].items()}
        row["by_voice"] = {v: r / t for v, (r, t) in res["by_voice"].items() if t}
        row["missed"] = _verdict(row) if engine != "peer" else []
        rows.append(row)
    return {
        "title": "Speech in: command accuracy, false accepts, latency",
        "rows": rows,
        "learning": learning,
        "markdown": _markdown(rows, quick, learning),
    }


def _markdown(rows: list[dict], quick: bool, learning: dict | None = None) -> str:
    cols = [
        k
        for r in rows
        if "skipped" not in r
        for k in r
        if k not in ("engine", "missed", "voices", "clips_per_condition", "decoded", "by_voice")
    ]
    cols = list(dict.fromkeys(cols))
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        f"{' (quick run)' if quick else ''}",
        "",
    ]
    lines.append("| engine | " + " | ".join(cols) + " | targets missed |")
    lines.append("|---" * (len(cols) + 2) + "|")
    for r in rows:
        if "skipped" in r:
            lines.append(f"| {r['engine']} | skipped: {r['skipped']} |")
            continue
        cells = []
        for c in cols:
            v = r.get(c)
            if c.endswith("_ms") or c == "rss_mb":
                cells.append(f"{v:.0f}")
            elif c in ("rtf", "load_s"):
                cells.append(f"{v:.3f}")
            else:
                cells.append(f"{v:.0%}" if isinstance(v, float) and v == v else "-")
        missed = "; ".join(r.get("missed", [])) or (
            "(peer: no targets)" if r["engine"] == "peer" else "none"
        )
        lines.append(f"| {r['engine']} | " + " | ".join(cells) + f" | {missed} |")
    lines += [
        "",
        "Columns: clean and `<noise><SNR>` = commands decoded to the right intent (the "
        "same command or correction: another phrase of it counts, as the coach answers it "
        "alike; runs before 2026-12-02 counted it wrong); "
        "wrong_command = decoded to another intent; false_accept = non-command sentences "
        "taken as a command; noise_false_accept = noise-only clips (white/pink/music, "
        "-30 dBFS) taken as a command; p50/p95 = end of speech to decision (clean); rtf = "
        "decode time / audio time; rss = peak RSS of the engine's own process.",
    ]
    if learning:
        lines += ["", "pocketsphinx+classifier learnt its phrases before its worker, in a process "
                  "of its own (as the app does once per routine, in the background): "
                  + (f"failed ({learning['failed']})" if "failed" in learning else
                     f"{learning['seconds']:.0f} s, peak RSS {learning['rss_mb']:.0f} MB")
                  + " (a second or less and ~60 MB where the user's cache already had it)."]
    for r in rows:
        if "skipped" in r or r["engine"] == "peer":
            continue
        dec = r["decoded"]
        lines += [
            "",
            f"Where {r['engine']}'s misses come from:",
            "",
            "- clean commands by voice: "
            + ", ".join(f"{v} {a:.0%}" for v, a in r["by_voice"].items())
            + ". flite's voices are statistical parametric voices built from CMU ARCTIC "
            "recordings; espeak-ng's are formant synthesis, further still from the human "
            "speech the acoustic model was trained on.",
            "- best grammar path was the right phrase, before rejection: "
            + ", ".join(f"{k} {dec[k]:.0%}" for k in dec if k == "clean" or k.endswith("10"))
            + ". That is the decoder's ceiling on these clips: the rest of a miss is "
            "rejection (the price of the false-accept target). The ceiling itself is the "
            "acoustic model's, not our segmentation's: fed whole clips, without our VAD, "
            "the same decoder found the right phrase in 65 % of the pink 10 dB clips "
            "(2026-11-25).",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    if "--learn" in sys.argv:
        print(json.dumps(_learn()))
    elif "--worker" in sys.argv:
        engine = sys.argv[sys.argv.index("--worker") + 1]
        print(json.dumps(_worker(engine, "--quick" in sys.argv)))
    else:
        result = run("--quick" in sys.argv)
        print(json.dumps(result) if "--json" in sys.argv else result["markdown"])
