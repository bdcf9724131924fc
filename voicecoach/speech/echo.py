"""Acoustic echo cancellation: the coach's own voice out of the mic, so a person can talk over it.

Why in-process, with libspeexdsp: the speaker knows every sample it plays and
when it sounds (`voicecoach.voice.speaker`), so the canceller gets an exact
reference without routing audio through a sound server; libspeexdsp (Xiph's
MDF echo canceller plus its residual-echo suppressor) is a Debian/Raspberry Pi
OS package (`libspeexdsp1`), loaded here through ctypes (no build step, no
wheel to find for aarch64). Measured against the alternatives in bench/echo.md.

How the two clocks meet: the speaker publishes each block it writes with the
monotonic time its first sample sounds (`EchoReference.push`); a flush (a cut)
withdraws what was written but never played (`EchoReference.cut`). The mic
side knows only when a chunk *arrived*; a chunk's capture time is estimated as
its arrival minus its length, keeping the smallest such offset over a sliding
window (the least-delayed arrival), so a listen thread that lags behind does
not shift the mic's timeline. The reference for a mic stretch is what sounded
`lead_s` earlier; the adaptive filter (`tail_s` long) absorbs the rest of the
delay (output and input latency, the room's path and its reverb).

This module does not import the voice layer: the shell wires the speaker's tap
to `EchoReference` (speech and voice never import each other).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from voicecoach.errors import VoicecoachError

RATE = 16000
"""Hertz of the mic chunks (the recognizers' rate) and of the canceller."""
FRAME = 160
"""Samples per canceller frame: 10 ms."""

_ECHO_SET_SAMPLING_RATE = 24
_PP_SET_DENOISE = 0
_PP_SET_AGC = 2
_PP_SET_VAD = 4
_PP_SET_DEREVERB = 8
_PP_SET_NOISE_SUPPRESS = 18
_PP_SET_ECHO_SUPPRESS = 20
_PP_SET_ECHO_SUPPRESS_ACTIVE = 22
_PP_SET_ECHO_STATE = 24

_lib: Any = None
_lib_lock = threading.Lock()


class EchoCancellerUnavailable(VoicecoachError):
    """libspeexdsp is missing: echo cancellation cannot be turned on."""


def _speexdsp() -> Any:
    global _lib
    with _lib_lock:
        if _lib is not None:
            return _lib
        names = [n for n in (ctypes.util.find_library("speexdsp"), "libspeexdsp.so.1",
                             "libspeexdsp.dylib") if n]
        lib = None
        for name in names:
            try:
                lib = ctypes.CDLL(name)
                break
            except OSError:
                continue
        if lib is None or not hasattr(lib, "speex_echo_state_init"):
            raise EchoCancellerUnavailable(
                "echo cancellation needs libspeexdsp (apt-get install libspeexdsp1)")
        vp = ctypes.c_void_p
        lib.speex_echo_state_init.restype = vp
        lib.speex_echo_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.speex_echo_state_destroy.argtypes = [vp]
        lib.speex_echo_cancellation.argtypes = [vp, vp, vp, vp]
        lib.speex_echo_ctl.argtypes = [vp, ctypes.c_int, vp]
        lib.speex_preprocess_state_init.restype = vp
        lib.speex_preprocess_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.speex_preprocess_state_destroy.argtypes = [vp]
        lib.speex_preprocess_run.argtypes = [vp, vp]
        lib.speex_preprocess_ctl.argtypes = [vp, ctypes.c_int, vp]
        _lib = lib
        return lib


def available() -> str | None:
    """None if the canceller can run here, else why not (one line)."""
    try:
        _speexdsp()
    except EchoCancellerUnavailable as exc:
        return exc.message
    return None


class SpeexEcho:
    """libspeexdsp's echo canceller + residual echo suppressor, 16 kHz int16, 10 ms frames.

    The suppressor only works with speex's own noise estimate switched on (it
    applies the echo gain together with the noise gain); the noise reduction is
    kept mild (`noise_db`), the real front end comes after this.
    """

    def __init__(self, tail_s: float = 0.3, suppress_db: int = -40,
                 suppress_active_db: int = -15, noise_db: int = -6) -> None:
        lib = _speexdsp()
        self._lib = lib
        self._echo = lib.speex_echo_state_init(FRAME, int(tail_s * RATE))
        rate = ctypes.c_int(RATE)
        lib.speex_echo_ctl(self._echo, _ECHO_SET_SAMPLING_RATE, ctypes.byref(rate))
        self._pre = lib.speex_preprocess_state_init(FRAME, RATE)
        for request, value in ((_PP_SET_AGC, 0), (_PP_SET_DEREVERB, 0),
                               (_PP_SET_DENOISE, 1), (_PP_SET_NOISE_SUPPRESS, noise_db),
                               (_PP_SET_ECHO_SUPPRESS, suppress_db),
                               (_PP_SET_ECHO_SUPPRESS_ACTIVE, suppress_active_db)):
            v = ctypes.c_int(value)
            lib.speex_preprocess_ctl(self._pre, request, ctypes.byref(v))
        lib.speex_preprocess_ctl(self._pre, _PP_SET_ECHO_STATE, ctypes.c_void_p(self._echo))
        self._out = np.zeros(FRAME, np.int16)

    def process(self, mic: np.ndarray, ref: np.ndarray) -> np.ndarray:
        """Residual of `mic` (int16) given `ref` (int16, same length, whole frames)."""
        lib = self._lib
        mic = np.ascontiguousarray(mic, np.int16)
        ref = np.ascontiguousarray(ref, np.int16)
        res = np.empty_like(mic)
        out = self._out
        for i in range(0, len(mic) - FRAME + 1, FRAME):
            lib.speex_echo_cancellation(self._echo, mic[i:].ctypes.data, ref[i:].ctypes.data,
                                        out.ctypes.data)
            lib.speex_preprocess_run(self._pre, out.ctypes.data)
            res[i:i + FRAME] = out
        return res

    def close(self) -> None:
        if self._pre:
            self._lib.speex_preprocess_state_destroy(self._pre)
            self._pre = None
        if self._echo:
            self._lib.speex_echo_state_destroy(self._echo)
            self._echo = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown: the library may be gone
            self.close()


class EchoReference:
    """What the speaker played, on the monotonic clock; thread-safe (speaker writes, mic reads).

    Kept at 16 kHz in contiguous segments; a flush starts a new one. Only the
    last `keep_s` seconds are held.
    """

    def __init__(self, keep_s: float = 3.0) -> None:
        self.keep_s = keep_s
        self._lock = threading.Lock()
        self._segments: deque[tuple[float, np.ndarray]] = deque()
        self._resampler: Any = None
        self._rate = 0
        self._next_t = float("-inf")
        self.last_sound = float("-inf")
        """When the last non-silent sample pushed sounds (for `speaking` checks)."""

    def push(self, samples: np.ndarray, rate: int, t: float) -> None:
        """A block the speaker wrote (mono float32 at `rate`), its first sample sounding at `t`."""
        import soxr

        with self._lock:
            contiguous = rate == self._rate and abs(t - self._next_t) < 0.002
            if not contiguous or self._resampler is None:
                self._resampler = soxr.ResampleStream(rate, RATE, 1, dtype="float32")
                self._rate = rate
                start = t
            else:
                last_t, last = self._segments[-1]
                start = last_t + len(last) / RATE
            out = self._resampler.resample_chunk(np.asarray(samples, np.float32))
            self._next_t = t + len(samples) / rate
            if np.any(np.abs(samples) > 1e-4):
                self.last_sound = max(self.last_sound, self._next_t)
            if contiguous and self._segments:
                last_t, last = self._segments[-1]
                self._segments[-1] = (last_t, np.concatenate([last, out]))
            else:
                self._segments.append((start, out))
            self._trim(self._next_t - self.keep_s)

    def cut(self, t: float) -> None:
        """The speaker flushed at `t`: what was written to sound after `t` never will."""
        with self._lock:
            kept: deque[tuple[float, np.ndarray]] = deque()
            for start, seg in self._segments:
                if start >= t:
                    continue
                n = int((t - start) * RATE)
                kept.append((start, seg[:n]))
            self._segments = kept
            self._resampler = None
            self._next_t = float("-inf")
            self.last_sound = min(self.last_sound, t)

    def _trim(self, before: float) -> None:
        while self._segments and self._segments[0][0] + len(self._segments[0][1]) / RATE < before:
            self._segments.popleft()

    def between(self, t0: float, n: int) -> np.ndarray:
        """`n` samples (float32, 16 kHz) of what sounded from `t0` on; silence where nothing did."""
        out = np.zeros(n, np.float32)
        with self._lock:
            for start, seg in self._segments:
                a = round((t0 - start) * RATE)  # index in seg of out[0]
                lo, hi = max(0, a), min(len(seg), a + n)
                if hi > lo:
                    out[lo - a:hi - a] = seg[lo:hi]
        return out


class EchoCanceller:
    """Mic chunks in, the coach's echo taken out: `process(pcm, arrived_at)`.

    One per mic stream, called from the listen thread only. `erle_db` says how
    much of the coach's voice it currently removes (smoothed, while the coach
    sounds); the gate trusts full-duplex listening only once it is `converged`.

    Why a delay tracker: the two timelines are estimates (a write's "sounds at"
    ignores the device's buffer; an underrun in the sound server delays the
    rest of an utterance without anyone saying so). Measured in the PulseAudio
    loop on a loaded machine, the echo wandered 40-56 ms from one second to the
    next, and the canceller removed 3-8 dB instead of 30+. So every
    `track_every_s` while the coach sounds, the lag of the echo behind the
    reference is measured (GCC-PHAT over the last `track_window_s`) and, when
    two measurements agree, the reference is re-aligned, keeping the echo's
    direct path `margin_s` into the filter.
    """

    def __init__(self, reference: EchoReference | None = None, *, delay_s: float = 0.05,
                 margin_s: float = 0.02, tail_s: float = 0.3, converged_db: float = 20.0,
                 max_lag_s: float = 0.3, track_every_s: float = 0.25,
                 track_window_s: float = 0.5,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.reference = reference if reference is not None else EchoReference()
        self.delay_s = delay_s
        """Seconds the echo's direct path trails the reference's timeline (tracked)."""
        self.margin_s = margin_s
        self.converged_db = converged_db
        self.max_lag_s = max_lag_s
        self.track_every_s = track_every_s
        self.track_window_s = track_window_s
        self._clock = clock
        self._aec = SpeexEcho(tail_s=tail_s)
        self._offset: float | None = None
        """Arrival minus stream time of the least-delayed chunk so far: the capture clock."""
        self._last_arrival = 0.0
        self._samples = 0
        self._history: deque[tuple[float, np.ndarray]] = deque()
        """(capture time, raw mic float32): the last `track_window_s`, for the tracker."""
        self._since_track = 0.0
        self._candidate: float | None = None
        self.delays: list[float] = []
        """Every delay adopted (seconds), for the benchmark."""
        self._recent_ref = 0
        """Chunks left to keep cancelling after the reference fell silent (the room's tail)."""
        self._converged = False
        self.erle_db = 0.0
        self.cpu_s = 0.0
        """Thread CPU seconds spent cancelling and tracking (for the benchmark)."""
        self.processed_s = 0.0

    @property
    def converged(self) -> bool:
        """Has it removed `converged_db` of the coach's voice yet? Latched: while a person talks
        over the coach the measured figure drops (their voice is not echo), not the filter."""
        return self._converged

    def capture_time(self, arrived: float, n: int) -> float:
        """Estimated monotonic time of the first of the next `n` samples (arrived at `arrived`).

        The smallest arrival-minus-stream-time seen is the capture clock plus the
        least input delay; it may creep up by 0.1 ms a second (the clocks drift).
        """
        self._samples += n
        offset = arrived - self._samples / RATE
        if self._offset is None:
            self._offset = offset
        else:
            leak = 1e-4 * max(0.0, arrived - self._last_arrival)
            self._offset = min(self._offset + leak, offset)
        self._last_arrival = arrived
        return self._offset + (self._samples - n) / RATE

    def process(self, pcm: bytes, arrived: float | None = None) -> bytes:
        """The residual of one chunk (16 kHz mono int16) whose last sample arrived at `arrived`.

        Chunks are whole 10 ms frames (the sources give 50 ms); a ragged end
        passes through untouched.
        """
        arrived = self._clock() if arrived is None else arrived
        began = time.thread_time()
        mic = np.frombuffer(pcm, np.int16)
        n = len(mic)
        t0 = self.capture_time(arrived, n)
        self._remember(t0, mic)
        usable = n // FRAME * FRAME
        ref = self.reference.between(t0 - self.delay_s + self.margin_s, usable)
        out = mic
        sounding = bool(np.any(ref))
        if usable and (sounding or self._recent_ref):
            # Also run through the reference's silence for a while, so the filter's own
            # state follows the room's tail; idle otherwise (nothing to cancel).
            ref16 = (np.clip(ref, -1.0, 1.0) * 32767).astype(np.int16)
            res = self._aec.process(mic[:usable], ref16)
            out = np.concatenate([res, mic[usable:]])
            if sounding:
                e_in = float(np.mean(mic[:usable].astype(np.float64) ** 2)) + 1.0
                e_out = float(np.mean(res.astype(np.float64) ** 2)) + 1.0
                self.erle_db += 0.1 * (10.0 * np.log10(e_in / e_out) - self.erle_db)
                self._converged = self._converged or self.erle_db >= self.converged_db
            self._recent_ref = 50 if sounding else self._recent_ref - 1
        self._since_track += n / RATE
        if sounding and self._since_track >= self.track_every_s:
            self._since_track = 0.0
            self._track()
        self.cpu_s += time.thread_time() - began
        self.processed_s += n / RATE
        return out.astype(np.int16, copy=False).tobytes()

    def _remember(self, t0: float, mic: np.ndarray) -> None:
        self._history.append((t0, mic.astype(np.float32)))
        while self._history and t0 - self._history[0][0] > self.track_window_s:
            self._history.popleft()

    def _track(self) -> None:
        """Measure the echo's lag behind the reference (GCC-PHAT); adopt it when confirmed."""
        if len(self._history) < 2:
            return
        start = self._history[0][0]
        m = np.concatenate([x for _, x in self._history])
        if float(np.sqrt(np.mean(m ** 2))) < 30.0:  # about -60 dBFS: no echo to measure
            return
        lo, hi = -0.05, self.max_lag_s  # lags searched, seconds
        r = self.reference.between(start - hi, len(m) + int((hi - lo) * RATE))
        if float(np.sqrt(np.mean(r ** 2))) < 1e-3:
            return
        size = 1 << int(np.ceil(np.log2(len(m) + len(r))))
        cross = np.fft.rfft(r, size) * np.conj(np.fft.rfft(m, size))
        cc = np.fft.irfft(cross / (np.abs(cross) + 1e-9), size)[: int((hi - lo) * RATE)]
        j = int(np.argmax(cc))
        if cc[j] < 6.0 * float(np.median(np.abs(cc))) + 1e-9:
            return  # no clear echo path (the person talking, or noise)
        lag = hi - j / RATE  # the echo trails the reference's timeline by this much
        if abs(lag - self.delay_s) <= 0.0015:
            self._candidate = None
            return
        if self._candidate is not None and abs(lag - self._candidate) <= 0.0015:
            self.delay_s = lag
            self.delays.append(round(lag, 4))
            self._candidate = None
        else:
            self._candidate = lag

    def close(self) -> None:
        self._aec.close()


OVER_ECHO_DB = -3.0
"""Full duplex: an utterance whose loudest frames are more than this far below the coach's
reference is the coach's leftover (`ResidualGate.leftover`; measured in bench/echo.md)."""
SILENT_DB = 30.0
"""A reference frame below this (dB of int16 power, about -60 dBFS) is the coach silent."""


class ResidualGate:
    """While the coach sounds, silence what is no louder than what is left of its echo.

    Why: a canceller leaves a residue (measured in the loop: 20-35 dB below the
    echo, and bursts when a cue starts), and the recognizer's voice detector
    takes that residue for speech: an utterance then runs from the coach's
    leftover into the person's word, and is rejected as "unexplained speech".
    The person, speaking over the coach, is far louder than the residue. So
    while the reference says the coach sounds (or did within `tail_s`), each
    20 ms frame less than `margin_db` above the residue's own level (its
    `quantile` frame over the last `window_s` of coach) is zeroed; a frame that
    passes keeps the next `hold_s` open, so a word's soft ending is not cut.
    Outside the coach's speech the audio passes untouched.

    Why the 95th percentile, not the median: the sound server's canceller
    outputs digital silence between bursts of leftover, so the median frame was
    -83 dBFS and every burst (-51 dBFS at the 90th percentile, -38 at the 99th,
    measured in the loop) passed. With the 95th and 10 dB, commands over the coach
    were heard as often (replayed loop, 4-6 of 30) and the coach's own voice
    triggered 4 commands over 92 texts instead of 7 (one loop run each).
    """

    def __init__(self, reference: EchoReference, *, margin_db: float = 10.0,
                 tail_s: float = 0.4, window_s: float = 3.0, hold_s: float = 0.15,
                 lead_s: float = 0.3, quantile: float = 0.95,
                 over_echo_db: float = OVER_ECHO_DB, reach_s: float = 0.5,
                 ahead_s: float = 0.02, keep_s: float = 8.0) -> None:
        self.reference = reference
        self.margin_db = margin_db
        self.quantile = quantile
        """Which level of the leftover counts as its own (0.5: the median 20 ms frame)."""
        self.tail_s = tail_s
        self.hold_s = hold_s
        self.lead_s = lead_s
        """Seconds the echo may trail the reference's timeline (device and room)."""
        self._levels: deque[float] = deque(maxlen=int(window_s / 0.02))
        self._open = 0
        self.zeroed_s = 0.0
        self.over_echo_db = over_echo_db
        self.reach_s = reach_s
        self._frames: deque[tuple[float, float, float, float]] = deque(
            maxlen=int(keep_s / 0.02))
        """(time on the listener's clock, when it was captured (`CaptureClock`), mic level,
        the coach's level when it was captured) of each 20 ms frame, both levels in dB of
        int16 power, before any zeroing: what `leftover` judges an utterance by."""
        self.clock = CaptureClock()
        """Mic chunks carry no capture time: estimated from their arrival (see there)."""
        self.ahead_s = ahead_s
        """Seconds of the coach's reference past the last frame that `over_echo` also counts:
        its times are estimates, and stamped on arrival (10-20 ms late) the frames used to
        look that far ahead; without it, a cue's first syllable left one stray duck in 12
        minutes of replayed loop (bench/echo.md, sixth round)."""

    def process(self, pcm: bytes, arrived: float, capture_start: float | None = None) -> bytes:
        x = np.frombuffer(pcm, np.int16)
        n = len(x)
        start = self.clock.capture_start(arrived, n) if capture_start is None else capture_start
        heard = arrived - n / RATE  # the listener's clock (it stamps chunks as they arrive)
        # The coach's sound that can reach these samples: from lead_s before to tail_s after.
        ref = self.reference.between(start - self.lead_s - self.tail_s,
                                     n + int((self.lead_s + self.tail_s) * RATE))
        frame = 320
        own = ref[len(ref) - n:] * 32768.0  # the coach's samples for these very frames
        starts = range(0, n - frame + 1, frame)
        levels = [_db(x[i:i + frame]) for i in starts]
        for i, level in zip(starts, levels, strict=True):
            self._frames.append((heard + i / RATE, start + i / RATE, level,
                                 _db(own[i:i + frame])))
        if not np.any(np.abs(ref) > 1e-4):
            self._open = 0
            return pcm
        out = x.copy()
        hold = int(self.hold_s / 0.02)
        for i, level in zip(starts, levels, strict=True):
            floor = (float(np.quantile(self._levels, self.quantile))
                     if len(self._levels) >= 10 else None)
            loud = floor is not None and level >= floor + self.margin_db
            if not loud:
                self._levels.append(level)
            if loud:
                self._open = hold
            elif self._open > 0:
                self._open -= 1
            else:
                out[i:i + frame] = 0
                self.zeroed_s += frame / RATE
        return out.tobytes()

    def leftover(self, onset: float, end: float) -> bool:
        """Is an utterance heard from `onset` to `end` (the listener's clock) no louder than the
        coach's own leftover could be? Then it is the coach, whatever it decoded to.

        Why by level and not by confidence: measured in the loop (`system`), the leftover
        decoded to phrases at confidence 0.7-1.0 while real commands over the coach scored
        0.3-0.6, but no utterance of the leftover came within 4.8 dB of the coach's
        reference (224 over two runs of the 92 texts of both routines; most 10-20 dB under),
        while real people's commands said at +6 dB over the coach scored -0.8 to +7.7 dB.
        The score (`over_echo`): the utterance's second-loudest 20 ms frame (one click is
        not a voice) minus the loudest frame of what the coach played from `reach_s` before
        the utterance to its end (the echo trails the reference by the device's and the
        room's delay, and the canceller's leftover outlasts a word by its reverb). Under
        `over_echo_db`: the coach's. Nothing is judged when the coach was silent all that
        time.

        Limit: the score is against the reference, so it assumes the coach reaches the mic
        at about the level it is played at (as in the measuring loop). Where a quiet
        speaker or a far mic makes the echo much weaker, a person over the coach scores
        lower too and is judged as without cancellation (only a confident "stop"/"pause",
        `MicGate.allows`); where a loud speaker sits by the mic, the leftover scores higher.
        Learning the room's echo level from the leftover at each cue's start was measured
        and is too unsteady (bench/echo.md).
        """
        score = self.over_echo(onset, end)
        return score is not None and score < self.over_echo_db

    def over_echo(self, onset: float, end: float) -> float | None:
        """dB the utterance's loudest frames stand over the coach's (see `leftover`); None
        if the coach was silent then (or the frames are gone)."""
        pad = 0.1
        lo, hi = onset - pad, max(end, onset + 0.1) + pad
        mine = [(m, c) for t, c, m, _ in self._frames if lo <= t < hi]
        if len(mine) < 2:
            return None
        # The coach's level around when those frames were captured, not when they arrived: a
        # listen thread that stalls gets half a second of the coach's leftover at once.
        first, last = min(c for _, c in mine), max(c for _, c in mine)
        coach = max((r for _, c, _, r in self._frames
                     if first - self.reach_s - pad <= c <= last + pad), default=0.0)
        if self.ahead_s > 0:
            ahead = self.reference.between(last + 0.02, int(self.ahead_s * RATE) // 320 * 320)
            coach = max([coach] + [_db(f * 32768.0) for f in ahead.reshape(-1, 320)])
        if coach < SILENT_DB:
            return None
        return sorted(m for m, _ in mine)[-2] - coach


class CaptureClock:
    """When a mic chunk was captured, from when it arrived: the arrival minus the stream time
    of the least-delayed chunk of the last `window_s` (the capture clock plus the least input
    delay), as `EchoCanceller.capture_time` but over a sliding window.

    Why: a listen thread that stalls (a long decode, a loaded machine) gets the next half
    second of audio at once, and a chunk stamped on arrival is compared with the coach of
    half a second later: measured in the loop, such stalls (up to 0.6 s, 1.4 % of chunks
    lagging 0.1 s or more at load 0.9) were what made the coach duck with nobody talking
    (bench/echo.md, sixth round). Why a window: the sound server's stream runs up to 0.14 %
    slower than the monotonic clock (measured: 0.5 s over 6 minutes), and a reopened stream
    starts anew; a stall longer than the window is taken as the new normal (as before: the
    arrival time).
    """

    def __init__(self, window_s: float = 4.0) -> None:
        self.window_s = window_s
        self._samples = 0
        self._offsets: deque[tuple[float, float]] = deque()
        """(arrival, arrival minus stream time): increasing offsets, the least first."""

    def capture_start(self, arrived: float, n: int) -> float:
        """Estimated time of the first of `n` samples whose last arrived at `arrived`."""
        if self._offsets and arrived - self._offsets[-1][0] > self.window_s:
            self._offsets.clear()  # nothing for a while: a new stream
        self._samples += n
        offset = arrived - self._samples / RATE
        while self._offsets and self._offsets[-1][1] >= offset:
            self._offsets.pop()
        self._offsets.append((arrived, offset))
        while arrived - self._offsets[0][0] > self.window_s:
            self._offsets.popleft()
        return self._offsets[0][1] + (self._samples - n) / RATE


def _db(x: np.ndarray) -> float:
    """Power of a frame in dB of int16 units (0 for digital silence)."""
    return 10.0 * float(np.log10(float(np.mean(np.asarray(x, np.float64) ** 2)) + 1.0))
