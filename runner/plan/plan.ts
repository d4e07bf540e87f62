/**
 * `plan`: for each selected sync, the diff against the last confirmed snapshot, the payloads it
 * would send (so rejected rows are known before anything is sent), field-level examples, and the
 * requests and time it needs. Pure of side effects on Klaviyo and on the snapshot; `sync` runs
 * the same steps and then applies them.
 */
import type { ProjectOptions } from '../manifest/load.ts';
import { loadSyncs } from '../manifest/load.ts';
import type { SyncSpec } from '../manifest/spec.ts';
import { withModelColumns } from '../source/model-columns.ts';
import { openWarehouse } from '../source/open.ts';
import {
  readModelRejections,
  readModelWithheldFields,
  type ModelRejection,
  type ModelWithheldField,
} from '../source/rejected-rows.ts';
import {
  afterNeverMet,
  afterNeverMetMessage,
  openDiff,
  waitingToSend,
  type OpenDiff,
  type PlanCounts,
  type StreamedChange,
} from '../state/diff.ts';
import { FirstInOrder } from '../state/first-in-order.ts';
import { readOnlyStateOf, stateOf, withoutSnapshotOf, type State } from '../state/schema.ts';
import { readConfigs } from '../state/configs.ts';
import { erasedIdentifiers } from '../state/deletions.ts';
import type { Rejection } from '../state/changes.ts';
import { classify } from '../objects/classify.ts';
import { objectOf } from '../objects/index.ts';
import { emptyTally } from '../objects/object.ts';
import { configChanges, removedSync, startsOver, type ConfigChange } from './config-changes.ts';
import { estimate, type RequestEstimate } from './estimate.ts';
import { removalGuard, type RemovalGuard, type RunMode } from './guard.ts';

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
  counts: PlanCounts & {
    rejected: number;
    send: number;
    leftOutByModel: number;
    withheldByModel: number;
    fieldsDropped: number;
  };
  /** Profiles Klaviyo may create: rows never confirmed before (Klaviyo may already know some by email). */
  newProfiles: number;
  /** List members whose withdrawal of consent would be sent (Klaviyo's unsubscribe). */
  unsubscribes: number;
  examples: ExampleChange[];
  rejected: Rejection[];
  /** Rows the dbt models left out for this sync (klaviyo__rejected_rows), first ones by key. */
  leftOutByModel: ModelRejection[];
  /** Those rows counted per reason code, most first. */
  leftOutByReason: Record<string, number>;
  /** Fields the dbt models left out of rows they ship (klaviyo__withheld_fields), first ones by key. */
  withheldByModel: ModelWithheldField[];
  /** Those fields counted per reason code, most first. */
  withheldByReason: Record<string, number>;
  /** Rows that would be sent without a field (an invalid phone beside a valid email), with why. */
  droppedFields: Rejection[];
  estimate: RequestEstimate;
  /** The mass-removal guard: whether this plan's removals and clearings would stop the sync. */
  guard: RemovalGuard;
  /** What changed in the exposure since the configuration the snapshot was confirmed under. */
  configChanges: ConfigChange[];
  /** A key, metric or list change: the counts are those of starting the sync over. */
  startsOver: boolean;
  /** Deletion syncs: people whose erasure would be requested (docs/privacy-deletions.md). */
  erasures: number;
  /** Rows of erased people (or people this plan erases) held back, so no profile is re-created. */
  heldBackErased: number;
  heldBack: Rejection[];
}

/**
 * How a plan treats erased people: the identifier hashes the state records, plus those the
 * deletion syncs planned earlier in the same plan add, so the syncs after them hold the rows back.
 */
export interface PlanMode extends RunMode {
  erased?: Set<string>;
}

