"""Enrollment benchmark: real speakers, before and after learning their voice.

`run(quick)` returns {"title", "rows", "markdown"} for scripts/bench.py, and
writes bench/enroll.md and bench/enroll.png. Run alone:
`python scripts/bench_enroll.py [--quick] [--json]`; `--live` instead times a whole
guided enrollment over a PulseAudio loop (`live_timing`, bench/enroll-live.json).

Data: `../shared/speech-corpus/enroll/` (Speech Commands speakers with 3-5
takes of each of yes no up down left right on off stop go). Per speaker, the
first takes of each word (3, or one fewer than the word has) are the
enrollment; the remaining takes are the test. Negatives: that speaker's own
other words (digits, "learn"...), and other speakers' out-of-grammar words
(bed bird cat ... backward) from `../shared/speech-corpus/clips/`. Enrollment
also gets three read sentences (other people: the corpus has no talk by these
speakers) as its "ordinary talk" negatives. Every setting of the rule was
chosen on these speakers' aggregate numbers, never on single test clips.

"before" is the generic PocketsphinxRecognizer with its default rejection;
"after" is the same decoder built with the user's engine options, wrapped by
`EnrolledRecognizer` (voicecoach/speech/enrollment.py). Grammar: the ten words.
Clips are fed in 50 ms chunks with 0.3 s of silence on each side, as a mic would.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

CORPUS = REPO.parent / "shared" / "speech-corpus"
WORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
OUT_OF_GRAMMAR = (
    "bed", "bird", "cat", "dog", "happy", "house", "marvin", "sheila", "tree", "wow", "visual",
    "follow", "learn", "forward", "backward",
)
TALK = (
    "clips/phrases/voxforge_kayray-20070425-per04_per0002.wav",
    "clips/phrases/voxforge_kylegoetz-10122006_cc005.wav",
    "clips/phrases/pocketsphinx_librivox_0880.wav",
)
ADAPT = os.environ.get("BENCH_ENROLL_MLLR", "1") != "0"
"""Also learn an MLLR transform per speaker (BENCH_ENROLL_MLLR=0: templates only)."""
LIVE_JSON = REPO / "bench" / "enroll-live.json"
FAN_SNR_DB = 10.0
"""The fan: white noise this far under each word (speech power over the voiced frames), 0.5 s
of it before the word; one stream per speaker, as a session, so the noise suppressor has
settled on it (`--denoiser auto` takes RNNoise for a fan after ~3 s)."""
TARGETS = {"right_median": 0.85, "false_accept_oog": 0.03, "fit_s": 60.0, "load_s": 0.5}


def split(max_train: int = 3) -> dict[str, dict[str, list[dict[str, Any]]]]:
    text = (CORPUS / "enroll" / "manifest.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    speakers: dict[str, dict[str, list[dict[str, Any]]]] = {}
    by_word: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        r["path"] = CORPUS / "enroll" / r["file"]
        s = speakers.setdefault(r["speaker"], {"train": [], "test": [], "negative": []})
        if r["text"] in WORDS:
            by_word.setdefault((r["speaker"], r["text"]), []).append(r)
        else:
            s["negative"].append(r)
    for (speaker, _), takes in sorted(by_word.items()):
        takes.sort(key=lambda r: r["take"])
        n = min(max_train, len(takes) - 1)
        speakers[speaker]["train"] += takes[:n]
        speakers[speaker]["test"] += takes[n:]
    return speakers


def out_of_grammar() -> list[Path]:
    return [p for w in OUT_OF_GRAMMAR for p in sorted((CORPUS / "clips" / w).glob("*.wav"))]


def _heard(rec: Any, pcm: bytes, pad_s: float = 0.3) -> str:
    pad = b"\0\0" * int(pad_s * 16000)
    data = pad + pcm + pad
    rec.reset()
    hyps = []
    for i in range(0, len(data), 1600):
        hyps += rec.accept(data[i : i + 1600])
    hyps += rec.flush()
    return next((h.text for h in hyps if h.text), "")


def in_a_fan(pcm: bytes, key: str) -> bytes:
    """The clip with 0.5 s before and 0.3 s after, white noise FAN_SNR_DB under the word."""
    import zlib

    import numpy as np

    from tests.support.clips import mix_snr, pad

    x = pad(np.frombuffer(pcm, "<i2"), 0.5, 0.3)
    return mix_snr(x, "white", FAN_SNR_DB, seed=zlib.crc32(key.encode()) % 1000).tobytes()


def _heard_in_a_fan(rec: Any, pcm: bytes) -> str:
    """As `_heard`, without the digital silence around it: the fan never stops."""
    return _heard(rec, pcm, pad_s=0.0)


def _fan_score(rec: Any, tests: list[tuple[bytes, str]], oog: list[bytes]) -> dict[str, float]:
    """`_score` in a fan: one stream, 3 s of the fan first (the noise suppressor settles):
    the first clip's 0.5 s of noise before its word, six times."""
    lead = tests[0][0][:16000] * 6
    for i in range(0, len(lead), 1600):
        rec.accept(lead[i : i + 1600])
    return _score(rec, tests, [], oog, heard=_heard_in_a_fan)


