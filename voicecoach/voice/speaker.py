"""The coach's voice: one worker thread that owns the output stream.

Theory of operation
-------------------
`say(Say)` renders the text to samples (disk/memory cache first, espeak-ng on a
miss, in a small render pool) and queues it. The worker thread loops forever:
it takes the commands that arrived (waiting on its inbox, so a hush is seen at
once, never stuck behind a blocking write), then tops the output up to
`queue_seconds` (0.1 s) of sound with one write: the current utterance plus any
beeps, or silence while idle. The port keeps a timeline of what it wrote, so
the worker knows when each sample sounds, hence when its voice starts and
stops. The 0.1 s queue lets the voice ride out a busy CPU without stuttering,
and costs no delay: an utterance that starts from silence, and every cut,
first flush the queue, so the new sound plays at once and a cut fades out
(5 ms, no click) from the sample being heard right now. An utterance stays
"current" until its last sample has sounded, so a cut can still reach it.

Callbacks run on the worker thread (marshal them into your event loop):

- `on_start(say_id, t)`: the first sample sounds at monotonic time `t`.
- `on_end(say_id, t, completed)`: the last sample sounded at `t` (or the
  utterance was dropped, cut or failed: `completed=False`). EVERY Say given to
  `say()` gets exactly one `on_end`, awaited or not, so the coach's timers and
  the mic gate never wait forever. Ends are reported in order: an interrupted
  utterance's `on_end` comes before the next one's `on_start`.
- `on_play(samples, rate, t)`: a block was written (mono float32, beeps and
  silence included) whose first sample sounds at `t`; `on_flush(t)`: what was
  written for after `t` will never sound. Together: the echo canceller's
  reference (`voicecoach.speech.echo.EchoReference`). Must not block.
- `on_warning(text)`: a one-line fault (no engine, no device, a device that
  failed), once per fault until it clears; `on_recovered(text)` when it clears.

Who interrupts whom (`Say.priority`, and batches by submission time)
-------------------------------------------------------------------
Says submitted within `batch_window` (50 ms) of each other form one *batch*:
the effects of one `coach.step()`, which must play in order ("Set two of
three." then the cue). Between batches, *newest wins unless less important*:
a new Say cuts the playing utterance and drops queued ones of lower **or
equal** priority from older batches, because the coach's state moved on (a new
command's answer makes the old answer stale: "a new command cuts the current
utterance"). Anything more important keeps playing and the new Say waits
behind it. So SAFETY interrupts everything, a CORRECTION cuts a CUE/INFO/COUNT,
a new cue replaces an old cue. Rep counts never wait: a COUNT that would have
to wait behind anything, or whose `expires_at` has passed, is dropped (ended
with `completed=False`), never spoken late. `expires_at` is on time.monotonic().
`hush()` cuts the current utterance and drops the queue.

Yielding the floor (`duck(gain)`)
---------------------------------
With echo cancellation the ears may tell the speaker that someone started
talking over the coach: `duck(0.1)` drops the voice 20 dB from the sample being
heard (the queue is flushed as for a cut, so it takes effect at once, with a
5 ms ramp), `duck(0.0)` pauses it, `duck(1.0)` brings it back (a paused
utterance goes on from the start of the phrase it stopped in: the last pause of
its voice, so nobody hears half a word). `hush()` ends a duck. What is played
at the lowered level is what `on_play` reports, so the canceller's reference
stays true.

Faults
------
No espeak-ng, an unknown voice, no output device, a device that vanishes: the
worker keeps running, reports one line via `on_warning`, ends the affected Says
with `completed=False` (the session goes on with text on screen), and retries
the device every `retry_seconds`. Cached speech plays even without espeak-ng.
An exception in the worker is logged and the turn is retried; it never dies.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from voicecoach.coach.effects import ONE_OFF_KINDS, Priority, Say
from voicecoach.errors import VoicecoachError
from voicecoach.voice.audio import Clip
from voicecoach.voice.cache import Engine, RenderCache
from voicecoach.voice.engine import EspeakEngine
from voicecoach.voice.output import OutputPort
from voicecoach.voice.settings import VoiceSettings
from voicecoach.voice.tones import tone

log = logging.getLogger(__name__)

ENGINE_RATE = 22050
"""Hertz espeak-ng renders at; preferred for the stream so speech needs no resampling."""
FADE_SECONDS = 0.005
"""A cut fades out over this long instead of clicking."""
IDLE_QUEUE_SECONDS = 0.06
"""Silence kept queued while idle, so the stream never runs dry (ALSA would complain)."""
REFILL_SECONDS = 0.04
"""Top the queue up once this much of it has played."""
MAX_WAIT_SECONDS = 0.05
"""Longest sleep of the worker between turns."""

StartCallback = Callable[[int, float], None]
EndCallback = Callable[[int, float, bool], None]
TextCallback = Callable[[str], None]
PlayCallback = Callable[[np.ndarray, int, float], None]
FlushCallback = Callable[[float], None]
PortFactory = Callable[[VoiceSettings], OutputPort]


@dataclass(eq=False)
class _Item:
    """One Say on its way to the speaker."""

    say: Say
    batch: int
    clip: Future[Clip]
    samples: np.ndarray | None = None
    """At the stream's rate, volume applied; set when it becomes current."""
    pos: int = 0
    stop: int = 0
    """Samples to play; lowered by a cut."""
    started: bool = False
    start_t: float = 0.0
    cut: bool = False
    end_t: float | None = None
    """When the last written sample sounds (set once all are written)."""
    silence_after: int = 0
    """Frames written after the last sample (while it drains): to locate the playhead."""


