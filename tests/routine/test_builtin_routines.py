"""The shipped routines: valid, teaching the method, and hearable by the offline recogniser."""

from __future__ import annotations

from pathlib import Path

import pytest

from voicecoach.coach.intents import CORRECTION, match
from voicecoach.routine import catalog, load_routine
from voicecoach.routine.catalog import BUILTIN
from voicecoach.routine.phrases import spoken_words
from voicecoach.routine.vocabulary import routine_phrases

BUILTINS = sorted(entry.name for entry in catalog() if entry.source == BUILTIN)


def test_the_two_documented_routines_ship() -> None:
    assert {"squat", "mobility"} <= set(BUILTINS)


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_routine_validates_clean(name: str) -> None:
    routine = load_routine(name)
    assert routine.steps and routine.sha256


# The coaching method's correction table: what a person says, in which step, and a
# word the answer must contain (so the right answer is wired to the right phrase).
METHOD_TABLE = [
    ("squat", "my heels are lifting", "heels in"),
    ("squat", "my heels come up", "heels in"),
    ("heels-in", "my knees are caving in", "expected"),
    ("pelvis-forward", "my knees go in", "turn out by themselves"),
    ("pelvis-forward", "should i push my knees out", "thighs out"),
    ("balance-point", "i'm tipping backwards", "balls of your feet"),
    ("squat", "i'm falling back", "balls of your feet"),
    ("squat", "i can't go lower", "stronger side"),
    ("squat", "i can't break parallel", "stronger side"),
    ("squat", "i feel twisted", "mirror"),
    ("squat", "i don't feel my butt", "slide of the hips forward"),
    ("pelvis-forward", "i don't feel my butt", "narrow your sitting bones"),
    ("pelvis-forward", "should i tilt my pelvis", "straight slide"),
    ("heels-in", "my feet roll out", "inside of your feet"),
    ("heels-in", "weight on the outside of my feet", "inside of your feet"),
    ("squat", "my knees hurt", "stop thinking about your knees"),
    ("squat", "my knee hurts", "if the pain is sharp, stop the set"),
]


@pytest.mark.parametrize(("step_id", "said", "answer_has"), METHOD_TABLE)
def test_squat_answers_the_method_corrections_in_their_step(
    step_id: str, said: str, answer_has: str
) -> None:
    routine = load_routine("squat")
    intent = match(routine, routine.step_index(step_id), said)
    assert intent is not None and intent.kind == CORRECTION
    assert intent.correction is not None and not intent.correction.is_global
    assert answer_has in intent.correction.say.lower()


#: The standing steps from "Roll your heels in" on, where the method says heels lift and
#: people tip backwards (the warm-up's marching is answered by the nearest step).
STANDING = ("heels-in", "pelvis-forward", "balance-point", "squat", "cool-down")


@pytest.mark.parametrize("step_id", STANDING)
@pytest.mark.parametrize(("said", "answer_has"), [
    ("my heels are lifting", "heels"), ("my heels come up", "heels"),
    ("i'm tipping backwards", "balls of your feet"), ("i'm falling back", "balls of your feet"),
])
def test_heels_and_tipping_are_answered_in_every_standing_step(
        step_id: str, said: str, answer_has: str) -> None:
    """Issue 13: heels lifting was listed only late; in "Roll your heels in" it went unheard."""
    routine = load_routine("squat")
    intent = match(routine, routine.step_index(step_id), said)
    assert intent is not None and intent.correction is not None
    assert intent.correction.path.startswith(f"steps[{routine.step_index(step_id)}]")
    assert answer_has in intent.correction.say.lower()


@pytest.mark.parametrize("step_id", ["pelvis-forward", "squat"])
def test_not_feeling_the_glutes_is_answered_where_they_should_work(step_id: str) -> None:
    routine = load_routine("squat")
    intent = match(routine, routine.step_index(step_id), "i can't feel my butt")
    assert intent is not None and intent.correction is not None and intent.from_step is None
    assert "glutes" in intent.correction.say


def test_every_step_answers_every_correction_the_routine_knows() -> None:
    """The rule of issue 13: a known correction never vanishes, in whatever step."""
    routine = load_routine("squat")
    phrases = {p for s in routine.steps for c in s.corrections for p in c.when}
    for index in range(len(routine.steps)):
        for phrase in phrases:
            intent = match(routine, index, phrase)
            assert intent is not None and intent.kind == CORRECTION, (index, phrase)


def test_the_drop_step_says_why_with_gravity_exact() -> None:
    squat = load_routine("squat").steps[load_routine("squat").step_index("squat")]
    assert squat.why is not None and "9.8 metres per second, every second" in squat.why


@pytest.mark.parametrize("said", ["that hurts", "sharp pain", "ouch"])
def test_pain_pauses_in_every_step(said: str) -> None:
    routine = load_routine("squat")
    for index in range(len(routine.steps)):
        intent = match(routine, index, said)
        assert intent is not None and intent.correction is not None
        assert intent.correction.is_global and intent.correction.then == "pause"


def test_squat_shape_is_warm_up_procedure_then_sets() -> None:
    routine = load_routine("squat")
    ids = [s.id for s in routine.steps]
    assert ids[0] == "warm-up"
    assert (
        ids.index("heels-in")
        < ids.index("pelvis-forward")
        < ids.index("balance-point")
        < ids.index("squat")
    )
    squat = routine.steps[routine.step_index("squat")]
    assert (squat.sets, squat.reps, squat.tempo) == (3, 5, (3.0, 1.0))
    assert 45 <= squat.rest_seconds <= 60
    for step_id in ("heels-in", "pelvis-forward", "balance-point", "squat"):
        assert routine.steps[routine.step_index(step_id)].why


def test_why_answers_the_readers_questions() -> None:
    routine = load_routine("squat")
    whys = " ".join(s.why or "" for s in routine.steps).lower()
    assert "eversion" in whys and "not a tilt" in whys and "knees out really means" in whys


def test_mobility_is_all_timed_holds() -> None:
    routine = load_routine("mobility")
    assert all(s.advance == "auto" and s.hold_seconds for s in routine.steps)
    assert any(c.then == "pause" for c in routine.corrections)


class CmuDictionary:
    """The real CMU pronouncing dictionary that pocketsphinx ships, plus the project's own
    words (voicecoach/speech/data/extra.dict), as a vocabulary."""

    name = "pocketsphinx"

    def __init__(self, *paths: Path) -> None:
        self.words: set[str] = set()
        for path in paths:
            with path.open(encoding="utf-8") as handle:
                self.words |= {ln.split(" ", 1)[0].split("(")[0] for ln in handle if ln.strip()}

    def __contains__(self, word: object) -> bool:
        return word in self.words

    def suggest(self, word: str) -> str | None:
        return None


@pytest.fixture(scope="module")
def cmudict() -> CmuDictionary:
    pocketsphinx = pytest.importorskip("pocketsphinx")
    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    if not path.exists():
        pytest.skip("pocketsphinx ships no CMU dictionary here")
    from voicecoach.speech.sphinx import EXTRA_DICT

    return CmuDictionary(path, EXTRA_DICT)


@pytest.mark.parametrize("name", BUILTINS)
def test_every_phrase_is_in_the_pocketsphinx_dictionary(name: str, cmudict: CmuDictionary) -> None:
    routine = load_routine(name)
    missing = [
        (path, word)
        for path, phrase, _builtin in routine_phrases(routine)
        for word in spoken_words(phrase)
        if word not in cmudict
    ]
    assert missing == []
