// One ESLint config for the whole repository (flat config, typescript-eslint).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import workspaceBoundaries from './tools/eslint/workspace-boundaries.js';

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '.tools/**', '.caddy/**', '**/.data/**', 'coverage/**', 'test-results/**', 'bench-results/**', '**/public/css/**'],
  },
  js.configs.recommended,
  {
    // What one package needs from another comes through its package exports, never its src/ or test/.
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    plugins: { 'workspace-boundaries': workspaceBoundaries },
    rules: {
      'workspace-boundaries/no-foreign-internals': [
        'error',
        { root: import.meta.dirname, packages: ['apps/*', 'packages/*', 'e2e', 'bench', 'scripts', 'tools'] },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      'no-console': 'error',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/test/**/*.ts', '**/*.test.ts', 'scripts/**', 'bench/**', 'packages/harness/**', 'tools/**'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
