"""The `voicecoach` command line: flags in, one call out.

Each command's work lives in `voicecoach/commands/<area>.py` and is imported
only when that command runs, so `voicecoach --help` and `check` start fast and
never load a speech engine. A `VoicecoachError` becomes one line on stderr and
its exit code (2 bad input, 1 runtime failure); nothing else is caught here, so
a real bug still shows its traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from voicecoach import __version__
from voicecoach.errors import VoicecoachError

ENGINES = click.Choice(["auto", "vosk", "pocketsphinx", "text"])
DENOISERS = click.Choice(["auto", "webrtc", "rnnoise"])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="voicecoach")
def cli() -> None:
    """An offline, hands-free, voice-guided practice coach."""


# --- routines -------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--engine", type=ENGINES, default=None,
              help="Also check every phrase against this speech engine's vocabulary.")
@click.option("--model", type=click.Path(path_type=Path), default=None, help="Vosk model folder.")
def check(paths: tuple[str, ...], engine: str | None, model: Path | None) -> None:
    """Validate routine files (paths or routine names)."""
    from voicecoach.commands import routines

    sys.exit(routines.check(list(paths), engine=engine, model=model))


@cli.command("routines")
def routines_cmd() -> None:
    """List built-in and user routines, and where each comes from."""
    from voicecoach.commands import routines

    sys.exit(routines.list_routines())


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the routine format (for TOML language servers)."""
    from voicecoach.commands import routines

    sys.exit(routines.print_schema())


@cli.command()
@click.argument("routine")
@click.option("--script", "script", type=click.Path(path_type=Path), default=None,
              help="Lines: a phrase as if heard, `wait N`, blank lines and # comments.")
@click.option("--summary", is_flag=True,
              help="A table instead of JSON: time per step and what it says, answering "
                   "\"next\" whenever a step waits for it.")
@click.option("--max-seconds", type=click.FloatRange(min=0, min_open=True), default=14400.0,
              show_default=True, metavar="SECONDS", help="Stop after this much simulated time.")
def simulate(routine: str, script: Path | None, summary: bool, max_seconds: float) -> None:
    """Run a routine with simulated time and no audio; JSON lines on stdout.

    The script's lines are played first; then time runs on until the routine
    is done or waits for a spoken "next" (a final `waiting` record), or
    --max-seconds of simulated time have passed (a `limit` record).
    """
    from voicecoach.commands import simulate as simulate_cmd

    sys.exit(simulate_cmd.main(routine, script, summary=summary, max_seconds=max_seconds))


# --- speech in ------------------------------------------------------------


@cli.command()
@click.argument("wavs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--routine", "routine", default="squat", show_default=True)
@click.option("--engine", type=ENGINES, default="auto", show_default=True)
@click.option("--model", type=click.Path(path_type=Path), default=None, help="Vosk model folder.")
@click.option("--json", "as_json", is_flag=True, help="One JSON line per file.")
@click.option("--user", default=None, help="Decode with this enrolled user's voice profile.")
@click.option("--denoiser", type=DENOISERS, default="auto", show_default=True,
              help="Noise suppression (as `run --denoiser`).")
@click.option("--classifier/--no-classifier", default=None,
              help="As `run --classifier` (default: the config's); learnt before the first "
                   "file is decoded.")
def transcribe(wavs: tuple[Path, ...], routine: str, engine: str, model: Path | None,
               as_json: bool, user: str | None, denoiser: str, classifier: bool | None) -> None:
    """Decode WAV files against a routine's phrases."""
    from voicecoach.commands import speech

    sys.exit(speech.transcribe(list(wavs), routine=routine, engine=engine, model=model,
                               as_json=as_json, user=user, denoiser=denoiser,
                               classifier=classifier))


@cli.command()
@click.option("--user", default=None, help="Who is enrolling (default: me).")
@click.option("--routine", default=None, help="Enroll this routine's phrases (default: squat).")
@click.option("--from", "takes_file", type=click.Path(path_type=Path), default=None,
              metavar="TAKES.jsonl",
              help='Recorded takes instead of the mic: {"file", "text"} per line, text null '
                   "for a negative.")
@click.option("--list", "list_users_", is_flag=True, help="List enrolled users.")
@click.option("--forget", "forget_user", default=None, metavar="USER",
              help="Remove every file of USER's enrollment.")
