"""Real-speech benchmark section: pocketsphinx on recordings of real people.

`run(quick)` returns {"title", "rows", "markdown"} for scripts/bench.py and
writes bench/real-speech.{md,json} and bench/real-speech-curve.png (--quick:
the same files in the temp dir, leaving bench/ alone). Run alone:
`python scripts/bench_real.py [--quick] [--json]`.

Data: `../shared/speech-corpus/` (skipped, with the reason, when absent): the
isolated words of `clips/<word>/` (Speech Commands, and Free Spoken Digit clips
when there are any), and the read sentences of `clips/phrases/` whose text holds
no command (ordinary talk). The routine is 19 corrections, yes no up down left
right on off go zero..nine, plus the built-in commands (so "stop" is in); it is
written to a temp file. Negatives: bed bird cat dog happy house marvin sheila
tree wow visual follow learn forward backward, and the talk.

Every clip goes through the real streaming recognizer in 50 ms chunks, as
`voicecoach transcribe` feeds it, in two ways: "first" (a fresh recognizer per
clip: the first command of a session) and "warm" (one recognizer over all clips
in a shuffled order, `reset()` between them as a session's stream goes on; not
transcribe's per-file `new_stream()`, which would make warm equal first). Two
configurations: "new" (PocketsphinxRecognizer's defaults as they are when this
runs) and "today" (before issue 12: streaming result only, no garbage words, one
pronunciation of "stop", cepstral mean carried over, the old thresholds).
Speakers are split by their hash: 0-3 ("tune") and 4-7 ("check"), so a rule
tuned on one half can be checked on the other. Warm runs in four shuffled orders
(the order alone moves its figures by a few points); first vs warm is judged
against their mean. First is one draw of the recognizer's dither (every fresh recognizer
gets the same); bench_classifier judges the default's first on four. Every clip is
judged by a `Listener`, as transcribe and a session judge. "A radio in the gym":
minutes of the read sentences back to back, alone and over music, heard by the squat
routine: how many commands the talk gives.

"Session": warm as a session is, one speaker at a time: a fresh recognizer for
each speaker, warm across that speaker's clips (shuffled) only, in the same four
orders. Warm above carries one stranger's room and mic into the next clip; a
session carries its own person's. Also on the corpus' `enroll/` takes (five
speakers, about fifty words each: the tenth and fortieth command of a session),
fresh per clip against one session per speaker.

The curve: commands heard vs false accepts as a threshold moves. New: the
garbage words' weight, each value a full decode (warm, on a fixed subset: every
out-of-grammar clip and half the commands). Today's: max_acoustic_gap and
max_unexplained, judged afterwards on the same decodes (a threshold changes no
decoder state, so that is exact). Jobs run as subprocesses, two at a time under
nice 10, each reporting its own peak RSS.
"""

from __future__ import annotations

import functools
import inspect
import json
import math
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from voicecoach.speech.gate import AFTER_TALK_S

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

CORPUS = REPO.parent / "shared" / "speech-corpus"
OUT = REPO / "bench"
TITLE = "Real speech (recordings of real people): pocketsphinx"
COMMANDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "go", "zero", "one",
            "two", "three", "four", "five", "six", "seven", "eight", "nine")
STOP = "stop"
NEGATIVES = ("bed", "bird", "cat", "dog", "happy", "house", "marvin", "sheila", "tree", "wow",
             "visual", "follow", "learn", "forward", "backward")
TODAY: dict[str, Any] = {
    "whole_utterance": False, "garbage_words": 0, "cmn_reset": False,
    "max_unexplained": 0.1, "max_frames_per_phone": 16.0, "max_speech_per_phone": 14.0,
    "max_acoustic_gap": 5.0,
}
"""Before issue 12: the streaming result, no garbage words, CMN carried over, old thresholds."""
TODAY_OFF: dict[str, Any] = {"speech_level_dbfs": None, "noise_suppression": 0}
"""Later issue-12 additions, turned off for today's config where the recognizer has them."""
GARBAGE_WEIGHTS = (1e-6, 1e-10, 1e-15, 1e-20, 1e-25, 1e-30)
GARBAGE_WEIGHTS_QUICK = (1e-6, 1e-10, 1e-20, 1e-30)
TODAY_SWEEPS: dict[str, tuple[float, ...]] = {
    "max_acoustic_gap": (2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0, 8.0, math.inf),
    "max_unexplained": (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0),
}
TARGETS = {"false_accept": 0.05, "right": 0.60, "stop": 0.80, "wrong": 0.05, "first_vs_warm": 0.02}
OPEN_LM = (0.05, 0.46)
"""(false accepts, right) of pocketsphinx's open language model on these words (issue 12)."""
CHUNK_BYTES = 1600  # 50 ms at 16 kHz mono int16, as transcribe feeds it
STREAM_MINUTES = 3.0
STREAM_SEEDS = (1, 2)
STREAM_MUSIC_DB = 6.0
"""A radio in the gym: the read sentences back to back (0.1-0.35 s between them) for
STREAM_MINUTES, alone and with music-like noise this many dB under the speech, heard by the
squat routine's full grammar through a session's Listener."""
SHUFFLE_SEED = 12
EXTRA_WARM_SEEDS = (13, 14, 15)
"""More shuffled orders for new/warm (full run only): one order's right rate moves by about
3 points with the order alone, as much as the first-vs-warm target, so the target is judged
against the mean over all orders."""


SESSION_BINS = ((0, 0), (1, 2), (3, 9), (10, 10_000))
"""Where in its speaker's session a clip came (0 = the speaker's first), for the table."""


# --- the clips -------------------------------------------------------------------------


def routine_toml() -> str:
    lines = ['format = 1', '', '[routine]', 'name = "Words"', '', '[[steps]]', 'id = "words"',
             'title = "Words"', 'cue = "Say a word."']
    for w in COMMANDS:
        lines += ['', '[[corrections]]', f'when = ["{w}"]', f'say = "You said {w}."']
    return "\n".join(lines) + "\n"


def half(speaker: str | None) -> str:
    """Speech Commands speakers are hex hashes: 0-3 tune, 4-7 check; anyone else: other."""
    first = (speaker or "")[:1].lower()
    if first in "0123" and first:
        return "tune"
    if first in "4567" and first:
        return "check"
    return "other"


def _contains(words: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(words[i : i + n]) == phrase for i in range(len(words) - n + 1))


