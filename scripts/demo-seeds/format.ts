/** Helpers shared by the demo seed generators: the PRNG, the CSV writer, amounts and times. */

// mulberry32: a tiny, well-known PRNG; deterministic across Node versions. Kept here rather than
// shared with the sandbox so the committed seeds can never change with runner code.
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function csv(rows: Record<string, string | number | null>[]): string {
  const cols = Object.keys(rows[0] ?? {});
  const cell = (v: string | number | null) => {
    if (v === null) return '';
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return (
    [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c] ?? null)).join(','))].join('\n') + '\n'
  );
}

export const money = (n: number, style: number) =>
  style === 0
    ? n.toFixed(2)
    : style === 1
      ? `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`
      : ` ${n.toFixed(2)} `;
export const ts = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 19);
export const START = Date.UTC(2024, 10, 1);
export const END = Date.UTC(2026, 9, 31);
