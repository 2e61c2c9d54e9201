# Sourced by the live-server suites. wait_healthy URL PID LOG: waits up to 60 s for URL/health to answer while the
# server PID runs; on failure prints the server's LOG and returns 1.
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
