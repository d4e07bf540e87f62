/**
 * `sync`: the same plan as `plan`, then applied. Per sync, in `after` order: take the sync's lock,
 * resume import jobs a killed run left behind, stream the diff, build payloads, send them in
 * Klaviyo-sized batches, and write to the snapshot only what Klaviyo confirmed. Rows Klaviyo (or
 * the runner) rejects are recorded with their reason and not resent until they change; failed
 * rows are simply not confirmed, so the next run sends them again.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import type { ProjectOptions } from '../manifest/load.ts';
import { InterruptedError, LockedError, stopsTheRun } from '../errors.ts';
import { loadSyncs, type LoadedProject } from '../manifest/load.ts';
import type { SyncSpec } from '../manifest/spec.ts';
import { KlaviyoClient, type ClientOptions } from '../klaviyo/client.ts';
import { findOrCreateList } from '../klaviyo/lists.ts';
import { unsetProperties } from '../klaviyo/profiles.ts';
import { importProfiles, pollImport, settleJob, type PollOptions } from '../apply/profiles.ts';
import { MAX_BYTES, MAX_EVENTS, sendEvents } from '../apply/events.ts';
import {
  addMembers,
  MAX_MEMBERS,
  removeMembers,
  subscribeMembers,
  unsubscribeMembers,
} from '../apply/lists.ts';
import type { RowOutcome } from '../state/changes.ts';
import { resolveProfileIds } from '../apply/profile-ids.ts';
import { openWarehouse } from '../source/open.ts';
import { readModelRejections } from '../source/rejected-rows.ts';
import { diffCounts, streamChanges, type PlanCounts, type StreamedChange } from '../state/diff.ts';
import { ensureStateSchema, stateOf, type State } from '../state/schema.ts';
import {
  confirmRows,
  forgetRows,
  recordRejections,
  recordWithdrawals,
  type RecordedRejection,
} from '../state/snapshot.ts';
import { recordConfig } from '../state/configs.ts';
import { guardConfigChanges } from './config-guard.ts';
import { finishJob, jobRows, pendingJobs, recordJob } from '../state/jobs.ts';
import {
  acquireLock,
  beginRun,
  finishRun,
  firstLoadDone,
  heartbeat,
  markFirstLoadDone,
  releaseLock,
} from '../state/runs.ts';
import { diffRejection } from '../plan/classify.ts';
import { erasedReason } from '../plan/erased.ts';
import { erasedIdentifiers } from '../state/deletions.ts';
import { DeletionSync } from './deletions.ts';
import { removalBound, removalGuard, type RunMode } from '../plan/guard.ts';
import { planSync } from '../plan/plan.ts';
import { buildPayload } from '../transform/build.ts';
import { buildIdentity } from '../transform/identity.ts';
import { buildProfile } from '../transform/profile.ts';
import type { DroppedField, EventPayload, ListMemberPayload, ProfilePayload } from '../transform/payload.ts';
import { createLogger, type Logger } from '../report/log.ts';
import { RUNNER_VERSION } from '../version.ts';
import {
  emptyCounts,
  overallStatus,
  writeRunResults,
  type RunResults,
  type SyncResult,
  type SyncStatus,
} from '../report/run-results.ts';

export interface SyncOptions extends ProjectOptions, RunMode {
  logger?: Logger;
  client?: ClientOptions;
  poll?: PollOptions;
  progress?: boolean;
  /** Start over the syncs whose key, metric or list changed (config-guard.ts). */
  allowConfigChange?: boolean;
  /** Aborted on SIGINT/SIGTERM: the run stops at the next request or batch and records `interrupted`. */
  signal?: AbortSignal;
}

const MAX_PROFILES = 10_000;
const MAX_PROFILE_BYTES = 5 * 1024 * 1024 - 64 * 1024;
const MAX_LISTED = 1000;

interface Pending<P> {
  payload: P;
  change: StreamedChange;
}

/** Profile ids the snapshot already holds for these rows, by key. */
function knownIds(items: Pending<unknown>[]): Map<string, string> {
  const ids = new Map<string, string>();
  for (const { change } of items) if (change.profileId !== null) ids.set(change.key, change.profileId);
  return ids;
}

