"""Text to audio, with espeak-ng run directly.

Why not speak through pyttsx3: pyttsx3 2.99 over espeak-ng is not thread-safe,
its `runAndWait` can return before the speech has ended, and only the last
`say` before it may be spoken (all measured on this project's machines). A
coach must know to the block when its own voice starts and stops (the mic is
gated by that window) and must cut it within 100 ms. So we *render* text to
samples (`espeak-ng --stdout`, ~10-50 ms for a cue) and play them ourselves
through sounddevice in one thread that owns the output stream (see
`speaker.py`). Rendering to samples also makes a disk cache possible, so fixed
texts start sounding at once.

pyttsx3 stays a dependency for one job: listing voices when the espeak-ng
program is missing but the library is there (pyttsx3 loads libespeak-ng).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass
from functools import cached_property

from voicecoach.errors import EngineUnavailableError, UsageError
from voicecoach.voice.audio import Clip, parse_wav, trim_silence

log = logging.getLogger(__name__)

RENDER_TIMEOUT = 20.0
"""Seconds: a render that takes longer is treated as failed (never hang the speaker)."""
AMPLITUDE = 100
"""espeak-ng `-a` (0..200): 100 peaks near 0.85 on our cues, no clipping.
Volume is applied at playback, so the cache does not depend on it."""


@dataclass(frozen=True)
class VoiceInfo:
    """One voice an engine offers."""

    name: str
    """What to pass as `--voice` (espeak-ng's voice/language name)."""
    language: str
    gender: str
    description: str


class EspeakEngine:
    """Renders with the `espeak-ng` program. Stateless and thread-safe: one process per render."""

    name = "espeak-ng"

    def __init__(self, exe: str | None = None) -> None:
        self._exe = exe

    @property
    def exe(self) -> str:
        """The program's path, looked up each time: PATH may change under us (tests, installs)."""
        exe = self._exe or shutil.which("espeak-ng")
        if exe is None:
            raise EngineUnavailableError(
                "text-to-speech unavailable: espeak-ng not found (apt-get install espeak-ng)"
            )
        return exe

    @cached_property
    def version(self) -> str:
        """Part of the cache key: a new espeak-ng may pronounce differently."""
        out = self._run(["--version"], timeout=5).decode(errors="replace")
        return out.split("Data at")[0].strip() or "espeak-ng"

    def available(self) -> bool:
        try:
            return bool(self.exe)
        except EngineUnavailableError:
            return False

    def render(self, text: str, voice: str, rate: int) -> Clip:
        """Speech for `text` as a trimmed mono clip at espeak-ng's own rate (22050 Hz)."""
        data = self._run(
            ["--stdout", "-v", voice, "-s", str(int(rate)), "-a", str(AMPLITUDE), "--", text],
            timeout=RENDER_TIMEOUT,
        )
        try:
            clip = parse_wav(data)
        except ValueError as exc:
            raise EngineUnavailableError(
                f"espeak-ng gave no audio for {text[:40]!r}: {exc}") from exc
        return trim_silence(clip)

    def voices(self) -> list[VoiceInfo]:
        out = self._run(["--voices"], timeout=10).decode(errors="replace")
        return parse_voices(out)

    def _run(self, args: list[str], timeout: float) -> bytes:
        try:
            proc = subprocess.run(
                [self.exe, *args], capture_output=True, timeout=timeout, check=False,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EngineUnavailableError(f"espeak-ng failed: {exc}") from exc
        if proc.returncode != 0:
            msg = proc.stderr.decode(errors="replace").strip().splitlines()
            reason = msg[-1] if msg else f"exit code {proc.returncode}"
            if "voice does not exist" in reason:
                raise UsageError(f"unknown voice (see `voicecoach voices`): {reason}")
            raise EngineUnavailableError(f"espeak-ng failed: {reason}")
        return proc.stdout


def parse_voices(listing: str) -> list[VoiceInfo]:
    """Parse `espeak-ng --voices`: `Pty Language Age/Gender VoiceName File Other Languages`."""
    voices = []
    for line in listing.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 5:
            continue
        _pty, language, age_gender, voice_name, file = parts[:5]
        if file.startswith("mb/"):
            continue  # MBROLA voices need the separate mbrola program and voice data
        gender = {"M": "male", "F": "female"}.get(age_gender.rsplit("/", 1)[-1], "")
        voices.append(VoiceInfo(name=language, language=language, gender=gender,
                                description=voice_name.replace("_", " ")))
    return voices


def pyttsx3_voices() -> list[VoiceInfo]:
    """Voices as pyttsx3 sees them (needs libespeak-ng, not the program)."""
    try:
        import pyttsx3

        engine = pyttsx3.init("espeak")
        found = engine.getProperty("voices")
    except Exception as exc:  # pyttsx3 raises bare errors from ctypes/driver loading
        raise EngineUnavailableError(f"no text-to-speech voices: {exc}") from exc
    voices = []
    for v in found:
        langs = [lang.decode() if isinstance(lang, bytes) else str(lang) for lang in v.languages]
        language = langs[0] if langs else v.id
        gender = str(v.gender or "").lower()
        voices.append(VoiceInfo(name=language, language=language, gender=gender,
                                description=str(v.name)))
    return voices
