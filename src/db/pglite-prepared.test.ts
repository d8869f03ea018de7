// Prepared statements (./prepared.ts) on the embedded PGlite (./pglite-prepared.ts): a marked
// statement answers as the same text sent as it is, is prepared once, fails as it would (and
// leaves PGlite usable), runs inside a transaction (prepared there too), and the ingest statement
// is one.
import { sql } from 'kysely'
import { expect, it } from 'vitest'
import { prepared } from './prepared.js'
import { ingest } from '../ingest/upsert.js'
import { hashKey } from '../lib/keys.js'
import { useTestDb } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'

const t = useTestDb()

/** One statement with parameters of the types the ingest statement sends. */
const probe = (n: number, text: string | null, doc: object) =>
  sql<{ n: number; text: string | null; doc: unknown; at: Date; big: string }>`SELECT
${n}::int AS n, ${text}::text AS text, ${JSON.stringify(doc)}::jsonb AS doc,
${new Date(Date.UTC(2026, 10, 30, 12, n))}::timestamptz AS at, (${n}::bigint * 1000000000000)::text AS big`

it('answers as the same text sent as it is, for any values, null included', async () => {
  const db = t.db
  for (const [n, text, doc] of [
    [1, 'one', { a: 1 }],
    [2, null, { nested: { list: [1, 'two', null] } }],
    [3, "it's", {}],
  ] as const) {
    const plain = (await probe(n, text, doc).execute(db)).rows
    const marked = (await prepared(probe(n, text, doc)).execute(db)).rows
    expect(marked).toEqual(plain)
    expect(marked[0]).toMatchObject({ n, text, doc })
  }
})

it('is prepared once, under one name, however often it is sent', async () => {
  const db = t.db
  for (let i = 0; i < 5; i++) await prepared(probe(i, 'x', {})).execute(db)
  const { rows } = await sql<{ name: string; statement: string }>`
    SELECT name, statement FROM pg_prepared_statements
    WHERE statement LIKE '/* prepared */%' AND statement LIKE '%AS big%'`.execute(db)
  expect(rows).toHaveLength(1)
  expect(rows[0]!.name).toMatch(/^tinycrm_/)
})

it('fails as the statement does, and the next ones still run', async () => {
  const db = t.db
  const divide = (by: number) => prepared(sql<{ q: number }>`SELECT (10 / ${by}::int) AS q`)
  await expect(divide(0).execute(db)).rejects.toMatchObject({ code: '22012' })
  expect((await divide(5).execute(db)).rows).toEqual([{ q: 2 }])
  await expect(divide(0).execute(db)).rejects.toMatchObject({ code: '22012' })
  expect((await probe(7, 'after', {}).execute(db)).rows[0]!.n).toBe(7)
})

it('runs in a transaction, and rolls back with it', async () => {
  const db = t.db
  const insert = (name: string) => prepared(sql`INSERT INTO accounts (name) VALUES (${name})`)
  await expect(
    db.transaction().execute(async (trx) => {
      await insert('prepared-rolled-back@example.com').execute(trx)
      throw new Error('roll back')
    }),
  ).rejects.toThrow('roll back')
  await db.transaction().execute((trx) => insert('prepared-kept@example.com').execute(trx))
  const { rows } = await sql<{ name: string }>`
    SELECT name FROM accounts WHERE name LIKE 'prepared-%' ORDER BY name`.execute(db)
  expect(rows.map((r) => r.name)).toEqual(['prepared-kept@example.com'])
})

it('is prepared inside a transaction too, and fails there as the statement does', async () => {
  const db = t.db
  const insert = (name: string) =>
    prepared(sql`INSERT INTO accounts (name) VALUES (${name}) RETURNING name AS inserted`)
  const kept = await db.transaction().execute(async (trx) => {
    const first = await insert('prepared-in-tx-1@example.com').execute(trx)
    const second = await insert('prepared-in-tx-2@example.com').execute(trx)
    return [...first.rows, ...second.rows]
  })
  expect(kept).toEqual([
    { inserted: 'prepared-in-tx-1@example.com' },
    { inserted: 'prepared-in-tx-2@example.com' },
  ])
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM pg_prepared_statements
    WHERE statement LIKE '/* prepared */%RETURNING name AS inserted%'`.execute(db)
  expect(rows[0]!.n).toBe(1)
  // A failing statement aborts its transaction: nothing of it stays, and the next one runs.
  await expect(
    db.transaction().execute(async (trx) => {
      await insert('prepared-in-tx-lost@example.com').execute(trx)
      await prepared(sql`SELECT (1 / ${0}::int) AS q`).execute(trx)
    }),
  ).rejects.toMatchObject({ code: '22012' })
  const after = await sql<{ name: string }>`
    SELECT name FROM accounts WHERE name LIKE 'prepared-in-tx-%' ORDER BY name`.execute(db)
  expect(after.rows.map((r) => r.name)).toEqual([
    'prepared-in-tx-1@example.com',
    'prepared-in-tx-2@example.com',
  ])
})

it('prepares the ingest statement, one per shape of request', async () => {
  const db = t.db
  const { projects } = await seedAccount(db, ['Prepared'])
  const keyHash = await hashKey(projects[0]!.key)
  for (let i = 0; i < 3; i++) {
    const email = `prepared-${i}@example.com`
    await ingest(db, keyHash, [{ type: 'identify', email, status: 'trial' }])
  }
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM pg_prepared_statements
    WHERE statement LIKE '/* prepared */%INSERT INTO customers%'`.execute(db)
  expect(rows[0]!.n).toBe(1)
})

it('answers many senders at once, each its own values', async () => {
  const db = t.db
  const answers = await Promise.all(
    Array.from({ length: 40 }, (_, i) => prepared(probe(i, `s${i}`, { i })).execute(db)),
  )
  expect(answers.map((a) => a.rows[0])).toEqual(
    answers.map((_, i) => expect.objectContaining({ n: i, text: `s${i}`, doc: { i } })),
  )
})
