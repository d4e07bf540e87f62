/**
 * Events: bulk requests of at most 1,000 events and 5 MB (docs/klaviyo-api.md#events), each with a
 * unique_id derived from the model key, so a resend never doubles one. An event row that changed
 * after Klaviyo stored it is reported, never resent: the diff classifies it so before this module
 * comes into play (`IMMUTABLE_OBJECTS` in manifest/spec.ts, read by state/diff-sql.ts). Klaviyo
 * events cannot be deleted through the API, so a row that left the model only leaves the snapshot;
 * should it come back, it is sent with the same unique_id, which Klaviyo drops as a duplicate
 * (https://developers.klaviyo.com/en/reference/create_event).
 */
import { batches, LIMITS } from '../klaviyo/limits.ts';
import { sendEvents } from '../apply/events.ts';
import { buildEvent } from '../transform/event.ts';
import type { EventPayload } from '../transform/payload.ts';
import type { KlaviyoSyncConfig } from '../manifest/spec.ts';
import { sameJson } from './as-sent.ts';
import { startsOverOnNewKey, rows, STARTS_OVER } from './config-change.ts';
import { addRequests, forgetRemoved, toSend, type KlaviyoObject } from './object.ts';

/** Where an event sync's metric names come from: its one metric, or a column of the model. */
function metricSource(config: KlaviyoSyncConfig): string {
  return config.metric_column !== undefined
    ? `the metric names in column \`${config.metric_column}\``
    : `\`${config.metric}\``;
}

export const event: KlaviyoObject<EventPayload> = {
  name: 'event',
  limits: { rows: LIMITS.eventsPerBulkRequest, bytes: LIMITS.bytesPerBatch, removals: 1000 },
  // A flow an event triggers then finds the person's attributes set; backfilled events trigger no
  // flow (docs/klaviyo-api.md#events), so their order cannot be seen.
  runs: 'after_profiles_unless_backfill',
  build: buildEvent,
  bytesOf: (e) => e.bytes,
  // What an event entry carries, and the profile sent with it; the entries' texts are not
  // compared, as members in another order are the same event.
  sameAsSent: (before, after) =>
    before.uniqueId === after.uniqueId &&
    before.metric === after.metric &&
    before.time === after.time &&
    before.value === after.value &&
    before.valueCurrency === after.valueCurrency &&
    sameJson(before.properties, after.properties) &&
    sameJson(before.profile, after.profile),
  confirmedAs: () => 'events_sent',
  removalBound: () => 0,
  examplesShowValues: true,
  countSend(_spec, _change, payload, tally) {
    tally.send += 1;
    tally.bytes += payload.bytes;
  },
  countRemoval() {},
  requests(_spec, tally, input) {
    const { rows, bytes } = toSend(tally, input);
    const requests: Record<string, number> = {};
    addRequests(requests, 'bulk_create_events', batches(rows, LIMITS.eventsPerBulkRequest, bytes));
    return requests;
  },
  // No csvImport: Klaviyo's CSV import takes profiles and list members, not events.
  applier: (c) => ({
    async send(items) {
      const outcomes = await sendEvents(
        c.client,
        items.map((i) => i.payload),
        c.backfill(),
      );
      await c.settle(items, outcomes);
    },
    remove: (changes) => forgetRemoved(c, changes),
  }),
  configChanges: {
    key: startsOverOnNewKey(
      (counts) =>
        `all ${rows(counts.inModel, 'event')} are sent again with \`unique_id\`s derived from the new key, so Klaviyo would hold every event already sent twice.`,
    ),
    target: (before, after, counts) =>
      before.metric === after.metric && before.metric_column === after.metric_column
        ? []
        : [
            {
              kind: 'metric',
              what: `\`metric\` changed from ${metricSource(before)} to ${metricSource(after)}: the ${rows(counts.inSnapshot, 'event')} already sent stay under ${metricSource(before)} (Klaviyo events are immutable).`,
              consequence: `${STARTS_OVER} and sends all ${rows(counts.inModel, 'event')} again under ${metricSource(after)} (as a backfill when \`backfill: first_load\`).`,
              needsFlag: true,
            },
          ],
  },
};
