/**
 * A stand-in for GitHub's REST API on loopback, for the pull-request comment poster. It keeps
 * issue comments in memory and serves the three operations the poster uses (list, create and
 * update issue comments, with `Link` pagination). Every request is checked against GitHub's
 * published OpenAPI description (npm `@octokit/openapi`, https://github.com/github/rest-api-description):
 * its route and method, path and query parameters, body, and the headers GitHub asks for; every
 * answer is checked against the same description. A request that does not match is answered 400
 * and recorded in `problems`, so a test fails on it.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import formatsPlugin from 'ajv-formats';
import { denullable } from './openapi-nullable.ts';

interface Parameter {
  name: string;
  in: 'query' | 'path' | 'header';
  required?: boolean;
  schema?: object;
  $ref?: string;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}
type Spec = { paths: Record<string, Record<string, Operation>> } & Record<string, unknown>;

let loaded: {
  spec: Spec;
  ajv: Ajv;
  routes: { method: string; template: string; pattern: RegExp; literals: number }[];
} | null = null;
const compiled = new Map<string, ValidateFunction>();

function load() {
  if (loaded !== null) return loaded;
  const file = createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json');
  const spec = denullable(JSON.parse(readFileSync(file, 'utf8'))) as Spec;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  const addFormats =
    (formatsPlugin as unknown as { default: (a: Ajv) => void }).default ??
    (formatsPlugin as unknown as (a: Ajv) => void);
  addFormats(ajv);
  ajv.addSchema({ components: spec.components }, 'github');
  // The most specific route wins: `/issues/comments/{comment_id}` before `/issues/{issue_number}`.
  const routes = Object.entries(spec.paths)
    .flatMap(([template, methods]) =>
      Object.keys(methods)
        .filter((m) => ['get', 'post', 'patch', 'delete', 'put'].includes(m))
        .map((method) => ({
          method: method.toUpperCase(),
          template,
          pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '([^/]+)')}$`),
          literals: template.split('/').filter((s) => s !== '' && !s.startsWith('{')).length,
        })),
    )
    .sort((a, b) => b.literals - a.literals);
  loaded = { spec, ajv, routes };
  return loaded;
}

function resolve<T>(node: T & { $ref?: string }): T {
  if (node.$ref === undefined) return node;
  let at: unknown = load().spec;
  for (const part of node.$ref.replace(/^#\//, '').split('/')) at = (at as Record<string, unknown>)[part];
  return at as T;
}

function validator(key: string, schema: object): ValidateFunction {
  let v = compiled.get(key);
  if (v === undefined) {
    const rebased = JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#/', '"$ref":"github#/')) as object;
    v = load().ajv.compile(rebased);
    compiled.set(key, v);
  }
  return v;
}

const errorsOf = (v: ValidateFunction, where: string) =>
  (v.errors ?? []).slice(0, 5).map((e) => `${where}${e.instancePath} ${e.message ?? ''}`);

interface Found {
  operation: Operation;
  params: Record<string, string>;
}

function operationFor(method: string, path: string): Found | null {
  for (const route of load().routes) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(path);
    if (match === null) continue;
    const operation = load().spec.paths[route.template]![method.toLowerCase()]!;
    const names = [...route.template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    return {
      operation,
      params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)])),
    };
  }
  return null;
}

const typed = (schema: object, value: string): unknown =>
  (schema as { type?: string }).type === 'integer' ? (/^-?\d+$/.test(value) ? Number(value) : value) : value;

/** Problems with a request, by GitHub's description (empty: it matches). */
export function checkGitHubRequest(
  method: string,
  url: URL,
  headers: IncomingMessage['headers'],
  body: unknown,
): { operationId: string | null; params: Record<string, string>; problems: string[] } {
  const found = operationFor(method, url.pathname);
  if (found === null)
    return {
      operationId: null,
      params: {},
      problems: [`${method} ${url.pathname}: no such operation in GitHub's REST API`],
    };
  const { operation, params } = found;
  const op = operation.operationId;
  const problems: string[] = [];
  const declared = (operation.parameters ?? []).map((p) => resolve(p));
  for (const p of declared.filter((p) => p.in === 'path')) {
    const v = validator(`${op}/${p.name}`, p.schema ?? {});
    if (!v(typed(p.schema ?? {}, params[p.name] ?? '')))
      problems.push(...errorsOf(v, `${op} path ${p.name}`));
  }
  for (const [name, value] of url.searchParams) {
    const p = declared.find((x) => x.in === 'query' && x.name === name);
    if (p === undefined) {
      problems.push(`${op}: query parameter ${name} is not in the description`);
      continue;
    }
    const v = validator(`${op}?${name}`, p.schema ?? {});
    if (!v(typed(p.schema ?? {}, value))) problems.push(...errorsOf(v, `${op} query ${name}`));
  }
  const content = operation.requestBody?.content;
  if (content !== undefined) {
    const schema = content['application/json']?.schema;
    if (schema === undefined) problems.push(`${op}: no JSON body in the description`);
    else {
      const v = validator(`${op}:body`, schema);
      if (!v(body)) problems.push(...errorsOf(v, `${op} body`));
    }
  } else if (body !== undefined) problems.push(`${op}: takes no body`);
  // What GitHub asks every REST client to send (https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api).
  if (!/^(Bearer|token) \S+$/.test(headers.authorization ?? ''))
    problems.push(`${op}: no Authorization: Bearer token`);
  if (!/application\/vnd\.github\+json/.test(headers.accept ?? ''))
    problems.push(`${op}: Accept is not application/vnd.github+json`);
  if (headers['x-github-api-version'] !== '2022-11-28')
    problems.push(`${op}: X-GitHub-Api-Version is not a version GitHub serves (2022-11-28)`);
  if (headers['user-agent'] === undefined)
    problems.push(`${op}: GitHub refuses requests without a User-Agent`);
  return { operationId: op, params, problems };
}

