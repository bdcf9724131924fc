#!/usr/bin/env bash
# Set up what is missing (with the test extras, see scripts/setup.sh; never a
# speech-model download: the tests bring their own), then run the tests:
# `python -m pytest` with these arguments, its exit status preserved.
# Examples: scripts/test.sh -x tests/infra    scripts/test.sh -k config
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$REPO/scripts/setup.sh" --extras test --no-model
cd "$REPO"
echo "[test] .venv/bin/python -m pytest $*" >&2
exec "$REPO/.venv/bin/python" -m pytest "$@"
