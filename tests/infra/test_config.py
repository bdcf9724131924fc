"""The user config: defaults, file, env and flags merged, with sources; bad files rejected."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.infra.conftest import RunCli
from voicecoach import locations
from voicecoach.cli import cli
from voicecoach.config import (
    THEMES,
    Config,
    ConfigError,
    load_config,
    merge,
    setting_help,
    setting_names,
    template,
)


def write_config(text: str) -> Path:
    path = locations.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_means_defaults() -> None:
    config = load_config()
    assert config == Config()
    assert all(config.source(key) == "default" for key in setting_names())


def test_file_values_and_their_source() -> None:
    path = write_config('engine = "pocketsphinx"\nmic = "USB"\nrate = 170\nbeeps = true\n')
    config = load_config()
    assert (config.engine, config.mic, config.rate, config.beeps) == (
        "pocketsphinx", "USB", 170, True)
    assert config.source("engine") == str(path)
    assert config.source("routine") == "default"


def test_env_beats_file_and_flag_beats_env(monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config('engine = "pocketsphinx"\nrate = 170\nvoice = "en-us"\n')
    monkeypatch.setenv("VOICECOACH_ENGINE", "vosk")
    monkeypatch.setenv("VOICECOACH_KEEP_AUDIO", "yes")
    config = load_config()
    values, sources = merge(config, {"engine": "text", "rate": None, "no_tui": True,
                                     "keep_audio": False, "model": Path("/m")})
    assert values.engine == "text" and sources["engine"] == "flag --engine"
    assert values.rate == 170 and sources["rate"] == str(path)
    assert values.keep_audio is True and sources["keep_audio"] == "env VOICECOACH_KEEP_AUDIO"
    assert values.model == "/m" and sources["model"] == "flag --model"
    assert values.voice == "en-us"
    assert sources["routine"] == "default"
    assert values.source("engine") == "flag --engine"  # the merged Config remembers too


def test_keep_audio_flag_switches_on() -> None:
    values, sources = merge(load_config(), {"keep_audio": True})
    assert values.keep_audio is True and sources["keep_audio"] == "flag --keep-audio"


def test_explicit_path_and_env_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "my.toml"
    elsewhere.write_text('routine = "mobility"\n', encoding="utf-8")
    assert load_config(elsewhere).routine == "mobility"
    monkeypatch.setenv("VOICECOACH_CONFIG", str(elsewhere))
    assert load_config().source("routine") == str(elsewhere)


def test_model_path_expands_home() -> None:
    write_config('model = "~/models/vosk"\n')
    assert load_config().model == str(Path.home() / "models" / "vosk")


BAD_FILES = {
    "unknown key": ('engin = "vosk"\n', r"unknown key `engin` \(did you mean `engine`\?\)"),
    "unknown key far": ('zzz = 1\n', r"unknown key `zzz` \(known keys: routine, engine"),
    "wrong type": ('rate = "fast"\n',
                   r"`rate` must be a whole number of words per minute, not a string"),
    "bool not int": ("rate = true\n", r"`rate` must be a whole number"),
    "out of range": ("rate = 20\n", r"`rate` must be between 80 and 450 words per minute, not 20"),
    "bad engine": ('engine = "whisper"\n',
                   r"`engine` must be one of auto, vosk, pocketsphinx, text"),
    "bad theme": ('theme = "pink"\n', r"`theme` must be one of contrast, light"),
    "bool": ('beeps = "yes"\n', r"`beeps` must be true or false, not a string"),
    "table": ("[audio]\nmic = 1\n", r"unknown key `audio`"),
    "empty string": ('mic = ""\n', r"`mic` must not be empty"),
    "volume too loud": ("volume = 1.5\n", r"`volume` must be from 0.0 \(silent\) to 1.0"),
    "volume as text": ('volume = "loud"\n', r"`volume` must be a number from 0.0 to 1.0"),
    "toml syntax": ('engine = "vosk\n', r"invalid TOML: .*line 1"),
}


@pytest.mark.parametrize("text,expected", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_file_is_one_line_naming_file_and_key(text: str, expected: str,
                                                  run_cli: RunCli) -> None:
    path = write_config(text)
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert len(caught.value.problems) == 1
    assert str(path) in caught.value.problems[0]
    assert re.search(expected, caught.value.problems[0])

    result = run_cli("config")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(path) in lines[0]
    assert "Traceback" not in result.err


def test_every_problem_reported_at_once() -> None:
    write_config('engin = "vosk"\nrate = 10\nbeeps = 1\n')
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert len(caught.value.problems) == 3


@pytest.mark.parametrize("content", [b"\xff\xfe\x00bad", b"x" * 2_000_000],
                         ids=["not utf-8", "huge"])
def test_unreadable_files(content: bytes, run_cli: RunCli) -> None:
    path = locations.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    result = run_cli("config")
    assert result.code == 2 and str(path) in result.err and "Traceback" not in result.err


def test_directory_and_missing_explicit_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             run_cli: RunCli) -> None:
    monkeypatch.setenv("VOICECOACH_CONFIG", str(tmp_path))
    result = run_cli("config")
    assert result.code == 2 and "is a directory" in result.err
    monkeypatch.setenv("VOICECOACH_CONFIG", str(tmp_path / "nope.toml"))
    result = run_cli("config")
    assert result.code == 2 and "config file not found" in result.err


def test_bad_env_value(monkeypatch: pytest.MonkeyPatch, run_cli: RunCli) -> None:
    monkeypatch.setenv("VOICECOACH_RATE", "quick")
    result = run_cli("config")
    assert result.code == 2
    assert "environment variable VOICECOACH_RATE: must be a whole number" in result.err


def test_bad_flag_value() -> None:
    with pytest.raises(ConfigError, match="option --engine: must be one of"):
        merge(load_config(), {"engine": "whisper"})


def test_config_command_shows_values_and_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config('engine = "pocketsphinx"\n')
    monkeypatch.setenv("VOICECOACH_RATE", "180")
    result = CliRunner().invoke(cli, ["config"])
    assert result.exit_code == 0, result.output
    assert f"config file: {path}" in result.output
    assert re.search(rf"engine\s+pocketsphinx\s+{re.escape(str(path))}", result.output)
    assert re.search(r"rate\s+180\s+env VOICECOACH_RATE", result.output)
    assert re.search(r"routine\s+squat\s+default", result.output)
    assert "session log" in result.output


def test_config_command_previews_run_flags() -> None:
    write_config("beeps = true\n")
    result = CliRunner().invoke(cli, ["config", "--engine", "vosk", "--no-beeps", "--keep-audio"])
    assert result.exit_code == 0, result.output
    assert re.search(r"engine\s+vosk\s+flag --engine", result.output)
    assert re.search(r"beeps\s+false\s+flag --no-beeps", result.output)
    assert re.search(r"keep_audio\s+true\s+flag --keep-audio", result.output)


def test_config_json_and_path() -> None:
    result = CliRunner().invoke(cli, ["config", "--json"])
    data = json.loads(result.output)
    assert data["values"]["routine"] == "squat" and data["sources"]["routine"] == "default"
    assert data["config_file_exists"] is False
    assert set(data["locations"]) >= {"config file", "session log", "models"}
    result = CliRunner().invoke(cli, ["config", "--path"])
    assert result.output.strip() == str(locations.config_file())


def test_init_writes_a_template_that_loads_and_refuses_to_overwrite() -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["config", "--init"])
    assert result.exit_code == 0
    assert load_config() == Config()  # everything is commented out
    uncommented = "\n".join(line[2:] if re.match(r"# \w+ = ", line) else line
                            for line in locations.config_file().read_text().splitlines())
    locations.config_file().write_text(uncommented)
    loaded = load_config()  # every example value is valid
    assert loaded.mic == "USB" and loaded.rate == 165
    assert runner.invoke(cli, ["config", "--init"]).exit_code == 1


def test_every_setting_has_help_with_meaning() -> None:
    helps = setting_help()
    assert set(helps) == set(setting_names())
    assert "words per minute" in helps["rate"] and "megabytes" in helps["keep_audio_mb"]
    assert all(f"# {key} = " in template() for key in setting_names())


def test_theme_names_match_the_tui() -> None:
    themes = pytest.importorskip("voicecoach.tui.themes")
    assert set(THEMES) == set(themes.THEME_NAMES)


def test_volume_from_file_env_and_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    write_config("volume = 0.5\n")
    assert load_config().volume == 0.5
    monkeypatch.setenv("VOICECOACH_VOLUME", "0.25")
    values, sources = merge(load_config(), {"volume": None})
    assert values.volume == 0.25 and sources["volume"] == "env VOICECOACH_VOLUME"
    values, sources = merge(load_config(), {"volume": 1})
    assert values.volume == 1.0 and sources["volume"] == "flag --volume"


def test_denoiser_from_file_env_and_flag_reaches_the_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from voicecoach.commands.run import resolve_options

    write_config('denoiser = "rnnoise"\n')
    assert resolve_options(None, {}).denoiser == "rnnoise"
    monkeypatch.setenv("VOICECOACH_DENOISER", "webrtc")
    assert resolve_options(None, {}).denoiser == "webrtc"
    assert resolve_options(None, {"denoiser": "rnnoise"}).denoiser == "rnnoise"
    path = write_config('denoiser = "speex"\n')
    monkeypatch.delenv("VOICECOACH_DENOISER")
    with pytest.raises(ConfigError) as err:
        load_config()
    assert str(path) in err.value.problems[0] and "denoiser" in err.value.problems[0]
