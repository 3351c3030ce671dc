#!/usr/bin/env bash
# The Better Auth guide's Clerk migration script (migrate-clerk.mjs, on Node with real
# better-auth 1.7.25 and SQLite) against `tessera import clerk`, on the same generated export, the
# same machine, in the same run. Both read the users from one local stand-in for Clerk's Backend
# API (clerk-api.mjs) serving the export's snapshot; each writes a fresh SQLite file.
#
#   bench/guide-script/compare.sh [--users N] [--runs R] [--no-build]
#
# Timing, chosen to favour the guide: the guide's seconds are measured inside its script (from
# reading the CSV to the last user, after Node has started and Better Auth has created the
# schema); Tessera's are the whole `tessera import clerk` process (start, API listing, import),
# with `tessera migrate` run before it. Prints users/s of each run, the medians and their ratio.
# Needs Node 20 and compat/node_modules (`ln -sfn /work/main/compat/node_modules compat/node_modules`).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
users=10000
runs=3
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --users) users="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

bin="$root/target/release/tessera"
if [ "$build" = 1 ]; then
  (cd "$root" && cargo build --release -p tessera-cli)
fi
[ -x "$bin" ] || { echo "no $bin: build it or drop --no-build" >&2; exit 2; }
[ -d "$root/compat/node_modules/better-auth" ] || {
  echo "compat/node_modules is missing: ln -sfn /work/main/compat/node_modules compat/node_modules (or npm ci in compat/)" >&2
  exit 2
}

export_dir="$root/target/bench-import/clerk-$users"
if [ ! -f "$export_dir/.complete" ]; then
  rm -rf "$export_dir"
  "$bin" example clerk-export --dir "$export_dir" --users "$users"
  touch "$export_dir/.complete"
fi

work="$(mktemp -d)"
api_pid=""
cleanup() {
  [ -n "$api_pid" ] && kill "$api_pid" 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

node "$here/clerk-api.mjs" "$export_dir/users.json" 0 > "$work/api.out" &
api_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/api.out" 2> /dev/null && break
  sleep 0.1
done
api_url="$(sed -n 's/^listening on //p' "$work/api.out")"
[ -n "$api_url" ] || { echo "the Clerk API stand-in did not start" >&2; exit 1; }

export BETTER_AUTH_SECRET="guide-compare-secret-0123456789abcdef0123"
export CLERK_SECRET_KEY="sk_test_stand_in"
results="$work/results.tsv"
: > "$results"
echo "$users users, $runs runs each; Clerk API stand-in at $api_url; load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $(seq 1 "$runs"); do
  rm -f "$work"/guide.db*
  line="$(GUIDE_KEEP_GOING=1 CSV="$export_dir/exported_users.csv" CLERK_API_URL="$api_url" \
    DB="$work/guide.db" node "$here/migrate-clerk.mjs" 2> "$work/guide.err" | tail -1)"
  guide_s="$(node -e 'const r = JSON.parse(process.argv[1]); if (!r.rows) process.exit(1); console.log(r.seconds)' "$line")" || {
    echo "the guide's script failed: $line" >&2
    cat "$work/guide.err" >&2
    exit 1
  }
  guide_failed="$(node -e 'console.log(JSON.parse(process.argv[1]).failed)' "$line")"

  rm -f "$work"/tessera.db*
  export TESSERA_DATABASE_URL="sqlite://$work/tessera.db"
  TESSERA_PLUGINS="admin,two-factor,username,phone-number" TESSERA_LOG=warn "$bin" migrate > /dev/null 2>&1
  start="$(date +%s.%N)"
  status=0
  # Every loss accepted (no social provider here): the check before writing is a second
  # planning pass, skipped so that the figures time the import alone, as before issue #14.
  TESSERA_PLUGINS="admin,two-factor,username,phone-number" TESSERA_LOG=warn "$bin" import clerk \
    --csv "$export_dir/exported_users.csv" --clerk-api-url "$api_url" \
    --save-snapshot "$work/snapshot.json" --report "$work/report.json" --extras "$work/extras.ndjson" \
    --allow-loss usernames,phones,totp,bans,organizations,no-way-in \
    > "$work/tessera.out" 2> "$work/tessera.err" || status=$?
  end="$(date +%s.%N)"
  [ "$status" -le 1 ] || { echo "tessera import failed ($status)" >&2; cat "$work/tessera.err" >&2; exit 1; }
  tessera_s="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')"
  tessera_users="$(awk '/^ +inserted/ { print $2; exit }' "$work/tessera.out")"
  printf '%s\t%s\t%s\n' "$n" "$guide_s" "$tessera_s" >> "$results"
  awk -v n="$n" -v u="$users" -v g="$guide_s" -v t="$tessera_s" -v gf="$guide_failed" -v tu="$tessera_users" 'BEGIN {
    printf "run %d: guide %8.2f s = %8.1f users/s (%d rows failed and were skipped) | tessera %6.3f s = %9.0f users/s (%d users inserted) | %.0fx\n",
      n, g, u / g, gf, t, u / t, tu, (u / t) / (u / g)
  }'
done
awk -F'\t' -v u="$users" '
  { g[NR] = $2; t[NR] = $3 }
  function median(a, n,   i, j, x) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    mg = median(g, NR); mt = median(t, NR)
    printf "median: guide %.1f users/s, tessera %.0f users/s, ratio %.0fx (target: at least 100x)\n", u / mg, u / mt, mg / mt
  }' "$results"
