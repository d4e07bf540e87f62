import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { parseRunResults } from './run-results.ts';

describe("dbt's run_results.json", () => {
  it('indexes each node’s latest status and the invocation id', () => {
    const index = parseRunResults(
      JSON.stringify({
        metadata: { invocation_id: 'inv-1', dbt_schema_version: 'v6' },
        results: [
          { unique_id: 'model.shop.a', status: 'success', timing: [] },
          { unique_id: 'model.shop.b', status: 'error' },
        ],
      }),
      'target/run_results.json',
    );
    expect(index.invocationId).toBe('inv-1');
    expect([...index.status]).toEqual([
      ['model.shop.a', 'success'],
      ['model.shop.b', 'error'],
    ]);
  });

  it('refuses text that is not JSON, naming the file', () => {
    expect(() => parseRunResults('{"results": [', 'target/run_results.json')).toThrow(ConfigError);
    expect(() => parseRunResults('{"results": [', 'target/run_results.json')).toThrow(
      /^target\/run_results\.json is not valid JSON \(.+\)\. Run `dbt build` again to write it anew, or delete it\.$/,
    );
  });

  it('refuses results without the fields it reads, naming each path', () => {
    const read = () =>
      parseRunResults(JSON.stringify({ results: [{ status: 'success' }, 'x'] }), 'target/run_results.json');
    expect(read).toThrow(ConfigError);
    expect(read).toThrow("at /results/0: must have required property 'unique_id'");
    expect(read).toThrow('at /results/1: must be object');
  });
});
