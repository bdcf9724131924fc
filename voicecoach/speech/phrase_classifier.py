"""Which phrase was said, or none: a classifier on the speech embedding, learnt per routine.

Why: pocketsphinx's generic acoustic model, however its rejection is tuned, could not take
real people's commands without also taking a sixth of their other words (bench/
real-speech.md: right 57 %, false accepts 16 %, session 13). Google's speech embedding
(embedding.py) was trained on many real speakers for exactly this job; a small network on
it (one hidden layer), taught only by generated voices (synthetic.py), with pocketsphinx's
answer as a second opinion (sphinx.py `_classified`), heard the same real people better
on every count (bench/classifier.md).

How: each phrase of the grammar gets `TAKES` generated takes, and "not a command" gets
common words (the recognizer's garbage words, so none that sounds like a phrase) in
`NEGATIVE_TAKES` voices each. Their features (embedding.py) are cached per text, so a
routine's first start pays for them once and a new phrase costs only its own takes. The
network itself is trained at start (half a minute on a 2-core x86 machine), then cached
too.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voicecoach.speech import synthetic
from voicecoach.speech.embedding import FEATURES, SpeechEmbedder

log = logging.getLogger(__name__)

TAKES = 30
NEGATIVE_TAKES = 2
NEGATIVE_WORDS = 800
"""Each take is also learnt in noise (`in_noise`): twice these many examples per text."""
TRAIN_SHIFTS = (-1, 0, 1)
"""Each take is learnt at its centre and 80 ms either side: the centre of a real
person's word is found less exactly than a generated one's (measured when choosing, real
people's whole clips, the classifier alone: 56 -> 62 % right at the same threshold, with
more false accepts, so the threshold is higher)."""
VERSION = 4
"""Bump when the takes or the features change: old cache entries are then not found."""
HIDDEN = 64
"""Units of the network's hidden layer (`_fit`)."""
MODEL = f"mlp{HIDDEN}-1"
"""Names the kind of network in the weights' cache key: a new kind is trained again, from
the same cached features."""
OTHER = ""
"""The class of everything that is not a phrase."""


class FeatureCache:
    """Features of a text's generated takes, one .npy per text, written atomically."""

    def __init__(self, root: Path | None) -> None:
        self.root = root

    def _path(self, text: str, count: int) -> Path | None:
        if self.root is None:
            return None
        key = hashlib.sha1(f"{VERSION}:{count}:{text}".encode()).hexdigest()[:20]
        return self.root / f"{key}.npy"

    def get(self, text: str, count: int) -> np.ndarray | None:
        path = self._path(text, count)
        if path is None or not path.exists():
            return None
        try:
            data = np.load(path)
        except (OSError, ValueError):
            return None  # a damaged entry is made again
        return data if data.ndim == 2 and data.shape[1] == FEATURES else None

    def put(self, text: str, count: int, features: np.ndarray) -> None:
        path = self._path(text, count)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                np.save(f, features.astype(np.float16))
            os.replace(tmp, path)
        except OSError as exc:  # a read-only cache costs time, not the session
            log.warning("could not cache phrase features in %s: %s", path.parent, exc)

    def get_weights(self, key: str) -> Weights | None:
        if self.root is None or not (path := self.root / f"model-{key}.npz").exists():
            return None
        try:
            with np.load(path) as z:
                return Weights(tuple(str(c) for c in z["classes"]),
                               *(z[f] for f in _ARRAYS))
        except (OSError, ValueError, KeyError):
            return None

    def put_weights(self, key: str, weights: Weights) -> None:
        if self.root is None:
            return
        path = self.root / f"model-{key}.npz"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                np.savez(f, classes=np.array(weights.classes),
                         **{k: getattr(weights, k) for k in _ARRAYS})
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("could not cache the phrase classifier in %s: %s", path.parent, exc)


@dataclass(frozen=True)
class Weights:
    """A trained classifier, without the embedder that feeds it (shareable, cacheable)."""

    classes: tuple[str, ...]
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    mean: np.ndarray
    scale: np.ndarray


_ARRAYS = ("w1", "b1", "w2", "b2", "mean", "scale")
"""Weights' arrays, as the cache file names them."""

