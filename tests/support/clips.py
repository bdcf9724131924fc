"""Spoken test clips made at test time with espeak-ng, plus noise to mix in.

Why generate instead of shipping WAVs: the clips follow the routines (a new
phrase gets a clip for free) and the repo stays small. espeak-ng renders a
phrase in ~20 ms, but a suite needs hundreds, so every clip is cached on disk
keyed by everything that shapes it (text, voice, rate, sample rate, channels,
espeak-ng version); reruns read WAVs only.

Conversion to other rates/channels uses sox, independently of the project's own
resampler, so a test of that resampler does not test it against itself.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tempfile
import wave
from functools import lru_cache
from pathlib import Path

import numpy as np

VOICES: tuple[str, ...] = ("en-us", "en", "en-us+f2")
"""espeak-ng voices that differ audibly: US male, British male, US female."""
FLITE_VOICES: tuple[str, ...] = ("flite:slt", "flite:rms")
"""flite (CMU) voices, used when flite is installed: US female, US male."""
RATES: tuple[int, ...] = (140, 175)
"""Words per minute: calm and brisk."""
SAMPLE_RATE = 16000


def cache_dir() -> Path:
    """Outside the per-test XDG dirs (conftest isolates those), so clips survive reruns."""
    root = os.environ.get("VOICECOACH_CLIP_CACHE")
    path = Path(root) if root else Path(tempfile.gettempdir()) / f"voicecoach-clips-{os.getuid()}"
    path.mkdir(parents=True, exist_ok=True)
    return path


@lru_cache(maxsize=1)
def espeak_version() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def clip_path(
    text: str,
    voice: str = "en-us",
    rate: int = 160,
    sample_rate: int = SAMPLE_RATE,
    channels: int = 1,
) -> Path:
    """A cached WAV of `text` spoken by espeak-ng, 16-bit, at the rate/channels asked for."""
    engine = "flite" if voice.startswith("flite:") else espeak_version()
    key = "|".join([text, voice, str(rate), str(sample_rate), str(channels), engine])
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    path = cache_dir() / f"{digest}.wav"
    if path.exists():
        return path
    if voice.startswith("flite:"):
        # flite's CMU voices are closer to real speech than espeak-ng's formant synthesis.
        if not have_flite():
            raise RuntimeError("flite is not installed (apt-get install flite)")
        with tempfile.NamedTemporaryFile(suffix=".wav") as out:
            subprocess.run(
                ["flite", "-voice", voice.split(":", 1)[1], "-t", text, "-o", out.name],
                check=True,
                capture_output=True,
            )
            raw = Path(out.name).read_bytes()
    else:
        raw = subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(rate), "--stdout", text],
            capture_output=True,
            check=True,
        ).stdout
    tmp = path.with_suffix(f".{os.getpid()}.tmp.wav")
    subprocess.run(
        [
            "sox",
            "-q",
            "-t",
            "wav",
            "-",
            "-r",
            str(sample_rate),
            "-c",
            str(channels),
            "-b",
            "16",
            "-e",
            "signed-integer",
            str(tmp),
        ],
        input=raw,
        check=True,
    )
    os.replace(tmp, path)  # atomic: parallel runs never read half a file
    return path


def speak(
    text: str,
    voice: str = "en-us",
    rate: int = 160,
    sample_rate: int = SAMPLE_RATE,
    channels: int = 1,
) -> np.ndarray:
    """int16 samples, shape (n,) for mono or (n, channels)."""
    return read_wav(clip_path(text, voice, rate, sample_rate, channels))[0]


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as wf:
        rate, channels = wf.getframerate(), wf.getnchannels()
        data = np.frombuffer(wf.readframes(wf.getnframes()), dtype="<i2")
    return (data.reshape(-1, channels) if channels > 1 else data.copy()), rate


def write_wav(
    path: Path, samples: np.ndarray, sample_rate: int = SAMPLE_RATE, sample_width: int = 2
) -> Path:
    """Write int16 samples ((n,) or (n, channels)); sample_width 1/2/4 converts for format tests."""
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    x = samples.astype(np.int32)
    if sample_width == 1:
        data = ((x >> 8) + 128).astype(np.uint8).tobytes()
    elif sample_width == 2:
        data = x.astype("<i2").tobytes()
    elif sample_width == 4:
        data = (x << 16).astype("<i4").tobytes()
    else:
        raise ValueError(sample_width)
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(channels)
        wf.setsampwidth(sample_width)
        wf.setframerate(sample_rate)
        wf.writeframes(data)
    return path


def wav_bytes(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wf:
        wf.setnchannels(1 if samples.ndim == 1 else samples.shape[1])
        wf.setsampwidth(2)
        wf.setframerate(sample_rate)
        wf.writeframes(samples.astype("<i2").tobytes())
    return buf.getvalue()


def pad(
    samples: np.ndarray, before_s: float = 0.3, after_s: float = 0.6, sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """Silence around a clip, as a person leaves it around a command (endpointing needs it)."""
    shape_b = (int(before_s * sample_rate), *samples.shape[1:])
    shape_a = (int(after_s * sample_rate), *samples.shape[1:])
    return np.concatenate([np.zeros(shape_b, np.int16), samples, np.zeros(shape_a, np.int16)])


# --- noise ----------------------------------------------------------------


def white_noise(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(n)


def pink_noise(n: int, seed: int = 0) -> np.ndarray:
    """1/f noise by shaping white noise's spectrum: gym fans and HVAC sound like this."""
    rng = np.random.default_rng(seed)
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(spec.size, dtype=float)
    f[0] = 1.0
    out = np.fft.irfft(spec / np.sqrt(f), n)
    return out / (np.std(out) or 1.0)


