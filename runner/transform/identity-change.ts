/**
 * Whether a changed row now names other identifiers than the ones Klaviyo last confirmed for it:
 * its email, phone number or external id, as normalised, differ from the snapshot's row. The
 * profile id the snapshot kept was learnt for the former identifiers, so it is not trusted for the
 * new ones: Klaviyo keys a profile by each of them (docs/klaviyo-api.md#profile-attributes), and
 * the new email may be another profile, or the same one whose email was changed in Klaviyo.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import type { RowChange } from '../state/changes.ts';
import { buildIdentity } from './identity.ts';

const IDENTIFIERS = ['email', 'phone_number', 'external_id'] as const;

/** The columns a row's identity reads (its identifiers, the country a national phone is read in), once per spec. */
const columnsOf = new WeakMap<SyncSpec, string[]>();
function identityColumns(spec: SyncSpec): string[] {
  let columns = columnsOf.get(spec);
  if (columns === undefined) {
    const { identity, attributes } = spec.config;
    columns = [identity.email, identity.phone_number, identity.external_id, attributes?.country].filter(
      (c): c is string => c !== undefined,
    );
    columnsOf.set(spec, columns);
  }
  return columns;
}

export function identityChanged(spec: SyncSpec, change: RowChange): boolean {
  if (change.kind !== 'update' || change.previous === null || change.row === null) return false;
  // Most updates leave the identity columns as they were: no identifier to normalise twice.
  const { row, previous } = change;
  if (identityColumns(spec).every((column) => row[column] === previous[column])) return false;
  const before = buildIdentity(spec, change.key, change.previous);
  const after = buildIdentity(spec, change.key, change.row);
  if (!before.ok || !after.ok) return true;
  return IDENTIFIERS.some((f) => before.payload[f] !== after.payload[f]);
}

/**
 * The change as the builders see it: a profile id kept for former identifiers is moved to
 * `formerProfileId`, so the row is looked up by its new identifiers (100 a request, as any row
 * without an id) while a list can still take the former profile off.
 */
export function withTrustedProfileId<C extends RowChange>(spec: SyncSpec, change: C): C {
  if (change.profileId === null || !identityChanged(spec, change)) return change;
  return { ...change, profileId: null, formerProfileId: change.profileId };
}