_LEARNT: dict[str, Weights] = {}
"""Weights learnt in this process, by `_key`: a fresh recognizer for the same grammar (the
bench builds one per clip, `transcribe` one per run) does not train again."""


def learn(
    phrases: Sequence[str],
    negatives: Sequence[str],
    *,
    cache: FeatureCache | None = None,
    embedder: SpeechEmbedder | None = None,
    progress: Callable[[int, int], None] | None = None,
    takes: int | None = None,
    negative_takes: int | None = None,
) -> Weights:
    """Learn `phrases` against `negatives` (words that are none of them).

    The weights are kept in memory and, with a cache, on disk; so are each text's features.
    `progress(done, total)` is called per text while features are made: the first start of
    a routine renders and embeds a few thousand takes.
    """
    cache = cache or FeatureCache(None)
    job = _job(phrases, negatives, takes, negative_takes)
    weights = _found(job, cache)
    if weights is None:
        classes, negs, n, neg_n, key = job
        weights = _train(classes, negs, cache, embedder, progress, n, neg_n)
        cache.put_weights(key, weights)
        _LEARNT[key] = weights
    return weights


def learnt(phrases: Sequence[str], negatives: Sequence[str], cache: FeatureCache | None = None,
           takes: int | None = None, negative_takes: int | None = None) -> Weights | None:
    """What `learn` would return without training (from memory or the cache), else None."""
    return _found(_job(phrases, negatives, takes, negative_takes), cache)


_Job = tuple[tuple[str, ...], list[str], int, int, str]
"""(classes, negatives, takes, negative takes, cache key): one training, normalised."""


def _job(phrases: Sequence[str], negatives: Sequence[str], takes: int | None,
         negative_takes: int | None) -> _Job:
    classes = (OTHER, *dict.fromkeys(phrases))
    negs = [w for w in dict.fromkeys(negatives) if w not in classes]
    n = TAKES if takes is None else takes
    neg_n = NEGATIVE_TAKES if negative_takes is None else negative_takes
    text = json.dumps([VERSION, MODEL, n, neg_n, list(classes), negs])
    return classes, negs, n, neg_n, hashlib.sha1(text.encode()).hexdigest()[:20]


def _found(job: _Job, cache: FeatureCache | None) -> Weights | None:
    key = job[4]
    if key not in _LEARNT and cache is not None and (found := cache.get_weights(key)):
        _LEARNT[key] = found
    return _LEARNT.get(key)


def _train(classes: tuple[str, ...], negatives: Sequence[str], cache: FeatureCache,
           embedder: SpeechEmbedder | None, progress: Callable[[int, int], None] | None,
           takes: int, negative_takes: int) -> Weights:
    jobs = [(p, takes, i) for i, p in enumerate(classes) if p != OTHER]
    jobs += [(w, negative_takes, 0) for w in negatives]
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    for done, (text, count, label) in enumerate(jobs, 1):
        feats = cache.get(text, count)
        if feats is None:
            embedder = embedder or SpeechEmbedder()
            rng = np.random.default_rng(int(hashlib.sha1(text.encode()).hexdigest()[:8], 16))
            rows = [embedder.features(x, TRAIN_SHIFTS) for t in synthetic.takes(text, count)
                    for x in (t, in_noise(t, rng))]
            feats = np.concatenate(rows) if rows else np.zeros((0, FEATURES), np.float32)
            cache.put(text, count, feats)
        xs.append(feats.astype(np.float32))
        ys.append(np.full(len(feats), label))
        if progress is not None:
            progress(done, len(jobs))
    x, y = np.concatenate(xs), np.concatenate(ys)
    del xs
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    x -= mean  # in place: ~20k rows of 480 floats, the peak of a training's memory
    x /= scale
    return Weights(classes, *_fit(x, y, len(classes)), mean.astype(np.float32),
                   scale.astype(np.float32))


