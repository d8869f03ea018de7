// The migration that deletes the merges a project's deletion left behind
// (migrations/2026-12-02T00-merges-of-deleted-customers.ts): a merge whose survivor or absorbed
// customer is gone goes, with the data its snapshot holds; a merge of customers who are there stays.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { Kysely, PGliteDialect, sql } from 'kysely'
import { Migrator } from 'kysely/migration'
import { migrations } from '../../migrations/index.js'
import type { Database } from '../db/schema.js'

let pglite: PGlite
let db: Kysely<Database>
const migrator = () => new Migrator({ db, provider: { getMigrations: async () => migrations } })

beforeAll(async () => {
  pglite = await PGlite.create('memory://', {
    parsers: { 20: (v: string) => Number(v) },
    extensions: { pg_trgm },
  })
  db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) })
  const { error } = await migrator().migrateTo('2026-12-01T01-billing-customer-name')
  if (error) throw error
})
afterAll(() => db.destroy())

it('deletes the merges whose survivor or absorbed customer is gone, and only those', async () => {
  const accountId = (
    await sql<{ id: number }>`INSERT INTO accounts (name) VALUES ('Acme') RETURNING id`.execute(db)
  ).rows[0]!.id
  const customer = async (email: string) =>
    (
      await sql<{ id: number }>`INSERT INTO customers (account_id, email)
        VALUES (${accountId}, ${email}) RETURNING id`.execute(db)
    ).rows[0]!.id
  const [survivor, absorbed, other] = [
    await customer('s@x.example'),
    await customer('a@x.example'),
    await customer('o@x.example'),
  ]
  const merge = async (survivorId: number, absorbedId: number) =>
    (
      await sql<{ id: number }>`INSERT INTO merges (account_id, survivor_id, absorbed_id,
        absorbed_email, snapshot, actor)
      VALUES (${accountId}, ${survivorId}, ${absorbedId}, 'a@x.example',
        '{"params": {"secret": "y-private"}}', 'user:1') RETURNING id`.execute(db)
    ).rows[0]!.id
  const kept = await merge(survivor, absorbed)
  const survivorGone = await merge(other, absorbed)
  const absorbedGone = await merge(survivor, other)
  await sql`DELETE FROM customers WHERE id = ${other}`.execute(db)

  expect((await db.selectFrom('merges').select('id').execute()).length).toBe(3)
  const { error } = await migrator().migrateToLatest()
  if (error) throw error

  const left = await db.selectFrom('merges').select('id').orderBy('id').execute()
  expect(left.map((m) => m.id)).toEqual([kept])
  expect([survivorGone, absorbedGone]).not.toContain(kept)
})
