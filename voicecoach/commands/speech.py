"""`voicecoach transcribe` and `voicecoach devices`.

transcribe's JSON lines are a stable format (keys are added, never renamed):
{"file", "text", "intent", "phrase", "confidence", "decode_s", "raw", "reason", "engine",
"model"}; intent null = rejected, and then `reason` says why and `raw` what the decoder
heard before rejection. Each file is a new stream (`Recognizer.new_stream`): its answer
does not depend on the files before it. Utterances are judged as in a session
(`voicecoach.speech.gate.Listener`): a command inside talk is rejected ("after-talk").
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from voicecoach.errors import UsageError, VoicecoachError

if TYPE_CHECKING:
    from voicecoach.routine.models import Routine
    from voicecoach.speech.base import Recognizer
    from voicecoach.speech.hypothesis import Hypothesis

CHUNK_BYTES = 1600  # 50 ms at 16 kHz mono int16: the size a mic would deliver


def _load_routine(name: str) -> Routine:
    from voicecoach.routine import load_routine

    return load_routine(name)


def _learning(done: int, total: int) -> None:
    """The classifier's first training of a routine renders thousands of takes: say so."""
    if done == 1:
        print("learning the routine's phrases (the first time for a routine: some minutes)",
              file=sys.stderr, flush=True)
    if sys.stderr.isatty() and (done == total or done % 20 == 0):
        end = "\n" if done == total else ""
        print(f"\r  {100 * done // total} %", end=end, file=sys.stderr, flush=True)


def transcribe(
    wavs: list[Path],
    *,
    routine: str = "squat",
    engine: str = "auto",
    model: Path | None = None,
    as_json: bool = False,
    user: str | None = None,
    denoiser: str = "auto",
    classifier: bool | None = None,
) -> int:
    from voicecoach.coach.intents import all_phrases, match, phrase_meanings
    from voicecoach.speech import make_recognizer
    from voicecoach.speech.audio import wav_pcm16k
    from voicecoach.speech.gate import Listener, MicGate

    try:
        if engine == "text":
            raise UsageError(
                "the text engine reads typed lines, not audio; use --engine pocketsphinx or vosk"
            )
        r = _load_routine(routine)
        if classifier is None:
            from voicecoach.config import load_config

            classifier = load_config().classifier
        rec = make_recognizer(engine, r, model, user=user, denoiser=denoiser,
                              classifier="wait" if classifier else "off", progress=_learning)
        rec.set_phrases(all_phrases(r), phrase_meanings(r, None))
        engine_name, model_name = _engine_and_model(rec)
    except VoicecoachError as exc:
        exc.show()
        return exc.exit_code
    status = 0
    for wav in wavs:
        try:
            pcm = wav_pcm16k(Path(wav))
        except VoicecoachError as exc:
            exc.show()
            status = max(status, exc.exit_code)
            continue
        rec.new_stream()
        # Judged as a session's ears judge (a command in the middle of talk is not one),
        # on the file's own clock: no coach speaks here.
        listener = Listener(rec, MicGate(clock=lambda: 0.0))
        started = time.perf_counter()
        hyps = listener.hear_recording(pcm, CHUNK_BYTES)
        decode_s = time.perf_counter() - started
        # A command taken, else one heard but not taken for being inside talk (the most
        # telling reason), else the surest of the rest.
        taken = [h for h in hyps if h.text] or [h for h in hyps if h.reason == "after-talk"]
        best = taken[0] if taken else (max(hyps, key=lambda h: h.confidence) if hyps else None)
        intent = match(r, None, best.text) if best is not None and best.text else None
        record = {
            "file": str(wav),
            "text": best.text if best is not None and intent is not None else "",
            "intent": intent.kind if intent else None,
            "phrase": intent.phrase if intent else None,
            "confidence": round(best.confidence, 3) if best is not None and intent else 0.0,
            "decode_s": round(decode_s, 4),
            "raw": best.raw if best is not None else "",
            "reason": _why_rejected(best) if intent is None else None,
            "engine": engine_name,
            "model": model_name,
        }
        if as_json:
            print(json.dumps(record), flush=True)
        else:
            heard = (
                f'{record["intent"]} ("{record["phrase"]}", confidence {record["confidence"]:.2f})'
                if intent
                else "rejected" + (f" (heard {best.raw!r}: {best.reason})"
                                   if best and best.raw else "")
            )
            print(f"{wav}: {heard}  [{decode_s:.2f} s]", flush=True)
    return status


def _why_rejected(best: Hypothesis | None) -> str:
    """The recognizer's reason; else no speech found, or words that mean nothing here."""
    if best is None:
        return "no-speech"
    return best.reason or "no-meaning"


def _engine_and_model(rec: Recognizer) -> tuple[str, str]:
    """Which engine decoded, and with which model: what a bug report needs to say."""
    choice = rec.choice
    name = choice.engine if choice is not None else rec.name
    if choice is not None and choice.model is not None:
        return name, str(choice.model)
    if name == "pocketsphinx":
        from voicecoach.speech.sphinx import model_name

        return name, model_name()
    return name, ""


def devices() -> int:
    from voicecoach.speech.audio import list_devices

    try:
        found = list_devices()
    except VoicecoachError as exc:
        exc.show()
        return exc.exit_code
    if not found:
        print(
            "no audio devices found: is a sound card plugged in, and is the sound server "
            "(PulseAudio/PipeWire) running?",
            file=sys.stderr,
        )
        return 1
    for label, attr, default in (
        ("inputs", "inputs", "is_default_input"),
        ("outputs", "outputs", "is_default_output"),
    ):
        rows = [d for d in found if getattr(d, attr) > 0]
        print(f"{label}:" if rows else f"{label}: none")
        for d in rows:
            mark = "*" if getattr(d, default) else " "
            print(
                f" {mark}{d.index:3d}  {d.name}  ({getattr(d, attr)} ch, "
                f"{d.default_rate:.0f} Hz, {d.hostapi})"
            )
    return 0
