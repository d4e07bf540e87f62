/**
 * One version for the npm package and the dbt package. `npm version <patch|minor|major|x.y.z>`
 * sets package.json (and its lock file), then runs this as its `version` script
 * (https://docs.npmjs.com/cli/v10/commands/npm-version), which
 *   - writes the same version into dbt_project.yml: `version`, and the stamp on the package's
 *     models that the runner compares with its own (`klaviyo_runner_version`);
 *   - turns CHANGELOG.md's `## Unreleased` section into `## <version> (<date>)` under a fresh,
 *     empty `## Unreleased`, refusing a release with nothing written there.
 * npm then commits the files and tags `v<version>`: the tag dbt users pin in packages.yml.
 * Runs in the directory it is given (default: the current one, the package root under npm).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export class ReleaseError extends Error {}

/** dbt_project.yml with both version fields set, or an error naming the field not found once. */
export function setDbtVersion(yaml: string, version: string): string {
  let out = yaml;
  for (const [what, pattern] of [
    ['version', /^version: "[^"]*"$/m],
    ['klaviyo_runner_version', /^(\s+klaviyo_runner_version: )"[^"]*"$/m],
  ] as const) {
    const global = new RegExp(pattern.source, 'gm');
    const hits = out.match(global)?.length ?? 0;
    if (hits !== 1)
      throw new ReleaseError(`dbt_project.yml: expected one \`${what}: "…"\` line, found ${hits}.`);
    out = out.replace(pattern, (line) => line.replace(/"[^"]*"$/, `"${version}"`));
  }
  return out;
}

const UNRELEASED = /^## Unreleased[ \t]*\n([\s\S]*?)(?=^## |(?![\s\S]))/m;

/** CHANGELOG.md with its Unreleased entries filed under the version, or an error if there are none. */
export function fileChangelog(changelog: string, version: string, date: string): string {
  const match = UNRELEASED.exec(changelog);
  if (match === null) throw new ReleaseError('CHANGELOG.md has no `## Unreleased` section.');
  const entries = match[1]!.trim();
  if (entries === '')
    throw new ReleaseError(
      'CHANGELOG.md: `## Unreleased` is empty. Write what changes for users there before releasing.',
    );
  if (new RegExp(`^## ${version.replaceAll('.', '\\.')}[ (]`, 'm').test(changelog))
    throw new ReleaseError(`CHANGELOG.md already has a section for ${version}.`);
  return changelog.replace(UNRELEASED, `## Unreleased\n\n## ${version} (${date})\n\n${entries}\n\n`);
}

export function release(root: string, date: string): string {
  const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
  const version = (JSON.parse(read('package.json')) as { version: string }).version;
  // Both files are checked before either is written, so a refusal changes nothing.
  const dbt = setDbtVersion(read('dbt_project.yml'), version);
  const changelog = fileChangelog(read('CHANGELOG.md'), version, date);
  writeFileSync(path.join(root, 'dbt_project.yml'), dbt);
  writeFileSync(path.join(root, 'CHANGELOG.md'), changelog);
  return version;
}

if (import.meta.filename === process.argv[1]) {
  try {
    const version = release(process.argv[2] ?? process.cwd(), new Date().toISOString().slice(0, 10));
    console.log(`dbt_project.yml and CHANGELOG.md now say ${version}.`);
  } catch (error) {
    if (!(error instanceof ReleaseError)) throw error;
    console.error(`version: ${error.message}`);
    process.exitCode = 1;
  }
}
