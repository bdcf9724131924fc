#!/usr/bin/env bash
# Prove the Raspberry Pi install on this machine: an emulated arm64 Debian 12
# (bookworm, Python 3.11, what 64-bit Raspberry Pi OS is built on) made with
# debootstrap and qemu-user-static, the checkout's HEAD copied in, and
# scripts/install-pi.sh run there as the README tells a Pi user. Then inside it:
# `voicecoach --version`, `check` of every built-in routine, `simulate squat` on the
# golden script, `transcribe` of real speech clips with Pocketsphinx (and through the
# RNNoise denoiser), a headless
# Pocketsphinx session fed a WAV, `enroll --from` a real speaker's takes (sphinxtrain)
# and `transcribe --user`, `say --out`, the libspeexdsp echo canceller, and the TUI in
# tmux for one screen capture. Prints a table and writes a report (exit codes, peak
# RSS, installed wheels). Needs root (debootstrap, chroot, mounts), Debian's archive
# and PyPI. One run per root at a time (a second one waits).
#
# Usage: sudo scripts/pi-check.sh [--quick] [--fresh] [--worktree] [--out FILE]
#   --quick      reuse the installed root from the last run (install-pi.sh then
#                runs again, which must be a no-op) and decode 3 clips, not 8;
#                the report goes to the root's folder unless --out is given
#   --fresh      rebuild the cached Debian root from scratch (debootstrap again)
#   --worktree   copy the working tree (with uncommitted changes), not HEAD
#   --out FILE   the report (default: bench/pi-arm64.md, or see --quick)
#   -h, --help   this text
# Env: VOICECOACH_PI_ROOT (default /var/cache/voicecoach-pi/bookworm-arm64) holds
#   base/ (debootstrap's root, built once, about 300 MB) and work/ (a copy of
#   base/ where install-pi.sh ran, about 700 MB); VOICECOACH_CORPUS (default
#   ../shared/speech-corpus) for the clips (transcribe is skipped without them).
# Time under emulation is not a Pi figure (it is several times slower). Peak RSS is
# reported twice: the arm64 program's own pages (what a Pi would hold) and the whole
# qemu process (GNU time's figure, plus qemu's translated-code cache and heap).
# Exit status: 0 when every command exited 0 and the Pocketsphinx session stayed
# within 150 MB; 1 otherwise. Mounts in the root are undone on every exit path.
set -euo pipefail
SCRIPT_TAG=pi-check
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# shellcheck source=scripts/_lib.sh
. "$REPO/scripts/_lib.sh"

HOST_PACKAGES=(qemu-user-static debootstrap binfmt-support)
MIRROR="${VOICECOACH_PI_MIRROR:-http://deb.debian.org/debian}"
# Out of the box, Raspberry Pi OS has python3 (and a shell); ca-certificates for
# PyPI; time, tmux and procps are the check's own tools (peak RSS, the TUI, ps).
BASE_INCLUDE=python3,ca-certificates,time,tmux,procps
NICE=(nice -n 15)
SESSION_BUDGET_MB=150   # issue 17: a Pocketsphinx session must fit in this on a Pi   # a shared machine: emulation and pip yield to everyone else

quick=0 fresh=0 worktree=0 out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1; shift ;;
        --fresh) fresh=1; shift ;;
        --worktree) worktree=1; shift ;;
        --out) out="${2:?--out needs a file}"; shift 2 ;;
        --out=*) out="${1#--out=}"; shift ;;
        -h|--help) print_help "${BASH_SOURCE[0]}"; exit 0 ;;
        *) die "unknown option: $1 (see --help)" ;;
    esac
done
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mount): sudo $0 $*"

cache="${VOICECOACH_PI_ROOT:-/var/cache/voicecoach-pi/bookworm-arm64}"
base="$cache/base"
work="$cache/work"
corpus="${VOICECOACH_CORPUS:-$REPO/../shared/speech-corpus}"
if [ -z "$out" ]; then
    if [ "$quick" -eq 1 ]; then out="$cache/pi-arm64-quick.md"; else out="$REPO/bench/pi-arm64.md"; fi