@dataclass
class _Overlay:
    samples: np.ndarray
    pos: int = 0


@dataclass
class SpeakerStats:
    """Counters for tests and the benchmark."""

    started: int = 0
    completed: int = 0
    cut: int = 0
    dropped: int = 0
    failed: int = 0
    device_failures: int = 0
    worker_errors: int = 0
    late_counts: list[int] = field(default_factory=list)
    ducks: list[tuple[float, float]] = field(default_factory=list)
    """(gain, when the first sample at that gain sounds) of each duck that reached a voice."""


PHRASE_PAUSE_SECONDS = 0.12
"""A stretch of the voice this long below PHRASE_QUIET_DBFS is a pause between phrases
(espeak-ng pauses at commas and full stops; within words it never falls this quiet so long)."""
PHRASE_QUIET_DBFS = -45.0


def phrase_start(samples: np.ndarray, pos: int, rate: int) -> int:
    """Where the phrase holding sample `pos` began: the end of the last pause before it
    (0: the utterance's start). A paused voice goes on from there: a person who talked
    over the coach hears the phrase whole, not from the middle of a word."""
    frame = max(1, rate // 100)
    need = max(1, round(PHRASE_PAUSE_SECONDS * rate / frame))
    end = min(pos, len(samples)) // frame
    if end <= 0:
        return 0
    frames = samples[: end * frame].astype(np.float64).reshape(end, frame)
    quiet = np.sqrt((frames ** 2).mean(axis=1) + 1e-12) < 10 ** (PHRASE_QUIET_DBFS / 20)
    run = 0
    for i in range(end - 1, -1, -1):
        if quiet[i]:
            run += 1
            if run >= need:
                # The end of this pause: the first loud frame after it, less 50 ms of quiet.
                j = i + run
                while j < end and quiet[j]:
                    j += 1
                return max(0, j * frame - rate // 20)
        else:
            run = 0
    return 0


def _default_port(settings: VoiceSettings) -> OutputPort:
    rates = (settings.sample_rate,) if settings.sample_rate else (ENGINE_RATE,)
    return OutputPort(settings.device, rates, settings.block_ms, settings.latency)


class Speaker:
    """Speaks `Say` effects; see the module docstring for the rules. Thread-safe API."""

    def __init__(
        self,
        settings: VoiceSettings | None = None,
        *,
        on_start: StartCallback | None = None,
        on_end: EndCallback | None = None,
        on_warning: TextCallback | None = None,
        on_recovered: TextCallback | None = None,
        on_play: PlayCallback | None = None,
        on_flush: FlushCallback | None = None,
        engine: Engine | None = None,
        cache: RenderCache | None = None,
        port_factory: PortFactory = _default_port,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or VoiceSettings()
        self.on_start = on_start
        self.on_end = on_end
        self.on_warning = on_warning
        self.on_recovered = on_recovered
        self.on_play = on_play
        self.on_flush = on_flush
        self.engine: Engine = engine or EspeakEngine()
        self.cache = cache or RenderCache(self.engine, self.settings.cache_dir,
                                          self.settings.memory_cache_items)
        self.stats = SpeakerStats()
        self._port_factory = port_factory
        self._clock = clock
        self._rate = self.settings.rate
        self._voice = self.settings.voice
        self._volume = self.settings.volume
        self._fixed_texts: dict[str, None] = {}
        self._inbox: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()
        self._submit_lock = threading.Lock()
        self._batch = 0
        self._last_submit = float("-inf")
        self._render_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tts-render")
        self._prerender_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts-prerender")
        self._idle = threading.Event()
        self._idle.set()
        # worker-owned state
        self._port: OutputPort | None = None
        self._next_retry = 0.0
        self._current: _Item | None = None
        self._queue: deque[_Item] = deque()
        self._overlays: list[_Overlay] = []
        self._audible_until = 0.0
        """When the last non-silent sample written so far will have sounded."""
        self._pending_ends: list[tuple[float, int, bool]] = []
        self._duck_pending: float | None = None
        self._gain = 1.0
        """The duck's gain on the voice (1.0: not ducked; 0.0: paused)."""
        self._ramp_from = 1.0
        self._ramp_left = 0
        self._faults: dict[str, str] = {}
        self._closing = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="speaker", daemon=True)
        self._thread.start()
        self._prerender_pool.submit(self.cache.prune)

    # --- public API (any thread) -----------------------------------------

    def say(self, effect: Say) -> None:
        """Queue an utterance; it may cut, wait behind, or be dropped (module docstring)."""
        if self._closed:  # a late effect during shutdown still gets its end
            self._call(self.on_end, effect.id, self._clock(), False)
            return
        with self._submit_lock:
            now = self._clock()
            if now - self._last_submit > self.settings.batch_window:
                self._batch += 1
            self._last_submit = now
            batch = self._batch
            self._idle.clear()
            clip = self._render_pool.submit(self.cache.get, effect.text, self._voice, effect.rate,
                                            effect.kind not in ONE_OFF_KINDS)
            self._inbox.put(("say", _Item(effect, batch, clip)))
        clip.add_done_callback(lambda _f: self._inbox.put(("wake", None)))

    def hush(self) -> None:
        """Cut the current utterance at once (it fades out over 5 ms) and drop the queue."""
        self._inbox.put(("hush", None))

    def duck(self, gain: float) -> None:
        """Lower the voice to `gain` at once (0.0 pauses it), or bring it back with 1.0."""
        self._inbox.put(("duck", max(0.0, min(1.0, float(gain)))))

    def beep(self, kind: str) -> None:
        """Play a short tone (`rep`, `rest_end`, `listening`) over whatever is playing."""
        self._inbox.put(("beep", kind))

    def set_rate(self, wpm: int) -> None:
        """Rate for `prerender`; fixed texts already prerendered are re-rendered at it."""
        if wpm != self._rate:
            self._rate = wpm
            if self._fixed_texts:
                self._prerender_all(list(self._fixed_texts), wpm)

    def set_voice(self, voice: str) -> None:
        self._voice = voice

    def set_volume(self, volume: float) -> None:
        self._volume = max(0.0, min(1.0, volume))

    def prerender(self, texts: Iterable[str], rate: int | None = None) -> Future[int]:
        """Render fixed texts into the cache in the background; the future gives the count
        rendered or found. Failures are reported once through `on_warning`."""
        unique = [t for t in dict.fromkeys(texts) if t.strip()]
        self._fixed_texts.update(dict.fromkeys(unique))
        return self._prerender_all(unique, rate or self._rate)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until nothing is playing or queued (for the CLI and tests)."""
        return self._idle.wait(timeout)

    def close(self, timeout: float = 2.0) -> None:
        """Cut, end every pending Say, release the device, stop the threads."""
        self._closed = True
        self._inbox.put(("close", None))
        self._thread.join(timeout)
        self._render_pool.shutdown(wait=False, cancel_futures=True)
        self._prerender_pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> Speaker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def output_latency(self) -> float | None:
        port = self._port
        return port.latency if port else None

    @property
    def underruns(self) -> int:
        """Audible gaps so far on the current device (the CPU could not keep up)."""
        port = self._port
        return port.underruns if port else 0

    @property
    def faults(self) -> list[str]:
        """Current fault lines (empty when all is well)."""
        return list(self._faults.values())

    # --- prerender -------------------------------------------------------

    def _prerender_all(self, texts: list[str], rate: int) -> Future[int]:
        voice = self._voice

        def work() -> int:
            done = 0
            for text in texts:
                try:
                    self.cache.get(text, voice, rate)
                    done += 1
                except VoicecoachError as exc:
                    self._inbox.put(("fault", ("render", exc.message)))  # reported by the worker
                    break
            return done

        return self._prerender_pool.submit(work)

    # --- worker ----------------------------------------------------------

    def _run(self) -> None:
        while not self._closing:
            try:
                self._turn()
            except Exception:
                # Never die: log, drop whatever was playing (it still gets its on_end), go on.
                log.exception("speaker worker error")
                self.stats.worker_errors += 1
                if self._current is not None:
                    item, self._current = self._current, None
                    self._end(item, self._clock(), completed=False)
                time.sleep(0.05)
        self._shutdown()

    def _turn(self) -> None:
        self._ensure_port()
        if self._port is None:
            self._drain_inbox(wait=MAX_WAIT_SECONDS)
            # No device: nothing can be heard, so nothing waits (the session goes on in text).
            self._drop_all()
            self._overlays.clear()
            self._fire_due_ends(flush=True)
            self._update_idle()
            return
        # Sleep until the queue needs a top-up (REFILL_SECONDS of room: fewer, larger writes
        # cost less CPU), an utterance's end is due, or a command arrives: whichever is first.
        room = self._target() - self._port.queued_seconds()
        wait = max(0.0, REFILL_SECONDS - room)
        item = self._current
        if item is not None and item.end_t is not None:
            wait = min(wait, max(0.0, item.end_t - self._clock()))
        if item is None and self._queue and self._queue[0].clip.done():
            wait = 0.0  # the next utterance is ready: start it now (a finished render wakes us)
        self._drain_inbox(wait=min(wait, MAX_WAIT_SECONDS))
        port = self._port
        if self._closing or port is None:
            return
        item = self._current
        if item is None:
            item = self._current = self._next_ready(port.rate)
            if item is not None and self._clock() >= self._audible_until:
                try:
                    self._flush(port)  # only silence queued: drop it so the voice starts now
                except VoicecoachError as exc:
                    self._device_failed(exc.message)
                    return
        room = self._target() - port.queued_seconds()
        if room > 0:
            self._write(port, item, room)
        if item is not None and item.end_t is not None and self._clock() >= item.end_t:
            self._current = None
            self._end(item, item.end_t, completed=not item.cut)
        self._fire_due_ends()
        self._update_idle()

    def _target(self) -> float:
        """Seconds to keep queued: enough to ride out a stall while sounding, little when idle
        (silence only keeps the stream from running dry)."""
        item = self._current
        sounding = self._overlays or (item is not None and item.pos < item.stop)
        return self.settings.queue_seconds if sounding else IDLE_QUEUE_SECONDS

    def _write(self, port: OutputPort, item: _Item | None, room: float) -> None:
        """One write that fills the queue up to the target (one call, not many: a thread
        that waits for the GIL between calls would otherwise fall behind)."""
        size = port.block * max(1, round(room * port.rate / port.block))
        block = np.zeros(size, np.float32)
        n = 0
        started = False
        if item is not None and item.samples is not None and self._paused():
            pass  # paused: silence, and the voice waits where it stopped
        elif item is not None and item.samples is not None:
            if item.pos < item.stop:
                n = min(size, item.stop - item.pos)
                block[:n] = item.samples[item.pos:item.pos + n]
                self._apply_gain(block[:n])
                started = not item.started
                item.pos += n
                item.started = True
            item.silence_after += size - n
        loud = max(n, self._mix_overlays(block) if self._overlays else 0)
        try:
            t = port.write(block, loud=bool(loud))
        except VoicecoachError as exc:
            self._device_failed(exc.message)
            return
        if self.on_play is not None:
            self._call(self.on_play, block, port.rate, t)
        if loud:
            self._audible_until = max(self._audible_until, t + loud / port.rate)
        if self._duck_pending is not None and n:
            self.stats.ducks.append((self._duck_pending, t))
            self._duck_pending = None
        if item is not None and item.samples is not None:
            if started:
                self._fire_due_ends(flush=True)
                item.start_t = t
                self.stats.started += 1
                self._call(self.on_start, item.say.id, t)
            if n and item.pos >= item.stop:
                item.end_t = t + n / port.rate

    def _flush(self, port: OutputPort) -> None:
        """Drop what is queued in the device (raises AudioDeviceError); tell the reference tap."""
        port.flush()
        if self.on_flush is not None:
            self._call(self.on_flush, self._clock())

    def _drain_inbox(self, wait: float) -> None:
        try:
            cmd, arg = self._inbox.get(timeout=wait) if wait > 0 else self._inbox.get_nowait()
        except queue.Empty:
            return
        while True:
            if cmd == "say":
                assert isinstance(arg, _Item)
                self._admit(arg)
            elif cmd == "hush":
                self._cut_all()
                self._gain = 1.0
                self._ramp_left = 0
            elif cmd == "duck":
                self._set_gain(float(cast("float", arg)))
            elif cmd == "beep":
                self._add_beep(str(arg))
            elif cmd == "fault":
                kind, text = cast("tuple[str, str]", arg)
                self._fault(str(kind), str(text))
            elif cmd == "close":
                self._closing = True
                return
            try:
                cmd, arg = self._inbox.get_nowait()
            except queue.Empty:
                return

    def _admit(self, new: _Item) -> None:
        """Apply the priority rules to a new Say (module docstring)."""
        now = self._clock()
        if new.say.expires_at is not None and now > new.say.expires_at:
            self._drop(new, late=True)
            return

        def stale(old: _Item) -> bool:
            return old.batch != new.batch and new.say.priority >= old.say.priority

        for old in [q for q in self._queue if stale(q)]:
            self._queue.remove(old)
            self._drop(old)
        if self._current is not None and stale(self._current):
            self._cut_current()
        busy = self._queue or (self._current is not None and not self._current.cut)
        if new.say.priority == Priority.COUNT and busy:
            self._drop(new, late=True)
            return
        self._queue.append(new)

    def _next_ready(self, rate: int) -> _Item | None:
        """The head of the queue once rendered; in order, so a slow render holds its batch."""
        while self._queue:
            head = self._queue[0]
            if not head.clip.done():
                return None
            self._queue.popleft()
            say = head.say
            if say.expires_at is not None and self._clock() > say.expires_at:
                self._drop(head, late=True)
                continue
            try:
                clip = head.clip.result()
            except VoicecoachError as exc:
                self._fault("render", exc.message)
                self.stats.failed += 1
                self._end(head, self._clock(), completed=False)
                continue
            except Exception as exc:
                log.exception("render failed for %r", say.text)
                self._fault("render", f"text-to-speech failed: {exc}")
                self.stats.failed += 1
                self._end(head, self._clock(), completed=False)
                continue
            self._clear_fault("render")
            samples = clip.resampled(rate).samples * np.float32(self._volume)
            head.samples = samples.astype(np.float32, copy=False)
            head.stop = len(samples)
            if head.stop == 0:
                self._end(head, self._clock(), completed=True)
                continue
            return head
        return None

    def _cut_current(self) -> None:
        """Silence the current utterance now: flush the buffer and fade out over FADE_SECONDS
        from the sample being heard; it then ends with completed=False."""
        item = self._current
        if item is None:
            return
        if not item.started or item.samples is None:
            self._current = None
            self._drop(item)
            return
        item.cut = True
        self.stats.cut += 1
        port = self._port
        if port is None:
            return
        paused = self._paused()
        queued = self._take_back(port, paused)
        if queued is None:
            return
        if paused:  # nothing of it sounds: it ends now
            item.stop = item.pos
            item.end_t = self._clock()
            return
        playhead = max(0, min(item.pos + item.silence_after - queued, len(item.samples)))
        fade = min(int(FADE_SECONDS * port.rate), len(item.samples) - playhead)
        samples = item.samples.copy()
        if fade > 0:
            samples[playhead:playhead + fade] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
        item.samples = samples
        item.pos = playhead
        item.stop = playhead + max(fade, 0)
        item.silence_after = 0
        item.end_t = None
        if item.stop <= item.pos:  # it had already finished sounding
            item.end_t = self._clock()

    def _take_back(self, port: OutputPort, paused: bool) -> int | None:
        """Drop what the device still holds, to rewrite it (a cut, a duck); how many of its
        samples had not sounded yet (None: the device failed)."""
        queued = 0 if paused else round(port.queued_seconds() * port.rate)
        try:
            self._flush(port)
        except VoicecoachError as exc:
            self._device_failed(exc.message)
            return None
        self._audible_until = 0.0
        return queued

    def _paused(self) -> bool:
        """Paused by a duck to 0.0 (its fade done): the voice waits where it stopped."""
        return self._gain == 0.0 and self._ramp_left == 0

    def _set_gain(self, gain: float) -> None:
        """Duck (or bring back) the voice from the sample being heard: the queue is flushed
        and rewritten at the new gain, as a cut does, so the change sounds at once."""
        if gain == self._gain:
            return
        item, port = self._current, self._port
        was_paused = item is not None and self._paused()
        self._ramp_from, self._gain = self._gain, gain
        if item is None or port is None or not item.started or item.samples is None \
                or item.cut:
            self._ramp_left = 0
            return
        queued = self._take_back(port, was_paused)
        if queued is None:
            return
        playhead = max(0, min(item.pos + item.silence_after - queued, item.stop))
        if was_paused:
            playhead = phrase_start(item.samples, playhead, port.rate)
        item.pos = playhead
        item.silence_after = 0
        item.end_t = None
        self._ramp_left = int(FADE_SECONDS * port.rate)
        if item.pos < item.stop:
            self._duck_pending = gain
        if gain == 0.0:
            # Fade to silence (the ramp), then write nothing more of it until brought back.
            fade = min(self._ramp_left, item.stop - item.pos)
            block = item.samples[item.pos:item.pos + fade].copy()
            self._apply_gain(block)
            self._ramp_left = 0
            faded = np.concatenate([block, np.zeros(port.block, np.float32)])
            try:
                t = port.write(faded)
            except VoicecoachError as exc:
                self._device_failed(exc.message)
                return
            if self.on_play is not None:
                self._call(self.on_play, faded, port.rate, t)
            if self._duck_pending is not None:
                self.stats.ducks.append((0.0, t))
                self._duck_pending = None
            item.pos += fade

    def _apply_gain(self, block: np.ndarray) -> None:
        """The duck's gain on voice samples, ramping over FADE_SECONDS after a change."""
        if self._ramp_left > 0:
            n = min(self._ramp_left, len(block))
            total = max(1, int(FADE_SECONDS * (self._port.rate if self._port else ENGINE_RATE)))
            done = total - self._ramp_left
            ramp = self._ramp_from + (self._gain - self._ramp_from) * (
                np.arange(done + 1, done + n + 1, dtype=np.float32) / total)
            block[:n] *= np.clip(ramp, 0.0, 1.0).astype(np.float32)
            block[n:] *= np.float32(self._gain)
            self._ramp_left -= n
        elif self._gain != 1.0:
            block *= np.float32(self._gain)

    def _cut_all(self) -> None:
        self._drop_queue()
        self._overlays.clear()
        if self._current is not None:
            self._cut_current()
        elif self._port is not None and self._clock() < self._audible_until:
            try:
                self._flush(self._port)  # a beep still sounding
            except VoicecoachError as exc:
                self._device_failed(exc.message)
            self._audible_until = 0.0

    def _drop_queue(self) -> None:
        while self._queue:
            self._drop(self._queue.popleft())

    def _drop_all(self) -> None:
        """End everything now (no device, shutting down): nothing more will sound."""
        self._drop_queue()
        if self._current is not None:
            item, self._current = self._current, None
            if item.started:
                self._end(item, self._clock(), completed=False)
            else:
                self._drop(item)

    def _drop(self, item: _Item, late: bool = False) -> None:
        self.stats.dropped += 1
        if late and item.say.priority == Priority.COUNT:
            self.stats.late_counts.append(item.say.id)
        item.clip.cancel()
        self._end(item, self._clock(), completed=False)

    def _end(self, item: _Item, t: float, completed: bool) -> None:
        """Schedule on_end for when the sound has really stopped (now, if it never started)."""
        if completed:
            self.stats.completed += 1
        self._pending_ends.append((t, item.say.id, completed))
        if not item.started:
            self._fire_due_ends(flush=True)

    def _fire_due_ends(self, flush: bool = False) -> None:
        if not self._pending_ends:
            return
        now = self._clock()
        due = [e for e in self._pending_ends if flush or e[0] <= now]
        if not due:
            return
        self._pending_ends = [e for e in self._pending_ends if e not in due]
        for t, say_id, completed in due:
            self._call(self.on_end, say_id, t, completed)

    def _add_beep(self, kind: str) -> None:
        port = self._port
        if port is None:
            return
        try:
            samples = tone(kind, port.rate, self._volume)
        except KeyError:
            log.warning("unknown beep kind %r", kind)
            return
        if self._current is None and self._clock() >= self._audible_until:
            try:
                self._flush(port)  # from silence: sound at once, not after the buffer
            except VoicecoachError as exc:
                self._device_failed(exc.message)
                return
        self._overlays.append(_Overlay(samples))

    def _mix_overlays(self, block: np.ndarray) -> int:
        """Add the beeps into `block`; returns how many of its frames they reach."""
        reach = 0
        for ov in self._overlays:
            n = min(len(block), len(ov.samples) - ov.pos)
            block[:n] += ov.samples[ov.pos:ov.pos + n]
            ov.pos += n
            reach = max(reach, n)
        self._overlays = [ov for ov in self._overlays if ov.pos < len(ov.samples)]
        np.clip(block, -1.0, 1.0, out=block)
        return reach

    def _update_idle(self) -> None:
        if (self._current is None and not self._queue and not self._pending_ends
                and self._inbox.empty()):
            with self._submit_lock:
                if self._inbox.empty():
                    self._idle.set()

    # --- device ----------------------------------------------------------

    def _ensure_port(self) -> None:
        if self._port is not None or self.settings.muted:
            return
        now = self._clock()
        if now < self._next_retry:
            return
        self._next_retry = now + self.settings.retry_seconds
        try:
            self._port = self._port_factory(self.settings)
        except VoicecoachError as exc:
            self._fault("device", f"no sound output: {exc.message} (retrying)")
            return
        except Exception as exc:  # PortAudio can raise odd things while a server restarts
            log.exception("opening the output failed")
            self._fault("device", f"no sound output: {exc} (retrying)")
            return
        self._clear_fault("device", f"sound output: {self._port.device_name}")

    def _device_failed(self, message: str) -> None:
        self.stats.device_failures += 1
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()
        self._next_retry = self._clock() + self.settings.retry_seconds
        self._fault("device", f"sound output lost: {message} (retrying)")
        if self._current is not None:
            item, self._current = self._current, None
            self._end(item, self._clock(), completed=False)
        self._fire_due_ends(flush=True)

    def _fault(self, kind: str, text: str) -> None:
        if self._faults.get(kind) == text:
            return
        self._faults[kind] = text
        log.warning("%s", text)
        self._call(self.on_warning, text)

    def _clear_fault(self, kind: str, text: str = "") -> None:
        if self._faults.pop(kind, None) is not None and text:
            self._call(self.on_recovered, text)

    def _shutdown(self) -> None:
        self._drop_all()
        self._overlays.clear()
        self._fire_due_ends(flush=True)
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(Exception):
                port.close()
        self._idle.set()

    def _call(self, fn: Callable[..., None] | None, *args: object) -> None:
        if fn is None:
            return
        try:
            fn(*args)
        except Exception:
            log.exception("speaker callback %r failed", fn)
