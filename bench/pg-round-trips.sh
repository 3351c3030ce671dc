#!/usr/bin/env bash
# How many times Tessera talks to PostgreSQL per get-session. Tessera runs on a fresh database;
# 32 wrk connections of get-session run for DURATION seconds; the PostgreSQL backend processes
# serving Tessera's pool are counted with perf (their sendto = answers, recvfrom = reads). One
# get-session is one SQL query; anything above one answer per request is protocol overhead
# (sqlx's ping on acquire and on release: a Sync / ReadyForQuery round trip each).
#
#   bench/pg-round-trips.sh [DURATION=5]
#
# Needs perf with syscall tracepoints, wrk, psql, PostgreSQL on 127.0.0.1:5432 (trust, postgres).
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$bench")"
duration="${1:-5}"
port=4483
url="http://127.0.0.1:$port"
db="bench_round_trips_$$"
admin="postgres://postgres@127.0.0.1:5432/postgres"
out="$(mktemp -d /tmp/tessera-pg-round-trips.XXXXXX)"

psql "$admin" -qc "CREATE DATABASE $db"
cleanup() {
  kill "${pid:-0}" 2>/dev/null || true
  sleep 0.5
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  rm -rf "$out"
}
trap cleanup EXIT
export TESSERA_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" TESSERA_LISTEN="127.0.0.1:$port" \
  BETTER_AUTH_URL="$url" BETTER_AUTH_SECRET="bench-secret-0123456789abcdef0123456789abcdef0123456789abcdef01" \
  TESSERA_RATE_LIMIT=off NODE_ENV=production
"$repo/target/release/tessera" migrate 2>/dev/null
"$repo/target/release/tessera" serve 2>"$out/server.log" &
pid=$!
for _ in $(seq 100); do grep -q "listening on " "$out/server.log" && break; sleep 0.1; done

body='{"email":"pg@example.com","password":"correct horse battery staple","name":"P"}'
curl -sf -o /dev/null -H 'content-type: application/json' -H "origin: $url" -d "$body" "$url/api/auth/sign-up/email"
cookie=$(curl -sf -D - -o /dev/null -H 'content-type: application/json' -H "origin: $url" \
  -d "$body" "$url/api/auth/sign-in/email" | tr -d '\r' |
  sed -n 's/^[Ss]et-[Cc]ookie: better-auth.session_token=\([^;]*\);.*/\1/p')
[[ -n $cookie ]] || { echo "no session cookie" >&2; exit 1; }

# Warm up so that the pool has opened all its connections, then find their backends.
LUA_PATH="$bench/lua/?.lua;;" timeout 30 wrk -t2 -c32 -d3s -s "$bench/lua/get-session.lua" \
  "$url/api/auth/" -- /api/auth "$cookie" >/dev/null
backends=$(psql "$admin" -Atc "SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE datname = '$db'")
[[ -n $backends ]] || { echo "no backends found" >&2; exit 1; }

# Data segments Tessera has sent to PostgreSQL so far, summed over its pool's sockets (ss -ti).
segments_to_pg() {
  ss -tinp state established '( dport = :5432 )' 2>/dev/null |
    awk -v pid="pid=$pid," '
      /users:/ { mine = index($0, pid) > 0; next }
      mine && match($0, /data_segs_out:[0-9]+/) { s += substr($0, RSTART + 14, RLENGTH - 14); mine = 0 }
      END { print s + 0 }'
}

LUA_PATH="$bench/lua/?.lua;;" timeout $((duration + 30)) wrk -t2 -c32 -d"$duration"s \
  -s "$bench/lua/get-session.lua" "$url/api/auth/" -- /api/auth "$cookie" >"$out/wrk.txt" &
wrk_pid=$!
before=$(segments_to_pg)
timeout $((duration + 20)) perf stat -x, -e syscalls:sys_enter_sendto,syscalls:sys_enter_recvfrom \
  -p "$backends" -o "$out/stat.csv" -- sleep "$((duration + 1))" 2>/dev/null &
perf_pid=$!
wait "$wrk_pid"
after=$(segments_to_pg)
wait "$perf_pid"
requests=$(sed -n 's/.*"requests":\([0-9]*\).*/\1/p' "$out/wrk.txt")
rps=$(sed -n 's/.*"rps":\([0-9.]*\).*/\1/p' "$out/wrk.txt")
echo "backends: $backends"
awk -F, -v n="$requests" -v rps="$rps" -v segs=$((after - before)) '
  $3 ~ /sendto/ { send = $1 }
  $3 ~ /recvfrom/ { recv = $1 }
  END {
    printf "%.0f get-session/s, %d requests; per request: %.2f data segments Tessera -> PostgreSQL;", rps, n, segs / n
    printf " PostgreSQL backends %.2f sendto, %.2f recvfrom\n", send / n, recv / n
  }' "$out/stat.csv"