fi
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac

# --- mounts, and unmounting them on every way out -------------------------------------
mounted=()
have_lock=0   # only the run holding the lock touches what runs in the root
cleanup() {
    local rc=$? i pid
    if [ -n "${sampler_pid:-}" ]; then kill "$sampler_pid" 2>/dev/null || true; fi
    if [ "$have_lock" -eq 1 ] && [ -d "$work/proc" ]; then
        # Whatever still runs in the root (a tmux server) holds /dev/pts: end it, by id.
        for pid in /proc/[0-9]*; do
            if [ "$(readlink "$pid/root" 2>/dev/null)" = "$work" ]; then
                kill "${pid#/proc/}" 2>/dev/null || true
            fi
        done
        sleep 0.5
    fi
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" 2>/dev/null \
            || say "warning: could not unmount ${mounted[i]}"
    done
    mounted=()
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mount_in() {  # mount_in ROOT: /proc, /sys, /dev, /dev/pts of the host, for ROOT
    local root="$1"
    mount -t proc proc "$root/proc" && mounted+=("$root/proc")
    mount -t sysfs sysfs "$root/sys" && mounted+=("$root/sys")
    mount --bind /dev "$root/dev" && mounted+=("$root/dev")
    mount --bind /dev/pts "$root/dev/pts" && mounted+=("$root/dev/pts")
}
unmount_all() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[i]}"; done
    mounted=()
}
# Refuse to delete a folder something is still mounted under (rm would reach the host).
safe_rm() {
    local dir="$1"
    [ -e "$dir" ] || return 0
    if findmnt -rn -o TARGET | grep -q "^$dir/"; then
        die "something is still mounted under $dir (see findmnt); unmount it first"
    fi
    rm -rf --one-file-system "$dir"
}

# One run at a time per root: a second one (a test while a full run goes) waits its turn.
mkdir -p "$cache"
exec 9>"$cache.lock"
if ! flock -n 9; then
    say "another pi-check.sh is using $cache: waiting for it (up to an hour)"
    flock -w 3600 9 || die "$cache is still in use after an hour (see $cache.lock)"
fi
have_lock=1

# --- the host: qemu-user-static, debootstrap, binfmt_misc ------------------------------
ensure_packages "${HOST_PACKAGES[@]}"
if ! mountpoint -q /proc/sys/fs/binfmt_misc; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if ! grep -qs '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64; then
    update-binfmts --enable qemu-aarch64 \
        || die "could not register qemu-aarch64 with binfmt_misc (update-binfmts --display qemu-aarch64)"
fi

# --- the cached base root ---------------------------------------------------------------
if [ "$fresh" -eq 1 ]; then
    say "--fresh: deleting $cache"
    safe_rm "$work"; safe_rm "$base"
fi
mkdir -p "$cache"
if [ ! -f "$base/.voicecoach-base-ready" ]; then
    partial="$base.partial"
    safe_rm "$partial"
    say "debootstrap: arm64 bookworm (minbase + $BASE_INCLUDE) into $partial (log: $cache/debootstrap.log)"
    if ! "${NICE[@]}" debootstrap --arch=arm64 --variant=minbase --foreign \
            --include="$BASE_INCLUDE" bookworm "$partial" "$MIRROR" > "$cache/debootstrap.log" 2>&1 \
        || ! "${NICE[@]}" chroot "$partial" /debootstrap/debootstrap --second-stage \
            >> "$cache/debootstrap.log" 2>&1; then
        tail -n 20 "$cache/debootstrap.log" >&2
        die "debootstrap failed (full log: $cache/debootstrap.log)"
    fi
    touch "$partial/.voicecoach-base-ready"
    safe_rm "$base"
    mv "$partial" "$base"
    safe_rm "$work"
fi
chroot "$base" /bin/true || die "cannot run arm64 programs in $base (is binfmt_misc's qemu-aarch64 enabled?)"

