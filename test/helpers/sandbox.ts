/** Reading what a run asked of the sandbox. */
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
