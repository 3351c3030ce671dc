#!/usr/bin/env bash
# Where Tessera's time goes under get-session load: starts target/release/tessera on a fresh SQLite
# database, signs one user in, runs 32 wrk connections of get-session for DURATION seconds while
# `perf record` samples the server with DWARF call graphs, then prints the hottest symbols (self
# time) and the heaviest inclusive frames.
#
#   bench/profile-get-session.sh [DURATION=10] [OUT_DIR=/tmp/tessera-profile] [tessera|empty-axum]
#
# With `empty-axum` the same load and counts run against the latency-floor server instead, for
# comparison. Needs perf (apt-get install linux-perf) and wrk. The perf data stays in OUT_DIR.
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$bench")"
duration="${1:-10}"
out="${2:-/tmp/tessera-profile}"
server="${3:-tessera}"
[[ $server == tessera || $server == empty-axum ]] || { echo "server: tessera or empty-axum" >&2; exit 1; }
port=4480
url="http://127.0.0.1:$port"
bin="$repo/target/release/tessera"
[[ -x $bin ]] || { echo "build it first: cargo build --release -p tessera-cli" >&2; exit 1; }
command -v perf >/dev/null || { echo "perf not found: apt-get install -y linux-perf" >&2; exit 1; }

mkdir -p "$out"
rm -f "$out"/profile.db*
if [[ $server == empty-axum ]]; then
  ea="$repo/target/bench/release/empty-axum"
  [[ -x $ea ]] || { echo "build it first: bench/run-http.sh builds target/bench" >&2; exit 1; }
  "$ea" "127.0.0.1:$port" 2>"$out/server.log" &
  pid=$!
else
  export TESSERA_DATABASE_URL="sqlite://$out/profile.db" TESSERA_LISTEN="127.0.0.1:$port" \
    BETTER_AUTH_URL="$url" BETTER_AUTH_SECRET="bench-secret-0123456789abcdef0123456789abcdef0123456789abcdef01" \
    TESSERA_RATE_LIMIT=off NODE_ENV=production
  "$bin" migrate 2>/dev/null
  "$bin" serve 2>"$out/server.log" &
  pid=$!
fi
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "listening on " "$out/server.log" && break; sleep 0.1; done

cookie=none
if [[ $server == tessera ]]; then
  body='{"email":"profile@example.com","password":"correct horse battery staple","name":"P"}'
  curl -sf -o /dev/null -H 'content-type: application/json' -H "origin: $url" -d "$body" "$url/api/auth/sign-up/email"
  cookie=$(curl -sf -D - -o /dev/null -H 'content-type: application/json' -H "origin: $url" \
    -d "$body" "$url/api/auth/sign-in/email" | tr -d '\r' |
    sed -n 's/^[Ss]et-[Cc]ookie: better-auth.session_token=\([^;]*\);.*/\1/p')
  [[ -n $cookie ]] || { echo "no session cookie" >&2; exit 1; }
  curl -sf -H "cookie: better-auth.session_token=$cookie" "$url/api/auth/get-session" |
    grep -q '"email":"profile@example.com"' || { echo "get-session did not find the session" >&2; exit 1; }
fi

LUA_PATH="$bench/lua/?.lua;;" timeout $((duration + 10)) wrk -t2 -c32 -d3s \
  -s "$bench/lua/get-session.lua" "$url/api/auth/" -- /api/auth "$cookie" >/dev/null
LUA_PATH="$bench/lua/?.lua;;" timeout $((duration + 30)) wrk -t2 -c32 -d"$((duration + 2))s" \
  -s "$bench/lua/get-session.lua" "$url/api/auth/" -- /api/auth "$cookie" >"$out/wrk.txt" &
wrk_pid=$!
sleep 1
timeout $((duration + 20)) perf record -q -F 499 --call-graph dwarf,16384 -p "$pid" -o "$out/perf.data" -- sleep "$duration" 2>/dev/null
wait "$wrk_pid"
echo "== under perf record (sampling slows the server; see the counts below for clean figures) =="
grep BENCH-RESULT "$out/wrk.txt"

# Clean per-request costs: CPU time and context switches of the server process only, counted by
# the kernel over a run without sampling.
LUA_PATH="$bench/lua/?.lua;;" timeout $((duration + 30)) wrk -t2 -c32 -d"$((duration + 2))s" \
  -s "$bench/lua/get-session.lua" "$url/api/auth/" -- /api/auth "$cookie" >"$out/wrk-stat.txt" &
wrk_pid=$!
sleep 1
timeout $((duration + 20)) perf stat -x, -e task-clock,context-switches,cpu-migrations -p "$pid" \
  -o "$out/stat.csv" -- sleep "$duration" 2>/dev/null
wait "$wrk_pid"
rps=$(sed -n 's/.*"rps":\([0-9.]*\).*/\1/p' "$out/wrk-stat.txt")
awk -F, -v rps="$rps" -v d="$duration" '
  $3 == "task-clock" { cpu_ms = $1 }
  $3 == "context-switches" { cs = $1 }
  $3 == "cpu-migrations" { mig = $1 }
  END {
    n = rps * d
    printf "== counted: %.0f req/s; server CPU %.2f cores; per request: %.1f us CPU, %.2f context switches, %.3f migrations ==\n",
      rps, cpu_ms / 1000 / d, cpu_ms * 1000 / n, cs / n, mig / n
  }' "$out/stat.csv"

trim() { grep -E '^ +[0-9]' | sed 's/ *$//'; }
echo "== self time by thread and object =="
perf report -i "$out/perf.data" --no-children --sort comm,dso --stdio -q 2>/dev/null | trim | head -12
echo "== self time, by symbol (top 40) =="
perf report -i "$out/perf.data" --no-children --sort symbol --stdio -q 2>/dev/null | trim | head -40
echo "== inclusive time, by symbol (top 60) =="
perf report -i "$out/perf.data" --children --sort symbol --stdio -q -g none 2>/dev/null | trim | head -60
