#!/usr/bin/env bash
# The check before a release: test/sync-snowflake.test.ts, the same end-to-end test `npm test` runs
# on the emulator, against a real Snowflake account. It builds the demo into a schema named for
# the run (KR_E2E_xxxx, with KR_STATE_xxxx and KR_SOURCE_xxxx beside it) and drops them at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -n "${SNOWFLAKE_ACCOUNT:-}" ] || missing+=(SNOWFLAKE_ACCOUNT)
[ -n "${SNOWFLAKE_USER:-}" ] || missing+=(SNOWFLAKE_USER)
if [ -z "${SNOWFLAKE_PRIVATE_KEY_PATH:-}" ] && [ -z "${SNOWFLAKE_PASSWORD:-}" ]; then
  missing+=("SNOWFLAKE_PRIVATE_KEY_PATH or SNOWFLAKE_PASSWORD")
fi
if [ "${#missing[@]}" -gt 0 ]; then
  {
    echo "test:snowflake runs the end-to-end test against a real Snowflake account. Set:"
    printf '  %s\n' "${missing[@]}"
    echo "and optionally SNOWFLAKE_PRIVATE_KEY_PASSPHRASE, SNOWFLAKE_ROLE, SNOWFLAKE_WAREHOUSE,"
    echo "SNOWFLAKE_DATABASE (default KLAVIYO_RUNNER_CI; the role must create schemas in it)."
  } >&2
  exit 2
fi

bash scripts/setup.sh
SNOWFLAKE_E2E=account exec npx vitest run --config vitest.emulator.config.ts
