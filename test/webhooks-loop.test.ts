/**
 * The whole loop on one machine: `webhooks create` subscribes the local receiver through the
 * sandbox's Webhooks API, `sync` sends Cancelled Order events, the sandbox delivers them signed,
 * and `klaviyo-runner webhooks` lands each once in klaviyo_source.webhook_events, where the
 * package's staging models read them beside what `extract` brought back. Every request the runner made is checked against Klaviyo's
 * OpenAPI description.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../runner/sandbox/server.ts';
import { copyDemoProject, repoRoot, runCli, runDbt } from './helpers/dbt.ts';
import { queryDuckDb } from './helpers/duckdb.ts';
import { assertAllValid } from './helpers/openapi-contract.ts';

const SECRET = 'loop-webhook-secret-0123456';

describe('webhooks: sync an event → the sandbox delivers it → it lands in the warehouse', () => {
  let project: string;
  let db: string;
  let sandbox: RunningSandbox;
  let env: NodeJS.ProcessEnv;
  let receiver: ChildProcess | undefined;

  beforeAll(async () => {
    project = await copyDemoProject();
    db = path.join(project, 'target', 'demo.duckdb');
    const built = await runDbt(project, ['build']);
    if (built.code !== 0) throw new Error(`dbt build failed:\n${built.stdout}`);
    sandbox = await startSandbox({ rateLimits: 'klaviyo', jobDelayMs: 50 });
    env = {
      KLAVIYO_BASE_URL: sandbox.url,
      KLAVIYO_API_KEY: 'pk_test_webhooks_loop_key',
      KLAVIYO_RUNNER_DUCKDB: db,
      KLAVIYO_WEBHOOK_SECRET: SECRET,
    };
  });
  afterAll(async () => {
    if (receiver !== undefined && receiver.exitCode === null) receiver.kill('SIGKILL');
    await sandbox?.close();
  });

  it('manages the subscription, delivers every synced event signed, and lands each once', async () => {
    // The receiver spools while `sync` holds the DuckDB file; it lands when told to stop.
    receiver = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'bin', 'klaviyo-runner.js'),
        'webhooks',
        '--port',
        '0',
        '--project-dir',
        project,
        '--flush-interval',
        '3600000',
      ],
      { cwd: project, env: { ...process.env, ...env, NO_COLOR: '1' } },
    );
    let stderr = '';
    receiver.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      receiver!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /on (http:\/\/\S+) /.exec(out);
        if (m !== null) resolve(m[1]!);
      });
      receiver!.once('exit', (code) => reject(new Error(`receiver exited ${code}: ${stderr}`)));
    });

    const created = await runCli(
      [
        'webhooks',
        'create',
        '--url',
        `${url}/klaviyo`,
        '--topic',
        'event:klaviyo.cancelled_order',
        '--name',
        'warehouse',
      ],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const id = /Created webhook (\S+) /.exec(created.stdout)?.[1];
    expect(id).toBeDefined();
    const listed = await runCli(['webhooks', 'list', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([
      {
        id,
        name: 'warehouse',
        endpointUrl: new URL(url).origin,
        enabled: true,
        topics: ['event:klaviyo.cancelled_order'],
      },
    ]);

    const synced = await runCli(
      [
        'sync',
        '--project-dir',
        project,
        '--no-progress',
        '--select',
        'klaviyo_cancelled_orders',
        'klaviyo_placed_orders',
      ],
      env,
    );
    expect(synced.code, synced.stderr).toBe(0);
    const cancelled = sandbox.inspect().events.filter((e) => e.metric === 'Cancelled Order');
    const placed = sandbox.inspect().events.filter((e) => e.metric === 'Placed Order');
    expect(cancelled.length).toBeGreaterThan(0);
    expect(placed.length).toBeGreaterThan(0);

    // Every Cancelled Order event reaches the receiver's spool, and no Placed Order (not subscribed).
    const until = Date.now() + 30_000;
    let spooled = 0;
    while (Date.now() < until) {
      spooled = ((await (await fetch(`${url}/health`)).json()) as { spooled: number }).spooled;
      if (spooled >= cancelled.length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(spooled).toBe(cancelled.length);

    const exited = new Promise((r) => receiver!.once('exit', r));
    receiver.kill('SIGTERM');
    await exited;
    expect(stderr).not.toMatch(/warn:|error:/);
    const rows = await queryDuckDb(
      db,
      `select external_id, topic, payload_json from klaviyo_source.webhook_events order by external_id`,
    );
    expect(rows.map((r) => r.external_id)).toEqual(cancelled.map((e) => e.id).sort());
    expect(new Set(rows.map((r) => r.topic))).toEqual(new Set(['event:klaviyo.cancelled_order']));
    const first = cancelled.find((e) => e.id === rows[0]!.external_id)!;
    const payload = JSON.parse(String(rows[0]!.payload_json)) as {
      data: { id: string; attributes: { event_properties: Record<string, unknown> } };
    };
    expect(payload.data.id).toBe(first.id);
    expect(payload.data.attributes.event_properties).toMatchObject(first.properties);

    const deleted = await runCli(['webhooks', 'delete', id!], env);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse((await runCli(['webhooks', 'list', '--json'], env)).stdout)).toEqual([]);

    // The package's staging models read both tables; the suppressions one feeds a sync's scope.
    const extracted = await runCli(['extract', '--project-dir', project], env);
    expect(extracted.code, extracted.stderr).toBe(0);
    const vars = JSON.stringify({
      klaviyo__using_extract: true,
      klaviyo__using_webhooks: true,
      klaviyo__suppressions_model: 'stg_klaviyo__suppressions',
    });
    // The demo's unit tests name the demo suppressions input, which this var replaces.
    const staged = await runDbt(project, [
      'build',
      '--select',
      'staging.klaviyo',
      'klaviyo__suppressions',
      '--exclude',
      'test_type:unit',
      '--vars',
      vars,
    ]);
    expect(staged.code, staged.stdout).toBe(0);
    const state = sandbox.inspect();
    const [counts] = await queryDuckDb(
      db,
      `select
        (select count(*) from main.stg_klaviyo__webhook_events) as webhook_events,
        (select count(*) from main.stg_klaviyo__webhook_events w
          join main.stg_klaviyo__events e using (klaviyo_event_id)
          where e.metric_name = 'Cancelled Order' and w.klaviyo_profile_id = e.klaviyo_profile_id
            and w.occurred_at = e.occurred_at) as matched,
        (select count(*) from main.stg_klaviyo__events) as events,
        (select count(*) from main.stg_klaviyo__suppressions) as suppressions,
        (select count(*) from main.klaviyo__suppressions) as scope_rows`,
    );
    const withEmail = state.profiles.filter((p) => p.email !== null).length;
    expect(Object.fromEntries(Object.entries(counts!).map(([k, v]) => [k, Number(v)]))).toEqual({
      webhook_events: cancelled.length,
      matched: cancelled.length,
      events: state.events.length,
      suppressions: withEmail,
      scope_rows: withEmail,
    });

    assertAllValid(sandbox.requests().filter((r) => r.status < 300));
    const ops = new Set(sandbox.requests().map((r) => r.operationId));
    for (const op of ['create_webhook', 'get_webhooks', 'delete_webhook']) expect(ops).toContain(op);
  });
});
