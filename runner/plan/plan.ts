/**
 * `plan`: for each selected sync, the diff against the last confirmed snapshot, the payloads it
 * would send (so rejected rows are known before anything is sent), field-level examples, and the
 * requests and time it needs. Pure of side effects on Klaviyo and on the snapshot; `sync` runs
 * the same steps and then applies them.
 */
import type { ProjectOptions } from '../commands/options.ts';
import { loadSyncs } from '../manifest/load.ts';
import type { SyncSpec } from '../manifest/spec.ts';
import { openWarehouse } from '../source/open.ts';
import { readModelRejections, type ModelRejection } from '../source/rejected-rows.ts';
import { diffCounts, streamChanges, type PlanCounts, type StreamedChange } from '../state/diff.ts';
import { ensureStateSchema, stateOf, type State } from '../state/schema.ts';
import { buildPayload } from '../transform/build.ts';
import type { ProfilePayload, EventPayload, Rejection } from '../transform/payload.ts';
import { batches, estimate, LIMITS, type RequestEstimate } from './estimate.ts';

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

export interface ExampleChange {
  kind: string;
  key: string;
  fields: FieldChange[];
}

export interface SyncPlan {
  sync: string;
  object: string;
  model: string;
  relation: string;
  /** The sync this one waits for (`after`): its rows go only once that sync confirmed their keys. */
  after: string | null;
  counts: PlanCounts & { rejected: number; send: number; leftOutByModel: number; fieldsDropped: number };
  /** Profiles Klaviyo may create: rows never confirmed before (Klaviyo may already know some by email). */
  newProfiles: number;
  examples: ExampleChange[];
  rejected: Rejection[];
  /** Rows the dbt models left out for this sync (klaviyo__rejected_rows), first ones by key. */
  leftOutByModel: ModelRejection[];
  /** Those rows counted per reason code, most first. */
  leftOutByReason: Record<string, number>;
  /** Rows that would be sent without a field (an invalid phone beside a valid email), with why. */
  droppedFields: Rejection[];
  estimate: RequestEstimate;
}

export interface PlanResult {
  generatedAt: string;
  stateSchema: string;
  syncs: SyncPlan[];
  totals: { send: number; rejected: number; leftOutByModel: number; requests: number; seconds: number };
}

