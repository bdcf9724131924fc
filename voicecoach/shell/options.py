"""What a session is asked to be: `voicecoach run` fills it (flags over config), the shell reads it.

It lives here, not in the command, so that nothing in the shell imports a command.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunOptions:
    """Everything `run` decides from flags over config, resolved once."""

    routine: str
    engine: str
    model: Path | None
    mic: str | None
    speaker: str | None
    voice: str | None
    rate: int | None
    beeps: bool | None
    volume: float | None
    """Gain 0..1 for speech and beeps; None: full."""
    keep_audio: bool
    no_tui: bool
    keyboard: bool
    input_file: Path | None
    mute: bool
    event_log: Path | None
    theme: str = "contrast"
    keep_audio_mb: int = 50
    """Size cap of the kept audio, megabytes."""
    loop_input: bool = False
    """Play `input_file` over and over (soak tests)."""
    user: str | None = None
    """Enrolled user whose voice profile the recognizer loads (`voicecoach enroll`)."""
    echo_cancel: str = "off"
    """Talk over the coach: "on" (cancel its voice in-process), "system" (the sound server
    cancels), "off" (the mic is closed while it speaks, as before)."""
    denoiser: str = "auto"
    """Noise suppression before the recognizer: "auto", "webrtc" or "rnnoise" (frontend.py)."""
    classifier: bool = False
    """Let the phrase classifier judge (speech/phrase_classifier.py), learnt in the background;
    the config's default is on, this dataclass's off (a session built in a test)."""
