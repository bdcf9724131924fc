"""Vosk (Kaldi): the primary engine when a model is installed.

The grammar is the active phrases plus "[unk]": out-of-grammar speech lands on
[unk] instead of being forced onto a command. Per-word confidences
(`SetWords`) reject what is left. `SetGrammar` switches steps on the same
recognizer, without reloading the model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from voicecoach.errors import EngineUnavailableError
from voicecoach.routine.phrases import phrase_key
from voicecoach.speech.base import StreamingRecognizer
from voicecoach.speech.grammar import vosk_grammar
from voicecoach.speech.hypothesis import Hypothesis
from voicecoach.speech.models import load_vosk_model, require_model


class VoskRecognizer(StreamingRecognizer):
    name = "vosk"

    def __init__(
        self,
        model: Path | None = None,
        *,
        min_word_conf: float = 0.6,
        denoiser: str = "auto",
        **segmenting: float,
    ) -> None:
        super().__init__(denoiser=denoiser, **segmenting)  # type: ignore[arg-type]
        try:
            import vosk
        except ImportError as exc:
            raise EngineUnavailableError(
                f"vosk is not installed ({exc}); pip install vosk"
            ) from None
        vosk.SetLogLevel(-1)

        self.model_path = require_model(model)
        self.min_word_conf = min_word_conf
        """Every word of an accepted phrase must have at least this confidence."""
        self._model = load_vosk_model(self.model_path)
        self._rec = vosk.KaldiRecognizer(self._model, 16000, vosk_grammar([]))
        self._rec.SetWords(True)
        self._words = self._load_words()

    def _load_words(self) -> set[str] | None:
        words = self.model_path / "graph" / "words.txt"
        if not words.is_file():
            return None
        with open(words, encoding="utf-8") as f:
            return {line.split()[0] for line in f if line.strip()}

    def _set_engine_phrases(self, phrases: Sequence[str]) -> None:
        usable = [
            p
            for p in phrases
            if self._words is None or all(w in self._words for w in phrase_key(p).split())
        ]
        self._rec.SetGrammar(vosk_grammar(usable))

    def _begin(self) -> None:
        pass

    def _feed(self, pcm: bytes) -> None:
        self._rec.AcceptWaveform(pcm)

    def _partial(self) -> str:
        return str(json.loads(self._rec.PartialResult()).get("partial", ""))

    def _finish(self) -> Hypothesis:
        result = json.loads(self._rec.FinalResult())
        raw = str(result.get("text", ""))
        words = [w for w in result.get("result", []) if w.get("word") != "[unk]"]
        text = raw.replace("[unk]", "").strip()
        if not text:
            return Hypothesis("", 0.0, raw=raw, reason="no-words")
        conf = min((float(w.get("conf", 0.0)) for w in words), default=0.0)
        if "[unk]" in raw:
            return Hypothesis("", conf, raw=raw, reason="unknown-words")
        if phrase_key(text) not in self._phrase_keys:
            return Hypothesis("", conf, raw=raw, reason="partial")
        if conf < self.min_word_conf:
            return Hypothesis("", conf, raw=raw, reason="low-confidence")
        return Hypothesis(text, conf, raw=raw)

    def reset(self) -> None:
        super().reset()
        self._rec.Reset()


def vocabulary_words(model: Path | None = None) -> set[str] | None:
    path = require_model(model) / "graph" / "words.txt"
    if not path.is_file():
        return None
    with open(path, encoding="utf-8") as f:
        return {line.split()[0] for line in f if line.strip()}
