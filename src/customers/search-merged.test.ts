// `q=` finds a customer through an email merged into it (support mail from an old address still
// leads to the person). The row shows the survivor's own email, which need not contain the text
// searched for: the page says which merged email matched, and says nothing when the customer's
// own email or name matched.
import { expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { logInSeeded, postJson } from '../../test/support/fixtures.js'
import { mergeCustomers } from '../merges/store.js'

const t = useTestApp()

it('says which merged email q= found a customer by, and only then', async () => {
  const { b, seeded } = await logInSeeded(t)
  const key = seeded.projects[0]!.key
  const ids: number[] = []
  for (const [email, name] of [
    ['ada@work.example', 'Ada'],
    ['ada.old@home.example', 'Ada'],
    ['grace@home.example', 'Grace'],
  ] as const) {
    const res = await postJson(t.app, '/v1/identify', key, { email, name })
    ids.push(res.body.customerId as number)
  }
  const [ada, adaOld] = ids as [number, number, number]
  await mergeCustomers(t.db, {
    accountId: seeded.accountId,
    survivorId: ada,
    absorbedId: adaOld,
    actor: 'test',
  })

  const byOld = await b.get('/customers?q=home.example')
  const rows = [...byOld.html.matchAll(/data-customer="([^"]+)"/g)].map((m) => m[1])
  expect(rows.sort()).toEqual(['ada@work.example', 'grace@home.example'])
  expect(byOld.html).toContain('found by ada.old@home.example, merged into it')
  // grace matched by her own email: no note on her row.
  expect(byOld.html.match(/matched-email/g)).toHaveLength(1)

  // Found by its own email (or name), the survivor's row has no note.
  for (const q of ['work.example', 'Ada']) {
    const own = await b.get(`/customers?q=${q}`)
    expect(own.html).toContain('data-customer="ada@work.example"')
    expect(own.html).not.toContain('matched-email')
  }
})
