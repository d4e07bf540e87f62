/**
 * Profile endpoints: bulk import jobs (submit, poll, errors), profile reads by
 * identifier, and the single-profile update that can clear properties, which bulk import cannot
 * (docs/klaviyo-api.md#bulk-profile-import).
 */
import { HOLE, joinJson, jsonPieces, pushItems, type JsonPiece, type JsonText } from '../json-text.ts';
import {
  integer,
  nullableObject,
  nullableString,
  object,
  readOne,
  readPages,
  shape,
  string,
} from './answers.ts';
import type { KlaviyoClient } from './client.ts';

export interface ImportJobStatus {
  id: string;
  status: 'queued' | 'processing' | 'complete' | 'cancelled';
  totalCount: number;
  /** Null when Klaviyo does not say (the field is nullable). */
  completedCount: number | null;
  failedCount: number | null;
}

export interface ImportErrorResource {
  code: string;
  title: string;
  detail: string;
  pointer: string | null;
  originalPayload: unknown;
}

/** A profile as get_profiles answers it: the fields the runner reads, nullable as Klaviyo documents them. */
export interface ProfileResource {
  id: string;
  attributes: {
    email?: string | null;
    phone_number?: string | null;
    external_id?: string | null;
    first_name?: string | null;
    last_name?: string | null;
    properties?: Record<string, unknown> | null;
    created?: string | null;
    updated?: string | null;
    /** With `additional-fields[profile]=subscriptions`. */
    subscriptions?: {
      email?: { marketing?: { consent?: string; suppression?: { reason: string }[] | null } | null } | null;
    } | null;
  };
}
const PROFILE = shape<ProfileResource>(
  'klaviyo_profile',
  object(
    {
      id: string,
      attributes: object({
        email: nullableString,
        phone_number: nullableString,
        external_id: nullableString,
        first_name: nullableString,
        last_name: nullableString,
        properties: nullableObject(),
        created: nullableString,
        updated: nullableString,
        subscriptions: nullableObject({
          email: nullableObject({
            marketing: nullableObject({
              consent: string,
              suppression: { type: ['array', 'null'], items: object({ reason: string }, ['reason']) },
            }),
          }),
        }),
      }),
    },
    ['id', 'attributes'],
  ),
);

interface JobResource {
  id: string;
  attributes: {
    status: ImportJobStatus['status'];
    total_count: number;
    completed_count?: number | null;
    failed_count?: number | null;
  };
}
const JOB = shape<JobResource>(
  'klaviyo_profile_import_job',
  object(
    {
      id: string,
      attributes: object(
        {
          status: { enum: ['queued', 'processing', 'complete', 'cancelled'] },
          total_count: integer,
          completed_count: { type: ['integer', 'null'] },
          failed_count: { type: ['integer', 'null'] },
        },
        ['status', 'total_count'],
      ),
    },
    ['id', 'attributes'],
  ),
);

interface ImportErrorBody {
  attributes: {
    code: string;
    title: string;
    detail: string;
    source?: { pointer?: string } | null;
    original_payload?: unknown;
  };
}
const IMPORT_ERROR = shape<ImportErrorBody>(
  'klaviyo_import_error',
  object(
    {
      attributes: object(
        { code: string, title: string, detail: string, source: nullableObject({ pointer: string }) },
        ['code', 'title', 'detail'],
      ),
    },
    ['attributes'],
  ),
);

const toStatus = (job: JobResource): ImportJobStatus => ({
  id: job.id,
  status: job.attributes.status,
  totalCount: job.attributes.total_count,
  completedCount: job.attributes.completed_count ?? null,
  failedCount: job.attributes.failed_count ?? null,
});

/**
 * The body of one import job, joined from the profiles' entries as they were built
 * (transform/entries.ts, `profileEntry`): nothing of a profile is serialised again here.
 */
export function profileImportBody(profiles: readonly JsonText[], listIds: readonly string[] = []): JsonText {
  const [open, close] = listIds.length === 0 ? IMPORT_JOB : importJobPieces(listIds);
  const parts: (JsonText | JsonPiece)[] = [open];
  pushItems(parts, profiles);
  parts.push(close);
  return joinJson(parts);
}
const importJobPieces = (listIds: readonly string[]) =>
  jsonPieces(
    {
      data: {
        type: 'profile-bulk-import-job',
        attributes: { profiles: { data: [HOLE] } },
        ...(listIds.length > 0
          ? { relationships: { lists: { data: listIds.map((id) => ({ type: 'list', id })) } } }
          : {}),
      },
    },
    1,
  );
