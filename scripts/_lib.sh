# shellcheck shell=bash
# Shared by setup.sh and install-pi.sh (sourced, not run). Prints go to stderr so a
# command's own stdout (`voicecoach run --no-tui`, JSON lines) stays clean.

say() { printf '[%s] %s\n' "${SCRIPT_TAG:-setup}" "$*" >&2; }
die() { printf '[%s] error: %s\n' "${SCRIPT_TAG:-setup}" "$*" >&2; exit 1; }

# Run a command as root: directly when we are root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run: $* (no sudo found; run this script as root)"
    fi
}

# Which of the given Debian packages are not installed.
missing_packages() {
    local pkg missing=()
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    echo "${missing[*]:-}"
}

# Install Debian packages that are missing; `apt-get update` only when something is.
ensure_packages() {
    if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        say "no apt-get here: install these yourself if missing: $*"
        return 0
    fi
    local missing
    missing="$(missing_packages "$@")"
    if [ -z "$missing" ]; then
        say "system packages: all present ($*)"
        return 0
    fi
    local log="${TMPDIR:-/tmp}/voicecoach-apt.log"
    say "system packages: installing $missing (apt-get update + install; log: $log)"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086  # word splitting of the package list is intended
    # The lock timeout: on a Pi, unattended-upgrades often holds dpkg's lock just after boot.
    if ! { as_root apt-get update -q \
            && as_root apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends $missing; } \
            > "$log" 2>&1; then
        tail -n 20 "$log" >&2
        die "apt-get failed (full log: $log)"
    fi
    say "system packages: installed $missing"
}

# Print a script's leading comment block (after the shebang) as its --help.
print_help() {
    awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$1"
}

# The Python to build the venv with: $PYTHON, else python3; must be >= 3.11.
find_python() {
    local py="${PYTHON:-python3}"
    command -v "$py" >/dev/null 2>&1 || die "$py not found (install python3 >= 3.11, or set PYTHON=)"
    "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || die "$("$py" -V 2>&1) is too old: voicecoach needs Python >= 3.11 (set PYTHON=)"
    echo "$py"
}

# True when this Python can make a venv with pip (Debian splits that into python3-venv).
python_can_venv() {
    "$1" -c 'import venv, ensurepip' >/dev/null 2>&1
}

# The Debian package that provides venv+ensurepip for this Python (e.g. python3.11-venv).
venv_package() {
    local ver
    ver="$("$1" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    echo "python3-venv python${ver}-venv"
}
