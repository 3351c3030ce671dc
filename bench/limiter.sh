#!/usr/bin/env bash
# The in-memory rate limiter's bounds (issue #11 §2). Per run, on a fresh SQLite database with the
# limiter on (default cap of 100,000 counters, 10 s window):
#   1. baseline: get-session for BASE_S seconds from 1,000 client addresses → p99 (normal);
#   2. storm: REQUESTS requests, each from a new client address with a distinct path of PATH_BYTES
#      bytes (half to /reset-password/{token}, half to no route), while get-session keeps going →
#      peak VmRSS sampled every 0.5 s, VmHWM after, get-session p99 during the storm;
#   3. sweep: get-session for SWEEP_S seconds right after the storm, while the storm's counters
#      expire and are swept → p99 (during the sweep).
# The figures asked for: VmHWM < 100 MiB, and p99 (sweep) ≤ 2 × p99 (normal).
#
#   bench/limiter.sh [--runs 3] [--requests 1000000] [--path-bytes 65000] [--no-build]
#
# PATH_BYTES is the whole request target: the `http` crate refuses URIs longer than 65,534 bytes
# (hyper answers 414 before any of Tessera runs), so 65,000 is the longest that reaches the limiter.
# Results: bench/results/<UTC time>-limiter/{runs.tsv,summary.md,*.log}. Loopback only.
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$bench")"
log() { printf '[limiter] %s\n' "$*" >&2; }

runs=3 requests=1000000 path_bytes=65000 build=1 base_s=15 sweep_s=15
while (( $# )); do
  case "$1" in
    --runs) runs="$2"; shift ;;
    --requests) requests="$2"; shift ;;
    --path-bytes) path_bytes="$2"; shift ;;
    --no-build) build=0 ;;
    *) log "unknown argument $1"; exit 1 ;;
  esac
  shift
done
command -v wrk >/dev/null || { log "wrk not found: apt-get install -y wrk"; exit 1; }
if (( build )); then
  (cd "$repo" && nice cargo build --release -p tessera-cli)
fi
tessera="$repo/target/release/tessera"
[[ -x $tessera ]] || { log "missing $tessera (run without --no-build)"; exit 1; }

out="$bench/results/$(date -u +%Y-%m-%dT%H-%M-%SZ)-limiter"
mkdir -p "$out"
export LUA_PATH="$bench/lua/?.lua;;"
port=4491
url="http://127.0.0.1:$port"
printf 'run\tload_before\tbase_p99_ms\tstorm_requests\tstorm_rps\tstorm_p99_ms\tsweep_p99_ms\tpeak_rss_kib\thwm_kib\trss_after_kib\n' >"$out/runs.tsv"

field() { sed -n 's/^BENCH-RESULT //p' "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }
kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }

for (( run = 1; run <= runs; run++ )); do
  dir="$(mktemp -d /tmp/tessera-limiter.XXXXXX)"
  cat >"$dir/tessera.toml" <<EOF
