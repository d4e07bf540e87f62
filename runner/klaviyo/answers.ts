/**
 * Klaviyo's answers read as untrusted input: each answer the runner reads is checked against a
 * small JSON Schema of the fields it uses (Klaviyo's JSON:API documents, `{data}` for one resource,
 * `{data: [], links: {next}}` for a page, https://developers.klaviyo.com/en/docs/sorting_and_pagination_)
 * before any of it is used. An answer in another shape (a proxy's page with status 200, a field
 * missing) is a KlaviyoError naming the operation and the field, never a TypeError deep in a sync.
 */
import type { ErrorObject } from 'ajv';
import { KlaviyoError } from '../errors.ts';
import { schemaValidator, type Validator } from '../json-schema.ts';
import type { KlaviyoClient, RequestBody } from './client.ts';
import { OPERATIONS, type OperationId } from './operations.ts';

/** A resource as the runner reads it: the schema of the fields it uses, checked in one answer or in each page. */
export interface Shape<T> {
  one: Validator<{ data: T }>;
  page: Validator<{ data: T[]; links?: { next?: string | null } }>;
}

/** `id` names the schema of one resource; its page's is `<id>_page` (runner/json-schema.ts). */
export function shape<T>(id: string, resource: object): Shape<T> {
  const options = { allErrors: true, allowUnionTypes: true };
  return {
    one: schemaValidator<{ data: T }>({
      id,
      options,
      schema: { type: 'object', required: ['data'], properties: { data: resource } },
    }),
    page: schemaValidator<{ data: T[]; links?: { next?: string | null } }>({
      id: `${id}_page`,
      options,
      schema: {
        type: 'object',
        required: ['data'],
        properties: {
          data: { type: 'array', items: resource },
          links: { type: 'object', properties: { next: { type: ['string', 'null'] } } },
        },
      },
    }),
  };
}

/** `{type: 'string'}` and friends, to keep the schemas of the resource files short. */
export const string = { type: 'string' } as const;
export const nullableString = { type: ['string', 'null'] } as const;
export const integer = { type: 'integer' } as const;
export const object = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: 'object',
  required,
  properties,
});

/** An object that Klaviyo documents as nullable. */
export const nullableObject = (properties: Record<string, unknown> = {}) => ({
  type: ['object', 'null'],
  properties,
});

function sentence(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 3)
    .map((e) => `${e.instancePath === '' ? 'the answer' : e.instancePath} ${e.message ?? 'is not valid'}`)
    .join('; ');
}

/**
 * The answer was a success but not in the shape the runner reads. A later run may get a good one
 * (retryable); for an operation that must not be resent the work may have been done, so the
 * outcome is unknown and the caller looks before trying again.
 */
function unreadable(operationId: OperationId, status: number, errors: ErrorObject[] | null | undefined) {
  return new KlaviyoError(
    `${operationId} answered ${status} with a body the runner cannot read: ${sentence(errors)}.`,
    status,
    true,
    [],
    !OPERATIONS[operationId].idempotent,
  );
}

/** One resource (`data`) from an operation that answers with one. */
export async function readOne<T>(
  client: KlaviyoClient,
  resource: Shape<T>,
  operationId: OperationId,
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body?: RequestBody,
): Promise<T> {
  const res = await client.call(operationId, method, path, body);
  if (!resource.one(res.body)) throw unreadable(operationId, res.status, resource.one.errors);
  return res.body.data;
}

/** Every page of a collection, following `links.next` (Klaviyo's cursor pagination). */
export async function* readPages<T>(
  client: KlaviyoClient,
  resource: Shape<T>,
  operationId: OperationId,
  path: string,
): AsyncIterable<T[]> {
  let next: string | null = path;
  while (next !== null) {
    const res = await client.call(operationId, 'GET', next);
    if (!resource.page(res.body)) throw unreadable(operationId, res.status, resource.page.errors);
    yield res.body.data;
    next = res.body.links?.next ?? null;
  }
}
