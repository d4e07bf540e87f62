/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the same numbers in the
 * same order on every Node version, so sandbox faults, kill plans in tests and the demo seeds can
 * be replayed. Not for anything secret.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
