import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConnection, renderEnvVars } from './profiles.ts';

describe('profiles.yml', () => {
  it('renders env_var with and without a default, and names a missing one', () => {
    expect(
      renderEnvVars(`a: "{{ env_var('A') }}"\nb: "{{ env_var('B', 'dflt') }}"`, { A: 'x' }, 'profiles.yml'),
    ).toBe('a: "x"\nb: "dflt"');
    expect(() => renderEnvVars(`a: "{{ env_var('MISSING') }}"`, {}, 'profiles.yml')).toThrow(
      'profiles.yml uses environment variables that are not set and have no default: MISSING.',
    );
  });

  it('reads the duckdb and snowflake targets of the project profile', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kr-profiles-'));
    await writeFile(path.join(dir, 'dbt_project.yml'), 'name: shop\nprofile: shop\n');
    await writeFile(
      path.join(dir, 'profiles.yml'),
      `shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: "{{ env_var('DB', 'dev.duckdb') }}"\n    prod:\n      type: snowflake\n      account: acme\n      user: "{{ env_var('SF_USER') }}"\n      password: secret\n      database: ANALYTICS\n      schema: KLAVIYO\n`,
    );
    expect((await readConnection({ projectDir: dir, env: {} })).connection).toEqual({
      type: 'duckdb',
      path: path.join(dir, 'dev.duckdb'),
    });
    expect(
      (await readConnection({ projectDir: dir, target: 'prod', env: { SF_USER: 'loader' } })).connection,
    ).toMatchObject({
      type: 'snowflake',
      account: 'acme',
      user: 'loader',
      database: 'ANALYTICS',
      schema: 'KLAVIYO',
    });
    await expect(readConnection({ projectDir: dir, target: 'qa', env: {} })).rejects.toThrow(
      `${path.join(dir, 'profiles.yml')}: profile \`shop\` has no target \`qa\` (it has dev, prod).`,
    );
  });
});

describe('profiles.yml as untrusted input', () => {
  async function project(profiles?: string): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kr-profiles-'));
    await writeFile(path.join(dir, 'dbt_project.yml'), 'name: shop\nprofile: shop\n');
    if (profiles !== undefined) await writeFile(path.join(dir, 'profiles.yml'), profiles);
    return dir;
  }
  const good = 'shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: dev.duckdb\n';

  it('refuses a --profiles-dir without profiles.yml instead of reading the project one', async () => {
    const dir = await project(good);
    const empty = await mkdtemp(path.join(os.tmpdir(), 'kr-empty-'));
    await expect(readConnection({ projectDir: dir, profilesDir: empty, env: {} })).rejects.toThrow(
      `--profiles-dir ${empty} holds no profiles.yml. Point it at the directory of your profiles.yml.`,
    );
    await expect(
      readConnection({ projectDir: dir, profilesDir: path.join(empty, 'nope'), env: {} }),
    ).rejects.toThrow('holds no profiles.yml (the directory does not exist)');
    await expect(readConnection({ projectDir: dir, env: { DBT_PROFILES_DIR: empty } })).rejects.toThrow(
      `$DBT_PROFILES_DIR ${empty} holds no profiles.yml.`,
    );
  });

  it('names the file and line of broken YAML', async () => {
    const dir = await project('shop:\n  target: dev\n  outputs: [unclosed\n');
    await expect(readConnection({ projectDir: dir, env: {} })).rejects.toThrow(
      new RegExp(`^${path.join(dir, 'profiles.yml').replaceAll('/', '\\/')} is not valid YAML: .*line`),
    );
    const list = await project('- shop\n');
    await expect(readConnection({ projectDir: list, env: {} })).rejects.toThrow(
      'profiles.yml must map profile names to profiles.',
    );
    const brokenProject = await project(good);
    await writeFile(path.join(brokenProject, 'dbt_project.yml'), 'name: shop\nprofile: [\n');
    await expect(readConnection({ projectDir: brokenProject, env: {} })).rejects.toThrow(
      'dbt_project.yml is not valid YAML:',
    );
  });
});
