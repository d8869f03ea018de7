// Deleting a project deletes the customers only in it, and with them every merge that names them:
// a merge's snapshot holds both customers' emails and params.
import { expect, it } from 'vitest'
import { useTestDb } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { ingestForProject, type ItemResult } from '../ingest/upsert.js'
import { mergeCustomers, undoMerge } from '../merges/store.js'
import { deleteProject } from './delete.js'

const t = useTestDb()
const actor = 'user:1'
const idOf = (r: ItemResult | undefined) => (r as { customerId: number }).customerId

it('deletes the merges of the customers it deletes, and keeps those of customers who stay', async () => {
  const { accountId, projects } = await seedAccount(t.db)
  const [a, b] = projects.map((p) => p.project.id) as [number, number]
  const only = await ingestForProject(t.db, a, [
    { type: 'identify', email: 'keeper@gone.example', params: { secret: 'x' } },
    { type: 'identify', email: 'absorbed@gone.example', params: { secret: 'y-private' } },
    { type: 'identify', email: 'undone@gone.example' },
  ])
  const [keeper, absorbed, undone] = only.map(idOf) as [number, number, number]
  const both = await ingestForProject(t.db, b, [
    { type: 'identify', email: 'stays@both.example' },
    { type: 'identify', email: 'merged-in@both.example' },
  ])
  const [stays, mergedIn] = both.map(idOf) as [number, number]
  await ingestForProject(t.db, a, [{ type: 'identify', email: 'stays@both.example' }])

  // Only in App A: a merge, and a merge undone (its snapshot still holds both customers).
  const gone = await mergeCustomers(t.db, {
    accountId,
    survivorId: keeper,
    absorbedId: absorbed,
    actor,
  })
  const undoneMerge = await mergeCustomers(t.db, {
    accountId,
    survivorId: keeper,
    absorbedId: undone,
    actor,
  })
  await undoMerge(t.db, { accountId, mergeId: undoneMerge.mergeId, actor })
  // In App B too: its merge stays.
  const kept = await mergeCustomers(t.db, {
    accountId,
    survivorId: stays,
    absorbedId: mergedIn,
    actor,
  })

  expect(await deleteProject(t.db, accountId, a)).toEqual({ removedCustomers: 2 })

  const merges = await t.db
    .selectFrom('merges')
    .select('id')
    .where('account_id', '=', accountId)
    .execute()
  expect(merges.map((m) => m.id)).toEqual([kept.mergeId])
  const customers = await t.db
    .selectFrom('customers')
    .select('email')
    .where('account_id', '=', accountId)
    .orderBy('email')
    .execute()
  expect(customers.map((c) => c.email)).toEqual(['merged-in@both.example', 'stays@both.example'])
  expect(gone.mergeId).not.toBe(kept.mergeId)
})
