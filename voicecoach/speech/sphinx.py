"""Pocketsphinx: the zero-download engine (its wheel ships an English model and dictionary).

Two passes over each utterance, tuned on recordings of real people (Speech Commands
words from many speakers and microphones), not on generated voices:

- **live**: while the words come, a grammar of the active phrases alone, cheap,
  for the partial result that lets a whole phrase end the utterance early.
- **final**: once the utterance has ended, it is decoded again in one piece
  (`_decode_whole`), with the phrases *and* a garbage branch of 1000 common
  English words (garbage.py; 500 once the phrase classifier judges,
  `judged_garbage_words`). A word that explains the sound better than any
  command wins, and the utterance is rejected (reason "garbage"). Decoded in one
  piece, real speakers' commands were also heard more often than in the streaming
  result (whole clips, same grammar: 45 -> 57 %).

Then the alignment of the winning phrase is checked:

1. partial: the search ended outside the grammar's final state (pocketsphinx
   then returns a prefix such as "stop the"): not a phrase, rejected;
2. unexplained speech: frames that the level says are speech but the alignment
   gives to silence/filler (> `max_unexplained` => rejected): talk squeezed
   onto a short phrase leaves most of its speech unexplained;
3. stretched words: a phrase whose words would each last far longer than
   their phones allow (frames per phone) is a sentence in disguise;
4. acoustic gap: pocketsphinx scores every frame against the best-scoring
   senone of that frame, so a word's acoustic score is how far its path lies
   below the best any phone sequence could do there. Over `max_acoustic_gap`
   per frame (natural log) => rejected.

Measured on the real corpus with the front end (frontend.py) on: 475 Speech Commands
words, every speaker of it, a routine of yes/no/up/down/left/right/on/off/go/digits plus
the built-ins; `warm` is one recognizer over all clips, `first` a fresh one per clip:

| | commands right | "stop" | false accepts | wrong word |
|---|---|---|---|---|
| before (streaming result) warm / first | 46 / 46 % | 58 / 67 % | 38 / 40 % | 7 / 10 % |
| now warm / first | 54 / 58 % | 71 / 67 % | 16 / 21 % | 7 / 8 % |

(scripts/bench_real.py, which writes bench/real-speech.md, has the current figures.)

The garbage branch costs generated voices some clean commands (the quick bench: 92 ->
88 %): their odd vowels sometimes sound more like an ordinary word.
The checks 2 and 3 were loosened (0.1 -> 0.3, 16/14 -> 24 per phone): on real
speakers' single words they rejected 7-12 points of right answers and no false
accepts that the garbage branch did not already catch.

The cepstral mean is carried from one utterance to the next (live adaptation):
in 10 dB pink noise it is what keeps generated commands heard (72 % against 29 %
when each utterance starts from the prior). `new_stream()` (a new recording, as
`transcribe` does per file) rebuilds the front end and starts from the prior, so
a file decodes the same alone or after others.

Digital silence (exact zeros: padded files, a gated mic) upsets pocketsphinx's
noise and CMN estimates (grammar accuracy on espeak-ng clips was 65 %, 85 %
with dither), so a tiny fixed dither (-54 dBFS) is added to what we feed it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from voicecoach.errors import EngineUnavailableError
from voicecoach.routine.phrases import phrase_key, spoken_words
from voicecoach.speech import phrase_classifier
from voicecoach.speech.base import SAMPLE_RATE, StreamingRecognizer
from voicecoach.speech.garbage import common_words, garbage_words
from voicecoach.speech.grammar import jsgf, phrase_words
from voicecoach.speech.hypothesis import Hypothesis
from voicecoach.speech.phrase_classifier import (
    OTHER,
    FeatureCache,
    PhraseClassifier,
    Weights,
    learn,
    learnt,
)

log = logging.getLogger(__name__)

FRAME_RATE = 100
INITIAL_CMN = "54,-1.9,4.3,0,-4.2,-3.9,-5.7,-5,-4.3,-3,-1.1,0.8,2.7"
"""Cepstral mean to start from. Pocketsphinx adapts the mean live, but its built-in start
(40,3,-1,0...) is far from speech at mic levels, so the first one or two utterances of a
session were lost. This is the mean it converged to over real people's commands (half of
the speakers of the real-speech corpus; the other half checks it): a fresh recognizer then
hears their first command as often as a warm one (52 % against 52 %; with the earlier
prior, fit on generated voices, 47 % against 51 %)."""


def model_dir() -> Path:
    try:
        import pocketsphinx
    except ImportError as exc:
        raise EngineUnavailableError(
            f"pocketsphinx is not installed ({exc}); pip install pocketsphinx"
        ) from None
    return Path(pocketsphinx.get_model_path())


EXTRA_DICT = Path(__file__).with_name("data") / "extra.dict"
"""Words our routines use that the wheel's dictionary lacks ("glutes"), and more ways to say
a word it has, CMU format, read after whichever dictionary is given (its entries come first).

