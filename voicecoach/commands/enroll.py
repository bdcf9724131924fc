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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import click
import numpy as np

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
    take_problem,
    user_dir,
)

SAMPLE_RATE = 16000
DEFAULT_USER = "me"
TALK = (
    "I did a few squats this morning before breakfast.",
    "The weather is nice today, so maybe we can go for a walk later.",
    "Could you turn the music down a little, please?",
)
"""Ordinary talk read from the screen: the negatives (speech that must not be a command)."""
NOISE_S = 20.0


# --- plan ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Prompt:
    """One thing to record: a phrase `takes` times, or a negative (text None)."""

    text: str | None
    takes: int
    say: str
    """What the coach says (and the screen shows) before each take."""
    seconds: float = 4.0
    source: str = ""


def plan(routine: Any, command_takes: int = 3, correction_takes: int = 2) -> list[Prompt]:
    """The built-in commands' first phrases, then the routine's corrections' first phrases,
    then room noise and ordinary talk: what this user is likely to say, and what not."""
    from voicecoach.routine.phrases import phrase_key

    seen: set[str] = set()
    out: list[Prompt] = []
    for phrases in routine.commands.values():
        if phrases and phrase_key(phrases[0]) not in seen:
            seen.add(phrase_key(phrases[0]))
            out.append(Prompt(phrases[0], command_takes, f"Say: {phrases[0]}"))
    corrections = [c for s in routine.steps for c in s.corrections] + list(routine.corrections)
    for c in corrections:
        if c.when and phrase_key(c.when[0]) not in seen:
            seen.add(phrase_key(c.when[0]))
            out.append(Prompt(c.when[0], correction_takes, f"Say: {c.when[0]}"))
    out.append(Prompt(None, 1, "Now stay quiet, please, for twenty seconds.", NOISE_S, "room"))
    for i, sentence in enumerate(TALK):
        out.append(Prompt(None, 1, f"Read aloud: {sentence}", 7.0, f"talk {i + 1}"))
    return out


# --- capture ---------------------------------------------------------------------------


class Mic(Protocol):
    def open(self) -> None: ...
    def read(self, timeout: float) -> bytes | None: ...
    def close(self) -> None: ...


def level_bar(db: float, width: int = 20) -> str:
    filled = int(np.clip((db + 60.0) / 60.0, 0.0, 1.0) * width)
    return "#" * filled + "." * (width - filled)


class LiveEnrollment:
    """The guided enrollment: speak a prompt, record a take, check it, store it.

    `speak` must return only when the prompt has finished sounding (the mic is
    drained after it, so the coach's own voice is never a take). `on_listen` is
    called as recording starts (tests play a recorded take into the loop there).
    """

    def __init__(
        self,
        user: str,
        prompts: Sequence[Prompt],
        mic: Mic,
        speak: Callable[[str], None],
        show: Callable[[str], None],
        on_listen: Callable[[Prompt, int], None] | None = None,
        max_tries: int = 3,
    ) -> None:
        self.user = check_user(user)
        self.prompts = list(prompts)
        self.mic = mic
        self.speak = speak
        self.show = show
        self.on_listen = on_listen
        self.max_tries = max_tries
        self.store = TakeStore(user)
        self.reasked: list[str] = []

    def remaining(self) -> Iterator[tuple[Prompt, int]]:
        """(prompt, take number) still to record: what an earlier run stored counts."""
        for p in self.prompts:
            have = (
                self.store.count(p.text)
                if p.text is not None
                else sum(1 for r in self.store.rows() if r.get("source") == p.source)
            )
            for n in range(have, p.takes):
                yield p, n

    def run(self) -> int:
        todo = list(self.remaining())
        done_before = sum(p.takes for p in self.prompts) - len(todo)
        if done_before:
            self.show(f"resuming: {done_before} takes already recorded")
        self.mic.open()
        try:
            for i, (prompt, n) in enumerate(todo, 1):
                self._one(prompt, n, i, len(todo))
        finally:
            self.mic.close()
        return len(todo)

    def _one(self, prompt: Prompt, n: int, i: int, total: int) -> None:
        for attempt in range(1, self.max_tries + 1):
            label = prompt.say if prompt.text is None else f"{prompt.say}  ({n + 1}/{prompt.takes})"
            self.show(f"[{i}/{total}] {label}")
            self.speak(prompt.say)
            self._drain()
            if self.on_listen is not None:
                self.on_listen(prompt, n)
            pcm = self._record(prompt)
            peak = _peak_db(pcm)
            if prompt.text is None:
                self.store.add(Take(pcm, None, prompt.source))
                self.show(f"    recorded {len(pcm) / 2 / SAMPLE_RATE:.0f} s  [{level_bar(peak)}]")
                return
            take = _cut(pcm)
            problem = take_problem(take)
            if problem is None:
                self.store.add(Take(take, prompt.text, "mic"))
                self.show(f"    ok  [{level_bar(peak)}] {peak:.0f} dBFS")
                return
            self.reasked.append(f"{prompt.text}: {problem}")
            self.show(f"    again: {problem}  [{level_bar(peak)}]")
            if attempt < self.max_tries:
                self.speak(f"Once more, {problem.split(' (')[0]}.")
        self.show(f"    skipped {prompt.text!r} after {self.max_tries} tries")

    def _drain(self) -> None:
        while self.mic.read(0.0) is not None:
            pass

    def _record(self, prompt: Prompt) -> bytes:
        """Up to `prompt.seconds`; a phrase ends early after 0.8 s of quiet following speech."""
        chunks: list[bytes] = []
        got = 0.0
        heard = False
        quiet = 0.0
        floor: float | None = None
        deadline = time.monotonic() + prompt.seconds + 2.0
        while got < prompt.seconds and time.monotonic() < deadline:
            chunk = self.mic.read(0.5)
            if chunk is None:
                continue
            chunks.append(chunk)
            got += len(chunk) / 2 / SAMPLE_RATE
            if prompt.text is None:
                continue
            db = _peak_db(chunk)
            floor = db if floor is None else min(floor, db)
            if db > max(floor + 12.0, -45.0):
                heard, quiet = True, 0.0
            elif heard:
                quiet += len(chunk) / 2 / SAMPLE_RATE
                if quiet >= 0.8:
                    break
        return b"".join(chunks)


