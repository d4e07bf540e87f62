/**
 * Why Klaviyo would refuse a profile's attributes, wherever a request carries one (a profile, an
 * import job's row, an event's profile, a subscription): an email or phone number it cannot read,
 * more than 100 KB, or no identifier at all.
 */
import { BATCH_LIMITS } from './limits.ts';

export interface AttributesProblem {
  code: string;
  detail: string;
  pointer: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const E164 = /^\+[1-9]\d{7,14}$/;
/** A profile needs one of these (`_kx`, an anonymous tracking id, counts too). */
const IDENTIFIERS = ['email', 'phone_number', 'external_id', '_kx'];

/**
 * Whether a text takes more than `limit` bytes in UTF-8: counted only when its length could (a
 * UTF-16 unit takes at most three bytes; a surrogate pair two units and four bytes).
 */
function textBytesOver(text: string, limit: number): boolean {
  return text.length * 3 > limit && Buffer.byteLength(text, 'utf8') > limit;
}

export function attributesProblem(attributes: Record<string, unknown>): AttributesProblem | null {
  const email = attributes.email;
  if (
    email !== undefined &&
    email !== null &&
    (typeof email !== 'string' || !EMAIL.test(email) || email.length > 100)
  ) {
    return {
      code: 'invalid',
      detail: `Invalid email address: ${String(email)}`,
      pointer: '/data/attributes/email',
    };
  }
  const phone = attributes.phone_number;
  if (phone !== undefined && phone !== null && (typeof phone !== 'string' || !E164.test(phone))) {
    return {
      code: 'invalid',
      detail: `Invalid phone number format (Example of a valid format: +12345678901): ${String(phone)}`,
      pointer: '/data/attributes/phone_number',
    };
  }
  if (textBytesOver(JSON.stringify(attributes), BATCH_LIMITS.bytesPerProfile)) {
    return {
      code: 'invalid',
      detail: 'Profile payload exceeds the 100 KB limit.',
      pointer: '/data/attributes',
    };
  }
  if (!IDENTIFIERS.some((k) => typeof attributes[k] === 'string' && attributes[k] !== ''))
    return {
      code: 'invalid',
      detail: 'A profile needs at least one identifier: email, phone_number or external_id.',
      pointer: '/data/attributes',
    };
  return null;
}
