import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import vitest from '@vitest/eslint-plugin';

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
    files: ['**/*.test.ts'],
    plugins: { vitest },
    rules: {
      ...vitest.configs.recommended.rules,
      // expect(value, message) is vitest's way to say what a failure means.
      'vitest/valid-expect': ['error', { maxArgs: 2 }],
    },
  },
);
