/**
 * Ids as Klaviyo's look: upper-case Crockford base32, 26 characters for a profile or an event, 6
 * for a list or a metric. The sandbox's are deterministic: the n-th id a store makes is the same
 * in every run, so a recorded run can be read against another.
 */

/** Crockford's base32. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Characters taken from each 32-bit word of an id: six of five bits. */
const CHARS_PER_WORD = 6;
/** 2^32 divided by the golden ratio: the inputs of an id's consecutive words land far apart. */
const GOLDEN_RATIO = 0x9e3779b9;

/** A bijection of 32-bit integers that spreads every input bit over the output (xorshift-multiply). */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** FNV-1a of a kind's name: ids of different kinds from one counter do not share a pattern. */
function kindSeed(kind: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < kind.length; i += 1) h = Math.imul(h ^ kind.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The id numbered `counter` of `kind`: each 32-bit word is the counter mixed with the kind and the
 * word's place by a bijective integer hash. Ids need only be distinct and look like Klaviyo's: a
 * cryptographic hash per id cost about a second of the sandbox's one thread in a first sync of
 * 100,000 profiles and 100,000 events, on the path of every request behind it.
 */
export function klaviyoId(counter: number, kind: string, length: number): string {
  const start = (counter ^ kindSeed(kind)) >>> 0;
  let out = '';
  for (let word = 0; word * CHARS_PER_WORD < length; word += 1) {
    let bits = mix32((start + Math.imul(word, GOLDEN_RATIO)) >>> 0);
    for (let c = 0; c < CHARS_PER_WORD && word * CHARS_PER_WORD + c < length; c += 1) {
      out += ALPHABET.charAt(bits & 31);
      bits >>>= 5;
    }
  }
  return out;
}
