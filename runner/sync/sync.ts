/**
 * `sync`: the same plan as `plan`, then applied. Per sync, in `after` order: take the sync's lock,
 * resume import jobs a killed run left behind, stream the diff, build payloads, send them in
 * Klaviyo-sized batches, and write to the snapshot only what Klaviyo confirmed. Rows Klaviyo (or
 * the runner) rejects are recorded with their reason and not resent until they change; failed
 * rows are simply not confirmed, so the next run sends them again.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import type { ProjectOptions } from '../commands/options.ts';
import { LockedError, stopsTheRun } from '../errors.ts';
import { loadSyncs } from '../manifest/load.ts';
import type { SyncSpec } from '../manifest/spec.ts';
import { KlaviyoClient, type ClientOptions } from '../klaviyo/client.ts';
import { findOrCreateList } from '../klaviyo/lists.ts';
import { unsetProperties } from '../klaviyo/profiles.ts';
import { importProfiles, pollImport, settleJob, type PollOptions } from '../apply/profiles.ts';
import { MAX_BYTES, MAX_EVENTS, sendEvents } from '../apply/events.ts';
import { addMembers, MAX_MEMBERS, removeMembers, subscribeMembers } from '../apply/lists.ts';
import type { RowOutcome } from '../apply/outcome.ts';
import { resolveProfileIds } from '../apply/profile-ids.ts';
import { openWarehouse } from '../source/open.ts';
import { readModelRejections } from '../source/rejected-rows.ts';
import { diffCounts, streamChanges, type StreamedChange } from '../state/diff.ts';
import { ensureStateSchema, stateOf, type State } from '../state/schema.ts';
import { confirmRows, forgetRows, recordRejections, type RecordedRejection } from '../state/snapshot.ts';
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
} from '../report/run-results.ts';

export interface SyncOptions extends ProjectOptions {
  logger?: Logger;
  client?: ClientOptions;
  poll?: PollOptions;
  progress?: boolean;
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
  private readonly rejections: RecordedRejection[] = [];
  private listId: string | null = null;
  private backfill = false;
  private bar: cliProgress.SingleBar | null = null;

  constructor(
    private readonly state: State,
    private readonly client: KlaviyoClient,
    private readonly spec: SyncSpec,
    private readonly runId: string,
    private readonly options: SyncOptions,
    private readonly log: Logger,
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
    };
  }

  private reject(
    key: string,
    hash: string | null,
    reason: string,
    column: string | undefined,
    source: 'runner' | 'klaviyo',
  ): void {
    this.result.counts.rejected += 1;
    if (this.result.rejected.length < MAX_LISTED)
      this.result.rejected.push({ key, ...(column !== undefined ? { column } : {}), reason });
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
    const listId = await this.list();
    const payloads = items.map((i) => i.payload);
    const outcomes = await addMembers(this.client, listId, payloads);
    const subscribed = await subscribeMembers(
      this.client,
      listId,
      payloads.filter((p) => outcomes.some((o) => o.key === p.key && o.status === 'confirmed')),
    );
    this.result.counts.subscribed += subscribed.filter((o) => o.status === 'confirmed').length;
    const failedSubscribe = new Map(
      subscribed.filter((o) => o.status !== 'confirmed').map((o) => [o.key, o]),
    );
    await this.settle(
      items,
      outcomes.map((o) => failedSubscribe.get(o.key) ?? o),
      (i) => this.countConfirmed(i),
    );
  }

  private async handleRemovals(items: StreamedChange[]): Promise<void> {
    if (items.length === 0) return;
    const object = this.spec.config.object;
    const onRemove = this.spec.config.on_remove;
    if (object === 'list_membership' && onRemove !== 'ignore') {
      const members: Pending<ListMemberPayload>[] = [];
      for (const change of items) {
        const built = buildPayload(this.spec, change);
        if (built.ok) members.push({ payload: built.payload as ListMemberPayload, change });
        else members.push({ payload: { key: change.key, profile: {}, profileId: change.profileId }, change });
      }
      const outcomes = await removeMembers(
        this.client,
        await this.list(),
        members.map((m) => m.payload),
      );
      const done = outcomes.filter((o) => o.status === 'confirmed').map((o) => o.key);
      await forgetRows(this.state, this.spec, done);
      this.result.counts.list_removed += done.length;
      for (const o of outcomes) if (o.status !== 'confirmed') this.fail(o.key, o.reason ?? 'failed');
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
        const counts = await diffCounts(this.state, spec);
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
        this.backfill = backfill === 'first_load' ? !(await firstLoadDone(this.state, spec.name)) : backfill;
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
      if (stopsTheRun(error)) throw error;
      if (error instanceof LockedError) {
        this.result.status = 'skipped';
        this.result.message = error.message;
      } else {
        this.result.status = 'error';
        this.result.message = (error as Error).message;
      }
    }
    return this.finish(started);
  }

  private finish(started: number): SyncResult {
    this.result.requests = {};
    this.result.timing.completed_at = new Date().toISOString();
    this.result.execution_time = (performance.now() - started) / 1000;
    return this.result;
  }

  private async apply(): Promise<void> {
    const spec = this.spec;
    const object = spec.config.object;
    let profiles: Pending<ProfilePayload>[] = [];
    let profileBytes = 0;
    let events: Pending<EventPayload>[] = [];
    let eventBytes = 0;
    let members: Pending<ListMemberPayload>[] = [];
    for await (const chunk of streamChanges(this.state, spec)) {
      const removals: StreamedChange[] = [];
      for (const change of chunk) {
        if (change.diffKind === 'duplicate') {
          this.reject(
            change.key,
            null,
            'key appears more than once in the model; fix the model so each key is one row',
            spec.config.key,
            'runner',
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

export async function sync(options: SyncOptions): Promise<RunResults> {
  const log = options.logger ?? createLogger('text');
  const started = performance.now();
  const project = await loadSyncs(options);
  for (const warning of project.warnings) log.log('warn', 'project.version_mismatch', warning);
  const client = new KlaviyoClient(options.client);
  const runId = randomUUID();
  const wh = await openWarehouse(project.connection);
  const results: SyncResult[] = [];
  try {
    const state = stateOf(wh, project.stateSchema);
    await ensureStateSchema(state);
    await beginRun(state, runId, 'sync');
    try {
      for (const spec of project.specs) {
        const before = { ...client.requestCounts };
        const result = await new SyncRun(state, client, spec, runId, options, log).run();
        for (const [op, n] of Object.entries(client.requestCounts)) {
          const delta = n - (before[op as keyof typeof before] ?? 0);
          if (delta > 0) result.requests[op] = delta;
        }
        results.push(result);
        log.log(
          result.status === 'error' ? 'error' : 'info',
          'sync.done',
          `${spec.name}: ${result.status}${result.message ? ` (${result.message})` : ''}`,
          { sync: spec.name, status: result.status, counts: result.counts },
        );
      }
    } finally {
      await finishRun(
        state,
        runId,
        overallStatus(results),
        results.map((r) => ({ sync: r.sync, status: r.status, counts: r.counts })),
      );
    }
  } finally {
    await wh.close();
    await client.close();
  }
  const runResults: RunResults = {
    metadata: {
      schema: 'https://klaviyo-runner.dev/schemas/run-results/v1.json',
      klaviyo_runner_version: RUNNER_VERSION,
      generated_at: new Date().toISOString(),
      run_id: runId,
      command: 'sync',
      dbt_invocation_id: project.dbtInvocationId,
      klaviyo_base_url: client.baseUrl,
    },
    status: overallStatus(results),
    elapsed_time: (performance.now() - started) / 1000,
    results,
  };
  await writeRunResults(project.targetPath, runResults);
  return runResults;
}
