/**
 * Text that is already a JSON document, such as a request body joined from payloads serialised
 * once when they were built (transform/entries.ts). It is a string branded at compile time, so a
 * plain string, which the client would send as a JSON string value, cannot be passed where a whole
 * document is meant. Only the functions here make one; it imports nothing, so every stage may use it.
 */
declare const JSON_TEXT: unique symbol;
export type JsonText = string & { readonly [JSON_TEXT]: true };

/** Fixed text between the parts of a document (`jsonPieces`), or the comma between two items. */
declare const JSON_PIECE: unique symbol;
export type JsonPiece = string & { readonly [JSON_PIECE]: true };

/** `value` as JSON text; refuses what JSON.stringify would turn into no text at all. */
export function toJsonText(value: unknown): JsonText {
  const text = JSON.stringify(value) as string | undefined;
  if (text === undefined) throw new TypeError(`${typeof value} has no JSON text`);
  return text as JsonText;
}

/** Stands, in a value given to `jsonPieces`, where a part goes. */
export const HOLE = '\u0000part\u0000';
const HOLE_TEXT = JSON.stringify(HOLE);

/**
 * The text of `value` cut at each of its `holes` HOLEs: the fixed text around the parts of every
 * document of that shape, written once from the shape itself. A HOLE inside an array (`[HOLE]`)
 * takes a list of items (`pushItems`); elsewhere, one JSON text.
 */
export function jsonPieces(value: unknown, holes: 1): [JsonPiece, JsonPiece];
export function jsonPieces(value: unknown, holes: 2): [JsonPiece, JsonPiece, JsonPiece];
export function jsonPieces(value: unknown, holes: number): JsonPiece[] {
  const pieces = toJsonText(value).split(HOLE_TEXT) as JsonPiece[];
  if (pieces.length !== holes + 1)
    throw new Error(
      `${JSON.stringify(value)} has ${pieces.length - 1} holes where its writer fills ${holes}`,
    );
  return pieces;
}

/** Appends `items` to `parts`, a comma between each two, as the items of a JSON array. */
export function pushItems(parts: (JsonText | JsonPiece)[], items: readonly JsonText[]): void {
  for (let i = 0; i < items.length; i++) {
    if (i > 0) parts.push(COMMA);
    parts.push(items[i]!);
  }
}
/** The comma between two items of an array. */
export const COMMA = ',' as JsonPiece;

/**
 * One document from its pieces and parts, in order, copied once: joining nested texts level by
 * level would copy a request's rows once per level.
 */
export function joinJson(parts: readonly (JsonText | JsonPiece)[]): JsonText {
  return parts.join('') as JsonText;
}

/** UTF-8 bytes of a text: what it weighs in a request body. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
