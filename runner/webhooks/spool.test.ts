import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSpoolFile, Spool } from './spool.ts';

const event = (id: string) => ({
  webhookId: 'WH',
  externalId: id,
  topic: 'event:klaviyo.x',
  payload: { id },
});

describe('Spool', () => {
  it('stores a redelivered event once, across a reopen, until it is landed', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spool-'));
    const spool = Spool.open(dir);
    expect(spool.append([event('a'), event('b'), event('a')], 't1')).toEqual({ stored: 2, duplicates: 1 });
    expect(spool.append([event('b'), event('c')], 't2')).toEqual({ stored: 1, duplicates: 1 });
    spool.close();

    const reopened = Spool.open(dir);
    expect(reopened.size).toBe(3);
    expect(reopened.append([event('c')], 't3')).toEqual({ stored: 0, duplicates: 1 });
    const sealed = reopened.seal();
    expect(sealed).toHaveLength(1);
    expect(readSpoolFile(sealed[0]!).map((e) => [e.external_id, e.received_at])).toEqual([
      ['a', 't1'],
      ['b', 't1'],
      ['c', 't2'],
    ]);
    reopened.landed(sealed[0]!);
    expect(reopened.size).toBe(0);
    expect(reopened.waiting()).toEqual([]);
  });

  it('cuts the partial line a write cut short left behind (it was never acknowledged)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spool-'));
    const spool = Spool.open(dir);
    spool.append([event('a')], 't1');
    spool.close();
    appendFileSync(path.join(dir, 'current.ndjson'), '{"webhook_id":"WH","external_id":"tor');

    const reopened = Spool.open(dir);
    reopened.append([event('b')], 't2');
    reopened.close();
    const text = readFileSync(path.join(dir, 'current.ndjson'), 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(readSpoolFile(path.join(dir, 'current.ndjson')).map((e) => e.external_id)).toEqual(['a', 'b']);
  });
});
