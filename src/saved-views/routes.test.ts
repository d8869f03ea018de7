// Saved views over HTTP on Node + PGlite: the account API (/v1/views: list, create, rename and
// refilter, reorder, delete, each bad field named, another account's view not found), the
// dashboard's rail (live counts, the current view marked, rename, move and delete without
// JavaScript),
// and the ready views: the README's questions with the account's own slugs, giving the same
// customers as the question URLs. Races are in store.pg.test.ts.
import { beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { createAccountToken } from '../account-api/tokens.js'
import { createApp } from '../app.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { QUESTIONS, useQuestions } from '../../test/support/customers-fixture.js'
import { createProject } from '../projects/store.js'
import { READY_VIEWS } from './ready.js'
import { countViews } from './counts.js'
import { listViews, listViewsWithSlugs } from './store.js'

const t = useTestApp()
const fx = useQuestions(t)
let token: string

beforeAll(async () => {
  token = (await createAccountToken(t.db, fx.accountId, 'views')).token
})

async function call(method: string, path: string, body?: unknown, bearer = token) {
  const headers: Record<string, string> = { Authorization: `Bearer ${bearer}` }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await t.app.request(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as any }
}

async function page(path: string, headers: Record<string, string> = {}) {
  const res = await t.app.request(path, {
    headers: { Cookie: fx.cookie, Accept: 'text/html', ...headers },
  })
  return { status: res.status, headers: res.headers, html: await res.text() }
}

const ids = (html: string) =>
  [...html.matchAll(/data-customer="([^@"]+)@/g)].map((m) => m[1]).sort()

describe('the ready views', () => {
  it('an account with two projects has the questions as views, with its own slugs', async () => {
    const views = await listViews(t.db, fx.accountId)
    expect(views.map((v) => v.name)).toEqual(
      READY_VIEWS.map((v) => v.name.replaceAll('{A}', 'App A').replaceAll('{B}', 'App B')),
    )
    expect(views.find((v) => v.name === 'Paid on App B')?.query).toBe('in=app-b:paid')
  })

  it('each view gives the same customers as the README question it stands for', async () => {
    const views = await listViews(t.db, fx.accountId)
    let compared = 0
    for (const q of QUESTIONS) {
      const view = views.find((v) => v.query === q.query)
      if (!view) continue
      compared++
      const viaView = ids((await page(`/customers?${view.query}`)).html)
      expect(viaView, q.question).toEqual([...q.answer].sort())
    }
    expect(compared).toBeGreaterThanOrEqual(10)
  })

  it('two first projects of one name are told apart by their slugs', async () => {
    // The CLI makes a second "App A" app-a-2 (the dashboard, once confirmed): the views read
    // "Uses App A (app-a) and App A (app-a-2)", not "Uses App A and App A".
    const seeded = await seedAccount(t.db, ['App A'])
    await createProject(t.db, { accountId: seeded.accountId, name: 'app a ', duplicate: true })
    const names = (await listViews(t.db, seeded.accountId)).map((v) => v.name)
    expect(names).toContain('Uses App A (app-a) and app a (app-a-2)')
    expect(names).toContain('App A (app-a) but not app a (app-a-2) (cross-sell)')
    expect(names).toContain('Paid on app a (app-a-2)')
    expect(names).toHaveLength(READY_VIEWS.length)
  })

  it('are not added to an account with one project', async () => {
    const one = await seedAccount(t.db, ['Only'])
    expect(await listViews(t.db, one.accountId)).toEqual([])
  })
})