# --- the working root: a copy of base, or last run's (--quick) --------------------------
if [ "$quick" -eq 0 ] || [ ! -f "$work/.voicecoach-work" ]; then
    say "fresh working root: copying $base to $work"
    safe_rm "$work"
    cp -a "$base" "$work.partial"
    mv "$work.partial" "$work"
    touch "$work/.voicecoach-work"
fi
cp --remove-destination /etc/resolv.conf "$work/etc/resolv.conf"
mount_in "$work"
# This machine's own certificate authorities (a proxy that re-signs TLS, as some
# networks have), so pip in the root reaches PyPI exactly when the host does.
local_cas=(/usr/local/share/ca-certificates/*.crt)
if [ -e "${local_cas[0]}" ] && ! diff -rq /usr/local/share/ca-certificates \
        "$work/usr/local/share/ca-certificates" >/dev/null 2>&1; then
    say "trusting this machine's local CAs in the root: ${local_cas[*]##*/}"
    cp "${local_cas[@]}" "$work/usr/local/share/ca-certificates/"
    "${NICE[@]}" chroot "$work" update-ca-certificates >/dev/null 2>&1 \
        || die "update-ca-certificates failed in the root"
fi

# The checkout, as `git clone` would give it: HEAD's files (or the working tree's).
dest=/root/voicecoach
safe_rm "$work$dest.new"
mkdir -p "$work$dest.new"
if [ "$worktree" -eq 1 ]; then
    git -C "$REPO" ls-files -z --cached --others --exclude-standard \
        | (cd "$REPO" && tar --null --ignore-failed-read -T - -cf - 2>/dev/null) | tar -xf - -C "$work$dest.new"
    revision="$(git -C "$REPO" rev-parse --short HEAD) + working tree"
else
    git -C "$REPO" archive HEAD | tar -xf - -C "$work$dest.new"
    revision="$(git -C "$REPO" rev-parse --short HEAD)"
fi
# Keep last run's .venv (--quick): install-pi.sh decides whether it is up to date.
if [ -d "$work$dest/.venv" ]; then mv "$work$dest/.venv" "$work$dest.new/.venv"; fi
safe_rm "$work$dest"
mv "$work$dest.new" "$work$dest"

# The clips: a handful of real people saying command words, and a few that are not.
checkdir=/root/pi-check
safe_rm "$work$checkdir"
mkdir -p "$work$checkdir/clips"
if [ "$quick" -eq 1 ]; then words=(stop go dog); else words=(stop go yes no up down dog house); fi
clips=()
if [ -d "$corpus/clips" ]; then
    for w in "${words[@]}"; do
        f="$(find "$corpus/clips/$w" -name '*.wav' 2>/dev/null | sort | head -n 1)"
        [ -n "$f" ] || continue
        cp "$f" "$work$checkdir/clips/$w.wav"
        clips+=("$checkdir/clips/$w.wav")
    done
else
    say "no speech corpus at $corpus: transcribe and the session are skipped"
fi

# Run a command in the root (login shell of root, like a user on the Pi).
in_root() { "${NICE[@]}" chroot "$work" /usr/bin/env -i HOME=/root TERM=xterm-256color \
    LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    /bin/bash -c "$1"; }

# --- install-pi.sh, as the README says ---------------------------------------------------
# As root: sudo cannot work under qemu-user (binfmt_misc runs setuid programs with the
# caller's rights unless registered with the C flag), and install-pi.sh, run by root,
# does directly what it would otherwise do through sudo.
say "install-pi.sh in the arm64 root (emulated; several minutes on a first run)"
install_log="$work$checkdir/install-pi.log"
set +e
in_root "cd $dest && /usr/bin/time -v -o $checkdir/install.time scripts/install-pi.sh" \
    > "$install_log" 2>&1
install_rc=$?
set -e
sed 's/^/    /' "$install_log" >&2
if [ "$install_rc" -ne 0 ]; then
    tail -n 30 "$work$dest/.venv/pip-install.log" 2>/dev/null >&2 || true