def music_noise(
    n: int, sample_rate: int = SAMPLE_RATE, seed: int = 0, bpm: float = 124.0
) -> np.ndarray:
    """Music-like noise: a kick drum on the beat, a bass line and a chord pad.

    Not music, but it has what makes gym music hard for a recognizer: tonal
    energy in the speech band, and onsets every beat.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n) / sample_rate
    beat = 60.0 / bpm
    out = np.zeros(n)
    # Chord pad: a i-VI-III-VII progression, one chord per bar, detuned saw-ish stacks.
    roots = [220.0, 174.61, 261.63, 196.0]
    bar = 4 * beat
    for k, root in enumerate(roots * (int(t[-1] / (bar * 4)) + 1 if n else 1)):
        start, stop = int(k * bar * sample_rate), int((k + 1) * bar * sample_rate)
        if start >= n:
            break
        seg = t[start : min(stop, n)]
        for ratio in (1.0, 1.2, 1.5, 2.0):
            for h in (1, 2, 3):
                out[start : start + seg.size] += (0.3 / h) * np.sin(
                    2 * np.pi * root * ratio * h * seg + rng.uniform(0, 6.28)
                )
    # Kick and hi-hat on the beat.
    for k in range(int(t[-1] / beat) + 1 if n else 0):
        s = int(k * beat * sample_rate)
        m = min(n - s, int(0.15 * sample_rate))
        if m <= 0:
            break
        tt = np.arange(m) / sample_rate
        out[s : s + m] += (
            2.0 * np.sin(2 * np.pi * (50 + 80 * np.exp(-tt * 30)) * tt) * np.exp(-tt * 20)
        )
        h = int(k * beat * sample_rate + beat * sample_rate / 2)
        hm = min(n - h, int(0.05 * sample_rate))
        if hm > 0:
            out[h : h + hm] += (
                0.4 * rng.standard_normal(hm) * np.exp(-np.arange(hm) / (0.01 * sample_rate))
            )
    return out / (np.std(out) or 1.0)


NOISES = {"white": white_noise, "pink": pink_noise, "music": music_noise}


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x.astype(float))))) if x.size else 0.0


def mix_snr(speech: np.ndarray, noise_kind: str, snr_db: float, seed: int = 0) -> np.ndarray:
    """speech + noise scaled so that speech power / noise power = snr_db, as int16.

    Speech power is measured over the voiced part only (frames above -40 dB of
    the peak), so leading/trailing silence does not make the SNR look worse
    than a listener would hear it.
    """
    x = speech.astype(float)
    frames = x[: x.size // 160 * 160].reshape(-1, 160)
    energies = np.mean(frames**2, axis=1) if frames.size else np.zeros(1)
    voiced = energies[energies > energies.max() * 1e-4] if energies.size else energies
    p_speech = float(np.mean(voiced)) if voiced.size else 0.0
    noise = (
        NOISES[noise_kind](x.size, seed=seed)
        if noise_kind != "music"
        else music_noise(x.size, seed=seed)
    )
    p_noise = float(np.mean(noise**2)) or 1.0
    gain = np.sqrt(p_speech / (p_noise * 10 ** (snr_db / 10))) if p_speech else 1000.0
    return np.clip(np.round(x + noise * gain), -32768, 32767).astype(np.int16)


def noise_only(
    seconds: float,
    kind: str,
    level_dbfs: float = -30.0,
    seed: int = 0,
    sample_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """A clip of noise alone at an RMS level in dBFS."""
    n = int(seconds * sample_rate)
    x = NOISES[kind](n, seed=seed) if kind != "music" else music_noise(n, sample_rate, seed)
    x = x / (np.sqrt(np.mean(x**2)) or 1.0) * 32768 * 10 ** (level_dbfs / 20)
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


# --- sentences a command recognizer must reject ---------------------------

NON_COMMANDS: tuple[str, ...] = (
    "I think the weather is nice today",
    "can you pass me the water bottle",
    "my phone is ringing somewhere",
    "what time is it now",
    "the dog wants to go outside",
    "I had a sandwich for lunch",
    "turn the music up a little",
    "where did I put my keys",
    "this song is really good",
    "let me check my messages",
    "I need to buy some groceries",
    "it's getting warm in here",
    "my friend is coming over later",
    "the neighbours are very loud",
    "I watched a movie last night",
    "how many calories did I burn",
    "I should call my mother",
    "the train was late this morning",
    "we are out of coffee",
    "open the window please",
)
"""Ordinary talk in a home gym, none of it a command of any built-in routine."""


def have_flite() -> bool:
    return shutil.which("flite") is not None
