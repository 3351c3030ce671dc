#!/usr/bin/env bash
# Builds what the HTTP benchmarks need, waits for a quiet machine, times scrypt on both sides, then
# runs bench/http.mjs (Better Auth 1.7.25 on Node vs Tessera, wrk, fresh databases).
#
#   bench/run-http.sh [--no-build] [--no-wait] [http.mjs options…]
#
# Results: bench/results/<UTC time>/{scrypt.json,node-scrypt.json,results.json,summary.md}.
# Needs: wrk (apt-get install wrk), Node 20, cargo, PostgreSQL on 127.0.0.1:5432 (trust, user
# postgres) unless --skip-postgres is passed. Every load goes to 127.0.0.1 only.
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$bench")"
log() { printf '[run-http] %s\n' "$*" >&2; }

build=1
wait_quiet=1
pass=()
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    --no-wait) wait_quiet=0 ;;
    *) pass+=("$arg") ;;
  esac
done

command -v wrk >/dev/null || { log "wrk not found: apt-get install -y wrk"; exit 1; }

if (( build )); then
  log "building tessera (release)"
  (cd "$repo" && cargo build --release -p tessera-cli)
  log "building bench tools (release, own workspace, target/bench)"
  (cd "$bench/tools" && CARGO_TARGET_DIR="$repo/target/bench" cargo build --release --locked)
  bash "$repo/compat/setup.sh"
fi
for bin in "$repo/target/release/tessera" "$repo/target/bench/release/empty-axum" "$repo/target/bench/release/scrypt-time"; do
  [[ -x $bin ]] || { log "missing $bin (run without --no-build)"; exit 1; }
done

# Other builds on the machine would be measured along with the servers: wait (up to 20 min) for
# the 1-minute load average to fall below 0.8, polling every 30 s.
if (( wait_quiet )); then
  for (( i = 0; i < 40; i++ )); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    if awk -v l="$load" 'BEGIN { exit !(l < 0.8) }'; then break; fi
    log "load average $load ≥ 0.8; waiting 30 s ($i/40)"
    sleep 30
  done
  log "load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
fi

out="$bench/results/$(date -u +%Y-%m-%dT%H-%M-%SZ)"
mkdir -p "$out"
log "timing scrypt: Tessera's code, then Better Auth's (Node)"
timeout 300 "$repo/target/bench/release/scrypt-time" 10 "$(nproc)" | tee "$out/scrypt.json"
timeout 300 node "$bench/node-scrypt-time.mjs" 10 "$(nproc)" | tee "$out/node-scrypt.json"

node "$bench/http.mjs" --out "$out" "${pass[@]}"
log "done: $out/summary.md"
