"""A real audio loop for tests: a private PulseAudio daemon with a null sink.

What you get
------------
Whatever is played to the sounddevice device ``"pulse"`` (the ALSA pulse
plugin) goes into the null sink ``vsink``; recording from ``"pulse"`` reads
``vsink.monitor``, i.e. exactly what was played (bit-exact at the sink's
rate, ``LOOP_RATE`` = 48 kHz mono s16). So a test can play the coach's voice
and listen to it with a real recognizer, or check when sound really started
and stopped.

How to use it
-------------
In an area conftest::

    from tests.support.pulse import audio_loop  # noqa: F401  (re-export the fixture)

then in a test::

    @pytest.mark.audio
    def test_something(audio_loop):
        with audio_loop.record() as rec:          # background recorder thread
            ...play something to device audio_loop.device ("pulse")...
            rec.wait_for_sound(timeout=5)        # every wait is bounded
        spans = rec.sound_spans()                # [(t_start, t_end)] on time.monotonic()

``audio_loop`` is session-scoped and shared by every module that imports it
(one daemon per test run; starting one costs ~2.3 s, see below).
``loop.play(samples)`` plays float32 mono at 48 kHz and
returns the write time; ``tone()`` makes a sine. For a
private daemon (e.g. to kill it mid-test: a device that disappears) use
``with pulse_loop() as loop:`` directly; ``loop.stop_daemon()`` /
``loop.start_daemon()`` kill and restart it on the same socket, so an open
client can reconnect.

Starting a daemon takes ~2.3 s: an idle null sink sleeps up to 2 s before it
notices a new stream (measured: a first stream's writes stall 1.4-1.9 s), so
the daemon keeps the sink busy with a silent loopback (zeros: the loop stays
bit-exact) and a throwaway client absorbs the one stall before we hand it out.

Both skip the test (``pytest.skip``) with a clear reason when ``pulseaudio``
or ``pactl`` is not installed (``apt-get install pulseaudio pulseaudio-utils
libasound2-plugins``).

What it changes, and restores on exit
-------------------------------------
``XDG_RUNTIME_DIR``, ``PULSE_RUNTIME_PATH``, ``PULSE_SERVER`` and
``PULSE_CLIENTCONFIG`` (autospawn off) in ``os.environ``, so this process and
its children (``pactl``, ``espeak-ng``, ``paplay``) talk to the private
daemon. PortAudio is re-initialised (``sd._terminate(); sd._initialize()``)
after start and after stop so that sounddevice sees (or stops seeing) the
``pulse`` device: do not hold an open sounddevice stream across the fixture's
start or end. We run as root; the daemon gets ``-n`` (no default.pa), no
realtime, no shm, an anonymous-auth unix socket and its own HOME, and dies
with the test process even if that is killed. Its log is
``<runtime_dir>/pulseaudio.log`` (``VC_PULSE_LOG_LEVEL=debug`` for more).

Timestamps
----------
``Recorder`` stamps each block when the callback receives it
(``arrival``, time.monotonic()) and derives the monotonic time of every
sample from that (``t = arrival - (frames - i) / rate``). That is how an app's
mic code sees time, so comparing a speaker's ``on_start``/``on_end`` with
``sound_spans()`` measures the error the mic gate has to absorb. The input
latency of the loop (a few ms to a few tens of ms) is part of that error.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

LOOP_RATE = 48_000
"""Hertz: the null sink's rate; play at this rate for a bit-exact loop."""
LOOP_CHANNELS = 1
SINK = "vsink"
SOURCE = "vsink.monitor"
DEVICE = "pulse"
"""The sounddevice (PortAudio/ALSA) device name that reaches the daemon."""