@click.option("--engine", type=ENGINES, default=None, help="Speech engine (default: best found).")
@click.option("--model", type=click.Path(path_type=Path), default=None, help="Vosk model folder.")
@click.option("--mic", default=None, help="Input device, by index or name substring.")
@click.option("--speaker", default=None, help="Output device, by index or name substring.")
@click.option("--mute", is_flag=True, help="Show the prompts; do not speak them.")
@click.option("--no-tui", is_flag=True, help="Plain lines instead of the enrollment screen.")
def enroll(user: str | None, takes_file: Path | None, list_users_: bool,
           forget_user: str | None, **options: object) -> None:
    """Learn a user's voice: about two minutes of prompted phrases, or --from files."""
    from voicecoach.commands import enroll as enroll_cmd

    sys.exit(enroll_cmd.main(user=user, takes_file=takes_file, list_users_=list_users_,
                             forget_user=forget_user, **options))


@cli.command()
@click.option("--user", default=None, help="Also report this user's enrollment.")
@click.option("--mic", default=None, help="Input device, by index or name substring.")
@click.option("--engine", type=ENGINES, default=None, help="Speech engine (default: best found).")
@click.option("--model", type=click.Path(path_type=Path), default=None, help="Vosk model folder.")
@click.option("--seconds", type=click.FloatRange(1.0, 30.0), default=5.0, show_default=True,
              help="How long to record.")
@click.option("--input-file", type=click.Path(path_type=Path), default=None,
              help="Check this WAV instead of recording.")
@click.option("--denoiser", type=DENOISERS, default="auto", show_default=True,
              help="Noise suppression (as `run --denoiser`).")
def doctor(**options: object) -> None:
    """Record 5 s and report mic level, noise floor, engine, enrollment and what was heard."""
    from voicecoach.commands import doctor as doctor_cmd

    sys.exit(doctor_cmd.main(**options))


@cli.command()
def devices() -> None:
    """List audio inputs and outputs with their default sample rates."""
    from voicecoach.commands import speech

    sys.exit(speech.devices())


@cli.group()
def model() -> None:
    """Manage Vosk speech models."""


@model.command("download")
@click.argument("name", required=False)
@click.option("--url", default=None, metavar="URL",
              help="Fetch the zip from here (a mirror); env VOICECOACH_MODEL_URL.")
@click.option("--md5", default=None, metavar="HEX", help="Expected md5 of the zip.")
def model_download(name: str | None, url: str | None, md5: str | None) -> None:
    """Download a Vosk model (default: the small English one), checked and unpacked."""
    from voicecoach.commands import models as models_cmd

    sys.exit(models_cmd.download(name, url=url, md5=md5))


@model.command("list")
def model_list() -> None:
    """List known and installed models."""
    from voicecoach.commands import models as models_cmd

    sys.exit(models_cmd.list_models())


@model.command("path")
@click.option("--model", type=click.Path(path_type=Path), default=None)
def model_path(model: Path | None) -> None:
    """Print the model folder that would be used, and why."""
    from voicecoach.commands import models as models_cmd

    sys.exit(models_cmd.path(model))


# --- speech out -----------------------------------------------------------


@cli.command()
@click.argument("text")
@click.option("--voice", default=None, help="Voice id or name (see `voicecoach voices`).")
@click.option("--rate", type=click.IntRange(80, 450), default=None, help="Words per minute.")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="Write a WAV instead.")
@click.option("--speaker", default=None, help="Output device, by index or name.")
@click.option("--volume", type=click.FloatRange(0.0, 1.0), default=1.0, show_default=True,
              help="Loudness, 0.0 to 1.0.")
def say(text: str, voice: str | None, rate: int | None, out: Path | None,
        speaker: str | None, volume: float) -> None:
    """Speak TEXT (or write it to a WAV)."""
    from voicecoach.commands import voice as voice_cmd

    sys.exit(voice_cmd.say(text, voice=voice, rate=rate, out=out, speaker=speaker,
                           volume=volume))


@cli.command()
def voices() -> None:
    """List the text-to-speech voices."""
    from voicecoach.commands import voice as voice_cmd

    sys.exit(voice_cmd.voices())


# --- the session ----------------------------------------------------------


@cli.command()
@click.argument("routine", required=False)
@click.option("--engine", type=ENGINES, default=None, help="Speech engine (default: best found).")
@click.option("--model", type=click.Path(path_type=Path), default=None, help="Vosk model folder.")
@click.option("--mic", default=None, help="Input device, by index or name substring.")
@click.option("--speaker", default=None, help="Output device, by index or name substring.")
@click.option("--no-tui", is_flag=True, help="Plain line-by-line output instead of the TUI.")
@click.option("--pick", is_flag=True, help="Open the routine picker first (TUI only).")
@click.option("--keyboard", is_flag=True, help="Type commands; do not open a microphone.")
@click.option("--input-file", type=click.Path(path_type=Path), default=None,
              help="Feed this WAV instead of the microphone.")
