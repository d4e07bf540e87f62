#!/usr/bin/env bash
# Lints the GitHub Action and the workflows with actionlint (https://github.com/rhysd/actionlint),
# the version scripts/setup.sh pins and builds into .tools/bin. actionlint checks action.yml
# through .github/workflows/ci.yml, which uses it as a local action (`uses: ./`): its metadata and
# every input the workflow passes. The example workflows are linted as the workflows they are.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
pinned="$(sed -n 's/^actionlint_version="\(.*\)"$/\1/p' scripts/setup.sh)"
bin=".tools/bin/actionlint"
if [ ! -x "$bin" ] || [ "$("$bin" -version | head -n 1)" != "$pinned" ]; then
  echo "lint-actions: actionlint $pinned is not installed in .tools/bin; run \`bash scripts/setup.sh\` (it needs Go 1.22 or newer)." >&2
  exit 1
fi
"$bin" -no-color .github/workflows/*.yml examples/github/klaviyo-plan.yml examples/github/klaviyo-sync.yml
