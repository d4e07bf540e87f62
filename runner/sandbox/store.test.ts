import { describe, expect, it } from 'vitest';
import { Store } from './store.ts';

/** A store with `n` profiles made by bulk import's rules, person0 … person{n-1}. */
function storeOf(n: number): Store {
  const store = new Store();
  for (let i = 0; i < n; i++) {
    const made = store.upsert(
      {
        email: `Person${i}@Example.com`,
        phone_number: `+1212555${String(i).padStart(4, '0')}`,
        external_id: `P${i}`,
      },
      false,
    );
    if ('conflict' in made) throw new Error(`person${i} conflicts`);
  }
  return store;
}

describe('the sandbox store', () => {
  it('makes distinct Klaviyo-looking ids, the same ones for every new store', () => {
    const a = new Store();
    const ids = Array.from({ length: 100_000 }, () => a.newId('event'));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 1000)) expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    const lists = Array.from({ length: 1000 }, () => a.newId('list', 6));
    expect(new Set(lists).size).toBe(lists.length);
    expect(lists[0]).toMatch(/^[0-9A-HJKMNP-TV-Z]{6}$/);
    const b = new Store();
    expect(Array.from({ length: 3 }, () => b.newId('event'))).toEqual(ids.slice(0, 3));
    // Another kind from the same counter does not repeat the first kind's ids.
    expect(new Store().newId('profile')).not.toBe(ids[0]);
  });

  it('finds profiles by each identifier through its index, in the order a scan lists them', () => {
    const store = storeOf(50);
    const scan = [...store.profiles.values()];
    const byEmail = store.profilesWith('email', [
      'person40@example.com',
      'person3@example.com',
      'nobody@example.com',
      'person40@example.com',
    ]);
    expect(byEmail).toEqual(
      scan.filter((p) => p.email === 'person3@example.com' || p.email === 'person40@example.com'),
    );
    expect(store.profilesWith('phone_number', ['+12125550007'])).toEqual([scan[7]]);
    expect(store.profilesWith('external_id', ['P9', 'P8'])).toEqual([scan[8], scan[9]]);
    expect(store.profilesWith('id', [scan[12]!.id, 'NOSUCHID'])).toEqual([scan[12]]);
  });

  it('keeps the indexes right when an identifier changes or a profile is erased', () => {
    const store = storeOf(3);
    const [first, second] = [...store.profiles.values()];
    store.apply(first!, { email: 'renamed@example.com' }, false);
    expect(store.profilesWith('email', ['person0@example.com'])).toEqual([]);
    expect(store.profilesWith('email', ['renamed@example.com'])).toEqual([first]);
    // Unchanged identifiers still find it.
    expect(store.profilesWith('external_id', ['P0'])).toEqual([first]);
    // A write that changes no identifier keeps it where it was in the order.
    store.apply(second!, { first_name: 'Ada' }, false);
    expect([...store.profiles.values()].map((p) => p.id)).toEqual(
      store.profilesWith('external_id', ['P2', 'P1', 'P0']).map((p) => p.id),
    );
    store.erase(second!.id);
    expect(store.profilesWith('external_id', ['P1'])).toEqual([]);
    expect(store.matches({ email: 'PERSON1@example.com' }).size).toBe(0);
  });

  it('matches a profile id given apart from the attributes', () => {
    const store = storeOf(2);
    const [first, second] = [...store.profiles.values()];
    expect([...store.matches({ email: 'person1@example.com' }, first!.id)].sort()).toEqual(
      [first!.id, second!.id].sort(),
    );
    expect([...store.matches({}, 'NOSUCHID')]).toEqual([]);
  });
});