fi

# Peak RSS of the arm64 program itself: GNU time sees the qemu process, whose RSS adds
# qemu's translated-code cache and heap to the program's. qemu-user maps the guest at
# its own addresses (below 2^40 here), its own memory above that; a sampler reads
# /proc/PID/smaps of the root's processes every 0.1 s and keeps both sums' peaks.
cat > "$cache/rss-sampler.py" <<'PY'
import os, signal, sys, time
root, out = sys.argv[1], sys.argv[2]
GUEST_END = 1 << 40
peak_guest = peak_total = 0
running = True
def stop(*_):
    global running
    running = False
signal.signal(signal.SIGTERM, stop)
while running:
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        guest = total = 0
        in_guest = False
        try:
            if os.readlink(f"/proc/{pid}/root") != root:
                continue
            with open(f"/proc/{pid}/smaps") as smaps:
                for line in smaps:
                    if line[0] in "0123456789abcdef":
                        in_guest = int(line.split("-", 1)[1].split(" ", 1)[0], 16) <= GUEST_END
                    elif line.startswith("Rss:"):
                        kb = int(line.split()[1])
                        total += kb
                        guest += kb if in_guest else 0
        except (OSError, ValueError):
            continue
        peak_guest, peak_total = max(peak_guest, guest), max(peak_total, total)
    time.sleep(0.1)
with open(out, "w") as f:
    f.write(f"{peak_guest} {peak_total}\n")
PY
sampler_pid=""
sample_start() { python3 "$cache/rss-sampler.py" "$work" "$1" & sampler_pid=$!; }
sample_stop() {
    if [ -n "$sampler_pid" ]; then kill -TERM "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true; fi
    sampler_pid=""
}

# --- the commands --------------------------------------------------------------------------
names=() cmds=() rcs=()
add() { names+=("$1"); cmds+=("$2"); }
vc=".venv/bin/voicecoach"
routines="$(cd "$REPO/voicecoach/_routines" && ls -- *.toml | sed 's/\.toml$//' | paste -sd' ')"
baseline_py="import numpy, pocketsphinx, time; time.sleep(1)"
add "baseline: Python importing numpy, pocketsphinx" ".venv/bin/python -c '$baseline_py'"
add "voicecoach --version" "$vc --version"
add "check $routines" "$vc check $routines"
add "simulate squat (golden script)" \
    "$vc simulate squat --script tests/data/scripts/squat.txt > $checkdir/squat.jsonl && diff -u tests/data/golden/squat.jsonl $checkdir/squat.jsonl"
