#!/usr/bin/env bash
# Set up everything voicecoach needs on Debian or Raspberry Pi OS, idempotently:
# system packages (apt-get, via sudo when not root), a .venv, and the package
# installed into it in editable mode, then, when no Vosk model is installed yet,
# the default English one (about 40 MB, with a progress bar): the better engine.
# Offline that is one line within a few seconds, Pocketsphinx is used, and set-up
# does not try again for a day (`voicecoach model download` always tries).
# A second run changes nothing and takes about a second: pip runs only when
# pyproject.toml (or the extras) changed.
#
# Usage: scripts/setup.sh [--extras test] [--no-apt] [--no-model]
#   --extras LIST  pip extras to install too (comma-separated; `test` for the tests)
#   --no-apt       skip system packages (not Debian, or you manage them yourself)
#   --no-model     never download a speech model (the tests and CI pass this)
# Env: PYTHON=python3.12 to build the venv with another interpreter;
#      VOICECOACH_NO_MODEL=1 is --no-model; VOICECOACH_MODEL_URL downloads from a mirror.
set -euo pipefail
SCRIPT_TAG=setup
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# shellcheck source=scripts/_lib.sh
. "$REPO/scripts/_lib.sh"

# Why each: espeak-ng speaks (TTS); libportaudio2 is what sounddevice opens mics and
# speakers with; pulseaudio(+utils) and libasound2-plugins give the tests a virtual
# audio loop and route ALSA through it; sox makes and measures test audio; tmux drives
# the TUI in end-to-end tests; flite gives the recognition tests a second, less robotic
# family of voices (they skip those voices without it); sphinxtrain (bw, mllr_solve) and
# pocketsphinx (its pocketsphinx_mdef_convert) let `voicecoach enroll` adapt the acoustic
# model to the user's voice (MLLR; without them enrollment uses templates only).
APT_PACKAGES=(espeak-ng libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins sox tmux flite libspeexdsp1
              sphinxtrain pocketsphinx)

extras=""
use_apt=1
use_model=1
while [ $# -gt 0 ]; do
    case "$1" in
        --extras) extras="${2:?--extras needs a value}"; shift 2 ;;
        --extras=*) extras="${1#--extras=}"; shift ;;
        --no-apt) use_apt=0; shift ;;
        --no-model) use_model=0; shift ;;
        -h|--help) print_help "${BASH_SOURCE[0]}"; exit 0 ;;
        *) die "unknown option: $1 (see --help)" ;;
    esac
done
case "${VOICECOACH_NO_MODEL:-0}" in ""|0) ;; *) use_model=0 ;; esac

cd "$REPO"
python="$(find_python)"

packages=("${APT_PACKAGES[@]}")
if ! python_can_venv "$python"; then
    # shellcheck disable=SC2207
    packages+=($(venv_package "$python"))
fi
if [ "$use_apt" -eq 1 ]; then
    ensure_packages "${packages[@]}"
fi

venv="$REPO/.venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
    say "creating .venv with $("$python" -V 2>&1)"
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi

# The stamp: what was installed last time (hash of pyproject.toml + the venv's Python)
# and with which extras. Reinstall when the hash changed, an extra is new, or the
# editable install no longer points at this checkout (a moved or copied repo).
stamp_file="$venv/.voicecoach-setup"
# Wheels installed without their dependencies: pyrnnoise's C library is all we load
# (the `rnnoise` denoiser); its Python module pulls PyAV and matplotlib, which we never import.
NO_DEPS=(pyrnnoise==0.4.5)
want_hash="$( { cat "$REPO/pyproject.toml"; "$venv/bin/python" -V 2>&1; echo "${NO_DEPS[*]}"; } | sha256sum | cut -d' ' -f1)"
have_hash="" have_extras=""
if [ -f "$stamp_file" ]; then
    read -r have_hash have_extras < "$stamp_file" || true
fi
all_extras="$have_extras"
if [ "$have_hash" != "$want_hash" ]; then
    all_extras=""
fi
need_install=0
[ "$have_hash" = "$want_hash" ] || need_install=1
for extra in ${extras//,/ }; do
    case ",$all_extras," in
        *",$extra,"*) ;;
        *) need_install=1; all_extras="${all_extras:+$all_extras,}$extra" ;;
    esac
done
installed_at="$("$venv/bin/python" -c 'import os, voicecoach; print(os.path.dirname(os.path.dirname(os.path.realpath(voicecoach.__file__))))' 2>/dev/null || true)"
if [ "$installed_at" != "$REPO" ] || [ ! -x "$venv/bin/voicecoach" ]; then
    need_install=1
fi

if [ "$need_install" -eq 0 ]; then
    say ".venv: up to date (pyproject.toml unchanged${all_extras:+; extras: $all_extras})"
else
    spec="."
    [ -z "$all_extras" ] || spec=".[$all_extras]"
    say "installing voicecoach into .venv: pip install -e '$spec' (log: .venv/pip-install.log)"
    if ! "$venv/bin/python" -m pip install --disable-pip-version-check -e "$spec" \
            > "$venv/pip-install.log" 2>&1; then
        tail -n 25 "$venv/pip-install.log" >&2
        die "pip install failed (full log: $venv/pip-install.log)"
    fi
    # Optional: without it the auto denoiser stays with WebRTC and `--denoiser rnnoise` is
    # missing, so a failure is a notice.
    if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-deps \
            "${NO_DEPS[@]}" >> "$venv/pip-install.log" 2>&1; then
        say "note: ${NO_DEPS[*]} did not install; RNNoise (steady noise) will be unavailable"
    fi
    echo "$want_hash $all_extras" > "$stamp_file"
    say ".venv: ready ($("$venv/bin/voicecoach" --version 2>&1))"
fi

# The Vosk model, when none is found yet (silent when one is, or after a failed try
# less than a day ago). Never fails set-up: without a model Pocketsphinx is used.
if [ "$use_model" -eq 1 ]; then
    "$venv/bin/python" -c 'import sys
from voicecoach.speech.download import setup_default_model
sys.exit(setup_default_model())'
fi
