// Merge, undo and delete from the dashboard (the /customers/:id/manage page's forms), and the API
// tokens settings page; both scoped to the signed-in account.
import { describe, expect, it } from 'vitest'
import { ingestForProject } from '../ingest/upsert.js'
import { useTestApp } from '../../test/support/db.js'
import { signUpWithProject } from '../../test/support/fixtures.js'

const t = useTestApp()

async function signedIn(email: string) {
  const { b, projectId } = await signUpWithProject(t, email)
  const id = async (customer: string, status?: 'paid') => {
    const [r] = await ingestForProject(t.db, projectId, [
      { type: 'identify', email: customer, status },
    ])
    return (r as { customerId: number }).customerId
  }
  return { b, id }
}

describe('merge, undo, delete in the dashboard', () => {
  it('merges keeping the other email, undoes, and deletes after typing the email', async () => {
    const { b, id } = await signedIn('m-owner@example.com')
    const work = await id('ann@work.example')
    const home = await id('ann@home.example')
    const page = await b.get(`/customers/${work}/manage`)
    expect(page.html).toContain('Merge with another customer')
    // No merge yet: nothing "below" to undo, and the page says where one would be.
    expect(page.html).not.toContain('undo a merge below')
    expect(page.html).toContain('A merge can be undone: it is then listed on this page, with Undo.')

    const merged = await b.post(`/customers/${work}/merge`, {
      other: 'ANN@home.example ',
      keep: 'other',
    })
    // It lands on the surviving customer's page, saying what happened, with Undo.
    expect(merged).toMatchObject({ status: 303, location: `/customers/${home}` })
    const landed = await b.follow(merged)
    expect(landed.html).toContain('Merged ann@work.example into ann@home.example.')
    const mergeId = /action="\/merges\/(\d+)\/undo"/.exec(landed.html)![1]
    const history = await b.get(`/customers/${home}/manage`)
    expect(history.html).toContain('ann@work.example</strong> merged')
    expect(history.html).toContain('You can undo a merge below.')
    const undone = await b.post(`/merges/${mergeId}/undo`)
    expect(undone.location).toBe(`/customers/${home}`)
    expect((await b.follow(undone)).html).toContain(
      'Undid the merge: ann@work.example is a customer of its own again.',
    )
    expect((await b.get(`/customers/${work}/manage`)).status).toBe(200)

    // Refused: back to the manage page (a GET: reload and Back post nothing), saying why at the
    // field, once.
    const wrong = await b.post(`/customers/${work}/delete`, { confirm: 'someone@else' })
    expect(wrong).toMatchObject({ status: 303, location: `/customers/${work}/manage` })
    const why = await b.follow(wrong)
    expect(why.status).toBe(200)
    expect(why.html).toContain(
      'id="delete-error">Type the customer’s email exactly to confirm the deletion.',
    )
    expect(why.html).toMatch(/value="someone@else"[^>]*aria-invalid="true"/)
    expect((await b.get(`/customers/${work}/manage`)).html).not.toContain('delete-error')
    const deleted = await b.post(`/customers/${work}/delete`, { confirm: 'ann@work.example' })
    expect(deleted.location).toBe('/customers')
    expect((await b.follow(deleted)).html).toContain('Deleted ann@work.example from every project')
    expect(
      await t.db.selectFrom('customers').select('id').where('id', '=', work).execute(),
    ).toEqual([])
  })

  it('answers a missing other customer with the reason, and keeps accounts apart', async () => {
    const { b, id } = await signedIn('m-a@example.com')
    const mine = await id('mine@x.example')
    const nobody = await b.post(`/customers/${mine}/merge`, { other: 'nobody@x.example' })
    expect(nobody).toMatchObject({ status: 303, location: `/customers/${mine}/manage` })
    expect((await b.follow(nobody)).html).toContain(
      'No customer with the email nobody@x.example in your account.',
    )
    const { b: other } = await signedIn('m-b@example.com')
    expect((await other.get(`/customers/${mine}/manage`)).status).toBe(404)
    expect(
      (await other.post(`/customers/${mine}/delete`, { confirm: 'mine@x.example' })).status,
    ).toBe(404)
    expect((await other.post(`/customers/${mine}/merge`, { other: 'mine@x.example' })).status).toBe(
      404,
    )
    expect(
      await t.db.selectFrom('customers').select('id').where('id', '=', mine).execute(),
    ).toHaveLength(1)
  })

  it('names the customer an email was merged into, rather than "no customer"', async () => {
    const { b, id } = await signedIn('m-c@example.com')
    const [p, q] = [await id('p@dm.example'), await id('q@dm.example')]
    await id('r@dm.example')
    expect((await b.post(`/customers/${q}/merge`, { other: 'r@dm.example' })).status).toBe(303)
    const elsewhere = await b.post(`/customers/${p}/merge`, { other: 'r@dm.example' })
    expect(elsewhere.status).toBe(303)
    expect((await b.follow(elsewhere)).html).toContain(
      'r@dm.example was merged into q@dm.example: merge with that email instead.',
    )
    const here = await b.post(`/customers/${q}/merge`, { other: 'R@dm.example' })
    expect((await b.follow(here)).html).toContain(
      'r@dm.example is already merged into this customer.',
    )
    // The merged customer's own page (an old link) leads to the one it is now.
    const r = await t.db
      .selectFrom('customers')
      .select('id')
      .where('email', '=', 'r@dm.example')
      .executeTakeFirstOrThrow()
    expect(await b.get(`/customers/${r.id}?back=in%3Dapp-a`)).toMatchObject({
      status: 303,
      location: `/customers/${q}?back=in%3Dapp-a`,
    })
  })

  it('a refused undo (the customer changed since the merge) says why on the manage page', async () => {
    const { b, id } = await signedIn('m-d@example.com')
    const [u, v] = [await id('u@undo.example'), await id('v@undo.example')]
    await b.get(`/customers/${u}/manage`)
    const merged = await b.post(`/customers/${u}/merge`, { other: 'v@undo.example' })
    const mergeId = /action="\/merges\/(\d+)\/undo"/.exec((await b.follow(merged)).html)![1]
    await id('v@undo.example', 'paid') // a write through the alias after the merge
    const undo = await b.post(`/merges/${mergeId}/undo`)
    expect(undo).toMatchObject({ status: 303, location: `/customers/${u}/manage` })
    const why = await b.follow(undo)
    expect(why.status).toBe(200)
    expect(why.html).toMatch(/role="alert"[^>]*>Cannot undo: [^<]+\.</)
    expect(why.html).not.toContain('data-testid="flash"')
    expect((await b.get(`/customers/${v}`)).location).toBe(`/customers/${u}`) // still merged
  })
})

