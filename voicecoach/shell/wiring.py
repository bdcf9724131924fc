"""Build the parts of a session from `RunOptions`: speaker, ears, session log, and the Session.

Why a module of its own: `commands/run.py` decides *what* to run (plain or
TUI, signals), this decides *with what* (which engine, which devices, what to
do when one is missing), and tests and benchmarks build sessions the same way
the command does. Every fallback here prints one notice and carries on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from voicecoach.routine.models import Routine
from voicecoach.shell.session import Session, SpeakerPort

if TYPE_CHECKING:
    from voicecoach.shell.options import RunOptions

log = logging.getLogger("voicecoach.shell.wiring")

Notice = Callable[[str], None]


@dataclass
class Parts:
    """What `build_parts` found and opened; `close()`d by the Session it is given to."""

    engine_name: str = "text"
    ears: Any = None
    speaker_factory: Callable[[Session], SpeakerPort] | None = None
    keyboard_fallback: bool = False
    """True when keys are the input (engine `text`, or no mic could be used), --keyboard or not."""
    session_log: Any = None
    recorder: Any = None
    echo_reference: Any = None
    """With echo cancellation: what the speaker plays goes here, the ears' canceller reads it."""
    echo_system: bool = False
    """The sound server cancels the echo (`--echo-cancel system`)."""
    notices: list[str] = field(default_factory=list)

    def saved_where(self) -> str | None:
        """Where this session was logged, or None when it was not (after a warning)."""
        if self.recorder is not None and getattr(self.recorder, "session_id", None) is not None:
            return f"session log: {self.session_log.path}"
        return None


def build_parts(routine: Routine, opts: RunOptions, notice: Notice) -> Parts:
    parts = Parts()

    def note(text: str) -> None:
        parts.notices.append(text)
        notice(text)

    _add_ears(parts, routine, opts, note)
    _add_speaker(parts, routine, opts, note)
    _add_session_log(parts, routine, note)
    return parts


def build_session(routine: Routine, opts: RunOptions, parts: Parts, **kwargs: Any) -> Session:
    session = Session(
        routine,
        speaker_factory=parts.speaker_factory,
        ears=parts.ears,
        rate=opts.rate,
        beeps=opts.beeps,
        event_log=opts.event_log,
        recorder=parts.recorder,
        engine_name=parts.engine_name,
        user=opts.user if parts.ears is not None else None,
        **kwargs,
    )
    if parts.session_log is not None:
        session.on_close(parts.session_log.close)
    health = os.environ.get("VOICECOACH_HEALTH_SECONDS", "").strip()
    if health:
        try:
            session.health_seconds = max(1.0, float(health))
        except ValueError:
            log.warning("VOICECOACH_HEALTH_SECONDS=%r is not a number; ignored", health)
    return session


# --- the parts -----------------------------------------------------------------------


def _add_ears(parts: Parts, routine: Routine, opts: RunOptions, note: Notice) -> None:
    if opts.keyboard or opts.engine == "text":
        parts.engine_name = "text"
        parts.keyboard_fallback = True  # the keyboard is the only input
        return
    try:
        from voicecoach.shell import ears
    except ImportError as exc:  # speech layer not installed in this checkout
        note(f"speech input unavailable ({exc}); using the keyboard")
        parts.keyboard_fallback = True
        return
    parts.ears, parts.engine_name, fallback = ears.build_ears(routine, opts, note)
    parts.keyboard_fallback = fallback
    if opts.echo_cancel not in ("off", "", None) and parts.ears is not None and not opts.mute:
        _add_echo_canceller(parts, opts, note)


def _add_echo_canceller(parts: Parts, opts: RunOptions, note: Notice) -> None:
    """Full duplex. "on": speaker tap -> canceller -> the ears' recognizer (without
    libspeexdsp: today's gate, with a notice). "system": the sound server's echo-cancel
    source and sink already take the coach out of the mic (scripts/echo-cancel.sh), so the
    gate listens over the coach from the start."""
    from voicecoach.speech.echo import EchoCanceller, EchoReference, ResidualGate, available

    if opts.echo_cancel == "system":
        parts.ears.gate.duplex = lambda: True
        parts.echo_system = True
        parts.echo_reference = EchoReference()  # only to know when the coach sounds
        parts.ears.residual_gate = ResidualGate(parts.echo_reference)
        return
    reason = available()
    if reason is not None:
        note(f"{reason}; the mic stays closed while the coach speaks")
        return
    canceller = EchoCanceller()
    parts.ears.use_echo_canceller(canceller)
    parts.echo_reference = canceller.reference


def _add_speaker(parts: Parts, routine: Routine, opts: RunOptions, note: Notice) -> None:
    if opts.mute:
        return  # the Session's SilentSpeaker keeps time; text only
    try:
        from voicecoach.shell import mouth
    except ImportError as exc:
        note(f"speech output unavailable ({exc}); text only")
        return
    factory = mouth.speaker_factory(routine, opts, note, parts.echo_reference)
    ears = parts.ears
    if (parts.echo_reference is None and not parts.echo_system) or ears is None:
        parts.speaker_factory = factory
        return

    def build(session: Session) -> SpeakerPort:
        speaker = factory(session)
        ears.hush = speaker.hush  # a command heard over the coach cuts it at once
        ears.duck = speaker.duck  # and the coach yields the floor as soon as someone talks
        return speaker

    parts.speaker_factory = build


def _add_session_log(parts: Parts, routine: Routine, note: Notice) -> None:
    try:
        from voicecoach.session_log import SessionLog
    except ImportError:
        return
    parts.session_log = SessionLog.open(on_warning=note)
    parts.recorder = parts.session_log.start_session(routine, parts.engine_name)
