/**
 * `sync`: the same plan as `plan`, then applied. Syncs that do not depend on each other go side by
 * side (schedule.ts). Per sync: take the sync's lock, resume the work a killed run left at Klaviyo,
 * check the mass-removal guard, apply the diff (pipeline.ts, through the sync's object module in
 * objects/), and write to the snapshot only what Klaviyo confirmed. Rows Klaviyo (or the runner)
 * rejects are recorded with their reason and not resent until they change (row-report.ts); failed
 * rows are simply not confirmed, so the next run sends them again. The run is recorded as what it
 * was, whatever stops it (results.ts).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import type { ProjectOptions } from '../manifest/load.ts';
import { InterruptedError, LockedError, stopsTheRun } from '../errors.ts';
import { loadSyncs, type LoadedProject } from '../manifest/load.ts';
import type { SyncSpec } from '../manifest/spec.ts';
import { KlaviyoClient, type ClientOptions } from '../klaviyo/client.ts';
import type { PollOptions } from '../apply/profiles.ts';
import type { RowOutcome } from '../state/changes.ts';
import { withModelColumns } from '../source/model-columns.ts';
import { openWarehouse } from '../source/open.ts';
import { openDiff, type OpenDiff } from '../state/diff.ts';
import { ensureStateSchema, stateOf, type State } from '../state/schema.ts';
import { recordChangedEvents } from '../state/changed-events.ts';
import { confirmRows, forgetRows, rebaselineRows, type ConfirmedRow } from '../state/snapshot.ts';
import { recordConfig } from '../state/configs.ts';
import { erasedIdentifiers } from '../state/deletions.ts';
import { guardConfigChanges } from './config-guard.ts';
import { massRemovalStop } from './removal-guard.ts';
import {
  acquireLock,
  beginRun,
  finishRun,
  heartbeat,
  markFirstLoadDone,
  releaseLock,
} from '../state/runs.ts';
import { objectOf } from '../objects/index.ts';
import type { Applier, ApplyContext, Keyed, KlaviyoObject, Pending, SentChange } from '../objects/object.ts';
import type { RunMode } from '../plan/guard.ts';
import { createLogger, warnOn, type Logger } from '../report/log.ts';
import { writeRunResults, type RunResults, type SyncResult } from '../report/run-results.ts';
import { applyChanges, Serial, WriteBehind } from './pipeline.ts';
import { backfilledSyncs, sideBySide, SIDE_BY_SIDE, waitsFor } from './schedule.ts';
import { newResult, notRun, recordUnloaded, runMetadata, runStatus } from './results.ts';
import { reportAfterNeverMet, reportModels } from './model-reports.ts';
import { RowReport } from './row-report.ts';

/** How often a sync marks its lock alive while it settles batches. */
const HEARTBEAT_EVERY_MS = 60_000;

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

/** One sync of a run: its lock, the jobs an earlier run left, the guard, then its changes applied and settled. */
class SyncRun {
  readonly result: SyncResult;
  /** What stopped the whole run in this sync (a refused key, Klaviyo unreachable, a signal), if anything. */
  stopped: Error | null = null;
  private readonly report: RowReport;
  private readonly object: KlaviyoObject<Keyed>;
  private readonly applier: Applier<Keyed>;
  private bar: cliProgress.SingleBar | null = null;
  /** The sync's writes to the state, one at a time (objects/object.ts, `write`). */
  private readonly writes = new Serial();
  /** Settles' writes, behind the batches still going out. */
  private readonly settling = new WriteBehind(this.writes);
  /** Confirmed by request, not yet written: the next write takes them all (docs/architecture.md#the-states-writes). */
  private readonly unconfirmed: ConfirmedRow[] = [];
  /** When the lock was last marked alive (acquireLock marks it first). */
  private lastBeat = performance.now();

  constructor(
    private readonly state: State,
    private readonly client: KlaviyoClient,
    private readonly spec: SyncSpec,
    private readonly runId: string,
    private readonly options: SyncOptions,
    private readonly log: Logger,
    /** The run's syncs: a deletion reads the others' snapshot rows under their configuration. */
    private readonly specs: SyncSpec[] = [spec],
    /** Whether this run sends the sync's events as backfill (schedule.ts, backfilledSyncs). */
    private readonly backfill = false,
    /** The run's progress bars, one line per sync running (`--progress`). */
    private readonly bars?: cliProgress.MultiBar,
  ) {
    this.result = newResult(spec);
    this.report = new RowReport(state, spec, runId, this.result);
    this.object = objectOf(spec);
    this.applier = this.object.applier(this.context());
  }

