// A batch naming a merged email and the customer it was merged into is applied one item at a time
// (one statement may not touch a row twice). Those statements committed one by one: a key revoked
// while they ran (a rotation), or any failure midway, answered an error with the items before it
// written (measured on PostgreSQL: a batch of 3,000 answered 403 with 727 items stored). They run
// in one transaction now, which ends by checking that the key can still write. Here a trigger
// fails one item in the middle of the batch (PGlite has one connection: a revocation committed by
// another cannot be staged), which must leave the items before it unwritten too; the revocation
// itself was checked over HTTP on PostgreSQL (403, nothing stored).
import { afterAll, beforeAll, expect, it } from 'vitest'
import { sql } from 'kysely'
import { openTestDb, type TestDb } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { hashKey } from '../lib/keys.js'
import { mergeCustomers } from '../merges/store.js'
import { ingest } from './upsert.js'
import type { BatchItem } from './schemas.js'

let t: TestDb
beforeAll(async () => {
  t = await openTestDb()
})
afterAll(() => t.close())

async function mergedPair() {
  const { accountId, projects } = await seedAccount(t.db, ['Only'])
  const keyHash = await hashKey(projects[0]!.key)
  const tag = `${accountId}`
  const [a, b] = await ingest(t.db, keyHash, [
    { type: 'identify', email: `kept-${tag}@example.com` },
    { type: 'identify', email: `gone-${tag}@example.com` },
  ])
  const ids = [a, b].map((r) => (r as { customerId: number }).customerId)
  await mergeCustomers(t.db, { accountId, survivorId: ids[0]!, absorbedId: ids[1]!, actor: 't' })
  const batch: BatchItem[] = [
    { type: 'identify', email: `kept-${tag}@example.com`, params: { k: 1 } },
    { type: 'identify', email: `gone-${tag}@example.com`, params: { g: 1 } },
    { type: 'identify', email: `new1-${tag}@example.com` },
    { type: 'identify', email: `trip-${tag}@example.com` },
    { type: 'identify', email: `new2-${tag}@example.com` },
    { type: 'ping', email: `new1-${tag}@example.com` },
  ]
  return { keyHash, tag, batch, survivor: ids[0]! }
}

const stored = (tag: string) =>
  t.db.selectFrom('customers').select('email').where('email', 'like', `new%-${tag}@%`).execute()

it('writes nothing of a batch applied item by item when an item fails midway', async () => {
  const { keyHash, tag, batch, survivor } = await mergedPair()
  await sql`CREATE FUNCTION test_fail_midway() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'failed midway'; END $$`.execute(t.db)
  await sql`CREATE TRIGGER test_fail_midway AFTER INSERT ON customers FOR EACH ROW
    WHEN (NEW.email = ${sql.lit(`trip-${tag}@example.com`)})
    EXECUTE FUNCTION test_fail_midway()`.execute(t.db)
  try {
    await expect(ingest(t.db, keyHash, batch)).rejects.toThrow('failed midway')
  } finally {
    await sql`DROP TRIGGER test_fail_midway ON customers`.execute(t.db)
    await sql`DROP FUNCTION test_fail_midway()`.execute(t.db)
  }
  expect(await stored(tag)).toEqual([])
  const relation = await t.db
    .selectFrom('customer_projects')
    .select('params')
    .where('customer_id', '=', survivor)
    .executeTakeFirstOrThrow()
  expect(relation.params).toEqual({})
})

it('applies such a batch whole, in order, with a result per item', async () => {
  const { keyHash, tag, batch, survivor } = await mergedPair()
  const results = await ingest(t.db, keyHash, batch)
  expect(results.map((r) => r.type)).toEqual([
    'identify',
    'identify',
    'identify',
    'identify',
    'identify',
    'ping',
  ])
  expect(results.slice(0, 2)).toEqual([
    { type: 'identify', customerId: survivor, created: false },
    { type: 'identify', customerId: survivor, created: false },
  ])
  expect(results.slice(2, 5).every((r) => r.type === 'identify' && r.created)).toBe(true)
  expect(results[5]).toMatchObject({ type: 'ping', found: true })
  expect((await stored(tag)).length).toBe(2)
  const relation = await t.db
    .selectFrom('customer_projects')
    .select('params')
    .where('customer_id', '=', survivor)
    .executeTakeFirstOrThrow()
  expect(relation.params).toEqual({ k: 1, g: 1 })
})
