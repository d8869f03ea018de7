// TINYCRM_SIGNUP=closed under a race, on a real PostgreSQL (PGlite runs one statement at a time and
// hides it): six first sign-ups at the same moment let exactly one account in. Its own database,
// since "the first account" needs an empty one. A gate (an EXCLUSIVE lock on `accounts`, which
// lets reads through and parks writes) holds the six sign-ups after every one of them has seen an
// empty table, then lets them go together.
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { sql } from 'kysely'
import pg from 'pg'
import { createApp } from '../app.js'
import { openNodeDb, type NodeDb } from '../db/node.js'
import { TestBrowser } from '../../test/support/test-browser.js'

const SIGNUPS = 6
const TRIALS = 10
const APP_NAME = 'tinycrm-signup-race'
const DATABASE = 'tinycrm_signup_race'

let node: NodeDb
let gatePool: pg.Pool

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: inject('postgresUrl') })
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`)
  await admin.query(`CREATE DATABASE ${DATABASE}`)
  await admin.end()
  const url = inject('postgresUrl').replace(/\/[^/]+$/, `/${DATABASE}`)
  node = await openNodeDb({
    databaseUrl: `${url}?application_name=${APP_NAME}`,
    poolSize: SIGNUPS + 2,
    migrate: true,
  })
  gatePool = new pg.Pool({ connectionString: url, max: 2 })
})
afterAll(async () => {
  await gatePool?.end()
  await node?.close()
})

/** Parks every write to `accounts` until `waiters` statements wait on the lock, then lets them go. */
async function gated<T>(waiters: number, fire: () => Promise<T>): Promise<T> {
  const gate = await gatePool.connect()
  try {
    await gate.query('BEGIN')
    await gate.query('LOCK TABLE accounts IN EXCLUSIVE MODE')
    const pending = fire()
    pending.catch(() => {})
    const deadline = Date.now() + 30_000
    for (;;) {
      const { rows } = await gatePool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [APP_NAME],
      )
      if (rows[0]!.n >= waiters) break
      if (Date.now() > deadline) throw new Error(`only ${rows[0]!.n} of ${waiters} at the gate`)
      await new Promise((r) => setTimeout(r, 5))
    }
    await gate.query('COMMIT')
    return await pending
  } finally {
    await gate.query('ROLLBACK').catch(() => {})
    gate.release()
  }
}

it(`lets exactly one of ${SIGNUPS} simultaneous first sign-ups in (${TRIALS} trials)`, async () => {
  const app = createApp({ db: node.db, config: { signup: 'closed' } })
  for (let trial = 0; trial < TRIALS; trial++) {
    await sql`TRUNCATE accounts CASCADE`.execute(node.db)
    const browsers = Array.from({ length: SIGNUPS }, () => new TestBrowser(app))
    for (const b of browsers) expect((await b.get('/signup')).status).toBe(200)
    const results = await gated(SIGNUPS, () =>
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
