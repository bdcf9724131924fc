"""Real pocketsphinx on real (generated) speech: commands heard, everything else rejected.

Thresholds, not 100 %: espeak-ng's formant voices are far from the speech the
acoustic model was trained on, and a few short words ("help", "next") are
genuinely hard for it. The misses are printed (-rA shows them) so a drop is
visible, and the benchmark (scripts/bench_speech.py) measures the rest.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.speech.conftest import feed, routine_phrases, voices
from tests.support import clips
from voicecoach.coach.intents import active_phrases, match
from voicecoach.routine.commands import BUILTIN_COMMANDS
from voicecoach.routine.phrases import phrase_key


def _pcm(text: str, voice: str, rate: int) -> bytes:
    return clips.pad(clips.speak(text, voice, rate), 0.4, 0.8).tobytes()


@pytest.fixture(scope="module")
def phrase_results(squat, mobility, decode_once):
    """Every phrase of both built-in routines (and every built-in command), every voice."""
    out = {}
    for routine in (squat, mobility):
        phrases = routine_phrases(routine)
        for p in phrases:
            for voice, rate in voices():
                hyps = decode_once(
                    phrases,
                    (p, voice, rate),
                    lambda p=p, voice=voice, rate=rate: _pcm(p, voice, rate),
                )
                out[(routine.name, p, voice)] = (routine, hyps)
    return out


def _right(routine, phrase, hyps) -> bool:
    heard = [h for h in hyps if h.text]
    return len(heard) == 1 and match(routine, None, heard[0].text) == match(routine, None, phrase)


def test_routine_phrases_and_builtin_commands_are_heard(phrase_results) -> None:
    misses = [
        (name, p, v, [(h.raw, h.reason) for h in hyps])
        for (name, p, v), (routine, hyps) in phrase_results.items()
        if not _right(routine, p, hyps)
    ]
    rate = 1 - len(misses) / len(phrase_results)
    print(f"\nheard {rate:.1%} of {len(phrase_results)} clips; misses:")
    for m in misses:
        print("  ", m)
    assert rate >= 0.88, misses


def test_flite_voices_meet_the_clean_target(phrase_results) -> None:
    """The CMU voices sound like real speech to the model: hold them to the 97 % target."""
    if not clips.have_flite():
        pytest.skip("flite is not installed (apt-get install flite)")
    items = [(k, v) for k, v in phrase_results.items() if k[2].startswith("flite:")]
    right = sum(_right(routine, k[1], hyps) for k, (routine, hyps) in items)
    assert right / len(items) >= 0.93


def test_every_builtin_command_is_heard_in_some_voice(phrase_results) -> None:
    builtin = {p for ps in BUILTIN_COMMANDS.values() for p in ps}
    never = [
        p
        for p in builtin
        if not any(_right(r, p, h) for (n, q, v), (r, h) in phrase_results.items() if q == p)
    ]
    assert len(never) <= 1, never


@pytest.fixture(scope="module")
def non_command_results(squat, decode_once):
    phrases = routine_phrases(squat)
    return {
        (s, v): decode_once(phrases, ("non", s, v), lambda s=s, v=v, r=r: _pcm(s, v, r))
        for s in clips.NON_COMMANDS
        for v, r in voices()
    }


def test_ordinary_talk_is_mostly_rejected(non_command_results) -> None:
    accepted = [
        (k, [h.text for h in hyps if h.text])
        for k, hyps in non_command_results.items()
        if any(h.text for h in hyps)
    ]
    rate = len(accepted) / len(non_command_results)
    print(f"\nfalse accepts {rate:.1%}: {accepted}")
    # A grammar alone accepts ~65 % of these; the rejection checks bring it to ~10 %.
    assert rate <= 0.15, accepted


@pytest.mark.parametrize("kind", ["white", "pink", "music"])
def test_noise_alone_is_never_a_command(kind: str, squat, decode_once) -> None:
    phrases = routine_phrases(squat)
    for seed in range(3):
        hyps = decode_once(
            phrases,
            ("noise", kind, seed),
            lambda seed=seed: clips.noise_only(3.0, kind, -30.0, seed=seed).tobytes(),
        )
        assert not [h.text for h in hyps if h.text]


def test_commands_in_10db_pink_noise_are_mostly_heard(squat, decode_once) -> None:
    phrases = routine_phrases(squat)
    sample = [p for ps in BUILTIN_COMMANDS.values() for p in ps][::2]
    right = 0
    for k, p in enumerate(sample):
        x = clips.mix_snr(clips.pad(clips.speak(p, "en-us", 150), 0.4, 0.8), "pink", 10, seed=k)
        hyps = decode_once(phrases, ("pink10", p), lambda x=x: x.tobytes())
        right += _right(squat, p, hyps)
    assert right / len(sample) >= 0.7


def test_switching_steps_switches_the_grammar(squat, sphinx) -> None:
    """A correction of one step is heard in that step, and is not a command in another."""
    steps = [i for i, s in enumerate(squat.steps) if s.corrections]
    first = steps[0]
    phrase = squat.steps[first].corrections[0].when[0]
    other = next(
        i
        for i in range(len(squat.steps))
        if phrase_key(phrase) not in {phrase_key(p) for p in active_phrases(squat, i)}
    )
    pcm = _pcm(phrase, "flite:slt" if clips.have_flite() else "en-us", 150)
    sphinx.reset()
    sphinx.set_phrases(active_phrases(squat, first))
    heard = [h.text for h in feed(sphinx, pcm) if h.text]
    sphinx.set_phrases(active_phrases(squat, other))
    elsewhere = [h.text for h in feed(sphinx, pcm) if h.text]
    sphinx.set_phrases(active_phrases(squat, first))  # back again: cached search, same result
    again = [h.text for h in feed(sphinx, pcm) if h.text]
    assert [phrase_key(t) for t in heard] == [phrase_key(phrase)]
    assert phrase_key(phrase) not in {phrase_key(t) for t in elsewhere}
    assert again == heard


def test_empty_and_silent_audio_do_not_crash(sphinx, squat) -> None:
    sphinx.reset()
    sphinx.set_phrases(active_phrases(squat, 0))
    assert sphinx.accept(b"") == []
    assert sphinx.accept(b"\x00") == []  # half a sample
    assert sphinx.flush() == []
    assert feed(sphinx, bytes(32000)) == []  # one second of digital silence


def test_hypothesis_times_and_early_end(sphinx, squat) -> None:
    """A whole unambiguous phrase is decided before the full trailing silence."""
    sphinx.reset()
    sphinx.set_phrases(active_phrases(squat, 0))
    voice = "flite:rms" if clips.have_flite() else "en-us"
    x = clips.speak("next step", voice, 150)
    pcm = clips.pad(x, 1.0, 1.5).tobytes()
    before = sphinx._samples / 16000
    hyps = [h for h in feed(sphinx, pcm) if h.text]
    assert [h.text for h in hyps] == ["next step"]
    h = hyps[0]
    assert h.early
    assert 0.6 <= h.start_s - before <= 1.1
    assert 0 < h.confidence <= 1
    assert h.decode_s >= 0


def test_a_prefix_phrase_with_the_same_meaning_is_decided_early(sphinx, squat) -> None:
    """"next" begins "next step", but both mean next: no waiting to hear whether "step" follows.
    Without meanings the recognizer must assume they differ, and waits the full silence."""
    from voicecoach.coach.intents import phrase_meanings

    voice = "flite:rms" if clips.have_flite() else "en-us"
    pcm = clips.pad(clips.speak("next", voice, 150), 1.0, 1.5).tobytes()
    decided = {}
    for meanings in (phrase_meanings(squat, 0), None):
        sphinx.reset()
        sphinx.set_phrases(active_phrases(squat, 0), meanings)
        heard = [h for h in feed(sphinx, pcm) if h.text]
        assert [h.text for h in heard] == ["next"]
        decided[meanings is not None] = heard[0].early
    assert decided == {True: True, False: False}


def test_stereo_48k_wav_is_heard(tmp_path, squat, sphinx) -> None:
    from voicecoach.speech.audio import wav_pcm16k

    voice = "flite:slt" if clips.have_flite() else "en-us"
    stereo = clips.pad(
        clips.speak("my heels are lifting", voice, 150, sample_rate=48000, channels=2),
        0.4,
        0.8,
        sample_rate=48000,
    )
    path = clips.write_wav(tmp_path / "s.wav", stereo, 48000)
    pcm = wav_pcm16k(path)
    assert abs(len(pcm) / 2 - stereo.shape[0] / 3) <= 2
    sphinx.reset()
    sphinx.set_phrases(routine_phrases(squat))
    assert [h.text for h in feed(sphinx, pcm) if h.text] == ["my heels are lifting"]


def test_make_recognizer_auto_is_pocketsphinx_without_a_model(squat) -> None:
    from voicecoach.speech import make_recognizer

    rec = make_recognizer("auto", squat)
    assert rec.name == "pocketsphinx"
    assert rec.choice.engine == "pocketsphinx" and "no Vosk model" in rec.choice.reason
    assert np.isclose(rec.sample_rate, 16000)


def test_glutes_is_in_the_vocabulary_and_heard_as_the_butt_correction(squat) -> None:
    """"glutes" is not in the wheel's CMU dictionary; voicecoach/speech/data/extra.dict adds it,
    for `check --engine pocketsphinx` (the vocabulary) and for the decoder alike."""
    from voicecoach.coach.intents import listen_phrases
    from voicecoach.speech.sphinx import PocketsphinxRecognizer
    from voicecoach.speech.vocab import load_vocabulary

    vocabulary = load_vocabulary("pocketsphinx")
    assert vocabulary is not None
    assert {"glute", "glutes"} <= vocabulary.words

    step = next(i for i, s in enumerate(squat.steps) if s.id == "squat")
    voice = "flite:slt" if clips.have_flite() else "en-us"
    pcm = _pcm("I don't feel my glutes", voice, 150)
    rec = PocketsphinxRecognizer()  # fresh: no other test's words or cepstral mean
    try:
        rec.set_phrases(listen_phrases(squat, step))
        assert "i don't feel my glutes" not in rec.skipped_phrases
        heard = [h.text for h in feed(rec, pcm) if h.text]
    finally:
        rec.close()
    assert len(heard) == 1, heard
    intent = match(squat, step, heard[0])
    butt = match(squat, step, "i don't feel my butt")
    assert intent is not None and butt is not None
    assert intent.kind == "correction" and intent.from_step is None
    assert intent.correction == butt.correction


def test_the_final_pass_runs_before_the_early_end(squat) -> None:
    """The whole-utterance pass starts once `final_tail_s` of quiet has passed, so the chunk
    that brings the early end finds the answer ready (mic chunks of 20 ms here)."""
    from voicecoach.coach.intents import phrase_meanings
    from voicecoach.speech.sphinx import PocketsphinxRecognizer

    class Counting(PocketsphinxRecognizer):
        passes = 0

        def _decode_whole(self, audio: bytes):  # type: ignore[no-untyped-def]
            Counting.passes += 1
            return super()._decode_whole(audio)

    rec = Counting()
    rec.set_phrases(active_phrases(squat, 0), phrase_meanings(squat, 0))
    pcm = clips.pad(clips.speak("next step", "en-us", 150), 0.5, 1.0).tobytes()
    passes_before: list[int] = []
    heard = []
    for i in range(0, len(pcm), 640):
        before = Counting.passes
        for h in rec.accept(pcm[i : i + 640]):
            heard.append(h)
            passes_before.append(before)
    assert [h.text for h in heard if h.text] == ["next step"]
    assert heard[0].early
    assert passes_before == [1]  # done in an earlier chunk than the one that decided
    assert Counting.passes == 1
    rec.close()


def test_the_final_pass_sees_the_same_audio_ahead_of_the_end_and_at_it(squat) -> None:
    """The final pass runs `final_pad_s` before `final_tail_s` of quiet has passed, on the
    real quiet and its mirror image: the audio it decodes, and the levels its checks judge,
    must be the same as when it runs at the end of the utterance (no speculation), or an
    answer would depend on more than the decoder's own carried state."""
    from voicecoach.coach.intents import phrase_meanings
    from voicecoach.speech.sphinx import PocketsphinxRecognizer

    class Keeping(PocketsphinxRecognizer):
        def __init__(self, ahead: bool) -> None:
            super().__init__()
            self.ahead = ahead
            self.decoded: list[bytes] = []

        @property
        def speculate_s(self) -> float | None:  # type: ignore[override]
            return super().speculate_s if self.ahead else None

        def _decode_whole(self, audio: bytes):  # type: ignore[no-untyped-def]
            self.decoded.append(audio)
            return super()._decode_whole(audio)

    pcm = clips.pad(clips.speak("next step", "en-us", 150), 0.5, 1.0).tobytes()
    runs = []
    for ahead in (True, False):
        rec = Keeping(ahead)
        rec.set_phrases(active_phrases(squat, 0), phrase_meanings(squat, 0))
        heard = [h.text for i in range(0, len(pcm), 640) for h in rec.accept(pcm[i : i + 640])]
        runs.append((heard, rec.decoded, rec.last_evidence))
        assert rec.speculate_s is None or abs(rec.speculate_s - 0.10) < 1e-9
        rec.close()
    (heard_ahead, audio_ahead, ev_ahead), (heard_end, audio_end, ev_end) = runs
    assert heard_ahead == heard_end == ["next step"]
    assert len(audio_ahead) == len(audio_end) == 1 and audio_ahead[0] == audio_end[0]
    # The checks saw the same levels too. (The scores move a little, posterior 0.9327 vs
    # 0.9330: the decoder's noise and mean estimates carry what the live pass had heard.)
    assert ev_ahead is not None and ev_end is not None
    assert (ev_ahead.unexplained, ev_ahead.speech_per_phone, ev_ahead.word_frames) == (
        ev_end.unexplained, ev_end.speech_per_phone, ev_end.word_frames)
    assert abs(ev_ahead.posterior - ev_end.posterior) < 0.01
    tail = np.frombuffer(audio_ahead[0], np.int16)[-1600:]  # the last 0.1 s
    assert np.array_equal(tail[800:], tail[:800][::-1])  # the real quiet, then its mirror