def clips(phrases: tuple[str, ...]) -> list[dict[str, Any]]:
    """Word clips (commands, stop, negatives) and talk clips, sorted by file."""
    from voicecoach.routine.phrases import spoken_words

    commands = [spoken_words(p) for p in phrases]
    out = []
    for line in (CORPUS / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        text, file = r.get("text"), r["file"]
        if not (CORPUS / file).is_file():
            continue
        if file.startswith("clips/phrases/"):
            words = [w.replace("'", "") for w in spoken_words(text or "")]
            if not text or any(_contains(words, c) for c in commands):
                continue  # unknown text, or a command is in it: not plain talk
            kind = "talk"
        elif text in COMMANDS:
            kind = "command"
        elif text == STOP:
            kind = "stop"
        elif text in NEGATIVES:
            kind = "negative"
        else:
            continue
        out.append({"file": file, "text": text, "kind": kind, "speaker": r.get("speaker"),
                    "half": half(r.get("speaker")), "dataset": r.get("dataset") or "?"})
    return sorted(out, key=lambda c: c["file"])


def quick_sample(all_clips: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A fixed ~120 clips: every 4th clip of each word, every 3rd talk clip (by file name)."""
    by_word: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in all_clips:
        by_word[c["text"] if c["kind"] != "talk" else "(talk)"].append(c)
    out = []
    for word, group in by_word.items():
        step = 3 if word == "(talk)" else 4
        out += group[::step]
    return sorted(out, key=lambda c: c["file"])


def curve_subset(sample: list[dict[str, Any]], quick: bool) -> list[dict[str, Any]]:
    """Every negative (false accepts need their count), half the commands (every other)."""
    if quick:
        return sample
    words = [c for c in sample if c["kind"] != "talk"]
    commands = [c for c in words if c["kind"] in ("command", "stop")]
    negatives = {c["file"] for c in words if c["kind"] == "negative"}
    keep = {c["file"] for c in commands[::2]} | negatives
    return [c for c in sample if c["file"] in keep]


def enroll_clips() -> list[dict[str, Any]]:
    """The enrollment takes (enroll/: a few speakers, many words each) as scored clips."""
    path = CORPUS / "enroll" / "manifest.jsonl"
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        text = r.get("text")
        kind = ("command" if text in COMMANDS else "stop" if text == STOP
                else "negative" if text in NEGATIVES else None)
        if kind and (CORPUS / "enroll" / r["file"]).is_file():
            out.append({"file": f"enroll/{r['file']}", "text": text, "kind": kind,
                        "speaker": r.get("speaker"), "half": half(r.get("speaker")),
                        "dataset": r.get("dataset") or "?"})
    return sorted(out, key=lambda c: c["file"])


def by_speaker(clip_list: list[dict[str, Any]], seed: int) -> tuple[list[str], list[str]]:
    """Files grouped by speaker (each speaker's clips shuffled), and each file's speaker."""
    rng = random.Random(seed)
    groups: dict[str, list[str]] = defaultdict(list)
    for c in clip_list:
        groups[c["speaker"] or "?"].append(c["file"])
    files: list[str] = []
    speakers: list[str] = []
    for speaker in sorted(groups):
        group = groups[speaker][:]
        rng.shuffle(group)
        files += group
        speakers += [speaker] * len(group)
    return files, speakers


def session_positions(files: list[str], speakers: list[str]) -> dict[str, int]:
    """Each file's place in its speaker's session (0 = that speaker's first clip)."""
    pos: dict[str, int] = {}
    k = 0
    for i, file in enumerate(files):
        k = 0 if i == 0 or speakers[i] != speakers[i - 1] else k + 1
        pos[file] = k
    return pos


# --- the worker: one configuration, one way of feeding ---------------------------------


def _stream_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """A radio in the gym (STREAM_MINUTES of read sentences) through a session's Listener."""
    import numpy as np

    from tests.support.clips import music_noise
    from voicecoach.coach.intents import all_phrases, phrase_meanings
    from voicecoach.routine import load_routine
    from voicecoach.speech.audio import wav_pcm16k
    from voicecoach.speech.gate import Listener, MicGate
    from voicecoach.speech.sphinx import PocketsphinxRecognizer

    routine = load_routine("squat")
    phrases = all_phrases(routine)
    talk = [np.frombuffer(wav_pcm16k(CORPUS / c["file"]), dtype="<i2")
            for c in clips(phrases) if c["kind"] == "talk"]
    rng = random.Random(spec["seed"])
    parts: list[Any] = []
    total = 0
    while total < 16000 * 60 * STREAM_MINUTES:
        sentence = rng.choice(talk)
        gap = np.zeros(int(16000 * rng.uniform(0.1, 0.35)), np.int16)
        parts += [sentence, gap]
        total += sentence.size + gap.size
    x = np.concatenate(parts).astype(float)
    if spec["music"]:
        m = music_noise(x.size, seed=spec["seed"])
        x += m * np.sqrt(np.mean(x**2)) * 10 ** (-STREAM_MUSIC_DB / 20)
    pcm = np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()
    rec = PocketsphinxRecognizer()
    rec.set_phrases(phrases, phrase_meanings(routine, None))
    listener = Listener(rec, MicGate(clock=lambda: 0.0))
    cpu = time.process_time()
    hyps = listener.hear_recording(pcm, CHUNK_BYTES)
    cpu = time.process_time() - cpu
    return {"stream": {
        "minutes": round(len(pcm) / 32000 / 60, 2), "utterances": len(hyps),
        "accepted": [h.text for h in hyps if h.text],
        "after_talk": [h.raw for h in hyps if h.reason == "after-talk"],
        # What the end-of-session hearing advice counts as the person's missed commands
        # (rejected words), before and since words amid talk are left out (`in_talk`).
        "missed_all": sum(1 for h in hyps if h.raw and not h.text and h.reason != "after-talk"),
        "missed": sum(1 for h in hyps if h.raw and not h.text and not h.in_talk),
        "rtf_cpu": round(cpu / (len(pcm) / 32000), 3)}}


def _today_dictionary(tmp: Path) -> None:
    """Today's dictionary: extra.dict's new words only, not its added ways of saying a word the
    wheel has ("stop" unreleased, since session 13), so today stays what it was (this process
    is one job's)."""
    from tests.support.lexicon import one_pronunciation_each
    from voicecoach.speech import sphinx

    sphinx.EXTRA_DICT = one_pronunciation_each(sphinx.EXTRA_DICT,
                                               tmp / f"extra-today-{os.getpid()}.dict")


def _worker(spec: dict[str, Any]) -> dict[str, Any]:
    os.nice(10)
    if spec["config"] == "stream":
        return _stream_worker(spec)
    from voicecoach.coach.intents import all_phrases, phrase_meanings
    from voicecoach.routine import load_routine
    from voicecoach.speech.audio import wav_pcm16k
    from voicecoach.speech.gate import AFTER_TALK_S, Listener, MicGate
    from voicecoach.speech.sphinx import PocketsphinxRecognizer

    class Traced(PocketsphinxRecognizer):
        """Keeps each utterance's evidence (the checks' inputs), for the threshold sweeps."""

        def _finish(self):  # type: ignore[no-untyped-def]
            self.last_evidence = None
            self.last_judgement = None
            hyp = super()._finish()
            self.trace.append(self.last_evidence)
            self.judgements.append(self.last_judgement)
            return hyp

    routine = load_routine(spec["routine"])
    phrases, meanings = all_phrases(routine), phrase_meanings(routine, None)
    kwargs = spec["kwargs"]
    after_talk_s = AFTER_TALK_S if spec["config"] != "today" else 0.0
    if spec["config"] == "today":
        _today_dictionary(Path(spec["routine"]).parent)
    sweeps: dict[str, list[float]] = spec.get("sweeps") or {}

    def make() -> Traced:
        rec = Traced(**kwargs)
        rec.trace = []
        rec.judgements = []
        rec.set_phrases(phrases, meanings)
        return rec

    def judged(rec: Traced, ev: Any, key: str, value: float) -> bool:
        before = getattr(rec, key)
        setattr(rec, key, value)
        try:
            return rec._judge(ev) == ""
        finally:
            setattr(rec, key, before)

    rec = None
    results = []
    make_s: list[float] = []
    speakers = spec.get("speakers") or [None] * len(spec["files"])
    for i, file in enumerate(spec["files"]):
        pcm = wav_pcm16k(CORPUS / file)
        # "session": one recognizer per speaker, warm across that speaker's clips only.
        if rec is None or spec["mode"] == "first" or (
                spec["mode"] == "session" and speakers[i] != speakers[i - 1]):
            if rec is not None:
                rec.close()
            t0 = time.perf_counter()
            rec = make()
            make_s.append(time.perf_counter() - t0)
        rec.reset()
        rec.trace = []
        rec.judgements = []
        # Judged as transcribe and a session judge (the after-talk rule), one clip at a time.
        listener = Listener(rec, MicGate(clock=lambda: 0.0), after_talk_s=after_talk_s)
        started, cpu = time.perf_counter(), time.process_time()
        hyps = listener.hear_recording(pcm, CHUNK_BYTES)
        dt, cpu = time.perf_counter() - started, time.process_time() - cpu
        trace = rec.trace + [None] * (len(hyps) - len(rec.trace))
        answers = rec.judgements + [None] * (len(hyps) - len(rec.judgements))
        utts = []
        for h, ev, jd in zip(hyps, trace, answers, strict=False):
            u: dict[str, Any] = {"text": h.text, "raw": h.raw, "reason": h.reason,
                                 "confidence": round(h.confidence, 3),
                                 "decide_s": round(h.decode_s, 4)}
            if jd is not None:  # the phrase classifier's answer, for its threshold curve
                u["judged"] = [jd[0], round(jd[1], 4), jd[2], round(jd[3], 4), jd[4],
                              round(jd[5], 4)]
            if sweeps and ev is not None:
                u["sweeps"] = {k: "".join("1" if judged(rec, ev, k, v) else "0" for v in vals)
                               for k, vals in sweeps.items()}
            utts.append(u)
        results.append({"file": file, "dt": round(dt, 4), "cpu": round(cpu, 4),
                        "audio_s": len(pcm) / 32000,
                        "utts": utts})
    return {"results": results,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "make_s": statistics.median(make_s) if make_s else None}


def _run_job(job: dict[str, Any], tmp: Path) -> dict[str, Any]:
    spec_path = tmp / f"{job['name']}.json"
    spec_path.write_text(json.dumps(job), encoding="utf-8")
    started = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--worker", str(spec_path)],
                         capture_output=True, text=True, cwd=REPO, timeout=3600)
    if out.returncode != 0:
        tail = out.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"job {job['name']} failed: {tail[0]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["wall_s"] = time.perf_counter() - started
    print(f"  [real] {job['name']}: {len(job['files'])} clips in {res['wall_s']:.0f} s",
          file=sys.stderr, flush=True)
    return res


# --- scoring -----------------------------------------------------------------------------


def _heard_default(u: dict[str, Any]) -> str:
    return u["text"]


def _heard_sweep(key: str, j: int):  # type: ignore[no-untyped-def]
    from voicecoach.routine.phrases import spoken_words

    def heard(u: dict[str, Any]) -> str:
        if u.get("sweeps", {}).get(key, "")[j : j + 1] == "1":
            return " ".join(spoken_words(re.sub(r"\(\d+\)", "", u["raw"])))
        return ""
    return heard


@functools.cache
def _meaning(text: str) -> str:
    """What the bench routine does with `text`: "stop" heard as "stop the session" is right."""
    from voicecoach.coach.intents import match
    from voicecoach.routine import loads_routine

    intent = match(loads_routine(routine_toml(), "words.toml"), None, text)
    return text if intent is None else intent.meaning


def score(clip_list: list[dict[str, Any]], results: dict[str, dict[str, Any]],
          heard=_heard_default) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Counts: commands right/wrong, stop right, false accepts on words and on talk."""
    c: Counter[str] = Counter()
    for clip in clip_list:
        res = results.get(clip["file"])
        if res is None:
            continue
        accepted = [t for t in (heard(u) for u in res["utts"]) if t]
        kind = clip["kind"]
        c[kind] += 1
        if kind in ("command", "stop"):
            if accepted and _meaning(accepted[0]) == _meaning(clip["text"]):
                c[kind + "_right"] += 1
            elif accepted:
                c[kind + "_wrong"] += 1
        else:
            c[kind + "_fa"] += bool(accepted)
    return {
        "n_command": c["command"], "n_stop": c["stop"], "n_negative": c["negative"],
        "n_talk": c["talk"],
        "right": _rate(c["command_right"], c["command"]),
        "wrong": _rate(c["command_wrong"], c["command"]),
        "stop": _rate(c["stop_right"], c["stop"]),
        "false_accept": _rate(c["negative_fa"], c["negative"]),
        "talk_false_accept": _rate(c["talk_fa"], c["talk"]),
        "counts": dict(c),
    }


def _rate(a: int, b: int) -> float | None:
    return a / b if b else None


def losses(clip_list: list[dict[str, Any]], results: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Why a command word was not heard: the first utterance's reason (raw = the word: noted)."""
    out: Counter[str] = Counter()
    for clip in clip_list:
        res = results.get(clip["file"])
        if clip["kind"] not in ("command", "stop") or res is None:
            continue
        accepted = [u["text"] for u in res["utts"] if u["text"]]
        if accepted:
            if accepted[0] != clip["text"]:
                out["wrong word"] += 1
            continue
        if not res["utts"]:
            out["no speech found"] += 1
            continue
        u = res["utts"][0]
        same = " ".join(re.sub(r"\(\d+\)", "", u["raw"]).split()) == clip["text"]
        out[f"{u['reason'] or '?'}{' (best path was the word)' if same else ''}"] += 1
    return dict(out.most_common())


def timing(results: dict[str, dict[str, Any]]) -> dict[str, float]:
    dts = sorted(r["dt"] for r in results.values())
    decide = sorted(u["decide_s"] for r in results.values() for u in r["utts"])
    audio = sum(r["audio_s"] for r in results.values())
    cpu = sum(r["cpu"] for r in results.values())
    return {"p95_decode_s": _p95(dts), "p95_decide_ms": 1000 * _p95(decide),
            "rtf": sum(dts) / audio if audio else float("nan"),
            "rtf_cpu": cpu / audio if audio else float("nan")}


def _p95(xs: list[float]) -> float:
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, math.ceil(0.95 * len(xs)) - 1)]


# --- the run ------------------------------------------------------------------------------


def _parameters() -> dict[str, inspect.Parameter]:
    from voicecoach.speech.base import StreamingRecognizer
    from voicecoach.speech.sphinx import PocketsphinxRecognizer

    params = dict(inspect.signature(StreamingRecognizer.__init__).parameters)
    params.update(inspect.signature(PocketsphinxRecognizer.__init__).parameters)
    return {k: p for k, p in params.items() if p.kind is p.KEYWORD_ONLY}


def defaults() -> dict[str, Any]:
    """The new config as it stands: every plain keyword default of the recognizer."""
    return {k: p.default for k, p in _parameters().items()
            if k not in ("options", "vad")
            and (p.default is None or isinstance(p.default, int | float))}


def today_kwargs() -> dict[str, Any]:
    known = _parameters()
    return {**TODAY, **{k: v for k, v in TODAY_OFF.items() if k in known}}


def corpus_missing(title: str) -> dict[str, Any] | None:
    """A section's result when the corpus is absent (skipped, with the reason), else None."""
    if (CORPUS / "manifest.jsonl").is_file():
        return None
    note = f"skipped: the real-speech corpus is absent ({CORPUS})"
    return {"title": title, "rows": [], "markdown": f"_{note}._", "note": note}


def run(quick: bool = False) -> dict[str, Any]:
    if (missing := corpus_missing(TITLE)) is not None:
        return missing
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-real-") as tmp_name:
        tmp = Path(tmp_name)
        routine_path = tmp / "words.toml"
        routine_path.write_text(routine_toml(), encoding="utf-8")
        from voicecoach.coach.intents import all_phrases
        from voicecoach.routine import load_routine

        phrases = all_phrases(load_routine(str(routine_path)))
        sample = clips(phrases)
        if quick:
            sample = quick_sample(sample)
        curve_clips = curve_subset(sample, quick)
        order = [c["file"] for c in sample]
        random.Random(SHUFFLE_SEED).shuffle(order)
        curve_order = [f for f in order if f in {c["file"] for c in curve_clips}]
        new_kw = defaults()
        weights = list(GARBAGE_WEIGHTS_QUICK if quick else GARBAGE_WEIGHTS)
        if new_kw.get("garbage_weight") is not None and new_kw["garbage_weight"] not in weights:
            weights.append(new_kw["garbage_weight"])
        weights.sort(reverse=True)
        sweeps = {k: list(v) for k, v in TODAY_SWEEPS.items()}
        today = today_kwargs()
        base = {"routine": str(routine_path)}
        jobs = []
        shards = 1 if quick else 2
        for i in range(shards):  # fresh recognizers are independent: split for the pool
            jobs.append({**base, "name": f"new-first-{i}", "config": "new", "mode": "first",
                         "kwargs": {}, "files": order[i::shards]})
        jobs.append({**base, "name": "new-warm", "config": "new", "mode": "warm", "kwargs": {},
                     "files": order})
        for seed in () if quick else EXTRA_WARM_SEEDS:
            other = [c["file"] for c in sample]
            random.Random(seed).shuffle(other)
            jobs.append({**base, "name": f"new-warm-{seed}", "config": "new",
                         "mode": f"warm-{seed}", "kwargs": {}, "files": other, "seed": seed})
        words = [c for c in sample if c["kind"] != "talk"]
        for seed in (SHUFFLE_SEED,) + (() if quick else EXTRA_WARM_SEEDS):
            files, speakers = by_speaker(words, seed)
            jobs.append({**base, "name": f"new-session-{seed}", "config": "new",
                         "mode": "session", "kwargs": {}, "files": files,
                         "speakers": speakers, "seed": seed, "session": "clips"})
        enroll = [] if quick else enroll_clips()
        if enroll:
            files, speakers = by_speaker(enroll, SHUFFLE_SEED)
            jobs.append({**base, "name": "enroll-first", "config": "new", "mode": "first",
                         "kwargs": {}, "files": files, "session": "enroll"})
            jobs.append({**base, "name": "enroll-session", "config": "new", "mode": "session",
                         "kwargs": {}, "files": files, "speakers": speakers,
                         "seed": SHUFFLE_SEED, "session": "enroll"})
        for w in weights:
            jobs.append({**base, "name": f"curve-{w:g}", "config": "curve", "mode": "warm",
                         "kwargs": {"garbage_weight": w}, "files": curve_order, "weight": w})
        jobs.append({**base, "name": "today-first", "config": "today", "mode": "first",
                     "kwargs": today, "files": order, "sweeps": sweeps})
        jobs.append({**base, "name": "today-warm", "config": "today", "mode": "warm",
                     "kwargs": today, "files": order, "sweeps": sweeps})
        if not quick:
            for seed in STREAM_SEEDS:
                for music in (False, True):
                    jobs.append({**base, "name": f"stream-{seed}{'-music' if music else ''}",
                                 "config": "stream", "mode": "stream", "kwargs": {},
                                 "files": [], "seed": seed, "music": music})
        with ThreadPoolExecutor(max_workers=2) as pool:
            done = list(pool.map(lambda j: _run_job(j, tmp), jobs))
    outputs = list(zip(jobs, done, strict=True))
    report = summarise(sample, curve_clips, outputs, new_kw, weights, sweeps, quick, enroll)
    report["seconds"] = round(time.perf_counter() - started, 1)
    markdown = render(report)
    out = write_report("real-speech", "Real-speech benchmark", "bench_real.py", report,
                       markdown, quick)
    plot_note = plot(report, out / "real-speech-curve.png")
    if plot_note:
        markdown += f"\n\n_{plot_note}_"
    if quick:
        markdown += f"\n\n_--quick: the plot and files are in {out}, not bench/._"
    return {"title": TITLE, "rows": report["rows"], "markdown": markdown,
            "curve": report["curve"], "targets_missed": report["targets_missed"]}


def missed_targets(row: dict[str, Any]) -> list[str]:
    """The issue's targets a row of `score` misses, as "right 56.9% < 60%"."""
    out = []
    if row["false_accept"] is not None and row["false_accept"] > TARGETS["false_accept"]:
        out.append(f"false accepts {row['false_accept']:.1%} > 5%")
    if row["right"] is not None and row["right"] < TARGETS["right"]:
        out.append(f"right {row['right']:.1%} < 60%")
    if row["stop"] is not None and row["stop"] < TARGETS["stop"]:
        out.append(f"stop {row['stop']:.1%} < 80%")
    if row["wrong"] is not None and row["wrong"] > TARGETS["wrong"]:
        out.append(f"wrong {row['wrong']:.1%} > 5%")
    return out


def write_report(stem: str, heading: str, script: str, report: dict[str, Any], markdown: str,
                 quick: bool) -> Path:
    """`<stem>.json` and `<stem>.md` in bench/, or (--quick) in a temp folder: a quick run
    must not overwrite the full run's files. Returns the folder."""
    out = Path(tempfile.gettempdir()) / f"voicecoach-bench-{stem}-quick" if quick else OUT
    out.mkdir(exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(report, indent=1, default=str) + "\n",
                                      encoding="utf-8")
    (out / f"{stem}.md").write_text(
        f"# {heading}\n\nWritten by `scripts/{script}` (also run by `scripts/bench.py`)"
        + (", --quick: a fixed sample of the clips" if quick else "") + ".\n\n"
        + markdown + "\n", encoding="utf-8")
    return out


def summarise(sample: list[dict[str, Any]], curve_clips: list[dict[str, Any]],
              outputs: list[tuple[dict[str, Any], dict[str, Any]]], new_kw: dict[str, Any],
              weights: list[float], sweeps: dict[str, list[float]],
              quick: bool, enroll: list[dict[str, Any]]) -> dict[str, Any]:
    runs: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    rss: dict[tuple[str, str], float] = {}
    make_s: dict[tuple[str, str], float] = {}
    curve_new = []
    streams = []
    for job, res in outputs:
        if job["config"] == "stream":
            streams.append({"seed": job["seed"], "music": job["music"], **res["stream"]})
            continue
        if job.get("session"):
            continue  # summarise_sessions
        by_file = {r["file"]: r for r in res["results"]}
        key = (job["config"], job["mode"])
        if job["config"] == "curve":
            s = score(curve_clips, by_file)
            curve_new.append({"garbage_weight": job["weight"], **_point(s),
                              "default": job["weight"] == new_kw.get("garbage_weight")})
            continue
        runs[key].update(by_file)
        rss[key] = max(rss.get(key, 0.0), res["rss_mb"])
        if res.get("make_s") is not None:
            make_s[key] = res["make_s"]
    rows = []
    for config in ("new", "today"):
        for mode in ("first", "warm"):
            results = runs[(config, mode)]
            s = score(sample, results)
            rows.append({"config": config, "mode": mode, **{k: v for k, v in s.items()
                                                             if k != "counts"},
                         **timing(results), "rss_mb": rss[(config, mode)],
                         "make_s": make_s.get((config, mode))})
    groups: dict[str, list[dict[str, Any]]] = {}
    for key, label in (("half", "speakers"), ("dataset", "dataset")):
        out = []
        for value in sorted({c[key] for c in sample if c["kind"] != "talk"}):
            part = [c for c in sample if c[key] == value and c["kind"] != "talk"]
            row: dict[str, Any] = {label: value, "clips": len(part)}
            for config in ("new", "today"):
                for mode in ("first", "warm"):
                    row[f"{config}_{mode}"] = _point(score(part, runs[(config, mode)]))
            out.append(row)
        groups[label] = out
    per_word = []
    for word in (*COMMANDS, STOP, *NEGATIVES):
        part = [c for c in sample if c["text"] == word and c["kind"] != "talk"]
        if not part:
            continue
        row = {"word": word, "clips": len(part), "negative": word in NEGATIVES}
        for config in ("new", "today"):
            for mode in ("first", "warm"):
                s = score(part, runs[(config, mode)])["counts"]
                kind = part[0]["kind"]
                row[f"{config}_{mode}"] = (
                    {"fa": s.get("negative_fa", 0)} if word in NEGATIVES
                    else {"right": s.get(kind + "_right", 0), "wrong": s.get(kind + "_wrong", 0)}
                )
        per_word.append(row)
    talk = [c for c in sample if c["kind"] == "talk"]
    changed = {}
    for config in ("new", "today"):  # the same clip, first vs warm: same answer?
        first, warm = runs[(config, "first")], runs[(config, "warm")]
        files = [c["file"] for c in sample if c["file"] in first and c["file"] in warm]
        changed[config] = {"clips": len(files), "changed": sum(
            [u["text"] for u in first[f]["utts"] if u["text"]]
            != [u["text"] for u in warm[f]["utts"] if u["text"]] for f in files)}
    talk_heard = []
    for c in talk:
        for config in ("new", "today"):
            res = runs[(config, "warm")].get(c["file"])
            heard = [u["text"] for u in res["utts"] if u["text"]] if res else []
            if heard:
                talk_heard.append({"file": c["file"], "text": c["text"], "config": config,
                                   "heard": heard, "minutes": res["audio_s"] / 60})
    curve_today: dict[str, list[dict[str, Any]]] = {}
    for key, values in sweeps.items():
        points = []
        for j, v in enumerate(values):
            s = score(curve_clips, runs[("today", "warm")], _heard_sweep(key, j))
            points.append({key: v if math.isfinite(v) else None, **_point(s),
                           "default": v == TODAY[key]})  # None: the check is off
        curve_today[key] = points
    today_default = _point(score(curve_clips, runs[("today", "warm")]))
    new_rows = [r for r in rows if r["config"] == "new"]
    missed = [f"new/{r['mode']}: {m}" for r in new_rows for m in missed_targets(r)]
    first, warm = new_rows
    orders = [{"seed": SHUFFLE_SEED, **_point(score(sample, runs[("new", "warm")]))}]
    for job, _ in outputs:
        if job.get("seed") is not None and job["config"] == "new" and not job.get("session"):
            orders.append({"seed": job["seed"],
                           **_point(score(sample, runs[("new", job["mode"])]))})
    warm_right = _order_mean(orders)["right"]
    if abs((first["right"] or 0) - warm_right) > TARGETS["first_vs_warm"]:
        missed.append(f"new: first {first['right']:.1%} vs warm {warm_right:.1%} (mean of "
                      f"{len(orders)} orders) differ by more than 2 points")
    return {
        "quick": quick, "corpus": "../shared/speech-corpus",
        "clips": {k: sum(1 for c in sample if c["kind"] == k)
                  for k in ("command", "stop", "negative", "talk")},
        "curve_clips": {k: sum(1 for c in curve_clips if c["kind"] == k)
                        for k in ("command", "stop", "negative", "talk")},
        "new_config": new_kw, "today_config": today_kwargs(), "rows": rows,
        "speakers": groups["speakers"], "datasets": groups["dataset"], "per_word": per_word,
        "talk_heard": talk_heard, "first_vs_warm_changed": changed, "warm_orders": orders,
        "talk_streams": streams,
        "sessions": summarise_sessions(sample, enroll, outputs, runs[("new", "first")]),
        "losses": {f"{c}/warm": losses(sample, runs[(c, "warm")]) for c in ("new", "today")},
        "curve": {"new_garbage_weight": curve_new, "today": curve_today,
                  "today_default": today_default},
        "targets": TARGETS, "targets_missed": missed,
    }


def summarise_sessions(sample: list[dict[str, Any]], enroll: list[dict[str, Any]],
                       outputs: list[tuple[dict[str, Any], dict[str, Any]]],
                       first: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """First (a fresh recognizer per clip: `first`, by file) against warm within each
    speaker's session."""
    words = [c for c in sample if c["kind"] != "talk"]
    orders, bins, enroll_rows = [], [], []
    for job, res in outputs:
        by_file = {r["file"]: r for r in res["results"]} if "results" in res else {}
        if job.get("session") == "clips":
            orders.append({"seed": job["seed"], **_point(score(words, by_file))})
            if job["seed"] == SHUFFLE_SEED:
                pos = session_positions(job["files"], job["speakers"])
                for lo, hi in SESSION_BINS:
                    part = [c for c in words if lo <= pos.get(c["file"], -1) <= hi]
                    bins.append({"from": lo, "to": hi, "clips": len(part),
                                 "first": _point(score(part, first)),
                                 "session": _point(score(part, by_file))})
        elif job.get("session") == "enroll":
            enroll_rows.append({"mode": job["mode"], "clips": len(job["files"]),
                                "speakers": len(set(c["speaker"] for c in enroll)),
                                **_point(score(enroll, by_file))})
    if not orders:
        return {}
    mean = _order_mean(orders)
    first_point = _point(score(words, first))
    return {"orders": orders, "mean": mean, "first": first_point, "bins": bins,
            "enroll": enroll_rows,
            "first_vs_session": (first_point["right"] or 0) - mean["right"]}


def _order_mean(orders: list[dict[str, Any]]) -> dict[str, float]:
    """The mean of right, "stop", false accepts and wrong over shuffled orders' points."""
    return {k: sum(o[k] or 0 for o in orders) / len(orders)
            for k in ("right", "stop", "false_accept", "wrong")}


def _point(s: dict[str, Any]) -> dict[str, Any]:
    return {k: s[k] for k in ("right", "wrong", "stop", "false_accept", "talk_false_accept",
                              "n_command", "n_negative")}


# --- report --------------------------------------------------------------------------------


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f} %"



def _group_table(title: str, key: str, groups: list[dict[str, Any]]) -> list[str]:
    """Right / false accepts per group (speaker half, dataset), one row each."""
    lines = [f"{title}: right / false accepts.", "",
             f"| {key} | clips | new first | new warm | today first | today warm |",
             "|---|---|---|---|---|---|"]
    for g in groups:
        lines.append(f"| {g[key]} | {g['clips']} | " + " | ".join(
            f"{_pct(g[k]['right'])} / {_pct(g[k]['false_accept'])}"
            for k in ("new_first", "new_warm", "today_first", "today_warm")) + " |")
    return lines

def _session_target(ses: dict[str, Any]) -> str:
    if not ses:
        return ""
    gap = 100 * ses["first_vs_session"]
    return (f" First vs warm within a speaker's session (above): {gap:+.1f} points, "
            + ("within 2." if abs(gap) <= 100 * TARGETS["first_vs_warm"] else "more than 2."))


def _render_sessions(ses: dict[str, Any]) -> list[str]:
    """The session rows: first vs warm within one speaker, as a session hears."""
    if not ses:
        return []
    orders, mean, first = ses["orders"], ses["mean"], ses["first"]
    L = ["", "**Session** (warm as a session is: a fresh recognizer for each speaker, warm "
         "across that speaker's clips only, shuffled; the warm rows above carry one stranger's "
         f"room into the next clip). {len(orders)} order{'s' * (len(orders) > 1)} (seed"
         f"{'s' * (len(orders) > 1)} "
         + ", ".join(str(o["seed"]) for o in orders) + "): right "
         + " / ".join(_pct(o["right"]) for o in orders) + ", false accepts "
         + " / ".join(_pct(o["false_accept"]) for o in orders)
         + f". Mean: right {_pct(mean['right'])}, \"stop\" {_pct(mean['stop'])}, false accepts "
         f"{_pct(mean['false_accept'])}, wrong {_pct(mean['wrong'])}; the same clips first: "
         f"right {_pct(first['right'])}, \"stop\" {_pct(first['stop'])}, false accepts "
         f"{_pct(first['false_accept'])}, wrong {_pct(first['wrong'])}. First vs session: "
         f"{100 * ses['first_vs_session']:+.1f} points of right (target: within 2)."]
    if ses["bins"]:
        L += ["", "By place in the speaker's session (first order; 1st = the speaker's first "
              "clip, where session and first are the same decode): right / false accepts.", "",
              "| place | clips | first | session |", "|---|---|---|---|"]
        for b in (b for b in ses["bins"] if b["clips"]):
            place = (f"{b['from'] + 1}" if b["from"] == b["to"] else f"{b['from'] + 1}+"
                     if b["to"] >= 10_000 else f"{b['from'] + 1}-{b['to'] + 1}")
            L.append(f"| {place} | {b['clips']} | {_pct(b['first']['right'])} / "
                     f"{_pct(b['first']['false_accept'])} | {_pct(b['session']['right'])} / "
                     f"{_pct(b['session']['false_accept'])} |")
    if ses["enroll"]:
        e = {r["mode"]: r for r in ses["enroll"]}
        if "first" in e and "session" in e:
            L += ["", f"Long sessions (the corpus' enrollment takes: {e['first']['speakers']} "
                  f"speakers, {e['first']['clips']} words, about fifty each, none of it "
                  "enrolled): first right " + _pct(e["first"]["right"]) + ", \"stop\" "
                  + _pct(e["first"]["stop"]) + ", wrong " + _pct(e["first"]["wrong"])
                  + "; session right " + _pct(e["session"]["right"]) + ", \"stop\" "
                  + _pct(e["session"]["stop"]) + ", wrong " + _pct(e["session"]["wrong"])
                  + "."]
    return L


def render(rep: dict[str, Any]) -> str:
    n = rep["clips"]
    L = [
        "**These numbers describe real people**: recordings of hundreds of different speakers "
        "and microphones (Speech Commands words, read sentences), none of them generated. The "
        "generated-voice tables elsewhere in the benchmarks (espeak-ng and flite voices: "
        "\"Speech in\", \"End to end\") do not: synthetic voices flatter a recognizer and are "
        "no measure of accuracy for people.",
        "",
        f"Clips: {n['command']} in-grammar words (19 words), {n['stop']} \"stop\", "
        f"{n['negative']} out-of-grammar words (negatives), {n['talk']} read sentences with no "
        "command in them (talk). Fed as `voicecoach transcribe` does (50 ms chunks, no padding). "
        "**first** = a fresh recognizer per clip (the first command of a session); **warm** = "
        "one recognizer over all clips in a shuffled order, the stream going on between them "
        "(`reset()`, not transcribe's per-file `new_stream()`: as a session hears one command "
        "after another), each clip judged by a `Listener` as transcribe does (the after-talk "
        "rule). **new** = PocketsphinxRecognizer's "
        "defaults; **today** = before issue 12 (streaming result, no garbage words, cepstral "
        "mean carried over, max_unexplained 0.1, max_frames_per_phone 16, "
        "max_speech_per_phone 14, max_acoustic_gap 5.0; the later additions off where the "
        "recognizer has them: " + ", ".join(f"{k} {v}" for k, v in TODAY_OFF.items())
        + "; no after-talk rule; one pronunciation of \"stop\"; its starting cepstral mean is "
        "the current one).",
        "",
        "new, as run (keyword defaults): "
        + ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}"
                                    for k, v in rep["new_config"].items()) + ".",
        "",
        "| config | feeding | right (19 words) | wrong word | \"stop\" right | false accepts "
        "(words) | false accepts (talk clips) | p95 decode per clip | p95 decision (end of "
        "utterance) | RTF (wall / CPU) | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rep["rows"]:
        L.append(
            f"| {r['config']} | {r['mode']} | {_pct(r['right'])} | {_pct(r['wrong'])} | "
            f"{_pct(r['stop'])} | {_pct(r['false_accept'])} | {_pct(r['talk_false_accept'])} | "
            f"{1000 * r['p95_decode_s']:.0f} ms | {r['p95_decide_ms']:.0f} ms | "
            f"{r['rtf']:.3f} / {r['rtf_cpu']:.3f} | {r['rss_mb']:.0f} MB |"
        )
    orders = rep.get("warm_orders", [])
    if len(orders) > 1:
        mean = _order_mean(orders)
        L += ["", f"new/warm in {len(orders)} shuffled orders (seeds "
              + ", ".join(str(o["seed"]) for o in orders) + "; the table's row is the first): "
              "right " + " / ".join(_pct(o["right"]) for o in orders)
              + ", false accepts " + " / ".join(_pct(o["false_accept"]) for o in orders)
              + f". Mean: right {_pct(mean['right'])}, \"stop\" {_pct(mean['stop'])}, "
              f"false accepts {_pct(mean['false_accept'])}, wrong {_pct(mean['wrong'])}; "
              "first vs warm is judged against this mean (the order alone moves one run's "
              "figures by a few points)."]
    L += _render_sessions(rep.get("sessions") or {})
    L += ["", "Targets (issue 12, new defaults): false accepts <= 5 %, right >= 60 %, \"stop\" "
          ">= 80 %, wrong <= 5 %, first within 2 points of warm. "
          + ("Missed: " + "; ".join(rep["targets_missed"]) + "." if rep["targets_missed"]
             else "All met.")
          + _session_target(rep.get("sessions") or {}),
          "", "RSS of a \"first\" job is one process building a fresh recognizer per clip; the "
          "warm row is what a session holds. p95 decision = compute time in the call that "
          "ended an utterance (the whole-utterance re-decode for new; where it ran ahead of an "
          "early end, `final_tail_s` into the pause, it is not in this figure: see \"Speech "
          "in\" for the wait a person has), on top of the 0.2-0.5 s of silence that ends it. "
          "Times are wall clock on a machine shared with other work "
          "(two jobs at a time, nice 10): the CPU-time RTF is the steadier figure.", ""]
    L += _group_table("By speaker half (tune = speaker hash 0-3, check = 4-7)", "speakers",
                      rep["speakers"])
    L += [""]
    L += _group_table("By dataset", "dataset", rep["datasets"])
    L += ["", "Per word: commands right (wrong) of n; negatives: false accepts of n.", "",
          "| word | n | new first | new warm | today first | today warm |",
          "|---|---|---|---|---|---|"]
    for w in rep["per_word"]:
        cells = []
        for k in ("new_first", "new_warm", "today_first", "today_warm"):
            v = w[k]
            cells.append(f"FA {v['fa']}" if w["negative"] else f"{v['right']} ({v['wrong']})")
        L.append(f"| {w['word']}{' (negative)' if w['negative'] else ''} | {w['clips']} | "
                 + " | ".join(cells) + " |")
    ch = rep["first_vs_warm_changed"]
    L += ["", "Clips answered differently first and warm (accepted text, or accepted vs "
          "rejected): " + ", ".join(f"{k} {v['changed']} of {v['clips']}" for k, v in ch.items())
          + "."]
    streams = rep.get("talk_streams", [])
    if streams:
        L += ["", f"A radio in the gym: {STREAM_MINUTES:g} minutes of the read sentences back "
              "to back (0.1-0.35 s between them), heard by the squat routine's whole grammar "
              "through a session's `Listener`, alone and with music-like noise "
              f"{STREAM_MUSIC_DB:g} dB under it. Commands taken from the talk, without and "
              "with the after-talk rule (a command that begins less than "
              f"{AFTER_TALK_S:g} s after someone's words is not taken). Counted as missed "
              "commands: the rejected utterances with words that the end-of-session advice "
              "(\"heard you N of M times\") would count as the person's misses, before and "
              "since words that begin amid talk are left out:", "",
              "| seed | music | utterances | commands taken, no rule | with the rule | "
              "what was still taken | counted as missed, before / now | CPU RTF |",
              "|---|---|---|---|---|---|---|---|"]
        for st in streams:
            missed = (f"{st['missed_all']} / {st['missed']}" if "missed" in st else "-")
            L.append(f"| {st['seed']} | {'yes' if st['music'] else 'no'} | {st['utterances']} | "
                     f"{len(st['accepted']) + len(st['after_talk'])} | {len(st['accepted'])} | "
                     + (", ".join(f'"{t}"' for t in st["accepted"]) or "-")
                     + f" | {missed} | {st['rtf_cpu']:.3f} |")
    L += ["", "Where the commands that were not heard went (warm):", ""]
    for k, v in rep["losses"].items():
        L.append(f"- {k}: " + (", ".join(f"{reason} {count}" for reason, count in v.items())
                                or "none"))
    if rep["talk_heard"]:
        L += ["", "Talk taken for a command (warm):", ""]
        for t in rep["talk_heard"]:
            L.append(f"- {t['config']}: \"{t['text']}\" -> {', '.join(t['heard'])}")
    cc = rep["curve_clips"]
    L += ["", f"The curve (real-speech-curve.png), warm, on {cc['command']} in-grammar "
          f"words and {cc['negative']} out-of-grammar words: commands right vs false accepts.",
          "", "| config | threshold | value | right | false accepts | \"stop\" | wrong |",
          "|---|---|---|---|---|---|---|"]
    for p in rep["curve"]["new_garbage_weight"]:
        L.append(f"| new | garbage_weight | {p['garbage_weight']:g}"
                 f"{' (default)' if p['default'] else ''} | {_pct(p['right'])} | "
                 f"{_pct(p['false_accept'])} | {_pct(p['stop'])} | {_pct(p['wrong'])} |")
    for key, points in rep["curve"]["today"].items():
        for p in points:
            value = "off" if p[key] is None else f"{p[key]:g}"
            L.append(f"| today | {key} | {value}{' (default)' if p['default'] else ''} | "
                     f"{_pct(p['right'])} | {_pct(p['false_accept'])} | {_pct(p['stop'])} | "
                     f"{_pct(p['wrong'])} |")
    L += ["", "For scale (issue 12, same words): pocketsphinx's open language model heard 46 % "
          "of the commands at 5 % false accepts, 0.84 s p95 decode."]
    return "\n".join(L)


