#!/usr/bin/env bash
# Let the sound server cancel the coach's echo, for `voicecoach run --echo-cancel system`.
#
# Usage: scripts/echo-cancel.sh [--remove] [--dry-run]
#   (no flags)  load PulseAudio's (or PipeWire's pulse layer's) module-echo-cancel with the
#               WebRTC canceller between the default mic and speaker, and make its source
#               and sink the defaults, so voicecoach's mic hears the room minus the coach
#   --remove    unload it (the old default mic and speaker come back)
#   --dry-run   print what would be done, change nothing
#   -h, --help  this text
# Lasts until the sound server restarts (a logout or reboot): run it again then, or from
# the service (see README, "Talking over the coach"). Safe to run again.
# No PulseAudio/PipeWire? Use `--echo-cancel on` (voicecoach cancels in-process).
set -euo pipefail
SCRIPT_TAG=echo-cancel
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/_lib.sh
. "$REPO/scripts/_lib.sh"

SOURCE=voicecoach_ec_source
SINK=voicecoach_ec_sink
remove=0 dry_run=0
while [ $# -gt 0 ]; do
    case "$1" in
        --remove) remove=1; shift ;;
        --dry-run) dry_run=1; shift ;;
        -h|--help) print_help "${BASH_SOURCE[0]}"; exit 0 ;;
        *) die "unknown option: $1 (see --help)" ;;
    esac
done

run() {
    if [ "$dry_run" -eq 1 ]; then say "would run: $*"; else "$@"; fi
}

command -v pactl >/dev/null 2>&1 \
    || die "pactl not found (apt-get install pulseaudio-utils); or use: voicecoach run --echo-cancel on"
pactl info >/dev/null 2>&1 \
    || die "no PulseAudio/PipeWire server answers; use: voicecoach run --echo-cancel on"

loaded="$(pactl list short modules | awk -v s="source_name=$SOURCE" 'index($0, s) {print $1}')"
if [ "$remove" -eq 1 ]; then
    for id in $loaded; do run pactl unload-module "$id"; done
    say "echo cancellation removed"
    exit 0
fi
if [ -n "$loaded" ]; then
    say "echo cancellation already loaded (module $loaded)"
else
    # The analog gain control would turn the mic's own volume down; voicecoach levels speech
    # itself, so only the canceller (and the server's noise suppression) run.
    run pactl load-module module-echo-cancel aec_method=webrtc \
        "source_name=$SOURCE" "sink_name=$SINK" use_master_format=1 \
        'aec_args="analog_gain_control=0 digital_gain_control=0"'
fi
run pactl set-default-source "$SOURCE"
run pactl set-default-sink "$SINK"
say "echo cancellation on: mic $SOURCE, speaker $SINK (now the defaults);"
say "run: voicecoach run --echo-cancel system"
