/**
 * Klaviyo refuses a whole import request when one profile has the wrong shape (bulk import is
 * all-or-nothing per request). The executor rejects the rows Klaviyo's errors point at, with
 * Klaviyo's reason, and imports the rest; every job it submits is recorded first. Over HTTP
 * against the sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KlaviyoClient } from '../klaviyo/client.ts';
import { startSandbox, type RunningSandbox } from '../sandbox/server.ts';
import type { ProfilePayload } from '../transform/payload.ts';
import { profileEntry } from '../transform/entries.ts';
import { importProfiles } from './profiles.ts';

let sandbox: RunningSandbox;
let client: KlaviyoClient;
beforeAll(async () => {
  sandbox = await startSandbox({ rateLimits: 'off', jobDelayMs: 5 });
  client = new KlaviyoClient({
    apiKey: 'pk_profiles_unit',
    baseUrl: sandbox.url,
    limits: 'off',
    backoffMs: 1,
  });
});
afterAll(async () => {
  await sandbox.close();
});

const profile = (i: number, more: Record<string, unknown> = {}): ProfilePayload => {
  const attributes = { email: `person${i}@example.com`, first_name: `P${i}`, ...more };
  return {
    key: `C${i}`,
    attributes,
    unsetProperties: [],
    unsetAttributes: [],
    json: profileEntry(attributes),
    bytes: 0,
  };
};

describe('importProfiles', () => {
  it('rejects the profile a refused import points at and imports the others in one more job', async () => {
    const payloads = Array.from({ length: 20 }, (_, i) => profile(i));
    // No builder makes this; it stands for any profile whose shape Klaviyo refuses.
    payloads[7] = profile(7, { properties: ['not', 'an', 'object'] });
    const recorded: { jobId: string; keys: string[] }[] = [];
    const { jobs, outcomes } = await importProfiles(client, payloads, {
      firstDelayMs: 5,
      onSubmitted: (jobId, sent) => {
        recorded.push({ jobId, keys: sent.map((p) => p.key) });
        return Promise.resolve();
      },
    });

    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([
      { key: 'C7', status: 'rejected', reason: 'Invalid input. properties must be an object.' },
    ]);
    expect(outcomes.filter((o) => o.status === 'confirmed')).toHaveLength(19);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.status).toBe('complete');
    expect(recorded).toEqual([
      { jobId: jobs[0]!.jobId, keys: payloads.filter((_, i) => i !== 7).map((p) => p.key) },
    ]);
    const submits = sandbox.requests().filter((r) => r.operationId === 'bulk_import_profiles');
    expect(submits.map((r) => r.status)).toEqual([400, 202]);
    expect(sandbox.inspect().profiles.map((p) => p.email)).not.toContain('person7@example.com');
    expect(sandbox.inspect().profiles).toHaveLength(19);
  });
});

describe('importProfiles when the refusal is not about rows', () => {
  it("fails the batch on a proxy's text/plain 400, rejecting no row", async () => {
    sandbox.setFaults({ proxyBadRequest: 1, operations: ['bulk_import_profiles'] });
    const before = sandbox.requests().length;
    try {
      const payloads = Array.from({ length: 8 }, (_, i) => profile(100 + i));
      const { jobs, outcomes } = await importProfiles(client, payloads, {
        firstDelayMs: 5,
        onSubmitted: () => Promise.resolve(),
      });
      expect(jobs).toEqual([]);
      expect(outcomes.map((o) => o.status)).toEqual(Array(8).fill('failed'));
      expect(outcomes[0]!.reason).toContain(
        'bulk_import_profiles answered 400: a non-JSON:API answer, not Klaviyo\'s error format: "Bad Request"',
      );
      // One request, not a halving down to single rows.
      expect(
        sandbox
          .requests()
          .slice(before)
          .filter((r) => r.operationId === 'bulk_import_profiles'),
      ).toHaveLength(1);
    } finally {
      sandbox.setFaults({});
    }
  });

  it('leaves rows with a temporary import error failed, to be sent again, and rejects the wrong ones', async () => {
    sandbox.setFaults({ seed: 3, importRowError: 0.5 });
    try {
      const payloads = Array.from({ length: 10 }, (_, i) => profile(200 + i));
      payloads[4] = profile(204, { email: 'not-an-email' });
      const { outcomes } = await importProfiles(client, payloads, {
        firstDelayMs: 5,
        onSubmitted: () => Promise.resolve(),
      });
      const failed = outcomes.filter((o) => o.status === 'failed');
      expect(failed.length).toBeGreaterThan(0);
      for (const f of failed)
        expect(f.reason).toBe(
          'Temporary error. The profile could not be imported; try again. (a temporary error at Klaviyo: the row is sent again next run)',
        );
      expect(outcomes.filter((o) => o.status === 'rejected').map((o) => o.key)).toEqual(['C204']);
    } finally {
      sandbox.setFaults({});
    }
  });
});