@click.option("--voice", default=None, help="TTS voice.")
@click.option("--rate", type=click.IntRange(80, 450), default=None, help="Speaking rate, wpm.")
@click.option("--beeps/--no-beeps", default=None, help="Tones for rep ticks and end of rest.")
@click.option("--volume", type=click.FloatRange(0.0, 1.0), default=None,
              help="Loudness of speech and beeps, 0.0 to 1.0.")
@click.option("--mute", is_flag=True, help="No speech output (text only).")
@click.option("--keep-audio", is_flag=True, help="Keep audio of rejected utterances.")
@click.option("--echo-cancel", type=click.Choice(["off", "on", "system"]), is_flag=False,
              flag_value="on", default=None,
              help="Talk over the coach: cancel its voice in the mic (`on`), or use the "
                   "sound server's echo-cancel devices (`system`).")
@click.option("--denoiser", type=DENOISERS, default=None,
              help="Noise suppression: auto (default: RNNoise while the room's noise is "
                   "steady, e.g. a fan; WebRTC otherwise), webrtc, or rnnoise.")
@click.option("--classifier/--no-classifier", default=None,
              help="Judge commands with a classifier learnt from the routine's phrases "
                   "(default: on; learnt in the background on a routine's first start).")
@click.option("--user", default=None,
              help="Hear with this enrolled user's voice profile (voicecoach enroll).")
@click.option("--event-log", type=click.Path(path_type=Path), default=None,
              help="Also write every event as JSON lines to this file.")
@click.option("--linger", type=click.FloatRange(min=0), default=5.0, show_default=True,
              metavar="SECONDS",
              help="When the last input ends (the --input-file, or typed input with no "
                   "other), end the session after this many seconds of quiet.")
@click.option("--loop-input", is_flag=True, hidden=True,
              help="Play --input-file over and over (soak tests).")
def run(routine: str | None, **options: object) -> None:
    """Run a routine (default: the squat routine).

    The session ends when the routine does, on "stop the session" (x in the
    UI, q in --no-tui), or when no input is left: the --input-file ended and
    nothing is typed, or typed input ran out (a pipe, Ctrl-D) with no
    microphone. Each way the summary is said, the session log saved, exit 0.
    q in the UI quits at once (logged as `quit`).
    """
    from voicecoach.commands import run as run_cmd

    sys.exit(run_cmd.main(routine, **options))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Sessions and corrections as JSON.")
@click.option("--limit", type=int, default=20, show_default=True, help="Newest sessions to list.")
@click.option("--session", "session_id", type=int, default=None,
              help="Print this session's events as JSON lines (the `simulate` format).")
def history(as_json: bool, limit: int, session_id: int | None) -> None:
    """List past sessions and the corrections asked for most."""
    from voicecoach.commands import history as history_cmd

    sys.exit(history_cmd.main(as_json=as_json, limit=limit, session_id=session_id))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Values, sources and locations as JSON.")
@click.option("--path", "show_path", is_flag=True, help="Print the config file's path only.")
@click.option("--init", is_flag=True, help="Write a commented config file with every key.")
@click.option("--routine", default=None, help="Preview: as `run ROUTINE` would.")
@click.option("--engine", type=ENGINES, default=None, help="Preview: as `run --engine`.")
@click.option("--model", default=None, help="Preview: as `run --model`.")
@click.option("--mic", default=None, help="Preview: as `run --mic`.")
@click.option("--speaker", default=None, help="Preview: as `run --speaker`.")
@click.option("--voice", default=None, help="Preview: as `run --voice`.")
@click.option("--rate", type=click.IntRange(80, 450), default=None,
              help="Preview: as `run --rate`.")
@click.option("--beeps/--no-beeps", default=None, help="Preview: as `run --beeps`.")
@click.option("--volume", type=click.FloatRange(0.0, 1.0), default=None,
              help="Preview: as `run --volume`.")
@click.option("--keep-audio", is_flag=True, help="Preview: as `run --keep-audio`.")
def config(as_json: bool, show_path: bool, init: bool, **flags: object) -> None:
    """Show the merged user configuration and where each value came from.

    Give `run`'s flags to see what `voicecoach run` with them would use.
    """
    from voicecoach.commands import config as config_cmd

    sys.exit(config_cmd.main(as_json=as_json, show_path=show_path, init=init, flags=flags))


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except VoicecoachError as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)


if __name__ == "__main__":
    main()
