/**
 * Events executor: batches of at most 1,000 events and 5 MB, deduplicated on (profile, metric,
 * unique_id) first because one repeat fails the whole request (docs/klaviyo-api.md#events). Klaviyo accepting a
 * batch (202) confirms its events; a retry after a crash cannot double them, since unique_ids are
 * deterministic and Klaviyo drops a unique_id it already stored.
 */
import { stopsTheRun } from '../errors.ts';
import type { KlaviyoClient } from '../klaviyo/client.ts';
import { bulkCreateEvents } from '../klaviyo/events.ts';
import type { EventPayload } from '../transform/payload.ts';
import type { RowOutcome } from '../state/changes.ts';
import { partsWithin } from '../klaviyo/body-limit.ts';
import { blamesRows, notAboutRows, tooLarge } from './outcome.ts';

export function dedupe(events: EventPayload[]): { unique: EventPayload[]; repeated: EventPayload[] } {
  const seen = new Set<string>();
  const unique: EventPayload[] = [];
  const repeated: EventPayload[] = [];
  for (const e of events) {
    const id = JSON.stringify([
      e.profile.email ?? null,
      e.profile.phone_number ?? null,
      e.profile.external_id ?? null,
      e.metric,
      e.uniqueId,
    ]);
    if (seen.has(id)) repeated.push(e);
    else {
      seen.add(id);
      unique.push(e);
    }
  }
  return { unique, repeated };
}

export async function sendEvents(
  client: KlaviyoClient,
  events: EventPayload[],
  backfill: boolean,
): Promise<RowOutcome[]> {
  const { unique, repeated } = dedupe(events);
  const outcomes: RowOutcome[] = repeated.map((e) => ({
    key: e.key,
    status: 'rejected',
    reason: `unique_id ${e.uniqueId} repeats another row's for the same profile and metric`,
  }));
  const parts = partsWithin(unique, client.bodies.bytes);
  if (parts.length > 1) {
    for (const part of parts) outcomes.push(...(await sendEvents(client, part, backfill)));
    return outcomes;
  }
  try {
    await bulkCreateEvents(client, unique, backfill);
    outcomes.push(...unique.map((e) => ({ key: e.key, status: 'confirmed' as const })));
  } catch (error) {
    if (stopsTheRun(error)) throw error;
    // Only a 400 whose JSON:API errors point into the events blames them, and a 413 their size;
    // anything else (a proxy's text/plain 400, a 5xx) fails the batch, to be sent again next run.
    const permanent = blamesRows(error) || tooLarge(error);
    const reason = permanent ? error.message : notAboutRows(error);
    if (permanent && unique.length > 1) {
      // One bad event fails the whole request (docs/klaviyo-api.md#events), and a body too large
      // fails as a whole: halve the batch until the bad events stand alone or the halves pass.
      // One bad event in 1,000 costs about 20 requests, not 1,000 at 150 a minute.
      const half = Math.ceil(unique.length / 2);
      outcomes.push(...(await sendEvents(client, unique.slice(0, half), backfill)));
      outcomes.push(...(await sendEvents(client, unique.slice(half), backfill)));
    } else {
      outcomes.push(
        ...unique.map((e) => ({
          key: e.key,
          status: permanent ? ('rejected' as const) : ('failed' as const),
          reason,
        })),
      );
    }
  }
  return outcomes;
}