export function checkGitHubResponse(method: string, path: string, status: number, body: unknown): string[] {
  const found = operationFor(method, path);
  if (found === null) return [];
  const response = found.operation.responses[String(status)];
  if (response === undefined)
    // 401 and rate-limit answers apply to every operation and are documented once, not per operation
    // (https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api).
    return status === 401 || status === 429
      ? []
      : [`${found.operation.operationId}: status ${status} is not a documented answer`];
  const schema = response.content?.['application/json']?.schema;
  if (schema === undefined) return [];
  const v = validator(`${found.operation.operationId}:${status}`, schema);
  return v(body) ? [] : errorsOf(v, `${found.operation.operationId} response`);
}

interface StoredComment {
  id: number;
  issue: string;
  body: string;
  created_at: string;
  updated_at: string;
}

export interface GitHubStandIn {
  url: string;
  /** Every request, by operation id, in order. */
  calls: { operationId: string | null; method: string; path: string; status: number }[];
  /** Requests or answers that did not match GitHub's description. */
  problems: string[];
  comments(owner: string, repo: string, issue: number): StoredComment[];
  /** Seeds comments by other people (a busy pull request). */
  addComment(owner: string, repo: string, issue: number, body: string): void;
  close(): Promise<void>;
}

export async function startGitHubStandIn(options: { token: string }): Promise<GitHubStandIn> {
  load();
  const stored: StoredComment[] = [];
  let nextId = 1_000_000;
  const calls: GitHubStandIn['calls'] = [];
  const problems: string[] = [];
  let base = '';

  const shape = (c: StoredComment) => {
    const [owner, repo, number] = c.issue.split('/');
    const user = {
      login: 'github-actions[bot]',
      id: 41898282,
      node_id: 'MDM6Qm90NDE4OTgyODI=',
      avatar_url: 'https://avatars.githubusercontent.com/in/15368?v=4',
      gravatar_id: '',
      url: 'https://api.github.com/users/github-actions%5Bbot%5D',
      html_url: 'https://github.com/apps/github-actions',
      followers_url: 'https://api.github.com/users/github-actions%5Bbot%5D/followers',
      following_url: 'https://api.github.com/users/github-actions%5Bbot%5D/following{/other_user}',
      gists_url: 'https://api.github.com/users/github-actions%5Bbot%5D/gists{/gist_id}',
      starred_url: 'https://api.github.com/users/github-actions%5Bbot%5D/starred{/owner}{/repo}',
      subscriptions_url: 'https://api.github.com/users/github-actions%5Bbot%5D/subscriptions',
      organizations_url: 'https://api.github.com/users/github-actions%5Bbot%5D/orgs',
      repos_url: 'https://api.github.com/users/github-actions%5Bbot%5D/repos',
      events_url: 'https://api.github.com/users/github-actions%5Bbot%5D/events{/privacy}',
      received_events_url: 'https://api.github.com/users/github-actions%5Bbot%5D/received_events',
      type: 'Bot',
      site_admin: false,
    };
    return {
      id: c.id,
      node_id: `IC_${c.id}`,
      url: `${base}/repos/${owner}/${repo}/issues/comments/${c.id}`,
      html_url: `https://github.com/${owner}/${repo}/pull/${number}#issuecomment-${c.id}`,
      issue_url: `${base}/repos/${owner}/${repo}/issues/${number}`,
      body: c.body,
      user,
      created_at: c.created_at,
      updated_at: c.updated_at,
      author_association: 'NONE',
    };
  };

  const handle = (req: IncomingMessage, raw: string, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', base);
    const method = req.method ?? 'GET';
    let body: unknown;
    try {
      body = raw === '' ? undefined : (JSON.parse(raw) as unknown);
    } catch {
      body = raw;
    }
    const checked = checkGitHubRequest(method, url, req.headers, body);
    const answer = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      const answerProblems = checkGitHubResponse(method, url.pathname, status, json);
      problems.push(...answerProblems.map((p) => `stand-in answer: ${p}`));
      calls.push({ operationId: checked.operationId, method, path: url.pathname, status });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(json));
    };
    if (checked.problems.length > 0) {
      problems.push(...checked.problems);
      calls.push({ operationId: checked.operationId, method, path: url.pathname, status: 400 });
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: checked.problems.join('; ') }));
      return;
    }
    if (req.headers.authorization !== `Bearer ${options.token}`)
      return answer(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    const p = checked.params;
    const issue = `${p.owner}/${p.repo}/${p.issue_number}`;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    switch (checked.operationId) {
      case 'issues/list-comments': {
        const perPage = Number(url.searchParams.get('per_page') ?? 30);
        const page = Number(url.searchParams.get('page') ?? 1);
        const all = stored.filter((c) => c.issue === issue);
        const slice = all.slice((page - 1) * perPage, page * perPage);
        const headers: Record<string, string> = {};
        if (page * perPage < all.length) {
          const next = new URL(url);
          next.searchParams.set('page', String(page + 1));
          headers.link = `<${next.toString()}>; rel="next"`;
        }
        return answer(200, slice.map(shape), headers);
      }
      case 'issues/create-comment': {
        const comment = {
          id: nextId++,
          issue,
          body: (body as { body: string }).body,
          created_at: now,
          updated_at: now,
        };
        stored.push(comment);
        return answer(201, shape(comment));
      }
      case 'issues/update-comment': {
        const comment = stored.find((c) => c.id === Number(p.comment_id));
        if (comment === undefined)
          return answer(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
        comment.body = (body as { body: string }).body;
        comment.updated_at = now;
        return answer(200, shape(comment));
      }
      default:
        calls.push({ operationId: checked.operationId, method, path: url.pathname, status: 501 });
        res.writeHead(501).end();
    }
  };

  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => handle(req, raw, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    calls,
    problems,
    comments: (owner, repo, issue) => stored.filter((c) => c.issue === `${owner}/${repo}/${issue}`),
    addComment: (owner, repo, issue, body) => {
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      stored.push({
        id: nextId++,
        issue: `${owner}/${repo}/${issue}`,
        body,
        created_at: now,
        updated_at: now,
      });
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