  /** Applies outcomes: confirmed rows into the snapshot, rejected ones recorded, failed ones left to the next run. */
  private async settle(items: Pending<unknown>[], outcomes: RowOutcome[], jobs: string[] = []) {
    const byKey = new Map(items.map((i) => [i.change.key, i]));
    const confirmed: ConfirmedRow[] = [];
    for (const o of outcomes) {
      const item = byKey.get(o.key);
      if (item === undefined) continue;
      if (o.status === 'confirmed') {
        confirmed.push({
          key: o.key,
          hash: item.change.hash!,
          json: item.change.json,
          profileId: o.profileId ?? item.change.profileId ?? null,
          isNew: item.change.kind === 'create',
        });
        this.result.counts[this.object.confirmedAs(item.change)] += 1;
      } else if (o.status === 'rejected')
        this.report.reject(o.key, item.change.hash, o.reason ?? 'rejected by Klaviyo', undefined, 'klaviyo');
      else this.report.fail(o.key, o.reason ?? 'failed');
    }
    if (jobs.length === 0) this.unconfirmed.push(...confirmed);
    await this.settling.add(async () => {
      await confirmRows(this.state, this.spec, this.runId, this.unconfirmed.splice(0));
      if (jobs.length > 0) await confirmRows(this.state, this.spec, this.runId, confirmed, jobs);
      await this.report.flush();
      await this.beat();
    });
    this.bar?.increment(items.length);
  }

  /** Rows sent as they were (objects/as-sent.ts): their new hash and text, written behind the batches. */
  private async rebaseline(rows: SentChange[]): Promise<void> {
    await this.settling.add(() => rebaselineRows(this.state, this.spec, rows));
    this.bar?.increment(rows.length);
  }

  /**
   * Marks the sync's lock alive, at most once a minute: a lock is taken over only after
   * STALE_LOCK_MINUTES of silence (state/runs.ts), and each beat is a commit of its own.
   */
  private async beat(): Promise<void> {
    if (performance.now() - this.lastBeat < HEARTBEAT_EVERY_MS) return;
    this.lastBeat = performance.now();
    await heartbeat(this.state, this.spec.name, this.runId);
  }

  /** What the object needs from this run to send and settle its rows. */
  private context(): ApplyContext {
    return {
      client: this.client,
      state: this.state,
      spec: this.spec,
      specs: this.specs,
      runId: this.runId,
      poll: this.options.poll,
      backfill: () => this.backfill,
      signal: this.options.signal,
      settle: (items, outcomes, jobs) => this.settle(items, outcomes, jobs),
      forget: (keys) => this.writes.run(() => forgetRows(this.state, this.spec, keys)),
      write: (work) => this.writes.run(work),
      count: (name, n) => {
        this.result.counts[name] += n;
      },
      fail: (key, reason) => this.report.fail(key, reason),
      jobs: (ids) => this.result.jobs.push(...ids),
      waitForNextRun: (message) => {
        this.result.message = message;
      },
      log: (level, event, message, data) => this.log.log(level, event, message, data),
    };
  }