def _clusters(points: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Consecutive curve points closer than ~2 points on both axes, grouped."""
    groups: list[list[dict[str, Any]]] = []
    for p in points:
        g = groups[-1][0] if groups else None
        if g is not None and not (p["default"] or g["default"]) and abs(
                p["false_accept"] - g["false_accept"]) < 0.02 and abs(
                p["right"] - g["right"]) < 0.03:
            groups[-1].append(p)
        else:
            groups.append([p])
    return groups


def curve_axes() -> tuple[Any, Any, Any] | str:
    """(pyplot, figure, axes) for a commands-right vs false-accepts plot, the target drawn;
    or a note when matplotlib is missing. `save_curve` finishes it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed: no plot (scripts/setup.sh --extras test,dev)"
    fig, ax = plt.subplots(figsize=(8, 5.5))
    ax.axvspan(0, TARGETS["false_accept"] * 100, ymin=TARGETS["right"], ymax=1.0,
               color="#2ca02c", alpha=0.08, label="target (FA <= 5 %, right >= 60 %)")
    return plt, fig, ax


def save_curve(plt: Any, fig: Any, ax: Any, path: Path, dpi: int, legend_size: int) -> None:
    ax.set_xlim(left=0)
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=legend_size, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)


def plot(rep: dict[str, Any], path: Path) -> str:
    """The trade-off as a PNG; returns a note when it could not be drawn."""
    axes = curve_axes()
    if isinstance(axes, str):
        return axes
    plt, fig, ax = axes
    new = rep["curve"]["new_garbage_weight"]
    ax.plot([100 * p["false_accept"] for p in new], [100 * p["right"] for p in new], "o-",
            color="#1f77b4", label="new: garbage_weight 1e-6 .. 1e-30")
    for group in _clusters(new):  # one label for weights that land on the same spot
        first, last = group[0], group[-1]
        label = f"{first['garbage_weight']:g}" + (
            f"..{last['garbage_weight']:g}" if len(group) > 1 else "")
        ax.annotate(label, (100 * first["false_accept"], 100 * first["right"]),
                    textcoords="offset points", xytext=(7, -13), fontsize=7, color="#1f77b4")
    styles = {"max_acoustic_gap": ("s--", "#ff7f0e"), "max_unexplained": ("^:", "#d62728")}
    for key, points in rep["curve"]["today"].items():
        style, color = styles.get(key, ("x-", "gray"))
        ax.plot([100 * p["false_accept"] for p in points], [100 * p["right"] for p in points],
                style, color=color, label=f"today: {key} swept", markersize=5)
    d = [p for p in new if p["default"]]
    if d:
        ax.plot(100 * d[0]["false_accept"], 100 * d[0]["right"], "*", color="black",
                markersize=18, label="new default (chosen operating point)", zorder=5)
    t = rep["curve"]["today_default"]
    ax.plot(100 * t["false_accept"], 100 * t["right"], "P", color="#7f0000", markersize=12,
            label="today's defaults", zorder=5)
    ax.plot(100 * OPEN_LM[0], 100 * OPEN_LM[1], "x", color="gray", markersize=10,
            label="open language model (issue 12)")
    ax.set_xlabel("false accepts on out-of-grammar words (%)")
    ax.set_ylabel("in-grammar words heard right (%)")
    cc = rep["curve_clips"]
    ax.set_title("Real people (Speech Commands): commands heard vs false accepts\n"
                 f"pocketsphinx, warm, {cc['command']} command clips, {cc['negative']} negatives"
                 + (" (--quick sample)" if rep["quick"] else ""), fontsize=10)
    save_curve(plt, fig, ax, path, dpi=90, legend_size=8)
    return ""


if __name__ == "__main__":
    if "--worker" in sys.argv:
        spec = json.loads(Path(sys.argv[sys.argv.index("--worker") + 1]).read_text())
        print(json.dumps(_worker(spec)))
    else:
        res = run(quick="--quick" in sys.argv)
        print(json.dumps(res, indent=1, default=str) if "--json" in sys.argv
              else res["markdown"])
