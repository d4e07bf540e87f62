/**
 * One version for the npm package and the dbt package, bumped by one command; `--version` says
 * it; an older Node is refused with one line.
 */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KLAVIYO_REVISION } from '../runner/klaviyo/revision.ts';
import { repoRoot, run, runCli } from './helpers/dbt.ts';

const readRepo = (file: string) => readFile(path.join(repoRoot, file), 'utf8');
const pkg = JSON.parse(await readRepo('package.json')) as { version: string; engines: { node: string } };

describe('versions', () => {
  it('are one: package.json, dbt_project.yml, its model stamp and a CHANGELOG section', async () => {
    const dbt = await readRepo('dbt_project.yml');
    expect(/^version: "([^"]+)"$/m.exec(dbt)?.[1]).toBe(pkg.version);
    expect(/^\s+klaviyo_runner_version: "([^"]+)"$/m.exec(dbt)?.[1]).toBe(pkg.version);
    const changelog = await readRepo('CHANGELOG.md');
    expect(changelog).toMatch(/^## Unreleased$/m);
    expect(changelog).toMatch(new RegExp(`^## ${pkg.version.replaceAll('.', '\\.')}( |$)`, 'm'));
  });

  it('--version prints the runner, the Klaviyo API revision, the manifest schema and the dbt package', async () => {
    const ran = await runCli(['--version']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toBe(
      [
        `klaviyo-runner ${pkg.version}`,
        `Klaviyo API revision: ${KLAVIYO_REVISION}`,
        'dbt manifest: v12',
        `dbt package: klaviyo_runner ${pkg.version}`,
        '',
      ].join('\n'),
    );
  });

  it('an older Node than engines allows is refused with one line and exit code 2', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kr-node-'));
    const preload = path.join(dir, 'old-node.mjs');
    await writeFile(
      preload,
      "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.18.9' } });\n",
    );
    const ran = await run(
      process.execPath,
      ['--import', preload, path.join(repoRoot, 'bin', 'klaviyo-runner.js'), 'validate'],
      { cwd: dir },
    );
    expect(pkg.engines.node).toBe('>=20.19.0');
    expect(ran.code).toBe(2);
    expect(ran.stdout).toBe('');
    expect(ran.stderr).toBe(
      `klaviyo-runner ${pkg.version} needs Node 20.19.0 or newer; this is Node 20.18.9.\n`,
    );
  });
});

describe('npm version (scripts/version.ts)', () => {
  async function releaseCopy(changelog: string) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kr-release-'));
    await cp(path.join(repoRoot, 'dbt_project.yml'), path.join(dir, 'dbt_project.yml'));
    await writeFile(path.join(dir, 'CHANGELOG.md'), changelog);
    // What `npm version 0.2.0` has done by the time it runs the `version` script.
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ ...pkg, version: '0.2.0' }));
    const ran = await run(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'scripts', 'version.ts'), dir],
      { cwd: repoRoot },
    );
    const read = (file: string) => readFile(path.join(dir, file), 'utf8');
    return { ran, dbt: await read('dbt_project.yml'), changelog: await read('CHANGELOG.md') };
  }

  it('sets the dbt package to the new version and files the Unreleased entries under it', async () => {
    const { ran, dbt, changelog } = await releaseCopy(
      '# Changelog\n\n## Unreleased\n\n- Faster validate.\n- A new flag.\n\n## 0.1.0\n\n- First.\n',
    );
    expect(ran.code, ran.stderr).toBe(0);
    expect(/^version: "([^"]+)"$/m.exec(dbt)?.[1]).toBe('0.2.0');
    expect(/^\s+klaviyo_runner_version: "([^"]+)"$/m.exec(dbt)?.[1]).toBe('0.2.0');
    expect(changelog).toMatch(
      /^# Changelog\n\n## Unreleased\n\n## 0\.2\.0 \(\d{4}-\d{2}-\d{2}\)\n\n- Faster validate\.\n- A new flag\.\n\n## 0\.1\.0\n\n- First\.\n$/,
    );
  });

  it('refuses a release with nothing under Unreleased, and changes no file', async () => {
    const before = '# Changelog\n\n## Unreleased\n\n## 0.1.0\n\n- First.\n';
    const { ran, dbt, changelog } = await releaseCopy(before);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain('`## Unreleased` is empty');
    expect(changelog).toBe(before);
    expect(dbt).toBe(await readRepo('dbt_project.yml'));
  });
});
