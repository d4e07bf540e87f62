#!/usr/bin/env bash
# Installs everything this repository needs on a fresh machine, and nothing when it is all there:
#   1. node_modules from package-lock.json (npm ci), redone when the lock file changes;
#   2. a Python virtual environment in .venv with the pinned dbt-core + dbt-duckdb of
#      requirements.txt, redone when that file changes.
# Re-running it on an installed checkout takes well under a second.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

say() { printf 'setup: %s\n' "$*" >&2; }

hash_of() { sha256sum "$@" | sha256sum | cut -c1-16; }

# --- Node ---------------------------------------------------------------------------------------
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  say "Node $(node --version) is too old: klaviyo-runner needs Node 20.19 or newer."
  exit 1
fi
lock_hash="$(hash_of package-lock.json)"
if [ ! -f node_modules/.setup-stamp ] || [ "$(cat node_modules/.setup-stamp)" != "$lock_hash" ]; then
  say "installing Node packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.setup-stamp
fi

# --- Python / dbt -------------------------------------------------------------------------------
python="${PYTHON:-python3}"
req_hash="$(hash_of requirements.txt)"
if [ ! -x .venv/bin/dbt ] || [ ! -f .venv/.setup-stamp ] || [ "$(cat .venv/.setup-stamp)" != "$req_hash" ]; then
  say "creating .venv with dbt-core and dbt-duckdb (requirements.txt)"
  "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
  echo "$req_hash" > .venv/.setup-stamp
fi
