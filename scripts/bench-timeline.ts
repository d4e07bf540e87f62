/**
 * The sync benchmark's account of where a sync's wall time went (scripts/bench-sync.ts), read from
 * the sandbox's record of the requests it answered.
 */
import { secondsFor, TIER_LIMITS, type Tier } from '../runner/klaviyo/limits.ts';
import { OPERATIONS, type OperationId } from '../runner/klaviyo/operations.ts';

/**
 * Where the sync's wall time went, from the sandbox's record of the requests (its clock is this
 * machine's): from the process's start to its first request, the busiest tier's requests (the one
 * that sets the floor) from its first start to its last answer, with the time that tier stood idle
 * while its requests were still to come (gaps between starts beyond the burst's spacing), and from
 * that last answer to the process's exit; and any request the sandbox refused (a 429 is one
 * past the minimum, and its Retry-After a wait the floor does not count).
 */
export async function timeline(url: string, startedAtMs: number, wall: number): Promise<string> {
  const recorded = (await (await fetch(`${url}/__sandbox/requests`)).json()) as {
    operationId: string | null;
    status: number;
    startedAt: number;
    finishedAt: number;
  }[];
  const requests = recorded.filter((r) => r.operationId !== null && r.startedAt >= startedAtMs);
  const tierOf = (r: (typeof requests)[number]) => OPERATIONS[r.operationId as OperationId].tier;
  const counts = new Map<Tier, number>();
  for (const r of requests) counts.set(tierOf(r), (counts.get(tierOf(r)) ?? 0) + 1);
  const busiest = [...counts].sort((a, b) => secondsFor(b[1], b[0]) - secondsFor(a[1], a[0]))[0]![0];
  const tier = requests.filter((r) => tierOf(r) === busiest).sort((a, b) => a.startedAt - b.startedAt);
  const spacing = 1000 / TIER_LIMITS[busiest].burstPerSecond;
  let idle = 0;
  for (let i = 1; i < tier.length; i += 1)
    idle += Math.max(0, tier[i]!.startedAt - tier[i - 1]!.startedAt - spacing);
  const s = (ms: number) => (ms / 1000).toFixed(2);
  const first = Math.min(...requests.map((r) => r.startedAt));
  const tierStart = tier[0]!.startedAt;
  const tierEnd = Math.max(...tier.map((r) => r.finishedAt));
  const exit = startedAtMs + wall * 1000;
  // The tier's starts in each second of the run, by operation: where it waited on the runner.
  const seconds = Math.ceil(wall);
  const perSecond = (ops: (id: string) => boolean) => {
    const counts = Array.from({ length: seconds }, () => 0);
    for (const r of tier)
      if (ops(r.operationId!))
        counts[Math.min(seconds - 1, Math.floor((r.startedAt - startedAtMs) / 1000))]! += 1;
    return counts.join(' ');
  };
  const ops = [...new Set(tier.map((r) => r.operationId!))];
  // Requests the sandbox refused (a 429 most often) are requests past the minimum: say which, and when.
  const refused = requests.filter((r) => r.status >= 400 || r.status < 0);
  return [
    ...(refused.length === 0
      ? []
      : [
          `requests refused: ${refused.map((r) => `${r.status} to ${r.operationId} at ${s(r.startedAt - startedAtMs)} s`).join(', ')}`,
        ]),
    `where the wall goes: start-up to the first request ${s(first - startedAtMs)} s, to the first ${busiest}-tier request ${s(tierStart - startedAtMs)} s;`,
    `  the ${tier.length} ${busiest}-tier requests from ${s(tierStart - startedAtMs)} s to their last answer at ${s(tierEnd - startedAtMs)} s, the tier idle ${s(idle)} s of that while requests were to come;`,
    `  from that answer to the process's exit ${s(exit - tierEnd)} s`,
    `  the tier's requests started in each second of the wall, by operation:`,
    ...ops.map((op) => `    ${op.padEnd(32)} ${perSecond((id) => id === op)}`),
  ].join('\n');
}