describe('/v1/views (account API)', () => {
  it('creates, renames, refilters, reorders and deletes a view', async () => {
    const created = await call('POST', '/v1/views', {
      name: '  Paying on B  ',
      query: '?in=app-b:paid&sort=email',
    })
    expect(created.status).toBe(201)
    expect(created.body.view).toMatchObject({
      name: 'Paying on B',
      query: 'in=app-b:paid&sort=email',
      url: '/customers?in=app-b:paid&sort=email',
    })
    const id = created.body.view.id
    const renamed = await call('PATCH', `/v1/views/${id}`, { name: 'B payers', query: 'in=app-b' })
    expect(renamed.body.view).toMatchObject({ id, name: 'B payers', query: 'in=app-b' })

    const listed = (await call('GET', '/v1/views')).body.views as { id: number }[]
    expect(listed.at(-1)!.id).toBe(id)
    const order = [id, ...listed.filter((v) => v.id !== id).map((v) => v.id)]
    const reordered = await call('PUT', '/v1/views/order', { ids: order })
    expect(reordered.body.views.map((v: { id: number }) => v.id)).toEqual(order)

    expect((await call('DELETE', `/v1/views/${id}`)).body).toEqual({ ok: true, id })
    expect((await call('DELETE', `/v1/views/${id}`)).status).toBe(404)
  })

  it('names each bad field: an empty name, a filter the parser refuses, a project not yours', async () => {
    const bad = async (body: unknown) => (await call('POST', '/v1/views', body)).body.error
    expect(await bad({ name: ' ', query: '' })).toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'name', message: '1 to 80 characters' }],
    })
    expect((await bad({ name: 'x', query: 'p=plan:like:pro' })).details[0].path).toBe('query.p')
    expect((await bad({ name: 'x', query: 'in=app-z' })).message).toContain("no project 'app-z'")
    expect((await bad({ name: 'x', query: 'after=abc' })).details[0].path).toBe('query.after')
    expect((await bad({ query: 'in=app-a' })).message).toBe('name is required (a string)')
    expect((await bad({ name: 'x' })).message).toBe(
      'query is required (a string): a URL query like in=app-a:paid, or empty for every customer',
    )
    expect((await bad({ name: 7, query: 1 })).message).toBe(
      'name must be a string, not a number; query must be a string (a URL query like in=app-a:paid)',
    )
    expect(await bad({ name: 'Trials', query: 'status=trial' })).toMatchObject({
      message: "name: you already have a view named 'Trials'",
    })
    const own = (await call('GET', '/v1/views')).body.views[0].id
    for (const ids of [[own, own], [own, 999_999], 'x']) {
      const order = await call('PUT', '/v1/views/order', { ids })
      expect(order.body.error.details[0].path).toBe('ids')
    }
  })

  it("never shows or touches another account's view", async () => {
    const other = await seedAccount(t.db, ['Other'])
    const theirs = (await createAccountToken(t.db, other.accountId, 'x')).token
    const mine = (await call('GET', '/v1/views')).body.views[0]
    expect((await call('GET', '/v1/views', undefined, theirs)).body.views).toEqual([])
    expect((await call('PATCH', `/v1/views/${mine.id}`, { name: 'x' }, theirs)).status).toBe(404)
    expect((await call('DELETE', `/v1/views/${mine.id}`, undefined, theirs)).status).toBe(404)
    expect((await call('GET', '/v1/views')).body.views[0]).toEqual(mine)
  })
})

