#!/usr/bin/env bash
# Two Tessera builds side by side, counted in instructions rather than timed: `valgrind
# --tool=callgrind` counts what the process executes, which does not depend on what else the
# machine is doing, so a few-percent change can be seen on a noisy VM where wall-clock req/s
# spreads by 16–40% (BENCHMARKS.md, "Plugins as units, before and after").
#
#   bench/callgrind-before-after.sh BIN_A BIN_B [--runs 3] [--requests 2000] [--sign-ins 4]
#                                   [--users 5000] [--skip-postgres] [--get-session-only]
#
# Every figure runs with all four built-in plugins on (their fields are what #12 moved into the
# field map), unless PLUGINS_A / PLUGINS_B say otherwise: the same binary twice with two plugin
# lists compares a plugin on and off (issue #13: `PLUGINS_B=admin,…,organization`). With the
# organization plugin on, the signed-in user creates an organization first, so its session has an
# active one. For each run and each binary in turn (A, B, A, B, …):
#   - get-session, SQLite and PostgreSQL: the server runs under callgrind; its counters are zeroed
#     once it listens and a user is signed in, then REQUESTS get-sessions are sent on one
#     keep-alive connection and the counters dumped: instructions per request.
#   - sign-in, SQLite: the same with SIGN_INS password sign-ins (scrypt is most of each).
#   - import: `tessera import clerk` of a generated USERS-user export into a fresh SQLite file,
#     the whole process under callgrind: instructions per imported user.
# Prints the median of each figure for A and B and B's change against A. Results:
# bench/results/<UTC time>-callgrind-before-after/{runs.tsv,summary.md}. Needs valgrind, curl,
# python3, psql (unless --skip-postgres).
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf '[callgrind %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

(( $# >= 2 )) || { log "usage: $0 BIN_A BIN_B [--runs N] [--requests N] [--sign-ins N] [--users N] [--skip-postgres]"; exit 1; }
bin_a="$(realpath "$1")" bin_b="$(realpath "$2")"
shift 2
runs=3 requests=2000 sign_ins=4 users=5000 postgres=1 only_get_session=0
while (( $# )); do
  case "$1" in
    --runs) runs="$2"; shift ;;
    --requests) requests="$2"; shift ;;
    --sign-ins) sign_ins="$2"; shift ;;
    --users) users="$2"; shift ;;
    --skip-postgres) postgres=0 ;;
    --get-session-only) only_get_session=1 ;;
    *) log "unknown argument $1"; exit 1 ;;
  esac
  shift
done
command -v valgrind >/dev/null || { log "valgrind not found: apt-get install -y valgrind"; exit 1; }

out="$bench/results/$(date -u +%Y-%m-%dT%H-%M-%SZ)-callgrind-before-after"
work="$(mktemp -d /tmp/tessera-callgrind.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
port=4592
url="http://127.0.0.1:$port"
password="correct horse battery staple"
export TESSERA_LISTEN="127.0.0.1:$port" BETTER_AUTH_URL="$url" NODE_ENV=production \
  BETTER_AUTH_SECRET="bench-secret-0123456789abcdef0123456789abcdef" TESSERA_RATE_LIMIT=off \
  TESSERA_LOG=warn
four_plugins="admin,two-factor,username,phone-number"
plugins_a="${PLUGINS_A:-$four_plugins}" plugins_b="${PLUGINS_B:-$four_plugins}"
printf 'run\tbinary\tfigure\tinstructions\tunits\tper_unit\n' >"$out/runs.tsv"

# The instruction total of a callgrind dump.
total() { sed -n 's/^summary: \([0-9]*\).*/\1/p; s/^totals: \([0-9]*\).*/\1/p' "$1" | head -n1; }

# Sends COUNT requests on one keep-alive connection; every answer must be a 200.
drive() {
  python3 - "$port" "$@" <<'PY'
import http.client, json, sys
port, kind, count, secret = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
for _ in range(count):
    if kind == "get-session":
        conn.request("GET", "/api/auth/get-session", headers={"cookie": f"better-auth.session_token={secret}"})
    else:
        body = json.dumps({"email": "bench0@example.com", "password": secret})
        conn.request("POST", "/api/auth/sign-in/email", body=body,
                     headers={"content-type": "application/json", "origin": f"http://127.0.0.1:{port}"})
    res = conn.getresponse()
    data = res.read()
    if res.status != 200 or data == b"null":
        sys.exit(f"{kind}: {res.status} {data[:200]!r}")
PY
}