_ENV_VARS = ("XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH", "PULSE_SERVER", "PULSE_CLIENTCONFIG")
_START_TIMEOUT = 10.0
"""Seconds to wait for the daemon to answer `pactl info`."""


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the test process dies, even by SIGKILL, so a
    crashed or killed test run never leaves a daemon behind (Linux only; best effort)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def pulse_available() -> str | None:
    """None if the loop can run here, else the reason it cannot (for pytest.skip)."""
    for tool in ("pulseaudio", "pactl"):
        if shutil.which(tool) is None:
            return f"{tool} not installed (apt-get install pulseaudio pulseaudio-utils)"
    if not Path("/usr/share/alsa/alsa.conf.d/pulse.conf").exists() and not any(
        Path("/etc/alsa/conf.d").glob("*pulse*")
    ):
        return "ALSA pulse plugin not installed (apt-get install libasound2-plugins)"
    return None


def reinit_portaudio() -> None:
    """Make sounddevice re-enumerate devices (PortAudio lists them once, at init)."""
    import sounddevice as sd

    sd._terminate()
    sd._initialize()


@dataclass
class Recorder:
    """Records the loop's monitor in PortAudio's callback thread, with timestamps."""

    device: str | int = DEVICE
    rate: int = LOOP_RATE
    blocksize: int = 480
    """Frames per callback (10 ms at 48 kHz)."""
    _blocks: list[np.ndarray] = field(default_factory=list)
    _arrivals: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stream: object | None = None
    overflows: int = 0

    def start(self) -> Recorder:
        import sounddevice as sd

        def callback(indata: np.ndarray, frames: int, _time: object, status: object) -> None:
            now = time.monotonic()
            with self._lock:
                if status:
                    self.overflows += 1
                self._blocks.append(indata[:, 0].copy())
                self._arrivals.append(now)

        stream = sd.InputStream(
            device=self.device, samplerate=self.rate, channels=1, dtype="float32",
            blocksize=self.blocksize, latency="low", callback=callback,
        )
        stream.start()
        self._stream = stream
        return self

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()  # type: ignore[attr-defined]
            stream.close()  # type: ignore[attr-defined]

    def __enter__(self) -> Recorder:
        return self.start() if self._stream is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- reading what was recorded -------------------------------------

    def snapshot(self) -> tuple[np.ndarray, np.ndarray]:
        """(samples float32 mono, monotonic time of each sample)."""
        with self._lock:
            blocks = list(self._blocks)
            arrivals = list(self._arrivals)
        if not blocks:
            return np.zeros(0, np.float32), np.zeros(0)
        times = [
            arrival - (len(b) - np.arange(len(b))) / self.rate
            for b, arrival in zip(blocks, arrivals, strict=True)
        ]
        return np.concatenate(blocks), np.concatenate(times)

    def samples(self) -> np.ndarray:
        return self.snapshot()[0]

    def sound_spans(self, threshold: float = 0.01,
                    min_gap: float = 0.25) -> list[tuple[float, float]]:
        """Monotonic (start, end) of each stretch louder than `threshold` (peak, 0..1).

        Gaps shorter than `min_gap` seconds (pauses between words) are joined.
        """
        data, times = self.snapshot()
        loud = np.flatnonzero(np.abs(data) > threshold)
        if loud.size == 0:
            return []
        spans: list[tuple[float, float]] = []
        start = prev = times[loud[0]]
        for t in times[loud[1:]]:
            if t - prev > min_gap:
                spans.append((float(start), float(prev)))
                start = t
            prev = t
        spans.append((float(start), float(prev)))
        return spans

    def first_sound_after(self, t: float, threshold: float = 0.01) -> float | None:
        """Monotonic time of the first loud sample at or after `t`."""
        data, times = self.snapshot()
        idx = np.flatnonzero((times >= t) & (np.abs(data) > threshold))
        return float(times[idx[0]]) if idx.size else None

    def last_sound_after(self, t: float, threshold: float = 0.01) -> float | None:
        """Monotonic time of the last loud sample at or after `t`."""
        data, times = self.snapshot()
        idx = np.flatnonzero((times >= t) & (np.abs(data) > threshold))
        return float(times[idx[-1]]) if idx.size else None

    def peak_between(self, t0: float, t1: float) -> float:
        data, times = self.snapshot()
        sel = data[(times >= t0) & (times < t1)]
        return float(np.abs(sel).max()) if sel.size else 0.0

    def recorded_until(self) -> float:
        with self._lock:
            return self._arrivals[-1] if self._arrivals else float("-inf")

    def wait_until(self, t: float, timeout: float = 5.0) -> bool:
        """Wait until audio up to monotonic time `t` has been recorded."""
        deadline = time.monotonic() + timeout
        while self.recorded_until() < t:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def wait_for_sound(self, timeout: float = 5.0, threshold: float = 0.01,
                       after: float | None = None) -> float | None:
        """Monotonic time of the first loud sample (after `after`), or None on timeout."""
        after = time.monotonic() if after is None else after
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            t = self.first_sound_after(after, threshold)
            if t is not None:
                return t
            time.sleep(0.01)
        return None

    def wait_for_silence(self, seconds: float, timeout: float = 10.0,
                         threshold: float = 0.01) -> bool:
        """Wait until the last `seconds` of the recording are quiet."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = self.recorded_until()
            if now > -1 and self.peak_between(now - seconds, now + 1) <= threshold:
                times = self.snapshot()[1]
                if times.size and times[0] <= now - seconds:
                    return True
            time.sleep(0.02)
        return False


@dataclass
class PulseLoop:
    """A running private PulseAudio daemon with a null sink; see the module docstring."""

    runtime_dir: Path
    rate: int = LOOP_RATE
    device: str = DEVICE
    sink: str = SINK
    source: str = SOURCE
    process: subprocess.Popen[bytes] | None = None

    @property
    def socket(self) -> Path:
        return self.runtime_dir / "pulse" / "native"

    @property
    def env(self) -> dict[str, str]:
        """The variables that point a client at this daemon."""
        return {
            "XDG_RUNTIME_DIR": str(self.runtime_dir),
            "PULSE_RUNTIME_PATH": str(self.runtime_dir / "pulse"),
            "PULSE_SERVER": f"unix:{self.socket}",
            "PULSE_CLIENTCONFIG": str(self.runtime_dir / "client.conf"),
        }

    def pactl(self, *args: str, timeout: float = 5.0) -> str:
        out = subprocess.run(
            ["pactl", *args], env={**os.environ, **self.env}, capture_output=True,
            text=True, timeout=timeout, check=True,
        )
        return out.stdout

    def start_daemon(self) -> None:
        """Start (or restart) the daemon on the same socket, and wait until it answers."""
        if self.process is not None and self.process.poll() is None:
            return
        (self.runtime_dir / "pulse").mkdir(parents=True, exist_ok=True)
        (self.runtime_dir / "client.conf").write_text("autospawn = no\n")
        home = self.runtime_dir / "home"
        home.mkdir(exist_ok=True)
        log = (self.runtime_dir / "pulseaudio.log").open("ab")
        cmd = [
            "pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit",
            "--system=no", "--realtime=no", "--high-priority=no", "--disable-shm=yes",
            "--use-pid-file=no", "--log-target=stderr",
            "--log-level=" + os.environ.get("VC_PULSE_LOG_LEVEL", "warning"),
            "-L", "module-native-protocol-unix auth-anonymous=1",
            "-L", f"module-null-sink sink_name={self.sink} rate={self.rate} "
                  f"channels={LOOP_CHANNELS} format=s16le",
            # Keep the sink running: an idle null sink sleeps up to 2 s and only notices a
            # new stream when it wakes (measured: the first writes stall 1.4-1.9 s). A
            # loopback of a silent source adds zeros, so the loop stays bit-exact.
            "-L", f"module-null-source source_name=vc_silence rate={self.rate} "
                  f"channels={LOOP_CHANNELS} format=s16le",
            "-L", f"module-loopback source=vc_silence sink={self.sink} latency_msec=10 "
                  "source_dont_move=true sink_dont_move=true",
        ]
        env = {**os.environ, **self.env, "HOME": str(home)}
        self.process = subprocess.Popen(
            cmd, env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_die_with_parent,
        )
        log.close()
        deadline = time.monotonic() + _START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                text = (self.runtime_dir / "pulseaudio.log").read_text(errors="replace")
                raise RuntimeError(f"pulseaudio exited ({self.process.returncode}): {text[-500:]}")
            try:
                self.pactl("info", timeout=2.0)
                break
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                if time.monotonic() > deadline:
                    self.stop_daemon()
                    raise RuntimeError("pulseaudio did not answer within 10 s") from None
                time.sleep(0.05)
        self.pactl("set-default-sink", self.sink)
        self.pactl("set-default-source", self.source)
        self._warm_up()

    def _warm_up(self) -> None:
        """Absorb the null sink's one-time wake-up stall (~1.9 s, measured) with a throwaway
        client, so the first stream a test opens starts at once."""
        if shutil.which("pacat") is None:
            return
        silence = bytes(2 * self.rate // 10)
        subprocess.run(
            ["pacat", "--playback", "--raw", f"--rate={self.rate}", f"--channels={LOOP_CHANNELS}",
             "--format=s16le", "--latency-msec=10"],
            input=silence, env={**os.environ, **self.env}, timeout=10, check=False,
            capture_output=True,
        )

    def stop_daemon(self) -> None:
        """Kill the daemon (a device that disappears). Clients see their streams fail."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def record(self, blocksize: int = 480) -> Recorder:
        """A recorder of the monitor; use as a context manager (starts on enter)."""
        return Recorder(device=self.device, rate=self.rate, blocksize=blocksize)

    def play(self, samples: np.ndarray, rate: int | None = None, lead: float = 0.1) -> float:
        """Play float32 mono samples to the sink (blocking); returns the monotonic write time.

        Writes `lead` seconds of silence first so the stream is running when the
        samples go out (sd.play's default high latency adds over a second here).
        """
        import sounddevice as sd

        rate = rate or self.rate
        with sd.OutputStream(device=self.device, samplerate=rate, channels=1, dtype="float32",
                             latency="low", blocksize=rate // 100) as stream:
            stream.write(np.zeros((int(lead * rate), 1), np.float32))
            t = time.monotonic()
            stream.write(np.ascontiguousarray(samples, dtype=np.float32).reshape(-1, 1))
            stream.write(np.zeros((int(lead * rate), 1), np.float32))
        return t


@contextlib.contextmanager
def pulse_loop(runtime_dir: Path | None = None) -> Iterator[PulseLoop]:
    """Start a private daemon, point this process at it, and undo everything on exit.

    Skips the calling test when PulseAudio is not installed.
    """
    reason = pulse_available()
    if reason:
        pytest.skip(f"audio loop unavailable: {reason}")
    own_dir = runtime_dir is None
    base = Path(tempfile.mkdtemp(prefix="vc-pulse-")) if runtime_dir is None else runtime_dir
    base.chmod(0o700)
    loop = PulseLoop(runtime_dir=base)
    saved = {k: os.environ.get(k) for k in _ENV_VARS}
    try:
        os.environ.update(loop.env)
        loop.start_daemon()
        reinit_portaudio()
        yield loop
    finally:
        loop.stop_daemon()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        with contextlib.suppress(Exception):
            reinit_portaudio()
        if own_dir:
            shutil.rmtree(base, ignore_errors=True)


_shared_stack: contextlib.ExitStack | None = None
_shared_loop: PulseLoop | None = None
_shared_users = 0


@pytest.fixture(scope="session")
def audio_loop() -> Iterator[PulseLoop]:
    """One private PulseAudio loop for the whole test session (see module docstring).

    pytest makes a separate session fixture for every module that imports this
    one, so the daemon is shared by reference count: the first user starts it,
    the last one's teardown stops it.
    """
    global _shared_stack, _shared_loop, _shared_users
    if _shared_loop is None:
        stack = contextlib.ExitStack()
        _shared_loop = stack.enter_context(pulse_loop())
        _shared_stack = stack
    _shared_users += 1
    try:
        yield _shared_loop
    finally:
        _shared_users -= 1
        if _shared_users == 0 and _shared_stack is not None:
            stack, _shared_stack, _shared_loop = _shared_stack, None, None
            stack.close()


def tone(freq: float = 440.0, seconds: float = 0.5, rate: int = LOOP_RATE,
         amplitude: float = 0.5) -> np.ndarray:
    """A plain sine, float32, for loop checks."""
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
