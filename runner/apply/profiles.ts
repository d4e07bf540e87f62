/**
 * Profiles executor: one bulk import job per batch (≤10,000 profiles, ≤5 MB), recorded as soon
 * as Klaviyo accepts it, polled to completion, and its import errors mapped back to rows. A job
 * submitted and never looked at again proves nothing; a row here counts only when Klaviyo imported it.
 * Profile ids are not read back from the job: the rows that need one (list members, properties to
 * clear) look it up themselves (profile-ids.ts), far fewer requests at a faster tier.
 */
import { KlaviyoError } from '../errors.ts';
import type { KlaviyoClient } from '../klaviyo/client.ts';
import {
  getProfileImport,
  importErrors,
  submitProfileImport,
  clearProfileFields,
  type ImportJobStatus,
} from '../klaviyo/profiles.ts';
import type { ProfilePayload, ProfileIdentity } from '../transform/payload.ts';
import { IMPORT_POLL } from '../klaviyo/limits.ts';
import { importErrorKind } from '../klaviyo/import-errors.ts';
import type { RowOutcome } from '../state/changes.ts';
import { partsWithin } from '../klaviyo/body-limit.ts';
import { blamesRows, notAboutRows, profileIndex, tooLarge } from './outcome.ts';
import { onEachProfile, resolveProfileIds } from './profile-ids.ts';

/**
 * What settling a job reads of each profile it carried: its key, its identifiers (import errors
 * are matched by them, fields cleared by profile id) and the properties and attributes to clear. The entry's
 * text went in the request.
 */
export type ProfileToSettle = Pick<
  ProfilePayload,
  'key' | 'attributes' | 'unsetProperties' | 'unsetAttributes'
>;

/** Whether a confirmed profile has fields to clear, which bulk import cannot do. */
const clears = (p: ProfileToSettle) => p.unsetProperties.length > 0 || p.unsetAttributes.length > 0;

/** The identifiers of a profile's attributes, without its other attributes and properties. */
export function identityOf({ email, phone_number, external_id }: ProfileIdentity): ProfileIdentity {
  // Assigned one by one: spreading conditional objects made three objects a profile (0.3 s of a
  // 100,000-profile sync's main thread, bench:sync's CPU profile).
  const identity: ProfileIdentity = {};
  if (email !== undefined) identity.email = email;
  if (phone_number !== undefined) identity.phone_number = phone_number;
  if (external_id !== undefined) identity.external_id = external_id;
  return identity;
}

/** A job Klaviyo accepted, with the profiles it carries. */
export interface SubmittedJob {
  jobId: string;
  payloads: ProfileToSettle[];
}

