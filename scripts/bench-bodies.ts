/**
 * Micro-benchmark of the runner's own work per row: building 100,000 Placed Order event payloads
 * and their bulk request bodies, and 100,000 profile payloads and their import job bodies, up to
 * the bytes the HTTP client sends (undici turns a string body into a Buffer), over rows shaped
 * like scripts/bench-sync.ts's (less the phone numbers, whose parsing is not measured here). No
 * warehouse and no HTTP. After a warm-up round, prints per round CPU ms, GC count and time, and
 * the JS heap bytes allocated (what each collection freed, plus what is still live at the end,
 * from v8.GCProfiler).
 *
 *   npm run bench:bodies -- [rows] [events|profiles|both] [rounds]
 */
import v8 from 'node:v8';
import { PerformanceObserver } from 'node:perf_hooks';
import { LIMITS } from '../runner/klaviyo/limits.ts';
import { bulkEventsBody } from '../runner/klaviyo/events.ts';
import { profileImportBody } from '../runner/klaviyo/profiles.ts';
import type { EventPayload, ProfilePayload } from '../runner/transform/payload.ts';
import { buildEvent } from '../runner/transform/event.ts';
import { buildProfile } from '../runner/transform/profile.ts';
import type { SyncSpec, KlaviyoSyncConfig } from '../runner/manifest/spec.ts';
import type { RowChange } from '../runner/state/changes.ts';

const rows = Number(process.argv[2] ?? 100_000);

const spec = (config: KlaviyoSyncConfig): SyncSpec => ({
  name: 'bench',
  exposureId: 'exposure.bench.bench',
  yamlPath: 'bench',
  tags: [],
  config,
  model: {
    uniqueId: 'model.bench.m',
    name: 'm',
    relationName: 'm',
    materialized: 'table',
    originalFilePath: 'm',
  },
  rejectedRowsRelations: [],
  withheldFieldsRelations: [],
});
const profiles = spec({
  object: 'profile',
  key: 'person_id',
  identity: { email: 'email', external_id: 'person_id' },
  attributes: { first_name: 'first_name', last_name: 'last_name', city: 'city', country: 'country' },
  properties: ['rfm_segment', 'rfm_score', 'predicted_ltv', 'order_count', 'last_order_at'],
});
const events = spec({
  object: 'event',
  metric: 'Placed Order',
  key: 'order_id',
  identity: { email: 'email', external_id: 'person_id' },
  time: 'ordered_at',
  value: 'total',
  value_currency: 'currency',
  properties: ['item_count', 'channel', 'discount_code'],
});
const change = (key: string, row: Record<string, unknown>): RowChange => ({
  kind: 'create',
  key,
  hash: 'h',
  row,
  previous: null,
  profileId: null,
});
const profileRow = (i: number) => {
  const id = `P${String(i).padStart(8, '0')}`;
  return change(id, {
    person_id: id,
    email: `person${i}@example.com`,
    first_name: `First${i % 997}`,
    last_name: `Last${i % 991}`,
    city: ['Brooklyn', 'Austin', 'Portland', 'London'][i % 4],
    country: i % 4 === 3 ? 'GB' : 'US',
    rfm_segment: ['champions', 'loyal', 'at_risk', 'hibernating', 'lost'][i % 5],
    rfm_score: `${1 + (i % 5)}${1 + ((i * 7) % 5)}`,
    predicted_ltv: Math.round(((i % 5000) / 7) * 100) / 100,
    order_count: i % 40,
    last_order_at: new Date(Date.UTC(2026, 0, 1) - (i % 700) * 86_400_000).toISOString(),
  });
};
const eventRow = (i: number) => {
  const id = `O${String(i).padStart(8, '0')}`;
  return change(id, {
    order_id: id,
    person_id: `P${String(i).padStart(8, '0')}`,
    email: `person${i}@example.com`,
    ordered_at: new Date(Date.UTC(2026, 0, 1) - i * 180_000).toISOString(),
    total: Math.round((10 + (i % 9000) / 7) * 100) / 100,
    currency: 'USD',
    item_count: 1 + (i % 6),
    channel: ['web', 'app', 'store'][i % 3],
    discount_code: i % 10 === 0 ? 'WINTER' : null,
  });
};

interface Figures {
  cpuMs: number;
  gcs: number;
  gcMs: number;
  allocatedMB: number;
  sentMB: number;
}

async function measure(work: () => number): Promise<Figures> {
  let gcs = 0;
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcs += 1;
      gcMs += e.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const profiler = new v8.GCProfiler();
  const heapBefore = v8.getHeapStatistics().used_heap_size;
  profiler.start();
  const cpu = process.cpuUsage();
  const sent = work();
  const used = process.cpuUsage(cpu);
  const result = profiler.stop();
  const heapAfter = v8.getHeapStatistics().used_heap_size;
  // Freed by each collection, plus what is still live at the end: what the work allocated.
  let freed = 0;
  for (const s of result?.statistics ?? [])
    freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
  await new Promise((r) => setTimeout(r, 50));
  observer.disconnect();
  return {
    cpuMs: Math.round((used.user + used.system) / 1000),
    gcs,
    gcMs: Math.round(gcMs),
    allocatedMB: Math.round((freed + heapAfter - heapBefore) / 1e6),
    sentMB: Math.round(sent / 1e6),
  };
}

function eventsWork(): number {
  let sent = 0;
  let batch: EventPayload[] = [];
  for (let i = 0; i < rows; i++) {
    const built = buildEvent(events, eventRow(i), Date.UTC(2026, 1, 1));
    if (!built.ok) throw new Error(JSON.stringify(built.rejection));
    batch.push(built.payload);
    if (batch.length === LIMITS.eventsPerBulkRequest) {
      sent += Buffer.from(bulkEventsBody(batch, false)).length;
      batch = [];
    }
  }
  if (batch.length > 0) sent += Buffer.from(bulkEventsBody(batch, false)).length;
  return sent;
}

function profilesWork(): number {
  let sent = 0;
  let batch: ProfilePayload[] = [];
  for (let i = 0; i < rows; i++) {
    const built = buildProfile(profiles, profileRow(i));
    if (!built.ok) throw new Error(JSON.stringify(built.rejection));
    batch.push(built.payload);
    if (batch.length === LIMITS.profilesPerImportJob) {
      sent += Buffer.from(profileImportBody(batch.map((p) => p.json))).length;
      batch = [];
    }
  }
  if (batch.length > 0) sent += Buffer.from(profileImportBody(batch.map((p) => p.json))).length;
  return sent;
}

const phase = process.argv[3] ?? 'both';
const rounds = Number(process.argv[4] ?? 3);
for (const [name, work] of [
  ['events', eventsWork],
  ['profiles', profilesWork],
] as const) {
  if (phase !== 'both' && phase !== name) continue;
  // Warm up the builders' per-spec caches and the JIT, then measure.
  work();
  for (let r = 0; r < rounds; r++) console.log(name, rows, JSON.stringify(await measure(work)));
}