class SyncRun {
  readonly result: SyncResult;
  /** What stopped the whole run in this sync (a refused key, Klaviyo unreachable, a signal), if anything. */
  stopped: Error | null = null;
  private readonly rejections: RecordedRejection[] = [];
  private listId: string | null = null;
  private backfill = false;
  /** Hashes of erased people's identifiers (docs/privacy-deletions.md): their rows are held back. */
  private erased: ReadonlySet<string> = new Set();
  private bar: cliProgress.SingleBar | null = null;

  constructor(
    private readonly state: State,
    private readonly client: KlaviyoClient,
    private readonly spec: SyncSpec,
    private readonly runId: string,
    private readonly options: SyncOptions,
    private readonly log: Logger,
    /** The run's syncs: a deletion sync reads the others' snapshot rows under their configuration. */
    private readonly specs: SyncSpec[] = [spec],
  ) {
    this.result = {
      sync: spec.name,
      unique_id: spec.exposureId,
      object: spec.config.object,
      model: spec.model.name,
      status: 'success',
      message: '',
      timing: { started_at: new Date().toISOString(), completed_at: '' },
      execution_time: 0,
      counts: emptyCounts(),
      requests: {},
      jobs: [],
      rejected: [],
      failed: [],
      left_out_by_model: [],
      left_out_by_reason: {},
      dropped_fields: [],
      held_back: [],
    };
  }

  private reject(
    key: string,
    hash: string | null,
    reason: string,
    column: string | undefined,
    source: 'runner' | 'klaviyo',
    record = true,
  ): void {
    this.result.counts.rejected += 1;
    if (this.result.rejected.length < MAX_LISTED)
      this.result.rejected.push({ key, ...(column !== undefined ? { column } : {}), reason });
    if (!record) return;
    this.rejections.push({
      sync: this.spec.name,
      model: this.spec.model.name,
      key,
      ...(column !== undefined ? { column } : {}),
      reason,
      hash,
      source,
    });
  }

  /** A row sent without a field it had: reported for the row, the row itself goes on. */
  private dropFields(key: string, dropped: DroppedField[]): void {
    for (const { column, reason } of dropped) {
      this.result.counts.fields_dropped += 1;
      if (this.result.dropped_fields.length < MAX_LISTED)
        this.result.dropped_fields.push({ key, column, reason });
    }
  }

  /** A row of an erased person, never sent: reported on every run while the model carries it. */
  private holdBack(key: string, reason: string): void {
    this.result.counts.held_back_erased += 1;
    if (this.result.held_back.length < MAX_LISTED) this.result.held_back.push({ key, reason });
  }

  private fail(key: string, reason: string): void {
    this.result.counts.failed += 1;
    if (this.result.failed.length < MAX_LISTED) this.result.failed.push({ key, reason });
  }

  private async flushRejections(): Promise<void> {
    await recordRejections(this.state, this.runId, this.rejections.splice(0));
  }

  /** Applies outcomes: confirmed rows into the snapshot, rejected ones recorded, failed ones left to the next run. */
  private async settle(
    items: Pending<unknown>[],
    outcomes: RowOutcome[],
    onConfirmed: (item: Pending<unknown>) => void,
  ): Promise<void> {
    const byKey = new Map(items.map((i) => [i.change.key, i]));
    const confirmed = [];
    for (const o of outcomes) {
      const item = byKey.get(o.key);
      if (item === undefined) continue;
      if (o.status === 'confirmed') {
        confirmed.push({
          key: o.key,
          hash: item.change.hash!,
          row: item.change.row,
          profileId: o.profileId ?? item.change.profileId ?? null,
        });
        onConfirmed(item);
      } else if (o.status === 'rejected')
        this.reject(o.key, item.change.hash, o.reason ?? 'rejected by Klaviyo', undefined, 'klaviyo');
      else this.fail(o.key, o.reason ?? 'failed');
    }
    await confirmRows(this.state, this.spec, this.runId, confirmed);
    await this.flushRejections();
    this.bar?.increment(items.length);
    await heartbeat(this.state, this.spec.name, this.runId);
  }

  private countConfirmed(item: Pending<unknown>): void {
    const c = this.result.counts;
    if (this.spec.config.object === 'profile') {
      if (item.change.kind === 'create') c.created += 1;
      else c.updated += 1;
    } else if (this.spec.config.object === 'event') c.events_sent += 1;
    else c.list_added += 1;
  }

