#!/usr/bin/env bash
# Two Tessera builds side by side in one run (issue #12: "performance holds, measured side by side
# with the previous commit"). For each repetition and each binary in turn (A, B, A, B, … so a
# drifting machine hurts both alike): a fresh database, 32 seeded users, then wrk with 32
# connections of get-session on SQLite, sign-in on SQLite, and get-session on PostgreSQL.
#
#   bench/before-after.sh BIN_A BIN_B [--reps 5] [--duration 10] [--hash-duration 15] [--skip-postgres]
#
# Prints the median req/s and p99 of each figure for A and B and B's change against A. Results:
# bench/results/<UTC time>-before-after/{runs.tsv,summary.md,*.log}. Loopback only; needs wrk,
# curl, psql (unless --skip-postgres).
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[before-after %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

(( $# >= 2 )) || { log "usage: $0 BIN_A BIN_B [--reps N] [--duration S] [--hash-duration S] [--skip-postgres]"; exit 1; }
bin_a="$(realpath "$1")" bin_b="$(realpath "$2")"
shift 2
reps=5 duration=10 hash_duration=15 postgres=1
while (( $# )); do
  case "$1" in
    --reps) reps="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --hash-duration) hash_duration="$2"; shift ;;
    --skip-postgres) postgres=0 ;;
    *) log "unknown argument $1"; exit 1 ;;
  esac
  shift
done
command -v wrk >/dev/null || { log "wrk not found: apt-get install -y wrk"; exit 1; }

out="$bench/results/$(date -u +%Y-%m-%dT%H-%M-%SZ)-before-after"
mkdir -p "$out"
export LUA_PATH="$bench/lua/?.lua;;"
port=4591
url="http://127.0.0.1:$port"
password="correct horse battery staple"
printf 'rep\tbinary\tfigure\trps\tp99_ms\n' >"$out/runs.tsv"
field() { sed -n 's/^BENCH-RESULT //p' "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }

# Starts BIN on DATABASE_URL, seeds 32 users, and sets `cookie` to the first one's session cookie
# (kept in memory: a session token is never written to the results).
start() {
  local bin="$1" database_url="$2" tag="$3"
  export TESSERA_DATABASE_URL="$database_url" TESSERA_LISTEN="127.0.0.1:$port" \
    BETTER_AUTH_URL="$url" BETTER_AUTH_SECRET="bench-secret-0123456789abcdef0123456789abcdef" \
    NODE_ENV=production TESSERA_RATE_LIMIT=off
  "$bin" migrate >"$out/$tag-migrate.log" 2>&1
  "$bin" serve >"$out/$tag-server.log" 2>&1 &
  server=$!
  for _ in $(seq 100); do grep -q "listening on " "$out/$tag-server.log" && break; sleep 0.1; done
  cookie=""
  for i in $(seq 0 31); do
    local c
    c="$(curl -sf -D - -o /dev/null -H 'content-type: application/json' -H "origin: $url" \
      -d "{\"email\":\"seed$i@example.com\",\"password\":\"$password\",\"name\":\"S$i\"}" \
      "$url/api/auth/sign-up/email" | sed -n 's/^[Ss]et-[Cc]ookie: better-auth.session_token=\([^;]*\).*/\1/p')"
    [[ -n $cookie ]] || cookie="$c"
  done
  [[ -n $cookie ]] || { log "$tag: sign-up gave no session cookie"; kill "$server"; exit 1; }
}

record() {
  local rep="$1" name="$2" figure="$3" file="$4"
  printf '%s\t%s\t%s\t%s\t%s\n' "$rep" "$name" "$figure" "$(field "$file" rps)" "$(field "$file" p99_ms)" >>"$out/runs.tsv"
}

for (( rep = 1; rep <= reps; rep++ )); do
  for name in A B; do
    bin="$bin_a"; [[ $name == B ]] && bin="$bin_b"
    dir="$(mktemp -d /tmp/tessera-before-after.XXXXXX)"
    tag="$rep-$name-sqlite"
    log "rep $rep, $name: SQLite"
    start "$bin" "sqlite://$dir/t.db" "$tag"
    wrk -t2 -c32 -d3s -s "$bench/lua/get-session.lua" "$url" -- /api/auth "$cookie" >/dev/null
    wrk -t2 -c32 -d"${duration}s" -s "$bench/lua/get-session.lua" "$url" -- /api/auth "$cookie" \
      >"$out/$tag-get-session.log"
    record "$rep" "$name" get-session-sqlite-32 "$out/$tag-get-session.log"
    wrk -t2 -c32 -d"${hash_duration}s" --timeout 60s -s "$bench/lua/sign-in.lua" "$url" -- \
      /api/auth "$url" 32 "$password" seed >"$out/$tag-sign-in.log"
    record "$rep" "$name" sign-in-sqlite-32 "$out/$tag-sign-in.log"
    kill "$server"; wait "$server" || true
    rm -rf "$dir"
    if (( postgres )); then
      db="before_after_${name,,}_$$"
      psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" test
      tag="$rep-$name-postgres"
      log "rep $rep, $name: PostgreSQL"
      start "$bin" "postgres://postgres@127.0.0.1:5432/$db" "$tag"
      wrk -t2 -c32 -d3s -s "$bench/lua/get-session.lua" "$url" -- /api/auth "$cookie" >/dev/null
      wrk -t2 -c32 -d"${duration}s" -s "$bench/lua/get-session.lua" "$url" -- /api/auth "$cookie" \
        >"$out/$tag-get-session.log"
      record "$rep" "$name" get-session-postgres-32 "$out/$tag-get-session.log"
      kill "$server"; wait "$server" || true
      psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" test
    fi
  done
done

python3 - "$out/runs.tsv" "$bin_a" "$bin_b" >"$out/summary.md" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
print(f"A: {sys.argv[2]}\n\nB: {sys.argv[3]}\n")
print("| figure | A req/s | B req/s | B vs A | A p99 ms | B p99 ms |")
print("|---|---:|---:|---:|---:|---:|")
for figure in dict.fromkeys(r["figure"] for r in rows):
    med = lambda name, k: statistics.median(float(r[k]) for r in rows if r["figure"] == figure and r["binary"] == name)
    a, b = med("A", "rps"), med("B", "rps")
    print(f"| {figure} | {a:.0f} | {b:.0f} | {100 * (b - a) / a:+.1f}% | {med('A', 'p99_ms'):.2f} | {med('B', 'p99_ms'):.2f} |")
print(f"\nmedians of {len({r['rep'] for r in rows})} repetitions, A and B alternating")
PY
cat "$out/summary.md"
log "results in $out"