export interface PollOptions {
  /** Give up waiting after this long; the job stays recorded and the next run resumes it. */
  timeoutMs?: number;
  firstDelayMs?: number;
  maxDelayMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function pollImport(
  client: KlaviyoClient,
  jobId: string,
  options: PollOptions = {},
): Promise<ImportJobStatus | null> {
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  let delay: number = options.firstDelayMs ?? IMPORT_POLL.firstDelayMs;
  for (;;) {
    const job = await getProfileImport(client, jobId);
    if (job.status === 'complete' || job.status === 'cancelled') return job;
    if (Date.now() + delay > deadline) return null;
    await sleep(delay);
    delay = Math.min(delay * IMPORT_POLL.growth, options.maxDelayMs ?? IMPORT_POLL.maxDelayMs);
  }
}

function identityKeys(identity: ProfileIdentity): string[] {
  return [
    identity.email !== undefined ? `email:${identity.email.toLowerCase()}` : null,
    identity.external_id !== undefined ? `external_id:${identity.external_id}` : null,
    identity.phone_number !== undefined ? `phone:${identity.phone_number}` : null,
  ].filter((k): k is string => k !== null);
}

/**
 * Maps a finished job back to rows: rows named by an import error (by the echoed payload's
 * identifiers, else by the JSON pointer's index) are rejected with Klaviyo's reason when the error
 * says the row is wrong, and left failed, to be sent again next run, when it says Klaviyo could not
 * do it this time (import-errors.ts); the rest are confirmed.
 */
async function outcomesOfJob(
  client: KlaviyoClient,
  jobId: string,
  job: ImportJobStatus | null,
  payloads: ProfileToSettle[],
): Promise<RowOutcome[]> {
  if (job === null)
    return payloads.map((p) => ({
      key: p.key,
      status: 'failed',
      reason: `import job ${jobId} is still running; the next run resumes it`,
    }));
  if (job.status === 'cancelled')
    return payloads.map((p) => ({
      key: p.key,
      status: 'failed',
      reason: `import job ${jobId} was cancelled by Klaviyo`,
    }));
  // A job that counts every profile completed and none failed has no import errors to read: one
  // request fewer per job (docs/klaviyo-api.md#bulk-profile-import). A count Klaviyo leaves null
  // proves nothing, so the errors are read then.
  if (job.failedCount === 0 && job.completedCount === job.totalCount)
    return payloads.map((p) => ({ key: p.key, status: 'confirmed', profileId: null }));
  // Built at the first import error that echoes its profile: 10,000 rows' keys are not free.
  let byIdentity: Map<string, number> | null = null;
  const indexOf = (key: string): number | undefined => {
    if (byIdentity === null) {
      byIdentity = new Map();
      for (const [i, p] of payloads.entries())
        for (const k of identityKeys(p.attributes)) byIdentity.set(k, i);
    }
    return byIdentity.get(key);
  };
  const refused = new Map<number, RowOutcome['status'] & ('rejected' | 'failed')>();
  const reasons = new Map<number, string>();
  for await (const errors of importErrors(client, jobId)) {
    for (const e of errors) {
      let index = profileIndex(e.pointer) ?? -1;
      const echoed = (e.originalPayload as { attributes?: ProfileIdentity } | null)?.attributes;
      if (echoed !== undefined) {
        const found = identityKeys(echoed)
          .map(indexOf)
          .find((i) => i !== undefined);
        if (found !== undefined) index = found;
      }
      if (index < 0 || index >= payloads.length) continue;
      const reason = `${e.title} ${e.detail}`.trim();
      if (importErrorKind(e) === 'temporary') {
        // A permanent error about the same row wins: the row is wrong whatever else happened.
        if (refused.get(index) !== 'rejected') {
          refused.set(index, 'failed');
          reasons.set(index, `${reason} (a temporary error at Klaviyo: the row is sent again next run)`);
        }
      } else {
        refused.set(index, 'rejected');
        reasons.set(index, reason);
      }
    }
  }
  return payloads.map((p, i) => {
    const status = refused.get(i);
    return status === undefined
      ? { key: p.key, status: 'confirmed', profileId: null }
      : { key: p.key, status, reason: reasons.get(i) };
  });
}

/**
 * Clears properties and attributes that became null, which bulk import cannot do
 * (docs/klaviyo-api.md#bulk-profile-import), with a PATCH per profile (`clearProfileFields`). The profile id comes from the snapshot (`knownIds`)
 * or a lookup by identifier, and a kept id Klaviyo answers 404 for is looked up again
 * (`onEachProfile`); a failure leaves the row unconfirmed, to be retried next run.
 */
async function clearProperties(
  client: KlaviyoClient,
  payloads: ProfileToSettle[],
  outcomes: RowOutcome[],
  knownIds: ReadonlyMap<string, string | null> = new Map(),
): Promise<RowOutcome[]> {
  // A key known as null kept an id for identifiers it no longer has: its id is learnt again, so the
  // snapshot stops naming the former profile (transform/identity-change.ts).
  const relearn = (key: string) => knownIds.get(key) === null;
  const needing = outcomes
    .map((outcome, i) => ({ outcome, payload: payloads[i]! }))
    .filter(
      ({ outcome, payload }) => outcome.status === 'confirmed' && (clears(payload) || relearn(payload.key)),
    );
  const ids =
    needing.length === 0
      ? new Map<string, string>()
      : await resolveProfileIds(
          client,
          needing.map(({ payload }) => ({
            key: payload.key,
            profile: payload.attributes,
            profileId: knownIds.get(payload.key) ?? null,
          })),
        );
  // A kept id Klaviyo no longer has (the profile merged or deleted there) is looked up again.
  const cleared = await onEachProfile(
    client,
    needing
      .filter(({ payload }) => clears(payload))
      .map(({ payload }) => ({
        key: payload.key,
        profile: payload.attributes,
        profileId: knownIds.get(payload.key) ?? null,
        payload,
      })),
    ids,
    ({ payload }, profileId) =>
      clearProfileFields(client, profileId, {
        properties: payload.unsetProperties,
        attributes: payload.unsetAttributes,
      }),
  );
  const out: RowOutcome[] = [];
  for (const [i, outcome] of outcomes.entries()) {
    const payload = payloads[i]!;
    const profileId = ids.get(payload.key);
    if (outcome.status !== 'confirmed' || !clears(payload)) {
      out.push(
        outcome.status === 'confirmed' && profileId !== undefined ? { ...outcome, profileId } : outcome,
      );
      continue;
    }
    const done = cleared.get(payload.key)!;
    if ('error' in done)
      out.push({ key: outcome.key, status: 'failed', reason: (done.error as Error).message });
    else if (done.profileId === null)
      out.push({
        key: outcome.key,
        status: 'failed',
        reason:
          'Klaviyo has no profile with these identifiers to clear properties on; the next run tries again',
      });
    else out.push({ ...outcome, profileId: done.profileId });
  }
  return out;
}

export interface ImportOptions extends PollOptions {
  /** Klaviyo profile ids the snapshot already knows, by row key (null: kept for former identifiers). */
  knownIds?: ReadonlyMap<string, string | null>;
  /**
   * Called once Klaviyo accepted a job, before polling, with the rows it carries: record the job
   * id so a crash can resume it.
   */
  onSubmitted: (jobId: string, payloads: ProfilePayload[]) => Promise<void>;
}

export interface ImportedJob {
  jobId: string;
  /** `running`: Klaviyo had not finished it in time; it stays recorded and the next run resumes it. */
  status: 'complete' | 'cancelled' | 'running';
}

/**
 * A polled job's rows: import errors mapped back, then properties cleared (`job` null: still
 * running). The one path for jobs this run submitted and jobs it resumed.
 */
export async function settleJob(
  client: KlaviyoClient,
  jobId: string,
  job: ImportJobStatus | null,
  payloads: ProfileToSettle[],
  knownIds?: ReadonlyMap<string, string | null>,
): Promise<RowOutcome[]> {
  return clearProperties(client, payloads, await outcomesOfJob(client, jobId, job, payloads), knownIds);
}

/**
 * Submits profiles as one import job, or, when Klaviyo refuses the whole request (400: it checks
 * an import request before making a job), without the profiles it refused: rows its errors point
 * at (`/data/attributes/profiles/data/N`) are rejected with Klaviyo's reason and the rest resent;
 * errors that point into the data but at no one row halve the batch until the refused profile
 * stands alone. One bad profile costs its own row, never the other 9,999 (bulk import is
 * all-or-nothing per request, docs/klaviyo-api.md#bulk-profile-import). A 400 that blames no row
 * (a proxy's text, an error about a header) fails the batch, to be sent again next run
 * (docs/klaviyo-api.md#errors).
 */
async function submitAll(
  client: KlaviyoClient,
  payloads: ProfilePayload[],
  options: ImportOptions,
  rejected: RowOutcome[],
): Promise<SubmittedJob[]> {
  if (payloads.length === 0) return [];
  const parts = partsWithin(payloads, client.bodies.bytes);
  if (parts.length > 1) {
    const jobs: SubmittedJob[] = [];
    for (const part of parts) jobs.push(...(await submitAll(client, part, options, rejected)));
    return jobs;
  }
  try {
    const job = await submitProfileImport(
      client,
      payloads.map((p) => p.json),
    );
    await options.onSubmitted(job.id, payloads);
    return [
      {
        jobId: job.id,
        // The entries' texts went in the request. A sync's payloads hold only their identifiers by
        // now (objects/profile.ts, `kept`), so the attributes are kept as they are.
        payloads: payloads.map(({ key, attributes, unsetProperties, unsetAttributes }) => ({
          key,
          attributes,
          unsetProperties,
          unsetAttributes,
        })),
      },
    ];
  } catch (error) {
    if (tooLarge(error)) {
      if (payloads.length === 1) {
        rejected.push({ key: payloads[0]!.key, status: 'rejected', reason: error.message });
        return [];
      }
      return halves(client, payloads, options, rejected);
    }
    if (!(error instanceof KlaviyoError) || error.status !== 400) throw error;
    if (!blamesRows(error)) {
      const reason = notAboutRows(error);
      rejected.push(...payloads.map((p) => ({ key: p.key, status: 'failed' as const, reason })));
      return [];
    }
    const named = new Map<number, string>();
    for (const e of error.errors) {
      const index = profileIndex(e.source?.pointer);
      if (index !== null && index < payloads.length) named.set(index, `${e.title} ${e.detail}`.trim());
    }
    if (named.size > 0) {
      for (const [i, reason] of named) rejected.push({ key: payloads[i]!.key, status: 'rejected', reason });
      return submitAll(
        client,
        payloads.filter((_, i) => !named.has(i)),
        options,
        rejected,
      );
    }
    if (payloads.length === 1) {
      rejected.push({ key: payloads[0]!.key, status: 'rejected', reason: error.message });
      return [];
    }
    return halves(client, payloads, options, rejected);
  }
}

/** Submits each half of `payloads` on its own: a body too large, or a bad row not named. */
async function halves(
  client: KlaviyoClient,
  payloads: ProfilePayload[],
  options: ImportOptions,
  rejected: RowOutcome[],
): Promise<SubmittedJob[]> {
  const half = Math.ceil(payloads.length / 2);
  return [
    ...(await submitAll(client, payloads.slice(0, half), options, rejected)),
    ...(await submitAll(client, payloads.slice(half), options, rejected)),
  ];
}

/**
 * Submits profiles as import jobs, splitting off what Klaviyo refuses (`outcomes`: those rows),
 * each job recorded by `onSubmitted` once Klaviyo accepted it.
 */
export async function submitProfiles(
  client: KlaviyoClient,
  payloads: ProfilePayload[],
  options: ImportOptions,
): Promise<{ jobs: SubmittedJob[]; outcomes: RowOutcome[] }> {
  const outcomes: RowOutcome[] = [];
  const jobs = await submitAll(client, payloads, options, outcomes);
  return { jobs, outcomes };
}

/** Polls a submitted job to its end, maps its errors back and clears properties. */
export async function settleSubmitted(
  client: KlaviyoClient,
  { jobId, payloads }: SubmittedJob,
  options: PollOptions & { knownIds?: ReadonlyMap<string, string | null> },
): Promise<{ job: ImportedJob; outcomes: RowOutcome[] }> {
  const done = await pollImport(client, jobId, options);
  const outcomes = await settleJob(client, jobId, done, payloads, options.knownIds);
  const status = done === null ? 'running' : done.status === 'cancelled' ? 'cancelled' : 'complete';
  return { job: { jobId, status }, outcomes };
}

/** Imports profiles: submit (splitting off what Klaviyo refuses), poll each job, map its errors back, clear properties. */
export async function importProfiles(
  client: KlaviyoClient,
  payloads: ProfilePayload[],
  options: ImportOptions,
): Promise<{ jobs: ImportedJob[]; outcomes: RowOutcome[] }> {
  const submitted = await submitProfiles(client, payloads, options);
  const outcomes = submitted.outcomes;
  const jobs: ImportedJob[] = [];
  for (const each of submitted.jobs) {
    const settled = await settleSubmitted(client, each, options);
    outcomes.push(...settled.outcomes);
    jobs.push(settled.job);
  }
  return { jobs, outcomes };
}