"stop", the word that must never be missed, gets two: the final /p/ unreleased ("S T AA", as
many say it and as clipped recordings end) and the rounded vowel ("S T AO P", British and
others). Measured on real people (bench/real-speech.md, first utterance): "stop" heard 66.7 ->
79.2 % of 24 (Speech Commands), 65.2 -> 69.6 % of 23 (the enrollment takes, not looked at
when choosing); false accepts unchanged; two other words of 569 taken for "stop".
Measured and not taken, the same for other words: "left" as "L EH F" (9 -> 12 of 20 heard,
but a warm recognizer took "wow" for it twice), "right" as "R AY" (it took two "five"s)."""


@lru_cache(maxsize=2)
def load_dictionary(path: Path) -> dict[str, tuple[str, ...]]:
    """word -> first pronunciation (phones), from a CMU-format dictionary plus EXTRA_DICT."""
    out: dict[str, tuple[str, ...]] = {}
    for source in (path, EXTRA_DICT):
        with open(source, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 2:
                    continue
                word = parts[0].split("(")[0]
                out.setdefault(word, tuple(parts[1:]))
    return out


def pronunciations(path: Path, words: set[str]) -> dict[str, list[str]]:
    """Every pronunciation (phones, space-separated) of each of `words` found in the dictionary
    (then EXTRA_DICT).

    Read by a scan rather than loaded: the decoder holds only the words of our
    grammars, not the 130k-word dictionary (that alone was ~22 MB of RSS).
    """
    out: dict[str, list[str]] = {}
    for source in (path, EXTRA_DICT):
        with open(source, encoding="utf-8", errors="replace") as f:
            for line in f:
                entry, _, rest = line.partition(" ")
                word = entry.split("(")[0]
                if word in words and (phones := " ".join(rest.split())) not in out.get(word, []):
                    out.setdefault(word, []).append(phones)
    return out


GENERIC_CHECKS: dict[str, float] = {
    "max_unexplained": 0.3, "max_frames_per_phone": 24.0, "max_speech_per_phone": 24.0,
    "max_acoustic_gap": 5.0,
}
"""The checks' thresholds for anyone (speaker-independent, fitted on real people)."""


