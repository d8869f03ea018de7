// Names people and scripts give (a customer's, a project's, a saved view's, a token's, an uploaded
// file's) that Postgres cannot store as sent: a NUL character, or half of a surrogate pair. Each is
// refused as a 400 that names the field, through the same rule as ingest's (./text.ts), and
// nothing is written; before, the database refused the statement and the answer named no field
// ("A value in the request could not be stored"), or stored U+FFFD in place of the half.
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { logInSeeded, postJson } from '../../test/support/fixtures.js'
import { createAccountToken } from '../account-api/tokens.js'
import { ApiError } from './errors.js'
import { storableText, textProblem } from './text.js'

const t = useTestApp()
const NUL = 'a\u0000b'
const HALF = 'cut \ud83d'

describe('textProblem', () => {
  it('names a NUL character and half of a surrogate pair, and nothing else', () => {
    expect(textProblem(NUL)).toMatch(/NUL character/)
    expect(textProblem(HALF)).toMatch(/surrogate pair/)
    expect(textProblem('\udc00 tail')).toMatch(/surrogate pair/)
    expect(textProblem('Zoë 🎉 李')).toBeUndefined()
  })
})

describe('storableText', () => {
  it('passes text it can store, and refuses the rest with one message naming the field', () => {
    expect(storableText('name', 'Zoë 🎉 李')).toBe('Zoë 🎉 李')
    const refusal = (field: string, text: string) => {
      try {
        storableText(field, text)
      } catch (err) {
        return err instanceof ApiError ? { ...err.toJSON(), status: err.status } : err
      }
    }
    expect(refusal('name', NUL)).toEqual({
      code: 'validation_failed',
      status: 400,
      message: 'name contains a NUL character (\\u0000)',
      details: [{ path: 'name', message: 'contains a NUL character (\\u0000)' }],
    })
    expect(refusal('label', HALF)).toMatchObject({
      message:
        'label contains half of a UTF-16 surrogate pair (a character such as an emoji cut in two)',
      details: [{ path: 'label' }],
    })
  })
})

describe('dashboard forms', () => {
  it('refuse a NUL character in a name, saying which field, writing nothing', async () => {
    const { b, seeded } = await logInSeeded(t, ['App A'])
    const project = seeded.projects[0]!
    const { body } = await postJson(t.app, '/v1/identify', project.key, {
      email: 'zoe@example.com',
      name: 'Zoë',
    })

    // Each form redirects a refusal back to the page it was sent from and says it there (a view
    // saved from the table goes back to that table).
    const customerPage = `/customers/${body.customerId}`
    const projectPage = `/projects/${project.project.id}`
    const refusals: [string, Record<string, string>, string, string][] = [
      [`${customerPage}/name`, { name: NUL }, customerPage, customerPage],
      ['/projects', { name: NUL }, '/projects', '/projects'],
      [projectPage, { name: NUL }, projectPage, projectPage],
      ['/customers/views', { name: NUL, query: '' }, '/customers', '/customers'],
      ['/settings/tokens', { name: NUL }, '/settings/tokens', '/settings/tokens'],
    ]
    for (const [path, fields, page, back] of refusals) {
      await b.get(page)
      const res = await b.post(path, fields)
      expect(res.status, path).toBe(303)
      expect(res.location, path).toBe(back)
      expect((await b.follow(res)).html, path).toMatch(/NUL character/)
    }

    const { accountId } = seeded
    const names = async (table: 'projects' | 'saved_views' | 'account_tokens') =>
      (await t.db.selectFrom(table).select('name').where('account_id', '=', accountId).execute())
        .map((r) => r.name)
        .filter((n) => n.includes('\u0000'))
    expect(await names('projects')).toEqual([])
    expect(await names('saved_views')).toEqual([])
    expect(await names('account_tokens')).toEqual([])
    const customer = await t.db
      .selectFrom('customers')
      .select('name')
      .where('id', '=', body.customerId)
      .executeTakeFirstOrThrow()
    expect(customer.name).toBe('Zoë')
  })

  it("refuse a NUL character in an uploaded file's name, storing no import", async () => {
    const { b, seeded } = await logInSeeded(t, ['App A'])
    const projectId = seeded.projects[0]!.project.id
    await b.get('/imports/new')
    const res = await b.request(
      `/imports/stream?project=${projectId}&name=${encodeURIComponent(NUL + '.csv')}`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'text/csv', 'X-CSRF-Token': b.csrf, Accept: 'application/json' },
        body: 'email\nzoe@example.com\n',
      },
    )
    expect(res.status).toBe(400)
    const error = JSON.parse(res.html).error
    expect(error.details).toEqual([{ path: 'name', message: expect.stringMatching(/NUL/) }])
    expect(error.message).toBe('name contains a NUL character (\\u0000)')
    const imports = await t.db
      .selectFrom('imports')
      .select('id')
      .where('account_id', '=', seeded.accountId)
      .execute()
    expect(imports).toEqual([])
  })
})

describe('account API', () => {
  it('refuses a NUL character or half a surrogate pair in a name, naming the field', async () => {
    const { seeded } = await logInSeeded(t, ['App A'])
    const { token } = await createAccountToken(t.db, seeded.accountId, 'script')
    for (const bad of [NUL, HALF]) {
      for (const [path, body] of [
        ['/v1/projects', { name: bad }],
        ['/v1/views', { name: bad, query: '' }],
      ] as const) {
        const res = await postJson(t.app, path, token, body)
        expect(res.status, `${path} ${JSON.stringify(bad)}`).toBe(400)
        expect(res.body.error.details, path).toEqual([
          { path: 'name', message: expect.stringMatching(/NUL character|surrogate pair/) },
        ])
        // One wording wherever a name is refused: the field, then why.
        expect(res.body.error.message, path).toBe(`name ${textProblem(bad)}`)
      }
    }
    const projects = await t.db
      .selectFrom('projects')
      .select('name')
      .where('account_id', '=', seeded.accountId)
      .execute()
    expect(projects.map((p) => p.name)).toEqual(['App A'])
    const views = await t.db
      .selectFrom('saved_views')
      .select('name')
      .where('account_id', '=', seeded.accountId)
      .execute()
    expect(views).toEqual([])
  })

  it('refuses them when a view is renamed', async () => {
    const { seeded } = await logInSeeded(t, ['App A'])
    const { token } = await createAccountToken(t.db, seeded.accountId, 'script')
    const created = await postJson(t.app, '/v1/views', token, { name: 'Mine', query: '' })
    const res = await t.app.request(`/v1/views/${created.body.view.id}`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: HALF }),
    })
    expect(res.status).toBe(400)
    const views = await t.db
      .selectFrom('saved_views')
      .select('name')
      .where('account_id', '=', seeded.accountId)
      .execute()
    expect(views).toEqual([{ name: 'Mine' }])
  })
})
