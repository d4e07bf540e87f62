import { describe, expect, it } from 'vitest';
import {
  HOLE,
  joinJson,
  jsonPieces,
  pushItems,
  toJsonText,
  utf8Bytes,
  type JsonPiece,
  type JsonText,
} from './json-text.ts';

describe('JSON documents joined from pieces and parts', () => {
  it('are what JSON.stringify gives for the whole value', () => {
    const items = [{ 'a "quoted" key': 'é\n\u2028' }, [1, null], 'text'];
    const profile = { nested: { ok: true } };
    const [open, between, close] = jsonPieces({ 'ü key': { profile: HOLE, items: [HOLE] }, after: 1 }, 2);
    const parts: (JsonText | JsonPiece)[] = [open, toJsonText(profile), between];
    pushItems(parts, items.map(toJsonText));
    parts.push(close);
    expect(joinJson(parts)).toBe(JSON.stringify({ 'ü key': { profile, items }, after: 1 }));
  });

  it('take an empty list as an empty array', () => {
    const [open, close] = jsonPieces({ data: [HOLE] }, 1);
    const parts: (JsonText | JsonPiece)[] = [open];
    pushItems(parts, []);
    parts.push(close);
    expect(joinJson(parts)).toBe('{"data":[]}');
  });

  it('refuse a shape whose holes are not the ones its writer fills', () => {
    expect(() => jsonPieces({ a: HOLE, b: HOLE }, 1)).toThrow('has 2 holes where its writer fills 1');
  });

  it('refuse a value that has no JSON text rather than sending nothing', () => {
    expect(() => toJsonText(undefined)).toThrow('undefined has no JSON text');
    expect(() => toJsonText(() => 1)).toThrow('function has no JSON text');
  });

  it('weigh text in UTF-8 bytes, as a request carries it', () => {
    // The quotes, then é, € and 😀: 1 + 2 + 3 + 4 + 1.
    expect(utf8Bytes(toJsonText('é€😀'))).toBe(11);
  });
});
