/**
 * The user's install path: the package as `npm pack` builds it (prepack compiles dist/), installed
 * from its tarball into an empty folder outside the repository, so nothing resolves to our
 * sources or our node_modules. The consumer project of test/dbt/ installs the dbt package from
 * that same installed copy (`local:`), and the installed `klaviyo-runner` validates, plans and
 * syncs it against the installed package's own sandbox, over HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, run, type Ran } from './helpers/dbt.ts';
import { queryDuckDb } from './helpers/duckdb.ts';

const version = (
  JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }
).version;

const SHOP_SYNCS = `version: 2

exposures:
  - name: shop_profiles
    type: application
    owner: { name: Shop data, email: data@consumer.example.com }
    depends_on: [ref('klaviyo__profiles')]
    config:
      tags: [klaviyo]
      meta:
        klaviyo:
          object: profile
          key: person_id
          identity: { email: email, phone_number: phone_number, external_id: external_id }
          attributes: { first_name: first_name, last_name: last_name, city: city, country: country }
          properties: [rfm_segment, predicted_ltv, order_count]

  - name: shop_placed_orders
    type: application
    owner: { name: Shop data, email: data@consumer.example.com }
    depends_on: [ref('klaviyo__placed_order_events')]
    config:
      tags: [klaviyo]
      meta:
        klaviyo:
          object: event
          metric: Placed Order
          key: event_id
          identity: { email: email, external_id: external_id }
          time: ordered_at
          value: value
          value_currency: value_currency
          properties_json: properties
`;

let dir: string;
let app: string;
let shop: string;
let sandbox: ChildProcess | undefined;
let sandboxUrl: string;

const npm = (args: string[], cwd: string) =>
  run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    // Only the npm cache is shared with the repository (installs stay fast and offline-capable).
    env: { npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' },
  });

const dbt = (args: string[]) =>
  run(path.join(repoRoot, '.venv', 'bin', 'dbt'), [...args, '--project-dir', shop, '--profiles-dir', shop], {
    cwd: shop,
    env: {
      DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
      KLAVIYO_CONSUMER_DUCKDB: path.join(shop, 'target', 'consumer.duckdb'),
    },
  });

/** The installed CLI, run the way npm links it, from the user's folder. */
const cli = (args: string[]): Promise<Ran> =>
  run(path.join(app, 'node_modules', '.bin', 'klaviyo-runner'), args, {
    cwd: app,
    env: { NO_COLOR: '1', KLAVIYO_BASE_URL: sandboxUrl, KLAVIYO_API_KEY: 'pk_package_test' },
  });

async function sandboxState(): Promise<{ profiles: { email?: string }[]; events: unknown[] }> {
  const res = await fetch(`${sandboxUrl}/__sandbox/state`);
  return (await res.json()) as { profiles: { email?: string }[]; events: unknown[] };
}

/** Starts the installed package's sandbox on a free port and reads its address from its output. */
function startInstalledSandbox(): Promise<string> {
  const child = spawn(
    path.join(app, 'node_modules', '.bin', 'klaviyo-runner'),
    ['sandbox', '--port', '0', '--rate-limits', 'off', '--job-delay', '50'],
    { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  sandbox = child;
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url !== undefined) resolve(url);
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`the sandbox exited (${code}) before listening:\n${out}`)));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kr-package-'));
  app = path.join(dir, 'app');
  shop = path.join(dir, 'shop');
  await mkdir(app);
}, 300_000);

