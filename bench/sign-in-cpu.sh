#!/usr/bin/env bash
# Where the cores go while Tessera serves sign-in/email at 32 connections: the server's CPU time
# (perf stat, all its threads), wrk's CPU time, and the server's CPU time per sign-in. It sets
# those against the time of one scrypt, to see how far the throughput is from the hashing limit
# and why.
#
#   bench/sign-in-cpu.sh [DURATION=15] [OUT_DIR=/tmp/tessera-sign-in-cpu]
#
# Needs perf (apt-get install linux-perf), wrk, target/release/tessera.
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$bench")"
duration="${1:-15}"
out="${2:-/tmp/tessera-sign-in-cpu}"
port=4481
url="http://127.0.0.1:$port"
bin="$repo/target/release/tessera"
password="correct horse battery staple"
[[ -x $bin ]] || { echo "build it first: cargo build --release -p tessera-cli" >&2; exit 1; }
command -v perf >/dev/null || { echo "perf not found: apt-get install -y linux-perf" >&2; exit 1; }

mkdir -p "$out"
rm -f "$out"/sign-in.db*
export TESSERA_DATABASE_URL="sqlite://$out/sign-in.db" TESSERA_LISTEN="127.0.0.1:$port" \
  BETTER_AUTH_URL="$url" BETTER_AUTH_SECRET="bench-secret-0123456789abcdef0123456789abcdef0123456789abcdef01" \
  TESSERA_RATE_LIMIT=off NODE_ENV=production
"$bin" migrate 2>/dev/null
"$bin" serve 2>"$out/server.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "listening on " "$out/server.log" && break; sleep 0.1; done

for i in $(seq 0 31); do
  curl -sf -o /dev/null -H 'content-type: application/json' -H "origin: $url" \
    -d "{\"email\":\"bench-$i@example.com\",\"password\":\"$password\",\"name\":\"B\"}" "$url/api/auth/sign-up/email"
done

# wrk runs 2 s longer than the counting window on each side, so the window sees steady state.
LUA_PATH="$bench/lua/?.lua;;" timeout $((duration + 90)) perf stat -x, -e task-clock -o "$out/wrk-stat.csv" \
  wrk -t2 -c32 -d"$((duration + 4))s" --timeout 60s -s "$bench/lua/sign-in.lua" "$url/api/auth/" \
  -- /api/auth "$url" 32 "$password" bench- >"$out/wrk.txt" &
wrk_pid=$!
sleep 2
timeout $((duration + 20)) perf stat -x, -e task-clock,context-switches -p "$pid" -o "$out/server-stat.csv" \
  -- sleep "$duration" 2>/dev/null
wait "$wrk_pid"
grep BENCH-RESULT "$out/wrk.txt"
scrypt_ms=$("$repo/target/bench/release/scrypt-time" 5 1 2>/dev/null | sed -n 's/.*"hash_ms_median":\([0-9.]*\).*/\1/p' || true)
rps=$(sed -n 's/.*"rps":\([0-9.]*\).*/\1/p' "$out/wrk.txt")
wrk_secs=$(sed -n 's/.*"duration_s":\([0-9.]*\).*/\1/p' "$out/wrk.txt")
server_ms=$(awk -F, '$3 == "task-clock" { print $1 }' "$out/server-stat.csv")
wrk_ms=$(awk -F, '$3 == "task-clock" { print $1 }' "$out/wrk-stat.csv")
awk -v cores="$(nproc)" -v rps="$rps" -v d="$duration" -v s="$server_ms" -v w="$wrk_ms" -v ws="$wrk_secs" -v sc="${scrypt_ms:-0}" 'BEGIN {
  printf "sign-in: %.1f req/s\n", rps
  printf "server CPU: %.2f cores; per sign-in %.1f ms (one scrypt alone: %.1f ms)\n", s / 1000 / d, s / (rps * d), sc
  printf "wrk CPU: %.3f cores\n", w / 1000 / ws
  printf "left for everything else (idle or other processes): %.2f cores\n", cores - s / 1000 / d - w / 1000 / ws
}'
