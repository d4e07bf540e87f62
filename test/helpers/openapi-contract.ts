/**
 * Checks requests (and the sandbox's answers) against Klaviyo's official OpenAPI description
 * (revision 2026-07-15, https://github.com/klaviyo/openapi), which is never copied into the
 * repository: it is found at test time (see `findSpec`). A mismatch throws with the operation id
 * and the JSON pointer of what is wrong.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import formatsPlugin from 'ajv-formats';
import { repoRoot } from './dbt.ts';
import { denullable } from './openapi-nullable.ts';

interface Parameter {
  name: string;
  in: 'query' | 'path' | 'header';
  required?: boolean;
  schema?: object;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}

export interface CheckedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  status?: number;
  responseBody?: unknown;
}

/** Where scripts/setup.sh caches the description it downloaded from Klaviyo's public repository. */
export const CACHED_SPEC = path.join(repoRoot, '.cache', 'klaviyo-openapi-2026-07-15.json');

/**
 * The description, looked for in order: `KLAVIYO_OPENAPI`, a copy beside the repository
 * (`../shared/klaviyo/openapi-stable.json`, where our CI keeps one), the setup script's cache.
 * Missing everywhere, the contract check fails with one message saying how to get it.
 */
export function findSpec(
  env: NodeJS.ProcessEnv = process.env,
  beside = path.resolve(repoRoot, '..', 'shared', 'klaviyo', 'openapi-stable.json'),
  cached = CACHED_SPEC,
): string {
  const candidates = [env.KLAVIYO_OPENAPI, beside, cached].filter(
    (c): c is string => c !== undefined && c !== '',
  );
  const found = candidates.find((c) => existsSync(c));
  if (found !== undefined) return found;
  throw new Error(
    `Klaviyo's OpenAPI description (revision 2026-07-15) was not found (looked at ${candidates.join(', ')}). ` +
      'Run `bash scripts/setup.sh` with access to GitHub to cache it, or download ' +
      'https://raw.githubusercontent.com/klaviyo/openapi/2026-07-15/openapi/stable.json and set KLAVIYO_OPENAPI to its path.',
  );
}

let loaded: {
  spec: { paths: Record<string, Record<string, Operation>> };
  ajv: Ajv;
  routes: { method: string; pattern: RegExp; template: string }[];
} | null = null;
const compiled = new Map<string, ValidateFunction>();

function load() {
  if (loaded !== null) return loaded;
  const spec = JSON.parse(readFileSync(findSpec(), 'utf8')) as {
    paths: Record<string, Record<string, Operation>>;
  };
  const ajv = new Ajv({ strict: false, allErrors: true, discriminator: false });
  // ajv-formats is CommonJS: its default export arrives as the module object under ESM.
  const addFormats =
    (formatsPlugin as unknown as { default: (a: Ajv) => void }).default ??
    (formatsPlugin as unknown as (a: Ajv) => void);
  addFormats(ajv);
  ajv.addSchema(denullable(spec) as object, 'klaviyo');
  const routes = Object.entries(spec.paths).flatMap(([template, methods]) =>
    Object.keys(methods)
      .filter((m) => ['get', 'post', 'patch', 'delete', 'put'].includes(m))
      .map((method) => ({
        method: method.toUpperCase(),
        template,
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
      })),
  );
  loaded = { spec, ajv, routes };
  return loaded;
}

/** Schemas reference '#/components/...' inside the spec: point them at the registered document. */
function rebase(schema: object): object {
  return JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#/', '"$ref":"klaviyo#/')) as object;
}

function validator(key: string, schema: object): ValidateFunction {
  let v = compiled.get(key);
  if (v === undefined) {
    v = load().ajv.compile(rebase(schema));
    compiled.set(key, v);
  }
  return v;
}

export function operationFor(method: string, urlPath: string): { operation: Operation; template: string } {
  const { spec, routes } = load();
  const route = routes.find((r) => r.method === method && r.pattern.test(urlPath));
  if (route === undefined)
    throw new Error(`${method} ${urlPath}: no such operation in Klaviyo's OpenAPI description`);
  return { operation: spec.paths[route.template]![method.toLowerCase()]!, template: route.template };
}

function fail(
  op: string,
  where: string,
  errors: { instancePath: string; message?: string }[] | null | undefined,
): never {
  const detail = (errors ?? [])
    .slice(0, 5)
    .map((e) => `${where}${e.instancePath} ${e.message ?? ''}`)
    .join('; ');
  const what = where.startsWith('/response') ? 'response' : 'request';
  throw new Error(`${op}: ${what} does not match Klaviyo's OpenAPI description: ${detail}`);
}

export function checkRequest(req: CheckedRequest): string {
  const { operation } = operationFor(req.method, req.path);
  const op = operation.operationId;
  const params = operation.parameters ?? [];
  for (const p of params.filter((p) => p.in === 'header' && p.required)) {
    if (req.headers[p.name.toLowerCase()] === undefined)
      throw new Error(`${op}: missing required header ${p.name}`);
  }
  if (!/^Klaviyo-API-Key /.test(req.headers.authorization ?? ''))
    throw new Error(`${op}: missing Authorization: Klaviyo-API-Key header`);
  for (const [name, value] of Object.entries(req.query)) {
    const p = params.find((x) => x.in === 'query' && x.name === name);
    if (p === undefined) throw new Error(`${op}: query parameter ${name} is not in the description`);
    const schema = p.schema ?? {};
    // OpenAPI's default query style (form, explode false) sends arrays comma-separated.
    const type = (schema as { type?: string }).type;
    const typed = type === 'integer' ? Number(value) : type === 'array' ? value.split(',') : value;
    const v = validator(`${op}?${name}`, schema);
    if (!v(typed)) fail(op, `/query/${name}`, v.errors);
  }
  for (const p of params.filter((x) => x.in === 'query' && x.required)) {
    if (req.query[p.name] === undefined) throw new Error(`${op}: missing required query parameter ${p.name}`);
  }
  const content = operation.requestBody?.content;
  if (content !== undefined) {
    const schema = Object.values(content)[0]!.schema;
    const v = validator(`${op}:body`, schema);
    if (!v(req.body)) fail(op, '/body', v.errors);
  }
  return op;
}

export function checkResponse(req: CheckedRequest): void {
  if (req.status === undefined || req.status >= 300 || req.responseBody === undefined) return;
  const { operation } = operationFor(req.method, req.path);
  const response = operation.responses[String(req.status)];
  if (response === undefined)
    throw new Error(`${operation.operationId}: status ${req.status} is not a documented answer`);
  const schema = response.content === undefined ? undefined : Object.values(response.content)[0]?.schema;
  if (schema === undefined) return;
  const v = validator(`${operation.operationId}:${req.status}`, schema);
  if (!v(req.responseBody)) fail(operation.operationId, '/response', v.errors);
}

/** Every request the runner sent, checked; returns how many of each operation were seen. */
export function assertAllValid(
  requests: CheckedRequest[],
  options: { responses?: boolean } = {},
): Record<string, number> {
  const seen: Record<string, number> = {};
  for (const req of requests) {
    const op = checkRequest(req);
    if (options.responses !== false) checkResponse(req);
    seen[op] = (seen[op] ?? 0) + 1;
  }
  return seen;
}
