/**
 * Model row → a list member: the profile's identity (and its Klaviyo id when known), plus marketing
 * consent when the sync subscribes. Consent is read with `toBoolean`: a consent column that says
 * anything other than a clear yes never subscribes anyone, and a value the boolean rule cannot read
 * ("oui") adds the member without subscribing, reported as `not_a_boolean` (docs/value-rules.md).
 * Each channel goes with its identifier (docs/klaviyo-api.md#lists-and-consent): a row subscribes
 * the channels it has an identifier for, and each other channel is reported as dropped; the member
 * is on the list either way.
 *
 * What a person withdrew is withdrawn in Klaviyo too: a consent column that turns false, or an
 * email the suppressions model now marks UNSUBSCRIBED, sends Klaviyo's unsubscribe for the channels
 * withdrawn (https://developers.klaviyo.com/en/reference/bulk_unsubscribe_profiles), to the
 * identifiers that were subscribed. After a withdrawal the row is subscribed again only with
 * consent dated after it: a consent column flipping back to true is not, by itself, new consent.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { Row } from '../source/warehouse.ts';
import { EMAIL_CONSENT_FIELD, type RowChange } from '../state/changes.ts';
import type { BuildResult, DroppedField, ListMemberPayload, ProfileIdentity } from './payload.ts';
import { toBoolean } from './boolean.ts';
import { toIsoTime } from './timestamp.ts';
import { buildIdentity } from './identity.ts';
import { reject } from './rejection.ts';

type Channel = 'email' | 'sms';

const consenting = (row: Row | null, column: string): boolean => {
  const consent = toBoolean(row?.[column]);
  return consent !== null && consent.ok && consent.value;
};
const refusing = (row: Row | null, column: string): boolean => {
  const consent = toBoolean(row?.[column]);
  return consent !== null && consent.ok && !consent.value;
};
const unsubscribedIn = (row: Row | null): boolean => row?.[EMAIL_CONSENT_FIELD] === 'UNSUBSCRIBED';

/** The channels this change withdraws: only what the row had consented to before. */
function withdrawnChannels(spec: SyncSpec, change: RowChange): Channel[] {
  const subscribe = spec.config.subscribe!;
  if (!consenting(change.previous, subscribe.consent)) return [];
  const email: Channel[] = subscribe.channels.includes('email') ? ['email'] : [];
  if (change.kind === 'remove') return change.leftUnsubscribed === true ? email : [];
  if (refusing(change.row, subscribe.consent)) return subscribe.channels;
  return unsubscribedIn(change.row) && !unsubscribedIn(change.previous) ? email : [];
}

/** Each channel goes with its identifier: email consent with the email, SMS consent with the phone. */
function unsubscribeOf(
  spec: SyncSpec,
  change: RowChange,
  channels: Channel[],
): ListMemberPayload['unsubscribe'] | undefined {
  const before = buildIdentity(spec, change.key, change.previous ?? {});
  const identity: ProfileIdentity = before.ok ? before.payload : {};
  const kept = channels.filter((c) =>
    c === 'email' ? identity.email !== undefined : identity.phone_number !== undefined,
  );
  if (kept.length === 0) return undefined;
  return {
    channels: kept,
    ...(kept.includes('email') ? { email: identity.email } : {}),
    ...(kept.includes('sms') ? { phone_number: identity.phone_number } : {}),
  };
}

/** A withdrawal time as the warehouse gives it back, in the ISO form consent times take. */
function withdrawnTime(text: string | undefined): string | null {
  if (text === undefined) return null;
  const at = toIsoTime(text);
  return at !== null && at.ok ? at.value : text;
}

/** A consent value the boolean rule cannot read: the member is added, not subscribed, and told why. */
function unreadConsent(spec: SyncSpec, row: Row): DroppedField | null {
  const column = spec.config.subscribe!.consent;
  const consent = toBoolean(row[column]);
  if (consent === null || consent.ok) return null;
  return { column, reason: `${consent.code}: ${consent.reason}; the member is added without subscribing` };
}

