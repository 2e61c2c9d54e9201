#!/usr/bin/env bash
# Installs what building, running and testing Paperboy needs, and only what is missing (safe to run again):
#   - Debian packages (with apt-get; through sudo when not root): libsqlite3-dev zlib1g-dev libblis4-pthread
#     libopenblas0-pthread curl sqlite3 (the crash tests read the database with the sqlite3 shell) openssl (the mail
#     tests make a self-signed certificate for their SMTP server with it) chromium chromium-driver (the browser suite,
#     Tests/browser) postgresql (the PostgreSQL store's suites run on a throwaway cluster, Tests/lib/postgres.sh).
#     Elsewhere it prints what to install by hand and carries on.
#   - Python packages for the test suites (with pip): huggingface_hub>=2.4, pytest, schemathesis (pinned), aiosmtpd
#     (pinned; the SMTP server the mail tests deliver to, Tests/tools/smtp_sink.py), mcp (pinned; the official MCP
#     client the MCP suite drives, Tests/mcp_client), selenium and axe-selenium-python (pinned; WebDriver and the
#     axe-core accessibility check of the browser suite, Tests/browser).
#     When python3 is "externally managed" (Debian's own), they go into a virtual environment in .build-venv/,
#     which scripts/test.sh puts first on PATH.
#   - The embedding model, with scripts/install-model.sh, into models/all-MiniLM-L6-v2.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(libsqlite3-dev zlib1g-dev libblis4-pthread libopenblas0-pthread curl sqlite3 openssl chromium
    chromium-driver postgresql)
# Keep in step with the versions the suites were verified with (Tests/hf_client/run.sh, Tests/api_conformance/run.sh,
# Tests/tools/smtp_sink.py).
PYTHON_PACKAGES=('huggingface_hub>=2.4' 'pytest>=8' 'schemathesis==4.32.5' 'aiosmtpd==1.4.6' 'mcp==2.3.0'
    'selenium==4.51.0' 'axe-selenium-python==2.1.6')
VENV=.build-venv

say() { echo "setup: $*"; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        return 1
    fi
}

system_packages() {
    if command -v apt-get >/dev/null 2>&1 && command -v dpkg >/dev/null 2>&1; then
        local missing=() pkg
        for pkg in "${DEBIAN_PACKAGES[@]}"; do
            dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
        done
        if ! command -v python3 >/dev/null 2>&1; then
            missing+=(python3 python3-pip python3-venv)
        elif ! python3 -m pip --version >/dev/null 2>&1; then
            missing+=(python3-pip python3-venv)
        elif ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
            missing+=(python3-venv)
        fi
        if [[ ${#missing[@]} -eq 0 ]]; then
            say "Debian packages: all present"
            return
        fi
        say "Debian packages: installing ${missing[*]}"
        if ! as_root apt-get update -qq ||
            ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; then
            say "could not install them (not root and no sudo, or apt-get failed); install by hand:"
            say "    apt-get install ${missing[*]}"
        fi
        return
    fi
    case "$(uname -s)" in
    Darwin)
        say "macOS: nothing to install for SQLite and zlib (they come with the SDK); curl and sqlite3 are there."
        say "  Semantic search loads a CBLAS library at run time: install OpenBLAS or BLIS (e.g. Homebrew"
        say "  'brew install openblas') and set PAPERBOY_BLAS to the library's path, e.g."
        say "  PAPERBOY_BLAS=\$(brew --prefix openblas)/lib/libopenblas.dylib. Without it keyword search still works."
        ;;
    *)
        say "no apt-get here: install by hand the development files of SQLite 3 and zlib, curl, the sqlite3 shell and"
        say "  a CBLAS library for semantic search (BLIS, pthread build, or OpenBLAS; e.g. Fedora: sqlite-devel"
        say "  zlib-devel curl sqlite blis openblas). One not found by its Debian name can be given as PAPERBOY_BLAS=PATH."
        ;;
    esac
    say "then run this script again or carry on: it goes on with the Python packages and the model."
}

# Prints the python3 to install into: the current one unless it is externally managed (PEP 668).
choose_python() {
    if [[ -x $VENV/bin/python3 ]]; then
        echo "$VENV/bin/python3"
        return
    fi
    if python3 - <<'PY'; then
import os, sys, sysconfig
in_venv = sys.prefix != sys.base_prefix
managed = os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))
sys.exit(0 if in_venv or not managed else 1)
PY
        echo python3
        return
    fi
    python3 -m venv "$VENV" >&2
    echo "$VENV/bin/python3"
}

python_packages() {
    if ! command -v python3 >/dev/null 2>&1; then
        say "python3 is missing: install Python 3 with pip (verified with 3.11), then run this script again"
        return 1
    fi
    local python missing
    python="$(choose_python)"
    # Which requirements are not met (names and exact pins or lower bounds only, no 'packaging' needed).
    missing="$("$python" - "${PYTHON_PACKAGES[@]}" <<'PY'
import re, sys
from importlib import metadata
def parse(v):
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])
for req in sys.argv[1:]:
    m = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:(==|>=)(.+))?", req)
    name, op, want = m.group(1), m.group(2), m.group(3)
    try:
        have = metadata.version(name)
    except metadata.PackageNotFoundError:
        print(req)
        continue
    if op == "==" and parse(have) != parse(want) or op == ">=" and parse(have) < parse(want):
        print(req)
PY
)"
    if [[ -z $missing ]]; then
        say "Python packages: all present ($python)"
        return
    fi
    # shellcheck disable=SC2086
    say "Python packages: installing $(echo $missing) ($python)"
    # shellcheck disable=SC2086
    "$python" -m pip install --quiet --disable-pip-version-check $missing
}

system_packages
python_packages
./scripts/install-model.sh
