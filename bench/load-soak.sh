#!/usr/bin/env bash
# Issue #11's load proof: 60 s of mixed traffic (sign-up, sign-in, get-session, sign-out, a TOTP
# two-factor sign-in, admin list-users) at the machine's limit, on SQLite and on PostgreSQL, then the
# same on a PostgreSQL cluster of its own that is stopped for a few seconds in the middle.
#
#   bench/load-soak.sh [--no-build] [--duration S] [--clients N] [--outage-at S] [--outage-for S]
#                      [--legs sqlite,postgres,restart]
#
# Each leg migrates a fresh database, starts `tessera serve` on a free loopback port with plugins
# admin,two-factor and the rate limiter OFF (so that the limit is the machine, not the limiter),
# signs up an admin and gives it the admin role with `tessera user set-role`, then runs
# bench/load-mixed.mjs, which seeds users (some with TOTP), drives the load, samples the server's
# VmRSS and CPU and checks: zero 5xx, zero connection errors, no unexpected status, and RSS flat
# (the peak VmRSS of each 10-s window from 10 s on, max/min within 10%). After the load, every
# email whose sign-up was answered 200 is looked up in the database: lost rows must be 0.
#
# The restart leg never touches the shared PostgreSQL on 5432: it initdb's a cluster in a temp
# directory (as the postgres user when run as root), starts it with pg_ctl on a free port, and the
# load generator runs `pg_ctl stop -m fast` at --outage-at s and `pg_ctl start -w` --outage-for s
# later. Its checks: 5xx only while the database is away, each with a JSON body, bounded latency
# (routes without a password hash),
# service back within 5 s of the database, and no sign-up answered 200 before the stop is lost.
#
# Results: bench/results/<UTC time>-load/<leg>/{summary.md,results.json,requests.tsv,
# signed-up.txt,server.log} and summary.md over all legs. Exit status 1 if any check failed.
# Needs: Node 20, cargo, psql, PostgreSQL 15 binaries (/usr/lib/postgresql/15/bin), sqlite3.
# All traffic goes to 127.0.0.1.
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$bench")"
log() { printf '[load-soak %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

build=1
duration=60
clients=48
outage_at=25
outage_for=8
legs=sqlite,postgres,restart
while (($#)); do
  case "$1" in
    --no-build) build=0 ;;
    --duration) duration="$2"; shift ;;
    --clients) clients="$2"; shift ;;
    --outage-at) outage_at="$2"; shift ;;
    --outage-for) outage_for="$2"; shift ;;
    --legs) legs="$2"; shift ;;
    *) log "unknown argument $1"; exit 2 ;;
  esac
  shift
done

pg_bin=/usr/lib/postgresql/15/bin
pg_admin=postgres://postgres@127.0.0.1:5432/postgres
tessera="${TESSERA_BIN:-$repo/target/release/tessera}"
secret=load-soak-secret-0123456789abcdef0123456789abcdef0123456789abcdef
password="correct horse battery staple"

if ((build)); then
  log "building tessera (release)"
  (cd "$repo" && nice cargo build --release -p tessera-cli)
fi
[[ -x $tessera ]] || { log "missing $tessera (run without --no-build)"; exit 2; }

out="$bench/results/$(date -u +%Y-%m-%dT%H-%M-%SZ)-load"
mkdir -p "$out"
log "results in $out"

free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}

# What else ran on the cores: the load figures are the machine's limit only on a quiet machine.
note_machine() {
  local compilers
  compilers=$(ps -eo comm= | grep -cE '^(rustc|cc1|cargo|ld|clippy-driver)' || true)
  printf 'load average %s; %s compiler processes running\n' "$(cut -d' ' -f1-3 /proc/loadavg)" "$compilers"
}

server_pid=""
cluster_dir=""
shared_db=""
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
  if [[ -n $cluster_dir ]]; then
    as_pg "$pg_bin/pg_ctl" -D "$cluster_dir/data" stop -m immediate -w >/dev/null 2>&1 || true
    rm -rf "$cluster_dir"
    cluster_dir=""
  fi
  if [[ -n $shared_db ]]; then
    psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $shared_db WITH (FORCE)" >/dev/null 2>&1 || true
    shared_db=""
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# PostgreSQL refuses to run as root: the own cluster runs as the postgres user when we are root.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Starts tessera on $1 (database URL) and a free port; sets server_pid and server_url.
start_server() {
  local db_url="$1" dir="$2" port
  port=$(free_port)
  server_url="http://127.0.0.1:$port"
  export TESSERA_DATABASE_URL="$db_url" TESSERA_LISTEN="127.0.0.1:$port" BETTER_AUTH_URL="$server_url" \
    BETTER_AUTH_SECRET="$secret" TESSERA_PLUGINS=admin,two-factor TESSERA_RATE_LIMIT=off NODE_ENV=production
  "$tessera" migrate >"$dir/migrate.log" 2>&1
  "$tessera" serve >"$dir/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 600); do
    grep -q "listening on " "$dir/server.log" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { log "server exited:"; cat "$dir/server.log" >&2; return 1; }
    sleep 0.1
  done
  grep -q "listening on " "$dir/server.log" || { log "server not listening after 60 s"; return 1; }
  log "tessera pid $server_pid at $server_url"

  # The admin: signed up through the API, then given the role the CLI's way.
  admin_email="admin-$$@example.com"
  curl -sS --max-time 60 -o /dev/null -w '%{http_code}' -H 'content-type: application/json' -H "origin: $server_url" \
    -d "{\"email\":\"$admin_email\",\"password\":\"$password\",\"name\":\"Admin\"}" \
    "$server_url/api/auth/sign-up/email" | grep -qx 200 || { log "admin sign-up failed"; return 1; }
  "$tessera" user set-role --email "$admin_email" --role admin >>"$dir/migrate.log" 2>&1
}

