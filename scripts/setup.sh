#!/usr/bin/env bash
# Installs everything this repository needs on a fresh machine, and nothing when it is all there:
#   1. node_modules from package-lock.json (npm ci), redone when the lock file changes;
#   2. a Python virtual environment in .venv with the pinned dbt-core + dbt-duckdb of
#      requirements.txt, redone when that file changes;
#   3. Klaviyo's OpenAPI description for the contract tests, cached in .cache/ when no copy is found;
#   4. actionlint, pinned, built with Go into .tools/bin for `npm run check` (skipped without Go).
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

# --- Klaviyo's OpenAPI description (the contract tests) -----------------------------------------
# Never copied into the repository. Found by test/helpers/openapi-contract.ts in KLAVIYO_OPENAPI,
# beside the repository, or in .cache/, where it is downloaded once from Klaviyo's public
# repository at the pinned revision. A failed download is not fatal here: the contract tests
# then fail with one message saying how to get the file.
spec_cache=".cache/klaviyo-openapi-2026-07-15.json"
if [ -z "${KLAVIYO_OPENAPI:-}" ] && [ ! -f ../shared/klaviyo/openapi-stable.json ] && [ ! -f "$spec_cache" ]; then
  say "downloading Klaviyo's OpenAPI description (revision 2026-07-15) into $spec_cache"
  mkdir -p .cache
  if curl -fsSL --max-time 60 -o "$spec_cache.part" \
    https://raw.githubusercontent.com/klaviyo/openapi/2026-07-15/openapi/stable.json; then
    mv "$spec_cache.part" "$spec_cache"
  else
    rm -f "$spec_cache.part"
    say "could not download it; the contract tests will say how to provide it (KLAVIYO_OPENAPI)"
  fi
fi

# --- actionlint (npm run check lints action.yml and the workflows) ------------------------------
# A Go program: built from the Go module proxy at the pinned version into .tools/bin (ignored by
# git). Without Go the rest of the setup still works; scripts/lint-actions.sh says what is missing.
actionlint_version="v1.7.12"
if [ ! -x .tools/bin/actionlint ] || [ "$(.tools/bin/actionlint -version | head -n 1)" != "$actionlint_version" ]; then
  if command -v go > /dev/null; then
    say "building actionlint $actionlint_version into .tools/bin"
    if ! GOBIN="$root/.tools/bin" go install "github.com/rhysd/actionlint/cmd/actionlint@$actionlint_version"; then
      say "could not build actionlint (is the Go module proxy reachable?); npm run check will say so"
    fi
  else
    say "Go is not installed: skipping actionlint (npm run check needs it; https://go.dev/dl/)"
  fi
fi
