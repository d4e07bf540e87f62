/**
 * Where the Snowflake end-to-end test runs: the emulator (the default, in `npm test`), or a real
 * account when `npm run test:snowflake` sets SNOWFLAKE_E2E=account with SNOWFLAKE_ACCOUNT,
 * SNOWFLAKE_USER and a key or password. On a real account everything goes into schemas named for
 * this run, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { openSnowflake } from '../../runner/source/snowflake.ts';
import type { Warehouse } from '../../runner/source/warehouse.ts';
import { startEmulator, type Emulator } from './emulator.ts';

export interface SnowflakeTestTarget {
  /** `emulator` or `account`. */
  kind: 'emulator' | 'account';
  /** The dbt profiles.yml output (YAML lines, indented for `outputs.<name>`). */
  profileYaml: string;
  database: string;
  /** The schema dbt builds into; the runner's state and extract schemas are named after it. */
  schema: string;
  stateSchema: string;
  sourceSchema: string;
  /** A connection of the test's own, to read back what the runner wrote. */
  open(): Promise<Warehouse>;
  /** Drops what the test created (a real account) and stops the emulator. */
  stop(): Promise<void>;
}

const yamlString = (v: string) => JSON.stringify(v);

function accountAuthYaml(env: NodeJS.ProcessEnv): string[] {
  if (env.SNOWFLAKE_PRIVATE_KEY_PATH !== undefined)
    return [
      `private_key_path: ${yamlString(env.SNOWFLAKE_PRIVATE_KEY_PATH)}`,
      ...(env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE === undefined
        ? []
        : [`private_key_passphrase: ${yamlString(env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE)}`]),
    ];
  return [`password: ${yamlString(env.SNOWFLAKE_PASSWORD ?? '')}`];
}

export async function snowflakeTestTarget(env = process.env): Promise<SnowflakeTestTarget> {
  const suffix = randomBytes(4).toString('hex').toUpperCase();
  if (env.SNOWFLAKE_E2E === 'account') {
    const database = env.SNOWFLAKE_DATABASE ?? 'KLAVIYO_RUNNER_CI';
    const schema = `KR_E2E_${suffix}`;
    const lines = [
      'type: snowflake',
      `account: ${yamlString(env.SNOWFLAKE_ACCOUNT!)}`,
      `user: ${yamlString(env.SNOWFLAKE_USER!)}`,
      ...accountAuthYaml(env),
      ...(env.SNOWFLAKE_ROLE === undefined ? [] : [`role: ${yamlString(env.SNOWFLAKE_ROLE)}`]),
      ...(env.SNOWFLAKE_WAREHOUSE === undefined ? [] : [`warehouse: ${yamlString(env.SNOWFLAKE_WAREHOUSE)}`]),
      `database: ${database}`,
      `schema: ${schema}`,
      'threads: 4',
    ];
    const target = baseTarget('account', lines, database, schema, suffix);
    return {
      ...target,
      async stop() {
        const wh = await target.open();
        try {
          for (const s of [schema, target.stateSchema, target.sourceSchema])
            await wh.execute(`drop schema if exists ${database}.${s} cascade`);
        } finally {
          await wh.close();
        }
      },
    };
  }
  const emulator: Emulator = await startEmulator();
  const database = 'ANALYTICS';
  const schema = 'KLAVIYO';
  const lines = [
    'type: snowflake',
    'account: emulator',
    'user: tester',
    'password: unused',
    `database: ${database}`,
    `schema: ${schema}`,
    'warehouse: WH',
    // dbt's own way to point dbt-snowflake at another endpoint; the runner reads the same keys.
    `host: ${emulator.host}`,
    `port: ${emulator.port}`,
    'protocol: http',
    'threads: 1',
  ];
  return { ...baseTarget('emulator', lines, database, schema, suffix), stop: () => emulator.stop() };
}

function baseTarget(
  kind: SnowflakeTestTarget['kind'],
  lines: string[],
  database: string,
  schema: string,
  suffix: string,
): Omit<SnowflakeTestTarget, 'stop'> {
  const profileYaml = lines.map((l) => `      ${l}`).join('\n');
  return {
    kind,
    profileYaml,
    database,
    schema,
    stateSchema: kind === 'account' ? `KR_STATE_${suffix}` : 'KLAVIYO_RUNNER',
    sourceSchema: kind === 'account' ? `KR_SOURCE_${suffix}` : 'KLAVIYO_SOURCE',
    open: async () => {
      const { parse } = await import('yaml');
      const output = parse(lines.join('\n')) as Record<string, unknown>;
      const { snowflakeTarget } = await import('../../runner/config/snowflake-target.ts');
      return openSnowflake(await snowflakeTarget(output, 'test target', process.cwd()));
    },
  };
}

/**
 * A describe block's Snowflake target and an open session on it, started before its tests and
 * closed and stopped after them. Read both inside tests, once `beforeAll` has run.
 */
export function useSnowflakeTarget(): { target: () => SnowflakeTestTarget; wh: () => Warehouse } {
  let target: SnowflakeTestTarget | undefined;
  let wh: Warehouse | undefined;
  beforeAll(async () => {
    target = await snowflakeTestTarget();
    wh = await target.open();
  }, 300_000);
  afterAll(async () => {
    await wh?.close();
    await target?.stop();
  }, 300_000);
  return { target: () => target!, wh: () => wh! };
}
