// ESLint for every JavaScript file of the project: the facepack package (js/), the pages
// (web/static), the converter's Node runner, the bench, the tests' Node helpers and in-page
// programs (tests/support/page_js, bench/page_js), and the example apps' own source (examples/*,
// not what they build or install). `npm run lint` runs it and Prettier; `make lint` runs both with ruff.
import js from '@eslint/js';
import globals from 'globals';

export default [
  {
    ignores: [
      'node_modules/**',
      '.venv/**',
      'bundle/**',
      'bundle.*/**',
      'reports/**',
      'runs/**',
      'build/**',
      '.cache/**',
      'tests/data/**',
      'examples/*/node_modules/**',
      'examples/*/dist/**',
    ],
  },
  js.configs.recommended,
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { ecmaVersion: 2025, sourceType: 'module', globals: { ...globals.browser, ...globals.node } },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: 'error',
      'prefer-const': 'error',
      'no-var': 'error',
    },
  },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: globals.node } },
  // In-page programs run by Playwright's page.evaluate; tests/support/page_js/prelude.js defines fromBase64.
  { files: ['tests/support/page_js/**', 'bench/page_js/**'], languageOptions: { globals: { fromBase64: 'readonly' } } },
];