const EXAMPLES = 3;
const EXAMPLE_FIELDS = 8;
const MAX_LISTED_REJECTIONS = 1000;

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function fieldChanges(change: StreamedChange): FieldChange[] {
  const before = change.previous ?? {};
  const after = change.row ?? {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return fields
    .filter((f) => !same(before[f] ?? null, after[f] ?? null))
    .map((field) => ({ field, before: before[field] ?? null, after: after[field] ?? null }));
}

/** Plans one sync: counts in the warehouse, then one streamed pass over the changed rows. */
export async function planSync(state: State, spec: SyncSpec): Promise<SyncPlan> {
  const counts = await diffCounts(state, spec);
  const leftOut = await readModelRejections(state.wh, spec, MAX_LISTED_REJECTIONS);
  const rejected: Rejection[] = [];
  const droppedFields: Rejection[] = [];
  let fieldsDropped = 0;
  const examples: ExampleChange[] = [];
  let rejectedCount = 0;
  let send = 0;
  let bytes = 0;
  let unsets = 0;
  let listAdds = 0;
  let listRemoves = 0;
  let lookups = 0;
  let subscribes = 0;
  let newProfiles = 0;
  const note = (r: Rejection) => {
    rejectedCount += 1;
    if (rejected.length < MAX_LISTED_REJECTIONS) rejected.push(r);
  };
  const object = spec.config.object;
  for await (const chunk of streamChanges(state, spec)) {
    for (const change of chunk) {
      if (change.diffKind === 'duplicate') {
        note({
          sync: spec.name,
          model: spec.model.name,
          key: change.key,
          column: spec.config.key,
          reason: `key appears more than once in the model; fix the model so each key is one row`,
        });
        continue;
      }
      if (change.diffKind === 'changed_event') continue;
      if (change.kind === 'remove') {
        if (object === 'list_membership' && spec.config.on_remove !== 'ignore') {
          listRemoves += 1;
          if (change.profileId === null) lookups += 1;
        }
        if (object === 'profile' && spec.config.on_remove === 'unset_properties') {
          unsets += 1;
          if (change.profileId === null) lookups += 1;
        }
        continue;
      }
      const built = buildPayload(spec, change);
      if (!built.ok) {
        note(built.rejection);
        continue;
      }
      send += 1;
      for (const d of built.dropped ?? []) {
        fieldsDropped += 1;
        if (droppedFields.length < MAX_LISTED_REJECTIONS)
          droppedFields.push({ sync: spec.name, model: spec.model.name, key: change.key, ...d });
      }
      if (object === 'profile' && change.kind === 'create') newProfiles += 1;
      if (object === 'profile') {
        const p = built.payload as ProfilePayload;
        bytes += p.bytes;
        if (p.unsetProperties.length > 0) {
          unsets += 1;
          if (change.profileId === null) lookups += 1;
        }
      } else if (object === 'event') {
        bytes += (built.payload as EventPayload).bytes;
      } else {
        listAdds += 1;
        if (change.profileId === null) lookups += 1;
        if ('subscribe' in built.payload && built.payload.subscribe !== undefined) subscribes += 1;
      }
      if (examples.length < EXAMPLES)
        examples.push({
          kind: change.kind,
          key: change.key,
          fields: fieldChanges(change).slice(0, EXAMPLE_FIELDS),
        });
    }
  }
  const requests: Record<string, number> = {};
  const add = (op: string, n: number) => {
    if (n > 0) requests[op] = (requests[op] ?? 0) + n;
  };
  if (object === 'profile') {
    const jobs = batches(send, LIMITS.profilesPerImportJob, bytes);
    add('bulk_import_profiles', jobs);
    // Polls: a few per job. Profiles whose properties are cleared need their id, looked up 100 a request.
    add('get_bulk_import_profiles_job', jobs * 3);
    add('get_profiles', Math.ceil(lookups / LIMITS.profilesPerLookup));
    add('update_profile', unsets);
  } else if (object === 'event') {
    add('bulk_create_events', batches(send, LIMITS.eventsPerBulkRequest, bytes));
  } else {
    add('get_profiles', Math.ceil(lookups / LIMITS.profilesPerLookup));
    add('add_profiles_to_list', batches(listAdds, LIMITS.profilesPerListRequest));
    add('remove_profiles_from_list', batches(listRemoves, LIMITS.profilesPerListRequest));
    add('bulk_subscribe_profiles', batches(subscribes, LIMITS.profilesPerSubscribe));
  }
  return {
    sync: spec.name,
    object,
    model: spec.model.name,
    relation: spec.model.relationName,
    after: spec.config.after ?? null,
    counts: {
      ...counts,
      rejected: rejectedCount,
      send: send + (object === 'list_membership' ? listRemoves : 0),
      leftOutByModel: leftOut.count,
      fieldsDropped,
    },
    newProfiles,
    examples,
    rejected,
    leftOutByModel: leftOut.rows,
    leftOutByReason: leftOut.byReason,
    droppedFields,
    estimate: estimate(requests),
  };
}

export async function plan(options: ProjectOptions): Promise<PlanResult> {
  const project = await loadSyncs(options);
  const wh = await openWarehouse(project.connection);
  try {
    const state = stateOf(wh, project.stateSchema);
    await ensureStateSchema(state);
    const syncs: SyncPlan[] = [];
    for (const spec of project.specs) {
      syncs.push(await planSync(state, spec));
    }
    return {
      generatedAt: new Date().toISOString(),
      stateSchema: project.stateSchema,
      syncs,
      totals: {
        send: syncs.reduce((a, s) => a + s.counts.send, 0),
        rejected: syncs.reduce((a, s) => a + s.counts.rejected, 0),
        leftOutByModel: syncs.reduce((a, s) => a + s.counts.leftOutByModel, 0),
        requests: syncs.reduce((a, s) => a + s.estimate.total, 0),
        seconds: syncs.reduce((a, s) => a + s.estimate.seconds, 0),
      },
    };
  } finally {
    await wh.close();
  }
}
