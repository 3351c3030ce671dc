#!/usr/bin/env bash
# Issue #14's email-otp figures, on SQLite at 32 connections, Tessera and real Better Auth side by
# side (each on its own database, seeded the same way):
#  - send-verification-otp (type sign-in) to USERS existing users in turn, to the outbox sender:
#    req/s and p99 (target ≥ 2,000 req/s for Tessera);
#  - sign-in/email-otp with a live code for each user, every code sent once: verifications per
#    second and p99 (target ≥ 5,000/s for Tessera). Before each such run every user is sent one
#    fresh code (not measured), and the codes are read back from the outbox.
#
#   bench/passwordless.sh [--users N] [--duration S] [--reps R] [--skip-better-auth] [--no-build]
#
# Needs wrk, python3, node (compat/ set up: bash compat/setup.sh). Writes
# bench/results/<UTC time>-passwordless/ (runs.tsv, summary.md, machine.txt).
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$bench")"
users=100000 duration=10 reps=3 servers="tessera better-auth" build=1
while (($#)); do
  case "$1" in
    --users) users="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --skip-better-auth) servers="tessera"; shift ;;
    --no-build) build=0; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if ((build)); then
  (cd "$repo" && cargo build --release -p tessera-cli --quiet)
fi
bin="${CARGO_TARGET_DIR:-$repo/target}/release/tessera"
out="$bench/results/$(date -u +%Y%m%dT%H%M%SZ)-passwordless"
mkdir -p "$out"
work="$(mktemp -d /tmp/tessera-passwordless.XXXXXX)"
port=4492
url="http://127.0.0.1:$port"
pid=0
cleanup() {
  [[ $pid != 0 ]] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export BETTER_AUTH_URL="$url" BETTER_AUTH_SECRET="bench-secret-0123456789abcdef0123456789abcdef0123456789abcdef01" \
  TESSERA_PLUGINS=email-otp TESSERA_RATE_LIMIT=off NODE_ENV=production TESSERA_LOG=warn \
  TESSERA_OUTBOX="$work/outbox.jsonl"

printf 'server\tscenario\trep\trps\tp50_ms\tp99_ms\trequests\n' >"$out/runs.tsv"
echo "machine: $(nproc) cores, $(grep MemTotal /proc/meminfo | awk '{print int($2/1048576)}') GiB; load at start $(cut -d' ' -f1-3 /proc/loadavg); tessera $(git -C "$repo" rev-parse --short HEAD)" >"$out/machine.txt"

start() { # server migrate?
  local db="$work/$1.db"
  if [[ $1 == tessera ]]; then
    [[ $2 == migrate ]] && TESSERA_DATABASE_URL="sqlite://$db?mode=rwc" "$bin" migrate 2>/dev/null
    TESSERA_DATABASE_URL="sqlite://$db?mode=rwc" TESSERA_LISTEN="127.0.0.1:$port" "$bin" serve 2>"$work/server.log" &
  else
    local args=()
    [[ $2 == migrate ]] && args=(--migrate)
    DATABASE_URL="sqlite://$db" HOST=127.0.0.1 PORT=$port node "$repo/compat/server/better-auth-server.mjs" "${args[@]}" >"$work/server.log" 2>&1 &
  fi
  pid=$!
  for _ in $(seq 200); do
    curl -sf "$url/api/auth/ok" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "$1 did not start" >&2; cat "$work/server.log" >&2; exit 1
}
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=0; }

# One user signed up through the API (so every column has the server's own format), verified, then
# copied USERS times with SQL as u<i>@bench.example.
seed_users() { # server
  curl -sf -o /dev/null -H 'content-type: application/json' -H "origin: $url" \
    -d '{"email":"template@bench.example","password":"correct horse battery staple","name":"Template"}' \
    "$url/api/auth/sign-up/email"
  stop
  python3 - "$work/$1.db" "$users" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = int(sys.argv[2])
with db:
    db.execute('update "user" set "emailVerified" = 1 where "email" = ?', ("template@bench.example",))
    db.execute('''
      with recursive s(i) as (select 0 union all select i + 1 from s where i < ? - 1)
      insert into "user" ("id", "name", "email", "emailVerified", "image", "createdAt", "updatedAt")
      select 'benchu' || i, 'User ' || i, 'u' || i || '@bench.example', t."emailVerified", t."image",
             t."createdAt", t."updatedAt"
      from s, (select * from "user" where "email" = 'template@bench.example') t''', (n,))
db.close()
EOF
}

