/**
 * The Snowflake variants of the package's macros compile: `dbt compile` with dbt-snowflake on a
 * copy of the demo project, against a Snowflake target that is never connected to (no cache, no
 * introspection), then the compiled SQL is read for the Snowflake forms.
 */
import { readFile, writeFile } from 'node:fs/promises';
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
    const profiles = await readFile(path.join(compiled, 'klaviyo', 'klaviyo__profiles.sql'), 'utf8');
    expect(profiles).toContain("regexp_replace(coalesce(persons.phone, ''), '[^0-9]', '')");
  }, 300_000);
});
