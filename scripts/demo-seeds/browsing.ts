/**
 * The demo shop's browsing and checkout data (seeds/demo/demo_checkouts.csv, demo_web_events.csv):
 * the inputs of the package's Started Checkout, Viewed Product and Added to Cart events. Drawn from
 * a generator of its own, after the customers exist, so the older seeds stay byte-identical.
 *
 * The mess, on purpose (counted with the rest):
 * - checkouts and web events known by the CRM customer id, by an email only (with case/space
 *   noise), or by nothing at all (the runner rejects those, naming the row);
 * - prices as text, one unparseable ("N/A"), which the runner rejects in the event's Items;
 * - a web event exported twice, which the package keeps once.
 */
import { money, prng, ts } from './format.ts';
import { PRODUCTS } from './catalogue.ts';

type Row = Record<string, string | number | null>;
interface Shopper {
  id: string;
  email: string | null;
  place: { country: string };
}

const rand = prng(20261201);
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const chance = (p: number) => rand() < p;

/** Browsing happens in the export's last four months. */
const FROM = Date.UTC(2026, 6, 1);
const TO = Date.UTC(2026, 9, 30);
const STORE = 'https://shop.example.com';

const currencyOf = (country: string) =>
  country === 'GB' ? 'GBP' : country === 'CA' ? 'CAD' : country === 'DE' ? 'EUR' : 'USD';

/** How a shopper is known on the web: the CRM id when logged in, else the email typed, else nothing. */
function knownAs(
  p: Shopper,
  count: (k: string) => void,
): { customer_id: string | null; email: string | null } {
  const crm = p.id.startsWith('C') && chance(0.7);
  let email = chance(0.85) ? p.email : null;
  if (email !== null && chance(0.1)) {
    email = `  ${email.toUpperCase()} `;
    count('browsing email with case/space noise');
  }
  if (!crm && email === null) count('browsing row with no identifier');
  return { customer_id: crm ? p.id : null, email };
}

export function browsingSeeds(
  people: readonly Shopper[],
  count: (k: string) => void,
): { checkouts: Row[]; webEvents: Row[] } {
  const checkouts: Row[] = [];
  const webEvents: Row[] = [];
  let checkoutNo = 50_000;
  let eventNo = 900_000;
  let cartNo = 30_000;
  let badPrice = false;
  for (const p of people) {
    const currency = currencyOf(p.place.country);
    // Web sessions: products viewed, some added to a cart.
    if (chance(0.2)) {
      const sessions = int(1, 2);
      for (let s = 0; s < sessions; s++) {
        const who = knownAs(p, count);
        let t = FROM + rand() * (TO - FROM);
        const cart = `CART-${++cartNo}`;
        const views = int(1, 4);
        for (let v = 0; v < views; v++) {
          const [sku, name, category, price] = pick(PRODUCTS);
          const base = {
            ...who,
            cart_id: null as string | null,
            sku,
            product_id: `P-${sku.slice(0, sku.lastIndexOf('-'))}`,
            product_name: name,
            category,
            price: money(Number(price), int(0, 1)),
            quantity: null as number | null,
            currency,
          };
          webEvents.push({
            event_id: `WEB-${++eventNo}`,
            event_type: 'viewed_product',
            occurred_at: ts(new Date(t)),
            ...base,
          });
          count('viewed product');
          t += int(20, 600) * 1000;
          if (chance(0.35)) {
            webEvents.push({
              event_id: `WEB-${++eventNo}`,
              event_type: 'added_to_cart',
              occurred_at: ts(new Date(t)),
              ...base,
              cart_id: cart,
              quantity: chance(0.85) ? 1 : 2,
            });
            count('added to cart');
            t += int(20, 300) * 1000;
          }
        }
      }
    }
    // Checkouts: one row per line, the checkout's columns repeated on each.
    if (chance(0.15)) {
      const who = knownAs(p, count);
      const checkoutId = `CHK-${++checkoutNo}`;
      const startedAt = ts(new Date(FROM + rand() * (TO - FROM)));
      const nLines = int(1, 3);
      for (let l = 1; l <= nLines; l++) {
        const [sku, name, category, price] = pick(PRODUCTS);
        const unparseable = !badPrice && checkoutNo > 50_040;
        if (unparseable) {
          badPrice = true;
          count('checkout line with unparseable price');
        }
        checkouts.push({
          checkout_id: checkoutId,
          ...who,
          started_at: startedAt,
          currency,
          checkout_url: `${STORE}/checkouts/${checkoutId.toLowerCase()}`,
          line_number: l,
          sku,
          product_id: `P-${sku.slice(0, sku.lastIndexOf('-'))}`,
          product_name: name,
          category,
          quantity: chance(0.85) ? 1 : 2,
          unit_price: unparseable ? 'N/A' : money(Number(price), int(0, 2)),
        });
      }
      count('checkout');
    }
  }
  // A web event the tracking export listed twice.
  const twice = webEvents.find((e) => e.event_type === 'added_to_cart');
  if (twice !== undefined) {
    webEvents.push({ ...twice });
    count('web event exported twice');
  }
  return { checkouts, webEvents };
}