if [ ${#clips[@]} -gt 0 ]; then
    add "transcribe ${#clips[@]} clips (pocketsphinx)" \
        "$vc transcribe --engine pocketsphinx --json ${clips[*]} > $checkdir/transcribe.jsonl"
    # RNNoise's library from the pyrnnoise wheel, installed without its dependencies.
    add "transcribe ${#clips[@]} clips (--denoiser rnnoise)" \
        "$vc transcribe --engine pocketsphinx --denoiser rnnoise --json ${clips[*]} > $checkdir/transcribe-rnnoise.jsonl"
    # The session: stop, then stop again to confirm; a real headless run, ending by itself.
    python3 - "$work$checkdir/clips/stop.wav" "$work$checkdir/session.wav" <<'PY'
import sys, wave
with wave.open(sys.argv[1]) as w:
    params, audio = w.getparams(), w.readframes(w.getnframes())
silence = b"\0" * (params.sampwidth * params.nchannels * params.framerate)
with wave.open(sys.argv[2], "wb") as o:
    o.setparams(params)
    o.writeframes(silence + audio + silence + audio + silence * 2)
PY
    add "run --no-tui (pocketsphinx session)" \
        "$vc run --no-tui --engine pocketsphinx --mute --input-file $checkdir/session.wav squat > $checkdir/session.txt"
fi
# Enrollment: MLLR adaptation runs Debian's sphinxtrain programs, the part most likely to
# differ on arm64. One real speaker's first takes of each word enroll; the same speaker's
# held-out takes are decoded without and with the profile (as tests/enroll does).
enroll_src="$corpus/enroll"
if [ -f "$enroll_src/manifest.jsonl" ]; then
    python3 - "$enroll_src" "$work" "$checkdir" "$corpus" <<'PY'
import json, pathlib, shutil, sys
src, root, checkdir, corpus = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
speaker = "63f7a489"  # the speaker the generic model hears worst (bench/enroll.md)
words = ("yes", "no", "up", "down", "left", "right", "on", "off", "go")
rows = [json.loads(line) for line in (src / "manifest.jsonl").read_text().splitlines() if line]
out = pathlib.Path(root + checkdir) / "enroll"
out.mkdir(parents=True, exist_ok=True)
takes, held_out = [], []
for word in words:
    mine = sorted((r for r in rows if r["speaker"] == speaker and r["text"] == word),
                  key=lambda r: r["take"])
    for i, row in enumerate(mine):
        name = f"{word}-{row['take']}.wav"
        shutil.copy(src / row["file"], out / name)
        if i < min(3, len(mine) - 1):
            takes.append({"file": f"{checkdir}/enroll/{name}", "text": word})
        else:
            held_out.append(f"{checkdir}/enroll/{name}")
talk = pathlib.Path(corpus) / "clips/phrases/voxforge_kayray-20070425-per04_per0002.wav"
if talk.is_file():  # a negative: talk that is no command
    shutil.copy(talk, out / "talk.wav")
    takes.append({"file": f"{checkdir}/enroll/talk.wav", "text": None})
(out / "takes.jsonl").write_text("".join(json.dumps(t) + "\n" for t in takes))
(out / "held-out.txt").write_text(" ".join(held_out) + "\n")
PY
    held_out="$(cat "$work$checkdir/enroll/held-out.txt")"
    words_routine=tests/enroll/words.toml
    add "enroll --from (MLLR, sphinxtrain)" \
        "$vc enroll --user pi --from $checkdir/enroll/takes.jsonl --routine $words_routine --engine pocketsphinx --mute --no-tui > $checkdir/enroll.txt"
    add "transcribe held-out takes, no profile" \
        "$vc transcribe --routine $words_routine --engine pocketsphinx --json $held_out > $checkdir/enroll-before.jsonl"
    add "transcribe held-out takes, --user pi" \
        "$vc transcribe --routine $words_routine --engine pocketsphinx --json --user pi $held_out > $checkdir/enroll-after.jsonl"
fi
add "say --out (espeak-ng)" \
    "$vc say --out $checkdir/say.wav 'Feet shoulder width apart. Sit back and down.' && test -s $checkdir/say.wav"
# The echo canceller (opt-in): libspeexdsp through ctypes, on the WAV `say` wrote as the
# coach's voice and a delayed, quieter copy as the mic: the ABI and the maths on arm64.
if [ -f "$work$dest/voicecoach/speech/echo.py" ]; then
    cat > "$work$checkdir/echo_check.py" <<'PY'
import sys
import wave

import numpy as np

from voicecoach.speech.echo import FRAME, SpeexEcho

with wave.open(sys.argv[1]) as w:
    x = np.frombuffer(w.readframes(w.getnframes()), np.int16)[:: w.getnchannels()]
x = x[: len(x) // FRAME * FRAME]
mic = (np.concatenate([np.zeros(40, np.int16), x[:-40]]) * 0.6).astype(np.int16)
res = SpeexEcho().process(mic, x)
half = len(x) // 2
def db(a): return 10 * np.log10(np.mean(a.astype(np.float64) ** 2) + 1.0)
drop = db(mic[half:]) - db(res[half:])
print(f"libspeexdsp echo canceller: the echo's second half {drop:.1f} dB quieter")
raise SystemExit(0 if drop >= 10 else 1)
PY
    add "echo canceller (libspeexdsp, ctypes)" \
        ".venv/bin/python $checkdir/echo_check.py $checkdir/say.wav > $checkdir/echo.txt && cat $checkdir/echo.txt"
fi

rss_of() { sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$1" 2>/dev/null; }
secs_of() {  # wall clock from GNU time's h:mm:ss or m:ss.ss
    sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1" 2>/dev/null \
        | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.1f", s }'
}

if [ "$install_rc" -eq 0 ]; then
    for i in "${!names[@]}"; do
        say "run: ${names[i]}"
        sample_start "$work$checkdir/$i.guest"
        set +e
        in_root "cd $dest && /usr/bin/time -v -o $checkdir/$i.time bash -c $(printf %q "${cmds[i]}")" \
            > "$work$checkdir/$i.log" 2>&1
        rcs[i]=$?
        set -e
        sample_stop
        [ "${rcs[i]}" -eq 0 ] || sed 's/^/    /' "$work$checkdir/$i.log" | tail -n 20 >&2
    done

    # The TUI: in tmux, one screen captured once it has drawn, then ctrl+q.
    tui_name="TUI in tmux (pocketsphinx)"
    tui_cmd="$vc run --engine pocketsphinx --mute"
    if [ -f "$work$checkdir/clips/stop.wav" ]; then
        tui_cmd+=" --input-file $checkdir/clips/stop.wav squat"
    else
        tui_cmd+=" --keyboard squat"
    fi
    say "run: $tui_name"
    tui_index=${#names[@]}
    sample_start "$work$checkdir/$tui_index.guest"
    in_root "cd $dest && tmux -f /dev/null new-session -d -s pi -x 100 -y 30 \
        'TERM=xterm-256color /usr/bin/time -v -o $checkdir/tui.time $tui_cmd; echo \$? > $checkdir/tui.rc'" || true
    screen=""
    for _ in $(seq 1 120); do
        sleep 2
        screen="$(in_root "tmux capture-pane -p -t pi" 2>/dev/null || true)"
        if grep -q "Warm up" <<<"$screen"; then
            sleep 8
            screen="$(in_root "tmux capture-pane -p -t pi" 2>/dev/null || true)"
            break
        fi
    done
    printf '%s\n' "$screen" > "$work$checkdir/tui.screen"
    in_root "tmux send-keys -t pi C-q" || true
    for _ in $(seq 1 60); do [ -s "$work$checkdir/tui.rc" ] && break; sleep 2; done
    sample_stop
    in_root "tmux kill-server" 2>/dev/null || true
    names+=("$tui_name"); cmds+=("$tui_cmd (in tmux 100x30; one capture, then ctrl+q)")
    tui_rc="$(cat "$work$checkdir/tui.rc" 2>/dev/null || echo "none (did not exit)")"
    if ! grep -q "Warm up" "$work$checkdir/tui.screen" && [ "$tui_rc" = 0 ]; then
        tui_rc="0 but no screen"
    fi
    rcs+=("$tui_rc")
    cp "$work$checkdir/tui.time" "$work$checkdir/$tui_index.time" 2>/dev/null || true
fi

# The wheels the install picked: name, version and the wheel's platform tag.
cat > "$work$checkdir/wheels.py" <<'PY'
import pathlib, sysconfig
site = pathlib.Path(sysconfig.get_paths()["purelib"])
for info in sorted(site.glob("*.dist-info"), key=lambda p: p.name.lower()):
    name, _, version = info.name[: -len(".dist-info")].partition("-")
    wheel = info / "WHEEL"
    lines = wheel.read_text().splitlines() if wheel.is_file() else []
    tags = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Tag:")]
    how = "editable (this checkout)" if (info / "direct_url.json").is_file() else ", ".join(tags)
    print(f"| {name} | {version} | {how} |")
PY
wheels="$(in_root "cd $dest && .venv/bin/python $checkdir/wheels.py" 2>/dev/null \
    || echo "| (could not list: install failed) | | |")"
qemu_version="$(qemu-aarch64-static --version | head -n 1)"
pi_python="$(in_root 'python3 -V' 2>&1 || true)"
glibc="$(in_root 'ldd --version 2>/dev/null | head -n 1' || true)"
debian="$(cat "$work/etc/debian_version")"
unmount_all

# --- the report --------------------------------------------------------------------------
mb() { if [ -n "$1" ]; then awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; else echo "?"; fi; }
guest_of() { cut -d' ' -f1 "$1" 2>/dev/null || true; }
status=0
session_mb=""
table="| command | exit | peak RSS, the program (MB) | peak RSS with qemu (MB) | time (emulated, not a Pi figure) |
|---|---|---|---|---|
| install-pi.sh | $install_rc | | $(mb "$(rss_of "$work$checkdir/install.time")") | $(secs_of "$work$checkdir/install.time") s |"
[ "$install_rc" -eq 0 ] || status=1
for i in "${!names[@]}"; do
    rc="${rcs[i]:-not run}"
    [ "$rc" = 0 ] || status=1
    guest_mb="$(mb "$(guest_of "$work$checkdir/$i.guest")")"
    case "${names[i]}" in *"pocketsphinx session"*) session_mb="$guest_mb" ;; esac
    table+="
| ${names[i]} | $rc | $guest_mb | $(mb "$(rss_of "$work$checkdir/$i.time")") | $(secs_of "$work$checkdir/$i.time") s |"
done
budget_line=""
if [ -n "$session_mb" ]; then
    if [ "$session_mb" != "?" ] && [ "$session_mb" -le "$SESSION_BUDGET_MB" ]; then
        budget_line="Pocketsphinx session: $session_mb MB, within the $SESSION_BUDGET_MB MB budget."
    else
        budget_line="Pocketsphinx session: $session_mb MB, OVER the $SESSION_BUDGET_MB MB budget."
        status=1
    fi
fi
native_py=""  # the baseline natively on this machine: how close the program's figure is
if [ -x "$REPO/.venv/bin/python" ]; then
    native_py="$(/usr/bin/time -f %M "$REPO/.venv/bin/python" -c "$baseline_py" 2>&1 | tail -n 1)"
fi

transcripts=""
if [ -s "$work$checkdir/transcribe.jsonl" ]; then
    # The same clips in the same order (Pocketsphinx carries its noise and CMN estimates
    # from one file to the next) decoded natively here (x86_64), to compare with arm64.
    : > "$work$checkdir/transcribe-host.jsonl"
    if [ -x "$REPO/.venv/bin/voicecoach" ]; then
        # The copied checkout's code (HEAD), not this tree's: run from it, it is first on sys.path.
        (cd "$work$dest" && PYTHONPATH="$work$dest" nice -n 10 "$REPO/.venv/bin/python" -c \
            'import sys; from voicecoach.cli import main; sys.argv[0] = "voicecoach"; main()' \
            transcribe --engine pocketsphinx --json "${clips[@]/#/$work}" \
            > "$work$checkdir/transcribe-host.jsonl" 2>/dev/null) || true
    fi
    transcripts="$(python3 - "$work$checkdir/transcribe.jsonl" "$work$checkdir/transcribe-host.jsonl" <<'PY'
import json, pathlib, sys
def load(path):
    recs = [json.loads(line) for line in pathlib.Path(path).read_text().splitlines() if line]
    return {pathlib.Path(r["file"]).stem: r for r in recs}
arm, host = load(sys.argv[1]), load(sys.argv[2])
print("| word said | arm64 heard | confidence | x86_64 heard (same clip, same code) | confidence |")
print("|---|---|---|---|---|")
for word, rec in arm.items():
    other = host.get(word, {})
    native = (other.get("phrase") or "(rejected)") if other else "(not run)"
    print(f"| {word} | {rec.get('phrase') or '(rejected)'} | {rec.get('confidence')}"
          f" | {native} | {other.get('confidence', '')} |")
PY
)"
fi

enrolled=""
if [ -s "$work$checkdir/enroll-after.jsonl" ]; then
    enrolled="$(python3 - "$work$checkdir/enroll-before.jsonl" "$work$checkdir/enroll-after.jsonl" <<'PY'
import json, pathlib, sys
def right(path):
    rows = [json.loads(line) for line in pathlib.Path(path).read_text().splitlines() if line]
    return sum(r.get("phrase") == pathlib.Path(r["file"]).stem.split("-")[0] for r in rows), len(rows)
(before, n), (after, _) = right(sys.argv[1]), right(sys.argv[2])
print(f"Enrollment on arm64: one real speaker's held-out takes heard right {before}/{n} with"
      f" the generic model, {after}/{n} with the profile `enroll` made.")
PY
)"
fi

mode="full: fresh root, install-pi.sh from nothing"
[ "$quick" -eq 0 ] || mode="--quick: reused root, install-pi.sh run again"
mkdir -p "$(dirname "$out")"
{
    echo "# voicecoach on arm64 (emulated Raspberry Pi OS base)"
    echo
    echo "Written by \`scripts/pi-check.sh\` ($mode) on $(date -u +%Y-%m-%d\ %H:%M) UTC,"
    echo "checkout $revision. Root: Debian $debian arm64 (debootstrap minbase), $pi_python,"
    echo "${glibc:-glibc ?}; emulated by $qemu_version on $(uname -m)."
    echo
    echo "Peak RSS, the program: the arm64 program's own resident memory (its mappings in"
    echo "/proc/PID/smaps, sampled every 0.1 s), what it would use on a Pi. With qemu: GNU"
    echo "time's maximum RSS of the emulating process, which adds qemu's translated-code cache"
    echo "and heap. Check of the method: the baseline row (a Python that imports numpy and"
    echo "pocketsphinx) measures $(mb "$native_py") MB natively on this x86_64 machine (GNU time)."
    echo "Times are emulated, not a Pi figure (user-mode qemu is several times slower)."
    echo "No sound card in the root: the session and the TUI run \`--mute\`; \`say\` writes a WAV."
    echo "install-pi.sh runs as root (sudo cannot work under qemu-user: binfmt_misc ignores"
    echo "setuid without its C flag); as a user it does the same through sudo."
    echo
    echo "$table"
    echo
    [ -z "$budget_line" ] || { echo "$budget_line"; echo; }
    [ -z "$enrolled" ] || { echo "$enrolled"; echo; }
    if [ -s "$work$checkdir/echo.txt" ]; then echo "Echo canceller on arm64: $(cat "$work$checkdir/echo.txt")."; echo; fi
    echo "Commands (run in the checkout, as root, in the arm64 root):"
    echo
    for i in "${!names[@]}"; do echo "- ${names[i]}: \`${cmds[i]}\`"; done
    if [ -n "$transcripts" ]; then
        echo
        echo "Transcripts: real speakers from the speech corpus, one clip per word, decoded in"
        echo "this order in one process against the squat routine's phrases. Of these words only"
        echo "\`stop\` is one of them; anything heard for another is a false accept. Same code,"
        echo "same order natively on x86_64 for comparison (float rounding differs between the"
        echo "two builds of Pocketsphinx, so a borderline clip may fall either side):"
        echo
        echo "$transcripts"
    fi
    if [ -s "$work$checkdir/tui.screen" ]; then
        echo
        echo "The TUI, captured from tmux (100x30):"
        echo
        echo '```text'
        sed 's/[[:space:]]*$//' "$work$checkdir/tui.screen"
        echo '```'
    fi
    echo
    echo "Installed into .venv (wheel tags as pip recorded them):"
    echo
    echo "| package | version | wheel |"
    echo "|---|---|---|"
    echo "$wheels"
} > "$out"

echo "$table"
[ -z "$budget_line" ] || echo "$budget_line"
say "report: $out"
if [ "$status" -ne 0 ]; then say "FAILED: some command exited non-zero (see the table; logs in $work$checkdir)"; fi
exit "$status"
