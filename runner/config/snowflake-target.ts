/**
 * A dbt-snowflake target, read the way dbt-snowflake reads it, so the runner connects with the
 * same profiles.yml entry as `dbt build`
 * (https://docs.getdbt.com/docs/core/connect-data-platform/snowflake-setup):
 *
 *   password                        `password` (no `authenticator`, or `snowflake`)
 *   key pair                        `private_key_path` or `private_key`, optional
 *                                   `private_key_passphrase`; `authenticator` may be left out (the
 *                                   usual dbt form) or set to `snowflake_jwt`
 *   OAuth                           `authenticator: oauth` with `token`
 *   browser SSO                     `authenticator: externalbrowser`
 *   password with MFA (Duo push)    `authenticator: username_password_mfa` with `password`
 *
 * plus `role`, `warehouse`, `query_tag`, and `host`/`port`/`protocol`, dbt's own way to point at
 * another endpoint. Anything else dbt-snowflake accepts for authentication (Okta URLs, token files,
 * workload identity) is refused by name rather than half-supported.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.ts';

export type SnowflakeAuth =
  | { method: 'password'; password: string }
  | { method: 'key_pair'; privateKeyPem: string }
  | { method: 'oauth'; token: string }
  | { method: 'externalbrowser' }
  | { method: 'username_password_mfa'; password: string };

export interface SnowflakeConnection {
  type: 'snowflake';
  account: string;
  user: string;
  database: string;
  schema: string;
  auth: SnowflakeAuth;
  role?: string;
  warehouse?: string;
  queryTag?: string;
  /** `protocol://host:port` when the target sets `host`; else the driver derives it from the account. */
  accessUrl?: string;
}

type Output = Record<string, unknown>;

function text(output: Output, key: string): string | undefined {
  const v = output[key];
  return v === undefined || v === null || v === '' ? undefined : String(v);
}

/**
 * dbt-snowflake takes `private_key` as PEM text or as the base64 of the DER (PKCS#8) bytes, and
 * a key file as PEM; either may be encrypted with `private_key_passphrase`
 * (https://docs.getdbt.com/docs/core/connect-data-platform/snowflake-setup#key-pair-authentication).
 * The key is decrypted here, so a wrong passphrase is a configuration error before any connection.
 */
function decodeKey(raw: string, passphrase: string | undefined, where: string): KeyObject {
  const pem = raw.includes('-----BEGIN');
  try {
    return pem
      ? createPrivateKey({ key: raw, format: 'pem', passphrase })
      : createPrivateKey({
          key: Buffer.from(raw.replace(/\s+/g, ''), 'base64'),
          format: 'der',
          type: 'pkcs8',
          passphrase,
        });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const hint =
      passphrase === undefined
        ? ' If the key is encrypted, set `private_key_passphrase`.'
        : ' Check `private_key_passphrase`.';
    throw new ConfigError(`${where} is not a private key this runner can read (${reason}).${hint}`);
  }
}

async function keyPair(output: Output, where: string, baseDir: string): Promise<SnowflakeAuth> {
  const keyPath = text(output, 'private_key_path');
  const inline = text(output, 'private_key');
  const passphrase = text(output, 'private_key_passphrase');
  if (keyPath !== undefined && inline !== undefined)
    throw new ConfigError(`${where} sets both \`private_key_path\` and \`private_key\`; keep one.`);
  let raw: string;
  let source: string;
  if (keyPath !== undefined) {
    const file = path.resolve(baseDir, keyPath);
    source = `${where}: the key file ${file} (\`private_key_path\`)`;
    try {
      raw = await readFile(file, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `${where}: cannot read \`private_key_path\` ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}).`,
      );
    }
  } else if (inline !== undefined) {
    raw = inline;
    source = `${where}: \`private_key\``;
  } else {
    throw new ConfigError(
      `${where} uses \`authenticator: snowflake_jwt\` but sets neither \`private_key_path\` nor \`private_key\`.`,
    );
  }
  const key = decodeKey(raw, passphrase, source);
  return { method: 'key_pair', privateKeyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

function needs(output: Output, key: string, where: string, why: string): string {
  const v = text(output, key);
  if (v === undefined) throw new ConfigError(`${where} ${why} but sets no \`${key}\`.`);
  return v;
}

const UNSUPPORTED_AUTH =
  'klaviyo-runner supports no authenticator, `snowflake`, `snowflake_jwt`, `oauth`, `externalbrowser` and `username_password_mfa`';

async function authOf(output: Output, where: string, baseDir: string): Promise<SnowflakeAuth> {
  const authenticator = text(output, 'authenticator')?.toLowerCase();
  const hasKey = text(output, 'private_key_path') !== undefined || text(output, 'private_key') !== undefined;
  switch (authenticator) {
    case undefined:
    case 'snowflake':
      if (hasKey) return keyPair(output, where, baseDir);
      return {
        method: 'password',
        password: needs(output, 'password', where, 'uses password authentication'),
      };
    case 'snowflake_jwt':
      return keyPair(output, where, baseDir);
    case 'oauth':
      return { method: 'oauth', token: needs(output, 'token', where, 'uses `authenticator: oauth`') };
    case 'externalbrowser':
      return { method: 'externalbrowser' };
    case 'username_password_mfa':
      return {
        method: 'username_password_mfa',
        password: needs(output, 'password', where, 'uses `authenticator: username_password_mfa`'),
      };
    default:
      throw new ConfigError(
        `${where} uses \`authenticator: ${text(output, 'authenticator')}\`; ${UNSUPPORTED_AUTH}.`,
      );
  }
}

function accessUrlOf(output: Output, where: string): string | undefined {
  const host = text(output, 'host');
  const port = text(output, 'port');
  const protocol = text(output, 'protocol')?.toLowerCase();
  if (host === undefined) {
    if (port !== undefined || protocol !== undefined)
      throw new ConfigError(`${where} sets \`port\` or \`protocol\` without \`host\`.`);
    return undefined;
  }
  if (protocol !== undefined && protocol !== 'https' && protocol !== 'http')
    throw new ConfigError(`${where}: \`protocol\` must be https or http, not \`${protocol}\`.`);
  if (port !== undefined && !/^\d{1,5}$/.test(port))
    throw new ConfigError(`${where}: \`port\` must be a number, not \`${port}\`.`);
  return `${protocol ?? 'https'}://${host}${port === undefined ? '' : `:${port}`}`;
}

/** The connection of a rendered `type: snowflake` output; `where` names the file and target. */
export async function snowflakeTarget(
  output: Output,
  where: string,
  baseDir: string,
): Promise<SnowflakeConnection> {
  const need = ['account', 'user', 'database', 'schema'].filter((k) => text(output, k) === undefined);
  if (need.length > 0) throw new ConfigError(`${where} lacks ${need.join(', ')}.`);
  return {
    type: 'snowflake',
    account: text(output, 'account')!,
    user: text(output, 'user')!,
    database: text(output, 'database')!,
    schema: text(output, 'schema')!,
    auth: await authOf(output, where, baseDir),
    role: text(output, 'role'),
    warehouse: text(output, 'warehouse'),
    queryTag: text(output, 'query_tag'),
    accessUrl: accessUrlOf(output, where),
  };
}
