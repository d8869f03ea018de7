// The customers pages over HTTP on Node + PGlite: full page vs htmx fragment, the drawer, the
// customer page and its name form, errors shown in the page, tenant isolation, CSRF, escaping, and
// the number of SQL statements per page.
import { beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { createProject } from '../projects/store.js'
import { postJson, seedAccount } from '../../test/support/fixtures.js'
import { sessionCookie, useQuestions } from '../../test/support/customers-fixture.js'
import { TestBrowser } from '../../test/support/test-browser.js'

const t = useTestApp()
const fx = useQuestions(t)

/** Alex's name as stored (the renames below must leave it, or change it). */
const alexName = async () =>
  (
    await t.db
      .selectFrom('customers')
      .select('name')
      .where('id', '=', fx.ids.alex!)
      .executeTakeFirstOrThrow()
  ).name

let otherCookie: string

beforeAll(async () => {
  const otherUser = await t.db
    .selectFrom('users')
    .select('id')
    .where('account_id', '=', fx.otherAccountId)
    .executeTakeFirstOrThrow()
  otherCookie = await sessionCookie(t.db, otherUser.id)
})

const HTMX = { 'HX-Request': 'true', 'HX-Request-Type': 'partial' }

async function get(path: string, headers: Record<string, string> = {}, as = fx.cookie) {
  const res = await t.app.request(path, {
    headers: { Cookie: as, Accept: 'text/html', ...headers },
  })
  return { status: res.status, headers: res.headers, html: await res.text() }
}

function csrfFrom(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1]
  if (!token) throw new Error('no CSRF field in the page')
  return token
}

async function postForm(path: string, fields: Record<string, string>, as = fx.cookie) {
  const res = await t.app.request(path, {
    method: 'POST',
    headers: {
      Cookie: as,
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'text/html',
    },
    body: new URLSearchParams(fields).toString(),
  })
  return { status: res.status, headers: res.headers, html: await res.text() }
}

