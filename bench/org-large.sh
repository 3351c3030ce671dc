#!/usr/bin/env bash
# Issue #13's large-organization figures. On SQLite and on PostgreSQL:
#  - one organization of MEMBERS members (default 100,000): an owner signed up and the organization
#    created through the API, the other members (and their users) written with SQL;
#  - 32 wrk connections of list-members (limit 100, sortBy createdAt; offsets cycling over the
#    first PAGES pages) and of has-permission on the owner's active organization: p99 and req/s;
#  - get-session at 32 connections with the organization plugin on (that same server, a session
#    with an active organization) and off (a database migrated without the plugin, holding the same
#    users), the two alternating per repetition.
#
#   bench/org-large.sh [--members N] [--duration S] [--reps R] [--pages P] [--skip-postgres] [--no-build]
#
# Needs wrk, python3, psql, PostgreSQL on 127.0.0.1:5432 (trust, postgres). Writes
# bench/results/<UTC time>-org-large/ (runs.tsv, summary.md).
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$bench")"
members=100000 duration=10 reps=3 pages=10 stores="sqlite postgres" build=1
while (($#)); do
  case "$1" in
    --members) members="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --pages) pages="$2"; shift 2 ;;
    --skip-postgres) stores="sqlite"; shift ;;
    --no-build) build=0; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
if ((build)); then
  (cd "$repo" && cargo build --release -p tessera-cli --quiet)
fi
bin="${CARGO_TARGET_DIR:-$repo/target}/release/tessera"
out="$bench/results/$(date -u +%Y%m%dT%H%M%SZ)-org-large"
mkdir -p "$out"
work="$(mktemp -d /tmp/tessera-org-large.XXXXXX)"
admin="postgres://postgres@127.0.0.1:5432/postgres"
port=4491
url="http://127.0.0.1:$port"
pid=0
dbs=()
cleanup() {
  [[ $pid != 0 ]] && kill "$pid" 2>/dev/null || true
  sleep 0.5
  for db in "${dbs[@]}"; do psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true; done
  rm -rf "$work"
}
trap cleanup EXIT
export BETTER_AUTH_URL="$url" BETTER_AUTH_SECRET="bench-secret-0123456789abcdef0123456789abcdef0123456789abcdef01" \
  TESSERA_LISTEN="127.0.0.1:$port" TESSERA_RATE_LIMIT=off NODE_ENV=production TESSERA_LOG=warn

printf 'store\tscenario\trep\trps\tp50_ms\tp99_ms\n' >"$out/runs.tsv"
echo "machine: $(nproc) cores, $(grep MemTotal /proc/meminfo | awk '{print int($2/1048576)}') GiB; load $(cut -d' ' -f1-3 /proc/loadavg)" >"$out/machine.txt"

database_url() { # store name
  if [[ $1 == sqlite ]]; then echo "sqlite://$work/$2.db?mode=rwc"; else echo "postgres://postgres@127.0.0.1:5432/$2"; fi
}

start() { # database-url plugins
  TESSERA_DATABASE_URL="$1" TESSERA_PLUGINS="$2" "$bin" migrate 2>/dev/null
  TESSERA_DATABASE_URL="$1" TESSERA_PLUGINS="$2" "$bin" serve 2>"$work/server.log" &
  pid=$!
  for _ in $(seq 100); do grep -q "listening on " "$work/server.log" && return 0; sleep 0.1; done
  echo "server did not start" >&2; cat "$work/server.log" >&2; exit 1
}
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=0; }

# Signs up (email) and prints the session cookie value.
sign_up() {
  curl -sf -D - -o /dev/null -H 'content-type: application/json' -H "origin: $url" \
    -d "{\"email\":\"$1\",\"password\":\"correct horse battery staple\",\"name\":\"Owner\"}" \
    "$url/api/auth/sign-up/email" | tr -d '\r' |
    sed -n 's/^[Ss]et-[Cc]ookie: better-auth.session_token=\([^;]*\);.*/\1/p'
}

