"""The residual gate judges the mic against the coach as it sounded when the mic was captured,
not when the listen thread got round to it (bench/echo.md, sixth round: the listen thread's
stalls were what made the coach duck with nobody talking)."""

from __future__ import annotations

import numpy as np

from voicecoach.speech.echo import RATE, CaptureClock, EchoReference, ResidualGate

FRAME = 320


def _coach_and_leftover() -> tuple[EchoReference, np.ndarray]:
    """A loud phrase (0-1 s) then a quiet one (1-3 s); the leftover 4 dB under it, 40 ms late."""
    rng = np.random.default_rng(0)
    coach = rng.standard_normal(3 * RATE).astype(np.float32)
    coach[:RATE] *= 0.3
    coach[RATE:] *= 0.02
    ref = EchoReference(keep_s=10.0)
    ref.push(coach, RATE, 0.0)
    delay = int(0.04 * RATE)
    mic = np.zeros(len(coach), np.float32)
    mic[delay:] = coach[:-delay] * 10 ** (-4 / 20)
    return ref, (mic * 32767).astype(np.int16)


def _feed(gate: ResidualGate, mic: np.ndarray, stall: tuple[float, float] | None,
          arrival_stamps: bool = False) -> None:
    """20 ms chunks as they are captured; during `stall` (from, to) the listen thread is busy,
    and gets what was captured meanwhile at once when it is back."""
    for i in range(0, len(mic) - FRAME + 1, FRAME):
        captured_end = (i + FRAME) / RATE
        arrived = captured_end + 0.005
        if stall is not None and stall[0] < captured_end <= stall[1]:
            arrived = stall[1] + 0.005 + 1e-4 * (i / FRAME)
        gate.process(mic[i:i + FRAME].tobytes(), arrived,
                     arrived - FRAME / RATE if arrival_stamps else None)


def test_a_stalled_listen_thread_does_not_make_the_leftover_look_like_a_person() -> None:
    # The thread stalls from 0.6 to 1.8 s: the loud phrase's leftover (captured 0.6-1.0 s)
    # arrives while the coach says its quiet phrase.
    ref, mic = _coach_and_leftover()
    gate = ResidualGate(ref)
    _feed(gate, mic[: int(1.8 * RATE)], stall=(0.6, 1.8))
    now = 1.805
    score = gate.over_echo(now - 0.1, now - 0.1)  # the duck's window: the last 0.2 s
    assert score is not None and score < -3.0, score
    # Stamped on arrival (as before), the same frames stood 19 dB over the quiet phrase.
    stamped = ResidualGate(ref)
    _feed(stamped, mic[: int(1.8 * RATE)], stall=(0.6, 1.8), arrival_stamps=True)
    old = stamped.over_echo(now - 0.1, now - 0.1)
    assert old is not None and old > 10.0, old


def test_without_stalls_the_capture_clock_is_the_arrival_clock() -> None:
    clock = CaptureClock()
    # Chunks arrive 0-6 ms after capture; once the least-delayed one is seen, the clock is
    # steady whatever the jitter.
    starts = [clock.capture_start(0.02 * k + 0.003 * (k % 3), FRAME) for k in range(1, 400)]
    assert np.allclose(np.diff(starts[3:]), FRAME / RATE)
    assert abs(starts[3] - 0.06) < 1e-9
    # A stream reopened after a while starts a new clock.
    assert abs(clock.capture_start(20.0, FRAME) - (20.0 - FRAME / RATE)) < 1e-9
