/* eslint-disable @typescript-eslint/no-unsafe-assignment --
   expect.any() and expect.objectContaining() are typed `any` inside the expected objects. */
/**
 * The sandbox driven by Klaviyo's own Node SDK (npm `klaviyo-api`), pointed at it through each API
 * class's `basePath`: every call the SDK makes must be accepted with the SDK's own headers and
 * pinned revision, and every answer must be what Klaviyo documents (status, JSON:API body,
 * content type, error envelope). afterAll checks each request and successful answer against
 * Klaviyo's OpenAPI description.
 */
import {
  ApiKeySession,
  EventsApi,
  ListsApi,
  MetricsApi,
  ProfilesApi,
  type EventsBulkCreateQueryResourceObject,
  type ProfileUpsertQueryResourceObjectAttributes,
} from 'klaviyo-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../runner/sandbox/server.ts';
import { assertAllValid } from './helpers/openapi-contract.ts';

let sandbox: RunningSandbox;
let profiles: ProfilesApi;
let events: EventsApi;
let lists: ListsApi;
let metrics: MetricsApi;

const JSONAPI = 'application/vnd.api+json';

interface HttpAnswer {
  status: number;
  headers: Record<string, unknown>;
  data: unknown;
}

/** The raw JSON the sandbox sent (the SDK's `body` is its camelCase model of it). */
function raw<T = Record<string, unknown>>(result: { response: HttpAnswer }): T {
  expect(result.response.headers['content-type']).toBe(JSONAPI);
  return result.response.data as T;
}

interface KlaviyoError {
  id: string;
  status: number;
  code: string;
  title: string;
  detail: string;
  source?: { pointer?: string; parameter?: string };
  meta?: Record<string, unknown>;
}

/** Runs a call the sandbox must refuse; returns its first error after checking the envelope. */
async function refused(call: Promise<unknown>, status: number): Promise<KlaviyoError> {
  const error: unknown = await call.then(
    () => new Error(`expected HTTP ${status}, the call succeeded`),
    (e: unknown) => e,
  );
  // The SDK rejects with its HTTP client's error, which carries the answer as `response`.
  const answer = (error as { response?: HttpAnswer }).response;
  if (answer === undefined) throw error;
  const response = answer;
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toBe(JSONAPI);
  const body = response.data as { errors: KlaviyoError[] };
  expect(body.errors).toHaveLength(1);
  const first = body.errors[0]!;
  // ClientError in the description: id, code, title, detail required; source optional.
  expect(first).toMatchObject({
    id: expect.any(String),
    status,
    code: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
  return first;
}

function api<T extends { basePath: string }>(make: new (s: ApiKeySession) => T, session: ApiKeySession): T {
  const client = new make(session);
  client.basePath = sandbox.url;
  return client;
}

const profile = (attributes: ProfileUpsertQueryResourceObjectAttributes) => ({
  type: 'profile' as const,
  attributes,
});

function bulkImport(rows: ProfileUpsertQueryResourceObjectAttributes[], listId?: string) {
  return profiles.bulkImportProfiles({
    data: {
      type: 'profile-bulk-import-job',
      attributes: { profiles: { data: rows.map(profile) } },
      ...(listId === undefined ? {} : { relationships: { lists: { data: [{ type: 'list', id: listId }] } } }),
    },
  });
}

async function waitForJob(id: string) {
  for (;;) {
    const job = await profiles.getBulkImportProfilesJob(id);
    if (job.body.data.attributes.status === 'complete') return job;
    await new Promise((r) => setTimeout(r, 10));
  }
}

function orders(email: string, ids: string[]): EventsBulkCreateQueryResourceObject {
  return {
    type: 'event-bulk-create',
    attributes: {
      profile: { data: { type: 'profile', attributes: { email } } },
      events: {
        data: ids.map((id) => ({
          type: 'event',
          attributes: {
            properties: { OrderId: id },
            time: new Date('2025-05-01T10:00:00Z'),
            value: 20,
            uniqueId: id,
            metric: { data: { type: 'metric', attributes: { name: 'Placed Order' } } },
          },
        })),
      },
    },
  };
}

const bulkEvents = (entries: EventsBulkCreateQueryResourceObject[]) =>
  events.bulkCreateEvents({
    data: { type: 'event-bulk-create-job', attributes: { eventsBulkCreate: { data: entries } } },
  });

beforeAll(async () => {
  sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 5 });
  const session = new ApiKeySession('pk_sdk_check');
  profiles = api(ProfilesApi, session);
  events = api(EventsApi, session);
  lists = api(ListsApi, session);
  metrics = api(MetricsApi, session);
});

