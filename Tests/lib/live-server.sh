# Sourced by the live-server suites (Tests/hf_client, Tests/mcp_client, Tests/browser, Tests/api_conformance run.sh).

# live_server_setup NAME "$@": reads the paperboy binary from the arguments (usage error 64 without it), checks it
# and the fixture records (66 when missing), and makes a temporary directory removed at exit together with the
# server the suite starts. Sets REPO, BIN, DATA_DIR (exported), TMP and SERVER_PID.
live_server_setup() {
    local name="$1"
    shift
    if [[ $# -lt 1 ]]; then
        echo "usage: $0 PATH/TO/paperboy" >&2
        exit 64
    fi
    REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
    DATA_DIR="${DATA_DIR:-$REPO/Tests/Fixtures}"
    export DATA_DIR
    if [[ ! -x "$BIN" ]]; then
        echo "$0: $BIN is not an executable" >&2
        exit 66
    fi
    local f
    for f in seed-papers.jsonl arxiv-sample-200.jsonl; do
        if [[ ! -f "$DATA_DIR/$f" ]]; then
            echo "$0: $DATA_DIR/$f is missing (set DATA_DIR)" >&2
            exit 66
        fi
    done
    TMP="$(mktemp -d "${TMPDIR:-/tmp}/paperboy-$name.XXXXXX")"
    SERVER_PID=""
    trap live_server_cleanup EXIT
}

live_server_cleanup() {
    if [[ -n "${SINK_PID:-}" ]]; then
        kill "$SINK_PID" 2>/dev/null || true
    fi
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}

# wait_healthy URL PID LOG: waits up to 60 s for URL/health to answer while the server PID runs; on failure prints
# the server's LOG and returns 1.
wait_healthy() {
    local base="$1" pid="$2" log="$3"
    for _ in $(seq 1 120); do
        if curl -fsS "$base/health" >/dev/null 2>&1; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            break
        fi
        sleep 0.5
    done
    echo "paperboy did not become healthy at $base/health (60 s limit, or it exited); its log:" >&2
    cat "$log" >&2 || true
    return 1
}

# start_smtp_sink: starts the tests' SMTP server (Tests/tools/smtp_sink.py, aiosmtpd) keeping mail in $TMP/mail, and
# sets SINK_PID (stopped by live_server_cleanup) and SMTP_PORT; exits 69 when it does not start.
start_smtp_sink() {
    mkdir -p "$TMP/mail"
    python3 "$REPO/Tests/tools/smtp_sink.py" --dir "$TMP/mail" --port 0 >"$TMP/sink.out" 2>"$TMP/sink.log" &
    SINK_PID=$!
    for _ in $(seq 1 100); do grep -q READY "$TMP/sink.out" 2>/dev/null && break; sleep 0.1; done
    SMTP_PORT="$(awk '/READY/ {print $2}' "$TMP/sink.out")"
    if [[ -z "$SMTP_PORT" ]]; then
        echo "$0: the SMTP sink did not start (is aiosmtpd installed? run scripts/setup.sh)" >&2
        cat "$TMP/sink.log" >&2
        exit 69
    fi
}

# free_port: prints a TCP port free on 127.0.0.1 now.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
