/**
 * KLAVIYO_BASE_URL read as untrusted input: an http(s) origin with an optional path prefix (a
 * proxy), refused with a ConfigError before any request when it is anything else, so a typo costs
 * no retries. Credentials written into it (`https://user:secret@proxy`) never reach a report,
 * a log or an error: `display` is the URL without them.
 */
import { ConfigError } from '../errors.ts';

export interface BaseUrl {
  /** What requests go to, without a trailing slash. */
  url: string;
  /** The same URL without user name and password: the only form ever recorded or printed. */
  display: string;
  /** Secrets to cut out of any text that might echo the URL (error messages). */
  secrets: string[];
}

export function parseBaseUrl(raw: string, name = 'KLAVIYO_BASE_URL'): BaseUrl {
  let parsed: URL;
  try {
    parsed = new URL(raw.trim());
  } catch {
    throw new ConfigError(
      `${name} is not a URL: ${JSON.stringify(withoutCredentials(raw))}. Use e.g. https://a.klaviyo.com or http://127.0.0.1:8787.`,
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new ConfigError(
      `${name} must be an http:// or https:// URL, got ${JSON.stringify(withoutCredentials(raw))}.`,
    );
  if (parsed.search !== '' || parsed.hash !== '')
    throw new ConfigError(`${name} must not carry a query or a fragment: ${stripped(parsed)}.`);
  const secrets = [parsed.password, parsed.username]
    .filter((s) => s !== '')
    .flatMap((s) => [s, decodeURIComponent(s)]);
  return { url: parsed.href.replace(/\/+$/, ''), display: stripped(parsed), secrets };
}

function stripped(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href.replace(/\/+$/, '');
}

/** Any `scheme://user:password@` in a text, cut down to `scheme://`. */
export function withoutCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1');
}
