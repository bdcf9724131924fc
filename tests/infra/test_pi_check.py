"""`scripts/pi-check.sh --quick`: voicecoach installed and run in an emulated arm64 Debian.

Slow (a minute with a cached root, about five on the first run, which debootstraps
and pip-installs under qemu), so it is marked `slow` and left out of the default run:
`.venv/bin/python -m pytest -m slow tests/infra/test_pi_check.py`. It needs root
(debootstrap, chroot, mounts) and the network (Debian's archive and PyPI, first run).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_pi_check_quick_runs_green(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("pi-check.sh needs root (debootstrap, chroot, mount)")
    if shutil.which("apt-get") is None:
        pytest.skip("pi-check.sh needs a Debian host (apt-get, debootstrap, qemu-user-static)")
    report = tmp_path / "pi-arm64.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICECOACH_")}
    for name in ("VOICECOACH_PI_ROOT", "VOICECOACH_CORPUS"):  # where the root is cached
        if name in os.environ:
            env[name] = os.environ[name]
    result = subprocess.run(["bash", "scripts/pi-check.sh", "--quick", "--out", str(report)],
                            cwd=REPO, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                            env=env, timeout=3500)
    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    text = report.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ") and " s |" in line]
    assert len(rows) >= 7, text  # install-pi.sh, the baseline, and each command
    assert all(line.split("|")[2].strip() == "0" for line in rows), text
    assert "within the 150 MB budget" in text
    assert "aarch64" in text  # the wheel list: compiled wheels built for arm64
    mounts = Path("/proc/self/mounts").read_text()
    assert "voicecoach-pi" not in mounts and "/bookworm-arm64/" not in mounts
