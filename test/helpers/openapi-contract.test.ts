import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findSpec } from './openapi-contract.ts';

describe("finding Klaviyo's OpenAPI description", () => {
  it('takes KLAVIYO_OPENAPI first, then the copy beside the repository, then the cache', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kr-spec-'));
    const [given, beside, cached] = ['given.json', 'beside.json', 'cached.json'].map((f) =>
      path.join(dir, f),
    );
    for (const f of [given, beside, cached]) await writeFile(f!, '{}');
    expect(findSpec({ KLAVIYO_OPENAPI: given }, beside, cached)).toBe(given);
    expect(findSpec({}, beside, cached)).toBe(beside);
    expect(findSpec({}, path.join(dir, 'absent.json'), cached)).toBe(cached);
  });

  it('fails with one message saying how to get the file when none is there', () => {
    expect(() => findSpec({}, '/nonexistent/beside.json', '/nonexistent/cached.json')).toThrow(
      /was not found \(looked at \/nonexistent\/beside\.json, \/nonexistent\/cached\.json\)\. Run `bash scripts\/setup\.sh`.*KLAVIYO_OPENAPI/,
    );
  });
});
