"""Fixtures for the infra tests: run the real CLI entry point in-process."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from voicecoach.cli import main


@pytest.fixture(autouse=True)
def _no_voicecoach_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's VOICECOACH_* variables would change defaults and move the data dir."""
    for name in list(os.environ):
        if name.startswith("VOICECOACH_"):
            monkeypatch.delenv(name)


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


RunCli = Callable[..., CliResult]


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> RunCli:
    """`voicecoach ARGS` through `cli.main()`, the console script's own error handling.

    CliRunner invokes the click group, which leaves VoicecoachError to `main()`;
    this goes through `main()` so a test sees the one-line message and exit code a
    user sees.
    """

    def run(*args: str) -> CliResult:
        monkeypatch.setattr(sys, "argv", ["voicecoach", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
