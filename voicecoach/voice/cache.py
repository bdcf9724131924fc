"""Rendered speech, cached in memory (LRU) and on disk, so fixed texts start at once.

The key is everything that shapes the samples: engine, engine version, voice,
rate and text. Volume is not in it: gain is applied at playback. Files are
16-bit WAVs (you can play them) named by the key's hash, written to a temp
file and renamed, so a crash or a second process never leaves half a file.
A cache hit needs no engine at all: a routine's cues keep working even if
espeak-ng disappears after they were rendered.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from voicecoach import locations
from voicecoach.errors import VoicecoachError
from voicecoach.voice.audio import Clip, read_wav, wav_bytes

log = logging.getLogger(__name__)


class Engine(Protocol):
    name: str

    @property
    def version(self) -> str: ...

    def render(self, text: str, voice: str, rate: int) -> Clip: ...


MEMORY_BYTES = 24 * 2**20
"""Bytes of rendered samples kept in memory (about four minutes of espeak-ng's 22 kHz
float32 speech)."""
DISK_BYTES = 64 * 2**20
"""Bytes of WAVs kept on disk; the least recently used go first (`prune`). A routine's
cues at a few rates fit many times over; without a bound, every edited cue and every
rate would stay on a Pi's SD card for ever."""


def default_cache_dir() -> Path:
    """`tts` in the app's cache dir, so VOICECOACH_CACHE_DIR moves it for every caller."""
    return locations.cache_dir() / "tts"


@dataclass
class CacheStats:
    """Counters, for tests and the benchmark (a hit must not call the engine)."""

    memory_hits: int = 0
    disk_hits: int = 0
    renders: int = 0


class RenderCache:
    """Thread-safe: the speaker's render threads and `prerender` share one instance."""

    def __init__(self, engine: Engine, directory: Path | None = None, memory_items: int = 256,
                 memory_bytes: int = MEMORY_BYTES, disk_bytes: int = DISK_BYTES):
        self.engine = engine
        self.directory = directory or default_cache_dir()
        self.memory_items = memory_items
        self.memory_bytes = memory_bytes
        """Cap on the samples kept in memory, besides the item count: the disk has them
        all anyway, and a read from it is a millisecond."""
        self.disk_bytes = disk_bytes
        self._memory_used = 0
        self.stats = CacheStats()
        self._memory: OrderedDict[str, Clip] = OrderedDict()
        self._lock = threading.Lock()
        self._version_lock = threading.Lock()
        self._version: str | None = None

    def engine_version(self) -> str:
        """The engine's version, remembered in the cache dir: without the engine (uninstalled
        since), the last version seen still names the files it rendered."""
        # One thread at a time: the speaker's render threads and `prerender` all ask
        # at start-up, and on a fresh cache dir each would write the marker through
        # the same temp name (one pid), failing each other's rename.
        with self._version_lock:
            if self._version is None:
                return self._engine_version()
            return self._version

    def _engine_version(self) -> str:
        marker = self.directory / f".{self.engine.name}.version"
        try:
            version = self.engine.version
        except VoicecoachError as exc:
            try:
                version = marker.read_text(encoding="utf-8").strip()
            except OSError:
                raise exc from None
            if not version:
                raise
            return version
        try:
            if not marker.exists() or marker.read_text(encoding="utf-8").strip() != version:
                self.directory.mkdir(parents=True, exist_ok=True)
                tmp = marker.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_text(version, encoding="utf-8")
                os.replace(tmp, marker)
        except OSError as exc:
            log.warning("cannot write %s: %s", marker, exc)
        self._version = version
        return version

    def key(self, text: str, voice: str, rate: int) -> str:
        ident = json.dumps([self.engine.name, self.engine_version(), voice, int(rate), text])
        return hashlib.sha256(ident.encode()).hexdigest()[:40]

    def path(self, text: str, voice: str, rate: int) -> Path:
        return self.directory / f"{self.key(text, voice, rate)}.wav"

    def cached(self, text: str, voice: str, rate: int) -> Clip | None:
        """The clip if memory or disk has it; never renders."""
        key = self.key(text, voice, rate)
        with self._lock:
            clip = self._memory.get(key)
            if clip is not None:
                self._memory.move_to_end(key)
                self.stats.memory_hits += 1
                return clip
        path = self.directory / f"{key}.wav"
        try:
            clip = read_wav(path)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("dropping unreadable cache file %s: %s", path, exc)
            path.unlink(missing_ok=True)
            return None
        with contextlib.suppress(OSError):  # a read-only cache still serves
            os.utime(path)  # recently used: `prune` keeps it
        with self._lock:
            self.stats.disk_hits += 1
        self._remember(key, clip)
        return clip

    def get(self, text: str, voice: str, rate: int, keep: bool = True) -> Clip:
        """The clip, rendering it on a miss (engine errors propagate) and storing it unless
        `keep` is false: a text made from the moment (a status) is never asked for again."""
        clip = self.cached(text, voice, rate)
        if clip is not None:
            return clip
        clip = self.engine.render(text, voice, rate)
        with self._lock:
            self.stats.renders += 1
        if not keep:
            return clip
        key = self.key(text, voice, rate)
        self._remember(key, clip)
        self._store(key, clip)
        return clip

    def _remember(self, key: str, clip: Clip) -> None:
        with self._lock:
            old = self._memory.pop(key, None)
            if old is not None:
                self._memory_used -= old.samples.nbytes
            self._memory[key] = clip
            self._memory_used += clip.samples.nbytes
            while self._memory and (len(self._memory) > self.memory_items
                                    or self._memory_used > self.memory_bytes):
                _, dropped = self._memory.popitem(last=False)
                self._memory_used -= dropped.samples.nbytes

    def prune(self) -> int:
        """Delete the least recently used WAVs until the folder is within `disk_bytes`;
        returns how many went. Another process may be pruning too: a file already gone
        is fine."""
        try:
            entries = []
            for path in self.directory.glob("*.wav"):
                with contextlib.suppress(FileNotFoundError):
                    st = path.stat()
                    entries.append((st.st_mtime, st.st_size, path))
        except OSError as exc:
            log.warning("cannot read speech cache %s: %s", self.directory, exc)
            return 0
        total = sum(size for _, size, _ in entries)
        removed = 0
        for _, size, path in sorted(entries, key=lambda e: e[0]):
            if total <= self.disk_bytes:
                break
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("cannot prune speech cache %s: %s", self.directory, exc)
                break
            total -= size
            removed += 1
        return removed

    def _store(self, key: str, clip: Clip) -> None:
        """Atomic write; a full or read-only disk only costs the cache, never the speech."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".wav")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(wav_bytes(clip))
                os.replace(tmp, self.directory / f"{key}.wav")
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning("cannot write speech cache in %s: %s", self.directory, exc)
