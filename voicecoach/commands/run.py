"""`voicecoach run`: build a session from flags + config, run it in the TUI or as plain lines.

Order matters for a good first minute: every check a user can fail (config,
routine, vocabulary) runs before any device opens, so a mistake costs one line
and exit 2, never a half-started session. Devices that are missing are not
mistakes: no mic means keyboard input with a one-line notice, no speaker means
text on screen.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import click

from voicecoach.errors import UsageError, VoicecoachError
from voicecoach.shell.options import RunOptions

log = logging.getLogger("voicecoach.run")

LAST_WORDS_SECONDS = 20.0
"""Longest wait, after the routine ends, for the wrap-up to be spoken before exiting."""


def resolve_options(routine: str | None, options: dict[str, Any]) -> RunOptions:
    """Flags override the user config, which overrides the defaults."""
    from voicecoach.config import load_config, merge

    flags = dict(options)
    flags["routine"] = routine
    config, _sources = merge(load_config(), flags)
    input_file = options.get("input_file")
    if input_file is not None and not Path(input_file).is_file():
        raise UsageError(f"--input-file {input_file}: no such file")
    return RunOptions(
        routine=config.routine,
        engine=config.engine,
        model=Path(config.model) if config.model else None,
        mic=config.mic,
        speaker=config.speaker,
        voice=config.voice,
        rate=config.rate,
        beeps=config.beeps,
        volume=config.volume,
        keep_audio=config.keep_audio,
        keep_audio_mb=config.keep_audio_mb,
        echo_cancel=config.echo_cancel,
        denoiser=config.denoiser,
        classifier=config.classifier,
        no_tui=bool(options.get("no_tui")),
        keyboard=bool(options.get("keyboard")),
        input_file=Path(input_file) if input_file is not None else None,
        mute=bool(options.get("mute")),
        event_log=Path(options["event_log"]) if options.get("event_log") else None,
        theme=config.theme,
        loop_input=bool(options.get("loop_input")),
        user=config.user,
    )


def main(routine: str | None, **options: Any) -> int:
    # ERROR by default: warnings reach the person as one-line status messages already.
    logging.basicConfig(level=os.environ.get("VOICECOACH_LOG_LEVEL", "ERROR").upper(),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s",
                        stream=sys.stderr)
    pick = bool(options.pop("pick", False))
    linger = options.pop("linger", None)
    opts = resolve_options(routine, options)
    if pick and opts.no_tui:
        raise UsageError("--pick needs the terminal UI; leave out --no-tui")

    from voicecoach.routine import load_routine

    if pick:
        # Nothing opens until a routine is chosen; the picker checks each file itself.
        return _run_tui(None, opts, None, linger)

    loaded = load_routine(opts.routine)  # RoutineError: same lines as `check`, exit 2

    from voicecoach.shell import wiring

    parts = wiring.build_parts(loaded, opts, notice=_notice)
    session = wiring.build_session(loaded, opts, parts)
    _set_linger(session, linger)
    if opts.no_tui:
        return _run_plain(session, opts, parts)
    return _run_tui(session, opts, parts, linger)


def _set_linger(session: Any, linger: Any) -> None:
    """`--linger`: quiet seconds after the last input ends before the session ends."""
    if linger is not None:
        session.linger_seconds = float(linger)


def _notice(text: str) -> None:
    """One line on stderr: not an error, something the person should know (no mic...)."""
    click.echo(f"note: {text}", err=True)


# --- plain mode ----------------------------------------------------------------------


class _Stop(Exception):
    pass


def _run_plain(session: Any, opts: RunOptions, parts: Any) -> int:
    from voicecoach.shell.plain import KEYBOARD_HELP, PlainPrinter, read_commands

    printer = PlainPrinter()
    session.add_listener(printer)
    stop = threading.Event()
    reason = {"why": "done"}

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        reason["why"] = "sigterm" if signum == signal.SIGTERM else "sighup"
        stop.set()

    old = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGHUP)}
    code = 0
    try:
        printer.line("routine", f"{session.routine.name} ({len(session.routine.steps)} steps), "
                                f"engine {session.engine_name}")
        keyboard = opts.keyboard or parts.keyboard_fallback or _stdin_is_tty()
        if keyboard:
            printer.line("keys", KEYBOARD_HELP)
        session.start()
        if keyboard:
            read_commands(session, sys.stdin, stop, printer)
        while not stop.is_set() and not session.wait_finished(0.2):
            pass
        if session.finished and not stop.is_set():
            if session.audible and session.finish_reason == "done":
                # Let the wrap-up ("well done...") be heard before the devices close.
                # Not after a stop (stop means now), and not under --mute: nothing
                # plays, and waiting out a silent voice's timeline took 4-8 s.
                deadline = time.monotonic() + LAST_WORDS_SECONDS
                while (not stop.is_set() and time.monotonic() < deadline
                       and not session.wait_quiet(timeout=0.2)):
                    pass
            code = 0 if session.finish_reason in ("done", "stop", "input_end") else 1
        else:
            printer.line("stop", f"stopping ({reason['why']})")
    except KeyboardInterrupt:
        printer.line("stop", "stopping (ctrl-c)")
        code = 130
    finally:
        stop.set()
        session.close()
        for sig, handler in old.items():
            signal.signal(sig, handler)
    if session.hearing_note:
        printer.line("hearing", session.hearing_note)
    printer.line("saved", parts.saved_where() or "session ended")
    return code


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):
        return False


# --- TUI -----------------------------------------------------------------------------


def _run_tui(session: Any, opts: RunOptions, parts: Any, linger: Any = None) -> int:
    try:
        from voicecoach.tui import make_app
    except ImportError as exc:
        raise VoicecoachError(f"the terminal UI is not available ({exc}); use --no-tui") from None
    from voicecoach.shell import wiring

    current: dict[str, Any] = {"session": session}

    def session_factory(routine: Any) -> Any:
        # A routine picked in the picker (with --pick, or after the wrap-up): same
        # options, fresh devices; its notices are shown in the app like the first's.
        more = wiring.build_parts(routine, opts, notice=lambda text: None)
        new = wiring.build_session(routine, opts, more)
        _set_linger(new, linger)
        new.input_opened("screen")  # keys work as long as the app runs
        for text in more.notices:
            new.report("warning", text)
        current["session"] = new
        return new

    # The notices went to stderr, which the full screen hides: show them in the app
    # too (queued now, delivered once the app has started the session and listens).
    if session is not None:
        session.input_opened("screen")  # keys work as long as the app runs
        for text in parts.notices:
            session.report("warning", text)
    app: Any = None

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        # The signal arrives on the main thread, which runs Textual's loop: hand
        # the exit to a helper thread so it goes through call_from_thread.
        if app is not None:
            threading.Thread(target=lambda: _exit_app(app), daemon=True).start()

    old = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        with _stderr_to_file():
            app = make_app(session, routine_name=opts.routine, theme=opts.theme,
                           session_factory=session_factory)
            app.run()
    except KeyboardInterrupt:
        pass
    finally:
        if current["session"] is not None:
            current["session"].close()
        for sig, handler in old.items():
            signal.signal(sig, handler)
    return int(getattr(app, "return_code", 0) or 0)


@contextlib.contextmanager
def _stderr_to_file() -> Iterator[None]:
    """Send fd 2 to a file while the TUI owns the terminal; Textual keeps the terminal.

    ALSA and PortAudio print straight to fd 2 from C when a device fails (a
    mic unplugged mid-session prints a dozen lines per retry); on a full-screen
    app those lines land on top of the screen. The TUI shows the same problems
    as one-line warnings; the raw text stays in the file for bug reports.
    Textual draws on `sys.__stderr__`, so that is pointed at a duplicate of the
    terminal's descriptor before fd 2 itself is redirected.
    """
    from voicecoach import locations

    path = locations.cache_dir() / "last-session-stderr.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError:
        yield  # no cache dir: live with the noise rather than fail
        return
    original = sys.__stderr__
    if original is None:
        os.close(target)
        yield
        return
    original.flush()
    saved_fd = os.dup(2)
    terminal = os.fdopen(os.dup(2), "w", encoding=original.encoding, errors=original.errors,
                         buffering=1)
    saved_stderr = sys.stderr
    try:
        sys.__stderr__ = terminal  # type: ignore[misc]
        sys.stderr = terminal
        os.dup2(target, 2)
        yield
    finally:
        terminal.flush()
        os.dup2(saved_fd, 2)
        sys.__stderr__ = original  # type: ignore[misc]
        sys.stderr = saved_stderr
        os.close(saved_fd)
        os.close(target)
        terminal.close()


def _exit_app(app: Any) -> None:
    with contextlib.suppress(RuntimeError):  # the app has already stopped
        app.call_from_thread(app.exit)