afterAll(async () => {
  const answered = sandbox.requests().filter((r) => r.path.startsWith('/api/') && r.status > 0);
  assertAllValid(answered.filter((r) => r.status < 400));
  await sandbox.close();
});

describe('the official Node SDK against the sandbox', () => {
  let listId = '';
  let jobId = '';

  it('creates and reads lists (create_list 201, get_list, get_lists with filter)', async () => {
    const created = await lists.createList({ data: { type: 'list', attributes: { name: 'VIP' } } });
    expect(created.response.status).toBe(201);
    const body = raw<{ data: { type: string; id: string; attributes: { name: string } } }>(created);
    expect(body.data).toMatchObject({ type: 'list', attributes: { name: 'VIP' } });
    listId = created.body.data.id;
    expect((await lists.getList(listId)).body.data.attributes.name).toBe('VIP');
    const found = await lists.getLists({ filter: 'equals(name,"VIP")' });
    expect(found.body.data.map((l) => l.id)).toEqual([listId]);
    expect((await refused(lists.getList('NOPE'), 404)).code).toBe('not_found');
  });

  it('runs a bulk profile import job: create 202, get, list, import-errors, profiles, lists', async () => {
    const submitted = await bulkImport(
      [
        {
          email: 'ann@example.com',
          externalId: 'C-1',
          phoneNumber: '+15005550101',
          firstName: 'Ann',
          properties: { rfm_segment: 'loyal' },
          location: { city: 'Lyon', country: 'France' },
        },
        { email: 'not-an-email' },
        { email: 'bob@example.com', externalId: 'C-2' },
      ],
      listId,
    );
    expect(submitted.response.status).toBe(202);
    expect(
      raw<{ data: { type: string; attributes: Record<string, unknown> } }>(submitted).data,
    ).toMatchObject({
      type: 'profile-bulk-import-job',
      attributes: { status: 'queued', total_count: 3 },
    });
    jobId = submitted.body.data.id;
    const done = await waitForJob(jobId);
    expect(done.body.data.attributes).toMatchObject({ completedCount: 2, failedCount: 1 });

    const jobs = await profiles.getBulkImportProfilesJobs({ filter: 'equals(status,"complete")' });
    expect(jobs.body.data.map((j) => j.id)).toContain(jobId);

    const errors = raw<{ data: { type: string; attributes: Record<string, unknown> }[] }>(
      await profiles.getErrorsForBulkImportProfilesJob(jobId),
    );
    expect(errors.data).toEqual([
      expect.objectContaining({
        type: 'import-error',
        attributes: expect.objectContaining({
          code: 'invalid',
          source: { pointer: '/data/attributes/profiles/data/1/attributes/email' },
          original_payload: expect.objectContaining({ attributes: { email: 'not-an-email' } }),
        }),
      }),
    ]);

    const imported = await profiles.getProfilesForBulkImportProfilesJob(jobId, { pageSize: 1 });
    expect(imported.body.data).toHaveLength(1);
    expect(imported.body.links?.next).toBeDefined();
    const ids = await profiles.getProfileIdsForBulkImportProfilesJob(jobId);
    expect(ids.body.data).toHaveLength(2);
    expect((await profiles.getListIdsForBulkImportProfilesJob(jobId)).body.data).toEqual([
      { type: 'list', id: listId },
    ]);
    expect((await profiles.getListForBulkImportProfilesJob(jobId)).body.data[0]?.id).toBe(listId);
    const withLists = raw<{ included: { type: string; id: string }[] }>(
      await profiles.getBulkImportProfilesJob(jobId, { include: ['lists'] }),
    );
    expect(withLists.included).toEqual([expect.objectContaining({ type: 'list', id: listId })]);
  });

  it('creates, upserts, updates and reads profiles, and answers 409 duplicate_profile', async () => {
    const created = await profiles.createProfile({
      data: { type: 'profile', attributes: { email: 'cy@example.com', firstName: 'Cy' } },
    });
    expect(created.response.status).toBe(201);
    const id = created.body.data.id!;

    const duplicate = await refused(
      profiles.createProfile({ data: { type: 'profile', attributes: { email: 'cy@example.com' } } }),
      409,
    );
    expect(duplicate).toMatchObject({
      code: 'duplicate_profile',
      source: { pointer: '/data/attributes' },
      meta: { duplicate_profile_id: id },
    });

    const updated = await profiles.createOrUpdateProfile({
      data: { type: 'profile', attributes: { email: 'cy@example.com', lastName: 'Young' } },
    });
    expect(updated.response.status).toBe(200);
    const fresh = await profiles.createOrUpdateProfile({
      data: { type: 'profile', attributes: { phoneNumber: '+15005550199' } },
    });
    expect(fresh.response.status).toBe(201);

    const patched = await profiles.updateProfile(id, {
      data: { type: 'profile', id, attributes: { title: 'Dr', properties: { tier: 'gold' } } },
    });
    expect(patched.response.status).toBe(200);
    expect(raw<{ data: { attributes: Record<string, unknown> } }>(patched).data.attributes).toMatchObject({
      email: 'cy@example.com',
      first_name: 'Cy',
      last_name: 'Young',
      title: 'Dr',
      properties: { tier: 'gold' },
    });
    const mismatch = await refused(
      profiles.updateProfile(id, { data: { type: 'profile', id: 'OTHER', attributes: { title: 'x' } } }),
      409,
    );
    expect(mismatch.source).toEqual({ pointer: '/data/id' });
    expect((await refused(profiles.getProfile('NOPE'), 404)).code).toBe('not_found');

    const read = raw<{ data: { attributes: { subscriptions: unknown; predictive_analytics: unknown } } }>(
      await profiles.getProfile(id, { additionalFieldsProfile: ['subscriptions', 'predictive_analytics'] }),
    );
    expect(read.data.attributes.subscriptions).toMatchObject({
      email: { marketing: { can_receive_email_marketing: false, consent: 'NEVER_SUBSCRIBED' } },
    });
    expect(read.data.attributes.predictive_analytics).toMatchObject({ predicted_clv: null });
    const sparse = raw<{ data: { attributes: Record<string, unknown> } }>(
      await profiles.getProfile(id, { fieldsProfile: ['email', 'first_name'] }),
    );
    expect(sparse.data.attributes).toEqual({ email: 'cy@example.com', first_name: 'Cy' });
  });

  it('filters profiles: equals/any on email, external_id, phone_number; greater-than updated', async () => {
    const emails = async (filter: string) =>
      (await profiles.getProfiles({ filter, pageSize: 100 })).body.data.map((p) => p.attributes.email).sort();
    expect(await emails('equals(email,"ANN@example.com")')).toEqual(['ann@example.com']);
    expect(await emails('any(email,["ann@example.com","cy@example.com"])')).toEqual([
      'ann@example.com',
      'cy@example.com',
    ]);
    expect(await emails('equals(external_id,"C-2")')).toEqual(['bob@example.com']);
    expect(await emails('any(external_id,["C-1","C-2"])')).toEqual(['ann@example.com', 'bob@example.com']);
    expect(await emails('equals(phone_number,"+15005550101")')).toEqual(['ann@example.com']);
    expect(await emails('any(phone_number,["+15005550101"])')).toEqual(['ann@example.com']);
    expect(await emails('greater-than(updated,2000-01-01T00:00:00Z)')).toHaveLength(4);
    expect(await emails('greater-than(updated,2999-01-01T00:00:00+00:00)')).toEqual([]);
    const bad = await refused(profiles.getProfiles({ filter: 'equals(first_name,"Ann")' }), 400);
    expect(bad).toMatchObject({ code: 'invalid', source: { parameter: 'filter' } });
    await refused(profiles.getProfiles({ filter: 'greater-than(email,"a")' }), 400);
  });

  it('pages profiles by passing links.next back as the SDK cursor', async () => {
    const seen: string[] = [];
    const hasPrev: boolean[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const result = await profiles.getProfiles({ pageSize: 1, sort: 'email', pageCursor: cursor });
      seen.push(...result.body.data.map((p) => p.attributes.email ?? '(none)'));
      hasPrev.push(result.body.links?.prev !== undefined);
      cursor = result.body.links?.next ?? undefined;
      if (cursor === undefined) break;
    }
    expect(seen).toEqual(['(none)', 'ann@example.com', 'bob@example.com', 'cy@example.com']);
    expect(hasPrev).toEqual([false, true, true, true]);
    // A bare cursor, as SDKs cut it out of an https link, works as well.
    const first = await profiles.getProfiles({ pageSize: 1, sort: 'email' });
    const bare = new URL(first.body.links!.next!).searchParams.get('page[cursor]')!;
    const second = await profiles.getProfiles({ pageSize: 1, sort: 'email', pageCursor: bare });
    expect(second.body.data[0]?.attributes.email).toBe('ann@example.com');
    await refused(profiles.getProfiles({ pageCursor: 'garbage!' }), 400);
    await refused(profiles.getProfiles({ pageSize: 101 }), 400);
  });

  it('creates events (202, no body), bulk creates them, and refuses a repeated unique_id', async () => {
    const one = await events.createEvent({
      data: {
        type: 'event',
        attributes: {
          properties: { OrderId: 'O-1' },
          time: new Date('2025-03-01T10:00:00Z'),
          value: 12.5,
          uniqueId: 'O-1',
          metric: { data: { type: 'metric', attributes: { name: 'Placed Order' } } },
          profile: { data: { type: 'profile', attributes: { email: 'cy@example.com' } } },
        },
      },
    });
    expect(one.response.status).toBe(202);
    expect(one.response.data).toBe('');

    const bulk = await bulkEvents([orders('ann@example.com', ['O-2', 'O-3'])]);
    expect(bulk.response.status).toBe(202);
    expect(bulk.response.data).toBe('');
    const before = sandbox.inspect().events.length;
    const dup = await refused(bulkEvents([orders('ann@example.com', ['O-4', 'O-4'])]), 400);
    expect(dup.code).toBe('invalid');
    expect(sandbox.inspect().events.length).toBe(before);
  });

  it('reads events with a datetime filter and include, one event, and metrics', async () => {
    const recent = await events.getEvents({
      filter: 'greater-than(datetime,2025-04-01T00:00:00Z)',
      sort: '-datetime',
      include: ['metric', 'profile'],
    });
    expect(recent.body.data).toHaveLength(2);
    const body = raw<{
      data: { attributes: { event_properties: Record<string, unknown> } }[];
      included: { type: string }[];
    }>(recent);
    expect(body.data[0]?.attributes.event_properties).toMatchObject({
      OrderId: expect.any(String),
      $value: 20,
    });
    expect(body.included.map((r) => r.type).sort()).toEqual(['metric', 'profile']);
    const all = await events.getEvents({ filter: 'greater-or-equal(datetime,2025-01-01T00:00:00Z)' });
    expect(all.body.data).toHaveLength(3);
    const first = all.body.data[0]!;
    expect((await events.getEvent(first.id)).body.data.id).toBe(first.id);
    await refused(events.getEvents({ filter: 'equals(datetime,2025-01-01T00:00:00Z)' }), 400);

    const metricList = await metrics.getMetrics();
    expect(metricList.body.data.map((m) => m.attributes.name)).toEqual(['Placed Order']);
    const metricId = metricList.body.data[0]!.id;
    expect((await metrics.getMetric(metricId)).body.data.attributes.name).toBe('Placed Order');
    expect(first.relationships?.metric?.data?.id).toBe(metricId);
    expect((await events.getEvents({ filter: `equals(metric_id,"${metricId}")` })).body.data).toHaveLength(3);
  });

  it('adds and removes list members (204) and pages members with joined_group_at', async () => {
    const all = (await profiles.getProfiles({ pageSize: 100 })).body.data.map((p) => p.id!);
    const added = await lists.addProfilesToList(listId, {
      data: all.map((id) => ({ type: 'profile' as const, id })),
    });
    expect(added.response.status).toBe(204);
    const members: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await lists.getProfilesForList(listId, { pageSize: 2, pageCursor: cursor });
      for (const m of raw<{ data: { id: string; attributes: { joined_group_at: string } }[] }>(page).data) {
        expect(Date.parse(m.attributes.joined_group_at)).not.toBeNaN();
        members.push(m.id);
      }
      cursor = page.body.links?.next ?? undefined;
    } while (cursor !== undefined);
    expect(members.sort()).toEqual([...all].sort());
    const ann = await lists.getProfilesForList(listId, { filter: 'equals(email,"ann@example.com")' });
    expect(ann.body.data.map((p) => p.attributes.email)).toEqual(['ann@example.com']);

    const removed = await lists.removeProfilesFromList(listId, {
      data: [{ type: 'profile', id: all[0]! }],
    });
    expect(removed.response.status).toBe(204);
    const ids = await lists.getProfileIdsForList(listId, { pageSize: 100 });
    expect(ids.body.data.map((r) => r.id).sort()).toEqual(all.slice(1).sort());
  });

  it('subscribes and unsubscribes in bulk (202, no body), reflected in subscriptions', async () => {
    const subscribed = await profiles.bulkSubscribeProfiles({
      data: {
        type: 'profile-subscription-bulk-create-job',
        attributes: {
          profiles: {
            data: [
              {
                type: 'profile',
                attributes: {
                  email: 'dee@example.com',
                  subscriptions: { email: { marketing: { consent: 'SUBSCRIBED' } } },
                },
              },
            ],
          },
        },
        relationships: { list: { data: { type: 'list', id: listId } } },
      },
    });
    expect(subscribed.response.status).toBe(202);
    expect(subscribed.response.data).toBe('');
    const read = async () =>
      raw<{ data: { attributes: { subscriptions: { email: { marketing: Record<string, unknown> } } } }[] }>(
        await profiles.getProfiles({
          filter: 'equals(email,"dee@example.com")',
          additionalFieldsProfile: ['subscriptions'],
        }),
      ).data[0]!.attributes.subscriptions.email.marketing;
    expect(await read()).toMatchObject({ consent: 'SUBSCRIBED', can_receive_email_marketing: true });

    const unsubscribed = await profiles.bulkUnsubscribeProfiles({
      data: {
        type: 'profile-subscription-bulk-delete-job',
        attributes: {
          profiles: {
            data: [
              {
                type: 'profile',
                attributes: {
                  email: 'dee@example.com',
                  subscriptions: { email: { marketing: { consent: 'UNSUBSCRIBED' } } },
                },
              },
            ],
          },
        },
      },
    });
    expect(unsubscribed.response.status).toBe(202);
    expect(await read()).toMatchObject({ consent: 'UNSUBSCRIBED', can_receive_email_marketing: false });
  });

  it('suppresses and unsuppresses (202 with a job), and reads the jobs back', async () => {
    const suppress = await profiles.bulkSuppressProfiles({
      data: {
        type: 'profile-suppression-bulk-create-job',
        attributes: { profiles: { data: [{ type: 'profile', attributes: { email: 'ann@example.com' } }] } },
      },
    });
    expect(suppress.response.status).toBe(202);
    expect(raw<{ data: { type: string } }>(suppress).data.type).toBe('profile-suppression-bulk-create-job');
    const suppressed = await profiles.getProfiles({
      filter: 'equals(subscriptions.email.marketing.suppression.reason,"USER_SUPPRESSED")',
    });
    expect(suppressed.body.data.map((p) => p.attributes.email)).toEqual(['ann@example.com']);
    expect((await profiles.getBulkSuppressProfilesJob(suppress.body.data.id)).body.data.id).toBe(
      suppress.body.data.id,
    );
    expect((await profiles.getBulkSuppressProfilesJobs()).body.data).toHaveLength(1);

    const unsuppress = await profiles.bulkUnsuppressProfiles({
      data: {
        type: 'profile-suppression-bulk-delete-job',
        attributes: { profiles: { data: [{ type: 'profile', attributes: { email: 'ann@example.com' } }] } },
      },
    });
    expect(unsuppress.response.status).toBe(202);
    expect((await profiles.getBulkUnsuppressProfilesJob(unsuppress.body.data.id)).body.data.id).toBe(
      unsuppress.body.data.id,
    );
    expect((await profiles.getBulkUnsuppressProfilesJobs()).body.data).toHaveLength(1);
    const after = await profiles.getProfiles({
      filter: 'equals(subscriptions.email.marketing.suppression.reason,"USER_SUPPRESSED")',
    });
    expect(after.body.data).toEqual([]);
  });

  it("received the SDK's own pinned revision and user agent on its requests", () => {
    const fromSdk = sandbox
      .requests()
      .filter((r) => r.headers['user-agent']?.startsWith('klaviyo-api-node/'));
    expect(fromSdk.length).toBeGreaterThan(40);
    expect(new Set(fromSdk.map((r) => r.headers.revision))).toEqual(new Set(['2026-07-15']));
    expect(fromSdk.every((r) => r.status >= 200 && r.status < 500)).toBe(true);
  });

  it('accepts any dated revision, but still requires one', async () => {
    const get = (revision?: string) =>
      fetch(`${sandbox.url}/api/lists`, {
        headers: {
          authorization: 'Klaviyo-API-Key pk_sdk_check',
          accept: JSONAPI,
          ...(revision === undefined ? {} : { revision }),
        },
      });
    // Older revisions, a date between revisions, a later one, and a beta revision are all served.
    for (const revision of ['2023-02-22', '2024-10-15', '2025-03-03', '2026-10-15', '2026-07-15.pre'])
      expect((await get(revision)).status, revision).toBe(200);
    const missing = await get();
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { errors: KlaviyoError[] }).errors[0]).toMatchObject({
      code: 'invalid',
      source: { parameter: 'revision' },
    });
    expect((await get('not-a-date')).status).toBe(400);
    expect((await get('2026-02-30')).status).toBe(400);
  });
});

describe('rate-limit headers', () => {
  it('reports the steady window to the SDK as Klaviyo does: RateLimit-Limit, -Remaining, -Reset', async () => {
    const limited = await startSandbox({ rateLimits: 'klaviyo' });
    try {
      const client = new ListsApi(new ApiKeySession('pk_sdk_limits'));
      client.basePath = limited.url;
      const first = await client.getLists();
      const second = await client.getLists();
      expect(first.response.headers['ratelimit-limit']).toBe('700');
      expect(Number(first.response.headers['ratelimit-remaining'])).toBeGreaterThan(
        Number(second.response.headers['ratelimit-remaining']),
      );
      expect(Number(second.response.headers['ratelimit-reset'])).toBeGreaterThanOrEqual(1);
    } finally {
      await limited.close();
    }
  });
});