stop_server() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}

# Every email answered 200 at sign-up must be a user row: prints "<found> <expected>".
# $3 (optional): only those answered before this many ms into the run.
count_signed_up() {
  local dir="$1" kind="$2" before="${3:-}" list="$1/check-emails.txt" found expected
  if [[ -n $before ]]; then
    awk -F'\t' -v b="$before" '$2 < b { print $1 }' "$dir/signed-up.txt" >"$list"
  else
    cut -f1 "$dir/signed-up.txt" | grep -v '^$' >"$list"
  fi
  expected=$(wc -l <"$list")
  if [[ $kind == sqlite ]]; then
    found=$(sqlite3 "$db_file" <<SQL
CREATE TEMP TABLE want(email TEXT PRIMARY KEY);
.mode csv
.import $list want
SELECT count(*) FROM want JOIN "user" u ON u.email = want.email;
SQL
)
  else
    found=$(psql "$db_url" -qAt -v ON_ERROR_STOP=1 <<SQL
CREATE TEMP TABLE want(email text PRIMARY KEY);
\copy want FROM '$list'
SELECT count(*) FROM want JOIN "user" u ON u.email = want.email;
SQL
)
  fi
  echo "$found $expected"
}

status=0
run_leg() {
  local leg="$1" dir="$out/$1" extra=()
  mkdir -p "$dir"
  log "leg $leg: $(note_machine)"
  note_machine >"$dir/machine-before.txt"
  case "$leg" in
    sqlite)
      db_file="$dir/tessera.db"
      db_url="sqlite://$db_file"
      ;;
    postgres)
      shared_db="load_soak_$$"
      psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $shared_db" -qc "CREATE DATABASE $shared_db"
      db_url="postgres://postgres@127.0.0.1:5432/$shared_db"
      ;;
    restart)
      local pg_port
      pg_port=$(free_port)
      cluster_dir=$(mktemp -d /tmp/load-soak-pg.XXXXXX)
      chmod 755 "$cluster_dir"
      [[ $(id -u) -eq 0 ]] && chown postgres "$cluster_dir"
      as_pg "$pg_bin/initdb" -D "$cluster_dir/data" -A trust -U postgres >"$dir/initdb.log" 2>&1
      local pg_opts="-p $pg_port -k $cluster_dir -c listen_addresses=127.0.0.1 -c fsync=on"
      as_pg "$pg_bin/pg_ctl" -D "$cluster_dir/data" -o "$pg_opts" -l "$cluster_dir/postgres.log" start -w >/dev/null
      as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres tessera
      db_url="postgres://postgres@127.0.0.1:$pg_port/tessera"
      local ctl="$pg_bin/pg_ctl -D $cluster_dir/data"
      if [[ $(id -u) -eq 0 ]]; then ctl="runuser -u postgres -- $ctl"; fi
      extra=(--outage-at "$outage_at" --outage-for "$outage_for"
        --stop-cmd "$ctl stop -m fast -w"
        --start-cmd "$ctl -o '$pg_opts' -l $cluster_dir/postgres.log start -w")
      ;;
  esac
  start_server "$db_url" "$dir"
  local rc=0
  node "$bench/load-mixed.mjs" --url "$server_url" --pid "$server_pid" --admin-email "$admin_email" \
    --out "$dir" --duration "$duration" --clients "$clients" --label "$leg" --run-id "$leg$$" "${extra[@]}" \
    >"$dir/load.out" || rc=$?
  note_machine >"$dir/machine-after.txt"
  if ((rc == 2)); then
    log "leg $leg: the load generator failed to set up"
    status=1
  fi
  grep -cE 'panicked|thread .* panicked' "$dir/server.log" >"$dir/panics.txt" || true
  stop_server
  if [[ -f $dir/signed-up.txt ]]; then
    local all before=""
    all=$(count_signed_up "$dir" "$leg")
    {
      echo "## Rows after the run"
      echo
      echo "- sign-ups answered 200 found in the database: ${all% *} of ${all#* } (lost: $(( ${all#* } - ${all% *} )))"
      if [[ $leg == restart ]]; then
        local stop_ms
        stop_ms=$(node -e 'console.log(require(process.argv[1]).outage.stop_begin_ms)' "$dir/results.json")
        before=$(count_signed_up "$dir" "$leg" "$stop_ms")
        echo "- of them answered before the database was stopped: ${before% *} of ${before#* } (lost: $(( ${before#* } - ${before% *} )))"
      fi
      echo "- panics in the server log: $(cat "$dir/panics.txt")"
      echo
    } >>"$dir/summary.md"
    if [[ ${all% *} != "${all#* }" ]] || [[ -n $before && ${before% *} != "${before#* }" ]] || [[ $(cat "$dir/panics.txt") != 0 ]]; then
      echo "Rows check: FAIL" >>"$dir/summary.md"
      rc=1
    fi
  fi
  ((rc == 0)) || status=1
  cat "$dir/summary.md" >>"$out/summary.md"
  log "leg $leg: $( ((rc == 0)) && echo PASS || echo FAIL)"
  cleanup
}

IFS=, read -ra leg_list <<<"$legs"
for leg in "${leg_list[@]}"; do
  case "$leg" in
    sqlite | postgres | restart) run_leg "$leg" ;;
    *) log "unknown leg $leg"; exit 2 ;;
  esac
done
cat "$out/summary.md"
log "done: $out/summary.md"
exit "$status"
