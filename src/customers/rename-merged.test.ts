// Renaming a customer from its page after it was merged into another (the page left open while a
// teammate merged, or a rename racing the merge): the name went onto the merged customer's hidden
// row, the form answered "Saved" and led to the survivor, which kept its own name; an undo then
// restored the snapshot's name, so the rename was lost either way. It must be refused, saying
// where the customer went, and change nothing.
import { expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { logInSeeded, postJson } from '../../test/support/fixtures.js'
import { mergeCustomers } from '../merges/store.js'

const t = useTestApp()

it('refuses to rename a customer merged meanwhile, naming the one it was merged into', async () => {
  const { b, seeded } = await logInSeeded(t)
  const key = seeded.projects[0]!.key
  const ids: number[] = []
  for (const email of ['kept@example.com', 'gone@example.com']) {
    const res = await postJson(t.app, '/v1/identify', key, { email, name: email.split('@')[0] })
    ids.push(res.body.customerId as number)
  }
  const [kept, gone] = ids as [number, number]
  await b.get(`/customers/${gone}`) // the page, opened before the merge
  await mergeCustomers(t.db, {
    accountId: seeded.accountId,
    survivorId: kept,
    absorbedId: gone,
    actor: 'test',
  })
  const res = await b.post(`/customers/${gone}/name`, { name: 'Typed After The Merge' })
  expect(res.status).toBe(409)
  expect(res.html).toContain('merged into kept@example.com')
  const names = await t.db
    .selectFrom('customers')
    .select(['id', 'name'])
    .where('id', 'in', [kept, gone])
    .orderBy('id')
    .execute()
  expect(names.map((n) => n.name)).toEqual(['kept', 'gone'])
})
