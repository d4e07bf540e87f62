/**
 * The Klaviyo objects a sync can ship, by the name an exposure gives in `object`. Adding an object
 * is one module implementing `KlaviyoObject` (object.ts) and one line here.
 */
import type { KlaviyoSyncConfig, SyncObject, SyncSpec } from '../manifest/spec.ts';
import { deletion } from './deletion.ts';
import { event } from './event.ts';
import { listMembership } from './list-membership.ts';
import type { Keyed, KlaviyoObject } from './object.ts';
import { profile } from './profile.ts';

const OBJECTS: { [name in SyncObject]: KlaviyoObject<Keyed> } = {
  profile,
  event,
  list_membership: listMembership,
  deletion,
};

/** The module of the object a sync ships. */
export function objectOf(spec: SyncSpec): KlaviyoObject<Keyed> {
  return objectFor(spec.config);
}

/** The module of the object a sync's `config.meta.klaviyo` block names. */
export function objectFor(config: KlaviyoSyncConfig): KlaviyoObject<Keyed> {
  return OBJECTS[config.object];
}
