"""`voicecoach model download | list | path` through click's CliRunner on the real CLI group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from tests.speech_models.helpers import FileServer, make_model_dir, make_model_zip, md5
from tests.support.signals import ctrl_c_as_in_a_terminal
from voicecoach.cli import cli
from voicecoach.speech.download import CHUNK
from voicecoach.speech.models import DEFAULT_MODEL

NAME = "vosk-model-fake-0.1"
ZIP = make_model_zip(NAME)
REPO = Path(__file__).resolve().parents[2]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def assert_one_line_error(result: Result, code: int) -> str:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("error: ")
    return lines[-1]


def test_path_without_model_is_one_line_exit_1(model_dirs: dict[str, Path]) -> None:
    result = invoke("model", "path")
    line = assert_one_line_error(result, 1)
    assert "voicecoach model download" in line and str(model_dirs["user"]) in line
    assert result.stdout == ""


def test_path_prints_folder_on_stdout_and_reason_on_stderr(model_dirs: dict[str, Path]) -> None:
    folder = make_model_dir(model_dirs["user"] / DEFAULT_MODEL)
    result = invoke("model", "path")
    assert result.exit_code == 0
    assert result.stdout.strip() == str(folder)
    assert "from the user data dir" in result.stderr


def test_path_explicit_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = make_model_dir(tmp_path / "mine")
    env = make_model_dir(tmp_path / "env")
    monkeypatch.setenv("VOICECOACH_MODEL", str(env))
    result = invoke("model", "path")
    assert result.stdout.strip() == str(env) and "VOICECOACH_MODEL" in result.stderr
    result = invoke("model", "path", "--model", str(mine))
    assert result.stdout.strip() == str(mine) and "--model" in result.stderr


def test_path_explicit_broken_is_one_line(tmp_path: Path) -> None:
    folder = make_model_dir(tmp_path / "half")
    (folder / "graph" / "HCLr.fst").unlink()
    line = assert_one_line_error(invoke("model", "path", "--model", str(folder)), 1)
    assert str(folder) in line and "graph/HCLr.fst" in line


def test_list_shows_known_installed_and_other_models(model_dirs: dict[str, Path]) -> None:
    result = invoke("model", "list")
    assert result.exit_code == 0
    assert DEFAULT_MODEL in result.stdout and "39.3 MiB" in result.stdout
    assert "not installed" in result.stdout and "in use: none" in result.stdout

    default = make_model_dir(model_dirs["user"] / DEFAULT_MODEL)
    other = make_model_dir(model_dirs["repo"] / "vosk-model-custom")
    result = invoke("model", "list")
    assert f"installed: {default} (user data dir)" in result.stdout
    assert "other model folders:" in result.stdout and f"{other} (repo models/)" in result.stdout
    assert f"in use: {other}" in result.stdout  # the checkout's models/ comes first


def test_download_install_then_already_installed(server: FileServer,
                                                 model_dirs: dict[str, Path]) -> None:
    server.files[f"/{NAME}.zip"] = ZIP
    url = server.url(f"/{NAME}.zip")
    result = invoke("model", "download", NAME, "--url", url, "--md5", md5(ZIP))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"downloading {NAME} from {url}")
    assert (model_dirs["user"] / NAME / "am" / "final.mdl").is_file()
    result = invoke("model", "download", NAME, "--url", url)
    assert result.exit_code == 0 and "already installed" in result.stderr


def test_download_url_from_env(server: FileServer, monkeypatch: pytest.MonkeyPatch) -> None:
    server.files["/m.zip"] = ZIP
    monkeypatch.setenv("VOICECOACH_MODEL_URL", server.url("/m.zip"))
    result = invoke("model", "download", NAME, "--md5", md5(ZIP))
    assert result.exit_code == 0, result.stderr


def test_download_checksum_mismatch_exit_1(server: FileServer) -> None:
    server.files[f"/{NAME}.zip"] = ZIP
    result = invoke("model", "download", NAME, "--url", server.url(f"/{NAME}.zip"),
                    "--md5", "0" * 32)
    assert "failed its checksum" in assert_one_line_error(result, 1)


def test_download_offline_exit_1(server: FileServer) -> None:
    result = invoke("model", "download", NAME, "--url", server.url("/missing.zip"))
    assert "to install by hand" in assert_one_line_error(result, 1)


def test_download_unknown_name_exit_2() -> None:
    line = assert_one_line_error(invoke("model", "download", "vosk-model-nonesuch"), 2)
    assert "unknown model" in line


def test_download_bad_md5_exit_2(server: FileServer) -> None:
    result = invoke("model", "download", NAME, "--url", server.url("/x.zip"), "--md5", "abc")
    assert "--md5" in assert_one_line_error(result, 2)


def test_ctrl_c_leaves_a_resumable_part(server: FileServer, tmp_path: Path) -> None:
    """The real console script in a subprocess, SIGINT mid-download, then a resume."""
    server.files[f"/{NAME}.zip"] = ZIP
    stall = 2 * CHUNK  # whole read chunks, so the client has written them all
    server.stall_after = stall
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"),
           "VOICECOACH_MODEL_LIST_URL": ""}
    part = tmp_path / "data" / "voicecoach" / "models" / f"{NAME}.zip.part"
    args = [sys.executable, "-m", "voicecoach", "model", "download", NAME,
            "--url", server.url(f"/{NAME}.zip"), "--md5", md5(ZIP)]
    with subprocess.Popen(args, cwd=REPO, env=env, preexec_fn=ctrl_c_as_in_a_terminal,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            for _ in range(200):  # up to 20 s for the first chunks to land
                if part.exists() and part.stat().st_size >= stall:
                    break
                time.sleep(0.1)
            assert part.exists() and part.stat().st_size >= stall
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err and "resume" in err and "Traceback" not in err
    assert part.stat().st_size == stall

    server.stall_after = None
    server.release.set()
    done = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "resuming at" in done.stderr and not part.exists()
    assert server.requests[-1][1] == f"bytes={stall}-"
