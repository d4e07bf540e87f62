import { describe, expect, it } from 'vitest';
import { spec } from '../../test/fixtures/specs.ts';
import { emptyState } from '../../test/helpers/duckdb.ts';
import { dateColumnsOf, snowflakeColumnSql, withModelColumns } from './model-columns.ts';

describe('the SQL naming a Snowflake model column an exposure names', () => {
  it('quotes a column stored in mixed or lower case, and leaves one stored upper-cased unquoted', () => {
    const stored = ['ID', 'EMAIL', 'firstName', 'last_name'];
    expect(snowflakeColumnSql(['id', 'email', 'EMAIL', 'firstName', 'last_name'], stored)).toEqual({
      firstName: '"firstName"',
      last_name: '"last_name"',
    });
  });

  it('matches ignoring case only when no column matches as Snowflake would, and only one does', () => {
    expect(snowflakeColumnSql(['firstname', 'FIRSTNAME'], ['firstName'])).toEqual({
      firstname: '"firstName"',
      FIRSTNAME: '"firstName"',
    });
    // FIRSTNAME is what an unquoted firstname names: kept as Snowflake reads it.
    expect(snowflakeColumnSql(['firstname', 'firstName'], ['FIRSTNAME', 'firstName'])).toEqual({
      firstName: '"firstName"',
    });
    expect(snowflakeColumnSql(['tier'], ['Tier', 'tIER'])).toEqual({});
    expect(snowflakeColumnSql(['missing'], ['ID'])).toEqual({});
  });
});

describe("the custom properties a model stores as dates (withModelColumns's dateColumns)", () => {
  it('reads DuckDB DATE and TIMESTAMP columns of the sync and of the profile an event carries', async () => {
    const { wh } = await emptyState('model-columns');
    try {
      await wh.execute(`create table orders as select '1' as id, 'a@x.com' as email,
        date '2025-01-02' as shipped_on, timestamp 'infinity' as Renews_At, now() as seen_at,
        timestamp_ns '2025-01-01' as fine_at, 'infinity' as note, time '12:00' as opens,
        date '2024-05-06' as birthday`);
      const orders = spec({
        object: 'event',
        properties: ['shipped_on', 'renews_at', 'note', 'opens', 'fine_at'],
        profile: { properties: ['seen_at', 'birthday', 'note'] },
      });
      orders.model.relationName = 'main.orders';
      expect((await withModelColumns(wh, orders)).dateColumns).toEqual([
        'shipped_on',
        'renews_at',
        'fine_at',
        'seen_at',
        'birthday',
      ]);
      // A model with no date property, or one DuckDB cannot describe (not built), is left as it
      // is: the diff's own statement says what is wrong with the latter.
      const plain = spec({ object: 'profile', properties: ['note'] });
      plain.model.relationName = 'main.orders';
      expect(await withModelColumns(wh, plain)).toBe(plain);
      // A sync without custom properties asks DuckDB nothing.
      const bare = spec({ object: 'profile' });
      bare.model.relationName = 'main.not_built';
      const asked: string[] = [];
      const counting = { ...wh, columns: (r: string) => (asked.push(r), wh.columns(r)) };
      expect(await withModelColumns(counting, bare)).toBe(bare);
      expect(asked).toEqual([]);
      const missing = spec({ object: 'profile', properties: ['note'] });
      missing.model.relationName = 'main.not_built';
      expect(await withModelColumns(wh, missing)).toBe(missing);
    } finally {
      await wh.close();
    }
  });

  it("reads Snowflake's date and timestamp types, matching a column as written, else ignoring case", () => {
    const stored = [
      { name: 'ID', type: 'VARCHAR(16777216)' },
      { name: 'RENEWS_AT', type: 'TIMESTAMP_NTZ(9)' },
      { name: 'seenAt', type: 'TIMESTAMP_LTZ(9)' },
      { name: 'SHIPPED_ON', type: 'DATE' },
      { name: 'NOTE', type: 'VARCHAR(16777216)' },
      { name: 'note_at', type: 'TIMESTAMP_TZ(9)' },
    ];
    const orders = spec({
      object: 'profile',
      properties: ['renews_at', 'seenAt', 'SHIPPED_ON', 'note', 'NOTE_AT'],
    });
    expect(dateColumnsOf(orders, stored)).toEqual(['renews_at', 'seenAt', 'SHIPPED_ON', 'NOTE_AT']);
  });
});