wrk_run() { # server scenario rep script args…
  local server=$1 scenario=$2 rep=$3 script=$4
  shift 4
  LUA_PATH="$bench/lua/?.lua;;" timeout $((duration + 60)) wrk -t2 -c32 -d"$duration"s --timeout 10s \
    -s "$bench/lua/$script" "$url/api/auth/" -- /api/auth "$@" >"$work/wrk.txt"
  local line
  line=$(grep BENCH-RESULT "$work/wrk.txt" | sed 's/^BENCH-RESULT //')
  python3 - "$server" "$scenario" "$rep" "$line" >>"$out/runs.tsv" <<'EOF'
import json, sys
server, scenario, rep, line = sys.argv[1:5]
r = json.loads(line)
bad = sum(r[k] for k in ("errors_connect", "errors_read", "errors_write", "errors_status", "errors_timeout"))
if bad:
    sys.exit(f"{server} {scenario}: {bad} failed requests of {r['requests']}")
print(f"{server}\t{scenario}\t{rep}\t{r['rps']}\t{r['p50_ms']}\t{r['p99_ms']}\t{r['requests']}")
EOF
}

# Every user gets one fresh code, read back from the outbox. Node's fetch, 32 at a time: wrk can
# stop a thread after a count but still runs out its duration.
fresh_codes() {
  : >"$TESSERA_OUTBOX"
  node - "$url" "$users" <<'EOF_NODE'
const [url, users] = [process.argv[2], Number(process.argv[3])];
let next = 0;
async function worker() {
  while (next < users) {
    const i = next++;
    const res = await fetch(`${url}/api/auth/email-otp/send-verification-otp`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: url },
      body: JSON.stringify({ email: `u${i}@bench.example`, type: "sign-in" }),
    });
    if (res.status !== 200) throw new Error(`send for u${i}: ${res.status} ${await res.text()}`);
  }
}
await Promise.all(Array.from({ length: 32 }, worker));
EOF_NODE
  sleep 1 # Better Auth and Tessera both write after answering
  python3 - "$TESSERA_OUTBOX" "$work/codes.tsv" "$users" <<'EOF'
import json, sys
latest = {}
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("type") == "email-otp-sign-in":
        latest[m["to"]] = m["code"]
if len(latest) != int(sys.argv[3]):
    sys.exit(f"{len(latest)} users have a code, expected {sys.argv[3]}")
with open(sys.argv[2], "w") as f:
    for email, code in latest.items():
        f.write(f"{email}\t{code}\n")
EOF
}

for server in $servers; do
  start "$server" migrate
  echo "$server: seeding $users users" >&2
  seed_users "$server"
  for rep in $(seq "$reps"); do
    start "$server" keep
    fresh_codes "$server"
    # Each code once: a thread that runs out stops (and the run's rate then counts the idle
    # rest of the duration, so USERS must exceed what a run can spend).
    BENCH_MAX_REQUESTS=$((users / 2)) wrk_run "$server" sign-in-email-otp "$rep" otp-sign-in.lua "$url" "$work/codes.tsv"
    wrk_run "$server" send-verification-otp "$rep" otp-send.lua "$url" "$users"
    stop
  done
done

python3 - "$out/runs.tsv" "$users" >"$out/summary.md" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def med(server, scenario, key):
    v = [float(r[key]) for r in rows if r["server"] == server and r["scenario"] == scenario]
    return statistics.median(v) if v else None
print(f"# email-otp on SQLite, {sys.argv[2]} users, 32 connections, medians over repetitions\n")
print("| scenario | server | req/s | p50 ms | p99 ms | target | result |")
print("|---|---|---|---|---|---|---|")
for scenario, target in (("send-verification-otp", 2000), ("sign-in-email-otp", 5000)):
    for server in ("tessera", "better-auth"):
        rps = med(server, scenario, "rps")
        if rps is None:
            continue
        verdict = ("PASS" if rps >= target else "FAIL") if server == "tessera" else ""
        goal = f"≥ {target:,} req/s" if server == "tessera" else ""
        print(f"| {scenario} | {server} | {rps:,.0f} | {med(server, scenario, 'p50_ms'):.2f} | {med(server, scenario, 'p99_ms'):.2f} | {goal} | {verdict} |")
EOF
cat "$out/summary.md"
echo "results: $out" >&2
