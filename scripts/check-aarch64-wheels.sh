#!/usr/bin/env bash
# Check that every dependency installs on 64-bit Raspberry Pi OS without compiling:
# ask pip for aarch64 wheels of the ranges pyproject.toml pins, for a Python version
# (default 3.11, bookworm's; 3.13 is trixie's), dependencies included.
#
# Usage: scripts/check-aarch64-wheels.sh [PYTHON_VERSION]
# Needs PyPI (downloads about 50 MB into a temporary folder, deleted after).
# `srt` (a vosk dependency) publishes only a source archive; it is pure Python and
# builds without a compiler, so it is fetched separately as source.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
pyver="${1:-3.11}"
python="${PYTHON:-$REPO/.venv/bin/python}"
[ -x "$python" ] || python=python3
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

mapfile -t deps < <("$python" - "$REPO/pyproject.toml" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    for dep in tomllib.load(f)["project"]["dependencies"]:
        print(dep)
PY
)
platforms=(--platform manylinux2014_aarch64 --platform manylinux_2_17_aarch64
           --platform manylinux_2_28_aarch64 --platform linux_aarch64)
echo "[aarch64] Python $pyver: ${deps[*]}" >&2
# vosk without its dependencies (srt is source-only), then its other dependencies.
wheel_deps=()
for dep in "${deps[@]}"; do
    case "$dep" in vosk*) ;; *) wheel_deps+=("$dep") ;; esac
done
vosk_dep="$(printf '%s\n' "${deps[@]}" | grep '^vosk' || true)"
"$python" -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
    "${platforms[@]}" --python-version "$pyver" --implementation cp -d "$out" \
    "${wheel_deps[@]}" cffi requests tqdm websockets
if [ -n "$vosk_dep" ]; then
    "$python" -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
        "${platforms[@]}" --python-version "$pyver" --implementation cp -d "$out" \
        --no-deps "$vosk_dep"
fi
# setup.sh's wheels installed without their dependencies (the `rnnoise` denoiser's library).
no_deps="$(grep -o 'NO_DEPS=([^)]*)' "$REPO/scripts/setup.sh" | sed 's/NO_DEPS=(//; s/)//')"
# shellcheck disable=SC2086  # a list of requirement specs
"$python" -m pip download --quiet --disable-pip-version-check --only-binary=:all: --no-deps \
    "${platforms[@]}" --python-version "$pyver" --implementation cp -d "$out" $no_deps
"$python" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary=:all: \
    -d "$out/sdist" srt
total=0 built=0
for wheel in "$out"/*.whl; do
    name="${wheel##*/}"
    echo "  $name"
    total=$((total + 1))
    case "$name" in *-none-any.whl) ;; *) built=$((built + 1)) ;; esac
done
echo "[aarch64] ok: $total wheels ($built built for aarch64), srt from source (pure Python)" >&2
