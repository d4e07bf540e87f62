import { describe, expect, it } from 'vitest';
import { checkSyncConfig } from './config-schema.ts';
import { syncColumns, type KlaviyoSyncConfig } from './spec.ts';

const at = 'exposure `web` (models/exposures.yml)';
const event = {
  object: 'event',
  key: 'event_id',
  identity: { email: 'email' },
  time: 'occurred_at',
};

describe('an event sync names its metric once', () => {
  it('takes a metric, or a metric column', () => {
    expect(checkSyncConfig({ ...event, metric: 'Viewed Product' }, at).ok).toBe(true);
    expect(checkSyncConfig({ ...event, metric_column: 'event_name' }, at).ok).toBe(true);
  });

  it('refuses neither and both, in one sentence each', () => {
    expect(checkSyncConfig(event, at)).toEqual({
      ok: false,
      problems: [
        `${at}: config.meta.klaviyo needs \`metric\` (one metric name) or \`metric_column\` (a column holding each row's metric name).`,
      ],
    });
    expect(checkSyncConfig({ ...event, metric: 'Viewed Product', metric_column: 'event_name' }, at)).toEqual({
      ok: false,
      problems: [`${at}: config.meta.klaviyo has both \`metric\` and \`metric_column\`; keep one.`],
    });
  });

  it('refuses a metric column that is not a column name', () => {
    expect(checkSyncConfig({ ...event, metric_column: 'event name' }, at)).toEqual({
      ok: false,
      problems: [
        `${at}: config.meta.klaviyo.metric_column is "event name", not a column name the runner can use (letters, digits and underscores, not starting with a digit); rename the column in the model (\`"event name" as event_name\`) and name it so here.`,
      ],
    });
  });
});

describe('a name that is not a column name', () => {
  it('is named with its place in a list, and the alias the model could give it', () => {
    const block = { ...event, metric: 'Placed Order', properties: ['OrderId', '1st-order flag'] };
    expect(checkSyncConfig(block, at)).toEqual({
      ok: false,
      problems: [
        `${at}: config.meta.klaviyo.properties.1 is "1st-order flag", not a column name the runner can use (letters, digits and underscores, not starting with a digit); rename the column in the model (\`"1st-order flag" as _1st_order_flag\`) and name it so here.`,
      ],
    });
  });
});

describe("an event's profile block", () => {
  it('names profile attributes and properties, and reads their columns', () => {
    const block = {
      ...event,
      metric: 'Viewed Product',
      profile: { attributes: { first_name: 'first_name' }, properties: ['rfm_segment'] },
    };
    const checked = checkSyncConfig(block, at);
    expect(checked.ok).toBe(true);
    expect(syncColumns(block as KlaviyoSyncConfig)).toEqual([
      'event_id',
      'email',
      'first_name',
      'rfm_segment',
      'occurred_at',
    ]);
  });

  it('refuses an unknown attribute, an empty block, and the block on a profile or list sync', () => {
    expect(
      checkSyncConfig({ ...event, metric: 'M', profile: { attributes: { nickname: 'nick' } } }, at),
    ).toEqual({
      ok: false,
      problems: [`${at}: config.meta.klaviyo.profile.attributes has an unknown key \`nickname\`.`],
    });
    expect(checkSyncConfig({ ...event, metric: 'M', profile: {} }, at)).toMatchObject({ ok: false });
    expect(
      checkSyncConfig(
        { object: 'profile', key: 'id', identity: { email: 'email' }, profile: { properties: ['x'] } },
        at,
      ),
    ).toEqual({
      ok: false,
      problems: [
        `${at}: config.meta.klaviyo mixes keys of different sync objects (see the \`object\` key's allowed keys in the README).`,
      ],
    });
  });
});

describe('what a sync does with a row that leaves its model', () => {
  const profile = { object: 'profile', key: 'id', identity: { email: 'email' } };
  const list = { ...profile, object: 'list_membership', list: { name: 'VIP' } };

  it('takes the choices of the sync’s object, and refuses the other object’s', () => {
    expect(checkSyncConfig({ ...profile, on_remove: 'unset_properties' }, at).ok).toBe(true);
    expect(checkSyncConfig({ ...list, on_remove: 'remove' }, at).ok).toBe(true);
    // A profile sync cannot take a profile off anything: `remove` did what `ignore` does, silently.
    expect(checkSyncConfig({ ...profile, on_remove: 'remove' }, at)).toEqual({
      ok: false,
      problems: [`${at}: config.meta.klaviyo.on_remove must be one of "ignore", "unset_properties".`],
    });
    expect(checkSyncConfig({ ...list, on_remove: 'unset_properties' }, at)).toEqual({
      ok: false,
      problems: [`${at}: config.meta.klaviyo.on_remove must be one of "remove", "ignore".`],
    });
  });
});

describe('a scoped sync', () => {
  const scope = { suppressions: 'klaviyo__suppressions', exclude: ['suppressed', 'unsubscribed'] };
  const profile = { object: 'profile', key: 'id', scope };

  it('takes an email identity, with or without other identifiers', () => {
    expect(checkSyncConfig({ ...profile, identity: { email: 'email' } }, at).ok).toBe(true);
    expect(checkSyncConfig({ ...profile, identity: { email: 'email', phone_number: 'phone' } }, at).ok).toBe(
      true,
    );
  });

  it('refuses an identity without email, which scope could not match to the suppressions model', () => {
    const sentence = `${at}: config.meta.klaviyo.scope matches each row to the suppressions model by its email, and config.meta.klaviyo.identity names no \`email\` column, so no row would ever be skipped; add the model's email column to \`identity\`, or remove \`scope\`.`;
    expect(checkSyncConfig({ ...profile, identity: { phone_number: 'phone' } }, at)).toEqual({
      ok: false,
      problems: [sentence],
    });
    expect(
      checkSyncConfig({ ...event, metric: 'Viewed Product', identity: { external_id: 'id' }, scope }, at),
    ).toEqual({ ok: false, problems: [sentence] });
  });
});

describe('a list named by its name', () => {
  const list = (name: string) => ({
    object: 'list_membership',
    key: 'id',
    identity: { email: 'email' },
    list: { name },
  });

  it('refuses white space at either end, which would make a second list', () => {
    expect(checkSyncConfig(list('Shared List'), at).ok).toBe(true);
    expect(checkSyncConfig(list('A'), at).ok).toBe(true);
    for (const name of ['Shared List ', ' Shared List', 'Shared List\t'])
      expect(checkSyncConfig(list(name), at)).toEqual({
        ok: false,
        problems: [
          `${at}: config.meta.klaviyo.list.name starts or ends with white space; a list is found by its exact name, so it would be a second list beside the one without it.`,
        ],
      });
  });

  it('says what a phone_region must be', () => {
    expect(
      checkSyncConfig({ object: 'profile', key: 'id', identity: { email: 'email' }, phone_region: 'gb' }, at),
    ).toEqual({
      ok: false,
      problems: [
        `${at}: config.meta.klaviyo.phone_region must be an ISO 3166-1 alpha-2 code in capitals, such as US, GB or DE.`,
      ],
    });
  });
});
