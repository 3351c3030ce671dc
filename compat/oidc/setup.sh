#!/usr/bin/env bash
# Installs the local OpenID Connect provider the social sign-in tests run (oidc-provider, pinned by
# package-lock.json). Idempotent: a stamp records the lockfile it was installed from.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
stamp=node_modules/.oidc-setup-stamp
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
printf '%s' "$want" >"$stamp"
echo "compat/oidc/setup: ready" >&2
