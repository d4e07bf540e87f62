/**
 * The runner's own version, read from the package.json it ships in (one level above both the
 * sources in runner/ and the compiled dist/), so the number lives in one file and
 * `npm version` bumps it. The dbt package carries the same number in dbt_project.yml
 * (scripts/version.ts keeps the two together; README, "Releasing").
 */
import { readFileSync } from 'node:fs';

/** The dbt package's name (dbt_project.yml `name`), as nodes of the manifest carry it. */
export const DBT_PACKAGE_NAME = 'klaviyo_runner';

function readPackageVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  const version = (JSON.parse(text) as { version?: unknown }).version;
  if (typeof version !== 'string') throw new Error('package.json of klaviyo-runner has no version');
  return version;
}

export const RUNNER_VERSION = readPackageVersion();
