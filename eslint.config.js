// Lint: typescript-eslint's recommended rules plus the type-aware ones that catch lost promises
// (a fire-and-forget write that fails silently) and keep type-only imports out of the bundles.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const VIEWS = { regex: '(^|/)views/', message: 'Only routes import views/ (data never renders).' }
const ROUTES = {
  regex: '(^|/)(routes|app|api|dashboard)(\\.js)?$',
  message: 'Routes and the app assembly sit on top: nothing below imports them.',
}
const MIDDLEWARE = {
  regex: '(^|/)middleware/',
  message: 'Middleware is for the app and its routes: data and views do not import it.',
}
const NOT_PRODUCTION = {
  regex: '(^|/)(test|scripts|bench)/',
  message: 'Production code never imports tests, scripts or benchmarks.',
}

/** One config per layer: its files (tests excepted) may not import what `bans` names. Each file
 *  falls in the first layer that lists it (a later config would replace the rule's options). */
function layers(list) {
  const claimed = []
  return list.map(({ name, files, ignores = [], bans }) => {
    const config = {
      name: `layers/${name}`,
      files,
      ignores: [...ignores, ...claimed, '**/*.test.ts', '**/*.test.tsx'],
      rules: {
        'no-restricted-imports': ['error', { patterns: [...bans, NOT_PRODUCTION] }],
      },
    }
    claimed.push(...files.filter((f) => !ignores.includes(f)))
    return config
  })
}

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
      'public/assets/build/',
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
      // zod's `z` object is a namespace the bundler must build whole, every zod locale with it
      // (~65 KB of the Worker's gzipped bundle); `import * as z` keeps only the schemas used.
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ImportDeclaration[source.value='zod'][importKind!='type'] > ImportSpecifier[imported.name='z']",
          message: "import * as z from 'zod': the z object drags every zod locale into the bundle.",
        },
        {
          // hono's default Hono carries three routers (SmartRouter over RegExpRouter and
          // TrieRouter); hono/tiny's PatternRouter alone is 2.6 KB less of the Worker's gzipped
          // bundle, and its cost per request is a few regular-expression tests.
          selector:
            "ImportDeclaration[source.value='hono'] > ImportSpecifier[imported.name='Hono']",
          message: "import { Hono } from 'hono/tiny': the default Hono carries three routers.",
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  // The layers (docs/architecture.md), enforced: each group of files may not import the groups
  // named here. Production code never imports tests, scripts or benchmarks.
  ...layers([
    {
      // The ground floor: nothing from the rest of the repository.
      name: 'lib',
      files: ['src/lib/**'],
      bans: [{ regex: '^\\.\\./', message: 'src/lib/ imports nothing from the rest of src/.' }],
    },
    {
      // Data: the database and the functions over it, the CLI, the config. No HTTP, no pages.
      name: 'data',
      files: [
        'src/db/**',
        'src/accounts/**',
        'src/auth/**',
        'src/projects/**',
        'src/customers/**',
        'src/ingest/**',
        'src/merges/**',
        'src/csv/**',
        'src/account-api/**',
        'src/billing/**',
        'src/saved-views/**',
        'src/segment/**',
        'src/backup/**',
        'src/cli/**',
        'src/env.ts',
        'src/config.ts',
      ],
      ignores: ['src/**/routes.ts', 'src/**/routes.tsx', 'src/account-api/dashboard.tsx'],
      bans: [VIEWS, ROUTES, MIDDLEWARE],
    },
    {
      name: 'middleware',
      files: ['src/middleware/**'],
      bans: [VIEWS, ROUTES],
    },
    {
      // Pages render what routes hand them: they never reach for a request's machinery.
      name: 'views',
      files: ['views/**'],
      bans: [ROUTES, MIDDLEWARE],
    },
    {
      name: 'routes and entries',
      files: ['src/**', 'migrations/**'],
      bans: [],
    },
  ]),
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
      // zod's `z` object is a namespace the bundler must build whole, every zod locale with it
      // (~65 KB of the Worker's gzipped bundle); `import * as z` keeps only the schemas used.
      'no-restricted-syntax': [
        'error',
        {
          selector:
            "ImportDeclaration[source.value='zod'][importKind!='type'] > ImportSpecifier[imported.name='z']",
          message: "import * as z from 'zod': the z object drags every zod locale into the bundle.",
        },
      ],
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
