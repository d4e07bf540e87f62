import { describe, expect, it } from 'vitest';
import { checkRelationName } from './relation.ts';

describe('checkRelationName', () => {
  it.each([
    ['"demo"."main"."klaviyo__profiles"', '"demo"."main"."klaviyo__profiles"'],
    ['ANALYTICS.DBT_PROD.KLAVIYO__PROFILES', 'ANALYTICS.DBT_PROD.KLAVIYO__PROFILES'],
    ['main.profiles', 'main.profiles'],
    ['"my db"."Main"."odd""name"', '"my db"."Main"."odd""name"'],
    ['"db".schema."t"', '"db".schema."t"'],
  ])('accepts %s', (raw, sql) => {
    expect(checkRelationName(raw)).toEqual({ ok: true, sql });
  });

  it.each([
    ["(select read_text('/etc/hostname') as email)", 'unexpected "(select read_text(\'/"'],
    ['"db"."main"."t" where 1=1', 'unexpected " where 1=1"'],
    ['"db"."main"."t"; drop table x', 'unexpected "; drop table x"'],
    ['"db"."main"."t" -- comment', 'unexpected " -- comment"'],
    ['"db"."main', 'a quoted identifier is not closed'],
    ['a.b.c.d', 'more than three parts'],
    ['""', 'a quoted identifier is empty or holds control characters'],
    ['db..t', 'unexpected ".t"'],
    ['', 'unexpected ""'],
  ])('refuses %s', (raw, why) => {
    const checked = checkRelationName(raw);
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.problem).toContain(why);
  });
});
