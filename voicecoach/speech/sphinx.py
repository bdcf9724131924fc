"""Pocketsphinx: the zero-download engine (its wheel ships an English model and dictionary).

Rejection design. A JSGF grammar of the active phrases forces every sound
onto some phrase: measured here, it takes 65 % of ordinary sentences for
commands. A garbage loop inside the grammar (common words, or a phone loop)
fixed that in principle but made the FSG search 20-40x slower, too slow for a
Pi. So the grammar decode stays lean and its *alignment* is checked instead:

1. partial: the search ended outside the grammar's final state (pocketsphinx
   then returns a prefix such as "stop the"): not a phrase, rejected;
2. unexplained speech: frames that the VAD calls speech but the alignment
   gives to silence/filler. A command fills its utterance; a sentence
   squeezed onto a short phrase leaves most of its speech in "silence"
   (> `max_unexplained` of the speech frames => rejected);
3. stretched words: a phrase whose words would each last far longer than
   their phones allow (frames per phone) is a sentence in disguise;
4. acoustic gap: pocketsphinx scores every frame against the best-scoring
   senone of that frame, so a word's acoustic score is how far its path lies
   below the best any phone sequence could do there (a phone loop's bound, for
   free: no second decoder, no slower search). A spoken command tracks that
   bound closely; talk forced onto a phrase does not. Per speech frame of the
   words, in natural-log units: clean commands median 2.0, p95 4.0; ordinary
   sentences median 5.3 (generated clips, 5 voices). Over `max_acoustic_gap`
   (5.0) => rejected.

Measured on our generated clips (5 voices): the grammar alone accepts 58 % of
ordinary sentences; with checks 1-3, 7 %; with check 4 as well, 1-2 %, for about
one point of command accuracy (scripts/bench.py has the current numbers).

Digital silence (exact zeros: padded files, a gated mic) upsets pocketsphinx's
noise and CMN estimates (grammar accuracy on espeak-ng clips was 65 %, 85 %
with dither), so a tiny fixed dither (-54 dBFS) is added to what we feed it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach.errors import EngineUnavailableError
from voicecoach.routine.phrases import phrase_key, spoken_words
from voicecoach.speech.base import StreamingRecognizer
from voicecoach.speech.grammar import jsgf, phrase_words
from voicecoach.speech.hypothesis import Hypothesis

FRAME_RATE = 100
INITIAL_CMN = "50,-5.5,3,16.7,-3.7,-2.5,-2,-7,-2.6,-5,3.7,-2.1,-0.9"
"""Cepstral mean to start from. Pocketsphinx adapts the mean live, but its built-in start
(40,3,-1,0...) is far from speech at mic levels, so the first one or two utterances of a
session were lost. This is the mean it converged to on our test speech, with c0 (loudness)
pulled down a little toward quieter microphones."""
"""Pocketsphinx feature frames per second."""


def model_dir() -> Path:
    try:
        import pocketsphinx
    except ImportError as exc:
        raise EngineUnavailableError(
            f"pocketsphinx is not installed ({exc}); pip install pocketsphinx"
        ) from None
    return Path(pocketsphinx.get_model_path())


@lru_cache(maxsize=2)
def load_dictionary(path: Path) -> dict[str, tuple[str, ...]]:
    """word -> first pronunciation (phones), from a CMU-format dictionary."""
    out: dict[str, tuple[str, ...]] = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2:
                continue
            word = parts[0].split("(")[0]
            out.setdefault(word, tuple(parts[1:]))
    return out


def pronunciations(path: Path, words: set[str]) -> dict[str, list[str]]:
    """Every pronunciation (phones, space-separated) of each of `words` found in the dictionary.

    Read by a scan rather than loaded: the decoder holds only the words of our
    grammars, not the 130k-word dictionary (that alone was ~22 MB of RSS).
    """
    out: dict[str, list[str]] = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            entry, _, rest = line.partition(" ")
            word = entry.split("(")[0]
            if word in words:
                out.setdefault(word, []).append(" ".join(rest.split()))
    return out


class PocketsphinxRecognizer(StreamingRecognizer):
    name = "pocketsphinx"

    def __init__(
        self,
        *,
        max_unexplained: float = 0.1,
        max_frames_per_phone: float = 16.0,
        max_speech_per_phone: float = 14.0,
        max_acoustic_gap: float = 5.0,
        dither_dbfs: float = -54.0,
        options: dict[str, object] | None = None,
        **segmenting: float,
    ) -> None:
        super().__init__(**segmenting)  # type: ignore[arg-type]
        try:
            import pocketsphinx as ps
        except ImportError as exc:
            raise EngineUnavailableError(f"pocketsphinx is not installed ({exc})") from None
        self.max_unexplained = max_unexplained
        """Fraction of speech frames the alignment may leave to silence."""
        self.max_frames_per_phone = max_frames_per_phone
        """Longest a word may last: 30 frames (10 ms) + this many per phone."""
        self.max_speech_per_phone = max_speech_per_phone
        """Speech frames of the whole utterance: at most 40 + this many per phone."""
        self.max_acoustic_gap = max_acoustic_gap
        """Mean distance (natural log) per word frame below the best senone (check 4)."""
        root = model_dir() / "en-us"
        self.dict_path = root / "cmudict-en-us.dict"
        config = ps.Config()
        config["hmm"] = str(root / "en-us")
        config["dict"] = os.devnull  # words are added per grammar (see `pronunciations`)
        config["lm"] = None
        config["loglevel"] = "FATAL"
        # Pauses between words cost less than pocketsphinx's default (0.005): measured on
        # our clips, commands heard 91 -> 92 %, at 10 dB 63 -> 65 %, false accepts 3 -> 1 %.
        config["silprob"] = 0.1
        for key, value in (options or {}).items():
            config[key] = value  # decoder settings (beams, weights), for tuning and the bench
        self._decoder = ps.Decoder(config)
        self._decoder.set_cmn(INITIAL_CMN)
        self._dictionary: dict[str, int] = {}
        self._not_in_dictionary: set[str] = set()
        """Phone counts of the words of every grammar so far (not the whole 130k-word dict: RSS)."""
        self._searches: dict[tuple[tuple[str, ...], ...], str] = {}
        self._pending: tuple[tuple[str, ...], ...] | None = None
        self._rng = np.random.default_rng(12345)
        self._dither = 32768.0 * 10 ** (dither_dbfs / 20)
        self._utt_levels: list[float] = []
        self._in_utt = False
        self.skipped_phrases: tuple[str, ...] = ()
        """Phrases left out of the grammar because a word is not in the dictionary."""

    # --- grammar ---------------------------------------------------------------

    def _set_engine_phrases(self, phrases: Sequence[str]) -> None:
        wanted = {w for p in phrase_words(phrases) for w in p} - set(self._dictionary)
        wanted -= self._not_in_dictionary
        if wanted:
            for word, prons in pronunciations(self.dict_path, wanted).items():
                for i, phones in enumerate(prons):
                    self._decoder.add_word(word if i == 0 else f"{word}({i + 1})", phones, False)
                self._dictionary[word] = len(prons[0].split())
            self._not_in_dictionary |= wanted - set(self._dictionary)
        known = [w for w in phrase_words(phrases) if all(x in self._dictionary for x in w)]
        self.skipped_phrases = tuple(
            " ".join(w) for w in phrase_words(phrases) if not all(x in self._dictionary for x in w)
        )
        key = tuple(known)
        if self._in_utt:
            self._pending = key  # a search cannot change mid-utterance
            return
        self._activate(key)

    def _activate(self, key: tuple[tuple[str, ...], ...]) -> None:
        # One search per distinct phrase set, kept: going back to a step costs nothing.
        name = self._searches.get(key)
        if name is None:
            name = f"g{len(self._searches)}"
            # add_jsgf_string, never a file path: a missing JSGF file segfaults pocketsphinx.
            self._decoder.add_jsgf_string(name, jsgf([" ".join(w) for w in key]))
            self._searches[key] = name
        self._decoder.activate_search(name)
        self._pending = None

    # --- decoding --------------------------------------------------------------

    def _begin(self) -> None:
        if not self._searches:
            raise RuntimeError("set_phrases() must be called before audio is fed")
        self._decoder.start_utt()
        self._in_utt = True
        self._utt_levels = []

    def _feed(self, pcm: bytes) -> None:
        x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
        if x.size == 0:
            return
        # 10 ms levels, for the unexplained-speech check at the end.
        n = x.size // 160 * 160
        if n:
            power = np.mean(np.square(x[:n].reshape(-1, 160)), axis=1) / 32768.0**2
            self._utt_levels.extend((10 * np.log10(power + 1e-10)).tolist())
        x += self._rng.standard_normal(x.size) * self._dither
        self._decoder.process_raw(np.clip(x, -32768, 32767).astype("<i2").tobytes(), False, False)

    def _partial(self) -> str:
        hyp = self._decoder.hyp()
        return hyp.hypstr if hyp is not None else ""

    def _finish(self) -> Hypothesis:
        try:
            self._decoder.end_utt()
        finally:
            self._in_utt = False
        hyp = self._decoder.hyp()
        segments = list(self._decoder.seg() or []) if hyp is not None else []
        if self._pending is not None:
            self._activate(self._pending)
        raw = hyp.hypstr if hyp is not None else ""
        if not raw:
            return Hypothesis("", 0.0, raw="", reason="no-words")
        words = [s for s in segments if not s.word.startswith(("<", "["))]
        key = phrase_key(raw)
        if key not in self._phrase_keys:
            return Hypothesis("", 0.0, raw=raw, reason="partial")
        levels = np.array(self._utt_levels)
        floor = float(np.percentile(levels, 10)) if levels.size else -100.0
        speech = levels > max(floor + 10.0, -50.0)
        quiet = [s for s in segments if s.word.startswith(("<", "["))]
        total = int(speech.sum()) or 1
        in_quiet = sum(int(speech[s.start_frame : s.end_frame + 1].sum()) for s in quiet)
        unexplained = in_quiet / total
        phones = [self._dictionary.get(s.word.split("(")[0], 3) for s in words]
        stretched = any(
            s.end_frame - s.start_frame + 1 > 30 + self.max_frames_per_phone * p
            for s, p in zip(words, phones, strict=True)
        )
        too_long = total > 40 + self.max_speech_per_phone * sum(phones)
        posterior = min((float(s.prob) for s in words), default=0.0)
        confidence = float(np.clip(posterior * (1.0 - unexplained), 0.0, 1.0))
        if unexplained > self.max_unexplained:
            return Hypothesis("", confidence, raw=raw, reason="unexplained-speech")
        if stretched or too_long:
            return Hypothesis("", confidence, raw=raw, reason="stretched")
        if acoustic_gap(words) > self.max_acoustic_gap:
            return Hypothesis("", confidence, raw=raw, reason="acoustic-gap")
        return Hypothesis(" ".join(spoken_words(raw)), max(confidence, 0.05), raw=raw)

    def reset(self) -> None:
        super().reset()
        if self._in_utt:
            self._decoder.end_utt()
            self._in_utt = False

    def close(self) -> None:
        self._decoder = None


def acoustic_gap(words: Sequence[Any]) -> float:
    """Mean -ln(acoustic score) per frame of the words (check 4 in the module docstring).

    The Python binding gives each segment's score as a probability (exp of the log
    score), so a very poor word underflows to 0.0: an infinite gap, rightly rejected.
    """
    frames = int(sum(s.end_frame - s.start_frame + 1 for s in words))
    if frames <= 0:
        return math.inf
    total = 0.0
    for s in words:
        score = float(s.ascore)
        if score <= 0.0:
            return math.inf
        total -= math.log(score)
    return total / frames


def vocabulary_words() -> set[str]:
    return set(load_dictionary(model_dir() / "en-us" / "cmudict-en-us.dict"))
