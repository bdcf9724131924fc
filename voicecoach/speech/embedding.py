"""A speech embedding: what a short stretch of audio says, as 96 numbers, for anyone's voice.

Google's speech embedding (Lin et al., "Training keyword spotters with limited and
synthesized speech data", ICASSP 2020) was trained for keyword spotting on a very large
number of speakers. Its point, and ours: a small classifier on top of it, trained on
*generated* voices only, hears real people. openWakeWord builds its wake words that way;
we use the same two models (a mel spectrogram and the embedding, TFLite) as shipped in the
wheel of Home Assistant's `pyopen-wakeword`, with its bundled TFLite runtime: no download,
no other dependency, wheels for x86-64 and aarch64.

One embedding covers 76 mel frames (0.775 s) and they come every 80 ms. A command is
described by five of them centred on the utterance's loudest part (`features`), about
1.1 s: a word or a short phrase whole.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

SAMPLE_RATE = 16000
WINDOW_MELS = 76
"""Mel frames per embedding (10 ms each)."""
STEP_MELS = 8
DIM = 96
CONTEXT = 2
"""Embeddings each side of the centre one in `features`."""
FEATURES = (2 * CONTEXT + 1) * DIM
PAD_S = 0.5
CENTRE_S = 0.5
CROP_S = 1.0
"""Audio either side of the speech centre that the features can see."""
FIXED_SAMPLES = int((2 * CROP_S + 2 * PAD_S) * SAMPLE_RATE)
"""Where the speech centre falls in the padded window sequence (see `features_of`)."""
"""Silence around the utterance, so that a short word gets centred windows too."""


class EmbeddingUnavailableError(RuntimeError):
    """pyopen-wakeword (its models and TFLite runtime) is not installed."""


class SpeechEmbedder:
    """The mel and embedding models, run on a whole utterance in one call each.

    Whole, not streamed: an utterance is judged once, at its end, and two calls sized to it
    cost less than pyopen-wakeword's chunk-by-chunk loop (measured: 45 vs 80 ms for 2 s).
    Not thread-safe (one TFLite interpreter each); a recognizer owns one.
    """

    def __init__(self) -> None:
        try:
            from pyopen_wakeword.openwakeword import OpenWakeWordFeatures
        except ImportError as exc:
            raise EmbeddingUnavailableError(
                f"pyopen-wakeword is not installed ({exc}); pip install pyopen-wakeword"
            ) from None
        self._models = OpenWakeWordFeatures.from_builtin()
        self._shapes: dict[int, tuple[int, ...]] = {}
        """Each interpreter's input shape now (re-allocated only when it changes)."""

    def windows(self, samples: np.ndarray, first: int = 0, count: int | None = None
                ) -> np.ndarray:
        """Embeddings (n, 96) of int16 samples at 16 kHz, padded with `PAD_S` of silence:
        all of them, or `count` from window `first` (zeros past the end)."""
        pad = int(PAD_S * SAMPLE_RATE)
        # Zeros after the end up to a fixed length: frames are local (25 ms), so the ones
        # over the audio do not change, and one input size spares TFLite a re-allocation
        # per call (half the time of a short take).
        audio = np.zeros(max(len(samples) + 2 * pad, FIXED_SAMPLES), dtype=np.float32)
        audio[pad : pad + len(samples)] = samples
        m = self._models
        mels = _invoke(m.lib, m.mel_interpreter, audio[None, :], self._shapes)
        mels = (mels / 10.0 + 2.0).reshape(-1, 32)  # the scaling the embedding was trained on
        frames = (len(samples) + 2 * pad - 400) // 160 + 1  # those over the padded audio
        n = max(0, (min(frames, len(mels)) - WINDOW_MELS) // STEP_MELS + 1)
        wanted = range(first, n if count is None else first + count)
        stacked = np.zeros((len(wanted), WINDOW_MELS, 32), dtype=np.float32)
        for row, i in enumerate(wanted):
            if 0 <= i < n:
                stacked[row] = mels[i * STEP_MELS : i * STEP_MELS + WINDOW_MELS]
        if not len(wanted):
            return np.zeros((0, DIM), dtype=np.float32)
        out = _invoke(m.lib, m.emb_interpreter, stacked[..., None], self._shapes)
        out = out.reshape(len(wanted), DIM)
        out[[not 0 <= i < n for i in wanted]] = 0.0
        return out

    def features(self, samples: np.ndarray, shifts: tuple[int, ...] = (0,)) -> np.ndarray:
        """Five embeddings around the utterance's energy centre, flattened: (len(shifts), 480),
        one row per shift of the centre (in embeddings, 80 ms each).

        Only the windows used are embedded, and only the `CROP_S` either side of the centre
        goes through the mel model: TFLite's memory grows with its input (6 s of audio in
        one call: +60 MB of RSS). The cut is on the 80 ms grid, so the windows are the ones
        the whole utterance gives.
        """
        centre_s = speech_centre_s(samples)
        grid = STEP_MELS * SAMPLE_RATE // 100
        start = max(0, int((centre_s - CROP_S) * SAMPLE_RATE) // grid * grid)
        part = samples[start : start + int(2 * CROP_S * SAMPLE_RATE)]
        centre = self.centre_window(centre_s - start / SAMPLE_RATE)
        reach = CONTEXT + max(abs(s) for s in shifts)
        emb = self.windows(part, centre - reach, 2 * reach + 1)
        rows = [emb[reach + s - CONTEXT : reach + s + CONTEXT + 1].reshape(-1) for s in shifts]
        return np.array(rows, dtype=np.float32)

    @staticmethod
    def centre_window(centre_s: float) -> int:
        """The window the classifier centres on, for speech centred at `centre_s` (unpadded).

        Window i spans [0.08 i, 0.08 i + 0.76] s of the padded audio. Measured when choosing
        (real people's whole clips, the classifier alone), it hears most with the speech
        centre 0.12 s after the middle window's middle (CENTRE_S), not at it: 56 vs 54 %
        right, 4.5 vs 6.4 % false accepts.
        """
        return max(CONTEXT, round((centre_s + PAD_S - CENTRE_S) / 0.08))


def speech_centre_s(samples: np.ndarray) -> float:
    """Where the speech is, in seconds: the mean time of 10 ms frames within 13 dB of the
    loudest (so a breath or the room's noise before a word does not pull it off)."""
    x = samples.astype(np.float32)
    n = len(x) // 160
    if n == 0:
        return 0.0
    energy = np.log((x[: n * 160].reshape(n, 160) ** 2).mean(axis=1) + 1e-3)
    weight = np.maximum(energy - energy.max() + 3.0, 0.0)
    return float((weight * np.arange(n)).sum() / weight.sum() * 0.01)


def _invoke(lib: Any, interpreter: Any, data: np.ndarray,
            shapes: dict[int, tuple[int, ...]]) -> np.ndarray:
    """Size the interpreter's input to `data` (if it is not already), run it, and return its
    output, flat."""
    data = np.ascontiguousarray(data, dtype=np.float32)
    key = id(interpreter)
    if shapes.get(key) != data.shape:
        dims = (ctypes.c_int32 * data.ndim)(*data.shape)
        lib.TfLiteInterpreterResizeInputTensor(interpreter, ctypes.c_int32(0), dims,
                                               ctypes.c_int32(data.ndim))
        lib.TfLiteInterpreterAllocateTensors(interpreter)
        shapes[key] = data.shape
    tensor_in = lib.TfLiteInterpreterGetInputTensor(interpreter, ctypes.c_int32(0))
    lib.TfLiteTensorCopyFromBuffer(tensor_in, data.ctypes.data_as(ctypes.c_void_p),
                                   ctypes.c_size_t(data.nbytes))
    lib.TfLiteInterpreterInvoke(interpreter)
    tensor_out = lib.TfLiteInterpreterGetOutputTensor(interpreter, ctypes.c_int32(0))
    out = np.empty(lib.TfLiteTensorByteSize(tensor_out) // 4, dtype=np.float32)
    lib.TfLiteTensorCopyToBuffer(tensor_out, out.ctypes.data_as(ctypes.c_void_p),
                                 ctypes.c_size_t(out.nbytes))
    return out