const identifierOf = (identity: ProfileIdentity, channel: Channel) =>
  channel === 'email' ? identity.email : identity.phone_number;

/**
 * A channel the row gave consent for but has no identifier for: Klaviyo keys email consent by the
 * email and SMS consent by the phone number, and refuses the whole request for one profile without
 * it (docs/klaviyo-api.md#lists-and-consent), so the channel is left out and reported.
 */
function channelDropped(spec: SyncSpec, channel: Channel): DroppedField {
  const { identity, subscribe } = spec.config;
  const column = (channel === 'email' ? identity.email : identity.phone_number) ?? subscribe!.consent;
  const reason =
    channel === 'email'
      ? 'email consent not sent: the row has no email'
      : 'sms consent not sent: the row has no valid phone_number';
  return { column, reason };
}

export function buildListMember(
  spec: SyncSpec,
  change: RowChange,
  now = Date.now(),
): BuildResult<ListMemberPayload> {
  const row = change.row ?? change.previous ?? {};
  const identity = buildIdentity(spec, change.key, row);
  if (!identity.ok) return identity;
  const dropped: DroppedField[] = [...(identity.dropped ?? [])];
  const done = (payload: ListMemberPayload): BuildResult<ListMemberPayload> =>
    dropped.length === 0 ? { ok: true, payload } : { ok: true, payload, dropped };
  const payload: ListMemberPayload = {
    key: change.key,
    profile: identity.payload,
    profileId: change.profileId,
  };
  if (change.formerProfileId !== undefined) payload.formerProfileId = change.formerProfileId;
  const subscribe = spec.config.subscribe;
  if (subscribe === undefined) return done(payload);
  const unsubscribe = unsubscribeOf(spec, change, withdrawnChannels(spec, change));
  if (unsubscribe !== undefined) payload.unsubscribe = unsubscribe;
  if (change.kind === 'remove') return done(payload);
  const unread = unreadConsent(spec, row);
  if (unread !== null) dropped.push(unread);
  if (!consenting(row, subscribe.consent)) return done(payload);
  // An email the suppressions model marks unsubscribed is never subscribed again by this sync.
  const wanted = subscribe.channels.filter((c) => c !== 'email' || !unsubscribedIn(row));
  const channels = wanted.filter((c) => identifierOf(identity.payload, c) !== undefined);
  dropped.push(...wanted.filter((c) => !channels.includes(c)).map((c) => channelDropped(spec, c)));
  if (channels.length === 0) return done(payload);
  payload.subscribe = { channels };
  let consentedAt: string | undefined;
  if (subscribe.consented_at !== undefined) {
    const at = toIsoTime(row[subscribe.consented_at]);
    if (at !== null && !at.ok) return reject(spec, change.key, subscribe.consented_at, at.reason);
    // Klaviyo takes a consent time only for consent given in the past (bulk_subscribe_profiles).
    if (at !== null && Date.parse(at.value) > now)
      return reject(
        spec,
        change.key,
        subscribe.consented_at,
        `consent time ${at.value} is in the future; Klaviyo takes only consent already given`,
      );
    if (at !== null) consentedAt = at.value;
  }
  // A channel withdrawn before is subscribed again only with consent dated after its withdrawal.
  const blocked = channels
    .map((c) => ({ channel: c, at: withdrawnTime(change.withdrawnAt?.[c]) }))
    .filter(
      (w) => w.at !== null && (consentedAt === undefined || Date.parse(consentedAt) <= Date.parse(w.at)),
    );
  if (blocked.length > 0)
    return reject(
      spec,
      change.key,
      subscribe.consented_at ?? subscribe.consent,
      `consent was withdrawn (${blocked.map((w) => `${w.channel} unsubscribe sent to Klaviyo at ${w.at}`).join(', ')}); subscribing again needs consent dated after it${subscribe.consented_at === undefined ? ' in a consented_at column' : ` in ${subscribe.consented_at}`}`,
    );
  if (consentedAt !== undefined) payload.subscribe.consentedAt = consentedAt;
  return done(payload);
}
