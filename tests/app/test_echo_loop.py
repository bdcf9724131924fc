"""Talking over the coach (issue 16): the wiring of `--echo-cancel`, and the coach's own voice in
the real audio loop with the canceller and the full-duplex gate on. The numbers (commands heard
over the coach, hush time, CPU) are scripts/bench_echo.py's, in bench/echo.md."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from tests.support.pulse import PulseLoop, audio_loop  # noqa: F401 (the fixture)
from voicecoach.routine import load_routine
from voicecoach.shell.options import RunOptions
from voicecoach.speech.echo import available

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "speech-corpus" / "clips"
needs_speex = pytest.mark.skipif(available() is not None, reason=str(available()))


def _opts(tmp_path: Path, echo_cancel: str) -> RunOptions:
    clip = next(iter(sorted((CORPUS / "stop").glob("*.wav"))), None)
    if clip is None:
        pytest.skip("../shared/speech-corpus is not here")
    return RunOptions(routine="squat", engine="pocketsphinx", model=None, mic=None,
                      speaker=None, voice=None, rate=None, beeps=None, volume=None,
                      keep_audio=False, no_tui=True, keyboard=False, input_file=clip,
                      mute=False, event_log=None, echo_cancel=echo_cancel)


@needs_speex
@pytest.mark.parametrize("mode", ["off", "on", "system"])
def test_echo_cancel_wires_the_canceller_only_when_asked(tmp_path: Path, mode: str) -> None:
    from voicecoach.shell.wiring import build_parts

    parts = build_parts(load_routine("squat"), _opts(tmp_path, mode), lambda _text: None)
    ears = parts.ears
    try:
        if mode == "off":  # exactly as before: no canceller, the half-duplex gate
            assert ears.canceller is None and parts.echo_reference is None
            assert ears.gate.duplex is None and ears.hush is None and ears.duck is None
        elif mode == "on":
            assert ears.canceller is not None
            assert parts.echo_reference is ears.canceller.reference
            assert ears.gate.duplex is not None and not ears.gate.duplex()  # not converged yet
        else:
            assert ears.canceller is None and ears.gate.duplex is not None and ears.gate.duplex()
        if mode != "off":
            assert parts.speaker_factory is not None  # it also points ears.hush at the speaker
            # Full duplex asks the residual gate whether an utterance is the coach's leftover.
            assert ears.residual_gate is not None and ears.gate.leftover is not None
            assert not ears.gate.leftover(1.0, 1.5)  # the coach silent: nothing judged
        else:
            assert ears.residual_gate is None
    finally:
        if parts.session_log is not None:
            parts.session_log.close()


@needs_speex
@pytest.mark.audio
@pytest.mark.timeout(300)
def test_with_the_canceller_on_the_coach_still_never_hears_itself(
        audio_loop: PulseLoop) -> None:  # noqa: F811
    """A handful of the squat routine's texts, the short risky ones included ("No.", counts,
    "Say next when you're ready."), with the whole routine's grammar. The full sweep over both
    routines is the benchmark's (bench/echo.md)."""
    from tests.app.echoloop import Duplex
    from voicecoach.coach.intents import all_phrases
    from voicecoach.shell.mouth import routine_texts

    routine = load_routine("squat")
    texts = list(routine_texts(routine))
    picked = [t for t in texts if len(t.split()) > 20][:2]
    picked += [t for t in texts if t.lower().startswith(("no", "two", "three", "that was"))][:5]
    duplex = Duplex(tuple(all_phrases(routine)), method="speex")
    try:
        duplex.start()
        for text in picked:
            duplex.say(text, rate=routine.settings.rate or 165)
            assert duplex.ended.wait(60), text
            time.sleep(0.4)
        time.sleep(1.0)
        assert not duplex.ears.crashes
        accepted = [h[:2] for h in duplex.collector.accepted]
        assert accepted == [], accepted
        assert duplex.canceller is not None and duplex.canceller.processed_s > 5
    finally:
        duplex.close()


@pytest.mark.audio
@pytest.mark.timeout(60)
def test_the_setup_script_makes_the_servers_canceller_the_default_and_removes_it() -> None:
    """README's `scripts/echo-cancel.sh` (and `--remove`) against a real PulseAudio daemon."""
    import os
    import subprocess

    from tests.support.pulse import pulse_loop

    script = Path(__file__).resolve().parents[2] / "scripts" / "echo-cancel.sh"
    with pulse_loop() as loop:
        env = {**os.environ, **loop.env}
        # A mic of its own: the loop's default source is the speaker's own monitor, and
        # module-echo-cancel fails to load with that as its mic ("initialization failed").
        loop.pactl("load-module", "module-null-sink", "sink_name=room", "rate=48000",
                   "channels=1")
        loop.pactl("set-default-source", "room.monitor")

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(["bash", str(script), *args], env=env, capture_output=True,
                                  text=True, timeout=30, check=False)

        first = run()
        assert first.returncode == 0, first.stderr
        assert "module-echo-cancel" in loop.pactl("list", "short", "modules")
        assert loop.pactl("get-default-source").strip() == "voicecoach_ec_source"
        assert loop.pactl("get-default-sink").strip() == "voicecoach_ec_sink"
        again = run()  # safe to run twice: one canceller
        assert again.returncode == 0 and "already loaded" in again.stdout + again.stderr
        assert loop.pactl("list", "short", "modules").count("module-echo-cancel") == 1
        removed = run("--remove")
        assert removed.returncode == 0, removed.stderr
        assert "module-echo-cancel" not in loop.pactl("list", "short", "modules")


def test_run_options_default_to_no_echo_cancellation() -> None:
    fields = {f.name: f.default for f in dataclasses.fields(RunOptions)}
    assert fields["echo_cancel"] == "off"