describe('API tokens settings', () => {
  it('creates a token shown once that opens the API, and revokes it', async () => {
    const { b, id } = await signedIn('tok@example.com')
    await id('c@x.example')
    await b.get('/settings/tokens')
    const created = await b.post('/settings/tokens', { name: 'my script' })
    expect(created).toMatchObject({ status: 303, location: '/settings/tokens' })
    expect(created.html).not.toContain('tcrm_acct_')
    const shown = await b.follow(created)
    expect(shown.headers.get('Cache-Control')).toBe('no-store')
    expect(shown.html).toContain('Created the token “my script”.')
    const token = /data-testid="new-token">(tcrm_acct_[0-9A-Za-z]+)</.exec(shown.html)![1]!
    const api = await t.app.request('/v1/customers', {
      headers: { Authorization: `Bearer ${token}` },
    })
    expect(((await api.json()) as { customers: unknown[] }).customers).toHaveLength(1)
    const list = await b.get('/settings/tokens')
    expect(list.html).not.toContain(token)
    const tokenId = /action="\/settings\/tokens\/(\d+)\/revoke"/.exec(list.html)![1]
    const { b: other } = await signedIn('tok-other@example.com')
    await other.get('/settings/tokens')
    expect((await other.post(`/settings/tokens/${tokenId}/revoke`)).status).toBe(404)
    // A name refused: back to the page (a GET), saying why at the field, the name as typed.
    const long = 'x'.repeat(81)
    const refusedName = await b.post('/settings/tokens', { name: long })
    expect(refusedName).toMatchObject({ status: 303, location: '/settings/tokens' })
    const why = await b.follow(refusedName)
    expect(why.html).toMatch(/id="token-error">[^<]+/)
    expect(why.html).toMatch(new RegExp(`value="${long}"[^>]*aria-invalid="true"`))
    const revoked = await b.post(`/settings/tokens/${tokenId}/revoke`)
    expect(revoked.status).toBe(303)
    expect((await b.follow(revoked)).html).toContain('Revoked the token “my script”')
    const refused = await t.app.request('/v1/customers', {
      headers: { Authorization: `Bearer ${token}` },
    })
    expect(refused.status).toBe(403)
  })
})
