/**
 * Profiles: one bulk import job per batch (docs/klaviyo-api.md#bulk-profile-import), recorded as
 * soon as Klaviyo accepts it so a killed run resumes it instead of resending; properties a row no
 * longer has are cleared; with on_remove: unset_properties a row that left the model has its
 * synced properties cleared.
 */
import { batches, LIMITS, pollsUntil, ASSUMED_JOB_MS } from '../klaviyo/limits.ts';
import { clearProfileFields } from '../klaviyo/profiles.ts';
import Bottleneck from 'bottleneck';
import {
  identityOf,
  pollImport,
  settleJob,
  settleSubmitted,
  submitProfiles,
  type ImportedJob,
  type SubmittedJob,
} from '../apply/profiles.ts';
import type { RowOutcome } from '../state/changes.ts';
import { onEachProfile, resolveProfileIds } from '../apply/profile-ids.ts';
import type { StreamedChange } from '../state/diff.ts';
import { finishJob, jobRows, pendingJobs, recordJob } from '../state/jobs.ts';
import { buildIdentity } from '../transform/identity.ts';
import type { ProfilePayload } from '../transform/payload.ts';
import { buildProfile } from '../transform/profile.ts';
import { withTrustedProfileId } from '../transform/identity-change.ts';
import { sameJson } from './as-sent.ts';
import { code, startsOverOnNewKey, rows } from './config-change.ts';
import {
  addRequests,
  forgetRemoved,
  toSend,
  type ApplyContext,
  type Applier,
  type KlaviyoObject,
  type Keyed,
  type Pending,
  sentChange,
} from './object.ts';

/**
 * Profile ids the snapshot already holds for these rows, by key; null for a row whose identifiers
 * changed since its id was learnt, whose id is learnt again (transform/identity-change.ts).
 */
function knownIds(items: Pending<unknown>[]): Map<string, string | null> {
  const ids = new Map<string, string | null>();
  for (const { change } of items) {
    if (change.profileId !== null) ids.set(change.key, change.profileId);
    else if (change.formerProfileId !== undefined) ids.set(change.key, null);
  }
  return ids;
}

/**
 * The requests of `jobs` import jobs submitted together: each job, and its polls (the first job's
 * until ASSUMED_JOB_MS, one for each job after it). A job's import errors are read only when it
 * counts a failure (docs/klaviyo-api.md#bulk-profile-import), which a plan cannot foresee: the
 * estimate counts jobs that import cleanly.
 */
export function importJobRequests(jobs: number): Record<string, number> {
  if (jobs === 0) return {};
  return {
    bulk_import_profiles: jobs,
    get_bulk_import_profiles_job: pollsUntil(ASSUMED_JOB_MS) + (jobs - 1),
  };
}

/** A batch whose import jobs Klaviyo accepted, as settling reads it. */
interface Submitted {
  items: Pending<Keyed>[];
  known: Map<string, string | null>;
  jobs: SubmittedJob[];
  /** Rows Klaviyo refused before making a job. */
  outcomes: RowOutcome[];
}

/**
 * Batches of one sync whose import jobs Klaviyo accepted and the sync has not yet seen finish.
 * Klaviyo takes seconds to minutes per job, and the rate limits allow ten jobs a second: with
 * the next batch submitted only once a job before it finished, a sync went at two jobs per job's
 * duration. Such a batch keeps only what settling reads (`Submitted`, a few hundred bytes a row),
 * and a killed run resumes its recorded jobs.
 */
const JOBS_AWAITED = 8;

/**
 * Import jobs of one sync polled at once: one, the oldest first. A job is polled once the one
 * before it is seen finished, by which time Klaviyo has mostly finished it too (jobs submitted
 * together are processed side by side), so the polls stay near one per job after the first, as
 * the plan counts them (`importJobRequests`), and leave the tier (M, shared with event creation)
 * to the run's other syncs. Two at a time polled 29-30 times for 10 jobs of 8 s, one 21 times; a
 * job that stalls at Klaviyo holds back the confirmation of those after it, not their processing.
 */
const POLLED_AT_ONCE = 1;

class ProfileApplier implements Applier<ProfilePayload> {
  /** The sync's job polls, oldest job first. */
  private readonly polls = new Bottleneck({ maxConcurrent: POLLED_AT_ONCE });
  /** Batches submitted whose jobs are being polled and settled. */
  private readonly awaiting = new Set<Promise<void>>();
  /** The first error of that work, thrown at the next `send` or at `drain`. */
  private failure: { error: unknown } | null = null;

  constructor(private readonly c: ApplyContext) {}

