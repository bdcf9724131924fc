"""Generated takes of a phrase: many voices, accents, speeds and pitches, to learn it from.

The phrase classifier (phrase_classifier.py) learns each routine's phrases from these, and
what is *not* a command from common words said the same way. Generated voices flatter a
recognizer that is tested on them; here they only teach a classifier that sits on a speech
embedding trained on real people (embedding.py), and it is judged on real people.

espeak-ng is already what the coach speaks with; flite, where installed, adds five voices
of a different kind (diphone and clustergen). The takes are a fixed function of the text
and the seed, so a cache of their features stays valid.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soxr

from voicecoach import wavfile

ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp",
           "en-gb-x-gbcwmd", "en-029", "en-us-nyc")
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt",
            "klatt2", "klatt4", "Alex", "Andrea", "Annie", "belinda", "benjamin", "john",
            "linda", "max", "michel", "paul", "norbert", "grandma", "aunty")
"""espeak-ng voice variants (its `!v` folder): men, women, old and young, other formant
models. One missing from an install falls back to the plain voice."""
FLITE_VOICES = ("kal", "kal16", "awb", "rms", "slt")
FLITE_SHARE = 0.2


def takes(text: str, count: int, seed: int = 1, workers: int = 2) -> list[np.ndarray]:
    """`count` takes of `text` (int16, 16 kHz), in different voices; empty ones dropped."""
    rng = random.Random(f"{seed}:{text}")
    flite = shutil.which("flite") is not None
    specs: list[tuple[str, ...]] = []
    for _ in range(count):
        if flite and rng.random() < FLITE_SHARE:
            specs.append(("flite", rng.choice(FLITE_VOICES), f"{rng.uniform(0.85, 1.3):.2f}",
                          str(rng.choice((90, 110, 130, 170, 200, 220)))))
        else:
            specs.append(("espeak-ng", f"{rng.choice(ACCENTS)}+{rng.choice(VARIANTS)}",
                          str(rng.randint(120, 200)), str(rng.randint(25, 75))))
    with ThreadPoolExecutor(workers) as pool:
        out = list(pool.map(lambda s: _render(text, s), specs))
    return [x for x in out if x.size]


def _render(text: str, spec: tuple[str, ...]) -> np.ndarray:
    if spec[0] == "flite":
        _, voice, stretch, f0 = spec
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "take.wav"
            subprocess.run(["flite", "-voice", voice, "--setf", f"duration_stretch={stretch}",
                            "--setf", f"int_f0_target_mean={f0}", "-t", text, "-o", str(path)],
                           capture_output=True, timeout=30, check=False)
            data = path.read_bytes() if path.exists() else b""
    else:
        _, voice, speed, pitch = spec
        data = subprocess.run(["espeak-ng", "-v", voice, "-s", speed, "-p", pitch, "--stdout",
                               text], capture_output=True, timeout=30, check=False).stdout
    try:
        wav = wavfile.read_wav(data)
    except wavfile.WavError:
        return np.zeros(0, dtype=np.int16)
    mono = wav.mono().astype(np.float32)
    if wav.rate != 16000 and mono.size:
        mono = soxr.resample(mono, wav.rate, 16000, quality="HQ")
    return np.clip(np.round(mono * 32767.0), -32768, 32767).astype(np.int16)
