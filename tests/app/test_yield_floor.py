"""The coach yields the floor (issue 16): with the sound server's canceller, someone who starts
talking over the coach makes it drop 20 dB at once, and it comes back when what they said was
no command. Real loop: the real Speaker into PulseAudio's module-echo-cancel, a real person's
recording played into the room, the real ears. Why the duck and its numbers: bench/echo.md
(fifth round); the level it drops to in the loop: tests/voice/test_duck.py."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.app.echoloop import command_clips, level, pulse_room
from tests.support.pulse import pulse_loop

pytestmark = pytest.mark.audio

CUE = ("Keep your weight over the middle of your feet, breathe out as you stand up, all the "
       "way to the top, and squeeze your glutes before the next rep.")


@pytest.mark.timeout(120)
def test_someone_talking_over_the_coach_ducks_it_and_it_comes_back() -> None:
    from tests.app.echoloop import Duplex

    clips = command_clips(per_word=1, words=("left",))
    if not clips:
        pytest.skip("../shared/speech-corpus is not here")
    with pulse_loop() as loop:
        pulse_room(loop, "webrtc")
        time.sleep(0.5)
        # "left" is not in this grammar: whatever it is heard as, no command is taken.
        duplex = Duplex(("next", "repeat"), method="webrtc")
        try:
            duplex.start()
            duplex.say(CUE)
            assert duplex.started.wait(10)
            time.sleep(1.5)
            said = time.monotonic()
            duplex.speak(loop, level(clips[0][1], 6))
            assert duplex.ended.wait(30)  # the cue goes on to its end: a duck is no cut
        finally:
            duplex.close()
    # Judged by the first duck after the person began (before the residual gate's capture
    # clock, the leftover alone dipped the voice 2-17 times over the 92 texts; bench/echo.md).
    ducks = [d for d in duplex.ears.ducks if said < d.at < said + 1.5]
    assert ducks, duplex.ears.ducks
    assert ducks[0].outcome == "restored"
    drops = duplex.speaker.stats.ducks
    lowered = next(t for g, t in drops if g == 0.1 and t >= ducks[0].at - 0.01)
    assert lowered - ducks[0].at < 0.1  # the voice drops at once, as a hush does
    assert any(g == 1.0 and t > lowered for g, t in drops)  # and comes back
    assert drops[-1][0] == 1.0  # it ends at full voice
    onset = next((o for asked, o in duplex.speech_onsets
                  if abs(asked - ducks[0].at) < 0.05), None)
    print(f"\nspeech onset -> lowered voice {1000 * (lowered - onset):.0f} ms"
          if onset is not None else "")
    assert not duplex.collector.accepted
    assert np.isfinite(ducks[0].score)