const IMPORT_JOB = importJobPieces([]);

/** Submits one import job of `profiles`, each its entry's text (ProfilePayload.json). */
export async function submitProfileImport(
  client: KlaviyoClient,
  profiles: readonly JsonText[],
  listIds: readonly string[] = [],
): Promise<ImportJobStatus> {
  const body = profileImportBody(profiles, listIds);
  return toStatus(
    await readOne(client, JOB, 'bulk_import_profiles', 'POST', '/api/profile-bulk-import-jobs', body),
  );
}

export async function getProfileImport(client: KlaviyoClient, jobId: string): Promise<ImportJobStatus> {
  return toStatus(
    await readOne(
      client,
      JOB,
      'get_bulk_import_profiles_job',
      'GET',
      `/api/profile-bulk-import-jobs/${encodeURIComponent(jobId)}`,
    ),
  );
}

export async function* importErrors(
  client: KlaviyoClient,
  jobId: string,
): AsyncIterable<ImportErrorResource[]> {
  for await (const page of readPages(
    client,
    IMPORT_ERROR,
    'get_errors_for_bulk_import_profiles_job',
    `/api/profile-bulk-import-jobs/${encodeURIComponent(jobId)}/import-errors?page[size]=100`,
  )) {
    yield page.map((e) => ({
      code: e.attributes.code,
      title: e.attributes.title,
      detail: e.attributes.detail,
      pointer: e.attributes.source?.pointer ?? null,
      originalPayload: e.attributes.original_payload,
    }));
  }
}

const quote = (v: string) => JSON.stringify(v);

/** Profiles by one identifier, up to 100 values per call, following every page (peers stop at the first). */
export async function findProfiles(
  client: KlaviyoClient,
  field: 'email' | 'external_id' | 'phone_number',
  values: string[],
): Promise<ProfileResource[]> {
  const out: ProfileResource[] = [];
  for (let i = 0; i < values.length; i += 100) {
    const chunk = values.slice(i, i + 100);
    const filter = encodeURIComponent(`any(${field},[${chunk.map(quote).join(',')}])`);
    for await (const page of readPages(
      client,
      PROFILE,
      'get_profiles',
      `/api/profiles?filter=${filter}&page[size]=100`,
    ))
      out.push(...page);
  }
  return out;
}

/**
 * Every profile updated after `since` (all when null), oldest update first, with consent and
 * suppressions (`additional-fields[profile]=subscriptions`), page by page.
 */
export function profilesUpdatedSince(
  client: KlaviyoClient,
  since: string | null,
): AsyncIterable<ProfileResource[]> {
  const filter = since === null ? '' : `&filter=${encodeURIComponent(`greater-than(updated,${since})`)}`;
  return readPages(
    client,
    PROFILE,
    'get_profiles',
    `/api/profiles?additional-fields[profile]=subscriptions&sort=updated&page[size]=100${filter}`,
  );
}

/** What to clear on a profile: custom property keys, and standard attributes (`location.city` for a location field). */
export interface ProfileFields {
  properties: string[];
  attributes?: string[];
}

/**
 * Clears fields of one profile in one PATCH: attributes sent as null, custom properties by
 * `meta.patch_properties.unset` (docs/klaviyo-api.md#bulk-profile-import).
 */
export async function clearProfileFields(
  client: KlaviyoClient,
  profileId: string,
  fields: ProfileFields,
): Promise<void> {
  const attributes: Record<string, unknown> = {};
  for (const name of fields.attributes ?? []) {
    const [top, inner] = name.split('.', 2) as [string, string | undefined];
    if (inner === undefined) attributes[top] = null;
    else ((attributes[top] ??= {}) as Record<string, unknown>)[inner] = null;
  }
  await client.call('update_profile', 'PATCH', `/api/profiles/${encodeURIComponent(profileId)}`, {
    data: {
      type: 'profile',
      id: profileId,
      attributes,
      ...(fields.properties.length > 0 ? { meta: { patch_properties: { unset: fields.properties } } } : {}),
    },
  });
}