  /** Import jobs a previous run submitted and did not see finish: poll them and confirm their rows. */
  async resume(): Promise<void> {
    const { c } = this;
    for (const { jobId } of await pendingJobs(c.state, c.spec)) {
      c.log('info', 'job.resume', `${c.spec.name}: resuming import job ${jobId} from an earlier run`, {
        sync: c.spec.name,
        jobId,
      });
      const rows = await jobRows(c.state, jobId);
      const items: Pending<ProfilePayload>[] = [];
      for (const r of rows) {
        // The snapshot still holds what Klaviyo had before the job: the properties to clear follow from it.
        const change: StreamedChange = withTrustedProfileId(c.spec, {
          diffKind: r.previous === null ? 'create' : 'update',
          kind: r.previous === null ? 'create' : 'update',
          key: r.key,
          hash: r.hash,
          row: r.row,
          previous: r.previous,
          profileId: r.profileId,
        });
        const built = buildProfile(c.spec, change);
        // The snapshot takes the rows' texts from the job's records: none is carried here.
        if (built.ok) items.push({ payload: built.payload, change: sentChange(change, false) });
      }
      const job = await pollImport(c.client, jobId, c.poll);
      if (job === null) {
        c.waitForNextRun(`import job ${jobId} is still running at Klaviyo; the next run picks it up`);
        continue;
      }
      if (job.status === 'cancelled') {
        // Klaviyo imported none of the job's rows, so none is confirmed at the job's values and the
        // diff this run computes next sends them all again. Counting them failed here as well
        // reported a failure (exit 1, first load not marked done) for rows this same run confirmed.
        c.jobs([jobId]);
        c.log(
          'warn',
          'job.cancelled',
          `${c.spec.name}: Klaviyo cancelled import job ${jobId}; its ${rows.length} rows are sent again`,
          { sync: c.spec.name, jobId, rows: rows.length },
        );
        await c.write(() => finishJob(c.state, jobId, 'cancelled'));
        continue;
      }
      const payloads = items.map((i) => i.payload);
      const outcomes = await settleJob(c.client, jobId, job, payloads, knownIds(items));
      c.jobs([jobId]);
      await c.settle(items, outcomes, [jobId]);
      await c.write(() => finishJob(c.state, jobId, 'complete'));
    }
  }

  /**
   * Submits the batch's jobs and returns once Klaviyo accepted them and they are recorded: the
   * jobs are polled and their rows settled after, while the next batches are built and submitted
   * (`drain` waits for them). At most JOBS_AWAITED batches wait on their jobs at once.
   */
  async send(items: Pending<ProfilePayload>[]): Promise<void> {
    this.throwFailure();
    while (this.awaiting.size >= JOBS_AWAITED) await Promise.race(this.awaiting);
    this.throwFailure();
    const submitted = await this.submit(items);
    const settling: Promise<void> = this.settleJobs(submitted)
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.awaiting.delete(settling));
    this.awaiting.add(settling);
  }

  async drain(): Promise<void> {
    while (this.awaiting.size > 0) await Promise.race(this.awaiting);
    this.throwFailure();
  }

  private throwFailure(): void {
    if (this.failure !== null) throw this.failure.error;
  }

  /**
   * Submits the batch as import jobs and records each with its rows (state/jobs.ts). What is
   * left is what settling reads: the rows' texts are in the jobs' records, the entries' texts
   * went in the requests.
   */
  private async submit(items: Pending<ProfilePayload>[]): Promise<Submitted> {
    const { c } = this;
    const byKey = new Map(items.map((i) => [i.change.key, i.change]));
    const { jobs, outcomes } = await submitProfiles(
      c.client,
      items.map((i) => i.payload),
      {
        onSubmitted: (id, sent) =>
          c.write(() =>
            recordJob(
              c.state,
              c.spec,
              c.runId,
              id,
              'profile-bulk-import',
              sent.map((p) => {
                const change = byKey.get(p.key)!;
                return { key: p.key, hash: change.hash!, json: change.json };
              }),
            ),
          ),
      },
    );
    return {
      items: items.map(({ payload, change }) => ({
        payload: { key: payload.key },
        change: { ...change, json: null },
      })),
      known: knownIds(items),
      jobs,
      outcomes,
    };
  }

  /** Polls the batch's jobs, at most POLLED_AT_ONCE of the sync's at once, and settles their rows. */
  private async settleJobs({ items, known, jobs, outcomes }: Submitted): Promise<void> {
    const { c } = this;
    const finished: ImportedJob[] = [];
    for (const job of jobs) {
      const settled = await this.polls.schedule(() =>
        settleSubmitted(c.client, job, { ...c.poll, knownIds: known }),
      );
      outcomes.push(...settled.outcomes);
      finished.push(settled.job);
    }
    c.jobs(finished.map((j) => j.jobId));
    // Settled before any job is finished: finishing a job deletes the rows its settle reads.
    await c.settle(
      items,
      outcomes,
      finished.map((j) => j.jobId),
    );
    // A job still running at Klaviyo stays recorded: the next run resumes it.
    for (const { jobId, status } of finished)
      if (status !== 'running') await c.write(() => finishJob(c.state, jobId, status));
  }

  async remove(items: StreamedChange[]): Promise<void> {
    const { c } = this;
    if (c.spec.config.on_remove !== 'unset_properties') return forgetRemoved(c, items);
    const keys = c.spec.config.properties ?? [];
    const done: string[] = [];
    // The row left the model: its identity comes from what Klaviyo last confirmed.
    const members = items.map((change) => {
      const identity = buildIdentity(c.spec, change.key, change.previous ?? {});
      return { key: change.key, profile: identity.ok ? identity.payload : {}, profileId: change.profileId };
    });
    const ids = await resolveProfileIds(c.client, members);
    // A kept id Klaviyo no longer has is looked up again; no profile at all: nothing to clear.
    const cleared = await onEachProfile(c.client, members, ids, (_, profileId) =>
      clearProfileFields(c.client, profileId, { properties: keys }),
    );
    for (const change of items) {
      const outcome = cleared.get(change.key)!;
      if ('error' in outcome) c.fail(change.key, (outcome.error as Error).message);
      else done.push(change.key);
    }
    await c.forget(done);
    c.count('removed', done.length);
  }
}

