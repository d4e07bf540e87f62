#!/usr/bin/env bash
# Lints the package's SQL (models, macros, generic tests) with sqlfluff, the version
# requirements.txt pins and scripts/setup.sh installs into .venv; the rules are in .sqlfluff.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
pinned="$(sed -n 's/^sqlfluff==\(.*\)$/\1/p' requirements.txt)"
bin=".venv/bin/sqlfluff"
if [ ! -x "$bin" ] || [ "$("$bin" --version)" != "sqlfluff, version $pinned" ]; then
  echo "lint-sql: sqlfluff $pinned is not installed in .venv; run \`bash scripts/setup.sh\`." >&2
  exit 1
fi
"$bin" lint models macros tests --nocolor --disable-progress-bar