afterAll(async () => {
  sandbox?.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

describe('the packed package, installed by a user', () => {
  let tarball: string;

  it('packs compiled code, the dbt package and the schema, and no sources or tests', async () => {
    const packed = await npm(['pack', '--json', '--pack-destination', dir], repoRoot);
    expect(packed.code, packed.stderr).toBe(0);
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = path.join(dir, info!.filename);
    const files = info!.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining([
        'bin/klaviyo-runner.js',
        'dist/cli.js',
        'dist/sandbox.js',
        'dist/cli.d.ts',
        'dist/sandbox/server.d.ts',
        'dist/report/templates/plan.md.hbs',
        'schema/klaviyo-sync.schema.json',
        'dbt_project.yml',
        // klaviyo__parse_money and the other value rules; the country table they share with the runner.
        'macros/klaviyo__number.sql',
        'macros/klaviyo__country.sql',
        'macros/klaviyo__phone_e164.sql',
        'models/intermediate/int_klaviyo__country_keys.sql',
        'models/klaviyo/klaviyo__rejected_rows.sql',
        'models/klaviyo/klaviyo__profiles.sql',
        'tests/generic/klaviyo_valid_email.sql',
        'CHANGELOG.md',
        'README.md',
      ]),
    );
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => /(^|\/)(test|runner|scripts)\//.test(f) || f.includes('.test.'))).toEqual([]);
  }, 300_000);

  it('installs from the tarball into an empty folder without tsx', async () => {
    await writeFile(path.join(app, 'package.json'), '{ "name": "shop-syncs", "private": true }\n');
    const installed = await npm(['install', tarball], app);
    expect(installed.code, installed.stderr).toBe(0);
    const manifest = JSON.parse(
      await readFile(path.join(app, 'node_modules', 'klaviyo-runner', 'package.json'), 'utf8'),
    ) as { dependencies: Record<string, string> };
    expect(Object.keys(manifest.dependencies)).not.toContain('tsx');
    expect(existsSync(path.join(app, 'node_modules', 'tsx'))).toBe(false);

    const ran = await run(path.join(app, 'node_modules', '.bin', 'klaviyo-runner'), ['--version'], {
      cwd: app,
    });
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain(`klaviyo-runner ${version}`);
    expect(ran.stdout).toMatch(/Klaviyo API revision: \d{4}-\d{2}-\d{2}/);
    // The sandbox is importable as the package documents it.
    const imported = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const m = await import('klaviyo-runner/sandbox'); console.log(typeof m.startSandbox)",
      ],
      { cwd: app },
    );
    expect(imported.stdout.trim(), imported.stderr).toBe('function');
  }, 600_000);

  it('validates, plans and syncs the consumer project, whose dbt package comes from the install', async () => {
    await cp(path.join(repoRoot, 'test', 'dbt'), shop, {
      recursive: true,
      filter: (src) => !/[/\\](target|dbt_packages|logs)$/.test(src),
    });
    // The shop's syncs, declared on the package's models the way the README shows.
    await writeFile(path.join(shop, 'models', 'shop_syncs.yml'), SHOP_SYNCS);
    // `local:` here; a real project pins the git tag (README, "Using the package in your dbt project").
    await writeFile(
      path.join(shop, 'packages.yml'),
      'packages:\n  - local: ../app/node_modules/klaviyo-runner\n',
    );
    await rm(path.join(shop, 'package-lock.yml'), { force: true });
    const deps = await dbt(['deps']);
    expect(deps.code, deps.stdout).toBe(0);
    const built = await dbt(['build']);
    expect(built.code, built.stdout).toBe(0);
    // What the package's models made of the shop's seeds: a first plan creates each of these rows.
    const [counted] = await queryDuckDb(
      path.join(shop, 'target', 'consumer.duckdb'),
      `select (select count(*)::integer from main.klaviyo__profiles) as profiles,
        (select count(*)::integer from main.klaviyo__placed_order_events) as orders`,
      { readOnly: true },
    );
    const { profiles, orders } = counted as { profiles: number; orders: number };
    expect(profiles).toBeGreaterThan(0);
    expect(orders).toBeGreaterThan(0);
    sandboxUrl = await startInstalledSandbox();

    const validated = await cli(['validate', '--project-dir', shop]);
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.stdout).toContain('2 sync(s) valid.');
    expect(validated.stderr).not.toContain('warning');

    const planned = await cli(['plan', '--project-dir', shop, '--format', 'json']);
    expect(planned.code, planned.stderr).toBe(0);
    const plan = JSON.parse(planned.stdout) as { syncs: { sync: string; counts: { create: number } }[] };
    expect(plan.syncs.map((s) => [s.sync, s.counts.create]).sort()).toEqual([
      ['shop_placed_orders', orders],
      ['shop_profiles', profiles],
    ]);
    expect((await sandboxState()).profiles).toEqual([]);

    const synced = await cli(['sync', '--project-dir', shop]);
    expect(synced.code, synced.stdout + synced.stderr).toBe(0);
    const state = await sandboxState();
    expect(state.profiles.map((p) => p.email).sort()).toEqual(['jo@example.com', 'sam@example.com']);
    expect(state.events).toHaveLength(orders);
    const results = JSON.parse(
      await readFile(path.join(shop, 'target', 'klaviyo_run_results.json'), 'utf8'),
    ) as { results: { sync: string; status: string }[] };
    expect(results.results.map((r) => r.status)).toEqual(['success', 'success']);
  }, 600_000);

  it('refuses bad options and a bad exposure with the sentences of the sources (schemas precompiled)', async () => {
    const port = await cli(['sandbox', '--port', '99999']);
    expect(port.code).toBe(2);
    expect(port.stderr).toBe('error: --port must be 0 to 65535, got 99999.\n');
    const timeout = await cli(['sync', '--project-dir', shop, '--job-timeout', '0']);
    expect(timeout.code).toBe(2);
    expect(timeout.stderr).toContain('--job-timeout must be a positive number of seconds, got 0.');

    const syncsFile = path.join(shop, 'models', 'shop_syncs.yml');
    await writeFile(syncsFile, SHOP_SYNCS.replace('object: profile', 'object: profiles'));
    try {
      expect((await dbt(['parse'])).code).toBe(0);
      const validated = await cli(['validate', '--project-dir', shop]);
      expect(validated.code).toBe(2);
      expect(validated.stderr).toContain(
        'exposure `shop_profiles` (models/shop_syncs.yml): config.meta.klaviyo.object must be one of "profile", "event", "list_membership".',
      );
    } finally {
      await writeFile(syncsFile, SHOP_SYNCS);
      expect((await dbt(['parse'])).code).toBe(0);
    }
  }, 300_000);

  it('warns, naming both versions, when the manifest comes from another version of the dbt package', async () => {
    // The shop's project overrides the package's version stamp, as an older package would set it.
    const projectFile = path.join(shop, 'dbt_project.yml');
    const project = await readFile(projectFile, 'utf8');
    await writeFile(
      projectFile,
      project.replace(
        /^models:\n/m,
        'models:\n  klaviyo_runner:\n    +meta: { klaviyo_runner_version: "0.0.9" }\n',
      ),
    );
    expect((await dbt(['parse'])).code).toBe(0);
    const expected = `dbt package klaviyo_runner 0.0.9, but this klaviyo-runner is ${version}`;
    const validated = await cli(['validate', '--project-dir', shop]);
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.stderr).toContain(expected);
    const synced = await cli(['sync', '--project-dir', shop]);
    expect(synced.code, synced.stdout + synced.stderr).toBe(0);
    expect(synced.stderr).toContain(expected);
  }, 300_000);
});
