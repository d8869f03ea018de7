// The migration from the alias table to tombstones (migrations/2026-11-28T00-merge-tombstones.ts),
// on a database that has merges made the old way: each alias becomes the tombstone of the customer
// it was (same id, its values from the merge record), a merge nothing has touched since stays
// undoable, and an email that the old race had re-created as a second customer stays that one.
import { expect, it } from 'vitest'
import { sql } from 'kysely'
import { useDbMigratedTo } from '../../test/support/migrated-to.js'
import { undoMerge } from './store.js'

const m = useDbMigratedTo('2026-11-23T04-import-emails')

it('turns aliases into tombstones and keeps an untouched merge undoable', async () => {
  // The schema as it stood at that migration: the store's functions write today's columns.
  const accountId = (
    await sql<{ id: number }>`INSERT INTO accounts (name) VALUES ('Acme') RETURNING id`.execute(
      m.db,
    )
  ).rows[0]!.id
  const [a, b] = (
    await sql<{ id: number }>`INSERT INTO projects (account_id, name, slug)
      VALUES (${accountId}, 'App A', 'app-a'), (${accountId}, 'App B', 'app-b')
      RETURNING id`.execute(m.db)
  ).rows.map((r) => r.id) as [number, number]
  const customer = async (email: string, name: string) =>
    (
      await sql<{ id: number }>`INSERT INTO customers (account_id, email, name, created_at,
        last_activity_at, updated_at)
      VALUES (${accountId}, ${email}, ${name}, '2026-01-01', '2026-02-01', '2026-02-01')
      RETURNING id`.execute(m.db)
    ).rows[0]!.id
  const relate = (id: number, project: number, params: object) =>
    sql`INSERT INTO customer_projects (customer_id, project_id, account_id, params, first_seen_at,
      last_activity_at, updated_at)
    VALUES (${id}, ${project}, ${accountId}, ${JSON.stringify(params)}, '2026-01-01',
      '2026-02-01', '2026-02-01')`.execute(m.db)
  const work = await customer('ann@work.example', 'Ann')
  const home = await customer('ann@home.example', 'Ann Home')
  await relate(work, a, { plan: 'pro' })
  await relate(home, b, { source: 'home' })
  // A merge as the old code made it: snapshot, relations moved, absorbed row deleted, an alias.
  const merge = (
    await sql<{ id: number }>`INSERT INTO merges (account_id, survivor_id, absorbed_id,
      absorbed_email, actor, snapshot)
    SELECT ${accountId}, s.id, x.id, x.email, 'user:1', jsonb_build_object(
      'survivor', to_jsonb(s), 'absorbed', to_jsonb(x),
      'survivor_projects', (SELECT jsonb_agg(to_jsonb(r)) FROM customer_projects r
        WHERE r.customer_id = s.id),
      'absorbed_projects', (SELECT jsonb_agg(to_jsonb(r)) FROM customer_projects r
        WHERE r.customer_id = x.id),
      'absorbed_aliases', '[]'::jsonb)
    FROM customers s, customers x WHERE s.id = ${work} AND x.id = ${home}
    RETURNING id`.execute(m.db)
  ).rows[0]!.id
  await sql`UPDATE customer_projects SET customer_id = ${work} WHERE customer_id = ${home}`.execute(
    m.db,
  )
  await sql`DELETE FROM customers WHERE id = ${home}`.execute(m.db)
  await sql`INSERT INTO customer_aliases (account_id, email, customer_id, merge_id)
    VALUES (${accountId}, 'ann@home.example', ${work}, ${merge}),
      (${accountId}, 'ann@old.example', ${work}, NULL),
      (${accountId}, 'ann@again.example', ${work}, NULL)`.execute(m.db)
  // The old race's aftermath: an alias whose email exists again as a customer of its own.
  const again = await customer('ann@again.example', 'Again')

  await m.toLatest()

  const rows = await m.db
    .selectFrom('customers')
    .select(['id', 'email', 'name', 'merged_into'])
    .where('account_id', '=', accountId)
    .orderBy('email')
    .execute()
  expect(rows).toEqual([
    { id: again, email: 'ann@again.example', name: 'Again', merged_into: null },
    { id: home, email: 'ann@home.example', name: 'Ann Home', merged_into: work },
    { id: expect.any(Number), email: 'ann@old.example', name: null, merged_into: work },
    { id: work, email: 'ann@work.example', name: 'Ann', merged_into: null },
  ])

  await undoMerge(m.db, { accountId, mergeId: merge, actor: 'user:1' })
  const back = await m.db
    .selectFrom('customer_projects')
    .select(['customer_id', 'project_id', 'params'])
    .where('account_id', '=', accountId)
    .orderBy('project_id')
    .execute()
  expect(back).toEqual([
    { customer_id: work, project_id: a, params: { plan: 'pro' } },
    { customer_id: home, project_id: b, params: { source: 'home' } },
  ])
})
