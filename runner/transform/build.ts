/** One entry point from a changed row to its Klaviyo payload, by the sync's object. */
import type { SyncSpec } from '../manifest/spec.ts';
import type { RowChange } from '../state/changes.ts';
import type {
  BuildResult,
  DeletionPayload,
  EventPayload,
  ListMemberPayload,
  ProfilePayload,
} from './payload.ts';
import { buildDeletion } from './deletion.ts';
import { buildEvent } from './event.ts';
import { buildListMember } from './list.ts';
import { buildProfile } from './profile.ts';

export type AnyPayload = ProfilePayload | EventPayload | ListMemberPayload | DeletionPayload;

export function buildPayload(spec: SyncSpec, change: RowChange): BuildResult<AnyPayload> {
  switch (spec.config.object) {
    case 'profile':
      return buildProfile(spec, change);
    case 'event':
      return buildEvent(spec, change);
    case 'list_membership':
      return buildListMember(spec, change);
    case 'deletion':
      return buildDeletion(spec, change);
  }
}
