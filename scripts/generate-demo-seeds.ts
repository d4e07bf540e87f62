/**
 * Writes the demo shop's seed CSVs (seeds/demo/*.csv): an apparel DTC shop over two years, with
 * the mess real order-management data has. Deterministic: a fixed-seed PRNG, so re-running it
 * rewrites byte-identical files. Run: `npx tsx scripts/generate-demo-seeds.ts`.
 *
 * The mess, on purpose (each case is counted at the end):
 * - prices and totals as strings, some currency-formatted ("$1,204.50"), a few unparseable ("N/A");
 * - customers who changed email (two CRM rows, the newer wins), customers known only by a Shopify
 *   id or an ERP account id, several identifiers pointing at one person;
 * - two people sharing one household email; missing and invalid emails;
 * - phones in national formats; unicode names;
 * - cancelled and refunded orders, with when they were fulfilled, cancelled or refunded; orders
 *   with one line and with many;
 * - one order exported twice (the second copy after its refund), one order with no lines, and one
 *   order whose year was typed as 2062;
 * - a Klaviyo suppression / consent export (suppressed, unsubscribed, never consented);
 * - checkouts and web events (viewed product, added to cart), with their own mess (demo-seeds/browsing.ts).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { csv, END, money, prng, START, ts } from './demo-seeds/format.ts';
import { DOMAINS, FIRST, LAST, makePlaces, PRODUCTS } from './demo-seeds/catalogue.ts';
import { browsingSeeds } from './demo-seeds/browsing.ts';

const out = path.resolve(import.meta.dirname, '..', 'seeds', 'demo');

const rand = prng(20261122);
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const chance = (p: number) => rand() < p;

const PLACES = makePlaces(int, pick);

/**
 * When an order was fulfilled, cancelled or refunded, derived from its number rather than drawn,
 * so adding these columns left every drawn value as it was. Never after the export's end (END).
 */
function statusTimes(placedAt: number, status: string, n: number): Record<string, string | null> {
  const hour = 3_600_000;
  const at = (offset: number) => ts(new Date(Math.min(placedAt + offset, END)));
  const fulfilled = status === 'cancelled' ? null : 24 * hour + (n % 72) * hour;
  return {
    fulfilled_at: fulfilled === null ? null : at(fulfilled),
    cancelled_at: status === 'cancelled' ? at(hour + (n % 12) * hour) : null,
    refunded_at: status === 'refunded' ? at((fulfilled ?? 0) + (5 + (n % 20)) * 24 * hour) : null,
  };
}

// ---- customers (CRM), Shopify customers, ERP accounts -------------------------------------------
type Person = {
  id: string;
  first: string;
  last: string;
  email: string | null;
  place: (typeof PLACES)[number];
};
const crm: Record<string, string | number | null>[] = [];
const shopify: Record<string, string | number | null>[] = [];
const erp: Record<string, string | number | null>[] = [];
const people: Person[] = [];
const cases: Record<string, number> = {};
const count = (k: string) => (cases[k] = (cases[k] ?? 0) + 1);

