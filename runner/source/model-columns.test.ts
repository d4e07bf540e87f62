import { describe, expect, it } from 'vitest';
import { snowflakeColumnSql } from './model-columns.ts';

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
