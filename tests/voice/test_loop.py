"""The shared audio loop itself: what goes into the null sink comes back out, bit-exact."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.support.pulse import LOOP_RATE, PulseLoop, tone

pytestmark = pytest.mark.audio


def test_loop_is_bit_exact(audio_loop: PulseLoop) -> None:
    rng = np.random.default_rng(7)
    sent = (rng.integers(-16000, 16000, LOOP_RATE // 2) / 32768).astype(np.float32)
    with audio_loop.record() as rec:
        rec.wait_until(time.monotonic() + 0.05)
        audio_loop.play(sent)
        assert rec.wait_for_silence(0.1, timeout=5)
    got = rec.samples()
    first = int(np.flatnonzero(got)[0])
    assert np.array_equal(got[first:first + sent.size], sent)


def test_recorder_times_a_tone(audio_loop: PulseLoop) -> None:
    """The recorder's clock is the caller's: a tone written at t is found near t."""
    with audio_loop.record() as rec:
        rec.wait_until(time.monotonic() + 0.05)
        written = audio_loop.play(tone(660, 0.3))
        assert rec.wait_for_silence(0.1, timeout=5)
    spans = rec.sound_spans()
    assert len(spans) == 1
    start, end = spans[0]
    print(f"tone: heard {start - written:+.3f} s after the write, {end - start:.3f} s long")
    assert abs(start - written) < 0.25
    assert end - start == pytest.approx(0.3, abs=0.05)