  /** Import jobs a previous run submitted and did not see finish: poll them and confirm their rows. */
  private async resumeJobs(): Promise<void> {
    for (const { jobId } of await pendingJobs(this.state, this.spec)) {
      this.log.log(
        'info',
        'job.resume',
        `${this.spec.name}: resuming import job ${jobId} from an earlier run`,
        { sync: this.spec.name, jobId },
      );
      const rows = await jobRows(this.state, jobId);
      const items: Pending<ProfilePayload>[] = [];
      for (const r of rows) {
        // The snapshot still holds what Klaviyo had before the job: the properties to clear follow from it.
        const change: StreamedChange = {
          diffKind: r.previous === null ? 'create' : 'update',
          kind: r.previous === null ? 'create' : 'update',
          key: r.key,
          hash: r.hash,
          row: r.row,
          previous: r.previous,
          profileId: r.profileId,
        };
        const built = buildProfile(this.spec, change);
        if (built.ok) items.push({ payload: built.payload, change });
      }
      const job = await pollImport(this.client, jobId, this.options.poll);
      if (job === null) {
        this.result.message = `import job ${jobId} is still running at Klaviyo; the next run picks it up`;
        continue;
      }
      if (job.status === 'cancelled') {
        // Klaviyo imported none of the job's rows, so none is confirmed at the job's values and the
        // diff this run computes next sends them all again. Counting them failed here as well
        // reported a failure (exit 1, first load not marked done) for rows this same run confirmed.
        this.result.jobs.push(jobId);
        this.log.log(
          'warn',
          'job.cancelled',
          `${this.spec.name}: Klaviyo cancelled import job ${jobId}; its ${rows.length} rows are sent again`,
          { sync: this.spec.name, jobId, rows: rows.length },
        );
        await finishJob(this.state, jobId, 'cancelled');
        continue;
      }
      const payloads = items.map((i) => i.payload);
      const outcomes = await settleJob(this.client, jobId, job, payloads, knownIds(items));
      this.result.jobs.push(jobId);
      await this.settle(items, outcomes, (i) => this.countConfirmed(i));
      await finishJob(this.state, jobId, 'complete');
    }
  }

  private async sendProfiles(items: Pending<ProfilePayload>[]): Promise<void> {
    if (items.length === 0) return;
    this.options.signal?.throwIfAborted();
    const byKey = new Map(items.map((i) => [i.change.key, i.change]));
    const { jobs, outcomes } = await importProfiles(
      this.client,
      items.map((i) => i.payload),
      {
        ...this.options.poll,
        knownIds: knownIds(items),
        onSubmitted: (id, sent) =>
          recordJob(
            this.state,
            this.spec,
            this.runId,
            id,
            'profile-bulk-import',
            sent.map((p) => {
              const change = byKey.get(p.key)!;
              return { key: p.key, hash: change.hash!, row: change.row };
            }),
          ),
      },
    );
    this.result.jobs.push(...jobs.map((j) => j.jobId));
    await this.settle(items, outcomes, (i) => this.countConfirmed(i));
    // A job still running at Klaviyo stays recorded: the next run resumes it.
    for (const job of jobs) if (job.status !== 'running') await finishJob(this.state, job.jobId, job.status);
  }

  private async sendEvents(items: Pending<EventPayload>[]): Promise<void> {
    if (items.length === 0) return;
    this.options.signal?.throwIfAborted();
    const outcomes = await sendEvents(
      this.client,
      items.map((i) => i.payload),
      this.backfill,
    );
    await this.settle(items, outcomes, (i) => this.countConfirmed(i));
  }

  private async list(): Promise<string> {
    if (this.listId !== null) return this.listId;
    const config = this.spec.config.list!;
    this.listId = config.id ?? (await findOrCreateList(this.client, config.name!)).id;
    return this.listId;
  }

  private async sendMembers(items: Pending<ListMemberPayload>[]): Promise<void> {
    if (items.length === 0) return;
    this.options.signal?.throwIfAborted();
    const listId = await this.list();
    const payloads = items.map((i) => i.payload);
    const outcomes = await addMembers(this.client, listId, payloads);
    const added = payloads.filter((p) => outcomes.some((o) => o.key === p.key && o.status === 'confirmed'));
    // A withdrawal goes before any subscription, so a channel withdrawn is never subscribed on the way.
    const withdrawn = await this.withdraw(added);
    const subscribed = await subscribeMembers(this.client, listId, added);
    this.result.counts.subscribed += subscribed.filter((o) => o.status === 'confirmed').length;
    const unconfirmed = new Map(
      [...withdrawn, ...subscribed].filter((o) => o.status !== 'confirmed').map((o) => [o.key, o]),
    );
    await this.settle(
      items,
      outcomes.map((o) => unconfirmed.get(o.key) ?? o),
      (i) => this.countConfirmed(i),
    );
  }