export interface PlanResult {
  generatedAt: string;
  stateSchema: string;
  /** The snapshot table read, fully qualified (production's state in a pull request). */
  stateRelation: string;
  /** The schemas the models were read from (a pull request's CI schema), fully qualified. */
  modelSchemas: string[];
  /** Relations read from production under `--defer`: models the pull request did not change. */
  deferred: string[];
  /** False when the state schema does not exist (yet): the plan ran against an empty snapshot. */
  stateFound: boolean;
  syncs: SyncPlan[];
  /** Syncs recorded in the state that are no longer in the project. */
  removedSyncs: { sync: string; change: ConfigChange }[];
  totals: { send: number; rejected: number; leftOutByModel: number; requests: number; seconds: number };
  /** The run's mode, as given: a plan shows what `sync` with the same flags would do. */
  mode: RunMode;
  /** Privacy deletions, shown before anything else: the deletion syncs and what they would erase. */
  deletions: { syncs: string[]; people: number; requests: number; heldBack: number };
  /** Worth saying before the syncs (manifest/load.ts, `ProjectWarning`): said by `sync` too. */
  warnings: string[];
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

/** A sync planned earlier in the same run, which the sync being planned waits for (`after`). */
export interface Upstream {
  spec: SyncSpec;
  plan: SyncPlan;
}

/**
 * Plans one sync: one diff statement (`opened`, when the caller has already opened it), its counts
 * first, then one streamed pass over the changed rows. With
 * `upstream` (its `after` sync, planned first in this run), the rows that sync is about to confirm
 * are counted in the requests too, since `sync` sends them once it has.
 */
export async function planSync(
  state: State,
  spec: SyncSpec,
  mode: PlanMode = {},
  upstream?: Upstream,
  opened?: OpenDiff,
): Promise<SyncPlan> {
  const diff = opened ?? (await openDiff(state, spec, mode));
  const leftOut = await readModelRejections(state.wh, spec, MAX_LISTED_REJECTIONS);
  const withheld = await readModelWithheldFields(state.wh, spec, MAX_LISTED_REJECTIONS);
  // The rows arrive in no order: each list keeps its first rows by kind and key (first-in-order.ts).
  const rejected = new FirstInOrder<Rejection>(MAX_LISTED_REJECTIONS);
  const droppedFields = new FirstInOrder<Rejection>(MAX_LISTED_REJECTIONS);
  let fieldsDropped = 0;
  let rejectedCount = 0;
  const object = objectOf(spec);
  const tally = emptyTally();
  const examplesOf = new Map<string, FirstInOrder<StreamedChange>>();
  const example = (change: StreamedChange) => {
    let kept = examplesOf.get(change.diffKind);
    if (kept === undefined) examplesOf.set(change.diffKind, (kept = new FirstInOrder(EXAMPLES)));
    kept.add(change, change);
  };
  const note = (change: StreamedChange, r: Rejection) => {
    rejectedCount += 1;
    rejected.add(change, r);
  };
  const erased = mode.erased ?? (await erasedIdentifiers(state));
  let heldBackErased = 0;
  const heldBack = new FirstInOrder<Rejection>(MAX_LISTED_REJECTIONS);
  const sameAsSent = { update: 0, changedEvents: 0 };
  for await (const chunk of diff.changes) {
    for (const change of chunk) {
      const row = classify(spec, object, change, erased);
      switch (row.type) {
        case 'refused':
        case 'invalid':
          note(change, row.rejection);
          break;
        case 'changed_event':
          example(change);
          break;
        case 'same_as_sent':
          if (change.diffKind === 'changed_event') sameAsSent.changedEvents += 1;
          else sameAsSent.update += 1;
          break;
        case 'remove':
          example(change);
          object.countRemoval(spec, change, tally);
          break;
        case 'held_back':
          heldBackErased += 1;
          heldBack.add(change, {
            sync: spec.name,
            model: spec.model.name,
            key: change.key,
            reason: row.reason,
          });
          break;
        case 'send':
          // The people a deletion sync erases are held back by the syncs planned after it.
          for (const hash of object.erases?.(row.payload) ?? []) erased.add(hash);
          for (const d of row.dropped) {
            fieldsDropped += 1;
            droppedFields.add(change, { sync: spec.name, model: spec.model.name, key: change.key, ...d });
          }
          object.countSend(spec, row.change, row.payload, tally);
          example(change);
          break;
      }
    }
  }
  // What the warehouse counted changed and would be sent as it was: unchanged, as `sync` leaves it.
  const counts: PlanCounts = {
    ...diff.counts,
    update: diff.counts.update - sameAsSent.update,
    changedEvents: diff.counts.changedEvents - sameAsSent.changedEvents,
    unchanged: diff.counts.unchanged + sameAsSent.update + sameAsSent.changedEvents,
  };
  // Rows waiting for the `after` sync that it confirms in this run: sent by this sync right after.
  const afterSend =
    upstream === undefined || counts.waitingOnAfter === 0
      ? 0
      : await waitingToSend(
          state,
          spec,
          upstream.spec,
          upstream.plan.rejected.map((r) => r.key),
        );
  const requests = object.requests(spec, tally, { counts, afterSend });
  return {
    sync: spec.name,
    object: spec.config.object,
    model: spec.model.name,
    relation: spec.model.relationName,
    after: spec.config.after ?? null,
    counts: {
      ...counts,
      rejected: rejectedCount,
      send: tally.send + tally.removes,
      leftOutByModel: leftOut.count,
      withheldByModel: withheld.count,
      fieldsDropped,
    },
    newProfiles: tally.newProfiles,
    unsubscribes: tally.unsubscribes,
    examples: [...examplesOf.keys()].sort().flatMap((kind) =>
      examplesOf
        .get(kind)!
        .list()
        .map((change) => ({
          kind: change.diffKind === 'changed_event' ? 'changed event' : change.kind,
          key: change.key,
          fields: object.examplesShowValues ? fieldChanges(change).slice(0, EXAMPLE_FIELDS) : [],
        })),
    ),
    rejected: rejected.list(),
    leftOutByModel: leftOut.rows,
    leftOutByReason: leftOut.byReason,
    withheldByModel: withheld.rows,
    withheldByReason: withheld.byReason,
    droppedFields: droppedFields.list(),
    estimate: estimate(requests),
    guard: removalGuard(spec, counts.synced, tally.removes + tally.clears, mode.allowMassRemoval),
    configChanges: [],
    startsOver: false,
    erasures: tally.erasures,
    heldBackErased,
    heldBack: heldBack.list(),
  };
}

/** `"db"."schema"` of a relation name dbt quoted as `"db"."schema"."name"`. */
const schemaOf = (relation: string) => relation.slice(0, Math.max(0, relation.lastIndexOf('.')));

/** Plans one sync after comparing its configuration with the one its snapshot was confirmed under. */
async function planWithConfig(
  state: State,
  spec: SyncSpec,
  recorded: SyncSpec['config'] | undefined,
  mode: PlanMode,
  upstream?: Upstream,
) {
  const diff = await openDiff(state, spec, mode);
  const counts = diff.counts;
  const changes = configChanges(recorded, spec.config, {
    inSnapshot: counts.unchanged + counts.update + counts.remove + counts.changedEvents,
    inModel:
      counts.create + counts.update + counts.unchanged + counts.changedEvents + counts.previouslyRejected,
  });
  const over = startsOver(changes);
  if (over) await diff.close();
  const planned = over
    ? await planSync(withoutSnapshotOf(state, spec.name), spec, mode, upstream)
    : await planSync(state, spec, mode, upstream, diff);
  return { ...planned, configChanges: changes, startsOver: over };
}

/**
 * Plans every selected sync and writes nothing anywhere: the warehouse is opened read-only where
 * the adapter allows it, and a state schema that does not exist reads as an empty snapshot. The
 * models come from the manifest's target (a pull request's CI schema), the snapshot from
 * `--state-schema` (production's), so the plan says what merging would change in Klaviyo.
 */
export async function plan(options: ProjectOptions & RunMode): Promise<PlanResult> {
  const project = await loadSyncs(options);
  // What DuckDB says once open (its budget raised), after the warnings known at the start.
  const later: string[] = [];
  const wh = await openWarehouse(project.connection, { readOnly: true, warn: (w) => later.push(w.message) });
  try {
    for (const [i, spec] of project.specs.entries()) project.specs[i] = await withModelColumns(wh, spec);
    const { state, missing } = await readOnlyStateOf(wh, project.stateSchema, project.stateDatabase);
    const recorded = await readConfigs(state);
    // Deletion syncs are planned first (select.ts orders them so) and add the people they erase.
    const erased = await erasedIdentifiers(state);
    const syncs: SyncPlan[] = [];
    const warnings = [...project.warnings, ...(wh.warnings ?? [])].map((w) => w.message);
    const planned = new Map<string, Upstream>();
    for (const spec of project.specs) {
      const after = spec.config.after === undefined ? undefined : planned.get(spec.config.after);
      const synced = await planWithConfig(
        state,
        spec,
        recorded.get(spec.name)?.config,
        { ...options, erased },
        after,
      );
      planned.set(spec.name, { spec, plan: synced });
      syncs.push(synced);
      const waiting = synced.counts.waitingOnAfter;
      if (waiting > 0) {
        // Said as `sync` says it, unless the `after` sync confirms some of these keys in this run.
        const confirmed = await afterNeverMet(state, spec);
        if (
          confirmed !== null &&
          (after === undefined ||
            (await waitingToSend(
              state,
              spec,
              after.spec,
              after.plan.rejected.map((r) => r.key),
            )) === 0)
        )
          warnings.push(afterNeverMetMessage(spec, waiting, confirmed));
      }
    }
    const removedSyncs = [...recorded.values()]
      .filter((r) => !project.allSyncs.includes(r.sync))
      .map((r) => ({ sync: r.sync, change: removedSync(r.sync, r.config) }));
    return {
      generatedAt: new Date().toISOString(),
      stateSchema: project.stateSchema,
      stateRelation: stateOf(wh, project.stateSchema, project.stateDatabase).table('snapshot'),
      modelSchemas: [...new Set(project.specs.map((s) => schemaOf(s.model.relationName)))],
      deferred: project.deferred,
      warnings: [...warnings, ...later],
      stateFound: !missing.includes('snapshot'),
      syncs,
      removedSyncs,
      totals: {
        send: syncs.reduce((a, s) => a + s.counts.send, 0),
        rejected: syncs.reduce((a, s) => a + s.counts.rejected, 0),
        leftOutByModel: syncs.reduce((a, s) => a + s.counts.leftOutByModel, 0),
        requests: syncs.reduce((a, s) => a + s.estimate.total, 0),
        seconds: syncs.reduce((a, s) => a + s.estimate.seconds, 0),
      },
      deletions: {
        syncs: project.specs.filter((s) => objectOf(s).erases !== undefined).map((s) => s.name),
        people: syncs.reduce((a, s) => a + s.erasures, 0),
        requests: syncs.reduce((a, s) => a + (s.estimate.requests.request_profile_deletion ?? 0), 0),
        heldBack: syncs.reduce((a, s) => a + s.heldBackErased, 0),
      },
      mode: {
        retryRejected: options.retryRejected === true,
        fullRefresh: options.fullRefresh === true,
        allowMassRemoval: options.allowMassRemoval === true,
      },
    };
  } finally {
    await wh.close();
  }
}
