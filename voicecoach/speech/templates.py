"""Per-user word templates: MFCC frames of the user's own takes, compared by DTW.

Why templates: the generic pocketsphinx model hears most real single words
right on its best path, but its rejection checks, tuned on clean speech, turn
away about half of a real person's commands on a real microphone. One person's
takes of the same word are much closer to each other than to anything else they
say, so the distance from an utterance to that person's takes (dynamic time
warping over MFCC frames, as Rhasspy's Raven does for wake words) is a second
opinion that is sure where the generic model is not (numbers in bench/enroll.md).

Pure numpy, no extra dependency: 13 cepstra (c0 included) with the utterance
mean removed, plus their deltas, on 25 ms frames every 10 ms.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16000
HOP = 160
"""10 ms."""
WIN = 400
"""25 ms."""
NFFT = 512
N_FILTERS = 26
N_CEPS = 13


def _mel_filters(lo_hz: float = 130.0, hi_hz: float = 6800.0) -> np.ndarray:
    def mel(f: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def hz(m: np.ndarray) -> np.ndarray:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    edges = hz(np.linspace(mel(np.array(lo_hz)), mel(np.array(hi_hz)), N_FILTERS + 2))
    bins = np.floor((NFFT + 1) * edges / SAMPLE_RATE).astype(int)
    bank = np.zeros((N_FILTERS, NFFT // 2 + 1))
    for i in range(N_FILTERS):
        a, b, c = bins[i], bins[i + 1], bins[i + 2]
        bank[i, a:b] = (np.arange(a, b) - a) / max(1, b - a)
        bank[i, b:c] = (c - np.arange(b, c)) / max(1, c - b)
    return bank


_FILTERS = _mel_filters()
_DCT = np.cos(
    np.pi / N_FILTERS * (np.arange(N_FILTERS)[None, :] + 0.5) * np.arange(N_CEPS)[:, None]
)
_WINDOW = np.hamming(WIN)


def frame_levels_db(x: np.ndarray) -> np.ndarray:
    """10 ms RMS levels in dBFS (int16 full scale)."""
    n = x.size // HOP
    if n == 0:
        return np.zeros(0)
    frames = x[: n * HOP].reshape(n, HOP).astype(np.float64)
    return np.asarray(10.0 * np.log10(np.mean(frames**2, axis=1) / 32768.0**2 + 1e-10))


def snr_db(x: np.ndarray) -> float:
    """How far a recording's loud part stands above its quiet part (95th against 10th
    percentile of 10 ms levels): a word said in a quiet room, 30-50 dB; in a fan's noise at
    10 dB signal-to-noise, 15-20. Digital silence (a gated mic's zeros, a file's padding) is
    not the room, and is left out."""
    db = frame_levels_db(x)
    db = db[db > -90.0]
    return float(np.percentile(db, 95) - np.percentile(db, 10)) if db.size else 0.0


def trim(x: np.ndarray, drop_db: float = 25.0, margin: int = 5) -> np.ndarray:
    """The span from the first to the last loud frame (within `drop_db` of the peak and
    10 dB over the noise floor), plus `margin` frames: the word, without the room around it."""
    db = frame_levels_db(x)
    if db.size == 0:
        return x
    threshold = max(float(np.percentile(db, 10)) + 10.0, float(db.max()) - drop_db)
    loud = np.nonzero(db > threshold)[0]
    if loud.size == 0:
        return x
    a = max(0, int(loud[0]) - margin)
    b = min(db.size, int(loud[-1]) + 1 + margin)
    return x[a * HOP : b * HOP]


def mfcc(x: np.ndarray) -> np.ndarray:
    """(frames, 13) cepstra of int16 samples, utterance mean removed."""
    y = x.astype(np.float64)
    if y.size == 0:
        y = np.zeros(WIN)
    y = np.append(y[0], y[1:] - 0.97 * y[:-1])
    if y.size < WIN:
        y = np.pad(y, (0, WIN - y.size))
    n = 1 + (y.size - WIN) // HOP
    idx = np.arange(WIN)[None, :] + HOP * np.arange(n)[:, None]
    power = np.abs(np.fft.rfft(y[idx] * _WINDOW, NFFT)) ** 2 / NFFT
    ceps = np.log(power @ _FILTERS.T + 1e-3) @ _DCT.T
    return np.asarray(ceps - ceps.mean(axis=0))


def features(pcm: bytes | np.ndarray) -> np.ndarray:
    """What a template holds: trimmed MFCC + deltas, float32 (frames, 26)."""
    x = np.frombuffer(pcm, dtype="<i2") if isinstance(pcm, bytes) else pcm
    c = mfcc(trim(x))
    p = np.pad(c, ((2, 2), (0, 0)), mode="edge")
    delta = (p[3:-1] - p[1:-3] + 2.0 * (p[4:] - p[:-4])) / 10.0
    return np.hstack([c, delta]).astype(np.float32)


def dtw_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean Euclidean frame distance along the best warping path from (0,0) to the ends.

    Steps (1,0), (1,1), (1,2): each row depends only on the row before, so a row is
    one numpy operation (fast enough for a Pi: ~1 ms for two 1 s words here).
    """
    if a.shape[0] == 0 or b.shape[0] == 0:
        return float("inf")
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    cost = np.sqrt(np.maximum(sq, 0.0)).astype(np.float64)
    m = cost.shape[1]
    inf = np.inf
    total = np.cumsum(cost[0])
    steps = np.arange(1, m + 1, dtype=np.float64)
    cols = np.arange(m)
    for i in range(1, cost.shape[0]):
        cand = np.stack([total, np.r_[inf, total[:-1]], np.r_[inf, inf, total[:-2]]])
        lens = np.stack([steps, np.r_[1.0, steps[:-1]], np.r_[1.0, 1.0, steps[:-2]]])
        k = np.argmin(cand, axis=0)
        total = cand[k, cols] + cost[i]
        steps = lens[k, cols] + 1.0
    return float(total[-1] / steps[-1])
