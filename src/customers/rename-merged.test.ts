// Renaming a customer from its page after it was merged into another (the page left open while a
// teammate merged, or a rename racing the merge): the name went onto the merged customer's hidden
// row, the form answered "Saved" and led to the survivor, which kept its own name; an undo then
// restored the snapshot's name, so the rename was lost either way. It must change nothing, and
// open the customer it went into, its rename form holding the name typed and saying why.
import { expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { logInSeeded, postJson } from '../../test/support/fixtures.js'
import { mergeCustomers } from '../merges/store.js'

const t = useTestApp()

it('refuses to rename a customer merged meanwhile, opening the one it was merged into', async () => {
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
  expect(res.status).toBe(303)
  expect(res.location).toBe(`/customers/${kept}`)
  const page = await b.follow(res)
  expect(page.html).toContain(
    'This customer was merged into kept@example.com: the name was not saved. Save it here?',
  )
  expect(page.html).toMatch(/<details class="rename" open/)
  expect(page.html).toContain('value="Typed After The Merge"')
  // From the page's own form (htmx), the same page opens, as a page.
  const htmx = await b.post(
    `/customers/${gone}/name`,
    { name: 'Typed Again' },
    { 'HX-Request': 'true' },
  )
  expect(htmx.status).toBe(200)
  expect(htmx.headers.get('HX-Redirect')).toBe(`/customers/${kept}`)
  expect((await b.get(`/customers/${kept}`)).html).toContain('value="Typed Again"')
  const names = await t.db
    .selectFrom('customers')
    .select(['id', 'name'])
    .where('id', 'in', [kept, gone])
    .orderBy('id')
    .execute()
  expect(names.map((n) => n.name)).toEqual(['kept', 'gone'])
})