def _score(rec: Any, tests: list[tuple[bytes, str]], negatives: list[bytes],
           oog: list[bytes], heard: Any = _heard) -> dict[str, float]:
    right = wrong = 0
    for pcm, truth in tests:
        said = heard(rec, pcm)
        right += said == truth
        wrong += bool(said) and said != truth
    own = sum(bool(heard(rec, pcm)) for pcm in negatives)
    fa = sum(bool(heard(rec, pcm)) for pcm in oog)
    return {
        "right": right / len(tests), "wrong": wrong / len(tests),
        "fa_own": own / max(1, len(negatives)), "fa_own_n": own, "own_n": len(negatives),
        "fa_oog": fa / max(1, len(oog)), "fa_oog_n": fa, "oog_n": len(oog),
    }


def run(quick: bool = False) -> dict[str, Any]:
    if not (CORPUS / "enroll" / "manifest.jsonl").is_file():
        note = f"skipped: {CORPUS / 'enroll'} is absent"
        return {"title": "Enrollment (real speakers)", "rows": [], "markdown": f"_{note}._",
                "note": note}
    before_dir = os.environ.get("VOICECOACH_DATA_DIR")
    # Profiles are saved and loaded as a user's would be, in a throwaway data dir.
    os.environ["VOICECOACH_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-enroll-")
    try:
        return _run(quick)
    finally:
        if before_dir is None:
            os.environ.pop("VOICECOACH_DATA_DIR", None)
        else:
            os.environ["VOICECOACH_DATA_DIR"] = before_dir


