/**
 * The three calls of GitHub's REST API that keep one comment per pull request up to date, with the
 * workflow's `GITHUB_TOKEN`: list the pull request's comments (a pull request is an issue to this
 * API), then create one or update ours in place.
 * https://docs.github.com/en/rest/issues/comments
 */
import { GitHubError } from '../errors.ts';

/** The REST API version the requests are written for (https://docs.github.com/en/rest/about-the-rest-api/api-versions). */
export const GITHUB_API_VERSION = '2022-11-28';

export interface PullRequestRef {
  /** https://api.github.com, or a GitHub Enterprise Server's `…/api/v3` (GITHUB_API_URL). */
  apiUrl: string;
  token: string;
  owner: string;
  repo: string;
  number: number;
}

interface IssueComment {
  id: number;
  body?: string;
  html_url: string;
}

export interface Posted {
  action: 'created' | 'updated';
  id: number;
  url: string;
}

const ATTEMPTS = 3;

async function call(ref: PullRequestRef, method: string, url: string, body?: unknown): Promise<Response> {
  for (let attempt = 1; ; attempt += 1) {
    const response = await fetch(url, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${ref.token}`,
        'x-github-api-version': GITHUB_API_VERSION,
        'user-agent': 'klaviyo-runner',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.ok) return response;
    const text = await response.text();
    // 5xx and secondary rate limits are worth another try, after Retry-After when GitHub sends one
    // (https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api).
    const retryable = response.status >= 500 || response.status === 429;
    if (retryable && attempt < ATTEMPTS) {
      const after = Number(response.headers.get('retry-after') ?? attempt);
      await new Promise((r) => setTimeout(r, Math.min(60, Number.isFinite(after) ? after : attempt) * 1000));
      continue;
    }
    throw new GitHubError(explain(ref, method, response.status, text), response.status);
  }
}

function explain(ref: PullRequestRef, method: string, status: number, text: string): string {
  const where = `${ref.owner}/${ref.repo}#${ref.number}`;
  let detail = text.slice(0, 300);
  try {
    detail = String((JSON.parse(text) as { message?: unknown }).message ?? detail);
  } catch {
    // not JSON: keep the text
  }
  const hint =
    status === 401
      ? ' The token is missing or expired: pass the workflow’s GITHUB_TOKEN.'
      : status === 403 || (status === 404 && method !== 'GET')
        ? ' The token cannot write pull-request comments: give the job `permissions: pull-requests: write`.'
        : status === 404
          ? ' Check the repository and the pull request number.'
          : '';
  return `GitHub answered ${status} to ${method} on ${where}: ${detail}.${hint}`;
}

/** The URL of the next page, from a `Link` header (https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api). */
export function nextPage(link: string | null): string | null {
  if (link === null) return null;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="next"/.exec(part);
    if (match !== null) return match[1]!;
  }
  return null;
}

/** The first comment whose body contains the marker, reading every page. */
export async function findComment(ref: PullRequestRef, marker: string): Promise<IssueComment | null> {
  let url: string | null =
    `${ref.apiUrl}/repos/${ref.owner}/${ref.repo}/issues/${ref.number}/comments?per_page=100`;
  while (url !== null) {
    const response = await call(ref, 'GET', url);
    const page = (await response.json()) as IssueComment[];
    const ours = page.find((c) => c.body?.includes(marker) === true);
    if (ours !== undefined) return ours;
    url = nextPage(response.headers.get('link'));
    // The token goes only to the API it was given for.
    if (url !== null && !url.startsWith(`${ref.apiUrl}/`))
      throw new GitHubError(`GitHub's next page of comments is outside ${ref.apiUrl}: ${url}`, undefined);
  }
  return null;
}

/** Updates the comment holding the marker, or creates it: one comment per pull request. */
export async function upsertComment(ref: PullRequestRef, marker: string, body: string): Promise<Posted> {
  const existing = await findComment(ref, marker);
  const base = `${ref.apiUrl}/repos/${ref.owner}/${ref.repo}/issues`;
  const response =
    existing === null
      ? await call(ref, 'POST', `${base}/${ref.number}/comments`, { body })
      : await call(ref, 'PATCH', `${base}/comments/${existing.id}`, { body });
  const posted = (await response.json()) as IssueComment;
  return { action: existing === null ? 'created' : 'updated', id: posted.id, url: posted.html_url };
}
