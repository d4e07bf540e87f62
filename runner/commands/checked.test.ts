import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { checkedOptions } from './checked.ts';

const check = checkedOptions<{ port: number; timeout: number; mode: 'a' | 'b' }>('test', {
  port: { flag: '--port', must: '0 to 65535', schema: { type: 'integer', minimum: 0, maximum: 65535 } },
  timeout: {
    flag: '--timeout',
    must: 'a positive number of seconds',
    schema: { type: 'number', exclusiveMinimum: 0 },
  },
  mode: { flag: '--mode', must: 'a or b', schema: { enum: ['a', 'b'] } },
});

describe('commander options checked against a schema', () => {
  it('turns the strings commander gives into numbers, leaving the other options out', async () => {
    expect(await check({ port: '8787', timeout: '0.5', mode: 'a', host: 'x' })).toEqual({
      port: 8787,
      timeout: 0.5,
      mode: 'a',
    });
  });

  it.each([
    [{ port: '99999' }, '--port must be 0 to 65535, got 99999.'],
    [{ port: '80.5' }, '--port must be 0 to 65535, got 80.5.'],
    [{ port: '' }, '--port must be 0 to 65535, got .'],
    [{ timeout: 'soon' }, '--timeout must be a positive number of seconds, got soon.'],
    [{ timeout: '0' }, '--timeout must be a positive number of seconds, got 0.'],
    [{ timeout: 'Infinity' }, '--timeout must be a positive number of seconds, got Infinity.'],
    [{ mode: 'c' }, '--mode must be a or b, got c.'],
  ])('refuses %j with a sentence naming the flag', async (options, message) => {
    await expect(check(options)).rejects.toThrow(ConfigError);
    await expect(check(options)).rejects.toThrow(message);
  });
});
