#!/usr/bin/env bash
# Does the bound on concurrent password hashes (and so on memory) hold when clients give up?
# N sign-ins (default 60) are sent 10 ms apart. Each client disconnects after CLIENT_TIMEOUT
# seconds (default 0.03, while its hash is queued or running). VmRSS and the thread count are
# sampled every 20 ms for 3 s. The server is Tessera (default) or real Better Auth, on a fresh
# SQLite database; one user is seeded.
#
#   bench/cancel-rss.sh [tessera|better-auth]          N=60 CLIENT_TIMEOUT=0.03 by environment
#   CLIENT_TIMEOUT=10 bench/cancel-rss.sh              the control: clients wait for the answer
#
# Prints VmRSS/VmHWM/Threads before and after, and the highest sampled VmRSS.
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$bench")"
server="${1:-tessera}"
n="${N:-60}"
client_timeout="${CLIENT_TIMEOUT:-0.03}"
(( n >= 1 && n <= 500 )) || { echo "N must be in 1..500" >&2; exit 1; }
out="$(mktemp -d /tmp/tessera-cancel-rss.XXXXXX)"
port=4482
url="http://127.0.0.1:$port"
secret="bench-secret-0123456789abcdef0123456789abcdef0123456789abcdef01"

case "$server" in
  tessera)
    export TESSERA_DATABASE_URL="sqlite://$out/c.db" TESSERA_LISTEN="127.0.0.1:$port" \
      BETTER_AUTH_URL="$url" BETTER_AUTH_SECRET="$secret" TESSERA_RATE_LIMIT=off NODE_ENV=production
    "$repo/target/release/tessera" migrate 2>/dev/null
    "$repo/target/release/tessera" serve 2>"$out/server.log" &
    ;;
  better-auth)
    DATABASE_URL="sqlite://$out/c.db" HOST=127.0.0.1 PORT="$port" BETTER_AUTH_URL="$url" \
      BETTER_AUTH_SECRET="$secret" TESSERA_RATE_LIMIT=off NODE_ENV=production \
      node "$repo/compat/server/better-auth-server.mjs" --migrate >"$out/server.log" 2>&1 &
    ;;
  *) echo "server: tessera or better-auth" >&2; exit 1 ;;
esac
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 200); do grep -q "listening on " "$out/server.log" && break; sleep 0.1; done

body='{"email":"cancel@example.com","password":"correct horse battery staple","name":"C"}'
curl -sf -o /dev/null -H 'content-type: application/json' -H "origin: $url" -d "$body" "$url/api/auth/sign-up/email"
sleep 1
show() { grep -E '^(VmRSS|VmHWM|Threads)' "/proc/$pid/status" | tr -s ' \t' ' ' | tr '\n' ' '; echo; }
echo "$server, $n sign-ins, clients give up after ${client_timeout}s"
echo "before: $(show)"
(for _ in $(seq 150); do grep -E '^VmRSS' "/proc/$pid/status" | tr -s ' \t' ' '; sleep 0.02; done) >"$out/samples" &
sampler=$!
clients=()
for _ in $(seq "$n"); do
  curl -s -o /dev/null --max-time "$client_timeout" -H 'content-type: application/json' -H "origin: $url" \
    -d "$body" "$url/api/auth/sign-in/email" &
  clients+=("$!")
  sleep 0.01
done
wait "$sampler"
wait "${clients[@]}" || true
echo "after:  $(show)"
echo "highest sampled VmRSS: $(awk '{ print $2 }' "$out/samples" | sort -n | tail -1) kB"
