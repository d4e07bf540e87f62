/**
 * Plan benchmark: a 1,000,000-profile model in DuckDB, a first plan (everything new), then a plan
 * after 1% of the rows changed against a confirmed snapshot. Each phase runs in its own process,
 * so its peak RSS is its own. Prints wall time and peak RSS per phase, and the requests and time a
 * 100,000-profile sync needs at Klaviyo's published limits. Each plan is set against a reference
 * measured in the same run: the first plan against streaming the same rows out of DuckDB as JSON
 * text, the 1% change against the same diff as one bare SQL statement that counts the changed
 * rows (the target's reference), and beside it one that streams them out.
 *
 * The phases run the runner's code as it ships: this script bundled by esbuild into plain
 * JavaScript (target/bench/), each phase in `node` without tsx, whose loader and compiled sources
 * took about 45 MB of a phase's RSS.
 *
 *   npm run bench                 # 1,000,000 rows
 *   npm run bench -- 200000       # another size
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import * as esbuild from 'esbuild';
import { boundHeapGrowth } from '../runner/heap.ts';
import type { SyncSpec } from '../runner/manifest/spec.ts';
import { planSync } from '../runner/plan/plan.ts';
import { duckdbSettings, openDuckDb } from '../runner/source/duckdb.ts';
import { diffSql } from '../runner/state/diff.ts';
import { ensureStateSchema, readOnlyStateOf, stateOf } from '../runner/state/schema.ts';

const spec = (relation: string, name = 'bench_profiles'): SyncSpec => ({
  name,
  exposureId: 'exposure.bench.bench_profiles',
  yamlPath: 'bench',
  tags: [],
  config: {
    object: 'profile',
    key: 'person_id',
    identity: { email: 'email', phone_number: 'phone_number', external_id: 'person_id' },
    attributes: { first_name: 'first_name', last_name: 'last_name', city: 'city', country: 'country' },
    properties: ['rfm_segment', 'rfm_score', 'predicted_ltv', 'order_count', 'last_order_at'],
  },
  model: {
    uniqueId: 'model.bench.p',
    name: 'bench_profiles',
    relationName: relation,
    materialized: 'table',
    originalFilePath: 'bench',
  },
  rejectedRowsRelations: [],
  withheldFieldsRelations: [],
});

async function phase(name: string, db: string, rows: number): Promise<void> {
  // As the CLI runs it (runner/cli.ts).
  boundHeapGrowth();
  const started = performance.now();
  if (name === 'setup') {
    const instance = await DuckDBInstance.create(db);
    const conn = await instance.connect();
    await conn.run(`create table bench_profiles as
      select 'P' || lpad(cast(i as varchar), 8, '0') as person_id,
        'person' || i || '@example.com' as email,
        '+1212' || cast(2000000 + (i % 7000000) as varchar) as phone_number,
        'First' || (i % 997) as first_name, 'Last' || (i % 991) as last_name,
        ['Brooklyn', 'Austin', 'Portland', 'London'][1 + i % 4] as city, case when i % 4 = 3 then 'GB' else 'US' end as country,
        ['champions', 'loyal', 'at_risk', 'hibernating', 'lost'][1 + i % 5] as rfm_segment,
        cast(1 + i % 5 as varchar) || cast(1 + (i * 7) % 5 as varchar) || cast(1 + (i * 13) % 5 as varchar) as rfm_score,
        round((i % 5000) / 7.0, 2) as predicted_ltv, i % 40 as order_count,
        timestamp '2026-01-01' - to_days(i % 700) as last_order_at
      from range(${rows}) t(i)`);
    conn.closeSync();
    instance.closeSync();
    return;
  }
  // Every phase but the stand-in for a confirmed sync reads as `klaviyo-runner plan` does
  // (runner/plan/plan.ts): the file opened read-only, a state table that does not exist read as
  // empty, so neither a plan nor its references write or checkpoint the file.
  const readOnly = name !== 'confirm';
  const wh = await openDuckDb(db, readOnly);
  const state = readOnly
    ? (await readOnlyStateOf(wh, 'klaviyo_runner')).state
    : stateOf(wh, 'klaviyo_runner');
  if (!readOnly) await ensureStateSchema(state);
  const s = spec('main.bench_profiles');
  if (name === 'confirm') {
    // Stand-in for a confirmed sync: the snapshot holds every row's current hash and values.
    const { sql } = diffSql(state, s);
    await wh.execute(
      `insert into ${state.table('snapshot')} select 'bench_profiles', key, hash, row_json, null, current_timestamp, 'bench' from (${sql}) where kind = 'create'`,
    );
    await wh.execute(
      `update bench_profiles set rfm_segment = 'champions', predicted_ltv = predicted_ltv + 1 where cast(substr(person_id, 2) as integer) % 100 = 0`,
    );
    await wh.close();
    return;
  }
  if (name === 'bare-diff' || name === 'bare-diff-rows' || name === 'stream-json') {
    // The references the plan's phases are measured against, on the same tables: the 1% change's
    // diff as one bare SQL statement kept inside DuckDB, and the model's rows streamed out as JSON
    // text, one string per row, as the first plan must read them all.
    let rowsOut = 0;
    if (name === 'bare-diff') {
      const { sql } = diffSql(state, s);
      const [row] = await wh.query(
        `select count(*) as n from (${sql}) as diff where kind not in ('unchanged', 'rejected')`,
      );
      rowsOut = Number(row!.n);
    } else if (name === 'bare-diff-rows') {
      // The same diff with its changed rows (model and snapshot values) out as JSON text: what a
      // plan must read, where the count lets the warehouse leave the values unread.
      const { sql } = diffSql(state, s);
      for await (const chunk of wh.stream(
        `select cast(to_json(diff) as varchar) as j from (${sql}) as diff where kind not in ('unchanged', 'rejected')`,
      ))
        rowsOut += chunk.length;
    } else {
      for await (const chunk of wh.stream(
        'select cast(to_json(m) as varchar) as j from main.bench_profiles as m',
      ))
        rowsOut += chunk.length;
    }
    await wh.close();
    console.log(
      JSON.stringify({
        phase: name,
        seconds: +((performance.now() - started) / 1000).toFixed(2),
        peakRssMb: +(process.resourceUsage().maxRSS / 1024).toFixed(0),
        rows: rowsOut,
      }),
    );
    return;
  }
  // estimate-100k: a first sync of 100,000 profiles (nothing confirmed yet).
  const plan = await planSync(
    state,
    name === 'estimate-100k'
      ? spec('(select * from main.bench_profiles limit 100000)', 'bench_first_100k')
      : s,
  );
  await wh.close();
  const ms = performance.now() - started;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  console.log(
    JSON.stringify({
      phase: name,
      seconds: +(ms / 1000).toFixed(2),
      peakRssMb: +rssMb.toFixed(0),
      counts: plan.counts,
      estimate: plan.estimate,
    }),
  );
}

const PHASES = [
  'setup',
  'stream-json',
  'first',
  'confirm',
  'change',
  'bare-diff',
  'bare-diff-rows',
  'estimate-100k',
];
/** Runs of the 1% change and of its bare SQL reference, in turn. */
const PAIRED = 3;
const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const [, , mode, db, rowsArg] = process.argv;
if (mode === 'phase') {
  await phase(rowsArg!.split(':')[0]!, db!, Number(rowsArg!.split(':')[1]));
} else {
  const rows = Number(mode ?? 1_000_000);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'kr-bench-'));
  const file = path.join(scratch, 'bench.duckdb');
  // The 1,000,000-row database is scratch: gone with the run, failed or not.
  process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
  // Inside the repository, so the bundle's imports find node_modules; a file runner/ reads beside
  // itself (`new URL('./relative', import.meta.url)`) is named by its absolute URL instead.
  const bundle = path.join(path.resolve(import.meta.dirname, '..'), 'target', 'bench', 'bench-plan.mjs');
  const beside: esbuild.Plugin = {
    name: 'urls-beside-the-sources',
    setup(build) {
      build.onLoad({ filter: /[/\\]runner[/\\].*\.ts$/ }, (args) => ({
        loader: 'ts',
        contents: readFileSync(args.path, 'utf8').replace(
          /new URL\((['"`])(\.{1,2}\/)/g,
          (_, quote: string, relative: string) =>
            `new URL(${quote}${pathToFileURL(path.dirname(args.path)).href}/${relative}`,
        ),
      }));
    },
  };
  await esbuild.build({
    entryPoints: [import.meta.filename],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    plugins: [beside],
    logLevel: 'warning',
  });
  const { memory_limit: memory, threads } = duckdbSettings();
  console.log(
    `Plan benchmark on ${rows.toLocaleString('en-US')} profiles (${file}), DuckDB memory_limit ${memory}, threads ${threads}, load average ${os.loadavg()[0]!.toFixed(1)}`,
  );
  const seconds: Record<string, number> = {};
  const rss: Record<string, number> = {};
  const run = (name: string) => {
    const t = performance.now();
    const out = execFileSync(process.execPath, [bundle, 'phase', file, `${name}:${rows}`], {
      encoding: 'utf8',
    }).trim();
    if (out === '') {
      seconds[name] = (performance.now() - t) / 1000;
      console.log(JSON.stringify({ phase: name, seconds: +seconds[name].toFixed(2) }));
      return;
    }
    const line = out.split('\n').pop()!;
    const parsed = JSON.parse(line) as { seconds: number; peakRssMb?: number };
    seconds[name] = parsed.seconds;
    if (parsed.peakRssMb !== undefined) rss[name] = Math.max(rss[name] ?? 0, parsed.peakRssMb);
    console.log(line);
  };
  for (const name of PHASES) run(name);
  // The 1% change and its reference take 1-3 s each, where the machine's moments move a single
  // reading by a third: they run PAIRED times in turn, and the ratio is the median of the pairs'.
  const pairs: { change: number; bare: number }[] = [
    { change: seconds.change!, bare: seconds['bare-diff']! },
  ];
  for (let i = 1; i < PAIRED; i++) {
    run('change');
    run('bare-diff');
    pairs.push({ change: seconds.change!, bare: seconds['bare-diff']! });
  }
  seconds.change = median(pairs.map((p) => p.change));
  seconds['bare-diff'] = median(pairs.map((p) => p.bare));
  const changeRatio = median(pairs.map((p) => p.change / p.bare));
  const ratio = (a: string, b: string) => (seconds[a]! / seconds[b]!).toFixed(2);
  console.log(
    [
      `first plan ${seconds.first!.toFixed(2)} s / rows streamed as JSON text ${seconds['stream-json']!.toFixed(2)} s = ${ratio('first', 'stream-json')} (target ≤ 2)`,
      `1% change plan ${seconds.change.toFixed(2)} s / bare SQL diff ${seconds['bare-diff'].toFixed(2)} s = ${changeRatio.toFixed(2)} (target ≤ 1.5; medians of ${PAIRED} runs in turn, the ratio the median of theirs: ${pairs.map((p) => (p.change / p.bare).toFixed(2)).join(', ')})`,
      `  against the bare SQL diff streaming its changed rows ${seconds['bare-diff-rows']!.toFixed(2)} s = ${ratio('change', 'bare-diff-rows')}`,
      `peak RSS: first plan ${rss.first} MB, 1% change plan ${rss.change} MB, the highest of its runs (target ≤ 300)`,
      `load average at the end ${os.loadavg()[0]!.toFixed(1)} (other work on the machine slows every phase)`,
    ].join('\n'),
  );
}
