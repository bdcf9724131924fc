#!/usr/bin/env bash
# Set up what is missing (see scripts/setup.sh: on the first run with internet
# that includes the Vosk model; VOICECOACH_NO_MODEL=1 skips it), then run a session:
# `voicecoach run` with these arguments (default: the squat routine; keyboard
# input when no microphone is found). Example: scripts/run.sh mobility --no-tui
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$REPO/scripts/setup.sh"
exec "$REPO/.venv/bin/voicecoach" run "$@"