  /** Sends Klaviyo the withdrawals these members carry and records the confirmed ones. */
  private async withdraw(members: ListMemberPayload[]): Promise<RowOutcome[]> {
    const outcomes = await unsubscribeMembers(this.client, members);
    const confirmed = new Set(outcomes.filter((o) => o.status === 'confirmed').map((o) => o.key));
    await recordWithdrawals(
      this.state,
      this.spec,
      this.runId,
      members
        .filter((m) => confirmed.has(m.key))
        .map((m) => ({ key: m.key, channels: m.unsubscribe!.channels })),
    );
    this.result.counts.unsubscribed += confirmed.size;
    return outcomes;
  }

  private async handleRemovals(items: StreamedChange[]): Promise<void> {
    if (items.length === 0) return;
    const object = this.spec.config.object;
    const onRemove = this.spec.config.on_remove;
    if (object === 'list_membership') {
      const members: ListMemberPayload[] = items.map((change) => {
        const built = buildPayload(this.spec, change);
        return built.ok
          ? (built.payload as ListMemberPayload)
          : { key: change.key, profile: {}, profileId: change.profileId };
      });
      // on_remove: ignore keeps the member on the list; a withdrawal of consent is sent all the same.
      const outcomes =
        onRemove === 'ignore'
          ? members.map((m) => ({ key: m.key, status: 'confirmed' as const }))
          : await removeMembers(this.client, await this.list(), members);
      const removed = new Set(outcomes.filter((o) => o.status === 'confirmed').map((o) => o.key));
      const withdrawn = await this.withdraw(members.filter((m) => removed.has(m.key)));
      for (const o of [...outcomes, ...withdrawn]) {
        if (o.status === 'confirmed') continue;
        removed.delete(o.key);
        this.fail(o.key, o.reason ?? 'failed');
      }
      // A row whose withdrawal failed stays in the snapshot: the next run removes and withdraws again.
      await forgetRows(this.state, this.spec, [...removed]);
      if (onRemove === 'ignore') this.result.counts.removed += removed.size;
      else this.result.counts.list_removed += removed.size;
      return;
    }
    if (object === 'profile' && onRemove === 'unset_properties') {
      const keys = this.spec.config.properties ?? [];
      const done: string[] = [];
      // The row left the model: its identity comes from what Klaviyo last confirmed.
      const ids = await resolveProfileIds(
        this.client,
        items.map((change) => {
          const identity = buildIdentity(this.spec, change.key, change.previous ?? {});
          return {
            key: change.key,
            profile: identity.ok ? identity.payload : {},
            profileId: change.profileId,
          };
        }),
      );
      for (const change of items) {
        const profileId = ids.get(change.key);
        if (profileId === undefined) {
          // Klaviyo has no such profile: there is nothing to clear.
          done.push(change.key);
          continue;
        }
        try {
          await unsetProperties(this.client, profileId, keys);
          done.push(change.key);
        } catch (error) {
          if (stopsTheRun(error)) throw error;
          this.fail(change.key, (error as Error).message);
        }
      }
      await forgetRows(this.state, this.spec, done);
      this.result.counts.removed += done.length;
      return;
    }
    // Klaviyo keeps the profile (or the member, with on_remove: ignore, or the event: Klaviyo
    // events cannot be deleted through the API); the row leaves the snapshot, so it is reported
    // once, not again on every later run. Should it come back, it is sent with the same
    // unique_id, which Klaviyo drops as a duplicate (https://developers.klaviyo.com/en/reference/create_event).
    await forgetRows(
      this.state,
      this.spec,
      items.map((c) => c.key),
    );
    this.result.counts.removed += items.length;
  }

