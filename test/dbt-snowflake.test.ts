/**
 * The Snowflake variants of the package's macros compile: `dbt compile` with dbt-snowflake on a
 * copy of the demo project, against a Snowflake target that is never connected to (no cache, no
 * introspection), then the compiled SQL is read for the Snowflake forms. The same for the value
 * rules the shared case table checks on DuckDB (test/dbt/models/value_case_results.sql).
 */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyDemoProject, repoRoot, run } from './helpers/dbt.ts';

describe('Snowflake', () => {
  // A compile of the whole package with dbt-snowflake: more than the default timeout on a busy machine.
  it('compiles every model and test with the Snowflake macro variants', async () => {
    const project = await copyDemoProject();
    await writeFile(
      path.join(project, 'profiles.yml'),
      `klaviyo_runner:\n  target: snowflake\n  outputs:\n    snowflake:\n      type: snowflake\n      account: compile-only\n      user: nobody\n      password: never-used\n      database: ANALYTICS\n      schema: KLAVIYO\n      warehouse: TRANSFORMING\n      threads: 1\n`,
    );
    const ran = await run(
      path.join(repoRoot, '.venv', 'bin', 'dbt'),
      [
        'compile',
        '--project-dir',
        project,
        '--profiles-dir',
        project,
        '--no-populate-cache',
        '--no-introspect',
      ],
      { cwd: project, env: { DBT_SEND_ANONYMOUS_USAGE_STATS: 'false' } },
    );
    expect(ran.code, ran.stdout).toBe(0);
    const compiled = path.join(project, 'target', 'compiled', 'klaviyo_runner', 'models');
    const items = await readFile(path.join(compiled, 'intermediate', 'int_klaviyo__order_items.sql'), 'utf8');
    expect(items).toContain("array_agg(object_construct('ProductID', lines.product_id");
    expect(items).toContain('within group (order by lines.line_number)');
    const placed = await readFile(path.join(compiled, 'klaviyo', 'klaviyo__placed_order_events.sql'), 'utf8');
    expect(placed).toContain("to_json(object_construct('OrderId', orders.order_id");
    const orders = await readFile(path.join(compiled, 'intermediate', 'int_klaviyo__orders.sql'), 'utf8');
    expect(orders).toContain('try_to_decimal(');
    // An order more than a day after the reference moment is rejected as a typo.
    expect(orders).toContain(
      "dateadd(\n        hour,\n        24,\n        cast('2026-10-30 14:32:46' as timestamp)",
    );
    const phones = await readFile(path.join(compiled, 'intermediate', 'int_klaviyo__phones.sql'), 'utf8');
    expect(phones).toContain('regexp_replace(replace(regexp_replace(lower(');
    expect(phones).not.toContain("'g')");
  }, 300_000);

  it('compiles the value rules the shared case table checks, in their Snowflake forms', async () => {
    const project = await mkdtemp(path.join(os.tmpdir(), 'kr-consumer-snowflake-'));
    await cp(path.join(repoRoot, 'test', 'dbt'), project, { recursive: true });
    await writeFile(path.join(project, 'packages.yml'), `packages:\n  - local: ${repoRoot}\n`);
    await writeFile(
      path.join(project, 'profiles.yml'),
      `klaviyo_consumer:\n  target: snowflake\n  outputs:\n    snowflake:\n      type: snowflake\n      account: compile-only\n      user: nobody\n      password: never-used\n      database: ANALYTICS\n      schema: SHOP\n      warehouse: TRANSFORMING\n      threads: 1\n`,
    );
    const dbt = path.join(repoRoot, '.venv', 'bin', 'dbt');
    const options = { cwd: project, env: { DBT_SEND_ANONYMOUS_USAGE_STATS: 'false' } };
    const dirs = ['--project-dir', project, '--profiles-dir', project];
    expect((await run(dbt, ['deps', ...dirs], options)).code).toBe(0);
    const ran = await run(
      dbt,
      ['compile', ...dirs, '--no-populate-cache', '--no-introspect', '--select', 'value_case_results'],
      options,
    );
    expect(ran.code, ran.stdout).toBe(0);
    const sql = await readFile(
      path.join(project, 'target', 'compiled', 'klaviyo_consumer', 'models', 'value_case_results.sql'),
      'utf8',
    );
    expect(sql).toContain('regexp_substr(');
    expect(sql).toContain('try_to_decimal(');
    expect(sql).toContain('try_to_number(');
    expect(sql).toContain('to_timestamp_ntz(');
    expect(sql).toContain(`'YYYY-MM-DD"T"HH24:MI:SS"Z"'`);
    expect(sql).not.toContain('regexp_full_match(');
    // Snowflake has no url_encode: links are encoded from the text's UTF-8 bytes.
    expect(sql).toContain("regexp_replace(hex_encode(input), '(..)', '\\\\1 ')");
    expect(sql).toContain('hex_decode_string(');
    expect(sql).not.toContain('url_encode(');
  }, 300_000);
});
