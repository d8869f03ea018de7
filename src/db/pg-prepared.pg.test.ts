// Prepared statements through pg (./pg-prepared.ts), on a real PostgreSQL server: the ingest
// statement is prepared once per connection, and where the server no longer knows its name (as
// behind a pooler in transaction mode, here a DEALLOCATE behind pg's back) the write still
// happens, once, and the pool stops preparing.
import { sql } from 'kysely'
import { afterEach, expect, it } from 'vitest'
import type { NodeDb } from './node.js'
import { openTestDb } from '../../test/support/pg-harness.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { hashKey } from '../lib/keys.js'
import { ingest, ingestForProject } from '../ingest/upsert.js'

let open: NodeDb | undefined
afterEach(() => open?.close())

/** The app's database layer on ONE connection, so what the test asks the server is about the
 *  connection the writes used, and an account with one project. */
async function oneConnection() {
  open = await openTestDb({ poolSize: 1 })
  const { projects } = await seedAccount(open.db, ['Only'])
  const { project, key } = projects[0]!
  return { db: open.db, projectId: project.id, keyHash: await hashKey(key) }
}

const preparedNames = async (db: NodeDb['db']) =>
  (
    await sql<{ name: string }>`SELECT name FROM pg_prepared_statements
      WHERE name LIKE 'tinycrm_%'`.execute(db)
  ).rows.map((r) => r.name)

const customersOf = async (db: NodeDb['db'], email: string) =>
  (
    await sql<{
      n: number
    }>`SELECT count(*)::int AS n FROM customers WHERE email = ${email}`.execute(db)
  ).rows[0]!.n

const identify = (email: string, plan: string) => ({
  type: 'identify' as const,
  email,
  params: { plan },
})

it('prepares the ingest statement once per connection and answers each call', async () => {
  const { db, keyHash } = await oneConnection()
  const [first] = await ingest(db, keyHash, [identify('ann@prep.test', 'free')])
  const [second] = await ingest(db, keyHash, [identify('bo@prep.test', 'pro')])
  const [again] = await ingest(db, keyHash, [identify('ann@prep.test', 'pro')])
  expect(first).toMatchObject({ created: true })
  expect(second).toMatchObject({ created: true })
  expect(again).toMatchObject({ created: false, customerId: first!.customerId })
  // One single-item identify's text, prepared once, used three times.
  expect(await preparedNames(db)).toHaveLength(1)
})

it('writes once, unprepared from then on, when the server has lost the statement', async () => {
  const { db, keyHash } = await oneConnection()
  await ingest(db, keyHash, [identify('cy@prep.test', 'free')])
  expect(await preparedNames(db)).toHaveLength(1)
  // What a pooler in transaction mode does to pg: the next Bind reaches a server connection
  // that never parsed the name (26000).
  await sql`DEALLOCATE ALL`.execute(db)
  const [result] = await ingest(db, keyHash, [identify('di@prep.test', 'pro')])
  expect(result).toMatchObject({ created: true })
  expect(await customersOf(db, 'di@prep.test')).toBe(1)
  await ingest(db, keyHash, [identify('ed@prep.test', 'pro')])
  expect(await preparedNames(db)).toEqual([])
})

it('runs a transaction again, whole and unprepared, when its statement is refused', async () => {
  const { db, projectId } = await oneConnection()
  const after = [sql`SELECT 1`.compile(db)]
  await ingestForProject(
    db,
    projectId,
    [identify('fa@prep.test', 'free')],
    new Date(),
    'import',
    after,
  )
  await sql`DEALLOCATE ALL`.execute(db)
  const [result] = await ingestForProject(
    db,
    projectId,
    [identify('gu@prep.test', 'pro')],
    new Date(),
    'import',
    after,
  )
  expect(result).toMatchObject({ created: true })
  expect(await customersOf(db, 'gu@prep.test')).toBe(1)
  expect(await preparedNames(db)).toEqual([])
})

it('writes once, unprepared, when the connection holds the name already', async () => {
  const { db, keyHash } = await oneConnection()
  await ingest(db, keyHash, [identify('ha@prep.test', 'free')])
  const [name] = await preparedNames(db)
  expect(name).toMatch(/^tinycrm_[0-9a-f]{24}$/)
  // Behind a pooler a server connection may hold the name from another client (42P05 at the
  // Parse): a second pool, whose one connection has a statement of that name already.
  const other = await openTestDb({ poolSize: 1 })
  try {
    await sql`PREPARE ${sql.id(name!)} AS SELECT 1`.execute(other.db)
    const [result] = await ingest(other.db, keyHash, [identify('io@prep.test', 'pro')])
    expect(result).toMatchObject({ created: true })
    expect(await customersOf(other.db, 'io@prep.test')).toBe(1)
  } finally {
    await other.close()
  }
})
