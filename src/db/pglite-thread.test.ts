// A data directory's PGlite runs on a thread of its own (./pglite-thread.ts), behind PGlite's own
// methods: what the app reads and writes through it is what it would be on the main thread,
// values, errors and transactions alike. On a data directory, as `npm start` opens it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { neon, neonConfig } from '@neondatabase/serverless'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startNeonHttpEndpoint } from '../../scripts/neon-http-endpoint.js'
import { openNodeDb, type NodeDb } from './node.js'

let dir: string
let node: NodeDb
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tinycrm-thread-'))
  node = await openNodeDb({ dataDir: dir, tidy: false })
  await sql`CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)`.execute(node.db)
}, 60_000)
afterAll(async () => {
  await node?.close()
  rmSync(dir, { recursive: true, force: true })
})

const notes = async () =>
  (await sql<{ id: number }>`SELECT id FROM notes ORDER BY id`.execute(node.db)).rows.map(
    (r) => r.id,
  )

describe("PGlite on its own thread, behind PGlite's methods", () => {
  it('reads values as the app reads them on any driver (bigint a number, jsonb its value, a date a Date)', async () => {
    const { rows } = await sql<{
      n: number
      j: unknown
      at: Date
      none: null
    }>`SELECT 5::bigint AS n, '{"plan":"pro","seats":[1,2]}'::jsonb AS j,
        '2026-12-03T10:00:00Z'::timestamptz AS at, NULL AS none`.execute(node.db)
    expect(rows).toEqual([
      {
        n: 5,
        j: { plan: 'pro', seats: [1, 2] },
        at: new Date('2026-12-03T10:00:00Z'),
        none: null,
      },
    ])
  })

  it("keeps a statement's error as PostgreSQL gave it: its SQLSTATE, its constraint", async () => {
    await sql`INSERT INTO notes VALUES (1, 'one')`.execute(node.db)
    const err = await sql`INSERT INTO notes VALUES (1, 'again')`.execute(node.db).catch((e) => e)
    expect(err).toBeInstanceOf(Error)
    expect(err).toMatchObject({ code: '23505', constraint: 'notes_pkey' })
    expect(err.message).toMatch(/duplicate key/)
    await sql`DELETE FROM notes`.execute(node.db)
  })

  it('commits a transaction, and rolls one back whole when its callback throws', async () => {
    await node.db.transaction().execute(async (tx) => {
      await sql`INSERT INTO notes VALUES (10, 'a')`.execute(tx)
      await sql`INSERT INTO notes VALUES (11, 'b')`.execute(tx)
    })
    const failed = await node.db
      .transaction()
      .execute(async (tx) => {
        await sql`INSERT INTO notes VALUES (12, 'c')`.execute(tx)
        throw new Error('changed my mind')
      })
      .catch((e: Error) => e.message)
    expect(failed).toBe('changed my mind')
    const broken = await node.db
      .transaction()
      .execute(async (tx) => {
        await sql`INSERT INTO notes VALUES (13, 'd')`.execute(tx)
        await sql`INSERT INTO notes VALUES (10, 'again')`.execute(tx)
      })
      .catch((e: { code?: string }) => e.code)
    expect(broken).toBe('23505')
    expect(await notes()).toEqual([10, 11])
    await sql`DELETE FROM notes`.execute(node.db)
  })

  it('answers many callers at once, each its own result, and keeps a transaction whole among them', async () => {
    const inTx = node.db.transaction().execute(async (tx) => {
      await sql`INSERT INTO notes VALUES (100, 'first')`.execute(tx)
      // Statements sent meanwhile wait for the transaction: none sees row 100 without row 101.
      await new Promise((r) => setTimeout(r, 20))
      await sql`INSERT INTO notes VALUES (101, 'second')`.execute(tx)
    })
    const seen = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        sql<{
          i: number
          n: number
        }>`SELECT ${i}::int AS i, count(*)::int AS n FROM notes WHERE id >= 100`.execute(node.db),
      ),
    )
    await inTx
    expect(seen.map((r) => r.rows[0]!.i)).toEqual(Array.from({ length: 40 }, (_, i) => i))
    for (const r of seen) expect([0, 2]).toContain(r.rows[0]!.n)
    expect(await notes()).toEqual([100, 101])
  })

  it("serves the dev Neon endpoint (`npm run dev`): values as PostgreSQL's text, a batch as one transaction", async () => {
    const endpoint = await startNeonHttpEndpoint({ pglite: node.pglite })
    try {
      neonConfig.fetchEndpoint = () => endpoint.url
      const q = neon('postgres://tinycrm:dev@localhost/tinycrm')
      const [row] = await q`SELECT ${JSON.stringify({ plan: 'pro' })}::jsonb AS j,
        '2026-12-03T10:00:00Z'::timestamptz AS at, 7::int4 AS n, '{1,2}'::int4[] AS list`
      // The driver parses Neon's text as it does Neon's: the values arrived as text.
      expect(row).toEqual({
        j: { plan: 'pro' },
        at: new Date('2026-12-03T10:00:00Z'),
        n: 7,
        list: [1, 2],
      })
      const failed = await q
        .transaction([q`INSERT INTO notes VALUES (200, 'kept?')`, q`SELECT 1/0`])
        .catch((e: { code?: string }) => e.code)
      expect(failed).toBe('22012')
      await q.transaction([
        q`INSERT INTO notes VALUES (201, 'a')`,
        q`INSERT INTO notes VALUES (202, 'b')`,
      ])
      expect((await notes()).filter((id) => id >= 200)).toEqual([201, 202])
    } finally {
      await endpoint.close()
    }
  })

  it('ends its thread on close; a statement after it is refused, not left waiting', async () => {
    const other = mkdtempSync(join(tmpdir(), 'tinycrm-thread-'))
    try {
      const second = await openNodeDb({ dataDir: other, tidy: false })
      expect((await sql<{ x: number }>`SELECT 1 AS x`.execute(second.db)).rows).toEqual([{ x: 1 }])
      await second.close()
      expect(second.pglite!.closed).toBe(true)
      await expect(second.pglite!.query('SELECT 1')).rejects.toThrow()
    } finally {
      rmSync(other, { recursive: true, force: true })
    }
  }, 60_000)
})