def _peak_db(pcm: bytes) -> float:
    from voicecoach.speech.templates import frame_levels_db

    db = frame_levels_db(np.frombuffer(pcm, dtype="<i2"))
    return float(db.max()) if db.size else -100.0


def _cut(pcm: bytes, pad_s: float = 0.35) -> bytes:
    """The take around its speech, with `pad_s` of room each side (as long as there is)."""
    from voicecoach.speech.templates import HOP, frame_levels_db

    x = np.frombuffer(pcm, dtype="<i2")
    db = frame_levels_db(x)
    if db.size == 0:
        return pcm
    loud = np.nonzero(db > max(float(np.percentile(db, 10)) + 12.0, float(db.max()) - 30.0))[0]
    if loud.size == 0:
        return pcm
    pad = int(pad_s * SAMPLE_RATE / HOP)
    a = max(0, int(loud[0]) - pad)
    b = min(db.size, int(loud[-1]) + 1 + pad)
    return x[a * HOP : b * HOP].tobytes()


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

        clip = cache.get(text, voice or defaults.voice, rate or defaults.rate)
        port = OutputPort(device, (clip.rate,))
        try:
            samples = clip.samples
            if port.rate != clip.rate:
                from voicecoach.voice.audio import resample

                samples = resample(samples, clip.rate, port.rate)
            for i in range(0, len(samples), port.block):
                port.write(samples[i : i + port.block])
            time.sleep(port.queued_seconds() + 0.15)  # the tail, and the room's echo of it
        finally:
            port.close()

    return speak


def live(user: str, *, routine: str = "squat", mic: str | None = None,
         speaker: str | None = None, voice: str | None = None, rate: int | None = None,
         mute: bool = False, engine: str = "auto", model: Path | None = None,
         mic_source: Mic | None = None,
         on_listen: Callable[[Prompt, int], None] | None = None) -> int:
    """The guided enrollment on the mic (`--no-tui` lines)."""
    from voicecoach.routine import load_routine
    from voicecoach.speech.audio import MicSource

    check_user(user)
    prompts = plan(load_routine(routine))
    source = mic_source or MicSource(mic)
    session = LiveEnrollment(user, prompts, source, _speaker(speaker, voice, rate, mute),
                             lambda line: click.echo(line), on_listen=on_listen)
    total = sum(p.takes for p in prompts)
    click.echo(f"Enrolling {user!r} for {routine}: {total} takes, about "
               f"{sum(p.takes * (p.seconds / 2 + 1.5) for p in prompts) / 60:.0f} min. "
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