def _run(quick: bool) -> dict[str, Any]:
    from voicecoach.speech.audio import wav_pcm16k
    from voicecoach.speech.enrollment import EnrolledRecognizer, Take, fit, load_profile
    from voicecoach.speech.sphinx import PocketsphinxRecognizer

    speakers = split()
    oog_paths = out_of_grammar()
    if quick:
        oog_paths = oog_paths[::3]
    oog = [wav_pcm16k(p) for p in oog_paths]
    talk = [wav_pcm16k(CORPUS / p) for p in TALK if (CORPUS / p).is_file()]
    rows: list[dict[str, Any]] = []
    for speaker, d in sorted(speakers.items()):
        tests = [(wav_pcm16k(r["path"]), r["text"]) for r in d["test"]]
        negatives = [wav_pcm16k(r["path"]) for r in d["negative"]]
        started = time.perf_counter()
        before = PocketsphinxRecognizer()
        before.set_phrases(list(WORDS))
        plain_start_s = time.perf_counter() - started
        b = _score(before, tests, negatives, oog)
        before.close()
        takes = [Take(wav_pcm16k(r["path"]), r["text"], r["file"]) for r in d["train"]]
        takes += [Take(pcm, None, f"talk {i}") for i, pcm in enumerate(talk)]
        report = fit(speaker, takes, phrases=WORDS, adapt=ADAPT,
                     make_inner=lambda opts: PocketsphinxRecognizer(**opts))
        report.profile.save()
        # Start-up cost of the enrollment: loading the profile, and the decoder built with
        # the user's MLLR transform, against the plain decoder's start above.
        started = time.perf_counter()
        profile = load_profile(speaker)
        load_s = time.perf_counter() - started
        after = EnrolledRecognizer(PocketsphinxRecognizer(**profile.engine_kwargs()), profile)
        after.set_phrases(list(WORDS))
        extra_start_s = time.perf_counter() - started - plain_start_s
        t0 = time.perf_counter()
        a = _score(after, tests, negatives, oog)
        per_clip_ms = 1000 * (time.perf_counter() - t0) / (len(tests) + len(negatives) + len(oog))
        fan: dict[str, Any] = {}
        if not quick:
            fan_tests = [(in_a_fan(pcm, f"{speaker} {i}"), text)
                         for i, (pcm, text) in enumerate(tests)]
            fan_oog = [in_a_fan(pcm, f"oog {i}") for i, pcm in enumerate(oog[::3])]
            plain = PocketsphinxRecognizer()
            plain.set_phrases(list(WORDS))
            fan["before"] = _fan_score(plain, fan_tests, fan_oog)
            plain.close()
            fan["after"] = _fan_score(after, fan_tests, fan_oog)
            # What the noisy-room rule buys: the same, the templates judging every word.
            import voicecoach.speech.enrollment as enrollment

            margin, enrollment.NOISY_MARGIN_DB = enrollment.NOISY_MARGIN_DB, float("inf")
            try:
                fan["templates"] = _fan_score(after, fan_tests, fan_oog)
            finally:
                enrollment.NOISY_MARGIN_DB = margin
        rows.append({
            "speaker": speaker, "train": len(d["train"]), "test": len(tests),
            "before": b, "after": a, "fan": fan, "fit_s": round(report.profile.fit_s, 2),
            "load_s": round(load_s, 4), "extra_start_s": round(extra_start_s, 3),
            "decode_ms_per_clip": round(per_clip_ms, 1),
            "thresholds": {"scale": round(profile.scale, 2), "trust": round(profile.trust, 2),
                           "agree": round(profile.agree, 2)},
        })
        print(f"  {speaker}: right {b['right']:.2f} -> {a['right']:.2f}, "
              f"false accepts (oog) {b['fa_oog']:.3f} -> {a['fa_oog']:.3f}", file=sys.stderr)
    result = {"title": "Enrollment (real speakers)", "rows": rows,
              "markdown": markdown(rows, quick, live_estimate())}
    if not quick:
        (REPO / "bench").mkdir(exist_ok=True)
        (REPO / "bench" / "enroll.md").write_text(
            "# Enrollment benchmark\n\nWritten by `scripts/bench_enroll.py` "
            "(also run by `scripts/bench.py`).\n\n" + result["markdown"] + "\n", encoding="utf-8")
        plot(rows, REPO / "bench" / "enroll.png")
    return result


def live_estimate() -> tuple[int, float]:
    """(takes, seconds) of a live enrollment of the squat routine, no take asked again:
    `enroll_live.estimate_s` with the coach's prompts as espeak-ng renders them."""
    from voicecoach.commands.enroll_live import TONE, estimate_s, plan, spoken_s
    from voicecoach.routine import load_routine

    prompts = plan(load_routine("squat"))
    say = spoken_s
    try:
        from voicecoach.voice.engine import EspeakEngine

        engine = EspeakEngine()

        def say(text: str) -> float:
            if text == TONE:
                return spoken_s(text)
            clip = engine.render(text, "en-us", 165)
            return len(clip.samples) / clip.rate
    except Exception as exc:  # no espeak-ng here: the fitted rule of thumb
        print(f"espeak-ng unavailable ({exc}): estimating prompt lengths", file=sys.stderr)
    return sum(p.takes for p in prompts), estimate_s(prompts, say)


