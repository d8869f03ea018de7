// Lint: typescript-eslint's recommended rules plus the type-aware ones that catch lost promises
// (a fire-and-forget write that fails silently) and keep type-only imports out of the bundles.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'public/assets/vendor/',
      'test-artifacts/',
      'bench-results/',
      'coverage/',
      'dist/',
      '.wrangler/',
      '.cache/',
      'sdk/dist/',
      '**/*.tinycrm-data/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,mts}'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Frozen migrations take `Kysely<any>` (Kysely's own advice: they must not depend on today's schema
    // type); tests cast freely to poke at bad input.
    files: [
      'migrations/**',
      'src/db/migrate.ts',
      '**/*.test.ts',
      '**/*.test.tsx',
      'test/**',
      'bench/**',
    ],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The seeds' snippets run verbatim, and several call the SDK fire-and-forget on purpose: that is
    // the behaviour under test (an unawaited call must never crash the host).
    files: ['sdk/test/seeds/**', 'sdk/test/faults.test.ts', 'sdk/test/client.test.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
  {
    // Plain JS (scripts, browser assets, the SDK source): no type information, browser + node globals.
    files: ['**/*.{js,mjs,cjs}'],
    rules: {
      'no-empty': ['error', { allowEmptyCatch: true }],
      // The SDK's source is read by people but golfed by the minifier: short-circuit calls are fine.
      '@typescript-eslint/no-unused-expressions': [
        'error',
        { allowShortCircuit: true, allowTernary: true },
      ],
    },
    languageOptions: {
      globals: {
        window: 'readonly',
        document: 'readonly',
        console: 'readonly',
        process: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        Response: 'readonly',
        Request: 'readonly',
        Headers: 'readonly',
        FormData: 'readonly',
        Blob: 'readonly',
        TextEncoder: 'readonly',
        navigator: 'readonly',
        globalThis: 'readonly',
        location: 'readonly',
        history: 'readonly',
        Event: 'readonly',
        CustomEvent: 'readonly',
        HTMLElement: 'readonly',
        localStorage: 'readonly',
        requestAnimationFrame: 'readonly',
        queueMicrotask: 'readonly',
      },
    },
  },
)
