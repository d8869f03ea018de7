// Ingest under concurrency, against a real PostgreSQL server (PGlite runs one statement at a time
// and cannot show a race). Requests go over HTTP to the app served by @hono/node-server on a
// loopback port, and the app's pool has a connection per request in flight, so the statements
// really run side by side in Postgres. A "gate" (a table lock held by the test) makes them start
// at the same instant: every request parks on the lock, then the gate opens.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { useServedApp } from '../../test/support/pg-harness.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { summaryMismatches } from '../../test/support/summary-columns.js'

const POOL_SIZE = 60
// Names this file's connections, so the gate counts only our requests (other .pg.test.ts files
// share the database and run at the same time).
const APP_NAME = 'tinycrm-concurrency-test'

const served = useServedApp({ appName: APP_NAME, poolSize: POOL_SIZE, gateTable: 'customers' })
let accountId: number
let keyA: string
let keyB: string

beforeEach(async () => {
  const seeded = await seedAccount(served.db)
  accountId = seeded.accountId
  keyA = seeded.projects[0]!.key
  keyB = seeded.projects[1]!.key
})
// Whatever raced, each customer's summary columns say what its relations say.
afterEach(async () => {
  expect(await summaryMismatches(served.db, accountId)).toEqual([])
})

const post = (path: string, key: string, body: unknown) => served.call('POST', path, key, body)
const gated = <T>(waiters: number, fire: () => Promise<T>) => served.gate.gated(waiters, fire)

async function customerCount() {
  const row = await served.db
    .selectFrom('customers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
async function relationCount() {
  const row = await served.db
    .selectFrom('customer_projects')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
async function paramsOf(email: string, projectKeyIndex: 0 | 1) {
  const rows = await served.db
    .selectFrom('customer_projects as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .innerJoin('projects as p', 'p.id', 'r.project_id')
    .select(['r.params', 'p.name'])
    .where('c.account_id', '=', accountId)
    .where('c.email', '=', email)
    .orderBy('p.name')
    .execute()
  return rows[projectKeyIndex]?.params
}

describe('ingest under concurrency (real PostgreSQL)', () => {
  it('makes one customer, two relations, when two products send a new email at once', async () => {
    const email = 'same-instant@example.com'
    const [a, b] = await gated(2, () =>
      Promise.all([
        post('/v1/identify', keyA, { email, status: 'paid' }),
        post('/v1/identify', keyB, { email, status: 'trial' }),
      ]),
    )
    expect([a.status, b.status]).toEqual([200, 200])
    expect(a.body.customerId).toBe(b.body.customerId)
    // Exactly one of the two created the customer.
    expect([a.body.created, b.body.created].sort()).toEqual([false, true])
    expect(await customerCount()).toBe(1)
    expect(await relationCount()).toBe(2)
  })

  it('keeps 100 customers and 200 relations when 100 such pairs race in parallel', async () => {
    const emails = Array.from({ length: 100 }, (_, i) => `pair${i}@example.com`)
    const responses = await gated(POOL_SIZE, () =>
      Promise.all(
        emails.flatMap((email) => [
          post('/v1/identify', keyA, { email, params: { from: 'A' } }),
          post('/v1/identify', keyB, { email, params: { from: 'B' } }),
        ]),
      ),
    )
    expect(responses.filter((r) => r.status !== 200)).toEqual([])
    for (let i = 0; i < emails.length; i++) {
      expect(responses[2 * i]!.body.customerId).toBe(responses[2 * i + 1]!.body.customerId)
    }
    expect(await customerCount()).toBe(100)
    expect(await relationCount()).toBe(200)
  })

  it('loses no key when 50 identifies merge params into one relation at once', async () => {
    const email = 'many-params@example.com'
    // The relation exists first, so this is about merging, not about creating it (see above).
    expect((await post('/v1/identify', keyA, { email, params: { seed: true } })).status).toBe(200)
    const responses = await gated(50, () =>
      Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          post('/v1/identify', keyA, { email, params: { [`k${i}`]: i } }),
        ),
      ),
    )
    expect(responses.filter((r) => r.status !== 200)).toEqual([])
    const keys = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]))
    const expected = { seed: true, ...keys }
    expect(await paramsOf(email, 0)).toEqual(expected)
    expect(await customerCount()).toBe(1)
  })

  it('answers concurrent batches of the same emails in other orders without deadlock', async () => {
    const emails = Array.from({ length: 200 }, (_, i) => `b${1000 + i}@example.com`)
    // Batch j: every email, rotated by j * 25 and reversed for odd j, into project A (even j) or B.
    const batches = Array.from({ length: 8 }, (_, j) => {
      const order = [...emails.slice(j * 25), ...emails.slice(0, j * 25)]
      if (j % 2) order.reverse()
      return {
        key: j % 2 === 0 ? keyA : keyB,
        body: {
          batch: order.map((email) => ({ type: 'identify', email, params: { [`b${j}`]: true } })),
        },
      }
    })
    const responses = await gated(batches.length, () =>
      Promise.all(batches.map(({ key, body }) => post('/v1/batch', key, body))),
    )
    for (const r of responses) {
      expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200)
      expect(r.body.succeeded).toBe(200)
      expect(r.body.failed).toBe(0)
    }
    expect(await customerCount()).toBe(200)
    expect(await relationCount()).toBe(400)
    for (const email of [emails[0]!, emails[99]!, emails[199]!]) {
      expect(await paramsOf(email, 0)).toEqual({ b0: true, b2: true, b4: true, b6: true })
      expect(await paramsOf(email, 1)).toEqual({ b1: true, b3: true, b5: true, b7: true })
    }
  })
})