describe('the rail (dashboard)', () => {
  it('lists every view with its live count, and marks the one the table shows', async () => {
    const rail = await page('/customers/views', {
      'HX-Request': 'true',
      'HX-Current-URL': 'http://localhost/customers?in=app-b:paid',
    })
    expect(rail.html.startsWith('<nav id="views-rail"')).toBe(true)
    expect(rail.html).toMatch(/aria-current="page"[^>]*>[^]*?Paid on App B/)
    const paid = /Paid on App B<\/span><span class="rail-count" data-view-count="(\d+)"/.exec(
      rail.html,
    )
    expect(Number(paid?.[1])).toBe(
      QUESTIONS.find((q) => q.query === 'in=app-b:paid')!.answer.length,
    )
    expect(rail.html).toContain('data-view-count="8"') // all customers
    // One Tab stop from the first byte: the view shown and its ⋯; every other view is -1.
    const stops = [...rail.html.matchAll(/<(a|summary)[^>]*tabindex="0"[^>]*>/g)]
    expect(stops.map((m) => m[1])).toEqual(['a', 'summary'])
    expect(stops[0]![0]).toContain('aria-current="page"')
    expect(rail.html).toMatch(/aria-label="Manage the view Paid on App B" tabindex="0"/)
  })

  it('counts no view for an account past the exact-count threshold, and says so', async () => {
    // The threshold lowered to 3 (it is 100,000): the 8 customers make a large account.
    const app = createApp({ db: t.db, config: { exactCountUpTo: 3 } })
    const res = await app.request('/customers/views', {
      headers: { Cookie: fx.cookie, Accept: 'text/html', 'HX-Request': 'true' },
    })
    const html = await res.text()
    expect(res.status).toBe(200)
    expect(html).toContain('Paid on App B')
    expect(html).not.toContain('data-view-count')
    expect(html).not.toContain('cannot be counted')
    expect(html).toMatch(/title="Views are counted for accounts of up to 3 customers">3\+</)
    // Just at the threshold, every view is counted as before.
    const atThreshold = createApp({ db: t.db, config: { exactCountUpTo: 8 } })
    const counted = await (
      await atThreshold.request('/customers/views', {
        headers: { Cookie: fx.cookie, Accept: 'text/html', 'HX-Request': 'true' },
      })
    ).text()
    expect(counted).toContain('data-view-count="8"')
  })

  it('counts only the first views in the rail when counting them all would read too many customers', async () => {
    const { views, slugs } = await listViewsWithSlugs(t.db, fx.accountId)
    expect(views.length).toBeGreaterThan(3)
    const all = { id: 0, name: '', query: '', position: 0 }
    // 8 customers and room for 24 read: everyone's count and the first two views (3 × 8).
    const counts = await countViews(t.db, fx.accountId, [all, ...views], slugs, {
      countedRows: 24,
    })
    expect(counts.get(0)).toEqual({ count: 8 })
    const shown = views.map((v) => counts.get(v.id))
    expect(shown.slice(0, 2).every((c) => c && 'count' in c)).toBe(true)
    expect(shown.slice(2).every((c) => c && 'uncounted' in c)).toBe(true)
    // Room for every one: all counted, as the rail counts a small account's views.
    const every = await countViews(t.db, fx.accountId, [all, ...views], slugs)
    expect([...every.values()].every((c) => 'count' in c)).toBe(true)
  })

  it('saves the current filter without JavaScript and opens it', async () => {
    const table = await page('/customers?in=app-a&sort=email')
    const csrf = /name="_csrf" value="([^"]+)"/.exec(table.html)![1]!
    const query = /name="query" value="([^"]+)"/.exec(table.html)![1]!
    expect(query).toBe('in=app-a&amp;sort=email')
    const res = await t.app.request('/customers/views', {
      method: 'POST',
      headers: { Cookie: fx.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        _csrf: csrf,
        name: 'A by email',
        query: 'in=app-a&sort=email',
      }).toString(),
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe('/customers?in=app-a&sort=email')
    const views = await listViews(t.db, fx.accountId)
    const saved = views.find((v) => v.name === 'A by email')!
    // Move it up, then delete it: plain forms, each back to the views page.
    const post = (path: string, fields: Record<string, string>) =>
      t.app.request(path, {
        method: 'POST',
        headers: { Cookie: fx.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
      })
    // Rename it: redirected to the views page (a reload repeats nothing); a name in use or an
    // empty one redirected there too (Back and reload post nothing), and the page says why at
    // that view's name field, open, holding what was typed, the view untouched.
    const renamed = await post(`/customers/views/${saved.id}/rename`, { name: ' A, by email ' })
    expect(renamed.status).toBe(303)
    expect(renamed.headers.get('Location')).toBe('/customers/views')
    const named = async () => (await listViews(t.db, fx.accountId)).find((v) => v.id === saved.id)
    expect((await named())?.name).toBe('A, by email')
    const followed = async (res: Response) => {
      expect(res.status).toBe(303)
      expect(res.headers.get('Location')).toBe('/customers/views')
      const flash = /tcrm_flash=[^;]+/.exec(res.headers.get('Set-Cookie') ?? '')![0]
      return page('/customers/views', { Cookie: `${fx.cookie}; ${flash}` })
    }
    const other = views[0]!.name
    const taken = await followed(
      await post(`/customers/views/${saved.id}/rename`, { name: other.toUpperCase() }),
    )
    expect(taken.status).toBe(200)
    expect(taken.html).toContain(
      `id="rail-error">The view was not renamed: name: you already have a view named '${other.toUpperCase()}'`,
    )
    const field = new RegExp(`id="rename-view-${saved.id}"[^>]*>`).exec(taken.html)![0]
    expect(field).toContain(`value="${other.toUpperCase()}"`)
    expect(field).toContain('aria-invalid="true"')
    expect(field).toContain('aria-describedby="rail-error"')
    const empty = await followed(await post(`/customers/views/${saved.id}/rename`, { name: '  ' }))
    expect(empty.html).toContain('The view was not renamed: name: 1 to 80 characters')
    expect((await named())?.name).toBe('A, by email')
    expect((await post(`/customers/views/${saved.id}/move`, { by: 'up' })).status).toBe(303)
    const moved = await listViews(t.db, fx.accountId)
    expect(moved.findIndex((v) => v.id === saved.id)).toBe(views.length - 2)
    expect((await post(`/customers/views/${saved.id}/delete`, {})).status).toBe(303)
    expect((await listViews(t.db, fx.accountId)).some((v) => v.id === saved.id)).toBe(false)
  })

  it('a view saved from the table and refused: back to that table, open at the name typed, saying why there', async () => {
    const table = await page('/customers?in=app-b&sort=email')
    const csrf = /name="_csrf" value="([^"]+)"/.exec(table.html)![1]!
    const before = await listViews(t.db, fx.accountId)
    const save = (name: string, query: string) =>
      t.app.request('/customers/views', {
        method: 'POST',
        headers: { Cookie: fx.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, name, query }).toString(),
      })
    /** The refused post's 303, then the page it leads to with its flash: the Save view form. */
    const followed = async (res: Response, location: string) => {
      expect(res.status).toBe(303)
      expect(res.headers.get('Location')).toBe(location)
      const flash = /tcrm_flash=[^;]+/.exec(res.headers.get('Set-Cookie') ?? '')![0]
      const back = await page(location, { Cookie: `${fx.cookie}; ${flash}` })
      expect(back.status).toBe(200)
      return /<details class="save-view"[^]*?<\/details>/.exec(back.html)![0]
    }
    const taken = ` ${before[0]!.name.toUpperCase()} `
    const form = await followed(
      await save(taken, 'in=app-b&sort=email'),
      '/customers?in=app-b&sort=email',
    )
    expect(form).toMatch(/^<details class="save-view" open/)
    const field = /<input id="save-view-name"[^>]*>/.exec(form)![0]
    expect(field).toContain(`value="${taken}"`)
    expect(field).toContain('aria-invalid="true"')
    expect(field).toContain('aria-describedby="save-view-error"')
    expect(form).toContain(
      `id="save-view-error">The view was not saved: name: you already have a view named '${taken.trim()}'`,
    )
    // Empty once trimmed, or too long: the same. A query written otherwise than the table writes
    // it (the default sort, an empty field) comes back to the table's own URL, where a second
    // redirect would have spent the message.
    const blank = await followed(
      await save('   ', 'in=app-b&sort=-last_activity&q='),
      '/customers?in=app-b',
    )
    expect(blank).toContain('The view was not saved: name: 1 to 80 characters')
    expect(/<input id="save-view-name"[^>]*>/.exec(blank)![0]).toContain('value="   "')
    const long = 'x'.repeat(81)
    const tooLong = await followed(await save(long, ''), '/customers')
    expect(tooLong).toContain(`value="${long}"`)
    expect(tooLong).toContain('The view was not saved: name: 1 to 80 characters')
    // Without a refusal the form is closed and empty.
    const plain = /<details class="save-view"[^]*?<\/details>/.exec(
      (await page('/customers?in=app-b')).html,
    )![0]
    expect(plain).not.toContain(' open')
    expect(plain).not.toContain('aria-invalid')
    expect(await listViews(t.db, fx.accountId)).toEqual(before)
  })
})