# One server figure: BIN on DATABASE_URL under callgrind; KIND requests counted.
serve_figure() {
  local run="$1" name="$2" bin="$3" database_url="$4" figure="$5" kind="$6" count="$7"
  export TESSERA_DATABASE_URL="$database_url"
  "$bin" migrate >/dev/null 2>&1
  local tag="$run-$name-$figure"
  valgrind --tool=callgrind --callgrind-out-file="$work/$tag.%p" "$bin" serve >"$work/$tag.log" 2>&1 &
  local server=$!
  for _ in $(seq 600); do grep -qs "listening on " "$work/$tag.log" && break; sleep 0.2; done
  grep -q "listening on " "$work/$tag.log" || { log "$tag: the server did not start"; cat "$work/$tag.log" >&2; exit 1; }
  local cookie
  cookie="$(curl -sf -D - -o /dev/null -H 'content-type: application/json' -H "origin: $url" \
    -d "{\"email\":\"bench0@example.com\",\"password\":\"$password\",\"name\":\"Bench\"}" \
    "$url/api/auth/sign-up/email" | sed -n 's/^[Ss]et-[Cc]ookie: better-auth.session_token=\([^;]*\).*/\1/p')"
  [[ -n $cookie ]] || { log "$tag: sign-up gave no session cookie"; kill "$server"; exit 1; }
  if [[ ,$TESSERA_PLUGINS, == *,organization,* ]]; then
    curl -sf -o /dev/null -H 'content-type: application/json' -H "origin: $url" \
      -H "cookie: better-auth.session_token=$cookie" -d '{"name":"Bench","slug":"bench"}' \
      "$url/api/auth/organization/create" || { log "$tag: organization/create failed"; kill "$server"; exit 1; }
  fi
  # One request of each kind first, so lazy first-use work is not counted.
  if [[ $kind == get-session ]]; then drive get-session 1 "$cookie"; else drive sign-in 1 "$password"; fi
  callgrind_control -z "$server" >/dev/null 2>&1
  if [[ $kind == get-session ]]; then drive get-session "$count" "$cookie"; else drive sign-in "$count" "$password"; fi
  callgrind_control -d "$server" >/dev/null 2>&1
  kill "$server"; wait "$server" 2>/dev/null || true
  local dump
  dump="$(ls "$work/$tag".*.1 2>/dev/null | head -n1)"
  [[ -n $dump ]] || { log "$tag: no callgrind dump"; exit 1; }
  local ir
  ir="$(total "$dump")"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$name" "$figure" "$ir" "$count" "$((ir / count))" >>"$out/runs.tsv"
  log "$tag: $((ir / count)) instructions per request"
  rm -f "$work/$tag".*
}

if (( ! only_get_session )); then
  log "generating a $users-user Clerk export"
  "$bin_a" example clerk-export --dir "$work/export" --users "$users" >/dev/null
fi

for (( run = 1; run <= runs; run++ )); do
  for name in A B; do
    bin="$bin_a"; export TESSERA_PLUGINS="$plugins_a"
    [[ $name == B ]] && { bin="$bin_b"; export TESSERA_PLUGINS="$plugins_b"; }
    db="$work/$run-$name.db"
    serve_figure "$run" "$name" "$bin" "sqlite://$db" get-session-sqlite get-session "$requests"
    rm -f "$db"*
    if (( ! only_get_session )); then
      serve_figure "$run" "$name" "$bin" "sqlite://$db" sign-in-sqlite sign-in "$sign_ins"
      rm -f "$db"*
    fi
    if (( postgres )); then
      pg="callgrind_${name,,}_$$"
      psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $pg" -c "CREATE DATABASE $pg" test
      serve_figure "$run" "$name" "$bin" "postgres://postgres@127.0.0.1:5432/$pg" get-session-postgres get-session "$requests"
      psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $pg WITH (FORCE)" test
    fi
    (( only_get_session )) && continue
    export TESSERA_DATABASE_URL="sqlite://$db"
    "$bin" migrate >/dev/null 2>&1
    # A binary that refuses losses is told to accept them all, so both sides import the same rows.
    allow=()
    if "$bin" import clerk --help 2>&1 | grep -q -- --allow-loss; then
      allow=(--allow-loss usernames,phones,totp,bans,organizations,no-way-in)
    fi
    valgrind --tool=callgrind --callgrind-out-file="$work/import.%p" "$bin" import clerk \
      --csv "$work/export/exported_users.csv" --snapshot "$work/export/users.json" \
      --report "$work/report.json" --extras "$work/extras.ndjson" "${allow[@]}" >"$work/import.log" 2>&1
    dump="$(ls "$work"/import.* | grep -v '\.log$' | head -n1)"
    ir="$(total "$dump")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$name" import-sqlite "$ir" "$users" "$((ir / users))" >>"$out/runs.tsv"
    log "$run-$name-import: $((ir / users)) instructions per user"
    rm -f "$work"/import.* "$db"* "$work/report.json" "$work/extras.ndjson"
  done
done

python3 - "$out/runs.tsv" "$bin_a" "$bin_b" "$plugins_a" "$plugins_b" >"$out/summary.md" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
print(f"A: {sys.argv[2]} (plugins {sys.argv[4]})\n\nB: {sys.argv[3]} (plugins {sys.argv[5]})\n")
print("| figure | A instructions/unit | B instructions/unit | B vs A | A spread | B spread |")
print("|---|---:|---:|---:|---|---|")
for figure in dict.fromkeys(r["figure"] for r in rows):
    vals = lambda name: [int(r["per_unit"]) for r in rows if r["figure"] == figure and r["binary"] == name]
    a, b = statistics.median(vals("A")), statistics.median(vals("B"))
    spread = lambda v: f"{min(v):,}–{max(v):,}"
    print(f"| {figure} | {a:,.0f} | {b:,.0f} | {100 * (b - a) / a:+.2f}% | {spread(vals('A'))} | {spread(vals('B'))} |")
print(f"\nmedians of {len({r['run'] for r in rows})} runs, A and B alternating")
PY
cat "$out/summary.md"
log "results in $out"