[rate_limit]
enabled = true
# High enough that get-session is never refused: this measures memory and latency, not refusals.
max = 1000000000
EOF
  export TESSERA_DATABASE_URL="sqlite://$dir/l.db" TESSERA_LISTEN="127.0.0.1:$port" \
    BETTER_AUTH_URL="$url" BETTER_AUTH_SECRET="bench-secret-0123456789abcdef0123456789abcdef" \
    NODE_ENV=production
  "$tessera" --config "$dir/tessera.toml" migrate 2>/dev/null
  "$tessera" --config "$dir/tessera.toml" serve 2>"$out/server-$run.log" &
  pid=$!
  trap 'kill "$pid" 2>/dev/null || true' EXIT
  for _ in $(seq 100); do grep -q "listening on " "$out/server-$run.log" && break; sleep 0.1; done
  cookie="$(curl -sf -D - -o /dev/null -H 'content-type: application/json' -H "origin: $url" \
    -d '{"email":"limiter@example.com","password":"correct horse battery staple","name":"L"}' \
    "$url/api/auth/sign-up/email" | sed -n 's/^[Ss]et-[Cc]ookie: better-auth.session_token=\([^;]*\).*/\1/p')"
  [[ -n $cookie ]] || { log "sign-up gave no session cookie"; exit 1; }
  load_before="$(cut -d' ' -f1 /proc/loadavg)"

  log "run $run: baseline get-session ${base_s}s"
  wrk -t1 -c4 -d"${base_s}s" -s "$bench/lua/get-session-clients.lua" "$url" -- /api/auth "$cookie" 1000 \
    >"$out/base-$run.log"

  log "run $run: storm of $requests requests (${path_bytes}-byte paths) with get-session alongside"
  (while kill -0 "$pid" 2>/dev/null; do kib "$pid" VmRSS; sleep 0.5; done) >"$out/rss-$run.samples" &
  sampler=$!
  wrk -t1 -c4 -d900s -s "$bench/lua/get-session-clients.lua" "$url" -- /api/auth "$cookie" 1000 \
    >"$out/storm-get-session-$run.log" &
  during=$!
  BENCH_MAX_REQUESTS=$(( requests / 2 )) wrk -t2 -c8 -d900s --timeout 10s \
    -s "$bench/lua/limiter-storm.lua" "$url" -- /api/auth "$path_bytes" >"$out/storm-$run.log" &
  storm=$!
  # wrk's main thread sleeps the whole -d even once every thread has stopped at its count; when
  # only that thread is left, SIGINT makes it report at once.
  sleep 1
  while kill -0 "$storm" 2>/dev/null && (( $(ls "/proc/$storm/task" 2>/dev/null | wc -l) > 1 )); do
    sleep 0.5
  done
  kill -INT "$storm" 2>/dev/null || true
  wait "$storm" || true
  kill -INT "$during"; wait "$during" || true

  log "run $run: get-session ${sweep_s}s while the storm's counters expire"
  wrk -t1 -c4 -d"${sweep_s}s" -s "$bench/lua/get-session-clients.lua" "$url" -- /api/auth "$cookie" 1000 \
    >"$out/sweep-$run.log"
  kill "$sampler" 2>/dev/null || true
  hwm="$(kib "$pid" VmHWM)" rss_after="$(kib "$pid" VmRSS)"
  peak="$(sort -n "$out/rss-$run.samples" | tail -1)"
  kill "$pid"; wait "$pid" || true
  trap - EXIT
  rm -rf "$dir"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$load_before" \
    "$(field "$out/base-$run.log" p99_ms)" "$(field "$out/storm-$run.log" requests)" \
    "$(field "$out/storm-$run.log" rps)" \
    "$(field "$out/storm-get-session-$run.log" p99_ms)" "$(field "$out/sweep-$run.log" p99_ms)" \
    "$peak" "$hwm" "$rss_after" >>"$out/runs.tsv"
  column -t "$out/runs.tsv" >&2
done

python3 - "$out/runs.tsv" >"$out/summary.md" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
med = lambda k: statistics.median(float(r[k]) for r in rows)
base, sweep, hwm = med("base_p99_ms"), med("sweep_p99_ms"), med("hwm_kib")
print(f"runs: {len(rows)}")
print(f"median storm: {med('storm_requests'):.0f} requests at {med('storm_rps'):.0f} req/s")
print(f"median VmHWM: {hwm / 1024:.1f} MiB (peak sampled VmRSS {med('peak_rss_kib') / 1024:.1f} MiB, after {med('rss_after_kib') / 1024:.1f} MiB) — target < 100 MiB: {'PASS' if hwm < 100 * 1024 else 'FAIL'}")
print(f"median get-session p99: normal {base:.2f} ms, during the storm {med('storm_p99_ms'):.2f} ms, during the sweep {sweep:.2f} ms ({sweep / base:.2f}x) — target ≤ 2x: {'PASS' if sweep <= 2 * base else 'FAIL'}")
PY
cat "$out/summary.md"
log "results in $out"
