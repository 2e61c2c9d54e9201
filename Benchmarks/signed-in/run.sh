#!/usr/bin/env bash
# Signed-in traffic, which the shared response cache never serves: page and API latency for one client, then a
# wrk mix of reads and votes by 64 users. Needs the 100k database Benchmarks/run.sh 100k leaves, wrk and sqlite3.
# Usage: Benchmarks/signed-in/run.sh [seconds per wrk run, default 20]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${1:-20}"
SCRATCH=.build-release
BIN="$SCRATCH/release/paperboy"
SOURCE=Benchmarks/data/b100k.sqlite
[ -f "$SOURCE" ] || { echo "$0: run Benchmarks/run.sh 100k first (it makes $SOURCE)" >&2; exit 66; }
swift build -c release --scratch-path "$SCRATCH" --product paperboy >/dev/null
WORK="$(mktemp -d)"
PORT=18182
BASE="http://127.0.0.1:$PORT"
DB="$WORK/db.sqlite"
sqlite3 "$SOURCE" ".backup '$DB'"
"$BIN" migrate --database "$DB" --log-level warning >/dev/null

# 64 users with a personal access token each (the wrk mix), and one browser session (the pages).
for i in $(seq 1 64); do
    printf 'benchmark password\n' | "$BIN" user create --database "$DB" --username "bench$i" \
        --email "bench$i@example.org" --password-stdin --log-level warning >/dev/null
    "$BIN" user token create "bench$i" --database "$DB" --log-level warning | tail -n 1 >>"$WORK/tokens"
done
sqlite3 "$DB" "SELECT id FROM papers ORDER BY random() LIMIT 2000" >"$WORK/ids"
DAY="$(sqlite3 "$DB" "SELECT featured_day FROM papers GROUP BY featured_day ORDER BY count(*) DESC LIMIT 1")"
PAPER="$(head -n 1 "$WORK/ids")"

"$BIN" serve --database "$DB" --port "$PORT" --log-level warning --model "$WORK/no-model" --rate-limits off &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -fsS "$BASE/health" >/dev/null 2>&1 && break; sleep 0.2; done

# A browser session: the sign-in form's cookie and token, then the session cookie.
JAR="$WORK/jar"
FORM="$(curl -fsS -c "$JAR" "$BASE/login")"
CSRF="$(printf '%s' "$FORM" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n 1)"
curl -fsS -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "csrf_token=$CSRF" --data-urlencode "login=bench1" \
    --data-urlencode "password=benchmark password" "$BASE/login"
SESSION="$(awk '$6 == "pb_session" { print $7 }' "$JAR")"
[ -n "$SESSION" ] || { echo "$0: signing in failed" >&2; exit 1; }
TOKEN="$(head -n 1 "$WORK/tokens")"

echo "== one signed-in client, cache bypassed ($DURATION s each; day $DAY has the most papers)"
latency() { # label url header
    echo "-- $1"
    wrk -t1 -c1 -d"${DURATION}s" --latency -H "$3" "$2" | grep -E "Requests/sec|^ +50%|^ +99%|Non-2xx"
}
latency "listing page, 50 cards, session cookie" "$BASE/papers?date=$DAY" "Cookie: pb_session=$SESSION"
latency "/api/daily_papers, 50 items, token" "$BASE/api/daily_papers?date=$DAY&limit=50" "Authorization: Bearer $TOKEN"
latency "paper page, session cookie" "$BASE/papers/$PAPER" "Cookie: pb_session=$SESSION"

echo "== wrk mix, 64 connections, 64 users: 80 % API reads, 10 % listing pages, 10 % votes"
WRK_IDS="$WORK/ids" WRK_TOKENS="$WORK/tokens" WRK_DAY="$DAY" WRK_SESSION="$SESSION" \
    wrk -t2 -c64 -d"${DURATION}s" --latency -s Benchmarks/signed-in/mix.lua "$BASE" |
    grep -E "Requests/sec|^ +50%|^ +99%|Non-2xx|errors|requests in"
echo "== votes stored: $(sqlite3 "$DB" 'SELECT count(*) FROM votes'), sum of counters: $(sqlite3 "$DB" 'SELECT sum(upvotes) FROM papers')"