  async run(): Promise<SyncResult> {
    const started = performance.now();
    const spec = this.spec;
    try {
      await acquireLock(this.state, spec.name, this.runId);
      try {
        if (spec.config.object === 'profile') await this.resumeJobs();
        if (this.result.message !== '') {
          // An earlier run's import job is still at work: sending its rows again could import
          // them twice, so this sync waits for the next run.
          this.result.status = 'partial';
          return this.finish(started);
        }
        const counts = await diffCounts(this.state, spec, this.options);
        if (await this.stoppedByGuard(counts)) return this.finish(started);
        const c = this.result.counts;
        c.unchanged = counts.unchanged;
        c.skipped_by_scope = counts.skippedByScope;
        c.waiting_on_after = counts.waitingOnAfter;
        c.events_changed_not_resent = counts.changedEvents;
        c.previously_rejected = counts.previouslyRejected;
        const leftOut = await readModelRejections(this.state.wh, spec, MAX_LISTED);
        c.left_out_by_model = leftOut.count;
        this.result.left_out_by_model = leftOut.rows;
        this.result.left_out_by_reason = leftOut.byReason;
        const backfill = spec.config.backfill ?? 'first_load';
        // A full refresh sends the sync's history again, as on its first load: no flow may fire for it.
        this.backfill =
          backfill === 'first_load'
            ? this.options.fullRefresh === true || !(await firstLoadDone(this.state, spec.name))
            : backfill;
        const total = counts.create + counts.update + counts.remove;
        if (this.options.progress === true && total > 2000) {
          this.bar = new cliProgress.SingleBar(
            { format: `${spec.name} [{bar}] {value}/{total} rows`, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          this.bar.start(total, 0);
        }
        this.log.log(
          'info',
          'sync.start',
          `${spec.name}: ${counts.create} to create, ${counts.update} to update, ${counts.remove} to remove, ${counts.unchanged} unchanged`,
          { sync: spec.name, ...counts },
        );
        await this.apply();
      } finally {
        this.bar?.stop();
        await releaseLock(this.state, spec.name, this.runId);
      }
      const c = this.result.counts;
      this.result.status = c.failed > 0 || c.rejected > 0 ? 'partial' : 'success';
      // Nothing left to send but rows Klaviyo or the runner refused: the first load is done.
      if (c.failed === 0 && this.result.message === '') await markFirstLoadDone(this.state, spec.name);
    } catch (error) {
      if (error instanceof LockedError) {
        this.result.status = 'skipped';
        this.result.message = error.message;
      } else {
        if (stopsTheRun(error)) this.stopped = error as Error;
        this.result.status = error instanceof InterruptedError ? 'interrupted' : 'error';
        this.result.message = (error as Error).message;
      }
    }
    return this.finish(started);
  }

  /**
   * The mass-removal guard, before anything is sent. The diff's counts bound what the run can
   * remove or clear; only when that bound is over the threshold is the exact number counted, by the
   * same pass `plan` makes.
   */
  private async stoppedByGuard(counts: PlanCounts): Promise<boolean> {
    const allow = this.options.allowMassRemoval === true;
    if (!removalGuard(this.spec, counts.synced, removalBound(this.spec, counts), allow).trips) return false;
    const guard = (await planSync(this.state, this.spec, this.options)).guard;
    if (!guard.trips) return false;
    this.log.log(allow ? 'warn' : 'error', 'sync.mass_removal', `${this.spec.name}: ${guard.message}`, {
      sync: this.spec.name,
      removing: guard.removing,
      synced: guard.synced,
      max_removal_percent: guard.maxPercent,
    });
    if (allow) return false;
    this.result.status = 'stopped';
    this.result.message = guard.message;
    return true;
  }

  private finish(started: number): SyncResult {
    this.result.requests = {};
    this.result.timing.completed_at = new Date().toISOString();
    this.result.execution_time = (performance.now() - started) / 1000;
    return this.result;
  }

  /** A deletion sync's own path (sync/deletions.ts), reporting through this run's result. */
  private applyDeletions(): Promise<void> {
    return new DeletionSync(
      {
        state: this.state,
        client: this.client,
        spec: this.spec,
        specs: this.specs,
        runId: this.runId,
        mode: this.options,
        log: this.log,
        ...(this.options.signal !== undefined ? { signal: this.options.signal } : {}),
      },
      {
        counts: this.result.counts,
        reject: (key, hash, reason, column, source, record) =>
          this.reject(key, hash, reason, column, source, record),
        fail: (key, reason) => this.fail(key, reason),
        dropFields: (key, dropped) => this.dropFields(key, dropped),
        flush: () => this.flushRejections(),
      },
    ).apply();
  }

  private async apply(): Promise<void> {
    const spec = this.spec;
    const object = spec.config.object;
    if (object === 'deletion') return this.applyDeletions();
    this.erased = await erasedIdentifiers(this.state);
    let profiles: Pending<ProfilePayload>[] = [];
    let profileBytes = 0;
    let events: Pending<EventPayload>[] = [];
    let eventBytes = 0;
    let members: Pending<ListMemberPayload>[] = [];
    for await (const chunk of streamChanges(this.state, spec, this.options)) {
      this.options.signal?.throwIfAborted();
      const removals: StreamedChange[] = [];
      for (const change of chunk) {
        const refused = diffRejection(spec, change);
        if (refused !== null) {
          // A row without a key cannot be remembered as rejected: it is reported on every run.
          this.reject(
            refused.key,
            null,
            refused.reason,
            refused.column,
            'runner',
            change.diffKind !== 'null_key',
          );
          continue;
        }
        if (change.diffKind === 'changed_event') continue;
        if (change.kind === 'remove') {
          removals.push(change);
          continue;
        }
        const built = buildPayload(spec, change);
        if (!built.ok) {
          this.reject(change.key, change.hash, built.rejection.reason, built.rejection.column, 'runner');
          continue;
        }
        const erased = erasedReason(spec, built.payload, this.erased);
        if (erased !== null) {
          this.holdBack(change.key, erased);
          continue;
        }
        if (built.dropped !== undefined) this.dropFields(change.key, built.dropped);
        if (object === 'profile') {
          const p = built.payload as ProfilePayload;
          if (profiles.length >= MAX_PROFILES || profileBytes + p.bytes > MAX_PROFILE_BYTES) {
            await this.sendProfiles(profiles);
            profiles = [];
            profileBytes = 0;
          }
          profiles.push({ payload: p, change });
          profileBytes += p.bytes;
        } else if (object === 'event') {
          const e = built.payload as EventPayload;
          if (events.length >= MAX_EVENTS || eventBytes + e.bytes > MAX_BYTES) {
            await this.sendEvents(events);
            events = [];
            eventBytes = 0;
          }
          events.push({ payload: e, change });
          eventBytes += e.bytes;
        } else {
          if (members.length >= MAX_MEMBERS) {
            await this.sendMembers(members);
            members = [];
          }
          members.push({ payload: built.payload as ListMemberPayload, change });
        }
      }
      await this.flushRejections();
      for (let i = 0; i < removals.length; i += MAX_MEMBERS)
        await this.handleRemovals(removals.slice(i, i + MAX_MEMBERS));
    }
    await this.sendProfiles(profiles);
    await this.sendEvents(events);
    await this.sendMembers(members);
    await this.flushRejections();
  }
}

function runMetadata(runId: string, dbtInvocationId: string | null, baseUrl: string): RunResults['metadata'] {
  return {
    schema: 'https://klaviyo-runner.dev/schemas/run-results/v1.json',
    klaviyo_runner_version: RUNNER_VERSION,
    generated_at: new Date().toISOString(),
    run_id: runId,
    command: 'sync',
    dbt_invocation_id: dbtInvocationId,
    klaviyo_base_url: baseUrl,
  };
}

/**
 * A run stopped before its syncs were known (no manifest, a broken exposure, profiles.yml) still
 * replaces the results file in an existing target folder, so it never describes an earlier run.
 */
async function recordUnloaded(options: SyncOptions, runId: string, error: Error, started: number) {
  const targetPath = path.resolve(
    options.projectDir,
    options.targetPath ?? process.env.DBT_TARGET_PATH ?? 'target',
  );
  if (!existsSync(targetPath)) return;
  await writeRunResults(targetPath, {
    metadata: runMetadata(runId, null, ''),
    status: error instanceof InterruptedError ? 'interrupted' : 'error',
    message: error.message,
    elapsed_time: (performance.now() - started) / 1000,
    results: [],
  });
}

/** What the run was: interrupted, stopped by an error, or the worst of its syncs. */
function runStatus(results: SyncResult[], stopped: Error | null): SyncStatus {
  if (stopped instanceof InterruptedError) return 'interrupted';
  if (stopped !== null) return 'error';
  return overallStatus(results);
}

/** A sync the run never reached, recorded as skipped with the reason. */
function notRun(spec: SyncSpec, reason: string): SyncResult {
  const now = new Date().toISOString();
  return {
    sync: spec.name,
    unique_id: spec.exposureId,
    object: spec.config.object,
    model: spec.model.name,
    status: 'skipped',
    message: `not run: ${reason}`,
    timing: { started_at: now, completed_at: now },
    execution_time: 0,
    counts: emptyCounts(),
    requests: {},
    jobs: [],
    rejected: [],
    failed: [],
    dropped_fields: [],
    held_back: [],
    left_out_by_model: [],
    left_out_by_reason: {},
  };
}

/**
 * Runs every selected sync and records the run as what it was, whatever stops it: the `runs` row
 * and `target/klaviyo_run_results.json` get the true status (a refused key or an unreachable
 * Klaviyo: `error` for the sync that met it and `skipped` for the rest; SIGINT/SIGTERM:
 * `interrupted`), and the error that stopped the run is thrown after both are written.
 */
export async function sync(options: SyncOptions): Promise<RunResults> {
  const log = options.logger ?? createLogger('text');
  const started = performance.now();
  const runId = randomUUID();
  let project: LoadedProject;
  try {
    project = await loadSyncs(options);
  } catch (error) {
    await recordUnloaded(options, runId, error as Error, started);
    throw error;
  }
  for (const warning of project.warnings) log.log('warn', 'project.version_mismatch', warning);
  const results: SyncResult[] = [];
  let stopped: Error | null = null;
  let baseUrl = '';
  try {
    const client = new KlaviyoClient({ ...options.client, signal: options.signal ?? options.client?.signal });
    baseUrl = client.baseUrl;
    try {
      const wh = await openWarehouse(project.connection);
      try {
        const state = stateOf(wh, project.stateSchema, project.stateDatabase);
        await ensureStateSchema(state);
        const restarted = await guardConfigChanges(
          state,
          project.specs,
          runId,
          options.allowConfigChange === true,
        );
        for (const name of restarted)
          log.log('warn', 'sync.start_over', `${name}: configuration changed; starting the sync over`, {
            sync: name,
          });
        await beginRun(state, runId, 'sync');
        try {
          for (const spec of project.specs) {
            if (stopped !== null) {
              results.push(notRun(spec, stopped.message));
              continue;
            }
            if (options.signal?.aborted === true) stopped = options.signal.reason as Error;
            const before = { ...client.requestCounts };
            const run = new SyncRun(state, client, spec, runId, options, log, project.specs);
            const result = stopped === null ? await run.run() : notRun(spec, stopped.message);
            stopped ??= run.stopped;
            // The snapshot now describes Klaviyo under this configuration.
            if (result.status === 'success' || result.status === 'partial')
              await recordConfig(state, spec, runId);
            for (const [op, n] of Object.entries(client.requestCounts)) {
              const delta = n - (before[op as keyof typeof before] ?? 0);
              if (delta > 0) result.requests[op] = delta;
            }
            results.push(result);
            log.log(
              result.status === 'error' || result.status === 'interrupted' ? 'error' : 'info',
              'sync.done',
              `${spec.name}: ${result.status}${result.message ? ` (${result.message})` : ''}`,
              { sync: spec.name, status: result.status, counts: result.counts },
            );
          }
        } finally {
          await finishRun(
            state,
            runId,
            runStatus(results, stopped),
            results.map((r) => ({ sync: r.sync, status: r.status, counts: r.counts })),
          );
        }
      } finally {
        await wh.close();
      }
    } finally {
      await client.close();
    }
  } catch (error) {
    // Stopped before or outside the syncs (the warehouse, the state schema, KLAVIYO_BASE_URL).
    stopped ??= error as Error;
  }
  const runResults: RunResults = {
    metadata: runMetadata(runId, project.dbtInvocationId, baseUrl),
    status: 'success',
    message: stopped?.message ?? '',
    elapsed_time: (performance.now() - started) / 1000,
    results: [
      ...results,
      ...project.specs
        .slice(results.length)
        .map((spec) => notRun(spec, stopped?.message ?? 'the run stopped')),
    ],
  };
  runResults.status = runStatus(runResults.results, stopped);
  await writeRunResults(project.targetPath, runResults);
  if (stopped !== null) throw stopped;
  return runResults;
}