def test_speech_after_a_pause_inside_a_phrase_is_still_heard(squat) -> None:
    """A pause long enough to start the final pass but shorter than the early end ("stop ...
    the session"): the live pass takes the utterance up again and the whole phrase is heard."""
    from voicecoach.coach.intents import phrase_meanings
    from voicecoach.speech.sphinx import PocketsphinxRecognizer

    class Watching(PocketsphinxRecognizer):
        resumed = 0

        def _resume(self) -> None:
            Watching.resumed += 1
            super()._resume()

    def spoken(text: str) -> np.ndarray:
        x = clips.speak(text, "en-us", 150)
        loud = np.flatnonzero(np.abs(x.astype(np.int32)) > 500)
        return x[loud[0] : loud[-1] + 1]  # espeak-ng's own quiet would lengthen the pause

    rec = Watching()
    rec.set_phrases(active_phrases(squat, 0), phrase_meanings(squat, 0))
    first, second = spoken("stop"), spoken("the session")
    for gap_s in (0.10, 0.13):
        rec.new_stream()
        gap = np.zeros(int(gap_s * 16000), np.int16)
        pcm = clips.pad(np.concatenate([first, gap, second]), 0.5, 1.0).tobytes()
        heard = [h.text for h in feed(rec, pcm) if h.text]
        assert heard == ["stop the session"], (gap_s, heard)
    assert Watching.resumed >= 1
    rec.close()