describe('GET /customers', () => {
  it('renders the whole page: layout, filter form, summary, one row per customer with a badge per project', async () => {
    const { status, html } = await get('/customers')
    expect(status).toBe(200)
    expect(html.startsWith('<!doctype html>')).toBe(true)
    // The hooks automated checks use: a search form, the count unformatted, ids on rows, badges
    // with their project's slug and status.
    expect(html).toContain(
      '<form id="filters" class="filters" role="search" aria-label="Filter customers" method="get" action="/customers"',
    )
    expect(html).toContain('src="/assets/vendor/htmx.min.js"')
    expect(html).toContain('data-count="8"')
    const fay =
      new RegExp(
        `<tr id="row-${fx.ids.fay}" data-customer-id="${fx.ids.fay}" data-customer="fay@example.com">([\\s\\S]*?)</tr>`,
      ).exec(html)?.[1] ?? ''
    expect(fay.match(/class="badge status-/g)).toHaveLength(3)
    expect(fay).toContain('data-project="app-a" data-status="churned"')
    expect(fay).toContain('data-project="app-a" data-status="churned"')
    expect(fay).toContain('data-project="app-b" data-status="paid"')
    expect(html).toMatch(/<time datetime="[^"]+" title="\d{4}-\d\d-\d\d \d\d:\d\d UTC">/)
  })

  it('answers htmx with the #customers fragment only, and history restores with the whole page', async () => {
    const frag = await get('/customers?in=app-b', HTMX)
    expect(frag.status).toBe(200)
    expect(frag.html.startsWith('<section id="customers"')).toBe(true)
    expect(frag.html).not.toContain('<html')
    expect(frag.headers.get('Vary')).toContain('HX-Request')
    const restore = await get('/customers?in=app-b', {
      ...HTMX,
      'HX-History-Restore-Request': 'true',
    })
    expect(restore.html.startsWith('<!doctype html>')).toBe(true)
  })

  it('every filter control is a plain GET form field or link, and htmx pushes the same URL', async () => {
    const { html } = await get('/customers?in=app-a&sort=email&limit=2')
    expect(html).toContain(
      'hx-get="/customers" hx-target="#customers" hx-swap="outerMorph" hx-push-url="true"',
    )
    const next = /<a rel="next"[^>]* href="([^"]+)" hx-get="([^"]+)"[^>]*hx-push-url="true"/.exec(
      html,
    )
    expect(next?.[1]).toBe(next?.[2])
    // The current filter is a chip in plain words, carrying its URL entry as a form field.
    expect(html).toContain('<input class="chip-input" type="text" name="in" value="app-a"/>')
    expect(html).toContain('aria-label="Remove filter: Uses App A"')
  })

  it("keeps URLs short: a form's empty fields and the default sort are dropped", async () => {
    const full = '/customers?q=&in=app-a&in=&not_in=&status=&sort=-last_activity&p='
    const plain = await t.app.request(full, { headers: { Cookie: fx.cookie } })
    expect(plain.status).toBe(303)
    expect(plain.headers.get('Location')).toBe('/customers?in=app-a')
    const frag = await get(full, HTMX)
    expect(frag.status).toBe(200)
    expect(frag.headers.get('HX-Push-Url')).toBe('/customers?in=app-a')
    expect((await get('/customers?in=app-a', HTMX)).headers.get('HX-Push-Url')).toBeNull()
  })

  it("redirects a URL with an apostrophe once, to a URL that answers (O'Brien, a param's value)", async () => {
    for (const [sent, short] of [
      ["/customers?q=O'Brien&sort=-last_activity", '/customers?q=O%27Brien'],
      ["/customers?p=note:eq:it's&q=", '/customers?p=note:eq:it%27s'],
    ]) {
      const first = await t.app.request(sent!, { headers: { Cookie: fx.cookie } })
      expect(first.status).toBe(303)
      expect(first.headers.get('Location')).toBe(short)
      expect((await get(short!)).status).toBe(200)
      expect((await get(short!.replace('%27', "'"))).status).toBe(200)
    }
  })

  it('links the CSV export to the whole segment (not the page, its size or an open badge)', async () => {
    const { html } = await get('/customers?in=app-a&sort=email&limit=2&open=1.app-a')
    expect(html).toContain('href="/customers/export.csv?in=app-a&amp;sort=email"')
    const csv = await t.app.request('/customers/export.csv?in=app-a&sort=email', {
      headers: { Cookie: fx.cookie },
    })
    expect(csv.status).toBe(200)
  })

  it('offers no CSV export of a filter that cannot be read', async () => {
    for (const q of ['in=formbx', 'in=app-a:gone', 'after=garbage']) {
      const { status, html } = await get(`/customers?${q}`)
      expect(status, q).toBe(400)
      expect(html, q).not.toContain('export.csv')
    }
  })

  it('points at the marked filter only when one is marked, and otherwise names what is wrong', async () => {
    const notice = async (q: string) => {
      const { html } = await get(`/customers?${q}`)
      const text = /<div class="notice notice-error" role="alert">([\s\S]*?)<\/div>/.exec(html)?.[1]
      return text?.replace(/<[^>]+>/g, '') ?? ''
    }
    expect(await notice('p=mrr:between:1')).toContain('Fix or remove the filter marked above')
    for (const [q, named] of [
      ['after=garbage', 'after'],
      ['limit=500', 'limit'],
      ['sort=mrr', 'sort'],
      ['in=formbx', 'formbx'],
    ]) {
      const text = await notice(q!)
      expect(text, q).not.toContain('marked above')
      expect(text, q).toContain(named)
    }
  })

  it('sorts from the column headers; a second click reverses', async () => {
    const { html } = await get('/customers?in=app-a&sort=email&open=1.app-a')
    expect(html).toContain(
      '<th scope="col" class="col-email" aria-sort="ascending"><a href="/customers?in=app-a&amp;sort=-email"',
    )
    expect(html).toContain('href="/customers?in=app-a&amp;sort=name"')
    expect(html).toContain('href="/customers?in=app-a&amp;sort=-last_activity"')
  })

  it('shows a bad filter in the page with a 400, naming the bad part, and keeps the form', async () => {
    const { status, html } = await get('/customers?p=plan:like:pro')
    expect(status).toBe(400)
    expect(html).toContain('role="alert"')
    expect(html).toContain("unknown operator 'like'")
    expect(html).toContain('value="plan:like:pro"')
  })

  it('shows an unknown project slug as a clear error, not a 500', async () => {
    const { status, html } = await get('/customers?in=app-z')
    expect(status).toBe(400)
    expect(html).toContain(
      "No project 'app-z' in your account (your projects: app-a, app-b, app-c)",
    )
  })

  it('explains how to filter on a param whose name has a dot', async () => {
    const { status, html } = await get('/customers?p=utm.source:eq:x')
    expect(status).toBe(400)
    expect(html).toContain("No project 'utm' in your account")
    expect(html).toContain('start it with *. (like *.utm.source)')
    expect((await get('/customers?p=*.utm.source:eq:x')).status).toBe(200)
  })

  it('says so when nothing matches, and offers to clear the filters', async () => {
    const { html } = await get('/customers?q=nobody-like-this')
    expect(html).toContain('No customers match these filters')
    expect(html).toContain('Clear all filters')
  })

  it('opens a customer’s drawer from the URL (open=<id>.<slug>), without JavaScript', async () => {
    const { html } = await get(`/customers?open=${fx.ids.alex}.app-a`)
    const drawer = /<aside id="drawer"[^>]*>([\s\S]*?)<\/aside>/.exec(html)?.[1]
    expect(drawer).toContain(`data-customer-id="${fx.ids.alex}" data-focus="app-a"`)
    expect(drawer).toContain('aria-label="App A details"')
    expect(drawer).toContain('<th scope="row">mrr</th><td><code>29</code>')
    expect(drawer).toContain('href="/customers" data-close-drawer')
  })

  it('keeps the page (its cursor) in the badges, the drawer and the customer page, not the first page', async () => {
    const first = await get('/customers?in=app-a&sort=email&limit=1')
    const next = /<a rel="next"[^>]* href="([^"]+)"/.exec(first.html)?.[1]?.replace(/&amp;/g, '&')
    expect(next).toMatch(/[?&]after=/)
    const after = new URL(next!, 'http://x').searchParams.get('after')!
    const { html } = await get(next!)
    const badge = /<a class="badge[^"]*"[^>]* href="([^"]+)"[^>]* hx-get="([^"]+)"/.exec(html)
    const shown = badge?.[1]?.replace(/&amp;/g, '&')
    expect(new URL(shown!, 'http://x').searchParams.get('after')).toBe(after)
    expect(shown).toMatch(/[?&]open=\d+\.app-a/)
    // Reloaded (or opened from a shared link), the drawer's close link and the full page's back
    // link lead to this page of the table.
    const reloaded = await get(shown!)
    const close = /href="([^"]+)" data-close-drawer/
      .exec(reloaded.html)?.[1]
      ?.replace(/&amp;/g, '&')
    expect(new URL(close!, 'http://x').searchParams.get('after')).toBe(after)
    const panel = await get(badge![2]!.replace(/&amp;/g, '&'), HTMX)
    const page = /href="(\/customers\/\d+\?back=[^"]+)"/
      .exec(panel.html)?.[1]
      ?.replace(/&amp;/g, '&')
    const back = new URL(page!, 'http://x').searchParams.get('back')
    expect(new URLSearchParams(back!).get('after')).toBe(after)
    const full = await get(page!)
    const backLink = /<a[^>]* href="(\/customers\?[^"]*)"[^>]*>← /.exec(full.html)?.[1]
    expect(backLink?.replace(/&amp;/g, '&')).toContain(`after=${encodeURIComponent(after)}`)
  })

  it('escapes HTML in names and params', async () => {
    await postJson(t.app, '/v1/identify', fx.keys.c, {
      email: 'xss@example.com',
      name: '<script>alert(1)</script>',
      params: { note: '<img src=x onerror=alert(1)>', '<b>key</b>': 1 },
    })
    const { html } = await get('/customers?q=xss')
    expect(html).not.toContain('<script>alert(1)</script>')
    expect(html).not.toContain('<img src=x')
    expect(html).toContain('&lt;script>alert(1)&lt;/script>')
    const hal = await get('/customers?q=hal')
    expect(hal.html).toContain('Hal &lt;b>Bold&lt;/b>')
    const id = /href="\/customers\/(\d+)[^"]*" class="customer-link">xss@/.exec(html)?.[1]
    const page = await get(`/customers/${id}`)
    expect(page.html).not.toContain('<b>key</b>')
    expect(page.html).toContain('&lt;b>key&lt;/b>')
    expect(page.html).toContain('&lt;img src=x onerror=alert(1)>')
  })

  it('first run: a new account is told how to create a project and send the first identify', async () => {
    const account = await seedAccount(t.db, [])
    const as = await sessionCookie(t.db, account.userId)
    const empty = await get('/customers', {}, as)
    expect(empty.html).toContain('Two steps to your first customer')
    expect(empty.html).toContain('href="/projects"')
    expect(empty.html).not.toContain('No customers match')
    await createProject(t.db, { accountId: account.accountId, name: 'First App' })
    const noCustomers = await get('/customers', {}, as)
    expect(noCustomers.html).toContain('No customers yet')
    expect(noCustomers.html).toContain('<code>identify</code>')
  })

  it('sends a signed-out visitor to log in, and an htmx request gets 401 with HX-Redirect', async () => {
    const page = await t.app.request('/customers?in=app-a')
    expect(page.status).toBe(303)
    expect(page.headers.get('Location')).toBe('/login?next=%2Fcustomers%3Fin%3Dapp-a')
    const frag = await t.app.request('/customers', { headers: HTMX })
    expect(frag.status).toBe(401)
    expect(frag.headers.get('HX-Redirect')).toMatch(/^\/login\?next=/)
  })
})

