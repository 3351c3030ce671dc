#!/usr/bin/env bash
# Real Better Auth behind Tessera's command-line contract, so the harness's Tessera code path
# (migrate, then serve; TESSERA_* environment; readiness line on stderr) can be checked before
# Tessera exists:
#
#   TESSERA_BIN=scripts/better-auth-as-tessera.sh ./run.sh --target tessera
#
# This is NOT Tessera. A green run with it proves the harness, not the server.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${TESSERA_DATABASE_URL:?}" "${TESSERA_LISTEN:?}"
export DATABASE_URL=$TESSERA_DATABASE_URL
export HOST=${TESSERA_LISTEN%:*} PORT=${TESSERA_LISTEN##*:}
export NODE_ENV=production
case ${1:-} in
  migrate) exec node "$here/server/better-auth-server.mjs" --migrate-only ;;
  # Tessera may announce readiness on stderr; send the line there to exercise that path.
  serve) exec node "$here/server/better-auth-server.mjs" 1>&2 ;;
  *) echo "usage: $0 migrate|serve" >&2; exit 2 ;;
esac
