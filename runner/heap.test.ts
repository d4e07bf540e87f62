import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT } from './heap.ts';

describe("the bound on the JavaScript heap's growth", () => {
  // v8.setFlagsFromString ignores a flag V8 does not know: the bound would vanish without a word.
  it("names a flag this Node's V8 knows", () => {
    const options = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
    expect(options).toMatch(/^\s*--heap-growing-percent\b/m);
    expect(HEAP_GROWING_PERCENT).toBeGreaterThan(0);
  });
});