def _median(rows: list[dict[str, Any]], side: str, key: str) -> float:
    return statistics.median(r[side][key] for r in rows)


def markdown(rows: list[dict[str, Any]], quick: bool,
             live: tuple[int, float] | None = None) -> str:
    if not rows:
        return "_no speakers_"
    lines = [
        "Per speaker: commands right / wrong on held-out takes, false accepts on their own "
        "other words and on other speakers' out-of-grammar words"
        + (" (--quick: a third of the out-of-grammar clips)" if quick else "") + ".",
        "",
        "| speaker | enroll / test takes | right before | right after | wrong before | "
        "wrong after | own negatives FA before | after | out-of-grammar FA before | after | "
        "fit s | load s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        b, a = r["before"], r["after"]
        lines.append(
            f"| {r['speaker']} | {r['train']} / {r['test']} | {b['right']:.0%} | "
            f"{a['right']:.0%} | {b['wrong']:.0%} | {a['wrong']:.0%} | "
            f"{b['fa_own_n']}/{b['own_n']} | {a['fa_own_n']}/{a['own_n']} | "
            f"{b['fa_oog']:.1%} | {a['fa_oog']:.1%} | {r['fit_s']:.1f} | {r['load_s']:.3f} |"
        )
    def pooled(side: str) -> float:
        return sum(r[side]["fa_oog_n"] for r in rows) / max(1, sum(r[side]["oog_n"] for r in rows))

    fa_b, fa_a = pooled("before"), pooled("after")
    worse = [r["speaker"] for r in rows if r["after"]["right"] < r["before"]["right"]]
    med_b, med_a = _median(rows, "before", "right"), _median(rows, "after", "right")
    lines += [
        "",
        f"- commands right, median over speakers: {med_b:.0%} before, **{med_a:.0%} after** "
        f"(target >= {TARGETS['right_median']:.0%}).",
        f"- false accepts on out-of-grammar words: {fa_b:.1%} before, **{fa_a:.1%} after** "
        f"(target <= {TARGETS['false_accept_oog']:.0%}).",
        f"- speakers worse after than before: {', '.join(worse) if worse else 'none'}.",
    ]
    fans = [r for r in rows if r.get("fan")]
    if fans:
        def heard(side: str) -> str:
            return (f"{sum(round(r['fan'][side]['right'] * r['test']) for r in fans)}/"
                    f"{sum(r['test'] for r in fans)}")

        def taken(side: str) -> str:
            return (f"{sum(r['fan'][side]['fa_oog_n'] for r in fans)}/"
                    f"{sum(r['fan'][side]['oog_n'] for r in fans)}")

        lines += [
            f"- in a fan (white noise {FAN_SNR_DB:g} dB under each word, one stream per "
            "speaker): commands right, median over speakers, "
            f"{statistics.median(r['fan']['before']['right'] for r in fans):.0%} before, "
            f"**{statistics.median(r['fan']['after']['right'] for r in fans):.0%} after** "
            f"(pooled {heard('before')} -> {heard('after')}); false accepts on a third of the "
            f"out-of-grammar words {taken('before')} -> {taken('after')}. A word far less "
            "clear above the room than the user's takes (`NOISY_MARGIN_DB`) is judged by the "
            "decoder with everyone's checks: with the templates, from a quiet room, judging "
            f"every word, {heard('templates')} right and {taken('templates')} false accepts.",
        ]
    lines += [
        f"- fitting one user: at most {max(r['fit_s'] for r in rows):.1f} s here "
        f"(target <= {TARGETS['fit_s']:.0f} s; a Pi 4 is about 4-6x slower); loading a "
        f"profile: at most {max(r['load_s'] for r in rows) * 1000:.0f} ms, and start-up with "
        f"it at most {max(r['extra_start_s'] for r in rows):+.2f} s against the plain decoder "
        f"(target <= {TARGETS['load_s']} s; the MLLR transform included); decoding with "
        f"the template check: {max(r['decode_ms_per_clip'] for r in rows):.0f} ms per 1.6 s clip.",
    ]
    if live is not None:
        timed = ""
        if LIVE_JSON.is_file():
            t = json.loads(LIVE_JSON.read_text(encoding="utf-8"))
            timed = (f" Timed whole over a PulseAudio loop with a generated person answering "
                     f"0.5 s after each prompt (`--live`, {t['measured']}): "
                     f"{t['seconds'] / 60:.1f} min, {len(t['asked_again'])} takes asked again, "
                     f"{t.get('room_from_gaps_s', 0):.0f} s of room noise from the quiet "
                     f"around the takes and {t.get('room_recorded_s', 0):.0f} s recorded "
                     "for it.")
        lines.append(
            f"- live enrollment of the squat routine: {live[0]} takes, about "
            f"{live[1] / 60:.1f} min (`enroll_live.estimate_s`, the coach's prompts as espeak-ng "
            f"renders them, no take asked again).{timed} It was 3.4 min (62 takes, timed 3.3): "
            "three takes of every command, \"Say: ...\" before each phrase, the coach reading "
            "each sentence out first, a separate 20 s of quiet, and the user's reaction counted "
            "after the prompt's tail instead of during it. Now three takes only of the words "
            "said mid-set (next, repeat, pause, resume, stop, why), two of the other built-ins "
            "and of each correction; the room noise is the quiet before and after each take. "
            "Two takes of every word would cost 93 -> 84 % right (below)."
        )
    lines += ["", "![before and after per speaker](enroll.png)", "", CHOSEN]
    return "\n".join(lines)


CHOSEN = """\
### How the rule was chosen

Measured 2026-11-30 on these speakers and the final recognizer (whole-utterance
final pass against 1000 garbage words), from the decoder's answers and the
templates of each clip, the rule's settings replayed over them. Median right over
speakers / out-of-grammar false accepts (pooled) / own other words accepted.

| candidate | right | false accepts | own words |
|---|---|---|---|
| generic decoder, default rejection (= before) | 67 % | 1.8 % | 0/18 |
| earlier: agree with the *accepted* phrase; takes, phrase left out, as negatives | 78 % | 0 % | 3 |
| agree with the decoder's *best path* (rejected or live phrase), same re-fit | 78 % | 0.5 % | 2 |
| best path, re-fit on the negatives only (**shipped**, trust 1.6, agree 1.2) | 93 % | 0.5 % | 2 |
| same, without the best path (accepted phrases only) | 67 % | 0.5 % | 0 |
| same, trust 1.4-1.8 and agree 1.1-1.4 (the plateau) | 89-93 % | 0-1.3 % | 2 |
| same, the decoder's accepted phrase always stands | 94 % | 2.4 % | 3 |
| + a phrase on the templates alone (nearest, within 1.0-1.2 x spread) | no change | - | - |
| shipped rule, 2 takes of each word instead of 3 | 84 % | 1.5 % | 2 |

Leave one speaker out (the settings chosen on four speakers from the grid above,
the fifth tested): median 94 % when the choice allows up to 3 % false accepts
(it then drops the trust check: 1-3.6 % on the fifth), 78 % when it allows 1 %
(the four pick trust as low as 1.2, which costs 692a88e6 94 -> 78 %). With five
speakers, treat 93 % as this sample's number, not a promise.

The two own words still accepted are one speaker's "one", which their templates
put at their "on" (the decoder's final pass said "one", a garbage word). MAP
adaptation (map_adapt) was not tried: ~30 one-word takes are far too little
speech for it. Earlier (2026-11-29, an intermediate recognizer): MFCC+DTW
templates alone, nearest take, 86 % right at 100 % false accepts; the decoder's
best path without rejection 89 % at 99 %: neither alone is enough.
"""


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install -e '.[dev]')", file=sys.stderr)
        return
    names = [r["speaker"] for r in rows]
    x = range(len(rows))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    w = 0.38
    ax1.bar([i - w / 2 for i in x], [r["before"]["right"] for r in rows], w, label="before")
    ax1.bar([i + w / 2 for i in x], [r["after"]["right"] for r in rows], w, label="after")
    ax1.axhline(TARGETS["right_median"], color="gray", linestyle="--", linewidth=1)
    ax1.set_xticks(list(x), names, rotation=30)
    ax1.set_ylim(0, 1)
    ax1.set_title("commands right (held-out takes)")
    ax1.legend()
    ax2.bar([i - w / 2 for i in x], [r["before"]["fa_oog"] for r in rows], w, label="before")
    ax2.bar([i + w / 2 for i in x], [r["after"]["fa_oog"] for r in rows], w, label="after")
    ax2.axhline(TARGETS["false_accept_oog"], color="gray", linestyle="--", linewidth=1)
    ax2.set_xticks(list(x), names, rotation=30)
    ax2.set_title("false accepts (out-of-grammar words)")
    ax2.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def live_timing() -> dict[str, Any]:
    """Time a whole guided enrollment of the squat routine, as a person would go through it:
    the real capture (LiveEnrollment, MicSource) over a PulseAudio null-sink loop, the
    coach's real voice into it, and a generated "person" (espeak-ng en-gb, after a 0.5 s
    reaction) answering each prompt. For the time only: a generated voice says nothing
    about accuracy. Writes bench/enroll-live.json, which the markdown quotes."""
    import threading

    from tests.support.pulse import pulse_loop
    from voicecoach.commands.enroll import ECHO_WAIT_S, _speaker
    from voicecoach.commands.enroll_live import (
        REACTION_S,
        LiveEnrollment,
        Prompt,
        estimate_s,
        plan,
    )
    from voicecoach.routine import load_routine
    from voicecoach.speech.audio import MicSource
    from voicecoach.voice.audio import resample
    from voicecoach.voice.engine import EspeakEngine

    os.environ["VOICECOACH_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-enroll-live-")
    prompts = plan(load_routine("squat"))
    person = EspeakEngine()
    lines: list[str] = []
    with pulse_loop() as loop:
        coach = _speaker(loop.device, None, None, False)
        heard = [time.monotonic()]

        def speak(text: str) -> None:
            coach(text)
            heard[0] = time.monotonic() - ECHO_WAIT_S  # when the prompt stopped sounding

        def answer(prompt: Prompt, n: int) -> None:
            if prompt.text is None and prompt.source == "room":
                return
            text = prompt.text or prompt.say.split(": ", 1)[1]
            clip = person.render(text, "en-gb", 165)
            samples = resample(clip.samples, clip.rate, loop.rate)
            start = heard[0] + REACTION_S  # a person reacts to the prompt, not to the mic

            def play() -> None:
                time.sleep(max(0.0, start - time.monotonic()))
                loop.play(samples, lead=0.0)

            threading.Thread(target=play, daemon=True).start()

        session = LiveEnrollment("bench", prompts, MicSource(loop.device),
                                 speak=speak, show=lines.append, on_listen=answer)
        started = time.monotonic()
        session.run()
        wall = time.monotonic() - started
        rows = session.store.rows()
        room = {r["file"]: r["source"] for r in rows if r["text"] is None}
        takes = session.store.load()
        files = [r["file"] for r in rows]
        secs = {f: len(t.pcm) / 32000 for f, t in zip(files, takes, strict=True)}
        gaps = sum(secs[f] for f, src in room.items() if src == "room gaps")
        recorded = sum(secs[f] for f, src in room.items() if src == "room")
    out = {"routine": "squat", "takes": sum(p.takes for p in prompts),
           "seconds": round(wall, 1), "estimate_s": round(estimate_s(prompts), 1),
           "asked_again": session.reasked, "room_from_gaps_s": round(gaps, 1),
           "room_recorded_s": round(recorded, 1), "measured": time.strftime("%Y-%m-%d")}
    LIVE_JSON.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return out


if __name__ == "__main__":
    if "--live" in sys.argv:
        print(json.dumps(live_timing(), indent=1))
        sys.exit(0)
    res = run(quick="--quick" in sys.argv)
    print(json.dumps(res["rows"], indent=1) if "--json" in sys.argv else res["markdown"])