class PhraseClassifier:
    """The network from an utterance's features to one of the phrases or `OTHER`."""

    def __init__(self, weights: Weights, embedder: SpeechEmbedder | None = None) -> None:
        self.weights = weights
        self.classes = weights.classes
        self.embedder = embedder or SpeechEmbedder()

    def probabilities(self, samples: np.ndarray) -> np.ndarray:
        """P(class) for int16 samples of one utterance, in `classes` order."""
        wt = self.weights
        z = (self.embedder.features(samples)[0] - wt.mean) / wt.scale
        logits = np.maximum(z @ wt.w1 + wt.b1, 0.0) @ wt.w2 + wt.b2
        p = np.exp(logits - logits.max())
        out: np.ndarray = p / p.sum()
        return out

    def judge(self, samples: np.ndarray) -> tuple[str, float]:
        """The likeliest phrase and its probability (`OTHER` if that is likeliest)."""
        p = self.probabilities(samples)
        i = int(p.argmax())
        return self.classes[i], float(p[i])


def in_noise(take: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A take as a real recording has it: in white or reddish noise at 5-30 dB SNR, the noise
    running 0.25 s before and after the words, at a level from -20 to +6 dB.

    A generated take is clean, with digital silence around it; a real one never is. Learnt
    in both, the classifier heard real people better at fewer false accepts (measured when
    choosing: whole clips, the classifier alone at 0.5: right 56.6 -> 58.9 %, false accepts
    10.0 -> 7.3 %).
    """
    x = take.astype(np.float32)
    pad = 4000
    noise = rng.standard_normal(len(x) + 2 * pad).astype(np.float32)
    if rng.random() < 0.5:  # reddish: more low-frequency energy, as rooms and fans have
        noise = np.cumsum(noise) * 0.05
        noise -= np.convolve(noise, np.ones(200) / 200, "same")
    power = float(np.mean(x**2)) + 1e-9
    noise *= np.sqrt(power / 10 ** (rng.uniform(5, 30) / 10) / (np.mean(noise**2) + 1e-12))
    y = np.concatenate([np.zeros(pad, np.float32), x, np.zeros(pad, np.float32)]) + noise
    y *= 10 ** (rng.uniform(-20, 6) / 20)
    return np.clip(y, -32768, 32767).astype(np.int16)


def _fit(x: np.ndarray, y: np.ndarray, k: int, l2: float = 0.01, steps: int = 800,
         rate: float = 0.01) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A softmax over one hidden layer of `HIDDEN` ReLU units, by Adam, full batch, from a
    fixed seed: deterministic, numpy only. Returns (w1, b1, w2, b2), float32.

    Why a hidden layer: measured on real people (first utterance, the recognizer's rule at
    its defaults, scratch replays of the same utterances), a softmax regression on the same
    features took 7.3 % of other words for commands at 60 % right; this network 2.7-3.6 %
    at 62-65 % right, over five seeds (so not one lucky draw), on both speaker halves. 800
    steps against 400: as many right, wrong words 3.8-4.7 vs 4.4-5.3 %. l2 = 0.01: 0.003
    took twice the other words, 0.03 a tenth fewer commands.
    """
    n, d = x.shape
    x = x.astype(np.float32, copy=False)  # float32 throughout: a float64 operand would copy x
    rng = np.random.default_rng(0)
    onehot = np.zeros((n, k), dtype=np.float32)
    onehot[np.arange(n), y] = 1.0
    params = [
        (rng.standard_normal((d, HIDDEN)) * np.sqrt(2 / d)).astype(np.float32),
        np.zeros(HIDDEN, dtype=np.float32),
        (rng.standard_normal((HIDDEN, k)) * np.sqrt(1 / HIDDEN)).astype(np.float32),
        np.zeros(k, dtype=np.float32),
    ]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    decay = np.float32(l2)
    for t in range(1, steps + 1):
        w1, b1, w2, b2 = params
        h = x @ w1 + b1
        active = h > 0
        h *= active
        logits = h @ w2 + b2
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) / np.float32(n)
        gh = (g @ w2.T) * active
        grads = (x.T @ gh + decay * w1, gh.sum(axis=0), h.T @ g + decay * w2, g.sum(axis=0))
        for param, grad, (m, v) in zip(params, grads, moments, strict=True):
            m *= 0.9
            m += 0.1 * grad
            v *= 0.999
            v += 0.001 * grad**2
            param -= rate * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    w1, b1, w2, b2 = params
    return w1, b1, w2, b2