for (let i = 1; i <= 560; i++) {
  const first = pick(FIRST);
  const last = pick(LAST);
  const place = pick(PLACES);
  const id = `C${String(i).padStart(5, '0')}`;
  const local =
    `${first}.${last}`
      .normalize('NFD')
      .replace(/[^A-Za-z.]/g, '')
      .replace(/^\.+|\.+$/g, '')
      .toLowerCase() || `customer${i}`;
  let email: string | null = `${local}${i}@${pick(DOMAINS)}`;
  let created = START - int(0, 400) * 86_400_000;
  if (chance(0.04)) {
    email = null;
    count('customer without email');
  } else if (chance(0.03)) {
    email = pick([`${local}${i}.gmail.com`, `${local} ${i}@gmail.com`, `${local}${i}@`, `@${pick(DOMAINS)}`]);
    count('invalid email');
  } else if (chance(0.08)) {
    email = `  ${email.toUpperCase()} `;
    count('email with case/space noise');
  }
  // A few numbers no phone plan has (555-01xx is reserved for fiction): rejected with the reason.
  const phone = chance(0.15) ? null : chance(0.02) ? `(555) 010-${int(1000, 9999)}` : place.phone();
  crm.push({
    customer_id: id,
    email,
    first_name: first,
    last_name: last,
    phone,
    address1: `${int(1, 999)} ${pick(['Main St', 'High Street', 'Oak Ave', 'King St W', 'Hauptstraße'])}`,
    city: place.city,
    region: place.region,
    zip: place.zip,
    country: place.country,
    updated_at: ts(new Date(created)),
  });
  // Changed email: a newer CRM row for the same customer with a new address; the old one stays known.
  if (email !== null && chance(0.07)) {
    created += int(30, 300) * 86_400_000;
    const newEmail = `${local}.new${i}@${pick(DOMAINS)}`;
    crm.push({ ...crm[crm.length - 1]!, email: newEmail, updated_at: ts(new Date(created)) });
    email = newEmail;
    count('customer changed email');
  }
  people.push({ id, first, last, email, place });
  // Several identifiers for one person: a Shopify customer and an ERP account pointing at them.
  if (chance(0.45))
    shopify.push({
      shopify_customer_id: String(7_000_000 + i),
      customer_id: chance(0.8) ? id : null,
      email: chance(0.9) ? email : null,
    });
  if (chance(0.2))
    erp.push({
      account_id: `ACCT-${String(i).padStart(5, '0')}`,
      customer_id: chance(0.5) ? id : null,
      email,
    });
}
// A household: two people, one shared email.
for (const [a, b] of [
  [10, 11],
  [220, 221],
  [400, 401],
] as const) {
  const shared = `family.home${a}@gmail.com`;
  for (const idx of [a, b]) {
    const row = crm.find((r) => r.customer_id === people[idx]!.id)!;
    row.email = shared;
    people[idx]!.email = shared;
  }
  count('household shared email');
}
// Customers known only by a Shopify id or only by an ERP account id (no CRM row).
for (let j = 1; j <= 40; j++) {
  const first = pick(FIRST);
  const last = pick(LAST);
  const email = chance(0.85)
    ? `${first}${j}.shop@${pick(DOMAINS)}`
        .normalize('NFD')
        .replace(/[^A-Za-z0-9.@]/g, '')
        .toLowerCase()
    : null;
  shopify.push({ shopify_customer_id: String(8_000_000 + j), customer_id: null, email });
  people.push({ id: `shopify:${8_000_000 + j}`, first, last, email, place: pick(PLACES) });
  count('Shopify-only customer');
}
for (let j = 1; j <= 25; j++) {
  const email = `buyer${j}@${pick(['acme-retail.com', 'northwind.co', 'contoso.shop'])}`;
  erp.push({ account_id: `ACCT-9${String(j).padStart(4, '0')}`, customer_id: null, email });
  people.push({
    id: `account:ACCT-9${String(j).padStart(4, '0')}`,
    first: pick(FIRST),
    last: pick(LAST),
    email,
    place: pick(PLACES),
  });
  count('ERP-only account');
}

// ---- orders and lines ---------------------------------------------------------------------------
const orders: Record<string, string | number | null>[] = [];
const lines: Record<string, string | number | null>[] = [];
let orderNo = 100_000;
for (const p of people) {
  // Heavy-tailed order counts: most buy once or twice, a few are regulars.
  const n = rand() < 0.35 ? 1 : rand() < 0.6 ? int(2, 4) : int(5, 14);
  let t = START + rand() * (END - START) * 0.6;
  for (let k = 0; k < n && t < END; k++) {
    orderNo += 1;
    const orderId = `SO-${orderNo}`;
    const status = chance(0.05) ? 'cancelled' : chance(0.04) ? 'refunded' : 'completed';
    if (status !== 'completed') count(`${status} order`);
    const nLines = chance(0.4) ? 1 : int(2, 6);
    if (nLines === 1) count('single-line order');
    else count('multi-line order');
    let subtotal = 0;
    const style = int(0, 2);
    for (let l = 1; l <= nLines; l++) {
      const [sku, name, category, price] = pick(PRODUCTS);
      const qty = chance(0.85) ? 1 : int(2, 3);
      const unit = Number(price) * (chance(0.1) ? 0.8 : 1);
      subtotal += unit * qty;
      const badPrice = chance(0.002);
      if (badPrice) count('unparseable line price');
      lines.push({
        order_id: orderId,
        line_number: l,
        sku,
        product_id: `P-${sku.slice(0, sku.lastIndexOf('-'))}`,
        product_name: name,
        category,
        quantity: qty,
        unit_price: badPrice ? 'N/A' : money(unit, style),
        line_total: badPrice ? '' : money(unit * qty, style),
      });
    }
    const discount = chance(0.2) ? Math.round(subtotal * 0.1 * 100) / 100 : 0;
    const shipping = subtotal > 100 ? 0 : 6.95;
    const tax = Math.round((subtotal - discount) * 0.08 * 100) / 100;
    const total = subtotal - discount + shipping + tax;
    // Which identifier the order carries depends on the channel it came through.
    const viaShopify = shopify.find(
      (s) => s.customer_id === p.id || `shopify:${s.shopify_customer_id}` === p.id,
    );
    const viaErp = erp.find((e) => e.customer_id === p.id || `account:${e.account_id}` === p.id);
    const channel = p.id.startsWith('shopify:')
      ? 'shopify'
      : p.id.startsWith('account:')
        ? 'erp'
        : viaShopify && chance(0.5)
          ? 'shopify'
          : viaErp && chance(0.3)
            ? 'erp'
            : 'web';
    orders.push({
      order_id: orderId,
      customer_id: channel === 'web' ? p.id : null,
      shopify_customer_id: channel === 'shopify' ? (viaShopify?.shopify_customer_id ?? null) : null,
      account_id: channel === 'erp' ? (viaErp?.account_id ?? null) : null,
      checkout_email: chance(0.7) ? p.email : null,
      ordered_at: ts(new Date(t)),
      status,
      currency:
        p.place.country === 'GB'
          ? 'GBP'
          : p.place.country === 'CA'
            ? 'CAD'
            : p.place.country === 'DE'
              ? 'EUR'
              : 'USD',
      subtotal: money(subtotal, style),
      discount_code: discount > 0 ? pick(['WELCOME10', 'VIP10', 'SPRING10']) : null,
      discount_amount: money(discount, 0),
      shipping: money(shipping, 0),
      tax: money(tax, 0),
      total: money(total, style),
      ...statusTimes(t, status, orderNo),
    });
    t += int(10, 120) * 86_400_000;
  }
}

