/**
 * Landing webhook events on Snowflake (the emulator in `npm test`, a real account with
 * `SNOWFLAKE_E2E=account`): keyed inserts that store a redelivered event once, read back by the
 * package's stg_klaviyo__webhook_events built with dbt-snowflake, whose JSON macro differs from
 * DuckDB's; and the staging models over extract's tables, suppressions among them.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { landEvents } from '../runner/webhooks/land.ts';
import type { SpooledEvent } from '../runner/webhooks/spool.ts';
import { copyDemoProject, repoRoot, run } from './helpers/dbt.ts';
import { useSnowflakeTarget } from './helpers/snowflake-target.ts';

const event = (id: string, receivedAt: string): SpooledEvent => ({
  webhook_id: 'WH1',
  external_id: id,
  topic: 'event:klaviyo.placed_order',
  payload: {
    data: {
      type: 'event',
      id,
      attributes: { datetime: '2026-11-30T09:15:00+00:00', event_properties: { it: "has 'quotes'" } },
      relationships: {
        metric: { data: { type: 'metric', id: 'M1' } },
        profile: { data: { type: 'profile', id: `P-${id}` } },
      },
    },
  },
  received_at: receivedAt,
});

describe('webhook events on Snowflake', () => {
  const snowflake = useSnowflakeTarget();

  it("lands each event once; the staging models read the payloads and extract's tables", async () => {
    const target = snowflake.target();
    const wh = snowflake.wh();
    const schema = target.sourceSchema;
    const first = await landEvents(wh, schema, [
      event('E1', '2026-12-01T10:00:00.000Z'),
      event('E2', '2026-12-01T10:00:00.000Z'),
    ]);
    expect(first).toEqual({ inserted: 2, alreadyStored: 0 });
    const again = await landEvents(wh, schema, [
      event('E2', '2026-12-01T10:00:05.000Z'),
      event('E3', '2026-12-01T10:00:05.000Z'),
    ]);
    expect(again).toEqual({ inserted: 1, alreadyStored: 1 });
    const rows = await wh.query(
      `select external_id, received_at from ${target.database}.${schema}.webhook_events order by external_id`,
    );
    expect(rows.map((r) => [r.external_id, r.received_at])).toEqual([
      ['E1', '2026-12-01T10:00:00.000Z'],
      ['E2', '2026-12-01T10:00:00.000Z'],
      ['E3', '2026-12-01T10:00:05.000Z'],
    ]);

    const project = await copyDemoProject();
    await writeFile(
      path.join(project, 'profiles.yml'),
      `klaviyo_runner:\n  target: snowflake\n  outputs:\n    snowflake:\n${target.profileYaml}\n`,
    );
    const built = await run(
      path.join(repoRoot, '.venv', 'bin', 'dbt'),
      [
        'run',
        '--select',
        'stg_klaviyo__webhook_events',
        '--vars',
        JSON.stringify({ klaviyo__using_webhooks: true, klaviyo__source_schema: schema }),
        '--project-dir',
        project,
        '--profiles-dir',
        project,
      ],
      { cwd: project, env: { DBT_SEND_ANONYMOUS_USAGE_STATS: 'false' } },
    );
    expect(built.code, built.stdout).toBe(0);
    const staged = await wh.query(
      `select klaviyo_event_id, klaviyo_metric_id, klaviyo_profile_id, occurred_at, received_at
       from ${target.database}.${target.schema}.stg_klaviyo__webhook_events order by klaviyo_event_id`,
    );
    expect(staged.map((r) => [r.klaviyo_event_id, r.klaviyo_metric_id, r.klaviyo_profile_id])).toEqual([
      ['E1', 'M1', 'P-E1'],
      ['E2', 'M1', 'P-E2'],
      ['E3', 'M1', 'P-E3'],
    ]);
    expect(String(staged[0]!.occurred_at)).toMatch(/2026-11-30.09:15:00/);

    // extract's tables, as extract writes them, read by the other staging models.
    const table = (name: string) => wh.dialect.stateTable(schema, name);
    for (const [name, columns] of [
      [
        'profiles',
        'id varchar, email varchar, phone_number varchar, external_id varchar, first_name varchar, last_name varchar, properties_json varchar, email_consent varchar, is_suppressed boolean, suppression_reason varchar, created varchar, updated varchar',
      ],
      ['metrics', 'id varchar, name varchar'],
      [
        'events',
        'id varchar, metric_id varchar, profile_id varchar, datetime varchar, value double, properties_json varchar',
      ],
    ] as const)
      await wh.execute(`create table if not exists ${table(name)} (${columns})`);
    await wh.execute(
      `insert into ${table('profiles')} values
        ('P1', ' Ann@Example.com ', null, 'C1', 'Ann', null, '{}', 'SUBSCRIBED', false, null, '2026-01-01T00:00:00+00:00', '2026-01-02T10:00:00+02:00'),
        ('P2', 'bob@example.com', null, null, null, null, '{}', 'UNSUBSCRIBED', true, 'USER_SUPPRESSED', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
    );
    await wh.execute(`insert into ${table('metrics')} values ('M1', 'Placed Order')`);
    await wh.execute(
      `insert into ${table('events')} values ('E1', 'M1', 'P1', '2026-11-30T09:15:00+00:00', 10, '{}')`,
    );
    const extracted = await run(
      path.join(repoRoot, '.venv', 'bin', 'dbt'),
      [
        'run',
        '--select',
        'stg_klaviyo__profiles',
        'stg_klaviyo__suppressions',
        'stg_klaviyo__events',
        '--vars',
        JSON.stringify({ klaviyo__using_extract: true, klaviyo__source_schema: schema }),
        '--project-dir',
        project,
        '--profiles-dir',
        project,
      ],
      { cwd: project, env: { DBT_SEND_ANONYMOUS_USAGE_STATS: 'false' } },
    );
    expect(extracted.code, extracted.stdout).toBe(0);
    const rel = (name: string) => `${target.database}.${target.schema}.${name}`;
    const suppressions = await wh.query(
      `select email, email_consent, is_suppressed, updated_at from ${rel('stg_klaviyo__suppressions')} order by email`,
    );
    expect(suppressions.map((r) => [r.email, r.email_consent, r.is_suppressed])).toEqual([
      ['ann@example.com', 'SUBSCRIBED', false],
      ['bob@example.com', 'UNSUBSCRIBED', true],
    ]);
    // +02:00 read as the UTC moment it names.
    expect(String(suppressions[0]!.updated_at)).toMatch(/2026-01-02.08:00:00/);
    const events = await wh.query(`select klaviyo_event_id, metric_name from ${rel('stg_klaviyo__events')}`);
    expect(events.map((r) => [r.klaviyo_event_id, r.metric_name])).toEqual([['E1', 'Placed Order']]);
  }, 900_000);
});
