#!/usr/bin/env bash
# The main job on the embedded default: dbt build on DuckDB with the demo data, a local Klaviyo
# sandbox, `klaviyo-runner sync`, and the summary. `npm run demo` runs scripts/setup.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --import tsx scripts/demo.ts "$@"
