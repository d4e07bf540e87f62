/**
 * A chunk of text columns for DuckDB's appender, filled through DuckDB's C API
 * (@duckdb/node-bindings, the layer @duckdb/node-api is built on): one string assignment per value
 * (`duckdb_vector_assign_string_element`) and each column's NULLs written as one validity mask
 * (https://duckdb.org/docs/stable/clients/c/vector#validity-mask).
 *
 * node-api's `setColumns` does the same assignments, but keeps a cache of every item it sets and,
 * once a column holds a NULL, reads and writes the validity mask with BigInt arithmetic on every
 * later item: the state's stage rows, whose hash, text or profile id columns are often NULL, made
 * it the largest single source of garbage of a sync (150 MB of 1.5 GB allocated). Appending
 * 300,000 rows of five columns, two of them always NULL: 250-310 ms here against 400-450 ms.
 */
import type { DuckDBDataChunk } from '@duckdb/node-api';

/** The two DuckDB modules, loaded once with the runner's allocator settings (duckdb.ts). */
export interface DuckDbModules {
  api: typeof import('@duckdb/node-api');
  bindings: typeof import('@duckdb/node-bindings');
}

/** A value for a text column, as the runner stores it: objects as JSON, the rest as their text. */
export function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string'
    ? value
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value);
}

/**
 * Rows `from` to `from + count` of `rows` (at most DuckDB's vector size, 2,048), each `width`
 * text columns, as one chunk. A validity mask is 64-bit words, bit `i % 64` of word `i / 64` for
 * row `i`, 1 when the row holds a value; written byte by byte here, which is the same layout on the
 * little-endian machines DuckDB publishes Node binaries for (x64, arm64).
 */
export function textChunk(
  { api, bindings }: DuckDbModules,
  rows: readonly (readonly unknown[])[],
  from: number,
  count: number,
  width: number,
): DuckDBDataChunk {
  const chunk = api.DuckDBDataChunk.create(
    Array.from({ length: width }, () => api.VARCHAR),
    count,
  );
  const maskBytes = Math.ceil(count / 64) * 8;
  for (let c = 0; c < width; c++) {
    const vector = bindings.data_chunk_get_vector(chunk.chunk, c);
    let valid: Uint8Array<ArrayBuffer> | null = null;
    for (let r = 0; r < count; r++) {
      const text = asText(rows[from + r]![c]);
      if (text !== null) {
        bindings.vector_assign_string_element(vector, r, text);
        continue;
      }
      valid ??= new Uint8Array(maskBytes).fill(0xff);
      valid[r >> 3]! &= ~(1 << (r & 7));
    }
    if (valid !== null) {
      bindings.vector_ensure_validity_writable(vector);
      bindings.copy_data_to_vector_validity(vector, 0, valid.buffer, 0, maskBytes);
    }
  }
  return chunk;
}
