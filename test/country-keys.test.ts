/** The package's country table is generated from the runner's country rule and must not drift from it. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { countryKeysSql } from '../scripts/generate-country-keys.ts';
import { repoRoot } from './helpers/dbt.ts';

it('int_klaviyo__country_keys.sql is what scripts/generate-country-keys.ts writes', async () => {
  const committed = await readFile(
    path.join(repoRoot, 'models', 'intermediate', 'int_klaviyo__country_keys.sql'),
    'utf8',
  );
  expect(committed === countryKeysSql(), 'run: npx tsx scripts/generate-country-keys.ts').toBe(true);
});
