/**
 * Keys of one sync that are one person to Klaviyo, by email (shared-emails.ts) and by phone number
 * (shared-phones.ts): the warnings `sync` logs and `validate` says, read in one place so the two
 * say the same of the same model.
 */
import type { SyncSpec } from '../manifest/spec.ts';
import { sharedEmails, sharedEmailsMessage } from './shared-emails.ts';
import { sharedPhones, sharedPhonesMessage } from './shared-phones.ts';
import type { Warehouse } from './warehouse.ts';

export interface SharedIdentifierWarning {
  event: 'sync.shared_email' | 'sync.shared_phone';
  message: string;
  /** The log line's counts: identifiers shared, and the keys that share them. */
  counts: { emails: number; keys: number } | { phones: number; keys: number };
}

/** The warnings of the sync's model: none when no key shares an identifier with another. */
export async function sharedIdentifiers(wh: Warehouse, spec: SyncSpec): Promise<SharedIdentifierWarning[]> {
  const warnings: SharedIdentifierWarning[] = [];
  const emails = await sharedEmails(wh, spec);
  if (emails !== null && emails.emails > 0)
    warnings.push({
      event: 'sync.shared_email',
      message: sharedEmailsMessage(spec, emails),
      counts: { emails: emails.emails, keys: emails.keys },
    });
  const phones = await sharedPhones(wh, spec);
  if (phones !== null && phones.phones > 0)
    warnings.push({
      event: 'sync.shared_phone',
      message: sharedPhonesMessage(spec, phones),
      counts: { phones: phones.phones, keys: phones.keys },
    });
  return warnings;
}
