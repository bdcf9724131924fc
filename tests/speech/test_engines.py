"""Engine choice, the text engine, grammars, vocabulary, and Vosk as far as it runs here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.speech.conftest import feed, voices
from tests.support import clips
from voicecoach.coach.intents import active_phrases, match
from voicecoach.errors import ModelMissingError, UsageError
from voicecoach.speech import make_recognizer
from voicecoach.speech.grammar import jsgf, vosk_grammar
from voicecoach.speech.models import resolve_model
from voicecoach.speech.vocab import load_vocabulary


def test_text_engine_gives_the_same_hypotheses(squat) -> None:
    rec = make_recognizer("text", squat)
    [h] = rec.feed_text("  Next STEP! ")
    assert h.text == "next step" and h.confidence == 1.0
    assert match(squat, 0, h.text).kind == "next"
    [h] = rec.feed_text("I'm done")
    assert match(squat, 0, h.text).kind == "stop"
    [h] = rec.feed_text("what a lovely day")
    assert h.rejected and h.raw == "what a lovely day"
    assert rec.feed_text("   ") == [] and rec.accept(b"\x00" * 100) == [] and rec.flush() == []


def test_grammars_are_built_from_phrases() -> None:
    g = jsgf(["Next step", "I'm done", "next step", "my heels are lifting!"])
    assert "next step | i'm done | my heels are lifting;" in g
    assert json.loads(vosk_grammar(["Go on", "that hurts"])) == ["go on", "that hurts", "[unk]"]
    one = jsgf(["next"], garbage=["the", "a"])
    assert "<garbage> = (the | a);" in one and "<command> = next;" in one
    looped = jsgf(["next"], garbage=["the", "a"], loop=True)
    assert "<garbage> = (the | a)+;" in looped


def test_unknown_engine_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        make_recognizer("whisper")


def test_vosk_with_a_bad_model_path_is_one_clear_line(tmp_path: Path, squat) -> None:
    """Real vosk library: a missing folder and a folder that is not a model both give our error."""
    pytest.importorskip("vosk")
    with pytest.raises(ModelMissingError, match="model download"):
        make_recognizer("vosk", squat, model=tmp_path / "nothing-here")
    (tmp_path / "broken" / "am").mkdir(parents=True)
    (tmp_path / "broken" / "am" / "final.mdl").write_bytes(b"garbage")
    (tmp_path / "broken" / "conf").mkdir()
    with pytest.raises(ModelMissingError):
        make_recognizer("vosk", squat, model=tmp_path / "broken")


def test_vocabulary_and_suggestions() -> None:
    vocab = load_vocabulary("pocketsphinx")
    assert vocab is not None and "pocketsphinx" in vocab.name
    assert "heels" in vocab and "i'm" in vocab and "HEELS" in vocab
    assert "glutez" not in vocab
    assert vocab.suggest("glutez") is not None
    assert vocab.suggest("qqqqzzzz") is None
    assert load_vocabulary("text") is None


def test_every_builtin_routine_word_is_in_the_pocketsphinx_dictionary(squat, mobility) -> None:
    from voicecoach.coach.intents import all_phrases
    from voicecoach.routine.phrases import spoken_words

    vocab = load_vocabulary("pocketsphinx")
    missing = {
        w
        for r in (squat, mobility)
        for p in all_phrases(r)
        for w in spoken_words(p)
        if w not in vocab
    }
    assert not missing


vosk_model = resolve_model(None)[0]


@pytest.mark.skipif(
    vosk_model is None, reason="no Vosk model installed (voicecoach model download)"
)
def test_vosk_hears_commands_and_rejects_talk(squat) -> None:
    rec = make_recognizer("vosk", squat)
    rec.set_phrases(active_phrases(squat, 0))
    right = total = 0
    for p in ("next step", "repeat", "stop", "say that again"):
        for voice, rate in voices():
            hyps = feed(rec, clips.pad(clips.speak(p, voice, rate), 0.4, 0.8).tobytes())
            total += 1
            right += [h.text for h in hyps if h.text] == [p]
    assert right / total >= 0.9
    fa = sum(
        any(h.text for h in feed(rec, clips.pad(clips.speak(s, "en-us", 150)).tobytes()))
        for s in clips.NON_COMMANDS
    )
    assert fa / len(clips.NON_COMMANDS) <= 0.1


def test_acoustic_gap_is_per_frame_and_an_underflowed_word_is_rejected() -> None:
    import math
    from types import SimpleNamespace as Seg

    from voicecoach.speech.sphinx import acoustic_gap

    word = Seg(start_frame=10, end_frame=19, ascore=math.exp(-20.0))  # 10 frames, -20 in all
    assert acoustic_gap([word]) == pytest.approx(2.0)
    assert acoustic_gap([word, Seg(start_frame=20, end_frame=29, ascore=0.0)]) == math.inf
    assert acoustic_gap([]) == math.inf


def test_the_decoder_holds_only_the_grammar_words(squat) -> None:
    """Alternative pronunciations come along ("either"-style entries), and the 130k-word
    dictionary is never loaded into the decoder (RSS on a Pi)."""
    from voicecoach.speech.sphinx import PocketsphinxRecognizer

    rec = PocketsphinxRecognizer()
    rec.set_phrases(["read it again"])
    assert rec._decoder.lookup_word("again") is not None
    assert rec._decoder.lookup_word("again(2)") is not None  # cmudict has two
    assert rec._decoder.lookup_word("sandwich") is None
    rec.set_phrases(["xyzzy plugh", "next"])
    assert rec.skipped_phrases == ("xyzzy plugh",)
