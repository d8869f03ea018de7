// The statements that lock a customer's family (the customer, their survivor, everyone merged into
// it) find it by the primary key and the tombstones' index, not by walking the account, even while
// the account's statistics are stale: a new account that grew by thousands of customers since the
// last ANALYZE (autovacuum analyzes after a while; a plan made before that stays in use). Written
// as `f.id = … OR f.merged_into = …`, such a plan walked every customer of the account: a billing
// event's two statements took 17–28 ms each at 7,490 customers in the billing bench, and the
// webhook answered 35 events a second at concurrency 1 instead of 166 (`npm run bench -- --only
// billing --targets postgres`, 2 Dec 2026). Checked on EXPLAIN ANALYZE of the real statements.
import { sql, type CompiledQuery } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { lockPeople } from '../billing/apply.js'
import { createConnection } from '../billing/connections.js'
import { lockCustomers } from '../merges/lock.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { createEmptyDatabase, openTestDb } from '../../test/support/pg-harness.js'
import { planNodes, type ExplainRow } from '../../test/support/plans.js'
import type { NodeDb } from './node.js'

const CUSTOMERS = 20_000
let node: NodeDb
let accountId: number
let connection: { id: string; project_id: number; provider: 'stripe' }
let survivor: number

beforeAll(async () => {
  const url = await createEmptyDatabase('tinycrm_family_plan')
  node = await openTestDb({ databaseUrl: url, poolSize: 2 })
  const { db } = node
  // Statistics as a fresh table has them until autovacuum comes by: none.
  await sql`ALTER TABLE customers SET (autovacuum_enabled = false)`.execute(db)
  const seeded = await seedAccount(db)
  accountId = seeded.accountId
  const created = await createConnection(db, {
    accountId,
    projectId: seeded.projects[0]!.project.id,
    provider: 'stripe',
    signingSecret: 'whsec_family_plan_0123456789',
  })
  connection = { id: created!.id, project_id: seeded.projects[0]!.project.id, provider: 'stripe' }
  await sql`INSERT INTO customers (account_id, email, created_at, last_activity_at, updated_at)
    SELECT ${accountId}, 'c' || g || '@example.com', now(), now(), now()
    FROM generate_series(1, ${CUSTOMERS}) g`.execute(db)
  // c2@ and c3@ merged into c1@: a family of three.
  const { rows } = await sql<{ id: number }>`SELECT id FROM customers
    WHERE account_id = ${accountId} AND email = 'c1@example.com'`.execute(db)
  survivor = rows[0]!.id
  await sql`UPDATE customers SET merged_into = ${survivor}
    WHERE account_id = ${accountId} AND email IN ('c2@example.com', 'c3@example.com')`.execute(db)
}, 120_000)
afterAll(async () => {
  await node?.close()
})

/** The rows the statement's plan read from customers: each scan's rows out and rows it dropped. */
async function customerRowsRead(query: CompiledQuery) {
  const { rows } = await node.db.transaction().execute((trx) =>
    trx.executeQuery<ExplainRow>({
      ...query,
      sql: `EXPLAIN (ANALYZE, FORMAT JSON) ${query.sql}`,
    }),
  )
  let read = 0
  for (const n of planNodes(rows[0]!['QUERY PLAN'][0].Plan)) {
    if (n['Relation Name'] !== 'customers') continue
    const out = n['Actual Rows'] ?? 0
    const dropped = (n['Rows Removed by Filter'] ?? 0) + (n['Rows Removed by Index Recheck'] ?? 0)
    read += (out + dropped) * (n['Actual Loops'] ?? 1)
  }
  return read
}

it(`a billing event locks the family of its email reading a handful of ${CUSTOMERS.toLocaleString('en')} customers`, async () => {
  const event = {
    provider: 'stripe' as const,
    id: 'evt_plan',
    type: 'customer.created',
    created: '2026-12-02T00:00:00.000000Z',
    order: '',
    customer: 'cus_plan',
    email: 'c2@example.com',
  }
  const read = await customerRowsRead(lockPeople(node.db, connection, event))
  expect(read).toBeGreaterThanOrEqual(3) // the email's row, and the family's three
  expect(read).toBeLessThan(20)
})

it('a merge locks the two families reading a handful of customers', async () => {
  const other = await sql<{ id: number }>`SELECT id FROM customers
    WHERE account_id = ${accountId} AND email = 'c9@example.com'`.execute(node.db)
  const read = await customerRowsRead(
    lockCustomers(node.db, accountId, [survivor, other.rows[0]!.id]),
  )
  expect(read).toBeGreaterThanOrEqual(4)
  expect(read).toBeLessThan(20)
})
