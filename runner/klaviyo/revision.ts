/**
 * The Klaviyo API revision every request is pinned to: the newest stable revision, whose
 * official OpenAPI description (2026-07-15) the tests validate requests against. Revisions are
 * dated snapshots; moving to a new one is a deliberate change (docs/klaviyo-api.md#revision-and-protocol,
 * https://developers.klaviyo.com/en/docs/api_versioning_and_deprecation_policy).
 */
export const KLAVIYO_REVISION = '2026-07-15';
export const DEFAULT_BASE_URL = 'https://a.klaviyo.com';
export const JSON_API = 'application/vnd.api+json';
