// Settings → API tokens (over PGlite): a token made here records who made it, and the list shows
// it; one made by the CLI (or before tokens recorded it) shows "—".
import { expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { logInSeeded } from '../../test/support/fixtures.js'
import { createAccountToken } from './tokens.js'

const t = useTestApp()

/** The table row of the token named `name` on the page. */
const rowOf = (html: string, name: string) =>
  new RegExp(`<tr>(?:(?!</tr>).)*<td>${name}</td>(?:(?!</tr>).)*</tr>`, 's').exec(html)?.[0]

it('lists who made each token', async () => {
  const { b, seeded } = await logInSeeded(t, [])
  await createAccountToken(t.db, seeded.accountId, 'cli made')
  await b.get('/settings/tokens')
  expect((await b.post('/settings/tokens', { name: 'dashboard made' })).status).toBe(303)
  const page = (await b.get('/settings/tokens')).html
  expect(page).toContain('<th scope="col">Created by</th>')
  expect(rowOf(page, 'dashboard made')).toContain(`<td>${seeded.email}</td>`)
  expect(rowOf(page, 'cli made')).toContain('<td>—</td>')
  const stored = await t.db
    .selectFrom('account_tokens')
    .select(['name', 'created_by'])
    .where('account_id', '=', seeded.accountId)
    .orderBy('id')
    .execute()
  expect(stored).toEqual([
    { name: 'cli made', created_by: null },
    { name: 'dashboard made', created_by: seeded.userId },
  ])
})
