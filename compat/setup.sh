#!/usr/bin/env bash
# Installs compat/'s pinned npm packages and builds better-sqlite3's native addon from source
# (its install script would download a prebuilt binary, which cannot be fetched here).
# Idempotent: a stamp records the lockfile and Node version it was built for; a rerun with both
# unchanged and a loadable addon returns at once.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

log() { printf 'compat/setup: %s\n' "$*" >&2; }

# The local OpenID Connect provider of test/social.test.mjs (its own lockfile and stamp).
bash oidc/setup.sh

stamp=node_modules/.compat-setup-stamp
want="$(sha256sum package-lock.json | cut -d' ' -f1) $(node --version)"
addon_loads() { node -e 'new (require("better-sqlite3"))(":memory:").close()' 2>/dev/null; }

if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]] && addon_loads; then
  exit 0
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if (( node_major < 20 )); then
  log "Node >= 20 required (have $(node --version))"
  exit 1
fi

log "npm ci"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

# A C++ toolchain and Python are what node-gyp needs; install them if this machine lacks them.
if ! command -v make >/dev/null || ! command -v g++ >/dev/null || ! command -v python3 >/dev/null; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing build tools (make, g++, python3)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential python3 >/dev/null
  else
    log "need make, g++ and python3 to build better-sqlite3"
    exit 1
  fi
fi

# Node's headers: the distribution's, so node-gyp does not try to download them.
nodedir=""
for candidate in "$(dirname "$(dirname "$(command -v node)")")" /usr /usr/local; do
  if [[ -f $candidate/include/node/node.h ]]; then nodedir=$candidate; break; fi
done
if [[ -z $nodedir ]]; then
  log "Node headers (include/node/node.h) not found next to node, in /usr or /usr/local"
  exit 1
fi

gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
if [[ ! -f $gyp ]]; then
  log "npm's bundled node-gyp not found at $gyp"
  exit 1
fi

log "building better-sqlite3 from source (about a minute)"
buildlog=node_modules/.better-sqlite3-build.log
if ! (cd node_modules/better-sqlite3 && node "$gyp" rebuild --release --nodedir="$nodedir" --jobs="$(nproc)") >"$buildlog" 2>&1; then
  tail -n 60 "$buildlog" >&2
  log "native build failed (full log: compat/$buildlog)"
  exit 1
fi

if ! addon_loads; then
  log "better-sqlite3 was built but does not load"
  exit 1
fi
printf '%s' "$want" >"$stamp"
log "ready"
