"""The phrase classifier: learnt from generated voices, judged on real people.

Real parts throughout: espeak-ng (and flite where installed) render the takes, the speech
embedding runs in pyopen-wakeword's TFLite runtime, and the judged clips are recordings of
real people (`../shared/speech-corpus/`, skipped with the reason where absent). Smaller than
the product's training (fewer takes and other words) so that it takes seconds; the full
measurement is `scripts/bench_real.py` (bench/real-speech.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.speech.conftest import feed
from tests.speech.test_real_corpus import CLIPS, COMMANDS, NEGATIVES
from voicecoach.locations import cache_dir
from voicecoach.speech import phrase_classifier
from voicecoach.speech.audio import wav_pcm16k
from voicecoach.speech.embedding import FEATURES
from voicecoach.speech.garbage import common_words
from voicecoach.speech.phrase_classifier import (
    OTHER,
    FeatureCache,
    PhraseClassifier,
    Weights,
    learn,
)
from voicecoach.speech.sphinx import PocketsphinxRecognizer

pytest.importorskip("pyopen_wakeword", reason="pyopen-wakeword (the speech embedding) absent")

needs_corpus = pytest.mark.skipif(
    not all((CLIPS / f).is_file() for f in NEGATIVES + COMMANDS),
    reason=f"the real-speech corpus is absent ({CLIPS}): recordings of real people, "
    "kept outside the project",
)
WORDS = ("yes", "no", "up", "down", "left", "right", "stop", "go")
OTHER_WORDS = tuple(w for w in common_words()[:120] if w not in WORDS and w not in (
    "know", "now", "so", "go", "to", "on", "all", "do", "got", "get"))[:60]
"""Common words, none of them a command nor sounding like one (the recognizer picks them by
phone distance; a fixed list here keeps the test independent of the dictionary)."""


def _samples(clip: str) -> np.ndarray:
    return np.frombuffer(wav_pcm16k(CLIPS / clip), dtype="<i2")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Weights:
    cache = FeatureCache(tmp_path_factory.mktemp("features"))
    return learn(WORDS, OTHER_WORDS, cache=cache, takes=24, negative_takes=2)


def test_features_and_weights_are_cached_and_damage_is_made_again(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    feats = np.ones((3, FEATURES), dtype=np.float32)
    cache.put("next", 3, feats)
    got = cache.get("next", 3)
    assert got is not None and got.shape == (3, FEATURES)
    assert cache.get("next", 4) is None  # another number of takes is another entry
    for path in tmp_path.glob("*.npy"):
        path.write_bytes(b"not numpy")
    assert cache.get("next", 3) is None
    assert not list(tmp_path.glob("*.tmp"))  # written atomically

    weights = Weights(("", "next"), np.zeros((FEATURES, 4), np.float32), np.zeros(4, np.float32),
                      np.ones((4, 2), np.float32), np.zeros(2, np.float32),
                      np.zeros(FEATURES, np.float32), np.ones(FEATURES, np.float32))
    cache.put_weights("k", weights)
    again = cache.get_weights("k")
    assert again is not None and again.classes == ("", "next")
    assert np.array_equal(again.w2, weights.w2) and again.w1.shape == (FEATURES, 4)


@needs_corpus
def test_learnt_from_generated_voices_it_hears_real_people(small: Weights) -> None:
    clf = PhraseClassifier(small)
    heard = {c: clf.judge(_samples(c)) for c in COMMANDS}
    right = [c for c, (phrase, p) in heard.items() if phrase == c.split("/")[0] and p >= 0.5]
    # On the whole corpus it hears about 60 % of real people's commands (bench/real-speech.md).
    assert len(right) >= 4, heard

    others = {c: clf.judge(_samples(c)) for c in NEGATIVES}
    taken = {c: h for c, h in others.items() if h[0] != OTHER and h[1] >= 0.5}
    assert len(taken) <= 1, taken


@needs_corpus
def test_recognizer_lets_the_classifier_decide(small: Weights, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """With `classifier=True` the recognizer learns its grammar (here from the module's small
    training, already in memory) and takes the classifier's phrase; what it turns away gets
    the reason "classifier" unless pocketsphinx had a reason of its own."""
    monkeypatch.setenv("VOICECOACH_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(phrase_classifier, "TAKES", 24)
    monkeypatch.setattr(phrase_classifier, "NEGATIVE_TAKES", 2)
    monkeypatch.setattr(PocketsphinxRecognizer, "_negatives", lambda self, key: list(OTHER_WORDS))
    rec = PocketsphinxRecognizer(classifier=True)
    try:
        rec.set_phrases(WORDS)
        results = {}
        for clip in COMMANDS + NEGATIVES:
            rec.new_stream()
            results[clip] = [h for h in feed(rec, wav_pcm16k(CLIPS / clip))]
    finally:
        rec.close()
    right = [c for c in COMMANDS if [h.text for h in results[c] if h.text][:1] == [c.split("/")[0]]]
    assert len(right) >= 4, results
    taken = [c for c in NEGATIVES if any(h.text for h in results[c])]
    assert len(taken) <= 1, taken
    reasons = {h.reason for c in NEGATIVES for h in results[c] if not h.text}
    assert reasons and "" not in reasons
    # The final pass ran with the classifier's smaller garbage list (judged_garbage_words).
    assert list(rec._finals) == [(rec._key, rec.judged_garbage_words)]


@needs_corpus
def test_the_classifier_judges_ahead_of_the_end_and_first(small: Weights, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The classifier's embedding runs with the final pass ahead of the early end
    (`speculate_s`), so the person does not wait for it; it hears the same audio there as at
    the end (the words and the final pass's tail, not the quiet after), so the judgement is
    the same whether it ran ahead or not. It judges before the final pass, which is not run
    where the classifier is sure (`classifier_sure`): the same answers, fewer passes."""
    monkeypatch.setenv("VOICECOACH_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(phrase_classifier, "TAKES", 24)
    monkeypatch.setattr(phrase_classifier, "NEGATIVE_TAKES", 2)
    monkeypatch.setattr(PocketsphinxRecognizer, "_negatives", lambda self, key: list(OTHER_WORDS))

    class Counting(PocketsphinxRecognizer):
        ahead = True
        judged = passes = 0

        @property
        def speculate_s(self) -> float | None:  # type: ignore[override]
            return super().speculate_s if self.ahead else None

        def _answer(self, partial: str):  # type: ignore[no-untyped-def]
            self.judged += 1
            return super()._answer(partial)

        def _decode_whole(self, audio: bytes):  # type: ignore[no-untyped-def]
            self.passes += 1
            return super()._decode_whole(audio)

    rec = Counting(classifier=True)
    silence = b"\0" * 16000  # 0.5 s after the word: the early end comes
    configs = ((True, 0.0), (False, 0.0), (True, 1.01))  # 1.01: the final pass always runs
    runs: dict[tuple[bool, float], list[tuple[str, tuple[str, float] | None]]] = {
        c: [] for c in configs}
    passes: dict[tuple[bool, float], int] = {}
    early = 0
    try:
        rec.set_phrases(WORDS)
        for config in configs:
            rec.ahead, rec.classifier_sure = config
            rec.passes = 0
            for clip in COMMANDS + NEGATIVES:
                rec.new_stream()
                pcm = wav_pcm16k(CLIPS / clip) + silence
                for i in range(0, len(pcm), 640):
                    before = rec.judged
                    for h in rec.accept(pcm[i : i + 640]):
                        if config == configs[0] and h.early:
                            early += 1
                            assert rec.judged == before, clip  # judged in an earlier chunk
                        assert h.raw or not h.text  # what was decoded, even where not run
                        runs[config].append((h.text, _classifiers_part(rec)))
                runs[config].extend((h.text, _classifiers_part(rec)) for h in rec.flush())
            passes[config] = rec.passes
    finally:
        rec.close()
    assert early >= 3, runs[configs[0]]
    assert runs[configs[0]] == runs[configs[1]]
    assert [t for t, _ in runs[configs[0]]] == [t for t, _ in runs[configs[2]]]
    assert passes[configs[0]] < passes[configs[2]], passes


def _classifiers_part(rec: PocketsphinxRecognizer) -> tuple[str, float] | None:
    """The classifier's phrase and probability in the last judgement (the rest is what
    pocketsphinx decoded, whose scores move a little with what the live pass had heard)."""
    return None if rec.last_judgement is None else rec.last_judgement[:2]


@needs_corpus
def test_transcribe_with_the_classifier(monkeypatch: pytest.MonkeyPatch) -> None:
    """`transcribe --classifier` learns the routine's phrases before the first file and keeps
    what it learnt. A token training here (4 takes a phrase: how well it hears is the tests
    above and the bench), so only what must hold whatever it learnt is checked."""
    import json

    from click.testing import CliRunner

    from voicecoach.cli import cli

    monkeypatch.setattr(phrase_classifier, "TAKES", 4)
    monkeypatch.setattr(phrase_classifier, "NEGATIVE_TAKES", 1)
    monkeypatch.setattr(phrase_classifier, "NEGATIVE_WORDS", 30)
    files = [str(CLIPS / c) for c in ("stop/sc2test_022cd682_nohash_0.wav", NEGATIVES[0])]
    args = ["transcribe", *files, "--engine", "pocketsphinx", "--json"]
    result = CliRunner().invoke(cli, [*args, "--classifier"])
    assert result.exit_code == 0, result.output
    assert "learning the routine's phrases" in result.stderr  # the wait is said
    stop, other = [json.loads(line) for line in result.stdout.splitlines()]
    assert stop["intent"] == "stop", stop  # never lost to the classifier (see `_classified`)
    assert other["raw"] and (other["reason"] is None) == (other["intent"] is not None), other
    # Learnt once, kept: the next start of this routine trains nothing.
    assert list(cache_dir().glob("phrase-features/model-*.npz"))


def test_learning_in_the_background_then_judging(monkeypatch: pytest.MonkeyPatch) -> None:
    """`run`'s way: set_phrases returns at once, pocketsphinx judges alone meanwhile, and the
    classifier takes over when learnt; a second recognizer for the same routine finds it
    learnt (in memory, and in the cache) and needs no thread."""
    import time

    monkeypatch.setattr(phrase_classifier, "TAKES", 4)
    monkeypatch.setattr(phrase_classifier, "NEGATIVE_TAKES", 1)
    monkeypatch.setattr(phrase_classifier, "NEGATIVE_WORDS", 20)
    rec = PocketsphinxRecognizer(classifier=True, classifier_background=True)
    rec.set_phrases(("next", "repeat", "pause"))
    assert rec.classifier_learning
    assert [n for _, n in rec._finals] == [rec.garbage_words]  # pocketsphinx alone: all
    deadline = time.monotonic() + 120
    while rec.classifier_learning and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not rec.classifier_learning and rec._classifier is not None
    assert set(rec._classifier.classes) == {OTHER, "next", "repeat", "pause"}
    assert list(cache_dir().glob("phrase-features/model-*.npz"))
    rec._final_search()  # as the next utterance's start does: the smaller list's search
    assert [n for _, n in rec._finals] == [rec.garbage_words, rec.judged_garbage_words]

    again = PocketsphinxRecognizer(classifier=True, classifier_background=True)
    again.set_phrases(("next", "repeat", "pause"))
    assert not again.classifier_learning and again._classifier is not None


def test_the_phrases_that_stand_for_stop_are_the_routines_stop_phrases() -> None:
    """What always stands when pocketsphinx took it (`_classified`): every phrase the routine
    says means stop, "I'm done" too; without meanings, the phrases with the word "stop"."""
    from voicecoach.coach.intents import active_phrases, phrase_meanings
    from voicecoach.routine import load_routine
    from voicecoach.routine.phrases import phrase_key

    routine = load_routine("squat")
    rec = PocketsphinxRecognizer()
    try:
        rec.set_phrases(active_phrases(routine, 0), phrase_meanings(routine, 0))
        assert {"stop", "stop the session", phrase_key("I'm done")} <= rec._stop_keys
        assert "next" not in rec._stop_keys and "pause" not in rec._stop_keys
        rec.set_phrases(["stop", "stop the session", "next"])
        assert rec._stop_keys == {"stop", "stop the session"}
    finally:
        rec.close()


def test_two_judges_naming_one_phrase_decide_it() -> None:
    """Below its own bar, the classifier's phrase is taken where pocketsphinx's live pass had
    decoded that phrase too and the classifier gives it `classifier_agree`: what the final
    pass would decode could not make it a better answer, so the pass is not run
    (`_decided`). A phrase of another step, the classifier's "no command", or a weaker
    weight is not decided so."""
    rec = PocketsphinxRecognizer(classifier_threshold=0.5, classifier_agree=0.2)
    try:
        rec.set_phrases(["go", "stop", "go back", "I'm done"])
        assert rec._live_phrase("go") == "go" and rec._live_phrase("I'm done") == "i'm done"
        assert rec._live_phrase("go go") == "" and rec._live_phrase("") == ""
        assert rec._decided("go", 0.6, "")  # sure on its own word
        assert rec._decided("go", 0.3, "go") and rec._decided("i'm done", 0.2, "i'm done")
        assert not rec._decided("go", 0.3, "")  # the live pass heard no phrase
        assert not rec._decided("go", 0.3, "go back")  # nor this one
        assert not rec._decided("go", 0.19, "go")  # too little weight
        assert not rec._decided(OTHER, 0.9, "go")
        rec.set_phrases(["stop"])
        assert not rec._decided("go", 0.6, "go")  # not a phrase of this step
    finally:
        rec.close()


def test_a_stop_the_live_pass_decoded_stands_with_the_classifiers_weight() -> None:
    """Stopping is never to be missed (`_classified`): where the final pass rejected the
    utterance but the live pass had decoded a phrase meaning stop, that stands if the
    classifier gives it `classifier_stop_agree` (less than the `classifier_agree` other
    phrases need), even when its likeliest class is "no command". Any other phrase needs
    the classifier's own vote (`_decided`). Its confidence is the classifier's for it, so
    an unsure stop pauses and asks rather than ending anything."""
    from types import SimpleNamespace

    from voicecoach.speech.hypothesis import Hypothesis

    rec = PocketsphinxRecognizer(classifier_agree=0.2, classifier_stop_agree=0.05)
    try:
        rec.set_phrases(["go", "stop", "next"])
        judge = SimpleNamespace(classes=(OTHER, "go", "stop", "next"))
        rejected = Hypothesis("", 0.0, raw="what", reason="garbage")

        def heard(probs: list[float], live: str) -> str:
            hyp, judgement = rec._classified(judge, rejected, np.array(probs), live)  # type: ignore[arg-type]
            assert judgement[4:] == (live, probs[judge.classes.index(live)] if live else 0.0)
            return hyp.text

        hyp, _ = rec._classified(judge, rejected, np.array([0.7, 0.05, 0.25, 0.0]), "stop")  # type: ignore[arg-type]
        assert hyp.confidence == 0.25  # unsure: the coach pauses and asks "did you say stop?"
        assert heard([0.85, 0.05, 0.05, 0.05], "stop") == "stop"
        assert heard([0.9, 0.05, 0.04, 0.01], "stop") == ""  # too little weight
        assert heard([0.7, 0.05, 0.2, 0.05], "") == ""  # the live pass heard no phrase
        assert heard([0.7, 0.25, 0.0, 0.05], "go") == ""  # not a stop: the classifier's vote
        unlearnt = SimpleNamespace(classes=(OTHER, "go", "next"))  # while it learns "stop"
        hyp, _ = rec._classified(unlearnt, rejected, np.array([0.8, 0.1, 0.1]), "stop")  # type: ignore[arg-type]
        assert hyp.text == ""  # the live pass has no checks: pocketsphinx's final pass judges
    finally:
        rec.close()


def test_without_the_classifier_every_garbage_word_competes() -> None:
    """The smaller garbage list is for when the classifier judges: pocketsphinx alone (off,
    or while the classifier learns) rejects other words by them (300 of them: false accepts
    16.7 -> 27.8 % on real people)."""
    rec = PocketsphinxRecognizer(classifier=False, garbage_words=40, judged_garbage_words=10)
    try:
        rec.set_phrases(WORDS)
        assert list(rec._finals) == [(rec._key, 40)]
        assert len(rec._garbage_for(rec._key)) == 40
    finally:
        rec.close()
