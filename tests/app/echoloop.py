"""Talking over the coach in the real audio loop (issue 16): shared by tests/app/test_echo.py and
scripts/bench_echo.py.

What is real: the `Speaker` (espeak-ng, its output stream into the PulseAudio
null sink), the mic stream on the sink's monitor (`MicSource`, so the coach
reaches the mic with the loop's real output and input latency), the echo
canceller fed from the speaker's own tap, the `Ears` (listen thread, gate,
recognizer), and recordings of real people (`../shared/speech-corpus/`).

What is simulated, because a null sink has no air: the room. `RoomMic` passes
the monitor through a room's impulse response (a 40 ms path and a 0.25 s
decaying reverb, at a level a mic a couple of metres from the speaker would
get) and adds what the person says at a chosen level relative to the coach's
voice at the mic, plus a faint noise floor. `Collector` stands in for the
session (no coach runs: this measures what the ears let through).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tests.app.selftrigger import Collector as SelfTriggerCollector
from voicecoach.shell.ears import DUCK_GAIN
from voicecoach.speech.audio import MicSource, wav_pcm16k

SR = 16000
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "speech-corpus" / "clips"
WORDS = ("stop", "go", "yes", "no", "up", "down", "left", "right", "on", "off")
"""Real people's command words in the corpus (Speech Commands)."""
ECHO_DBFS = -34.0
"""The coach's voice at the mic, active-speech RMS (a speaker a couple of metres away)."""
NOISE_DBFS = -65.0
QUEUE_SECONDS = 0.1
OUTPUT_LATENCY = 0.2


def room_ir(delay_s: float = 0.04, rt60: float = 0.25, seed: int = 1) -> np.ndarray:
    """A room: the direct path after `delay_s`, then exponentially decaying diffuse reverb."""
    rng = np.random.default_rng(seed)
    n = int(0.3 * SR)
    t = np.arange(n) / SR
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60) * 0.25
    tail[: int(0.003 * SR)] = 0.0
    d = int(delay_s * SR)
    ir = np.zeros(d + n)
    ir[d] = 0.7
    ir[d + 1:] += tail[1:]
    return ir.astype(np.float32)


