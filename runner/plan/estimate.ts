/**
 * How long a plan's requests take at Klaviyo's published rate limits: each operation waits on its
 * tier (klaviyo/operations.ts), each tier at its limits (klaviyo/limits.ts, docs/klaviyo-api.md#rate-limits).
 * How many requests a change needs is each object's to say (objects/).
 */
import { secondsFor, type Tier } from '../klaviyo/limits.ts';
import { OPERATIONS, type OperationId } from '../klaviyo/operations.ts';

export { secondsFor };

export interface RequestEstimate {
  /** operation id → requests */
  requests: Record<string, number>;
  total: number;
  /** Seconds the requests take at the published limits (Klaviyo's job processing time comes on top). */
  seconds: number;
}

const tierOf = (op: string): Tier => (op in OPERATIONS ? OPERATIONS[op as OperationId].tier : 'M');

export function estimate(requests: Record<string, number>): RequestEstimate {
  const perTier = new Map<Tier, number>();
  let total = 0;
  for (const [op, n] of Object.entries(requests)) {
    perTier.set(tierOf(op), (perTier.get(tierOf(op)) ?? 0) + n);
    total += n;
  }
  // Tiers are separate budgets and run side by side; the slower one sets the time.
  const seconds = Math.max(0, ...[...perTier].map(([tier, n]) => secondsFor(n, tier)));
  return { requests, total, seconds };
}
