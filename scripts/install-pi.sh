#!/usr/bin/env bash
# Install voicecoach on a Raspberry Pi (64-bit Raspberry Pi OS, Pi 4 or 5), idempotently.
#
# Usage: scripts/install-pi.sh [--model [NAME]] [--service] [--routine NAME] [--dry-run]
#   (no flags)     system packages + .venv with voicecoach (Pocketsphinx works at once)
#   --model [NAME] also download a Vosk model (`voicecoach model download [NAME]`;
#                  default: the small English one, about 40 MB, needs the internet once)
#   --service      also write and enable a systemd *user* unit that runs
#                  `voicecoach run --no-tui` at boot, restarting it on failure
#                  (~/.config/systemd/user/voicecoach.service; lingering is enabled
#                  so it starts without a login)
#   --routine NAME the routine the service runs (default: the config file's, else squat)
#   --remove-service  disable and delete the unit
#   --dry-run      print what would be done, change nothing
#   -h, --help     this text
# Safe to run again: what is already there is left as it is.
set -euo pipefail
SCRIPT_TAG=install-pi
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/_lib.sh
. "$REPO/scripts/_lib.sh"

# Why each: espeak-ng speaks; libportaudio2 opens the USB mic and speaker; alsa-utils
# gives arecord/aplay -l (find the card) and alsamixer (levels); libasound2-plugins
# lets ALSA reach PipeWire/PulseAudio where the desktop image runs one; sphinxtrain and
# pocketsphinx (pocketsphinx_mdef_convert) let `voicecoach enroll` adapt the model (MLLR);
# libspeexdsp1 is the echo canceller (`--echo-cancel on`; libasound2-plugins pulls it in
# today, named here so it stays when that changes).
PI_PACKAGES=(espeak-ng libportaudio2 alsa-utils libasound2-plugins sphinxtrain pocketsphinx
             libspeexdsp1)

want_model=0 model_name="" want_service=0 remove_service=0 routine="" dry_run=0
while [ $# -gt 0 ]; do
    case "$1" in
        --model)
            want_model=1
            if [ $# -gt 1 ] && [ "${2#-}" = "$2" ]; then model_name="$2"; shift; fi
            shift ;;
        --model=*) want_model=1; model_name="${1#--model=}"; shift ;;
        --service) want_service=1; shift ;;
        --remove-service) remove_service=1; shift ;;
        --routine) routine="${2:?--routine needs a name}"; shift 2 ;;
        --routine=*) routine="${1#--routine=}"; shift ;;
        --dry-run) dry_run=1; shift ;;
        -h|--help) print_help "${BASH_SOURCE[0]}"; exit 0 ;;
        *) die "unknown option: $1 (see --help)" ;;
    esac
done

# In a dry run every changing command is printed instead of run.
run() {
    if [ "$dry_run" -eq 1 ]; then
        say "would run: $*"
    else
        "$@"
    fi
}

arch="$(uname -m)"
case "$arch" in
    aarch64|arm64) ;;
    armv7l|armv6l) say "warning: $arch is a 32-bit OS; voicecoach is tested on 64-bit Raspberry Pi OS (numpy and pocketsphinx may have to build from source here)" ;;
    *) say "note: this is $arch, not a Raspberry Pi; continuing anyway" ;;
esac

python="$(find_python)"
packages=("${PI_PACKAGES[@]}")
if ! python_can_venv "$python"; then
    # shellcheck disable=SC2207
    packages+=($(venv_package "$python"))
fi
if [ "$dry_run" -eq 1 ]; then
    missing="$(missing_packages "${packages[@]}")"
    if [ -n "$missing" ]; then say "system packages: would install $missing"; else say "system packages: all present"; fi
    say "would run: bash scripts/setup.sh --no-apt   (.venv + pip install -e .)"
else
    ensure_packages "${packages[@]}"
    bash "$REPO/scripts/setup.sh" --no-apt
fi
voicecoach="$REPO/.venv/bin/voicecoach"

if [ "$want_model" -eq 1 ]; then
    say "Vosk model: voicecoach model download ${model_name}"
    # shellcheck disable=SC2086  # an empty name means the default model
    run "$voicecoach" model download $model_name
fi

unit_dir="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user"
unit="$unit_dir/voicecoach.service"

systemd_user_ok() { systemctl --user show-environment >/dev/null 2>&1; }

if [ "$remove_service" -eq 1 ]; then
    if systemd_user_ok; then
        run systemctl --user disable --now voicecoach.service || true
    fi
    if [ -f "$unit" ]; then
        run rm -f "$unit"
        say "removed $unit"
    else
        say "no service installed ($unit)"
    fi
fi

if [ "$want_service" -eq 1 ]; then
    exec_start="$voicecoach run --no-tui${routine:+ $routine}"
    content="$(cat <<UNIT
# Written by voicecoach's scripts/install-pi.sh; run it again to rewrite.
[Unit]
Description=voicecoach: voice-guided practice coach (headless)
After=sound.target pipewire-pulse.service pulseaudio.service

[Service]
Type=simple
WorkingDirectory=$REPO
ExecStart=$exec_start
StandardInput=null
Environment=PYTHONUNBUFFERED=1
Restart=on-failure
RestartSec=5

[Install]
WantedBy=default.target
UNIT
)"
    if [ -f "$unit" ] && [ "$(cat "$unit")" = "$content" ]; then
        say "service unit: unchanged ($unit)"
    elif [ "$dry_run" -eq 1 ]; then
        say "would write $unit:"
        printf '%s\n' "$content" >&2
    else
        mkdir -p "$unit_dir"
        printf '%s\n' "$content" > "$unit"
        say "service unit: wrote $unit"
    fi
    if systemd_user_ok; then
        run systemctl --user daemon-reload
        run systemctl --user enable --now voicecoach.service
        # Without lingering a user's services start at login, not at boot.
        if command -v loginctl >/dev/null 2>&1 && \
                [ "$(loginctl show-user "$(id -un)" -p Linger --value 2>/dev/null)" != "yes" ]; then
            run as_root loginctl enable-linger "$(id -un)"
        fi
        say "service: enabled. Logs: journalctl --user -u voicecoach -f"
    else
        say "no systemd user session here (e.g. over sudo or in a container): to start it, log in as $(id -un) and run:"
        say "  systemctl --user daemon-reload && systemctl --user enable --now voicecoach.service"
        say "  sudo loginctl enable-linger $(id -un)"
    fi
fi

say "done. Try: $voicecoach devices   then   $voicecoach run"
