"""`voicecoach doctor`: what a user runs before filing a bug about not being heard.

One screen: the mic and its level over a 5 s recording (peak, noise floor, the
gap between them), the engine and model that `run` would use and why, the
user's enrollment, and what the recognizer made of "next" said during the
recording. Each line says what to do when the value is bad.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click
import numpy as np

from voicecoach.errors import VoicecoachError

SAMPLE_RATE = 16000


def _record(mic: str | None, seconds: float) -> tuple[bytes, str]:
    from voicecoach.speech.audio import MicSource

    source = MicSource(mic)
    source.open()
    chunks: list[bytes] = []
    got = 0
    deadline = time.monotonic() + seconds + 3.0
    try:
        while got < seconds * SAMPLE_RATE and time.monotonic() < deadline:
            chunk = source.read(0.5)
            if chunk:
                chunks.append(chunk)
                got += len(chunk) // 2
    finally:
        source.close()
    return b"".join(chunks), source.device_name


def levels(pcm: bytes) -> dict[str, float]:
    """peak and noise floor (10th percentile of 10 ms levels), dBFS."""
    from voicecoach.speech.templates import frame_levels_db

    db = frame_levels_db(np.frombuffer(pcm, dtype="<i2"))
    if db.size == 0:
        return {"peak_db": -100.0, "floor_db": -100.0}
    return {"peak_db": float(db.max()), "floor_db": float(np.percentile(db, 10))}


def _advice(peak: float, floor: float) -> str:
    if peak < -40:
        return "too quiet: is the right mic chosen (voicecoach devices, --mic) and unmuted?"
    if peak > -1:
        return "clipping: turn the mic gain down or move back"
    if peak - floor < 15:
        return "speech barely above the room noise: move closer or quiet the room"
    return "ok"


def _noise_advice(pcm: bytes, denoiser: str) -> tuple[str | None, str]:
    """(what to know when the room sounds like a fan, the denoiser a session would be
    using here). RNNoise hears people better in steady noise (speech/noise.py); the
    automatic denoiser picks it once it has heard the room for a few seconds, which a
    session has and this recording may not, so "heard" is checked with it directly."""
    from voicecoach.speech.frontend import rnnoise_available
    from voicecoach.speech.noise import room_noise

    room = room_noise(np.frombuffer(pcm, dtype="<i2"))
    if not room.steady or denoiser == "rnnoise":
        return None, denoiser
    where = f"steady noise at {room.floor_db:.0f} dBFS (a fan?)"
    if not rnnoise_available():
        return f"{where}: install pyrnnoise (scripts/setup.sh) to hear through it better", denoiser
    if denoiser == "webrtc":
        return f"{where}: --denoiser auto or rnnoise hears through it better", denoiser
    return f"{where}: the auto denoiser takes RNNoise for it (heard below with it)", "rnnoise"


def heard(pcm: bytes, engine: str, model: Path | None, user: str | None,
          denoiser: str = "auto") -> list[str]:
    from voicecoach.coach.intents import all_phrases, phrase_meanings
    from voicecoach.routine import load_routine
    from voicecoach.speech import make_recognizer

    routine = load_routine("squat")
    rec = make_recognizer(engine, routine, model, user=user, denoiser=denoiser)
    rec.set_phrases(all_phrases(routine), phrase_meanings(routine, None))
    out: list[str] = []
    for i in range(0, len(pcm), 1600):
        hyps = rec.accept(pcm[i : i + 1600])
        out += [h.text or f"(rejected: heard {h.raw!r}, {h.reason})" for h in hyps]
    out += [h.text or f"(rejected: heard {h.raw!r}, {h.reason})" for h in rec.flush()]
    return out


def main(**options: Any) -> int:
    return check(**options)


def check(*, user: str | None = None, mic: str | None = None, engine: str | None = None,
          model: Path | None = None, seconds: float = 5.0, input_file: Path | None = None,
          denoiser: str = "auto") -> int:
    from voicecoach.speech.engines import choose_engine

    status = 0
    engine = engine or "auto"
    try:
        choice = choose_engine(engine, model)
    except VoicecoachError as exc:
        exc.show()
        return exc.exit_code
    where = f", model {choice.model}" if choice.model else ""
    click.echo(f"engine:      {choice.engine} ({choice.reason}{where})")
    if choice.engine == "pocketsphinx":
        try:
            from voicecoach.speech.sphinx import model_dir

            click.echo(f"model:       {model_dir() / 'en-us'}")
        except VoicecoachError as exc:
            click.echo(f"model:       missing ({exc})")
            status = 1
    if user:
        from voicecoach.speech.enrollment import load_profile

        try:
            p = load_profile(user)
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(p.created))
            click.echo(f"enrollment:  {user}: {len(p.templates)} phrases, {p.n_takes} takes, "
                       f"{when}" + (f"; room noise then {p.noise_floor_db:.0f} dBFS"
                                    if p.noise_floor_db is not None else ""))
        except VoicecoachError as exc:
            click.echo(f"enrollment:  {exc}")
            user = None
            status = 1
    else:
        from voicecoach.speech.enrollment import list_users

        users = list_users()
        click.echo("enrollment:  none used (" + (f"enrolled: {', '.join(users)}; --user NAME"
                                                  if users else "voicecoach enroll") + ")")
    if input_file is not None:
        from voicecoach.speech.audio import wav_pcm16k

        try:
            pcm, device = wav_pcm16k(input_file), str(input_file)
        except (OSError, VoicecoachError, ValueError) as exc:
            click.echo(f"input:       cannot read {input_file}: {exc}")
            return 2
    else:
        click.echo(f'Say "next" now (recording {seconds:.0f} s)...')
        try:
            pcm, device = _record(mic, seconds)
        except VoicecoachError as exc:
            click.echo(f"mic:         cannot record: {exc}")
            return 1
    lv = levels(pcm)
    click.echo(f"mic:         {device}, {len(pcm) / 2 / SAMPLE_RATE:.1f} s")
    click.echo(f"level:       peak {lv['peak_db']:.0f} dBFS, noise floor {lv['floor_db']:.0f} dBFS "
               f"-> {_advice(lv['peak_db'], lv['floor_db'])}")
    advice, denoiser = _noise_advice(pcm, denoiser)
    if advice:
        click.echo(f"noise:       {advice}")
    if choice.engine == "text":
        click.echo("heard:       (the text engine reads typed lines; no audio check)")
        return status
    try:
        words = heard(pcm, engine, model, user, denoiser)
    except VoicecoachError as exc:
        click.echo(f"heard:       recognizer failed: {exc}")
        return 1
    ok = any(w == "next" for w in words)
    click.echo("heard:       " + ("; ".join(words) if words else "nothing (no speech found)")
               + ("" if ok else '  <- expected "next"'))
    return status if ok else max(status, 1)