def active_rms(x: np.ndarray, floor_db: float = -40.0) -> float:
    """RMS over the 20 ms frames within `floor_db` of the loudest (speech, not the pauses)."""
    frames = x[: len(x) // 320 * 320].reshape(-1, 320).astype(np.float64)
    e = np.sqrt((frames ** 2).mean(axis=1) + 1e-12)
    sel = e[e > e.max() * 10 ** (floor_db / 20)]
    return float(np.sqrt((sel ** 2).mean()))


def command_clips(per_word: int = 4,
                  words: tuple[str, ...] = WORDS) -> list[tuple[str, np.ndarray]]:
    """(word, 16 kHz float32 at active RMS 1.0): the first `per_word` clips of each word."""
    out = []
    for word in words:
        for path in sorted((CORPUS / word).glob("*.wav"))[:per_word]:
            x = np.frombuffer(wav_pcm16k(path), np.int16).astype(np.float32) / 32768.0
            out.append((word, x / active_rms(x)))
    return out


class RoomMic:
    """A `Source`: the loop's monitor through a room, plus a person's words (module docstring)."""

    def __init__(self, device: str = "pulse", ir: np.ndarray | None = None,
                 echo_gain: float = 1.0) -> None:
        self.inner = MicSource(device)
        ir = room_ir() if ir is None else ir
        self.ir = (ir * echo_gain).astype(np.float32)
        self._tail = np.zeros(len(self.ir) - 1, np.float32)
        self._ir_spectrum: tuple[int, np.ndarray] | None = None
        self._lock = threading.Lock()
        self._voice = np.zeros(0, np.float32)
        self._rng = np.random.default_rng(3)
        self.voice_started: float | None = None
        self.voice_ended: float | None = None
        """Arrival time of the chunk holding the person's first / last sample."""

    @property
    def device_name(self) -> str:
        return "room(" + self.inner.device_name + ")"

    @property
    def active(self) -> bool:
        return self.inner.active

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:
        self.inner.close()

    def say(self, samples: np.ndarray) -> None:
        """Mix `samples` (16 kHz float32, level already set) into the mic from the next chunk."""
        with self._lock:
            self._voice = np.concatenate([self._voice, samples.astype(np.float32)])
            self.voice_started = self.voice_ended = None

    def read(self, timeout: float) -> bytes | None:
        chunk = self.inner.read(timeout)
        if not chunk:
            return chunk
        x = np.frombuffer(chunk, np.int16).astype(np.float32) / 32768.0
        # Overlap-add with the room's spectrum (a direct convolution here took the GIL long
        # enough to make the speaker's stream underrun).
        size = 1 << int(np.ceil(np.log2(len(x) + len(self.ir) - 1)))
        if self._ir_spectrum is None or self._ir_spectrum[0] != size:
            self._ir_spectrum = (size, np.fft.rfft(self.ir, size))
        y = np.fft.irfft(np.fft.rfft(x, size) * self._ir_spectrum[1], size)
        y = y[: len(x) + len(self.ir) - 1].astype(np.float32)
        y[: len(self._tail)] += self._tail
        out, self._tail = y[: len(x)], y[len(x):]
        now = time.monotonic()
        with self._lock:
            if len(self._voice):
                n = min(len(x), len(self._voice))
                out[:n] += self._voice[:n]
                if self.voice_started is None:
                    self.voice_started = now
                self._voice = self._voice[n:]
                if not len(self._voice):
                    self.voice_ended = now
        out += (self._rng.standard_normal(len(out)) * 10 ** (NOISE_DBFS / 20)).astype(np.float32)
        return (np.clip(out, -1.0, 1.0) * 32767).astype(np.int16).tobytes()


@dataclass
class Collector(SelfTriggerCollector):
    """The self-trigger test's session side, also keeping when and why each was heard."""

    heard: list[tuple[str, float, bool, float, str]] = field(default_factory=list)  # type: ignore[assignment]

    def hear(self, text: str, confidence: float, *, source: str = "voice",
             accepted: bool = True, at: float | None = None, reason: str = "",
             in_talk: bool = False) -> None:
        self.heard.append((text, confidence, accepted, time.monotonic(), reason))

    def input_ended(self, *args: Any, **kwargs: Any) -> None:
        pass


SERVER_CANCELLERS: dict[str, tuple[str, str]] = {
    "webrtc": ("webrtc", "analog_gain_control=0 digital_gain_control=0"),
    "webrtc-nons": ("webrtc", "analog_gain_control=0 digital_gain_control=0 noise_suppression=0"),
    "webrtc-ext": ("webrtc", "analog_gain_control=0 digital_gain_control=0 extended_filter=1"),
    "webrtc-mobile": ("webrtc", "analog_gain_control=0 digital_gain_control=0 mobile=1"),
    "pulse-speex": ("speex", "agc=0 denoise=0"),
    "pulse-speex-es": ("speex", "agc=0 denoise=1 echo_suppress=1 echo_suppress_attenuation=-40 "
                                "echo_suppress_attenuation_active=-15"),
}
"""Methods whose canceller is PulseAudio's module-echo-cancel: (aec_method, aec_args)."""


def pulse_room(loop: Any, method: str, delay_ms: int = 40) -> None:
    """The loop's air for `method` "speex-room" or one of `SERVER_CANCELLERS`: what plays on
    `vsink` reaches a `room` sink `delay_ms` later (module-loopback); the mic is
    `room.monitor`, and a person speaks into `room` (`play_into_room`). With a server
    canceller, PulseAudio's module-echo-cancel sits between them (source `ec_src`, sink
    `ec_sink`), made the defaults the app opens."""
    from tests.support.pulse import reinit_portaudio

    loop.pactl("load-module", "module-null-sink", "sink_name=room", "rate=48000", "channels=1")
    loop.pactl("load-module", "module-loopback", "source=vsink.monitor", "sink=room",
               f"latency_msec={delay_ms}", "source_dont_move=true", "sink_dont_move=true")
    if method in SERVER_CANCELLERS:
        aec, args = SERVER_CANCELLERS[method]
        loop.pactl("load-module", "module-echo-cancel", "source_master=room.monitor",
                   "sink_master=vsink", f"aec_method={aec}", "source_name=ec_src",
                   f'aec_args="{args}"', "sink_name=ec_sink")
        loop.pactl("set-default-sink", "ec_sink")
        loop.pactl("set-default-source", "ec_src")
    else:
        loop.pactl("set-default-source", "room.monitor")
    reinit_portaudio()


def play_into_room(loop: Any, samples: np.ndarray) -> threading.Thread:
    """A person speaks (16 kHz float32) into the `room` sink of `pulse_room`; in the background."""
    import os
    import subprocess

    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()

    def run() -> None:
        subprocess.run(["pacat", "--playback", "--raw", "--device=room", "--rate=16000",
                        "--channels=1", "--format=s16le", "--latency-msec=20"],
                       input=pcm, env={**os.environ, **loop.env}, timeout=30, check=False,
                       capture_output=True)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


class Duplex:
    """Speaker + room mic + canceller + ears, wired as `voicecoach run --echo-cancel` wires them.

    `method`: "speex" (the in-process canceller on a `RoomMic`), "none" (today's gate on a
    `RoomMic`), "speex-room" or a `SERVER_CANCELLERS` method (after `pulse_room`: PulseAudio's
    air)."""

    def __init__(self, phrases: tuple[str, ...], *, echo_cancel: bool = True,
                 engine: str = "pocketsphinx", device: str = "pulse",
                 method: str | None = None, duck: float | None = DUCK_GAIN) -> None:
        from voicecoach import speech
        from voicecoach.shell.ears import Ears
        from voicecoach.speech.echo import EchoCanceller
        from voicecoach.voice.settings import VoiceSettings
        from voicecoach.voice.speaker import Speaker

        self.method = method or ("speex" if echo_cancel else "none")
        self.collector = Collector()
        self.canceller = (EchoCanceller() if self.method in ("speex", "speex-room") else None)
        self.mic: Any
        volume = 1.0
        if self.method in ("speex", "none"):
            # The coach at ECHO_DBFS at the mic: the room's gain for espeak-ng's level.
            self.mic = RoomMic(device, echo_gain=calibrated_echo_gain())
        else:
            self.mic = MicSource(device)
            volume = calibrated_volume()  # the loopback passes the coach as it is
        recognizer = speech.make_recognizer(engine, None, None)
        self.ears = Ears(engine_name=engine, make_recognizer=lambda: recognizer,
                         open_source=lambda: self.mic, canceller=self.canceller)
        self.ears.set_phrases(phrases)
        self.ended = threading.Event()
        self.started = threading.Event()
        self._texts: dict[int, str] = {}
        from voicecoach.speech.echo import EchoReference, ResidualGate

        self.reference = (self.canceller.reference if self.canceller is not None
                          else EchoReference() if self.method != "none" else None)
        reference = self.reference

        def on_start(say_id: int, t: float) -> None:
            self.ears.speaking_started(t, self._texts.get(say_id, ""))
            self.started.set()

        def on_end(say_id: int, t: float, completed: bool) -> None:
            self.ears.speaking_ended(t)
            self.ended.set()

        self.last_end = 0.0

        def on_end_at(say_id: int, t: float, completed: bool) -> None:
            self.last_end = t
            on_end(say_id, t, completed)

        self.speaker = Speaker(VoiceSettings(device=device, volume=min(1.0, volume),
                                             queue_seconds=QUEUE_SECONDS,
                                             latency=OUTPUT_LATENCY),
                               on_start=on_start, on_end=on_end_at,
                               on_play=reference.push if reference is not None else None,
                               on_flush=reference.cut if reference is not None else None)
        if self.method != "none":
            self.ears.hush = self.speaker.hush
            if duck is not None:  # yield the floor, as the app does (None: measure without)
                self.ears.duck = self._duck
                self.ears.duck_gain = duck
            if self.canceller is None:  # PulseAudio cancels: full duplex from the start
                self.ears.gate.duplex = lambda: True
                self.ears.residual_gate = ResidualGate(self.reference)
        self.speech_onsets: list[tuple[float, float | None]] = []
        """(when a duck was asked, where the speech that asked for it began at the mic)."""
        self._next_id = 0

    def _duck(self, gain: float) -> None:
        """The speaker's duck, noting where the speech began (the mic frames, on the listen
        thread's arrival clock): the first of the frames within 20 dB of the loudest one
        since the recognizer opened the utterance, walking back from the decision."""
        if gain < 1.0 and self.ears.residual_gate is not None:
            now = time.monotonic()
            seen = self.ears.ducks[-1].seen if self.ears.ducks else now
            frames = [(t, m) for t, _, m, _ in list(self.ears.residual_gate._frames)
                      if seen - 0.5 <= t <= now]
            onset = None
            if frames:
                peak = max(m for _, m in frames)
                for t, m in reversed(frames):
                    if m < peak - 20.0:
                        break
                    onset = t
            self.speech_onsets.append((now, onset))
        self.speaker.duck(gain)

    def start(self) -> None:
        self.ears.start(self.collector)  # type: ignore[arg-type]
        if not self.collector.ready.wait(10):
            raise AssertionError(f"the ears never got ready: {self.collector.statuses}")

    def say(self, text: str, rate: int = 165) -> int:
        from voicecoach.coach.effects import Priority, Say

        self._next_id += 1
        self._texts[self._next_id] = text
        self.ended.clear()
        self.started.clear()
        self.speaker.say(Say(self._next_id, text, priority=Priority.CUE, rate=rate))
        return self._next_id

    def speak(self, loop: Any, samples: np.ndarray) -> None:
        """The person says `samples` (level set) into the mic: mixed in, or into the room sink."""
        if isinstance(self.mic, RoomMic):
            self.mic.say(samples)
        else:
            play_into_room(loop, samples)

    def close(self) -> None:
        self.ears.close()
        self.speaker.close()
        if self.canceller is not None:
            self.canceller.close()


def calibrated_echo_gain() -> float:
    """Gain on the room so the coach's voice (espeak-ng, full volume) is at ECHO_DBFS at the mic."""
    from voicecoach.voice.engine import EspeakEngine

    clip = EspeakEngine().render(CALIBRATION_TEXT, "en-us", 165).resampled(SR)
    y = np.convolve(clip.samples.astype(np.float32), room_ir())
    return float(10 ** (ECHO_DBFS / 20) / active_rms(y))


def calibrated_volume() -> float:
    """Speaker volume that puts the coach at ECHO_DBFS through a unity loopback."""
    from voicecoach.voice.engine import EspeakEngine

    clip = EspeakEngine().render(CALIBRATION_TEXT, "en-us", 165).resampled(SR)
    return float(10 ** (ECHO_DBFS / 20) / active_rms(clip.samples.astype(np.float32)))


CALIBRATION_TEXT = ("Stand with your feet about hip width apart. Roll both heels in, "
                    "toward each other, so your arches flatten a little.")


def level(clip: np.ndarray, db: float) -> np.ndarray:
    """A command clip (active RMS 1.0) at `db` relative to the coach's voice at the mic."""
    return (clip * 10 ** ((ECHO_DBFS + db) / 20)).astype(np.float32)