wrk_run() { # store scenario rep script args…
  local store=$1 scenario=$2 rep=$3 script=$4
  shift 4
  LUA_PATH="$bench/lua/?.lua;;" timeout $((duration + 30)) wrk -t2 -c32 -d"$duration"s --timeout 10s \
    -s "$bench/lua/$script" "$url/api/auth/" -- /api/auth "$@" >"$work/wrk.txt"
  local line
  line=$(grep BENCH-RESULT "$work/wrk.txt" | sed 's/^BENCH-RESULT //')
  python3 - "$store" "$scenario" "$rep" "$line" >>"$out/runs.tsv" <<'EOF'
import json, sys
store, scenario, rep, line = sys.argv[1:5]
r = json.loads(line)
bad = r.get("non_2xx", 0) + sum(r.get(k, 0) for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
if bad:
    sys.exit(f"{store} {scenario}: {bad} failed requests")
print(f"{store}\t{scenario}\t{rep}\t{r['rps']}\t{r['p50_ms']}\t{r['p99_ms']}")
EOF
}

seed_members() { # store database-url organization-id (none: users only) sqlite-file
  local n=$((members - 1))
  if [[ $1 == sqlite ]]; then
    python3 - "$4" "$3" "$n" <<'EOF'
import sqlite3, sys
path, org, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = sqlite3.connect(path)
def iso(i):  # one member a second, in order, so createdAt sorts like the index
    s = 1_700_000_000 + i
    import datetime
    return datetime.datetime.fromtimestamp(s, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
with db:
    db.executemany('insert into "user" ("id","name","email","emailVerified","image","createdAt","updatedAt") values (?,?,?,0,null,?,?)',
                   ((f"benchuser{i:07d}", f"Member {i}", f"member{i}@bench.example", iso(i), iso(i)) for i in range(n)))
    if org != "none":
        db.executemany('insert into "member" ("id","organizationId","userId","role","createdAt") values (?,?,?,?,?)',
                       ((f"benchmember{i:07d}", org, f"benchuser{i:07d}", "admin" if i % 50 == 0 else "member", iso(i)) for i in range(n)))
db.close()
EOF
  else
    psql "$2" -q <<EOF
insert into "user" ("id","name","email","emailVerified","image","createdAt","updatedAt")
  select 'benchuser' || lpad(i::text, 7, '0'), 'Member ' || i, 'member' || i || '@bench.example', false, null,
         to_timestamp(1700000000 + i), to_timestamp(1700000000 + i) from generate_series(0, $n - 1) i;
insert into "member" ("id","organizationId","userId","role","createdAt")
  select 'benchmember' || lpad(i::text, 7, '0'), '$3', 'benchuser' || lpad(i::text, 7, '0'),
         case when i % 50 = 0 then 'admin' else 'member' end, to_timestamp(1700000000 + i)
  from generate_series(0, $n - 1) i where '$3' <> 'none';
analyze;
EOF
  fi
}

for store in $stores; do
  if [[ $store == postgres ]]; then
    for db in bench_org_big_$$ bench_org_off_$$; do psql "$admin" -qc "CREATE DATABASE $db"; dbs+=("$db"); done
    big="$(database_url postgres bench_org_big_$$)" off="$(database_url postgres bench_org_off_$$)"
  else
    big="$(database_url sqlite big)" off="$(database_url sqlite off)"
  fi
  # The plugin-off database: one user, migrated without the organization plugin.
  start "$off" ""
  off_cookie=$(sign_up off@bench.example)
  stop
  start "$big" "organization"
  cookie=$(sign_up owner@bench.example)
  [[ -n $cookie ]] || { echo "no session cookie" >&2; exit 1; }
  org=$(curl -sf -H 'content-type: application/json' -H "origin: $url" -H "cookie: better-auth.session_token=$cookie" \
    -d '{"name":"Big","slug":"big"}' "$url/api/auth/organization/create" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  stop
  echo "$store: seeding $((members - 1)) members into organization $org, and as many users without the plugin" >&2
  seed_members "$store" "$big" "$org" "$work/big.db"
  seed_members "$store" "$off" none "$work/off.db"
  total=$(
    start "$big" "organization" >/dev/null
    curl -sf -H "cookie: better-auth.session_token=$cookie" "$url/api/auth/organization/list-members?limit=1" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])'
    stop
  )
  [[ $total == "$members" ]] || { echo "$store: list-members total $total, expected $members" >&2; exit 1; }
  for rep in $(seq "$reps"); do
    start "$big" "organization"
    wrk_run "$store" list-members "$rep" org-list-members.lua "$cookie" "$pages"
    wrk_run "$store" has-permission "$rep" org-has-permission.lua "$cookie" "$url"
    wrk_run "$store" get-session-plugin-on "$rep" get-session.lua "$cookie"
    stop
    start "$off" ""
    wrk_run "$store" get-session-plugin-off "$rep" get-session.lua "$off_cookie"
    stop
  done
done

python3 - "$out/runs.tsv" "$members" >"$out/summary.md" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
members = int(sys.argv[2])
def med(store, scenario, key):
    v = [float(r[key]) for r in rows if r["store"] == store and r["scenario"] == scenario]
    return statistics.median(v) if v else None
print(f"# Large organization ({members:,} members), 32 connections, medians over repetitions\n")
print("| store | scenario | req/s | p50 ms | p99 ms | target | result |")
print("|---|---|---|---|---|---|---|")
for store in ("sqlite", "postgres"):
    for scenario in ("list-members", "has-permission"):
        p99 = med(store, scenario, "p99_ms")
        if p99 is None:
            continue
        ok = "PASS" if p99 < 10 else "FAIL"
        print(f"| {store} | {scenario} | {med(store, scenario, 'rps'):,.0f} | {med(store, scenario, 'p50_ms'):.2f} | {p99:.2f} | p99 < 10 ms | {ok} |")
    on, off = med(store, "get-session-plugin-on", "rps"), med(store, "get-session-plugin-off", "rps")
    if on and off:
        change = (on - off) / off * 100
        ok = "PASS" if change >= -10 else "FAIL"
        print(f"| {store} | get-session, plugin on vs off | {on:,.0f} vs {off:,.0f} ({change:+.1f}%) | | | within 10% | {ok} |")
EOF
cat "$out/summary.md"
echo "results: $out" >&2
