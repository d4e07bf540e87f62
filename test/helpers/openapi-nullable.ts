/**
 * OpenAPI 3.0's `nullable: true` is not JSON Schema: turn it into a type that admits null (or an
 * anyOf with null where the schema is a $ref), over a whole document once. Both OpenAPI
 * descriptions the tests validate against (Klaviyo's and GitHub's) are 3.0 documents.
 */
export function denullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(denullable);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === 'example' || k === 'examples' ? v : denullable(v);
  if (out.nullable !== true) return out;
  delete out.nullable;
  if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...(out.enum as unknown[]), null];
  if (typeof out.type === 'string') return { ...out, type: [out.type, 'null'] };
  return { anyOf: [out, { type: 'null' }] };
}
