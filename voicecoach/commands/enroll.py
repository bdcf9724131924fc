"""`voicecoach enroll`: learn a user's voice, from the mic (guided) or from recorded takes.

Both ways end in the same place: the takes are stored under the user's folder
(`TakeStore`), then `enrollment.fit` turns every stored take into the user's
profile. So `--from` and the mic give the same result for the same audio, and
an interrupted mic enrollment (Ctrl-C) keeps its takes and resumes where it
stopped.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from voicecoach.commands.enroll_live import (
    TONE,
    LiveEnrollment,
    Mic,
    Prompt,
    estimate_s,
    plan,
)
from voicecoach.errors import UsageError, VoicecoachError
from voicecoach.speech.enrollment import (
    FitReport,
    Take,
    TakeStore,
    check_user,
    fit,
    forget,
    list_users,
    load_profile,
    read_takes_file,
    user_dir,
)

DEFAULT_USER = "me"
ECHO_WAIT_S = 0.15
"""After a prompt has played: the room's echo of it dies down before the mic is read."""
__all__ = ["LiveEnrollment", "Mic", "Prompt", "fit_user", "from_file", "live", "main", "plan"]


# --- after capture: the one code path --------------------------------------------------------


def fit_user(user: str, *, routine: str | None = "squat", engine: str = "auto",
             model: Path | None = None) -> FitReport:
    """Every stored take of `user` -> a fitted, saved profile."""
    from voicecoach.speech.engines import choose_engine, make_engine

    store = TakeStore(user)
    takes = store.load()
    if not takes:
        raise UsageError(f"no takes stored for {user!r}: record some first")
    choice = choose_engine(engine, model)
    phrases: list[str] = []
    if routine:
        from voicecoach.coach.intents import all_phrases
        from voicecoach.routine import load_routine

        phrases = list(all_phrases(load_routine(routine)))
    phrases += [t.text for t in takes if t.text and t.text not in phrases]
    report = fit(
        user, takes, phrases=phrases,
        make_inner=None if choice.engine == "text" else (lambda opts: make_engine(choice, opts)),
        adapt=choice.engine == "pocketsphinx",
    )
    if choice.engine == "vosk":
        report.profile.notes.append(
            "Vosk: its own model is not adapted; the templates and thresholds still apply"
        )
    report.profile.save()
    return report


def _show_report(user: str, report: FitReport) -> None:
    for line in report.skipped:
        click.echo(f"  skipped {line}")
    for line in report.lines:
        click.echo(f"  {line}")
    for note in report.profile.notes:
        click.echo(f"  note: {note}")
    click.echo(f"enrolled {user!r} ({user_dir(user)}); use it with: voicecoach run --user {user}")


def from_file(user: str, takes_file: Path, *, routine: str | None = "squat",
              engine: str = "auto", model: Path | None = None) -> int:
    """`enroll --from TAKES.jsonl`: the listed WAVs replace the user's stored takes."""
    from voicecoach.speech.audio import wav_pcm16k

    check_user(user)
    listed = read_takes_file(takes_file)
    takes = []
    for path, text in listed:
        try:
            takes.append(Take(wav_pcm16k(path), text, str(path)))
        except (OSError, VoicecoachError, ValueError) as exc:
            raise UsageError(f"{takes_file}: cannot read {path}: {exc}") from None
    store = TakeStore(user)
    if store.dir.exists():
        import shutil

        shutil.rmtree(store.dir)
    for take in takes:
        store.add(take)
    report = fit_user(user, routine=routine, engine=engine, model=model)
    _show_report(user, report)
    return 0


def list_cmd() -> int:
    users = list_users()
    if not users:
        click.echo("nobody is enrolled yet (voicecoach enroll --user NAME)")
        return 0
    for user in users:
        try:
            p = load_profile(user)
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(p.created))
            click.echo(f"{user}: {len(p.templates)} phrases, {p.n_takes} takes, "
                       f"{p.n_negatives} negatives, enrolled {when}")
        except VoicecoachError as exc:
            stored = len(TakeStore(user).rows())
            click.echo(f"{user}: not fitted ({stored} takes stored; {exc})")
    return 0