describe('GET /customers/:id', () => {
  it('shows every project side by side: status, params, first seen, last active', async () => {
    const { status, html } = await get(`/customers/${fx.ids.fay}`)
    expect(status).toBe(200)
    expect(html.match(/class="card project-card"/g)).toHaveLength(3)
    expect(html).toContain('id="project-app-a"')
    expect(html).toContain('data-project="app-a" data-status="churned"')
    expect(html).toContain('<dt>Status</dt><dd>churned</dd>')
    expect(html).toContain('<th scope="row">plan</th><td><code>basic</code>')
    expect(html).toMatch(/<dt>First seen<\/dt><dd><time/)
  })

  it('answers 404 for another account’s customer, and for an id that does not exist', async () => {
    expect((await get(`/customers/${fx.otherAlexId}`)).status).toBe(404)
    expect((await get(`/customers/${fx.ids.alex}`, {}, otherCookie)).status).toBe(404)
    expect((await get('/customers/999999999')).status).toBe(404)
    const other = await get(`/customers/${fx.otherAlexId}`)
    expect(other.html).not.toContain('Other Alex')
  })

  it('the other account sees only its own customers in the table', async () => {
    const { html } = await get('/customers', {}, otherCookie)
    expect([...html.matchAll(/data-customer="([^"]+)"/g)].map((m) => m[1])).toEqual([
      'alex@example.com',
    ])
    expect(html).toContain('Other Alex')
    expect(html).not.toContain('Alex Chen')
  })
})

