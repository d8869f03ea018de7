// Test projects: `node` (the app over PGlite: most tests), `postgres` (a real server the setup
// starts itself, for races), `workers` (the Worker inside workerd), `sdk`, and `browser` (Chromium).
import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import LongestFirst from './test/support/sequencer.js'

// 'tinycrm-sdk' is the SDK's source in every test, imported the way users write it (the seeds' snippets
// run verbatim); the packed package is tested as installed by sdk/test/package.test.ts.
const sdkSource = fileURLToPath(new URL('./sdk/src/index.ts', import.meta.url))

const resolve = { alias: { 'tinycrm-sdk': sdkSource } }

// Node test files that mock a module, a global or the clock: each runs in a fresh module graph.
const MOCKING_FILES = [
  'src/billing/paddle-recipe.test.ts',
  'src/billing/sdk-recipe.test.ts',
  'src/lib/rate-limit.test.ts',
]

export default defineConfig({
  test: {
    // Vitest's default on a 2-core machine is one worker, which runs every file in turn. Most files
    // wait on a database, a child server or a browser, so three run at a time; TINYCRM_TEST_WORKERS
    // changes it. (The Worker project stays one file at a time, after the rest: see its
    // fileParallelism.) Long files start first: see test/support/sequencer.ts.
    maxWorkers: Number(process.env.TINYCRM_TEST_WORKERS ?? 3),
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        resolve,
        test: {
          name: 'node',
          include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['**/*.pg.test.ts', '**/node_modules/**', ...MOCKING_FILES],
          globalSetup: ['test/support/pglite-setup.ts'],
          // Files share a worker's loaded modules (the app, Kysely, PGlite's compiled WebAssembly)
          // instead of loading them again each: measured, most of a node file's time was that. Each
          // file still opens its own database (test/support/db.ts). The files that mock a module or
          // a global run isolated, in `node-mocks`.
          isolate: false,
          // Time limits catch a hang, never measure speed (that is `npm run bench`): generous, since
          // three files share two cores and a test that parses 50 MB waits its turn.
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        resolve,
        test: {
          name: 'node-mocks',
          include: MOCKING_FILES,
          globalSetup: ['test/support/pglite-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        resolve,
        test: {
          name: 'postgres',
          include: ['src/**/*.pg.test.ts', 'scripts/**/*.pg.test.ts', 'sdk/test/**/*.pg.test.ts'],
          globalSetup: ['test/support/postgres-setup.ts'],
          // As `node`: the files share a worker's loaded modules (none mocks anything); each seeds
          // its own account and serves its own app.
          isolate: false,
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
      {
        resolve,
        test: {
          name: 'sdk',
          include: ['sdk/test/**/*.test.ts'],
          exclude: ['**/*.pg.test.ts', '**/node_modules/**'],
          globalSetup: ['test/support/pglite-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The real Worker (wrangler.toml) in workerd; its database is the globalSetup's PGlite behind
        // the local Neon HTTP endpoint, reached by the production driver.
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: {
                DATABASE_URL: 'postgres://tinycrm:test@localhost/tinycrm',
                NEON_FETCH_ENDPOINT: inject<string>('neonEndpoint'),
              },
              // A small ingest limit, so a test can reach it (wrangler.toml's is 10,000 per 10 s).
              ratelimits: {
                INGEST_LIMITER: { namespace_id: '1001', simple: { limit: 20, period: 60 } },
              },
            },
          })),
        ],
        test: {
          name: 'workers',
          include: ['test/worker/**/*.test.ts'],
          globalSetup: ['test/worker/global-setup.ts'],
          // One database endpoint for all files: sequential files keep its query counts exact.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Chromium (Debian's, via playwright-core) against the real Node server; see test/browser/harness.ts.
        resolve,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['test/browser/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // expect.poll waits for the page (an htmx swap, a rail's own request): its default of
          // one second is shorter than one request on a loaded machine.
          expect: { poll: { timeout: 15_000 } },
        },
      },
    ],
  },
})
