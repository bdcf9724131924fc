"""Which engine: `make_recognizer("auto" | "vosk" | "pocketsphinx" | "text", routine, model)`.

Each engine is imported only when chosen (toolong's lazy backend factory), so
`voicecoach check` and the tests of other layers never load a model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voicecoach.errors import UsageError
from voicecoach.speech.choice import EngineChoice

if TYPE_CHECKING:
    from voicecoach.routine.models import Routine
    from voicecoach.speech.base import Recognizer

ENGINE_NAMES = ("auto", "vosk", "pocketsphinx", "text")
__all__ = ["ENGINE_NAMES", "EngineChoice", "choose_engine", "make_engine", "make_recognizer"]


def choose_engine(engine: str = "auto", model: Path | None = None) -> EngineChoice:
    from voicecoach.speech.models import resolve_model

    if engine not in ENGINE_NAMES:
        raise UsageError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINE_NAMES)}")
    if engine != "auto":
        return EngineChoice(engine, "chosen", model)
    path, how = resolve_model(model)
    if path is not None:
        try:
            import vosk  # noqa: F401
        except ImportError:
            return EngineChoice("pocketsphinx", "Vosk model found but vosk is not installed")
        return EngineChoice("vosk", f"model found ({how})", path)
    return EngineChoice("pocketsphinx", "no Vosk model found (`voicecoach model download`)")


def make_engine(
    choice: EngineChoice, options: Mapping[str, Any] | None = None, denoiser: str = "auto",
    classifier: str = "off",
    progress: Callable[[int, int], None] | None = None,
) -> Recognizer:
    """The chosen engine, bare; `options` are PocketsphinxRecognizer kwargs (an enrolled
    user's thresholds and MLLR transform), ignored by the other engines. `classifier`:
    "off", "wait" or "background" (pocketsphinx only; see `make_recognizer`)."""
    rec: Recognizer
    if choice.engine == "text":
        from voicecoach.speech.text import TextRecognizer

        rec = TextRecognizer()
    elif choice.engine == "pocketsphinx":
        from voicecoach.speech.sphinx import PocketsphinxRecognizer

        kwargs: dict[str, Any] = dict(options or {})
        if classifier != "off":
            kwargs.update(classifier=True, classifier_background=classifier == "background",
                          classifier_progress=progress)
        rec = PocketsphinxRecognizer(**kwargs, denoiser=denoiser)
    else:
        from voicecoach.speech.vosk_engine import VoskRecognizer

        rec = VoskRecognizer(model=choice.model, denoiser=denoiser)
    rec.choice = choice
    return rec


def make_recognizer(
    engine: str = "auto",
    routine: Routine | None = None,
    model: Path | None = None,
    user: str | None = None,
    denoiser: str = "auto",
    classifier: str = "off",
    progress: Callable[[int, int], None] | None = None,
) -> Recognizer:
    """A ready recognizer; with a routine, its phrases for step 0 are already active.

    The choice is on `recognizer.choice` (engine, reason). With `user`, that user's
    enrollment (speech/enrollment.py) is loaded and checks every utterance. `denoiser`
    is the noise suppressor in front of it (frontend.py). `classifier` (pocketsphinx, no
    user: an enrolled user's templates judge instead): "wait" learns the routine's phrases
    before returning (`progress(done, total)` while it renders takes), "background" while the
    session goes on (speech/phrase_classifier.py).
    """
    choice = choose_engine(engine, model)
    rec: Recognizer
    if user and choice.engine != "text":
        from voicecoach.speech.enrollment import EnrolledRecognizer, load_profile

        profile = load_profile(user)
        rec = EnrolledRecognizer(
            make_engine(choice, profile.engine_kwargs(), denoiser=denoiser), profile
        )
    else:
        rec = make_engine(choice, denoiser=denoiser, classifier=classifier, progress=progress)
    if routine is not None:
        from voicecoach.coach.intents import active_phrases, all_phrases, phrase_meanings

        learn = getattr(rec, "learn_phrases", None)
        if classifier != "off" and learn is not None:
            learn(all_phrases(routine))  # every step's phrases in one training
        first = 0 if routine.steps else None
        rec.set_phrases(active_phrases(routine, first), phrase_meanings(routine, first))
    return rec
