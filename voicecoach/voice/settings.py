"""How the coach sounds and where the sound goes: one frozen dataclass for the voice layer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class VoiceSettings:
    """Everything the speaker needs; CLI flags and the user config map onto these 1:1."""

    voice: str = "en-us"
    """espeak-ng voice name (see `voicecoach voices`), e.g. `en-us`, `en-gb`, `en-us+f3`."""
    rate: int = 165
    """Words per minute used by `prerender` (each `Say` carries its own rate)."""
    volume: float = 1.0
    """Gain 0..1 applied at playback, so the disk cache does not depend on it."""
    device: str | int | None = None
    """Output device: index, name substring, or None for the system default."""
    sample_rate: int | None = None
    """Hertz for the output stream; None: the engine's rate if the device takes it, else the
    device's own (speech is resampled to it)."""
    block_ms: int = 10
    """Milliseconds per write: the granularity of start/end times and of interruption."""
    latency: float | str = 0.2
    """Seconds PortAudio may buffer: room above `queue_seconds`."""
    queue_seconds: float = 0.1
    """Seconds of sound kept queued ahead while speaking: a CPU stall shorter than this does
    not make the voice stutter. It adds no delay: starts and cuts flush the queue."""
    retry_seconds: float = 3.0
    """Seconds between attempts to reopen a missing or failed output device."""
    cache_dir: Path | None = None
    """Disk cache of rendered speech; None: `tts` in the app's cache dir (platformdirs, or
    VOICECOACH_CACHE_DIR)."""
    memory_cache_items: int = 256
    """Rendered utterances kept in memory (LRU)."""
    batch_window: float = 0.05
    """Seconds: Says submitted this close together are one batch and play in order (see speaker)."""
    muted: bool = False
    """No sound at all: every Say ends at once (text-only sessions, `--mute`)."""
