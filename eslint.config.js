import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vitest from '@vitest/eslint-plugin';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';

/**
 * The runner's stages in the order the data passes them (docs/architecture.md). A module may import
 * from its own stage or an earlier one, never from a later one: a type a stage needs from a later
 * one belongs in the earlier stage (the per-row vocabulary in state/changes.ts, the project
 * options in manifest/load.ts). Klaviyo's published limits (klaviyo/limits.ts) are pure facts the
 * payload checks need as much as the client, so that one file sits with the first stage.
 */
const STAGES = [
  [
    'runner/errors.ts',
    'runner/version.ts',
    'runner/json-schema.ts',
    'runner/json-text.ts',
    'runner/identity',
    'runner/klaviyo/limits.ts',
  ],
  ['runner/config'],
  ['runner/manifest'],
  ['runner/source'],
  ['runner/state'],
  ['runner/transform'],
  ['runner/klaviyo'],
  ['runner/apply'],
  ['runner/objects'],
  ['runner/plan'],
  ['runner/report'],
  ['runner/sync', 'runner/extract', 'runner/validate', 'runner/github', 'runner/export', 'runner/webhooks'],
  ['runner/commands'],
  ['runner/cli.ts'],
];
/** Files listed in an earlier stage than their folder's: the later folder's zone leaves them out. */
const EARLY_FILES = STAGES.flat().filter((p) => p.endsWith('.ts'));
const LATER_STAGE_ZONES = STAGES.slice(0, -1).flatMap((stage, i) =>
  STAGES.slice(i + 1)
    .flat()
    .map((from) => ({
      target: stage,
      from,
      except: EARLY_FILES.filter((f) => f.startsWith(`${from}/`)).map((f) => `.${f.slice(from.length)}`),
      message:
        "imports flow one way along the data's path (docs/architecture.md): move what is shared to the earlier stage.",
    })),
);
/** The local Klaviyo stands apart: it imports only the error classes, and only the CLI starts it. */
const SANDBOX_ZONES = [
  {
    target: 'runner/sandbox',
    from: 'runner',
    except: ['./sandbox', './errors.ts'],
    message: 'the sandbox is a stand-in for Klaviyo and imports nothing from the runner but errors.ts.',
  },
  {
    target: STAGES.flat().filter((p) => p !== 'runner/commands' && p !== 'runner/cli.ts'),
    from: 'runner/sandbox',
    message: 'only runner/commands/ starts the sandbox; the runner talks to it over HTTP like to Klaviyo.',
  },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'target/',
      'dbt_packages/',
      '.venv/',
      'logs/',
      'test/dbt/**/target/',
      '**/*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      // Warehouse rows and parsed JSON are `unknown` scalars read with String(); objects never reach it.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    files: ['runner/**/*.ts'],
    ignores: ['**/*.test.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'] })] },
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        { basePath: import.meta.dirname, zones: [...LATER_STAGE_ZONES, ...SANDBOX_ZONES] },
      ],
    },
  },
  {
    // One job per file: a source file past 400 lines has more than one (docs/architecture.md).
    files: ['runner/**/*.ts', 'scripts/**/*.ts', 'test/helpers/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: { 'max-lines': ['error', { max: 400, skipBlankLines: false, skipComments: false }] },
  },
  {
    files: ['**/*.test.ts'],
    plugins: { vitest },
    rules: {
      ...vitest.configs.recommended.rules,
      // expect(value, message) is vitest's way to say what a failure means.
      'vitest/valid-expect': ['error', { maxArgs: 2 }],
    },
  },
);
