/** Reading what a run asked of the sandbox. */
import { JSON_API, KLAVIYO_REVISION } from '../../runner/klaviyo/revision.ts';
import type { RecordedRequest, RunningSandbox } from '../../runner/sandbox/server.ts';

/**
 * The requests after the first `from` that could change Klaviyo's state: every method but GET.
 * "A second run writes nothing" is `expect(writesSince(sandbox, before)).toEqual([])`.
 */
export function writesSince(sandbox: Pick<RunningSandbox, 'requests'>, from: number): RecordedRequest[] {
  return sandbox
    .requests()
    .slice(from)
    .filter((r) => r.method !== 'GET');
}

/**
 * A profile made directly in the sandbox, as another tool (or a person) would make it in Klaviyo,
 * behind the runner's back: its id.
 */
export async function createProfile(
  sandbox: Pick<RunningSandbox, 'url'>,
  attributes: Record<string, unknown>,
): Promise<string> {
  const res = await fetch(`${sandbox.url}/api/profiles`, {
    method: 'POST',
    headers: {
      authorization: 'Klaviyo-API-Key pk_test_profiles',
      revision: KLAVIYO_REVISION,
      'content-type': JSON_API,
    },
    body: JSON.stringify({ data: { type: 'profile', attributes } }),
  });
  return ((await res.json()) as { data: { id: string } }).data.id;
}
