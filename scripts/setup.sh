# Sourced by scripts/test and scripts/run: pick a Python, install missing Debian
# packages, and keep the repo's .venv installed. Defines functions only.
#
# Every helper writes its progress to stderr with a "==>" prefix so a CI log shows
# which step failed. ERGOD_VENV overrides the venv path (default: <repo>/.venv).

ergod_log() { printf '==> %s\n' "$*" >&2; }
ergod_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

ergod_is_root() { [ "$(id -u)" -eq 0 ]; }

# The first Python >= 3.10 on PATH ($PYTHON wins when set).
ergod_pick_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11 python3.10; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# Set ERGOD_PYTHON to a Python >= 3.10, installing python3 first when there is
# none and we may (root with apt-get); otherwise stop with what to install.
ergod_find_python() {
    if ! ERGOD_PYTHON="$(ergod_pick_python)"; then
        ergod_apt_install python3 python3-venv || true
        ERGOD_PYTHON="$(ergod_pick_python)" || ergod_die \
            "Python >= 3.10 not found; install python3 (or set PYTHON=/path/to/python3)"
    fi
}

# Debian packages from the arguments that are not installed (none without dpkg).
ergod_missing_packages() {
    local pkg
    command -v dpkg-query >/dev/null 2>&1 || return 0
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q ' installed$' \
            || printf '%s\n' "$pkg"
    done
}

# Install the given packages when missing: as root with apt-get, otherwise say
# what to install and return 1 so the caller decides whether that is fatal.
ergod_apt_install() {
    local missing
    mapfile -t missing < <(ergod_missing_packages "$@")
    [ "${#missing[@]}" -gt 0 ] || return 0
    if ! ergod_is_root || ! command -v apt-get >/dev/null 2>&1; then
        printf 'missing system packages: %s\n' "${missing[*]}" >&2
        printf 'install them with: sudo apt-get install %s\n' "${missing[*]}" >&2
        return 1
    fi
    ergod_log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "${ERGOD_APT_UPDATED:-}" ]; then
        apt-get update -q </dev/null
        ERGOD_APT_UPDATED=1
    fi
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
}

# The Debian package `python -m venv` needs with Python $1, if it is missing: a
# fresh Debian/Ubuntu has python3 without ensurepip.
ergod_venv_packages() {
    "$1" -c 'import ensurepip, venv' >/dev/null 2>&1 || printf '%s\n' python3-venv
}

# Create or refresh the venv at $1 from Python $3 with the project installed
# editable, extras $2 (e.g. "test", or "" for none). Reinstalls only when
# pyproject.toml changed since the last successful install, so a second run
# starts at once (the install is editable: code changes need no reinstall).
ergod_ensure_venv() {
    local venv="$1" extras="$2" python="$3" repo stamp want spec pip_quiet=-q
    repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    stamp="$venv/.ergod-install-stamp"
    [ "${CI:-}" = "true" ] && pip_quiet=
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c '' >/dev/null 2>&1; then
        if [ -e "$venv" ]; then
            # Only ever delete something that is a (broken) venv.
            [ -f "$venv/pyvenv.cfg" ] || ergod_die "$venv exists and is not a venv; move it away"
            ergod_log "$venv is broken (its Python does not run); recreating it"
            rm -rf "$venv"
        fi
        ergod_log "creating $venv with $python"
        "$python" -m venv "$venv" || ergod_die "could not create $venv"
    fi
    # The stamp is "<cksum of pyproject.toml> <extras>"; an install with extras
    # also serves a caller that wants none (scripts/run after scripts/test).
    want="$(cksum <"$repo/pyproject.toml" | cut -d' ' -f1)"
    local have_sum="" have_extras=""
    [ -f "$stamp" ] && read -r have_sum have_extras <"$stamp" || true
    if [ "$have_sum" != "$want" ] || { [ -n "$extras" ] && [ "$have_extras" != "$extras" ]; }; then
        spec="$repo"
        [ -n "$extras" ] && spec="$repo[$extras]"
        ergod_log "installing ergod${extras:+[$extras]} into $venv"
        rm -f "$stamp"
        # A newer pip is nice to have (older ones lack editable installs from
        # pyproject.toml), not worth failing for when offline with a recent one.
        "$venv/bin/python" -m pip install $pip_quiet --disable-pip-version-check \
            --upgrade pip || ergod_log "warning: could not upgrade pip in $venv"
        "$venv/bin/python" -m pip install $pip_quiet --disable-pip-version-check \
            -e "$spec" || ergod_die "pip install -e '$spec' failed"
        printf '%s %s\n' "$want" "$extras" >"$stamp"
    fi
}
