// The app's statements reach PGlite as they come (./pglite-dialect.ts), not one at a time, and
// PGlite queues them itself: a transaction's statements alone run inside it, and a statement sent
// meanwhile from elsewhere (another request) waits for it and is not undone by its rollback.
import { PGlite } from '@electric-sql/pglite'
import { Kysely, PGliteDialect, sql, type Dialect } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openNodeDb, type NodeDb } from './node.js'
import { PGliteStatementsAsTheyCome } from './pglite-dialect.js'

let node: NodeDb
beforeAll(async () => {
  node = await openNodeDb({ dataDir: 'memory://' })
  await sql`CREATE TABLE writes (id int PRIMARY KEY, what text NOT NULL)`.execute(node.db)
}, 60_000)
afterAll(() => node?.close())

const ids = async () =>
  (await sql<{ id: number }>`SELECT id FROM writes ORDER BY id`.execute(node.db)).rows.map(
    (r) => r.id,
  )

/** The most statements `dialect` had sent to PGlite and not yet had answered, over 10 sent at once. */
async function mostInFlight(dialect: (pglite: PGlite) => Dialect) {
  const pglite = await PGlite.create()
  let inFlight = 0
  let most = 0
  const counted = new Proxy(pglite, {
    get(target, property) {
      if (property !== 'query') {
        const value: unknown = Reflect.get(target, property, target)
        return typeof value === 'function' ? value.bind(target) : value
      }
      return async (...args: Parameters<PGlite['query']>) => {
        most = Math.max(most, ++inFlight)
        try {
          return await target.query(...args)
        } finally {
          inFlight--
        }
      }
    },
  })
  const db = new Kysely<unknown>({ dialect: dialect(counted) })
  try {
    await Promise.all(Array.from({ length: 10 }, (_, i) => sql`SELECT ${i}::int`.execute(db)))
    return most
  } finally {
    await db.destroy()
  }
}

describe('PGlite: statements as they come', () => {
  it("sends a statement without waiting for the answer to the one before (Kysely's own: one at a time)", async () => {
    expect(await mostInFlight((pglite) => new PGliteStatementsAsTheyCome(pglite))).toBe(10)
    expect(await mostInFlight((pglite) => new PGliteDialect({ pglite }))).toBe(1)
  })
})

describe('PGlite: a transaction and the statements sent beside it', () => {
  it('keeps a write sent during a transaction that then rolls back', async () => {
    let started!: () => void
    const inside = new Promise<void>((r) => (started = r))
    const rolledBack = node.db
      .transaction()
      .execute(async (tx) => {
        await sql`INSERT INTO writes VALUES (1, 'in the transaction')`.execute(tx)
        started()
        await new Promise((r) => setTimeout(r, 50))
        throw new Error('rolled back')
      })
      .catch((e: Error) => e.message)
    await inside
    // Another request's write, while the transaction is open: answered once it is written.
    await sql`INSERT INTO writes VALUES (2, 'beside it')`.execute(node.db)
    expect(await rolledBack).toBe('rolled back')
    expect(await ids()).toEqual([2])
  })

  it("runs a transaction's own statements inside it: its reads see its writes, others' do not", async () => {
    await sql`DELETE FROM writes`.execute(node.db)
    const seen = await node.db.transaction().execute(async (tx) => {
      await sql`INSERT INTO writes VALUES (3, 'mine')`.execute(tx)
      return (await sql<{ n: number }>`SELECT count(*)::int AS n FROM writes`.execute(tx)).rows[0]!
        .n
    })
    expect(seen).toBe(1)
    expect(await ids()).toEqual([3])
  })
})