  async run(): Promise<SyncResult> {
    const started = performance.now();
    const spec = this.spec;
    try {
      await acquireLock(this.state, spec.name, this.runId);
      let diff: OpenDiff | undefined;
      try {
        await this.applier.resume?.();
        if (this.result.message !== '') {
          // An earlier run's import job is still at work: sending its rows again could import
          // them twice, so this sync waits for the next run.
          this.result.status = 'partial';
          return this.finish(started);
        }
        // One diff statement: its counts now, its rows streamed by applyChanges below.
        diff = await openDiff(this.state, spec, this.options);
        const counts = diff.counts;
        const stop = await massRemovalStop(this.state, spec, this.object, this.options, counts, this.log);
        if (stop !== null) {
          this.result.status = 'stopped';
          this.result.message = stop;
          return this.finish(started);
        }
        const c = this.result.counts;
        c.unchanged = counts.unchanged;
        c.skipped_by_scope = counts.skippedByScope;
        c.waiting_on_after = counts.waitingOnAfter;
        c.events_changed_not_resent = counts.changedEvents;
        c.previously_rejected = counts.previouslyRejected;
        const total = counts.create + counts.update + counts.remove;
        if (this.bars !== undefined && total > 2000)
          this.bar = this.bars.create(total, 0, { sync: spec.name });
        this.log.log(
          'info',
          'sync.start',
          // The warehouse's counts: a changed row that would send Klaviyo what it was sent is found
          // unchanged as the rows are read (objects/as-sent.ts), so the summary's counts can differ.
          `${spec.name}: the model has ${counts.create} new, ${counts.update} changed, ${counts.remove} gone and ${counts.unchanged} unchanged rows against what Klaviyo last confirmed`,
          { sync: spec.name, ...counts },
        );
        // Read after the deletion syncs, which run first: no write re-creates an erased person.
        const erased = await erasedIdentifiers(this.state);
        // Only reported, so read beside the first batches, not before them: a large model's grouped
        // read took about a second with every tier of the run idle (bench:sync's timeline).
        const reports = reportModels(this.state.wh, spec, this.result, this.log).then(() =>
          reportAfterNeverMet(this.state, spec, counts.waitingOnAfter, this.log),
        );
        const applied = applyChanges({
          changes: diff.changes,
          spec,
          signal: this.options.signal,
          object: this.object,
          applier: this.applier,
          report: this.report,
          write: (work) => this.writes.run(work),
          settled: () => this.settling.drain(),
          erased,
          rebaseline: (rows) => this.rebaseline(rows),
          changedEvents: (events) =>
            this.settling.add(() => recordChangedEvents(this.state, this.spec, this.runId, events)),
        });
        // Both end before the lock is let go; a failure to send is the one to say.
        for (const done of await Promise.allSettled([applied, reports]))
          if (done.status === 'rejected') throw done.reason;
      } finally {
        // Read to its end or left (a guard, an error): its stream, and on DuckDB its connection, close.
        await diff?.close();
        // Stopped or not, what Klaviyo confirmed is written before the lock is let go.
        await this.settling.drain().catch(() => {});
        if (this.bar !== null) this.bars?.remove(this.bar);
        await releaseLock(this.state, spec.name, this.runId);
      }
      const c = this.result.counts;
      this.result.status = c.failed > 0 || c.rejected > 0 ? 'partial' : 'success';
      // Nothing left to send but rows Klaviyo or the runner refused: the first load is done, if it
      // confirmed any (runs.ts).
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

  private finish(started: number): SyncResult {
    this.result.requests = {};
    this.result.timing.completed_at = new Date().toISOString();
    this.result.execution_time = (performance.now() - started) / 1000;
    return this.result;
  }
}

/**
 * Runs every selected sync and records the run as what it was, whatever stops it: the `runs` row
 * and `target/klaviyo_run_results.json` get the true status (a refused key or an unreachable
 * Klaviyo: `error` for the sync that met it and `skipped` for the rest; SIGINT/SIGTERM:
 * `interrupted`), and the error that stopped the run is thrown after both are written.
 */
export async function sync(options: SyncOptions): Promise<RunResults> {
  const log = options.logger ?? createLogger('text');
  const warn = warnOn(log);
  const started = performance.now();
  const runId = randomUUID();
  let project: LoadedProject;
  try {
    project = await loadSyncs(options);
  } catch (error) {
    await recordUnloaded(options, runId, error as Error, started);
    throw error;
  }
  project.warnings.forEach(warn);
  const results: SyncResult[] = [];
  let stopped: Error | null = null;
  let baseUrl = '';
  try {
    const client = new KlaviyoClient({ ...options.client, signal: options.signal ?? options.client?.signal });
    baseUrl = client.baseUrl;
    try {
      const wh = await openWarehouse(project.connection, { warn });
      try {
        for (const [i, spec] of project.specs.entries()) project.specs[i] = await withModelColumns(wh, spec);
        wh.warnings?.forEach(warn);
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
        const bars =
          options.progress === true
            ? new cliProgress.MultiBar(
                { format: '{sync} [{bar}] {value}/{total} rows', hideCursor: true },
                cliProgress.Presets.shades_classic,
              )
            : undefined;
        const done = new Map<string, SyncResult>();
        try {
          const backfills = await backfilledSyncs(state, project.specs, options);
          await sideBySide(
            project.specs,
            waitsFor(project.specs, backfills),
            SIDE_BY_SIDE,
            client.answered,
            async (spec) => {
              const requests = {};
              const run = new SyncRun(
                state,
                client.forSync(requests),
                spec,
                runId,
                options,
                log,
                project.specs,
                backfills.has(spec.name),
                bars,
              );
              const result = await run.run();
              stopped ??= run.stopped;
              result.requests = requests;
              // The snapshot now describes Klaviyo under this configuration.
              if (result.status === 'success' || result.status === 'partial')
                await recordConfig(state, spec, runId);
              done.set(spec.name, result);
              log.log(
                result.status === 'error' || result.status === 'interrupted' ? 'error' : 'info',
                'sync.done',
                `${spec.name}: ${result.status}${result.message ? ` (${result.message})` : ''}`,
                { sync: spec.name, status: result.status, counts: result.counts },
              );
            },
            () => {
              if (stopped === null && options.signal?.aborted === true)
                stopped = options.signal.reason as Error;
              return stopped;
            },
            (spec, reason) => done.set(spec.name, notRun(spec, reason.message)),
          );
        } finally {
          bars?.stop();
          // In the run's order, whatever order they finished in.
          results.push(...project.specs.flatMap((spec) => done.get(spec.name) ?? []));
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
    results: project.specs.map(
      (spec) =>
        results.find((r) => r.sync === spec.name) ?? notRun(spec, stopped?.message ?? 'the run stopped'),
    ),
  };
  runResults.status = runStatus(runResults.results, stopped);
  await writeRunResults(project.targetPath, runResults);
  if (stopped !== null) throw stopped;
  return runResults;
}
