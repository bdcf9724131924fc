"""The enrolled user's rule (`Profile.judge`) on one real speaker's takes, without a decoder:
what the decoder said is given, the templates are the speaker's own (see enrollment.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.enroll.test_enroll import ENROLL, SPEAKER, takes_of
from voicecoach.speech.enrollment import Profile

pytestmark = pytest.mark.skipif(
    not (ENROLL / "manifest.jsonl").is_file(),
    reason=f"{ENROLL} is absent (the shared real-speech corpus)",
)
Judged = tuple[Profile, list[tuple[np.ndarray, str]]]


@pytest.fixture(scope="module")
def judged() -> Judged:
    from voicecoach.speech.audio import wav_pcm16k
    from voicecoach.speech.enrollment import Take, fit
    from voicecoach.speech.templates import features

    train, test = takes_of(SPEAKER)
    takes = [Take(wav_pcm16k(Path(str(r["file"]))), str(r["text"])) for r in train]
    profile = fit("ann", takes).profile
    return profile, [(features(wav_pcm16k(p)), p.parent.name) for p in test]


def test_a_rejected_command_whose_best_path_is_the_nearest_take_is_accepted(
        judged: Judged) -> None:
    profile, held_out = judged
    # The decoder turned every held-out take away ("garbage"), but its best path was right:
    # most are accepted, by the agree rule, and none as another word.
    answers = [profile.judge(f, "", path=word) for f, word in held_out]
    pairs = list(zip(answers, held_out, strict=True))
    assert sum(1 for (key, _, how), (_, word) in pairs if key == word and how == "agree") \
        >= len(held_out) // 2, answers
    assert all(key in ("", word) for (key, _, _), (_, word) in pairs)


def test_no_best_path_or_a_wrong_one_is_refused(judged: Judged) -> None:
    profile, held_out = judged
    for f, word in held_out:
        assert profile.judge(f, "", path="")[0] == ""
        assert profile.judge(f, "", path="yes" if word != "yes" else "no")[0] == ""
