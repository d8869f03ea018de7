// Batches applied item by item (they name a merged email and its survivor: ./upsert.ts's
// writeOneByOne) racing one another and plain batches over the same NEW emails, sent in other
// orders, against a real PostgreSQL. The item-by-item path locks the customers that exist up front,
// in the order every writer locks them; a new email's row is locked when its item inserts it.
// Each batch must answer 200 with every item written, and each email be one customer.
import { describe, expect, it } from 'vitest'
import { useServedApp } from '../../test/support/pg-harness.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { random, shuffle } from '../../test/support/billing-replay-core.js'
import { mergeCustomers } from '../merges/store.js'

const TRIALS = Number(process.env.RACE_TRIALS ?? 10)
const BATCHES = 6
const NEW_EMAILS = 30
const POOL_SIZE = 20
// Names this file's connections, so the gate counts only our requests.
const APP_NAME = 'tinycrm-one-by-one-races'

const served = useServedApp({ appName: APP_NAME, poolSize: POOL_SIZE, gateTable: 'customers' })
const post = (path: string, key: string, body: unknown) => served.call('POST', path, key, body)

describe('item-by-item batches racing over the same new emails (real PostgreSQL)', () => {
  it(`answer 200, write every item and make each email one customer (${TRIALS} trials × ${BATCHES} batches)`, async () => {
    const failures: string[] = []
    for (let trial = 0; trial < TRIALS; trial++) {
      const { accountId, projects } = await seedAccount(served.db, ['Only'])
      const key = projects[0]!.key
      // Each batch but the last has a merged pair of its own, so that they do not wait for one
      // another on it.
      const pairs: string[][] = []
      for (let b = 0; b < BATCHES - 1; b++) {
        const kept = `kept${b}.${trial}@obo.test`
        const gone = `gone${b}.${trial}@obo.test`
        const made = await post('/v1/batch', key, {
          batch: [kept, gone].map((email) => ({ type: 'identify', email })),
        })
        expect(made.status).toBe(200)
        const [survivorId, absorbedId] = made.body.results.map(
          (r: { customerId: number }) => r.customerId,
        )
        await mergeCustomers(served.db, { accountId, survivorId, absorbedId, actor: 'test' })
        pairs.push([kept, gone])
      }
      const fresh = Array.from({ length: NEW_EMAILS }, (_, i) => `new${i}.${trial}@obo.test`)
      const rnd = random(trial + 1)
      const batches = Array.from({ length: BATCHES }, (_, b) => {
        const emails = [...shuffle(fresh, rnd), ...(pairs[b] ?? [])]
        return emails.map((email) => ({ type: 'identify', email, params: { [`b${b}`]: true } }))
      })
      const replies = await served.gate.gated(BATCHES, () =>
        Promise.all(batches.map((batch) => post('/v1/batch', key, { batch }))),
      )
      for (const r of replies) {
        if (r.status !== 200 || r.body.failed !== 0) {
          failures.push(
            `trial ${trial}: ${r.status} ${r.log ?? JSON.stringify(r.body).slice(0, 200)}`,
          )
        }
      }
      const rows = await served.db
        .selectFrom('customers as c')
        .innerJoin('customer_projects as r', 'r.customer_id', 'c.id')
        .select(['c.email', 'r.params'])
        .where('c.account_id', '=', accountId)
        .where('c.email', 'in', fresh)
        .execute()
      if (rows.length !== NEW_EMAILS) failures.push(`trial ${trial}: ${rows.length} new customers`)
      const answered = replies.filter((r) => r.status === 200).length
      for (const row of rows) {
        const keys = Object.keys(row.params as object).length
        if (keys !== answered) failures.push(`trial ${trial}: ${row.email} has ${keys} keys`)
      }
    }
    expect(failures).toEqual([])
  })
})