describe('GET /customers/:id/panel (the drawer)', () => {
  it('answers htmx with the drawer, and a browser with the table that shows it', async () => {
    const path = `/customers/${fx.ids.bea}/panel?project=app-b&back=in%3Dapp-b`
    const { status, html } = await get(path, HTMX)
    expect(status).toBe(200)
    expect(html.startsWith('<div class="drawer-panel"')).toBe(true)
    expect(html).toContain('data-project="app-b" data-status="paid"')
    expect(html).toContain('<th scope="row">mrr</th><td><code>19</code>')
    expect(html).toContain('href="/customers?in=app-b" data-close-drawer') // back to the table
    const plain = await t.app.request(path, { headers: { Cookie: fx.cookie } })
    expect(plain.status).toBe(303)
    expect(plain.headers.get('Location')).toBe(`/customers?in=app-b&open=${fx.ids.bea}.app-b`)
  })

  it('answers 404 for another account’s customer', async () => {
    expect((await get(`/customers/${fx.otherAlexId}/panel`, HTMX)).status).toBe(404)
    expect((await get(`/customers/${fx.ids.alex}/panel`, HTMX, otherCookie)).status).toBe(404)
  })
})

describe('POST /customers/:id/name', () => {
  it('renames with the CSRF token and shows the page again', async () => {
    const page = await get(`/customers/${fx.ids.gus}`)
    const res = await postForm(`/customers/${fx.ids.gus}/name`, {
      _csrf: csrfFrom(page.html),
      name: '  Gus Grey ',
    })
    expect(res.status).toBe(303)
    expect(res.headers.get('Location')).toBe(`/customers/${fx.ids.gus}?saved=1`)
    const after = await get(`/customers/${fx.ids.gus}?saved=1`)
    expect(after.html).toContain('<h1>Gus Grey</h1>')
    expect(after.html).toContain('Saved.')
  })

  it('refuses a name too long or that Postgres cannot store: 303 back to the page, the form open at the name typed, saying why there', async () => {
    const b = new TestBrowser(t.app)
    const [cookie, value] = fx.cookie.split('=') as [string, string]
    b.cookies.set(cookie, value)
    const page = `/customers/${fx.ids.alex}?back=${encodeURIComponent('in=app-b')}`
    await b.get(page)
    const refusals = [
      ['x'.repeat(201), 'A name is at most 200 characters'],
      ['Al\u0000ex', 'name contains a NUL character (\\u0000)'],
    ]
    for (const [typed, why] of refusals) {
      const res = await b.post(`/customers/${fx.ids.alex}/name?back=in%3Dapp-b`, { name: typed! })
      expect(res).toMatchObject({ status: 303, location: page })
      const back = await b.follow(res)
      expect(back.status).toBe(200)
      const form = /<details class="rename"[^]*?<\/details>/.exec(back.html)![0]
      expect(form).toMatch(/^<details class="rename" open/)
      const input = /<input id="customer-name"[^>]*>/.exec(form)![0]
      expect(input).toContain(`value="${typed}"`)
      expect(input).toContain('aria-invalid="true"')
      expect(input).toContain('aria-describedby="customer-name-error"')
      expect(form).toContain(`id="customer-name-error">${why}</p>`)
      expect(back.html).not.toContain('Saved.')
      // Shown once: a reload is the page as it was.
      const reload = await b.get(page)
      expect(reload.html).not.toContain('customer-name-error')
      expect(reload.html).toContain('<details class="rename">')
    }
    // With htmx the header comes back in place, as a saved name does, saying the same there.
    await b.get(page)
    const inPlace = await b.post(
      `/customers/${fx.ids.alex}/name?back=in%3Dapp-b`,
      { name: 'x'.repeat(201) },
      { 'HX-Request': 'true' },
    )
    expect(inPlace.status).toBe(400)
    expect(inPlace.html).toMatch(/^<header id="customer-header"[^>]*><div class="customer-title">/)
    expect(inPlace.html).toContain('<details class="rename" open')
    expect(inPlace.html).toContain(`value="${'x'.repeat(201)}"`)
    expect(inPlace.html).toContain('id="customer-name-error">A name is at most 200 characters</p>')
    expect(await alexName()).toBe('Alex Chen')
  })

  it('refuses a post without the CSRF token, changing nothing', async () => {
    const res = await postForm(`/customers/${fx.ids.alex}/name`, { name: 'Mallory' })
    expect(res.status).toBe(403)
    expect(await alexName()).toBe('Alex Chen')
  })

  it('cannot rename another account’s customer, even with a valid token of its own', async () => {
    const own = await get('/customers', {}, otherCookie)
    const res = await postForm(
      `/customers/${fx.ids.alex}/name`,
      { _csrf: csrfFrom(own.html), name: 'Mallory' },
      otherCookie,
    )
    expect(res.status).toBe(404)
    expect(await alexName()).toBe('Alex Chen')
  })
})

describe('SQL statements per page', () => {
  it.each([
    [
      'the table, every filter at once',
      '/customers?q=a&in=app-a&in=app-b:paid&not_in=app-c&status=paid&not_status=churned&min_projects=2&active=30&seen_after=400d&p=plan:eq:pro&p=app-a.mrr:gte:1&sum=mrr&sort=name',
      {},
    ],
    ['the table as an htmx fragment', '/customers?in=app-a', HTMX],
    ['a bad filter', '/customers?p=x:zz', {}],
    ['a customer page', () => `/customers/${fx.ids.alex}`, {}],
  ] as const)('%s: at most three', async (_, path, headers) => {
    t.statements.length = 0
    const res = await get(typeof path === 'function' ? path() : path, headers)
    expect(res.status).toBeLessThan(500)
    expect(t.statements.length).toBeGreaterThan(0)
    expect(t.statements.length).toBeLessThanOrEqual(3)
  })
})
