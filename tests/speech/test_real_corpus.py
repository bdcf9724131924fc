"""Rejection on real people: a small fixed sample of the real corpus, decoded by the default
pocketsphinx recognizer (fresh, as the first commands of a session are).

The full measurement (every clip, the curve) is `scripts/bench_real.py`; this is its fast
guard. The sample is fixed by file name: the first file (by name) in each word's folder of
`../shared/speech-corpus/clips/`, for 8 out-of-grammar words and 8 commands. Skipped, with
the reason, where the corpus is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.speech.conftest import feed
from tests.support.lexicon import one_pronunciation_each
from voicecoach.coach.intents import all_phrases, phrase_meanings
from voicecoach.routine import load_routine
from voicecoach.routine.models import Routine
from voicecoach.speech import sphinx
from voicecoach.speech.audio import wav_pcm16k
from voicecoach.speech.sphinx import PocketsphinxRecognizer

CLIPS = Path(__file__).resolve().parents[3] / "shared" / "speech-corpus" / "clips"
WORDS = ("yes", "no", "up", "down", "left", "right", "on", "off", "go", "zero", "one", "two",
         "three", "four", "five", "six", "seven", "eight", "nine")
"""The bench's routine: these 19 words as corrections, plus the built-ins ("stop" is one)."""
NEGATIVES = (
    "bed/sc1_62581901_nohash_0.wav",
    "bird/sc1_2f813234_nohash_1.wav",
    "cat/sc1_26e573a9_nohash_0.wav",
    "dog/sc1_62581901_nohash_0.wav",
    "happy/sc1_37e8db82_nohash_1.wav",
    "house/sc1_2f813234_nohash_1.wav",
    "marvin/sc1_5fe4a278_nohash_0.wav",
    "sheila/sc1_6a27a9bf_nohash_0.wav",
)
COMMANDS = (
    "yes/sc2test_022cd682_nohash_0.wav",
    "no/sc2test_03401e93_nohash_0.wav",
    "up/sc2test_0c40e715_nohash_0.wav",
    "down/sc2test_0c540988_nohash_0.wav",
    "left/sc2test_03401e93_nohash_0.wav",
    "right/sc2test_0c40e715_nohash_0.wav",
    "stop/sc2test_022cd682_nohash_0.wav",
    "go/sc2test_0487ba9b_nohash_0.wav",
)
STOPS = (
    "stop/sc2test_3d86b69a_nohash_0.wav",
    "stop/sc2test_475b61f1_nohash_0.wav",
    "stop/sc2test_63f7a489_nohash_0.wav",
)
"""Three people's "stop" that the dictionary's one pronunciation (S T AA P) missed: heard as
"slow" (a partial of "slow down"), as "five", as the garbage word "football"."""

pytestmark = pytest.mark.skipif(
    not all((CLIPS / f).is_file() for f in NEGATIVES + COMMANDS + STOPS),
    reason=f"the real-speech corpus is absent ({CLIPS}): recordings of real people, "
    "kept outside the project",
)


@pytest.fixture(scope="module")
def words(tmp_path_factory: pytest.TempPathFactory) -> Routine:
    """The bench's routine: WORDS as corrections, plus the built-in commands."""
    toml = ['format = 1', '[routine]', 'name = "Words"', '[[steps]]', 'id = "words"',
            'title = "Words"', 'cue = "Say a word."']
    for w in WORDS:
        toml += ['[[corrections]]', f'when = ["{w}"]', f'say = "You said {w}."']
    path = tmp_path_factory.mktemp("real") / "words.toml"
    path.write_text("\n".join(toml) + "\n", encoding="utf-8")
    return load_routine(str(path))


def _recognizer(routine: Routine) -> PocketsphinxRecognizer:
    rec = PocketsphinxRecognizer()
    rec.set_phrases(all_phrases(routine), phrase_meanings(routine, None))
    return rec


@pytest.fixture(scope="module")
def heard(words: Routine) -> dict[str, list[str]]:
    """clip -> the texts the default recognizer accepted, all 16 clips decoded once."""
    rec = _recognizer(words)
    out = {}
    for clip in NEGATIVES + COMMANDS:
        # As `voicecoach transcribe` starts each file (new_stream; reset before issue 12).
        getattr(rec, "new_stream", rec.reset)()
        out[clip] = [h.text for h in feed(rec, wav_pcm16k(CLIPS / clip)) if h.text]
    rec.close()
    return out


def test_out_of_grammar_words_of_real_people_are_rejected(heard: dict[str, list[str]]) -> None:
    # The bench measures about 5 % false accepts on these words (at most 2 of 8 leaves
    # room for tuning; the recognizer before issue 12 took about 40 %).
    accepted = {c: heard[c] for c in NEGATIVES if heard[c]}
    assert len(accepted) <= 2, f"out-of-grammar words taken as commands: {accepted}"


def test_commands_of_real_people_are_still_heard(heard: dict[str, list[str]]) -> None:
    # Rejecting everything would pass the test above, so some commands must come through.
    # Only a guard: how many (about half of them on the whole corpus) is the bench's number.
    right = [c for c in COMMANDS if heard[c][:1] == [c.split("/")[0]]]
    assert right, {c: heard[c] for c in COMMANDS}


def _first_heard(routine: Routine, clip: str) -> list[str]:
    """What a fresh recognizer accepts of `clip`: the first command of a session."""
    rec = _recognizer(routine)
    try:
        return [h.text for h in feed(rec, wav_pcm16k(CLIPS / clip)) if h.text]
    finally:
        rec.close()


def test_stop_is_heard_as_people_say_it(words: Routine, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """"stop" with its final /p/ unreleased or a rounded vowel (extra.dict's variants)."""
    heard = {c: _first_heard(words, c) for c in STOPS}
    assert sum(h[:1] == ["stop"] for h in heard.values()) >= 2, heard

    # Without the variants (the wheel's one pronunciation), none of them: what they buy.
    monkeypatch.setattr(sphinx, "EXTRA_DICT",
                        one_pronunciation_each(sphinx.EXTRA_DICT, tmp_path / "extra.dict"))
    before = {c: _first_heard(words, c) for c in STOPS}
    assert not any(h[:1] == ["stop"] for h in before.values()), before
