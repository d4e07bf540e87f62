import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { authOptions } from '../source/snowflake.ts';
import { readConnection, renderEnvVars } from './profiles.ts';
import { snowflakeTarget } from './snowflake-target.ts';

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
      attach: [],
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

describe('a dbt-snowflake target', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const plainPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const encryptedPem = privateKey
    .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'hunter2' })
    .toString();
  const derBase64 = privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
  const base = {
    type: 'snowflake',
    account: 'acme',
    user: 'loader',
    database: 'ANALYTICS',
    schema: 'KLAVIYO',
  };
  const where = 'profiles.yml: target `prod`';
  const read = (extra: Record<string, unknown>, dir = os.tmpdir()) =>
    snowflakeTarget({ ...base, ...extra }, where, dir);

  it('takes a private_key_path without authenticator as key-pair auth (the usual dbt form)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kr-key-'));
    await writeFile(path.join(dir, 'rsa_key.p8'), encryptedPem);
    const connection = await read(
      {
        private_key_path: 'rsa_key.p8',
        private_key_passphrase: 'hunter2',
        role: 'LOADER',
        warehouse: 'WH',
        query_tag: 'klaviyo',
      },
      dir,
    );
    expect(connection).toMatchObject({
      auth: { method: 'key_pair', privateKeyPem: plainPem },
      role: 'LOADER',
      warehouse: 'WH',
      queryTag: 'klaviyo',
      accessUrl: undefined,
    });
    expect(authOptions(connection.auth)).toEqual({ authenticator: 'SNOWFLAKE_JWT', privateKey: plainPem });
  });

  it('takes private_key as PEM text or base64 DER, with authenticator snowflake_jwt', async () => {
    for (const key of [plainPem, derBase64])
      expect((await read({ authenticator: 'snowflake_jwt', private_key: key })).auth).toEqual({
        method: 'key_pair',
        privateKeyPem: plainPem,
      });
  });

  it('names a wrong passphrase, an unreadable key file and a key-pair target without a key', async () => {
    await expect(read({ private_key: encryptedPem, private_key_passphrase: 'wrong' })).rejects.toThrow(
      /^profiles\.yml: target `prod`: `private_key` is not a private key this runner can read .* Check `private_key_passphrase`\.$/,
    );
    await expect(read({ private_key_path: '/nonexistent/key.p8' })).rejects.toThrow(
      'profiles.yml: target `prod`: cannot read `private_key_path` /nonexistent/key.p8 (ENOENT).',
    );
    await expect(read({ authenticator: 'snowflake_jwt' })).rejects.toThrow(
      'profiles.yml: target `prod` uses `authenticator: snowflake_jwt` but sets neither `private_key_path` nor `private_key`.',
    );
  });

  it('maps password, oauth, externalbrowser and username_password_mfa to the driver', async () => {
    const options = async (extra: Record<string, unknown>) => authOptions((await read(extra)).auth);
    expect(await options({ password: 'pw' })).toEqual({ password: 'pw' });
    expect(await options({ authenticator: 'oauth', token: 't0k' })).toEqual({
      authenticator: 'OAUTH',
      token: 't0k',
    });
    expect(await options({ authenticator: 'externalbrowser' })).toEqual({ authenticator: 'EXTERNALBROWSER' });
    expect(await options({ authenticator: 'username_password_mfa', password: 'pw' })).toEqual({
      authenticator: 'USERNAME_PASSWORD_MFA',
      password: 'pw',
    });
    await expect(read({ authenticator: 'oauth' })).rejects.toThrow(
      'profiles.yml: target `prod` uses `authenticator: oauth` but sets no `token`.',
    );
    await expect(read({})).rejects.toThrow(
      'profiles.yml: target `prod` uses password authentication but sets no `password`.',
    );
    await expect(read({ authenticator: 'https://acme.okta.com' })).rejects.toThrow(
      'profiles.yml: target `prod` uses `authenticator: https://acme.okta.com`; klaviyo-runner supports no authenticator, `snowflake`, `snowflake_jwt`, `oauth`, `externalbrowser` and `username_password_mfa`.',
    );
  });

  it('points at another endpoint with host, port and protocol, as dbt does', async () => {
    expect((await read({ password: 'pw', host: '127.0.0.1', port: 8080, protocol: 'http' })).accessUrl).toBe(
      'http://127.0.0.1:8080',
    );
    expect((await read({ password: 'pw', host: 'acme.privatelink.snowflakecomputing.com' })).accessUrl).toBe(
      'https://acme.privatelink.snowflakecomputing.com',
    );
    await expect(read({ password: 'pw', host: 'h', protocol: 'ftp' })).rejects.toThrow(
      'profiles.yml: target `prod`: `protocol` must be https or http, not `ftp`.',
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
