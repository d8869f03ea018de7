// The migration that deletes the merges a project's deletion left behind
// (migrations/2026-12-02T00-merges-of-deleted-customers.ts): a merge whose survivor or absorbed
// customer is gone goes, with the data its snapshot holds; a merge of customers who are there stays.
import { expect, it } from 'vitest'
import { sql } from 'kysely'
import { useDbMigratedTo } from '../../test/support/migrated-to.js'

const m = useDbMigratedTo('2026-12-01T01-billing-customer-name')

it('deletes the merges whose survivor or absorbed customer is gone, and only those', async () => {
  const accountId = (
    await sql<{ id: number }>`INSERT INTO accounts (name) VALUES ('Acme') RETURNING id`.execute(
      m.db,
    )
  ).rows[0]!.id
  const customer = async (email: string) =>
    (
      await sql<{ id: number }>`INSERT INTO customers (account_id, email)
        VALUES (${accountId}, ${email}) RETURNING id`.execute(m.db)
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
        '{"params": {"secret": "y-private"}}', 'user:1') RETURNING id`.execute(m.db)
    ).rows[0]!.id
  const kept = await merge(survivor, absorbed)
  const survivorGone = await merge(other, absorbed)
  const absorbedGone = await merge(survivor, other)
  await sql`DELETE FROM customers WHERE id = ${other}`.execute(m.db)

  expect((await m.db.selectFrom('merges').select('id').execute()).length).toBe(3)
  await m.toLatest()

  const left = await m.db.selectFrom('merges').select('id').orderBy('id').execute()
  expect(left.map((m) => m.id)).toEqual([kept])
  expect([survivorGone, absorbedGone]).not.toContain(kept)
})
