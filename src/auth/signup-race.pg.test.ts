// TINYCRM_SIGNUP=closed under a race, on a real PostgreSQL (PGlite runs one statement at a time and
// hides it): six first sign-ups at the same moment let exactly one account in. Its own database,
// since "the first account" needs an empty one. A gate (an EXCLUSIVE lock on `accounts`, which
// lets reads through and parks writes) holds the six sign-ups after every one of them has seen an
// empty table, then lets them go together.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createApp } from '../app.js'
import type { NodeDb } from '../db/node.js'
import {
  createEmptyDatabase,
  openGate,
  openTestDb,
  type Gate,
} from '../../test/support/pg-harness.js'
import { TestBrowser } from '../../test/support/test-browser.js'

const SIGNUPS = 6
const TRIALS = 10
const APP_NAME = 'tinycrm-signup-race'
const DATABASE = 'tinycrm_signup_race'

let node: NodeDb
let gate: Gate

beforeAll(async () => {
  const databaseUrl = await createEmptyDatabase(DATABASE)
  node = await openTestDb({ databaseUrl, appName: APP_NAME, poolSize: SIGNUPS + 2 })
  // EXCLUSIVE lets reads through and parks every write to `accounts`.
  gate = openGate({ databaseUrl, appName: APP_NAME, table: 'accounts', mode: 'EXCLUSIVE' })
})
afterAll(async () => {
  await gate?.close()
  await node?.close()
})

it(`lets exactly one of ${SIGNUPS} simultaneous first sign-ups in (${TRIALS} trials)`, async () => {
  const app = createApp({ db: node.db, config: { signup: 'closed' } })
  for (let trial = 0; trial < TRIALS; trial++) {
    await sql`TRUNCATE accounts CASCADE`.execute(node.db)
    const browsers = Array.from({ length: SIGNUPS }, () => new TestBrowser(app))
    for (const b of browsers) expect((await b.get('/signup')).status).toBe(200)
    const results = await gate.gated(SIGNUPS, () =>
      Promise.all(
        browsers.map((b, i) =>
          b.post('/signup', { email: `first${i}@example.com`, password: 'correct horse battery' }),
        ),
      ),
    )
    const statuses = results.map((r) => r.status).sort()
    expect(statuses, `trial ${trial}`).toEqual([303, 403, 403, 403, 403, 403])
    for (const r of results.filter((r) => r.status === 403)) {
      expect(r.html).toContain('Sign-up is closed')
    }
    const { rows } = await sql<{ accounts: number; users: number }>`
      SELECT (SELECT count(*)::int FROM accounts) AS accounts,
             (SELECT count(*)::int FROM users) AS users`.execute(node.db)
    expect(rows[0], `trial ${trial}`).toEqual({ accounts: 1, users: 1 })
  }
})
