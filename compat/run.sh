#!/usr/bin/env bash
# Runs the compat suite: the unmodified better-auth npm client against a server, plus interop.
#
#   compat/run.sh [--target better-auth|tessera] [--db sqlite|postgres] [test/file.test.mjs …]
#
# Flags override COMPAT_TARGET / COMPAT_DB (defaults: better-auth, sqlite). PostgreSQL needs
# TESSERA_TEST_POSTGRES_URL (one database is created and dropped per test file). The tessera
# target runs $TESSERA_BIN (default: target/debug/tessera of this repo).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

files=()
while (($#)); do
  case $1 in
    --target) COMPAT_TARGET=$2; shift 2 ;;
    --target=*) COMPAT_TARGET=${1#*=}; shift ;;
    --db) COMPAT_DB=$2; shift 2 ;;
    --db=*) COMPAT_DB=${1#*=}; shift ;;
    -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
  esac
done
export COMPAT_TARGET=${COMPAT_TARGET:-better-auth}
export COMPAT_DB=${COMPAT_DB:-sqlite}

case $COMPAT_TARGET in better-auth | tessera) ;; *) echo "run.sh: --target must be better-auth or tessera" >&2; exit 2 ;; esac
case $COMPAT_DB in sqlite | postgres) ;; *) echo "run.sh: --db must be sqlite or postgres" >&2; exit 2 ;; esac
if [[ $COMPAT_DB == postgres && -z ${TESSERA_TEST_POSTGRES_URL:-} ]]; then
  echo "run.sh: --db postgres needs TESSERA_TEST_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/test)" >&2
  exit 2
fi
if [[ $COMPAT_TARGET == tessera ]]; then
  bin=${TESSERA_BIN:-../target/debug/tessera}
  if [[ ! -x $bin ]]; then
    echo "run.sh: Tessera binary not found at $bin (cargo build -p tessera-cli, or set TESSERA_BIN)" >&2
    exit 2
  fi
  export TESSERA_BIN=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
fi

bash ./setup.sh

if ((${#files[@]} == 0)); then files=(test/*.test.mjs); fi
echo "compat: target=$COMPAT_TARGET db=$COMPAT_DB files=${#files[@]}"
# Two files at a time: each runs its own server, and scrypt keeps a core busy per sign-in.
exec node --test --test-reporter=spec --test-concurrency="${COMPAT_CONCURRENCY:-2}" "${files[@]}"
