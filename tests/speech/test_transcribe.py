"""`voicecoach transcribe`: the stable JSON-lines format, human output, and bad files."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from tests.support import clips
from voicecoach.cli import cli


def _wav(tmp_path, name: str, text: str, **kw) -> str:
    voice = "flite:slt" if clips.have_flite() else "en-us"
    x = clips.pad(
        clips.speak(text, voice, 150, **kw), 0.4, 0.8, sample_rate=kw.get("sample_rate", 16000)
    )
    return str(clips.write_wav(tmp_path / name, x, kw.get("sample_rate", 16000)))


def test_json_lines(tmp_path) -> None:
    files = [
        _wav(tmp_path, "a.wav", "my heels are lifting"),
        _wav(tmp_path, "b.wav", "next step", sample_rate=48000, channels=2),
        _wav(tmp_path, "c.wav", "I think the weather is nice today"),
    ]
    silent = str(clips.write_wav(tmp_path / "d.wav", np.zeros(16000, np.int16)))
    result = CliRunner().invoke(
        cli,
        ["transcribe", *files, silent, "--routine", "squat", "--engine", "pocketsphinx", "--json"],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [set(x) for x in lines] == [
        {"file", "text", "intent", "phrase", "confidence", "decode_s", "raw", "reason", "engine",
         "model"}
    ] * 4
    assert {x["engine"] for x in lines} == {"pocketsphinx"}
    assert all(x["model"].startswith("pocketsphinx") for x in lines)
    # Diagnosis: an accepted file has no reason; a rejected one says why and what was heard.
    assert lines[0]["reason"] is None and lines[0]["raw"]
    assert lines[2]["intent"] is None and lines[2]["reason"]
    assert lines[3]["intent"] is None and lines[3]["reason"] == "no-speech"
    a, b, c, d = lines
    assert (a["intent"], a["phrase"], a["text"]) == (
        "correction",
        "my heels are lifting",
        "my heels are lifting",
    )
    assert 0 < a["confidence"] <= 1 and a["decode_s"] >= 0
    assert (b["intent"], b["phrase"]) == ("next", "next step")
    assert c["intent"] is None and c["phrase"] is None
    assert d["intent"] is None and d["text"] == ""


def test_a_command_inside_talk_is_reported_as_after_talk(tmp_path) -> None:
    talk = clips.speak("I think the weather is nice today, and my friend is coming over later",
                       "en-us", 165)
    command = clips.speak("repeat", "en-us", 150)
    x = clips.pad(np.concatenate([talk, np.zeros(9600, np.int16), command]), 0.5, 1.0)
    wav = str(clips.write_wav(tmp_path / "talk.wav", x))
    result = CliRunner().invoke(
        cli, ["transcribe", wav, "--routine", "squat", "--engine", "pocketsphinx", "--json"])
    assert result.exit_code == 0, result.output
    line = json.loads(result.output)
    assert (line["intent"], line["reason"], line["raw"]) == (None, "after-talk", "repeat")


def test_human_output_and_bad_files(tmp_path) -> None:
    good = _wav(tmp_path, "a.wav", "my heels are lifting")
    (tmp_path / "bad.wav").write_bytes(b"RIFF....nonsense")
    result = CliRunner().invoke(
        cli,
        [
            "transcribe",
            good,
            str(tmp_path / "bad.wav"),
            str(tmp_path / "gone.wav"),
            "--engine",
            "pocketsphinx",
        ],
    )
    assert result.exit_code == 2
    assert "correction" in result.stdout and "my heels are lifting" in result.stdout
    assert "not a readable WAV" in result.stderr and "gone.wav: no such file" in result.stderr
    assert "Traceback" not in result.output


def test_text_engine_cannot_transcribe(tmp_path) -> None:
    good = _wav(tmp_path, "a.wav", "next")
    result = CliRunner().invoke(cli, ["transcribe", good, "--engine", "text"])
    assert result.exit_code == 2 and "text engine" in result.stderr


def test_unknown_routine_is_a_clean_error(tmp_path) -> None:
    good = _wav(tmp_path, "a.wav", "next")
    result = CliRunner().invoke(
        cli, ["transcribe", good, "--routine", "no-such-routine", "--engine", "pocketsphinx"]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_devices_without_a_sound_card() -> None:
    import sounddevice as sd

    result = CliRunner().invoke(cli, ["devices"])
    if not sd.query_devices():
        assert result.exit_code == 1 and "no audio devices" in result.stderr
    else:
        assert result.exit_code == 0 and "inputs" in result.stdout


def test_a_file_decodes_the_same_alone_and_in_any_order(tmp_path) -> None:
    """The first command a user says is judged like the tenth: no memory between files.

    Pocketsphinx carries its cepstral mean and the VAD its noise floor from one
    recording to the next; `transcribe` starts each file as a new stream.
    """
    import random

    files = [
        _wav(tmp_path, "a.wav", "next"),
        _wav(tmp_path, "b.wav", "my heels are lifting"),
        _wav(tmp_path, "c.wav", "I think the weather is nice today"),
        _wav(tmp_path, "d.wav", "repeat", sample_rate=48000),
        _wav(tmp_path, "e.wav", "that hurts"),
    ]

    def decode(batch: list[str]) -> dict[str, tuple[object, ...]]:
        result = CliRunner().invoke(
            cli, ["transcribe", *batch, "--routine", "squat", "--engine", "pocketsphinx", "--json"]
        )
        assert result.exit_code == 0, result.output
        rows = [json.loads(line) for line in result.output.splitlines()]
        return {r["file"]: (r["text"], r["raw"], r["reason"], r["confidence"]) for r in rows}

    alone = {f: decode([f])[f] for f in files}
    for seed in (1, 2):
        order = files[:]
        random.Random(seed).shuffle(order)
        assert decode(order) == alone, order


def test_the_rnnoise_denoiser_hears_a_command_in_a_fans_noise(tmp_path) -> None:
    voice = "flite:slt" if clips.have_flite() else "en-us"
    x = clips.mix_snr(clips.pad(clips.speak("repeat", voice, 0 if clips.have_flite() else 150),
                                1.5, 0.8), "white", 10, 3)
    wav = str(clips.write_wav(tmp_path / "fan.wav", x))
    result = CliRunner().invoke(cli, ["transcribe", wav, "--engine", "pocketsphinx", "--json",
                                      "--denoiser", "rnnoise"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["phrase"] == "repeat", result.output
    result = CliRunner().invoke(cli, ["transcribe", wav, "--denoiser", "speex"])
    assert result.exit_code == 2 and "'speex' is not one of 'auto', 'webrtc', 'rnnoise'" in (
        result.output)
