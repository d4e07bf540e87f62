/**
 * The consumer project of test/dbt on Snowflake (the emulator in `npm test`, a real account with
 * `SNOWFLAKE_E2E=account`): dbt-snowflake builds the package's models that read the shop's text
 * times (day first, ISO with an offset, Unix seconds), comma quantities and text suppression flags,
 * and the Snowflake forms of the rules give what test/dbt-project.test.ts asserts on DuckDB. Only
 * those models and their inputs are built: the emulator parses each statement with sqlglot, in
 * time that grows steeply with its size, and the orders model's several text times make it take
 * tens of minutes there (its timestamp SQL is the customers' and checkouts', run here). The value
 * case table's Snowflake SQL is compiled by test/dbt-snowflake.test.ts.
 */
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, run } from './helpers/dbt.ts';
import { useSnowflakeTarget } from './helpers/snowflake-target.ts';

describe('a project installing the package, on Snowflake', () => {
  const snowflake = useSnowflakeTarget();

  // dbt deps and a build of about 40 nodes, one statement at a time through the emulator.
  it('reads text times, quantities and flags as on DuckDB', async () => {
    const target = snowflake.target();
    const wh = snowflake.wh();
    const project = await mkdtemp(path.join(os.tmpdir(), 'kr-consumer-sf-'));
    await cp(path.join(repoRoot, 'test', 'dbt'), project, { recursive: true });
    await writeFile(path.join(project, 'packages.yml'), `packages:\n  - local: ${repoRoot}\n`);
    await writeFile(
      path.join(project, 'profiles.yml'),
      `klaviyo_consumer:\n  target: snowflake\n  outputs:\n    snowflake:\n${target.profileYaml}\n`,
    );
    const dbt = path.join(repoRoot, '.venv', 'bin', 'dbt');
    const options = { cwd: project, env: { DBT_SEND_ANONYMOUS_USAGE_STATS: 'false' } };
    const dirs = ['--project-dir', project, '--profiles-dir', project];
    expect((await run(dbt, ['deps', ...dirs], options)).code).toBe(0);
    const select = ['+int_klaviyo__checkouts', '+int_klaviyo__web_events', '+klaviyo__suppressions'];
    const built = await run(dbt, ['build', '--select', ...select, ...dirs], options);
    expect(built.code, built.stdout).toBe(0);
    expect(built.stdout).toMatch(/WARN 1 klaviyo_no_problem_klaviyo__suppressions_is_suppressed_problem/);

    const rel = (name: string) => `${target.database}.${target.schema}.${name}`;
    const rows = async (sql: string) => wh.query(sql);
    // Sam's day-first CRM versions, read as times: the March version is the newest. Kim's
    // 31.02.2025 is no day: her versions cannot be ordered.
    expect(
      await rows(`select person_id, email, unresolved_reason from ${rel('int_klaviyo__persons')} order by 1`),
    ).toEqual([
      { person_id: '1', email: 'jo@example.com', unresolved_reason: null },
      { person_id: '2', email: 'sam@example.com', unresolved_reason: null },
      { person_id: '3', email: null, unresolved_reason: 'no_email' },
      { person_id: '4', email: null, unresolved_reason: 'updated_at_invalid_date' },
    ]);
    // Start times read day first and from Unix seconds key the events; 31.04.2025 is no day.
    expect(
      await rows(`select event_id, problem_code from ${rel('int_klaviyo__checkouts')} order by 1`),
    ).toEqual([
      { event_id: 'K1_1743672600', problem_code: null },
      { event_id: 'K2_1743843600', problem_code: null },
      { event_id: 'K3_1743854400', problem_code: 'lines_not_shippable' },
      { event_id: 'K4', problem_code: 'started_at_invalid_date' },
      { event_id: 'K5_1743940800', problem_code: 'lines_not_shippable' },
      { event_id: 'K6_1744027200', problem_code: 'lines_not_shippable' },
    ]);
    expect(
      await rows(
        `select checkout_id, line_number, quantity, problem_code from ${rel('int_klaviyo__checkout_lines')}
        order by 1, 2`,
      ),
    ).toEqual([
      { checkout_id: 'K1', line_number: 1, quantity: 2, problem_code: null },
      { checkout_id: 'K1', line_number: 2, quantity: 1, problem_code: null },
      { checkout_id: 'K2', line_number: 1, quantity: 1, problem_code: null },
      { checkout_id: 'K3', line_number: 1, quantity: null, problem_code: 'quantity_not_whole' },
      { checkout_id: 'K4', line_number: 1, quantity: 1, problem_code: null },
      { checkout_id: 'K5', line_number: 1, quantity: -1, problem_code: 'negative_quantity' },
      { checkout_id: 'K6', line_number: 1, quantity: null, problem_code: 'no_quantity' },
    ]);
    // An ISO time with an offset, Unix seconds, DD/MM/YYYY of unknown order (refused when it
    // reads as two days), text quantities.
    expect(
      await rows(
        `select event_id, ${epochSeconds('occurred_at')} as epoch, quantity, problem_code
        from ${rel('int_klaviyo__web_events')} order by 1`,
      ),
    ).toEqual([
      { event_id: 'W1', epoch: 1743580800, quantity: 1, problem_code: null },
      { event_id: 'W2', epoch: 1743588300, quantity: 2, problem_code: null },
      { event_id: 'W3', epoch: null, quantity: 1, problem_code: 'occurred_at_ambiguous_date_order' },
      { event_id: 'W4', epoch: 1744538700, quantity: null, problem_code: 'quantity_not_a_number' },
      { event_id: 'W5', epoch: 1744538760, quantity: null, problem_code: 'quantity_not_whole' },
      { event_id: 'W6', epoch: 1744538820, quantity: 3, problem_code: null },
    ]);
    // Links (macros/klaviyo__url.sql): the tee's image is its CDN's own; the others are built, their
    // case kept (the encoding of other characters is pinned by the value case table).
    const store = 'https://consumer.example.com';
    const tee = 'https://cdn.consumer.example.com/tee-1.jpg?v=2';
    const cap = `${store}/products/CAP-1`;
    expect(
      await rows(`select event_id, product_url, image_url from ${rel('int_klaviyo__web_events')} order by 1`),
    ).toEqual([
      { event_id: 'W1', product_url: `${store}/products/TEE-1`, image_url: tee },
      { event_id: 'W2', product_url: `${store}/products/TEE-1`, image_url: tee },
      { event_id: 'W3', product_url: cap, image_url: `${store}/images/CAP-1.jpg` },
      { event_id: 'W4', product_url: cap, image_url: `${store}/images/CAP-1.jpg` },
      { event_id: 'W5', product_url: cap, image_url: `${store}/images/CAP-1.jpg` },
      { event_id: 'W6', product_url: cap, image_url: `${store}/images/CAP-1.jpg` },
    ]);
    expect(
      await rows(
        `select email, is_suppressed, is_suppressed_problem from ${rel('klaviyo__suppressions')} order by 1`,
      ),
    ).toEqual([
      { email: 'jo@example.com', is_suppressed: false, is_suppressed_problem: null },
      { email: 'sam@example.com', is_suppressed: true, is_suppressed_problem: 'not_a_boolean' },
    ]);
  }, 900_000);
});

/** Seconds since 1970 of a timestamp column, as a whole number, in Snowflake SQL. */
function epochSeconds(column: string): string {
  return `cast(datediff(second, cast('1970-01-01' as timestamp_ntz), ${column}) as integer)`;
}
