"""An enrolled user in a noisy room (a fan: white noise 10 dB under their words).

The templates are the user's takes from a quiet room; a word in a fan's noise is far from
all of them, and the templates used to turn most of the user's commands away: fewer heard
than with no enrollment (bench/enroll.md). Now such a word is judged by the decoder with
the checks everyone gets (`EnrolledRecognizer._noisy`), and a clear word still by the
templates. Real takes of one real speaker; the noise is generated (tests/support/clips).
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

from tests.enroll.test_enroll import ENROLL, takes_of
from tests.support.clips import mix_snr
from voicecoach.speech.audio import wav_pcm16k
from voicecoach.speech.enrollment import EnrolledRecognizer, Take, fit
from voicecoach.speech.sphinx import PocketsphinxRecognizer

pytestmark = pytest.mark.skipif(
    not (ENROLL / "manifest.jsonl").is_file(),
    reason=f"{ENROLL} is absent (the shared real-speech corpus)",
)
SPEAKER = "1b4c9b89"
"""The speaker the generic model hears best in white noise (of bench/enroll.md's five)."""
WORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "go"]


def _heard(rec: EnrolledRecognizer | PocketsphinxRecognizer, pcm: bytes) -> tuple[str, str]:
    rec.new_stream()
    hyps = []
    for i in range(0, len(pcm), 1600):
        hyps += rec.accept(pcm[i : i + 1600])
    hyps += rec.flush()
    text = next((h.text for h in hyps if h.text), "")
    return text, getattr(rec, "last_how", "")


def _in_a_fan(pcm: bytes, key: str) -> bytes:
    x = np.frombuffer(pcm, "<i2")
    x = np.concatenate([np.zeros(8000, np.int16), x, np.zeros(8000, np.int16)])
    return mix_snr(x, "white", 10.0, seed=zlib.crc32(key.encode()) % 1000).tobytes()


@pytest.fixture(scope="module")
def enrolled(tmp_path_factory: pytest.TempPathFactory) -> EnrolledRecognizer:
    import os

    before = os.environ.get("VOICECOACH_DATA_DIR")
    os.environ["VOICECOACH_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    try:
        train, _ = takes_of(SPEAKER)
        takes = [Take(wav_pcm16k(Path(str(r["file"]))), str(r["text"])) for r in train]
        profile = fit(SPEAKER, takes, phrases=WORDS, adapt=False,
                      make_inner=lambda opts: PocketsphinxRecognizer(**opts)).profile
    finally:
        if before is None:
            os.environ.pop("VOICECOACH_DATA_DIR", None)
        else:
            os.environ["VOICECOACH_DATA_DIR"] = before
    assert profile.takes_snr_db is not None and profile.takes_snr_db > 25.0
    rec = EnrolledRecognizer(PocketsphinxRecognizer(**profile.engine_kwargs()), profile)
    rec.set_phrases(WORDS)
    return rec


def test_in_a_fan_the_enrolled_user_is_heard_as_often_as_anyone(
        enrolled: EnrolledRecognizer) -> None:
    _, test = takes_of(SPEAKER)
    generic = PocketsphinxRecognizer()
    generic.set_phrases(WORDS)
    noisy = [(_in_a_fan(wav_pcm16k(p), p.name), p.parent.name) for p in test]
    mine = [_heard(enrolled, pcm) for pcm, _ in noisy]
    anyone = [_heard(generic, pcm)[0] for pcm, _ in noisy]
    right_mine = sum(t == w for (t, _), (_, w) in zip(mine, noisy, strict=True))
    right_anyone = sum(t == w for t, (_, w) in zip(anyone, noisy, strict=True))
    assert {how for _, how in mine} <= {"noisy-room", ""}, mine
    # Measured here: 7 of 18 for both (6 before the rule). Without the MLLR transform and
    # with each clip a new stream (WebRTC only), the templates lost little here; with both,
    # as bench/enroll.md runs it, they lost most.
    assert right_mine >= right_anyone - 2, (right_mine, right_anyone)
    assert right_mine >= len(test) // 4, mine


def test_a_clear_word_is_still_judged_by_the_users_takes(enrolled: EnrolledRecognizer) -> None:
    _, test = takes_of(SPEAKER)
    hows = [_heard(enrolled, wav_pcm16k(p))[1] for p in test[:6]]
    assert "noisy-room" not in hows, hows
