"""The set-up and CI scripts: syntax, help, the fast second run, CI's exit codes.

Nothing here installs anything: the tests that run setup.sh need its fast path
(the stamp matches), and skip when pyproject.toml changed since the last set-up.
Nor does anything download a model: the scripts run with VOICECOACH_NO_MODEL=1
unless a test points the download at its own socket on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = [*sorted((REPO / "scripts").glob("*.sh")), REPO / ".ci" / "run"]


def bash(*args: str, env: dict[str, str] | None = None,
         timeout: float = 120) -> subprocess.CompletedProcess[str]:
    if env is None:
        env = {**os.environ, "VOICECOACH_NO_MODEL": "1"}
    return subprocess.run(["bash", *args], cwd=REPO, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout, env=env)


@pytest.fixture
def set_up() -> None:
    """Skip unless setup.sh would take its fast path (so a test never runs pip)."""
    venv = REPO / ".venv"
    if Path(sys.prefix).resolve() != venv.resolve():
        pytest.skip("not running from this checkout's .venv")
    stamp = venv / ".voicecoach-setup"
    if not stamp.is_file():
        pytest.skip("scripts/setup.sh has not run here yet")
    version = subprocess.run([str(venv / "bin" / "python"), "-V"], capture_output=True,
                             text=True).stdout
    # setup.sh hashes pyproject.toml, the Python version and its NO_DEPS wheels (one line).
    no_deps = re.search(r"NO_DEPS=\(([^)]*)\)", (REPO / "scripts" / "setup.sh").read_text())
    assert no_deps is not None
    want = hashlib.sha256((REPO / "pyproject.toml").read_bytes() + version.encode()
                          + f"{' '.join(no_deps.group(1).split())}\n".encode()).hexdigest()
    have, _, extras = stamp.read_text().strip().partition(" ")
    if have != want or "test" not in extras.split(","):
        pytest.skip("pyproject.toml changed since the last scripts/setup.sh --extras test")


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_syntax(script: Path) -> None:
    result = bash("-n", str(script))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("script,flags", [("setup.sh", ["--extras", "--no-apt", "--no-model"]),
                                          ("install-pi.sh", ["--model", "--service", "--dry-run",
                                                             "--routine", "--remove-service"])])
def test_help_documents_every_flag(script: str, flags: list[str]) -> None:
    result = bash(f"scripts/{script}", "--help")
    assert result.returncode == 0
    assert all(flag in result.stdout for flag in flags)
    assert "set -euo" not in result.stdout  # only the comment block


def test_unknown_flag_is_one_line(tmp_path: Path) -> None:
    result = bash("scripts/setup.sh", "--frobnicate")
    assert result.returncode == 1
    assert result.stderr.strip() == "[setup] error: unknown option: --frobnicate (see --help)"


def test_second_setup_run_is_a_no_op(set_up: None) -> None:
    result = bash("scripts/setup.sh", "--extras", "test")
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stderr and "installing" not in result.stderr
    assert result.stdout == ""  # everything it says goes to stderr


@pytest.fixture
def model_socket(tmp_path: Path) -> Iterator[tuple[dict[str, str], socket.socket]]:
    """An environment whose model download goes to a socket on 127.0.0.1 that listens
    but never answers (so a test sees whether set-up knocked), into a fresh models dir.
    Skips when the checkout's models/ holds a model: set-up would rightly do nothing."""
    from voicecoach.speech.models import scan_models_dir

    if any(c.problem is None for c in scan_models_dir(REPO / "models")):
        pytest.skip("this checkout's models/ holds a Vosk model, so set-up downloads nothing")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        env = {**os.environ, "VOICECOACH_MODELS_DIR": str(tmp_path / "models"),
               "VOICECOACH_MODEL_URL": f"http://127.0.0.1:{sock.getsockname()[1]}/m.zip"}
        yield env, sock


def _knocked(sock: socket.socket) -> bool:
    try:
        sock.accept()[0].close()
    except BlockingIOError:
        return False
    return True


