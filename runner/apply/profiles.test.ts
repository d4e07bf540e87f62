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

const profile = (i: number, attributes: Record<string, unknown> = {}): ProfilePayload => ({
  key: `C${i}`,
  attributes: { email: `person${i}@example.com`, first_name: `P${i}`, ...attributes },
  unsetProperties: [],
  bytes: 0,
});

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
