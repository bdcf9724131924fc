"""`voicecoach say` and `voicecoach voices`: the voice, outside a session.

`say` renders with the same engine and cache as a session, then either writes
a WAV or plays it on the chosen output; unlike the session speaker it fails
loudly (one line, exit 1) when there is no engine or no device, because here
sound is the whole point.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import click
import numpy as np

from voicecoach.errors import EngineUnavailableError, UsageError
from voicecoach.voice.audio import Clip, wav_bytes
from voicecoach.voice.cache import RenderCache
from voicecoach.voice.engine import EspeakEngine, pyttsx3_voices
from voicecoach.voice.settings import VoiceSettings

PLAY_TIMEOUT_MARGIN = 5.0
"""Seconds allowed beyond the clip's length before playback counts as stuck."""


def say(text: str, *, voice: str | None = None, rate: int | None = None,
        out: Path | None = None, speaker: str | None = None, volume: float = 1.0) -> int:
    if not text.strip():
        raise UsageError("nothing to say: TEXT is empty")
    defaults = VoiceSettings()
    engine = EspeakEngine()
    cache = RenderCache(engine)
    clip = cache.get(text, voice or defaults.voice, rate or defaults.rate)
    if volume != 1.0:
        # A gain on the way out, as the speaker does, so the cache keeps full scale.
        clip = Clip((clip.samples * np.float32(volume)).astype(np.float32), clip.rate)
    if out is not None:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(wav_bytes(clip))
        except OSError as exc:
            raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from exc
        click.echo(f"wrote {out} ({clip.seconds:.2f} s, {clip.rate} Hz)")
        return 0
    _play(clip.samples, clip.rate, speaker)
    return 0


def _play(samples: np.ndarray, rate: int, device: str | None) -> None:
    from voicecoach.voice.output import OutputPort

    port = OutputPort(device, (rate,))
    try:
        if port.rate != rate:
            from voicecoach.voice.audio import resample

            samples = resample(samples, rate, port.rate)
        port.flush()
        for i in range(0, len(samples), port.block):
            port.write(samples[i:i + port.block])  # blocks while PortAudio's buffer is full
        time.sleep(port.queued_seconds() + 0.05)  # let the last of it sound before closing
    finally:
        port.close()


def voices() -> int:
    """One line per voice: name, gender, description (what `--voice` takes first)."""
    engine = EspeakEngine()
    try:
        found = engine.voices()
        source = "espeak-ng"
    except EngineUnavailableError:
        found = pyttsx3_voices()  # the library may be there without the program
        source = "pyttsx3 (espeak-ng library; `say` needs the espeak-ng program)"
    if not found:
        raise EngineUnavailableError("no text-to-speech voices found (apt-get install espeak-ng)")
    width = max(len(v.name) for v in found)
    if not _echo_lines(f"{v.name:<{width}}  {v.gender or '-':<6}  {v.description}"
                       for v in found):
        return 0
    click.echo(f"({len(found)} voices from {source}; variants: append +f1..+f5, +m1..+m7, "
               "e.g. en-us+f3)", err=True)
    return 0


def _echo_lines(lines: Iterable[str]) -> bool:
    """Print to stdout; False when the reader went away (`voicecoach voices | head`).

    That is no error: the reader has what it wanted, so the command ends quietly
    with exit 0, as other command-line tools do. stdout is pointed at /dev/null
    so that Python's final flush does not complain about the closed pipe either.
    """
    try:
        for line in lines:
            click.echo(line)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return False
    return True
