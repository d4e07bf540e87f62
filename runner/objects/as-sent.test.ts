/**
 * A row the warehouse sees changed whose payload is what Klaviyo was already sent (a column that
 * changed type, not value) is classified `same_as_sent`, for profiles, events and list members;
 * a change of what Klaviyo receives is sent, or reported as a changed event, as before.
 */
import { describe, expect, it } from 'vitest';
import { spec } from '../../test/fixtures/specs.ts';
import type { StreamedChange } from '../state/diff.ts';
import type { DiffKind } from '../state/diff-sql.ts';
import { sameJson } from './as-sent.ts';
import { classify } from './classify.ts';
import { objectOf } from './index.ts';

function changed(
  row: Record<string, unknown>,
  previous: Record<string, unknown> | null,
  diffKind: DiffKind = 'update',
): StreamedChange {
  return {
    diffKind,
    kind: 'update',
    key: String(row.id),
    hash: 'h-new',
    row,
    previous,
    profileId: 'P1',
  };
}

const typeOf = (s: ReturnType<typeof spec>, change: StreamedChange) => classify(s, objectOf(s), change).type;

describe('sameJson', () => {
  it('compares JSON documents: members in any order, items in order, undefined members absent', () => {
    expect(sameJson({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toBe(true);
    expect(sameJson({ a: 12.5 }, JSON.parse('{"a": 12.5000}'))).toBe(true);
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson({ a: 1 }, { a: '1' })).toBe(false);
    expect(sameJson({ a: null }, {})).toBe(false);
    expect(sameJson({ a: [] }, { a: {} })).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: 2 })).toBe(false);
  });
});

describe('profiles', () => {
  const profiles = spec({
    object: 'profile',
    attributes: { first_name: 'first_name' },
    properties: ['ltv', 'segment', 'first_order_at'],
  });
  const before = {
    id: 'C1',
    email: 'ann@example.com',
    first_name: 'Ann',
    ltv: 12.5,
    segment: 'champion',
    first_order_at: '2025-03-01 10:00:00',
  };

  it('does not send a row whose columns changed type alone', () => {
    // DECIMAL(18,2) → DECIMAL(18,4), and INTEGER-like ids as numbers: the same values as sent.
    const after = JSON.parse(
      '{"id":"C1","email":"ann@example.com","first_name":"Ann","ltv":12.5000,"segment":"champion","first_order_at":"2025-03-01 10:00:00"}',
    ) as Record<string, unknown>;
    expect(typeOf(profiles, changed(after, before))).toBe('same_as_sent');
    // Members in another order are the same profile.
    const reordered = { segment: 'champion', ...after };
    expect(typeOf(profiles, changed(reordered, before))).toBe('same_as_sent');
  });

  it('sends a value that changed, and a value Klaviyo holds that the row no longer has', () => {
    expect(typeOf(profiles, changed({ ...before, ltv: 13 }, before))).toBe('send');
    expect(typeOf(profiles, changed({ ...before, first_name: 'Anne' }, before))).toBe('send');
    expect(typeOf(profiles, changed({ ...before, segment: null }, before))).toBe('send');
    expect(typeOf(profiles, changed({ ...before, first_name: null }, before))).toBe('send');
  });

  it('sends what the run asked to send again, and what it cannot compare', () => {
    expect(typeOf(profiles, changed(before, before, 'resend'))).toBe('send');
    expect(typeOf(profiles, changed(before, before, 'retry'))).toBe('send');
    // A snapshot row without its text.
    expect(typeOf(profiles, changed(before, null))).toBe('send');
    // The snapshot's row no longer builds (an email the rules now refuse): sent as before.
    expect(typeOf(profiles, changed(before, { ...before, email: 'not an email' }))).toBe('send');
  });
});

describe('events', () => {
  const orders = spec({
    object: 'event',
    metric: 'Placed Order',
    key: 'id',
    identity: { email: 'email' },
    time: 'ordered_at',
    value: 'amount',
    properties_json: 'properties',
  });
  const before = {
    id: 'SO-1',
    email: 'ann@example.com',
    ordered_at: '2025-03-01T10:00:00Z',
    amount: 12.5,
    properties: { Items: [{ ProductName: 'Cap', SKU: 'CAP', Quantity: 1, ItemPrice: 12.5 }] },
  };

  it('is not a changed event when its columns changed type alone', () => {
    // DECIMAL(18,4), a TIMESTAMP for the same instant, and the JSON column as text.
    const after = {
      ...JSON.parse('{"id":"SO-1","email":"ann@example.com","amount":12.5000}'),
      ordered_at: '2025-03-01 10:00:00',
      properties: JSON.stringify(before.properties).replace('12.5', '12.50'),
    } as Record<string, unknown>;
    expect(typeOf(orders, changed(after, before, 'changed_event'))).toBe('same_as_sent');
  });

  it('is a changed event when what Klaviyo stored differs', () => {
    expect(typeOf(orders, changed({ ...before, amount: 13 }, before, 'changed_event'))).toBe('changed_event');
    expect(
      typeOf(orders, changed({ ...before, ordered_at: '2025-03-01T10:00:01Z' }, before, 'changed_event')),
    ).toBe('changed_event');
    const items = { Items: [{ ...before.properties.Items[0], Quantity: 2 }] };
    expect(typeOf(orders, changed({ ...before, properties: items }, before, 'changed_event'))).toBe(
      'changed_event',
    );
    // A row that no longer builds is reported changed, as before.
    expect(typeOf(orders, changed({ ...before, amount: 'n/a' }, before, 'changed_event'))).toBe(
      'changed_event',
    );
    expect(typeOf(orders, changed(before, null, 'changed_event'))).toBe('changed_event');
  });
});

describe('list members', () => {
  const members = spec({
    object: 'list_membership',
    list: { name: 'Winback' },
    subscribe: { channels: ['email'], consent: 'consent', consented_at: 'consented_at' },
  });
  const before = { id: 'C1', email: 'ann@example.com', consent: true, consented_at: '2025-06-01 00:00:00' };

  it('is not added again when its columns changed type alone', () => {
    const after = { ...before, consent: 'true', consented_at: '2025-06-01T00:00:00Z' };
    expect(typeOf(members, changed(after, before))).toBe('same_as_sent');
  });

  it('is sent when its consent or identifiers changed', () => {
    expect(typeOf(members, changed({ ...before, consent: false }, before))).toBe('send');
    expect(typeOf(members, changed({ ...before, consented_at: '2025-07-01 00:00:00' }, before))).toBe('send');
    expect(typeOf(members, changed({ ...before, email: 'anne@example.com' }, before))).toBe('send');
  });
});