// Three orders an OMS export gets wrong, appended without drawing from the generator (so every
// other row stays as it was): the last order exported a second time after its refund, an order
// whose lines never arrived, and an order whose year was typed as 2062.
const last = orders.findLast((o) => o.status === 'completed')!;
const refundedAt = Date.parse(`${String(last.fulfilled_at)}Z`) + 2 * 86_400_000;
orders.push({
  ...last,
  status: 'refunded',
  refunded_at: ts(new Date(Math.min(refundedAt, END))),
});
count('order exported twice');
// The typo is in ordered_at only; the fulfilment was recorded in the right year.
for (const [suffix, at, realAt, withLines] of [
  ['NOLINES', Date.UTC(2026, 8, 2, 9, 30, 0), Date.UTC(2026, 8, 2, 9, 30, 0), false],
  ['TYPO', Date.UTC(2062, 5, 14, 11, 5, 0), Date.UTC(2026, 5, 14, 11, 5, 0), true],
] as const) {
  const orderId = `SO-${suffix}`;
  orders.push({
    order_id: orderId,
    customer_id: 'C00007',
    shopify_customer_id: null,
    account_id: null,
    checkout_email: null,
    ordered_at: ts(new Date(at)),
    status: 'completed',
    currency: 'USD',
    subtotal: '28.00',
    discount_code: null,
    discount_amount: '0.00',
    shipping: '6.95',
    tax: '2.24',
    total: '37.19',
    ...statusTimes(realAt, 'completed', 0),
  });
  if (withLines)
    lines.push({
      order_id: orderId,
      line_number: 1,
      sku: 'TEE-ORG-WHT',
      product_id: 'P-TEE-ORG',
      product_name: 'Organic Cotton Tee',
      category: 'Tops',
      quantity: 1,
      unit_price: '28.00',
      line_total: '28.00',
    });
  count(withLines ? 'order dated 2062' : 'order without lines');
}
orders.sort((a, b) => String(a.order_id).localeCompare(String(b.order_id)));

// ---- Klaviyo's suppression / consent export ---------------------------------------------------
const suppressions: Record<string, string | number | null>[] = [];
const exported = new Set<string>();
for (const p of people) {
  if (p.email === null || !p.email.includes('@') || chance(0.55)) continue;
  // Klaviyo's export has one row per email: a shared household email appears once.
  if (exported.has(p.email.trim().toLowerCase())) continue;
  exported.add(p.email.trim().toLowerCase());
  const r = rand();
  const [consent, suppressed, reason] =
    r < 0.08
      ? ['UNSUBSCRIBED', 'true', 'UNSUBSCRIBE']
      : r < 0.12
        ? ['SUBSCRIBED', 'true', 'HARD_BOUNCE']
        : r < 0.35
          ? ['NEVER_SUBSCRIBED', 'false', null]
          : ['SUBSCRIBED', 'false', null];
  suppressions.push({
    email: p.email.trim().toLowerCase(),
    email_consent: consent,
    is_suppressed: suppressed,
    suppression_reason: reason,
    updated_at: ts(new Date(END - int(0, 300) * 86_400_000)),
  });
}

// Browsing and checkouts draw from a generator of their own, so every row above stays as it was.
const { checkouts, webEvents } = browsingSeeds(people, count);

writeFileSync(path.join(out, 'demo_customers.csv'), csv(crm));
writeFileSync(path.join(out, 'demo_shopify_customers.csv'), csv(shopify));
writeFileSync(path.join(out, 'demo_erp_accounts.csv'), csv(erp));
writeFileSync(path.join(out, 'demo_orders.csv'), csv(orders));
writeFileSync(path.join(out, 'demo_order_lines.csv'), csv(lines));
writeFileSync(path.join(out, 'demo_klaviyo_suppressions.csv'), csv(suppressions));
writeFileSync(path.join(out, 'demo_checkouts.csv'), csv(checkouts));
writeFileSync(path.join(out, 'demo_web_events.csv'), csv(webEvents));
console.log({
  people: people.length,
  crm: crm.length,
  shopify: shopify.length,
  erp: erp.length,
  orders: orders.length,
  lines: lines.length,
  suppressions: suppressions.length,
  checkoutLines: checkouts.length,
  webEvents: webEvents.length,
  cases,
});