def test_offline_setup_says_one_line_and_goes_on(set_up: None, tmp_path: Path) -> None:
    with socket.socket() as sock:  # a closed port: refused at once, like no network
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/m.zip"
    env = {**os.environ, "VOICECOACH_MODELS_DIR": str(tmp_path / "models"),
           "VOICECOACH_MODEL_URL": url}
    start = time.monotonic()
    first = bash("scripts/setup.sh", "--no-apt", env=env)
    took = time.monotonic() - start
    assert first.returncode == 0, first.stderr
    assert first.stdout == "" and took < 10
    lines = first.stderr.splitlines()
    assert lines[0].startswith("[setup] .venv: up to date")
    assert lines[1:] == ["[setup] offline (127.0.0.1: Connection refused): no Vosk model "
                         "downloaded; using pocketsphinx (run `voicecoach model download` "
                         "later)"]
    again = bash("scripts/setup.sh", "--no-apt", env=env)
    assert again.returncode == 0 and len(again.stderr.splitlines()) == 1  # remembered


def test_setup_downloads_unless_told_not_to_and_tests_never_do(
        set_up: None, model_socket: tuple[dict[str, str], socket.socket]) -> None:
    env, sock = model_socket
    for how in (["scripts/setup.sh", "--no-apt", "--no-model"],
                ["scripts/test.sh", "-p", "no:cacheprovider", "--co", "-q",
                 "tests/infra/data/always_fails.py"]):
        result = bash(*how, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        assert not _knocked(sock), how
    result = bash("scripts/setup.sh", "--no-apt", env={**env, "VOICECOACH_NO_MODEL": "1"})
    assert result.returncode == 0 and not _knocked(sock)
    assert "Vosk" not in result.stderr
    # (That the default does knock, and gives up on this silent socket in time, is
    # test_setup_model.py's, in-process with a short time-out.)


def test_install_pi_dry_run_changes_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    result = bash("scripts/install-pi.sh", "--dry-run", "--model", "--service",
                  "--routine", "mobility", env=env)
    assert result.returncode == 0, result.stderr
    unit = tmp_path / "config" / "systemd" / "user" / "voicecoach.service"
    assert f"would write {unit}" in result.stderr
    assert "Restart=on-failure" in result.stderr
    assert f"ExecStart={REPO}/.venv/bin/voicecoach run --no-tui mobility" in result.stderr
    assert "would run: " in result.stderr and "model download" in result.stderr
    assert not unit.exists() and list(tmp_path.iterdir()) == []


def test_ci_run_passes_on_no_tests_and_fails_on_a_failure(set_up: None) -> None:
    nothing = bash(".ci/run", "-p", "no:cacheprovider", "tests/infra/test_scripts.py",
                   "-k", "no_test_has_this_name")
    assert nothing.returncode == 0, nothing.stdout + nothing.stderr
    assert "pytest collected no tests (exit 5)" in nothing.stdout

    failing = bash(".ci/run", "-p", "no:cacheprovider", "tests/infra/data/always_fails.py")
    assert failing.returncode == 1
    assert "1 failed" in failing.stdout.splitlines()[-1]  # pytest's summary closes the output


def test_missing_packages_lists_only_the_missing_ones() -> None:
    result = bash("-c", '. scripts/_lib.sh && missing_packages bash voicecoach-no-such-package')
    assert result.returncode == 0
    assert result.stdout.strip() == "voicecoach-no-such-package"


def test_run_sh_passes_arguments_to_voicecoach_run(set_up: None) -> None:
    result = bash("scripts/run.sh", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: voicecoach run [OPTIONS] [ROUTINE]")
    assert "up to date" in result.stderr


def test_bench_driver_writes_both_reports_and_notes_missing_sections(tmp_path: Path) -> None:
    """Only the cheap `log` section runs for real; a made-up one checks the 'missing' path."""
    # By path: `import bench` would find the repo's bench/ results folder first.
    spec = importlib.util.spec_from_file_location("voicecoach_bench_driver",
                                                  REPO / "scripts" / "bench.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--quick", "--only", "log", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "results.json").read_text())
    assert set(report["machine"]) >= {"cpu", "cores", "ram_gib", "os", "python"}
    assert {"vosk", "pocketsphinx", "numpy", "textual", "sounddevice", "espeak-ng"} <= set(
        report["libraries"])
    [log] = report["sections"]
    assert log["status"] == "ok" and log["rows"]
    markdown = (tmp_path / "results.md").read_text()
    assert "## Session log (SQLite)" in markdown and report["date"] in markdown
    missing = bench.run_section("no_such_section", quick=True)
    assert missing["status"] == "missing" and "not there yet" in missing["markdown"]
