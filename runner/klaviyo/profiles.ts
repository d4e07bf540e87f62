/**
 * Profile endpoints: bulk import jobs (submit, poll, errors), profile reads by
 * identifier, and the single-profile update that can clear properties, which bulk import cannot
 * (docs/klaviyo-api.md#bulk-profile-import).
 */
import type { ProfileAttributes } from '../transform/payload.ts';
import type { KlaviyoClient } from './client.ts';

export interface ImportJobStatus {
  id: string;
  status: 'queued' | 'processing' | 'complete' | 'cancelled';
  totalCount: number;
  completedCount: number;
  failedCount: number;
}

export interface ImportErrorResource {
  code: string;
  title: string;
  detail: string;
  pointer: string | null;
  originalPayload: unknown;
}

export interface ProfileResource {
  id: string;
  attributes: {
    email?: string | null;
    phone_number?: string | null;
    external_id?: string | null;
    properties?: Record<string, unknown>;
  };
}

interface JobBody {
  data: {
    id: string;
    attributes: {
      status: ImportJobStatus['status'];
      total_count: number;
      completed_count?: number | null;
      failed_count?: number | null;
    };
  };
}

const toStatus = (body: JobBody): ImportJobStatus => ({
  id: body.data.id,
  status: body.data.attributes.status,
  totalCount: body.data.attributes.total_count,
  completedCount: body.data.attributes.completed_count ?? 0,
  failedCount: body.data.attributes.failed_count ?? 0,
});

export async function submitProfileImport(
  client: KlaviyoClient,
  profiles: ProfileAttributes[],
  listIds: string[] = [],
): Promise<ImportJobStatus> {
  const body = {
    data: {
      type: 'profile-bulk-import-job',
      attributes: { profiles: { data: profiles.map((attributes) => ({ type: 'profile', attributes })) } },
      ...(listIds.length > 0
        ? { relationships: { lists: { data: listIds.map((id) => ({ type: 'list', id })) } } }
        : {}),
    },
  };
  const res = await client.call<JobBody>(
    'bulk_import_profiles',
    'POST',
    '/api/profile-bulk-import-jobs',
    body,
  );
  return toStatus(res.body);
}

export async function getProfileImport(client: KlaviyoClient, jobId: string): Promise<ImportJobStatus> {
  const res = await client.call<JobBody>(
    'get_bulk_import_profiles_job',
    'GET',
    `/api/profile-bulk-import-jobs/${encodeURIComponent(jobId)}`,
  );
  return toStatus(res.body);
}

export async function* importErrors(
  client: KlaviyoClient,
  jobId: string,
): AsyncIterable<ImportErrorResource[]> {
  for await (const page of client.pages<{
    attributes: {
      code: string;
      title: string;
      detail: string;
      source?: { pointer?: string };
      original_payload?: unknown;
    };
  }>(
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
    for await (const page of client.pages<ProfileResource>(
      'get_profiles',
      `/api/profiles?filter=${filter}&page[size]=100`,
    ))
      out.push(...page);
  }
  return out;
}

/** Clears custom properties of one profile (meta.patch_properties.unset, docs/klaviyo-api.md#bulk-profile-import). */
export async function unsetProperties(
  client: KlaviyoClient,
  profileId: string,
  keys: string[],
): Promise<void> {
  await client.call('update_profile', 'PATCH', `/api/profiles/${encodeURIComponent(profileId)}`, {
    data: { type: 'profile', id: profileId, attributes: {}, meta: { patch_properties: { unset: keys } } },
  });
}