def forget_cmd(user: str) -> int:
    gone = forget(user)
    click.echo(f"forgot {user!r}: removed {len(gone)} files")
    return 0


# --- live ----------------------------------------------------------------------------------


def _speaker(device: str | None, voice: str | None, rate: int | None,
             mute: bool) -> Callable[[str], None]:
    if mute:
        return lambda text: None
    from voicecoach.voice.cache import RenderCache
    from voicecoach.voice.engine import EspeakEngine
    from voicecoach.voice.settings import VoiceSettings

    defaults = VoiceSettings()
    cache = RenderCache(EspeakEngine())

    def speak(text: str) -> None:
        from voicecoach.voice.output import OutputPort

        if text == TONE:
            from voicecoach.voice.tones import tone

            samples, clip_rate = tone("listening", 22050), 22050
        else:
            clip = cache.get(text, voice or defaults.voice, rate or defaults.rate)
            samples, clip_rate = clip.samples, clip.rate
        port = OutputPort(device, (clip_rate,))
        try:
            if port.rate != clip_rate:
                from voicecoach.voice.audio import resample

                samples = resample(samples, clip_rate, port.rate)
            for i in range(0, len(samples), port.block):
                port.write(samples[i : i + port.block])
            time.sleep(port.queued_seconds() + ECHO_WAIT_S)  # the tail, and the room's echo
        finally:
            port.close()

    return speak


def live(user: str, *, routine: str = "squat", mic: str | None = None,
         speaker: str | None = None, voice: str | None = None, rate: int | None = None,
         mute: bool = False, engine: str = "auto", model: Path | None = None,
         mic_source: Mic | None = None,
         on_listen: Callable[[Prompt, int], None] | None = None,
         no_tui: bool = False) -> int:
    """The guided enrollment on the mic: the enrollment screen, or lines with `--no-tui`
    (or when the output is not a terminal)."""
    from voicecoach.routine import load_routine
    from voicecoach.speech.audio import MicSource

    check_user(user)
    prompts = plan(load_routine(routine))
    source = mic_source or MicSource(mic)
    session = LiveEnrollment(user, prompts, source, _speaker(speaker, voice, rate, mute),
                             lambda line: click.echo(line), on_listen=on_listen)
    total = sum(p.takes for p in prompts)
    if not no_tui and sys.stdout.isatty():
        return _live_tui(user, routine, session, engine, model)
    click.echo(f"Enrolling {user!r} for {routine}: {total} takes, about "
               f"{estimate_s(prompts) / 60:.1f} min. "
               "Ctrl-C keeps what is recorded; run the same command to go on.")
    try:
        session.run()
    except KeyboardInterrupt:
        kept = len(session.store.rows())
        click.echo(f"\ninterrupted: {kept} takes kept in {session.store.dir}; "
                   f"run `voicecoach enroll --user {user}` again to resume")
        return 130
    report = fit_user(user, routine=routine, engine=engine, model=model)
    _show_report(user, report)
    return 0


def _live_tui(user: str, routine: str, session: LiveEnrollment, engine: str,
              model: Path | None) -> int:
    from voicecoach.commands.enroll_tui import EnrollApp

    def finish() -> list[str]:
        report = fit_user(user, routine=routine, engine=engine, model=model)
        return [*report.lines, *(f"note: {n}" for n in report.profile.notes),
                f"enrolled {user!r}; use it with: voicecoach run --user {user}"]

    app = EnrollApp(session, finish, f"Enrolling {user} for {routine}")
    code = app.run()
    for line in app.lines[-8:]:
        click.echo(line)
    return 130 if code is None else code


def main(*, user: str | None, takes_file: Path | None, list_users_: bool,
         forget_user: str | None, **live_options: Any) -> int:
    try:
        if list_users_:
            return list_cmd()
        if forget_user:
            return forget_cmd(forget_user)
        name = user or DEFAULT_USER
        if takes_file is not None:
            return from_file(name, takes_file, routine=live_options.get("routine") or "squat",
                             engine=live_options.get("engine") or "auto",
                             model=live_options.get("model"))
        return live(name, **{k: v for k, v in live_options.items() if v is not None})
    except VoicecoachError as exc:
        exc.show()
        return exc.exit_code
    finally:
        sys.stdout.flush()