export const profile: KlaviyoObject<ProfilePayload> = {
  name: 'profile',
  limits: { rows: LIMITS.profilesPerImportJob, bytes: LIMITS.bytesPerBatch, removals: 1000 },
  // List memberships, and events that trigger flows, wait for the profile syncs of their run.
  runs: 'profiles',
  build: buildProfile,
  bytesOf: (p) => p.bytes,
  // The identifiers, attributes, location and properties an import sets; an update that clears a
  // value Klaviyo holds is a change whatever the rest says.
  sameAsSent: (before, after) =>
    after.unsetProperties.length === 0 &&
    after.unsetAttributes.length === 0 &&
    sameJson(before.attributes, after.attributes),
  // The import request carries the entry's text; settling reads the identifiers (import errors are
  // matched by them, properties cleared by profile id) and the properties to clear.
  kept: (p) => ({ ...p, attributes: identityOf(p.attributes) }),
  confirmedAs: (change) => (change.kind === 'create' ? 'created' : 'updated'),
  // Any update may clear a property.
  removalBound: (spec, counts) =>
    counts.update + counts.resent + (spec.config.on_remove === 'unset_properties' ? counts.remove : 0),
  examplesShowValues: true,
  countSend(_spec, change, payload, tally) {
    tally.send += 1;
    tally.bytes += payload.bytes;
    if (change.kind === 'create') tally.newProfiles += 1;
    if (payload.unsetProperties.length > 0 || payload.unsetAttributes.length > 0) {
      tally.clears += 1;
      if (change.profileId === null) tally.lookups += 1;
    } else if (change.formerProfileId !== undefined) tally.lookups += 1; // its id is learnt again
  },
  countRemoval(spec, change, tally) {
    if (spec.config.on_remove !== 'unset_properties') return;
    tally.clears += 1;
    if (change.profileId === null) tally.lookups += 1;
  },
  requests(_spec, tally, input) {
    const { rows, bytes } = toSend(tally, input);
    const requests = importJobRequests(batches(rows, LIMITS.profilesPerImportJob, bytes));
    // Profiles whose properties are cleared need their id, looked up 100 a request.
    addRequests(requests, 'get_profiles', Math.ceil(tally.lookups / LIMITS.profilesPerLookup));
    addRequests(requests, 'update_profile', tally.clears);
    return requests;
  },
  applier: (context) => new ProfileApplier(context),
  csvImport: { profileColumns: true },
  configChanges: {
    key: startsOverOnNewKey(
      (counts) =>
        `all ${rows(counts.inModel, 'profile')} are imported again (Klaviyo matches them to existing profiles by email, phone or external id); nothing is cleared for the old keys.`,
    ),
    target: () => [],
    // A property that leaves the sync is cleared in Klaviyo only with on_remove: unset_properties.
    removedProperties: (after, names) =>
      after.on_remove === 'unset_properties'
        ? `${code(names)} ${names.length === 1 ? 'is' : 'are'} cleared from every profile that has a value (\`on_remove: unset_properties\`).`
        : `Klaviyo keeps the last value of ${code(names)} on each profile (\`on_remove: ${after.on_remove ?? 'ignore'}\`; \`unset_properties\` would clear ${names.length === 1 ? 'it' : 'them'}).`,
  },
};