class PocketsphinxRecognizer(StreamingRecognizer):
    name = "pocketsphinx"

    def __init__(
        self,
        *,
        max_unexplained: float = GENERIC_CHECKS["max_unexplained"],
        max_frames_per_phone: float = GENERIC_CHECKS["max_frames_per_phone"],
        max_speech_per_phone: float = GENERIC_CHECKS["max_speech_per_phone"],
        max_acoustic_gap: float = GENERIC_CHECKS["max_acoustic_gap"],
        garbage_words: int = 1000,
        judged_garbage_words: int = 500,
        garbage_weight: float = 1e-20,
        garbage_distance: int = 1,
        cmn_reset: bool = False,
        whole_utterance: bool = True,
        final_tail_s: float = 0.15,
        final_pad_s: float = 0.05,
        dither_dbfs: float = -54.0,
        dither_seed: int = 12345,
        options: dict[str, object] | None = None,
        denoiser: str = "auto",
        classifier: bool = False,
        classifier_threshold: float = 0.65,
        classifier_agree: float = 0.15,
        classifier_stop_agree: float = 0.05,
        classifier_sure: float = 0.0,
        classifier_background: bool = False,
        classifier_progress: Callable[[int, int], None] | None = None,
        **segmenting: float,
    ) -> None:
        super().__init__(denoiser=denoiser, **segmenting)  # type: ignore[arg-type]
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
        self.garbage_words = garbage_words
        """How many common words compete with the commands (garbage.py); 0: none."""
        self.judged_garbage_words = judged_garbage_words
        """How many of them compete once the phrase classifier judges: rejecting other words
        is then its work more than theirs, and the final pass's time is mostly theirs.
        Measured on real people (bench_real's 475 clips, transcribe's feeding, pocketsphinx
        + classifier; right / wrong / false accepts / final-pass time against all 1000):
        1000 words 62.5 / 4.1 / 2.7 %, 500 63.3 / 4.4 / 3.6 % in 59 % of the time, 300
        63.3 / 4.4 / 4.5 % in 54 %. Pocketsphinx alone needs them all (300: false accepts
        16.7 -> 27.8 % on half the clips), so it keeps them while the classifier learns,
        and where it is off."""
        self._garbage_lists: dict[tuple[tuple[str, ...], ...], list[str]] = {}
        self._finals: dict[tuple[tuple[tuple[str, ...], ...], int], str] = {}
        """The final pass's searches, by (phrase set, garbage words): built when first wanted
        (one of 1000 words: ~9 MB and ~0.2 s; of 500: ~6 MB)."""
        self._key: tuple[tuple[str, ...], ...] = ()
        """The phrase set of the active searches."""
        self.garbage_weight = garbage_weight
        """Prior of the garbage branch against the commands (lower: fewer commands lost)."""
        self.garbage_distance = garbage_distance
        """Common words this many phone edits or fewer from a phrase word are left out."""
        self._garbage: set[str] = set()
        self.cmn_reset = cmn_reset
        """Start every utterance from the prior cepstral mean. Off: the mean carried from one
        utterance to the next is what keeps a noisy room heard (10 dB pink noise, generated
        voices: 72 % heard with it, 29 % when every utterance starts from the prior)."""
        self.whole_utterance = whole_utterance
        """Decode the ended utterance again in one piece, garbage words competing; False:
        keep the streaming result, as before issue 12 (for the bench's comparison)."""
        self.final_tail_s = final_tail_s
        """Quiet kept after the last speech frame for the final pass (< 0: all of it)."""
        self.final_pad_s = min(max(0.0, final_pad_s), max(0.0, final_tail_s))
        """Of `final_tail_s`, how much is the real quiet played back reversed instead of waited
        for: the final pass can start that much sooner (see `speculate_s`). Measured on the
        real corpus (475 clips, first / warm): 0.05 s heard as many commands (57.2 / 56.6 %
        vs 57.2 / 56.3 %) with no more false accepts (17.3 / 11.8 % vs 20.9 / 13.6 %);
        a shorter real tail without the mirror (0.11-0.13 s) lost "stop" (62.5 -> 54-58 %)."""
        self.classifier = classifier
        """Let the phrase classifier (phrase_classifier.py) decide which phrase was said: it
        learns the grammar's phrases from generated voices on a speech embedding trained on
        real people, and heard them better than these checks (bench/classifier.md). The
        first grammar costs minutes of rendering (then cached), so it is off here and the
        app turns it on (config `classifier`, speech/engines.py)."""
        self.classifier_threshold = classifier_threshold
        """Least probability of the classifier's phrase for it to be taken on its word.

        With `classifier_agree`, chosen on real people's totals over dither draws and
        orders (bench/classifier.md), not on one run: 0.5 and 0.2 had fitted the one dither
        every fresh recognizer drew. 0.65 and 0.15 (the classifier surer to overrule
        pocketsphinx, pocketsphinx's phrase standing on a little less of its weight): first
        utterance, mean of six draws, right 63.8 -> 64.1 %, wrong command 5.5 -> 4.7 %,
        other words taken 2.9 -> 3.3 %; warm, four orders, 62.8 -> 64.1 %, wrong 3.8 ->
        2.8 %, other words 3.4 % both; the enrollment speakers (not in the clips), first,
        71.9 -> 71.0 %, wrong 5.4 -> 4.9 %."""
        self.classifier_sure = classifier_sure
        """Where the classifier gives its phrase at least this, and that phrase is taken
        whatever pocketsphinx's final pass decodes (`_decided`), the pass is not run (0: the
        rule alone). The pass was ~60 % of a decision's CPU; it is skipped for about 40 % of
        real people's utterances (bench_classifier). The bench's curves
        need pocketsphinx's answer for every utterance, so they run with 1.01 (never)."""
        self.classifier_agree = classifier_agree
        """Least probability the classifier must give pocketsphinx's accepted phrase for that
        to stand, or the live pass's phrase for the two to decide it (`_decided`)."""
        self.classifier_stop_agree = classifier_stop_agree
        """Least probability the classifier must give a stop phrase that pocketsphinx's live
        pass decoded for it to stand (`_classified`). Lower than `classifier_agree`: the
        classifier, taught by generated voices, gives real people's "stop" little weight, a
        missed stop is the worst miss, and a bare or unsure stop only pauses and asks.
        Measured on real people (bench_classifier's clips), 0.05 against the 0.2 it was:
        "stop" first 83.3 -> 90.3 % (mean of six dither draws), warm 77.1 -> 82.3 % (four
        orders); other words and talk taken unchanged; a command heard as stop one clip
        more in one of the six draws, and one on the enrollment speakers."""
        self.classifier_background = classifier_background
        """Learn in a thread, the session going on without the classifier until it is ready
        (`run`); else `set_phrases` waits for it (transcribe, the bench: every utterance
        judged the same way)."""
        self.classifier_progress = classifier_progress
        """Called with (texts done, texts) while a training renders takes (`transcribe`)."""
        self._classifier: PhraseClassifier | None = None
        self.last_judgement: Judgement | None = None
        """For the last utterance: the classifier's phrase and probability, what pocketsphinx
        alone would have taken, the classifier's probability of that ("" and 0 where the
        final pass was not run, `classifier_sure`), and the live pass's phrase at the pause
        (the bench's curves replay the rule from these)."""
        self._wanted: list[tuple[str, ...]] = []
        self._learn_lock = threading.Lock()
        self._learn_job: tuple[list[str], list[str], int] | None = None
        self._learn_gen = 0
        self._learner: threading.Thread | None = None
        self.classifier_learning = False
        """True while the classifier learns in the background (pocketsphinx judges alone)."""
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
        self._prons: dict[str, tuple[str, ...]] = {}
        self._not_in_dictionary: set[str] = set()
        """Phone counts of the words of every grammar so far (not the whole 130k-word dict: RSS)."""
        self._searches: dict[tuple[tuple[str, ...], ...], str] = {}
        """The live search of each phrase set (the active one: `self._searches[self._key]`)."""
        self._utt_audio: list[bytes] = []
        self._pending: tuple[tuple[str, ...], ...] | None = None
        self.dither_seed = dither_seed
        """Fixed, so that a recording decodes the same every time (`transcribe`). The classifier
        bench varies it: with one seed, every clip fed to a fresh recognizer gets the very same
        dither, and defaults chosen on such runs fitted that one draw (real people, first
        utterance: 65.7 % of commands right with this seed, 62.2-63.0 % with four others).
        A user's first command comes after the coach has spoken, at no fixed point of it."""
        self._rng = np.random.default_rng(dither_seed)
        self._dither = 32768.0 * 10 ** (dither_dbfs / 20)
        self._utt_levels: list[float] = []
        self._in_utt = False
        self._live_open = False
        self._ahead: _Answer | None = None
        """The answer worked out ahead (`_speculate`)."""
        self.last_evidence: Evidence | None = None
        """The checks' inputs for the last utterance that decoded to a whole phrase."""
        self.skipped_phrases: tuple[str, ...] = ()
        """Phrases left out of the grammar because a word is not in the dictionary."""

    # --- grammar ---------------------------------------------------------------

    def _set_engine_phrases(self, phrases: Sequence[str]) -> None:
        self._add_words({w for p in phrase_words(phrases) for w in p})
        known = [w for w in phrase_words(phrases) if all(x in self._dictionary for x in w)]
        self.skipped_phrases = tuple(
            " ".join(w) for w in phrase_words(phrases) if not all(x in self._dictionary for x in w)
        )
        key = tuple(known)
        if self._in_utt:
            self._pending = key  # a search cannot change mid-utterance
            return
        self._activate(key)

    def _add_words(self, words: set[str]) -> None:
        """Put words into the decoder's dictionary (all their pronunciations), once each."""
        wanted = words - set(self._dictionary) - self._not_in_dictionary
        if not wanted:
            return
        for word, prons in pronunciations(self.dict_path, wanted).items():
            for i, phones in enumerate(prons):
                self._decoder.add_word(word if i == 0 else f"{word}({i + 1})", phones, False)
            self._dictionary[word] = len(prons[0].split())
            self._prons[word] = tuple(prons)
        self._not_in_dictionary |= wanted - set(self._dictionary)

    def _garbage_for(self, key: tuple[tuple[str, ...], ...]) -> list[str]:
        """The garbage words for a phrase set, the most common first (worked out once)."""
        if self.garbage_words <= 0:
            return []
        if (found := self._garbage_lists.get(key)) is not None:
            return found
        pool = common_words()[: self.garbage_words * 2]
        self._add_words(set(pool))
        found = garbage_words(
            pool, self._prons, {w for p in key for w in p}, self.garbage_words,
            self.garbage_distance,
        )
        self._garbage.update(found)
        self._garbage_lists[key] = found
        return found

    def _activate(self, key: tuple[tuple[str, ...], ...]) -> None:
        # Searches per distinct phrase set, kept: going back to a step costs nothing.
        # "live" (the phrases alone) runs while the words come, for the partial result that
        # may end an utterance early; a "final" one (the phrases and the garbage words,
        # `_final_search`) decodes the whole utterance once it has ended (see _finish).
        name = self._searches.get(key)
        if name is None:
            name = f"live{len(self._searches)}"
            # add_jsgf_string, never a file path: a missing JSGF file segfaults pocketsphinx.
            self._decoder.add_jsgf_string(name, jsgf([" ".join(w) for w in key]))
            self._searches[key] = name
        self._key = key
        self._decoder.activate_search(name)
        self._pending = None
        if self.classifier:
            self._want_classifier(key)
        self._final_search()  # built now, not at the end of the first utterance

    def learn_phrases(self, phrases: Sequence[str]) -> None:
        """Have the classifier learn these phrases as well (a routine's all at once: one
        training, and no step's grammar is new to it later). Nothing when it is off."""
        if not self.classifier:
            return
        words = phrase_words(phrases)
        self._add_words({w for p in words for w in p})
        self._want_classifier(tuple(p for p in words if all(x in self._dictionary for x in p)))

    def _want_classifier(self, key: tuple[tuple[str, ...], ...]) -> None:
        """One classifier over every phrase wanted so far: a step's grammar is a subset (the
        others count as "not a command"), so going back to a step trains nothing."""
        with self._learn_lock:
            new = [p for p in key if p not in self._wanted]
            if not new:
                return
            self._wanted.extend(new)
            wanted = tuple(self._wanted)
            self._learn_gen += 1
            gen = self._learn_gen
        # The negatives here, not in the worker: they add words to the decoder.
        phrases, negatives = [" ".join(w) for w in wanted], self._negatives(wanted)
        if not self.classifier_background:
            self._use(learn(phrases, negatives, cache=self._feature_cache(),
                            progress=self.classifier_progress), gen)
            return
        if (weights := learnt(phrases, negatives, cache=self._feature_cache())) is not None:
            self._use(weights, gen)  # learnt before: ready now, no thread
            return
        with self._learn_lock:
            self._learn_job = (phrases, negatives, gen)
            self.classifier_learning = True
            if self._learner is None:
                self._learner = threading.Thread(target=self._learn_in_background,
                                                 name="phrase-classifier", daemon=True)
                self._learner.start()

    def _learn_in_background(self) -> None:
        """Learn the latest wanted phrase set, niced: a session goes on with pocketsphinx's
        own judgement meanwhile (a routine's first start renders a few thousand takes)."""
        with contextlib.suppress(OSError):
            os.nice(10)  # this thread only, on Linux (and the renderers it starts)
        while True:
            with self._learn_lock:
                job, self._learn_job = self._learn_job, None
                if job is None:  # done; under the lock, so a new job starts a new thread
                    self.classifier_learning = False
                    self._learner = None
                    return
            phrases, negatives, gen = job
            try:
                self._use(learn(phrases, negatives, cache=self._feature_cache(),
                            progress=self.classifier_progress), gen)
            except Exception as exc:  # a failed training costs the classifier, not the session
                log.warning("the phrase classifier could not learn: %s", exc)
                with self._learn_lock:
                    self.classifier_learning = False
                    self._learner = None
                return

    def _use(self, weights: Weights, gen: int) -> None:
        """Judge with these weights, unless a later phrase set was wanted meanwhile."""
        with self._learn_lock:
            if gen != self._learn_gen:
                return
            current = self._classifier
            self._classifier = PhraseClassifier(weights, current.embedder if current else None)

    @staticmethod
    def _feature_cache() -> FeatureCache:
        from voicecoach.locations import cache_dir

        return FeatureCache(cache_dir() / "phrase-features")

    # --- decoding --------------------------------------------------------------

    def _begin(self) -> None:
        if not self._searches:
            raise RuntimeError("set_phrases() must be called before audio is fed")
        self._final_search()  # the classifier may have become ready since the last one
        if self.cmn_reset:
            self._decoder.set_cmn(INITIAL_CMN)
        self._decoder.start_utt()
        self._in_utt = self._live_open = True
        self._ahead = None
        self._utt_levels = []
        self._utt_audio = []

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
        data = np.clip(x, -32768, 32767).astype("<i2").tobytes()
        self._utt_audio.append(data)
        if self._live_open:
            self._decoder.process_raw(data, False, False)

    def _partial(self) -> str:
        if self._ahead is not None:
            return self._ahead.partial
        hyp = self._decoder.hyp()
        return hyp.hypstr if hyp is not None else ""

    @property
    def speculate_s(self) -> float | None:  # type: ignore[override]
        """Once `final_tail_s - final_pad_s` of quiet has passed, the final pass decodes
        exactly the audio it would decode at the early end (`_trimmed` keeps that much real
        quiet and mirrors the rest), so it runs then and the early end finds the answer
        ready: the final pass's ~90 ms (several times more on a Pi) no longer adds to the
        wait after the last word. The classifier judges then too, on that same audio (its
        embedding is another ~40 ms here)."""
        if not self.whole_utterance or self.final_tail_s < 0:
            return None
        return self.final_tail_s - self.final_pad_s

    def _speculate(self) -> None:
        partial = self._partial()
        self._close_live()
        self._ahead = self._answer(partial)

    def _resume(self) -> None:
        """Speech again before the early end (a pause inside a phrase): the live pass takes
        the whole utterance up again, as if it had never stopped.

        Fed again in the pieces it first came in, never as one block: pocketsphinx 5.1.1
        segfaults on a streaming block longer than the frame buffer that the last
        whole-utterance pass sized (measured: a 5.69 s final pass, then 5.72 s in one block;
        it happened in the loop with the echo canceller on, whose leftover makes long
        utterances with many short pauses). tests/speech/test_sphinx_resume.py replays it.
        """
        self._ahead = None
        if not self._live_open and self._in_utt:
            self._decoder.start_utt()
            for data in self._utt_audio:
                self._decoder.process_raw(data, False, False)
            self._live_open = True

    def _close_live(self) -> None:
        if self._live_open:
            self._live_open = False
            self._decoder.end_utt()

    def _finish(self) -> Hypothesis:
        try:
            answer = self._ahead
            if answer is None or answer.classifier is not self._classifier:
                # Not worked out ahead (or the classifier became ready since): the live
                # pass's words as they stand are its part of the answer.
                partial = self._partial() if answer is not None or self._live_open else ""
                self._close_live()
                answer = self._answer(partial)
            self.last_evidence = answer.evidence
            self.last_judgement = answer.judgement
            return answer.hyp
        finally:
            self._in_utt = False
            self._ahead = None
            if self._pending is not None:
                self._activate(self._pending)

    def _answer(self, partial: str) -> _Answer:
        """The classifier, the final pass and the checks, on the utterance as it stands (live
        pass closed).

        The classifier hears what the final pass decodes (`_trimmed`: the words, 0.1 s of
        the quiet after them and its mirror), not the quiet that follows: so it can judge
        ahead of the end (`_speculate`) and give the same answer as at it. It judges first:
        where its phrase is taken whatever the final pass decodes (`_decided`, and
        `classifier_sure`), the final pass is not run (`raw` is then the live pass's words).
        """
        audio, mirrored = self._trimmed(b"".join(self._utt_audio))
        classifier = self._classifier
        probs = None
        live = ""
        if classifier is not None:
            samples = np.frombuffer(audio, dtype="<i2")
            probs = classifier.probabilities(samples) if samples.size else None
            phrase, p = _likeliest(classifier.classes, probs)
            live = self._live_phrase(partial)
            if self._decided(phrase, p, live) and p >= self.classifier_sure:
                decoded = self._decoder.hyp()
                raw = partial or (decoded.hypstr if decoded is not None else "")
                live_p = _probability(classifier, probs, live, unlearnt=0.0)
                judged = (phrase, p, "", 0.0, live, live_p)
                return _Answer(Hypothesis(phrase, p, raw=raw), None, judged, classifier, partial)
        hyp, evidence = self._conclude(audio, mirrored)
        judgement = None
        if classifier is not None:
            hyp, judgement = self._classified(classifier, hyp, probs, live)
        return _Answer(hyp, evidence, judgement, classifier, partial)

    def _conclude(self, audio: bytes, mirrored: int) -> tuple[Hypothesis, Evidence | None]:
        """The final pass (on `_trimmed` audio, `mirrored` bytes of it the mirrored tail)
        and the checks."""
        levels = self._utt_levels
        if self.whole_utterance:
            # The checks see what the final pass saw, the mirrored tail too (not the quiet
            # that came after it: none yet when the pass runs ahead of the end).
            levels = levels[: (len(audio) - mirrored) // 320]
            levels = levels + levels[len(levels) - mirrored // 320 :][::-1]
            hyp, segments = self._decode_whole(audio)
        else:
            hyp = self._decoder.hyp()
            segments = list(self._decoder.seg() or []) if hyp is not None else []
        raw = hyp.hypstr if hyp is not None else ""
        if not raw:
            return Hypothesis("", 0.0, raw="", reason="no-words"), None
        words = [s for s in segments if not s.word.startswith(("<", "["))]
        key = phrase_key(raw)
        if key not in self._phrase_keys:
            garbage = any(s.word.split("(")[0] in self._garbage for s in words)
            return Hypothesis("", 0.0, raw=raw, reason="garbage" if garbage else "partial"), None
        ev = self._evidence(raw, words, segments, levels)
        confidence = float(np.clip(ev.posterior * (1.0 - ev.unexplained), 0.0, 1.0))
        reason = self._judge(ev)
        if reason:
            return Hypothesis("", confidence, raw=raw, reason=reason), ev
        return Hypothesis(" ".join(spoken_words(raw)), max(confidence, 0.05), raw=raw), ev

    def _negatives(self, key: tuple[tuple[str, ...], ...]) -> list[str]:
        """What the classifier learns as "not a command": the garbage words (so none that
        sounds like a phrase word), the most common first."""
        return self._garbage_for(key)[: phrase_classifier.NEGATIVE_WORDS]

    def _classified(self, classifier: PhraseClassifier, hyp: Hypothesis,
                    probs: np.ndarray | None, live: str) -> tuple[Hypothesis, Judgement]:
        """The classifier's phrase where it is taken whatever the final pass decoded
        (`_decided`: sure of it, or the live pass heard it too); else pocketsphinx's
        accepted phrase where the classifier gives it some weight too
        (`classifier_agree`); else a rejection, except that stopping is never to be
        missed: a phrase meaning stop that pocketsphinx's final pass took stands, and so
        does one its live pass decoded where the classifier gives it
        `classifier_stop_agree`, likeliest or not.

        That last, measured on real people (bench_classifier's clips, first utterance):
        "stop" 21 -> 22 of 24, and on the enrollment speakers (not looked at when choosing)
        18 -> 20 of 23; commands, other words and talk unchanged, warm too. Without the
        classifier's weight, the live pass's "stop" alone took two more other words.

        The two together, on real people (bench/classifier.md, first utterance): right 57
        -> 63 %, wrong 8.5 -> 4.1 %, "stop" 79 -> 83 %, other words taken 16 -> 3 %. The
        classifier alone heard fewer commands than pocketsphinx (52 %), and pocketsphinx's
        phrase standing whatever the classifier thought let the false ones back in (17 %).
        """
        phrase, p = _likeliest(classifier.classes, probs)
        said = hyp.text
        agree = _probability(classifier, probs, said)
        live_p = _probability(classifier, probs, live, unlearnt=0.0)  # the live pass: no checks
        judgement = (phrase, p, said, agree, live, live_p)
        if self._decided(phrase, p, live):
            return Hypothesis(phrase, p, raw=hyp.raw), judgement
        if said and (agree >= self.classifier_agree or phrase_key(said) in self._stop_keys):
            return hyp, judgement
        if (live and phrase_key(live) in self._stop_keys
                and live_p >= self.classifier_stop_agree):
            # Its confidence is the classifier's for it: an unsure stop pauses and asks.
            return Hypothesis(live, live_p, raw=hyp.raw), judgement
        return Hypothesis("", p, raw=hyp.raw, reason=hyp.reason or "classifier"), judgement

    def _decided(self, phrase: str, p: float, live: str) -> bool:
        """Is the classifier's likeliest class, an active phrase, taken whatever the final
        pass decodes? Where the classifier is sure of it (`classifier_threshold`), or where
        pocketsphinx's live pass had decoded that same phrase when the answer was worked
        out (`live`) and the classifier gives it the weight it must give pocketsphinx's
        phrase anyway (`classifier_agree`): two judges naming one phrase, which the final
        pass could not make a better answer.

        The second way, measured on real people (the bench's 475 clips by speaker half,
        against the first alone): a fresh recognizer per clip, commands right 61.4 / 65.3
        -> 64.3 / 67.1 %, "stop" 20 -> 21 of 24; warm, 64.3 / 60.6 -> 64.3 / 63.5 %; other
        words taken unchanged, the wrong command one clip more on a half, one more read
        sentence taken warm (2 -> 3 of 27). The final pass, run for fewer utterances, no
        longer delays the answer to most of the commands the classifier is unsure of.
        """
        if phrase == OTHER or phrase_key(phrase) not in self._phrase_keys:
            return False
        return p >= self.classifier_threshold or (
            phrase == live and p >= self.classifier_agree)

    def _live_phrase(self, partial: str) -> str:
        """The active phrase the live pass had decoded when the answer was worked out
        (spelt as the classifier's classes are), else ""."""
        key = phrase_key(partial)
        if not key or key not in self._phrase_keys:
            return ""
        return " ".join(spoken_words(partial))

    def _evidence(
        self, raw: str, words: list[Any], segments: list[Any], utt_levels: Sequence[float]
    ) -> Evidence:
        levels = np.array(utt_levels)
        floor = float(np.percentile(levels, 10)) if levels.size else -100.0
        speech = levels > max(floor + 10.0, -50.0)
        quiet = [s for s in segments if s.word.startswith(("<", "["))]
        total = int(speech.sum()) or 1
        in_quiet = sum(int(speech[s.start_frame : s.end_frame + 1].sum()) for s in quiet)
        phones = [self._dictionary.get(s.word.split("(")[0], 3) for s in words]
        stretch = max(
            (
                (s.end_frame - s.start_frame + 1 - 30) / p
                for s, p in zip(words, phones, strict=True)
            ),
            default=0.0,
        )
        return Evidence(
            raw=raw,
            unexplained=in_quiet / total,
            stretch=stretch,
            speech_per_phone=(total - 40) / max(1, sum(phones)),
            posterior=min((float(s.prob) for s in words), default=0.0),
            acoustic_gap=acoustic_gap(words),
            word_frames=int(sum(s.end_frame - s.start_frame + 1 for s in words)),
            phones=sum(phones),
        )

    def _judge(self, ev: Evidence) -> str:
        """Why this utterance is not a command ("" when it is one); see the module docstring."""
        return checks_reason(ev, self.max_unexplained, self.max_frames_per_phone,
                             self.max_speech_per_phone, self.max_acoustic_gap)

    def generic_reason(self) -> str | None:
        """Why the checks at their defaults (GENERIC_CHECKS) would reject the last utterance
        ("" when they would take it; None when it never reached the checks: no phrase).

        An enrolled user's decoder runs with looser checks, its templates judging instead;
        where the templates cannot judge (a noisy room), this is the judgement for anyone.
        """
        ev = self.last_evidence
        return None if ev is None else checks_reason(ev, **GENERIC_CHECKS)

    def _trimmed(self, audio: bytes) -> tuple[bytes, int]:
        """The utterance without the quiet that ended it, past `final_tail_s`, and how many of
        its bytes at the end are mirrored.

        Every 10 ms the final pass need not decode is 10 ms sooner an answer: the
        trailing quiet (0.2-0.5 s, the end-pointing wait) is most of what it would
        decode after the person stopped. The last `final_pad_s` of the tail is the real
        quiet before it, reversed (the room's own noise, no seam), so the pass need not
        wait for it; whether it runs ahead or at the end, it sees the same audio.
        """
        if self.final_tail_s < 0:
            return audio, 0
        real_tail = int((self.final_tail_s - self.final_pad_s) * SAMPLE_RATE)
        quiet = self._samples - self._last_speech
        extra = quiet - real_tail
        if extra > 0:
            audio = audio[: max(0, len(audio) - 2 * extra)]
        pad = 2 * min(int(self.final_pad_s * SAMPLE_RATE), quiet, real_tail)
        if pad <= 0:
            return audio, 0
        tail = np.frombuffer(audio[len(audio) - pad :], dtype="<i2")
        return audio + tail[::-1].tobytes(), pad

    def _decode_whole(self, audio: bytes) -> tuple[Any, list[Any]]:
        """Decode the ended utterance in one piece, with the garbage words competing.

        In one piece (`full_utt`), pocketsphinx heard real speakers' commands more often
        than in its streaming result (whole Speech Commands clips, same grammar: 45 -> 57 %
        right at the same false accepts). The cepstral mean is still the one carried over
        (see `cmn_reset`), so a warm and a fresh recognizer can still differ.
        """
        self._decoder.activate_search(self._final_search())
        try:
            self._decoder.start_utt()
            if audio:
                self._decoder.process_raw(audio, False, True)
            self._decoder.end_utt()
            hyp = self._decoder.hyp()
            return hyp, (list(self._decoder.seg() or []) if hyp is not None else [])
        finally:
            self._decoder.activate_search(self._searches[self._key])

    def _final_search(self) -> str:
        """The final pass's search: the phrases and all the garbage words, or, once the
        classifier judges, the `judged_garbage_words` most common of them. Built the first
        time it is wanted, by the audio thread (whose decoder it is): at a grammar's
        activation, or, when the classifier becomes ready later, at the next utterance's
        start."""
        count = self.garbage_words
        if self._classifier is not None:
            count = min(count, self.judged_garbage_words)
        name = self._finals.get((self._key, count))
        if name is None:
            name = f"final{len(self._finals)}"
            garbage = self._garbage_for(self._key)[:count]
            self._decoder.add_jsgf_string(
                name, jsgf([" ".join(w) for w in self._key], garbage, self.garbage_weight)
            )
            self._finals[(self._key, count)] = name
        return name

    def new_stream(self) -> None:
        super().new_stream()
        self._rng = np.random.default_rng(self.dither_seed)  # as a fresh recognizer's
        # The same noise estimate and cepstral mean as a fresh decoder: reinit_feat rebuilds
        # the front end (its noise tracker carries between utterances too).
        self._decoder.reinit_feat()
        self._decoder.set_cmn(INITIAL_CMN)

    def reset(self) -> None:
        super().reset()
        if self._in_utt:
            self._close_live()
            self._in_utt = False
            self._ahead = None

    def close(self) -> None:
        self._decoder = None


@dataclass(frozen=True)
class Evidence:
    """What the checks look at, for one decoded utterance (kept for the bench and diagnosis)."""

    raw: str
    unexplained: float
    """Fraction of the speech frames that the alignment gives to silence or fillers."""
    stretch: float
    """Longest word's frames beyond 30, per phone."""
    speech_per_phone: float
    """The utterance's speech frames beyond 40, per phone of the phrase."""
    posterior: float
    """Lowest word posterior."""
    acoustic_gap: float
    word_frames: int
    phones: int


Judgement = tuple[str, float, str, float, str, float]
"""The classifier's phrase and probability, what pocketsphinx alone would have taken, the
classifier's probability of that, and the live pass's phrase at the pause ("" if none) and
the classifier's probability of it."""


@dataclass(frozen=True)
class _Answer:
    """An utterance's answer, and what it was worked out with (`_answer`)."""

    hyp: Hypothesis
    evidence: Evidence | None
    judgement: Judgement | None
    classifier: PhraseClassifier | None
    """The classifier that judged (None: pocketsphinx alone); a newer one judges again."""
    partial: str
    """The live pass's partial when it was worked out ahead (the segmenter asks for it)."""


def _likeliest(classes: Sequence[str], probs: np.ndarray | None) -> tuple[str, float]:
    """The classifier's likeliest class and its probability (no audio: `OTHER`, 0)."""
    if probs is None:
        return classes[0], 0.0
    best = int(probs.argmax())
    return classes[best], float(probs[best])


def _probability(classifier: PhraseClassifier, probs: np.ndarray | None, phrase: str,
                 unlearnt: float = 1.0) -> float:
    """The classifier's probability of `phrase` (0 for none, or no audio), `unlearnt` for a
    phrase it has not learnt yet (a new step's, while it learns): 1 where pocketsphinx's
    final pass then judges it alone."""
    if not phrase:
        return 0.0
    if phrase not in classifier.classes:
        return unlearnt
    return 0.0 if probs is None else float(probs[classifier.classes.index(phrase)])


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


def model_name() -> str:
    """The acoustic model in use, as a bug report should name it (the wheel's version)."""
    try:
        from importlib.metadata import version

        return f"pocketsphinx {version('pocketsphinx')} en-us"
    except Exception:  # a source install without metadata
        return "pocketsphinx en-us"


def vocabulary_words() -> set[str]:
    return set(load_dictionary(model_dir() / "en-us" / "cmudict-en-us.dict"))


def checks_reason(ev: Evidence, max_unexplained: float, max_frames_per_phone: float,
                  max_speech_per_phone: float, max_acoustic_gap: float) -> str:
    """The name of the first check the utterance fails, "" when it passes them all."""
    if ev.unexplained > max_unexplained:
        return "unexplained-speech"
    if ev.stretch > max_frames_per_phone:
        return "stretched"
    if ev.speech_per_phone > max_speech_per_phone:
        return "stretched"
    if ev.acoustic_gap > max_acoustic_gap:
        return "acoustic-gap"
    return ""
