// The account API: token auth (project keys refused), the JSON reads with the dashboard's filter
// syntax and keyset pages, merge / undo / delete, projects, and tenant isolation of every route.
import { beforeEach, describe, expect, it } from 'vitest'
import { createApp } from '../app.js'
import { useTestApp } from '../../test/support/db.js'
import { postJson, seedAccount } from '../../test/support/fixtures.js'
import { createAccountToken, revokeAccountToken } from './tokens.js'
import { PROJECT_KEY_REFUSED } from '../middleware/account-token/index.js'

const t = useTestApp()
let accountId: number
let token: string
let keyA: string
let keyB: string

beforeEach(async () => {
  const seeded = await seedAccount(t.db)
  accountId = seeded.accountId
  keyA = seeded.projects[0]!.key
  keyB = seeded.projects[1]!.key
  token = (await createAccountToken(t.db, accountId, 'script')).token
})

async function call(method: string, path: string, bearer: string | undefined, body?: unknown) {
  const headers: Record<string, string> = {}
  if (bearer) headers.Authorization = `Bearer ${bearer}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await t.app.request(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  const type = res.headers.get('content-type') ?? ''
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: type.includes('json') ? JSON.parse(text) : undefined,
  }
}

const identify = (key: string, body: unknown) => postJson(t.app, '/v1/identify', key, body)

describe('auth', () => {
  it('refuses a project key on every read route with 403 and a clear message', async () => {
    for (const [method, path] of [
      ['GET', '/v1/customers'],
      ['GET', '/v1/customers/1'],
      ['GET', '/v1/customers/export.csv'],
      ['POST', '/v1/customers/merge'],
      ['POST', '/v1/merges/1/undo'],
      ['DELETE', '/v1/customers/1'],
      ['GET', '/v1/projects'],
      ['POST', '/v1/projects'],
    ] as const) {
      const res = await call(method, path, keyA, method === 'POST' ? {} : undefined)
      expect(res.status, `${method} ${path}`).toBe(403)
      expect(res.body.error).toMatchObject({ code: 'forbidden', message: PROJECT_KEY_REFUSED })
    }
  })

  it('answers 401 without a token or with an unknown one, 403 for a revoked one', async () => {
    expect((await call('GET', '/v1/customers', undefined)).status).toBe(401)
    expect(
      (await call('GET', '/v1/customers', 'tcrm_acct_0000000000000000000000000000000')).status,
    ).toBe(401)
    expect((await call('GET', '/v1/customers', 'nonsense')).status).toBe(401)
    const other = await createAccountToken(t.db, accountId, 'old')
    await revokeAccountToken(t.db, accountId, other.id)
    const res = await call('GET', '/v1/customers', other.token)
    expect(res.status).toBe(403)
    expect(res.body.error.message).toMatch(/revoked/)
  })

  it('leaves the ingest routes to project keys', async () => {
    expect((await identify(keyA, { email: 'a@x.example' })).status).toBe(200)
    expect((await identify(token, { email: 'a@x.example' })).status).toBe(401)
  })

  it('stores only the hash of a token', async () => {
    const rows = await t.db
      .selectFrom('account_tokens')
      .selectAll()
      .where('account_id', '=', accountId)
      .execute()
    expect(JSON.stringify(rows)).not.toContain(token)
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/)
  })
})

describe('reading customers', () => {
  it('lists a segment with the dashboard filter syntax, keyset-paginated', async () => {
    for (let i = 0; i < 5; i++) {
      await identify(keyA, {
        email: `u${i}@x.example`,
        status: i % 2 ? 'paid' : 'free',
        params: { n: i },
      })
    }
    await identify(keyB, { email: 'u1@x.example', status: 'trial' })
    const paid = await call('GET', '/v1/customers?in=app-a:paid&sort=email', token)
    expect(paid.status).toBe(200)
    expect(paid.body.customers.map((c: { email: string }) => c.email)).toEqual([
      'u1@x.example',
      'u3@x.example',
    ])
    expect(paid.body.customers[0].projects).toMatchObject({
      'app-a': { status: 'paid', params: { n: 1 } },
      'app-b': { status: 'trial' },
    })

    const seen: string[] = []
    let url: string | null = '/v1/customers?sort=email&limit=2'
    let last: string | null = null
    while (url) {
      const page = await call('GET', url, token)
      seen.push(...page.body.customers.map((c: { email: string }) => c.email))
      expect(page.body.prev === null).toBe(seen.length <= 2)
      last = url
      url = page.body.nextUrl
    }
    expect(seen).toEqual([
      'u0@x.example',
      'u1@x.example',
      'u2@x.example',
      'u3@x.example',
      'u4@x.example',
    ])
    // And back from the last page by prevUrl: the same customers, pages in reverse.
    const back: string[][] = []
    for (url = last; url;) {
      const page = await call('GET', url, token)
      back.unshift(page.body.customers.map((c: { email: string }) => c.email))
      url = page.body.prevUrl
    }
    expect(back.flat()).toEqual(seen)
    expect(back.map((p) => p.length)).toEqual([2, 2, 1])
  })

  it('answers 400 naming a bad filter', async () => {
    const res = await call('GET', '/v1/customers?status=gold', token)
    expect(res.status).toBe(400)
    expect(res.body.error.details[0].path).toBe('status')
  })

  it('answers 400 naming a project slug the account does not have, on the list and the export', async () => {
    await identify(keyA, { email: 'known@x.example' })
    for (const query of ['not_in=app-x', 'in=app-x', 'p=app-x.plan:eq:pro', 'sum=app-x.mrr']) {
      for (const path of ['/v1/customers', '/v1/customers/export.csv']) {
        const res = await call('GET', `${path}?${query}`, token)
        expect(res.status, `${path}?${query}`).toBe(400)
        expect(res.body.error.code).toBe('validation_failed')
        expect(res.body.error.message).toContain(
          "No project 'app-x' in your account (your projects: app-a, app-b)",
        )
        expect(res.body.error.details[0].path).toBe(query.split('=')[0])
      }
    }
    expect((await call('GET', '/v1/customers?not_in=app-b', token)).status).toBe(200)
  })

  it('shows one customer with projects, aliases and merges', async () => {
    const a = (await identify(keyA, { email: 'ann@work.example', name: 'Ann' })).body.customerId
    const b = (await identify(keyB, { email: 'ann@home.example', params: { plan: 'pro' } })).body
      .customerId
    const merged = await call('POST', '/v1/customers/merge', token, {
      survivorId: a,
      absorbedId: b,
    })
    expect(merged.status).toBe(200)
    const res = await call('GET', `/v1/customers/${a}`, token)
    expect(res.body.customer).toMatchObject({
      id: a,
      email: 'ann@work.example',
      aliases: ['ann@home.example'],
      projects: { 'app-a': { status: 'free' }, 'app-b': { params: { plan: 'pro' } } },
      merges: [
        {
          id: merged.body.mergeId,
          absorbedId: b,
          absorbedEmail: 'ann@home.example',
          undoneAt: null,
        },
      ],
    })
  })
})

describe('sum=', () => {
  it('adds the count and the param summed over the whole segment, not only the page', async () => {
    for (const [email, plan, mrr] of [
      ['p1@sum.test', 'pro', 29],
      ['p2@sum.test', 'pro', 49.5],
      ['p3@sum.test', 'pro', 'n/a'],
      ['s1@sum.test', 'starter', 9],
    ] as const) {
      expect((await identify(keyA, { email, params: { plan, mrr } })).status).toBe(200)
    }
    await identify(keyB, { email: 'p1@sum.test', params: { mrr: 100 } })
    const res = await call('GET', '/v1/customers?p=plan:eq:pro&sum=mrr&limit=1', token)
    expect(res.status).toBe(200)
    expect(res.body.customers).toHaveLength(1)
    // Every project's mrr of the segment's customers (p1's 100 in app-b too); text is not summed.
    expect(res.body).toMatchObject({
      count: 3,
      countExact: true,
      sum: { key: 'mrr', project: null, all: 178.5, matched: 78.5 },
    })
    // Past the threshold (100,000; 1 here) a segment of an account past it is estimated from a
    // sample, and says so. The sample of a table this small is all of it: the same figures, to 3
    // significant digits.
    const small = createApp({ db: t.db, config: { exactCountUpTo: 1 } })
    const estimated = await small.request('/v1/customers?q=%40sum.test&sum=mrr&limit=1', {
      headers: { Authorization: `Bearer ${token}` },
    })
    expect(await estimated.json()).toMatchObject({
      count: 4,
      countExact: false,
      sum: { all: 188, matched: 188 },
    })
    // A filter on params as well (its sample probes each sampled customer's projects).
    const byParam = await small.request('/v1/customers?p=plan:eq:pro&sum=mrr&limit=1', {
      headers: { Authorization: `Bearer ${token}` },
    })
    expect(await byParam.json()).toMatchObject({
      count: 3,
      countExact: false,
      sum: { key: 'mrr', project: null, all: 179, matched: 79 }, // 178.5 and 78.5, to 3 digits
    })
    const inA = await call('GET', '/v1/customers?p=plan:eq:pro&sum=app-a.mrr', token)
    expect(inA.body.sum).toMatchObject({ key: 'mrr', project: 'app-a', all: 78.5 })
    expect(res.body.sum).not.toHaveProperty('byCurrency')
    // In several currencies (any case), also per currency, by code; the totals as they were.
    await identify(keyA, { email: 'p1@sum.test', params: { currency: 'usd' } })
    await identify(keyB, { email: 'p1@sum.test', params: { currency: 'JPY' } })
    await identify(keyA, { email: 'p2@sum.test', params: { currency: 'USD' } })
    const mixed = await call('GET', '/v1/customers?p=plan:eq:pro&sum=mrr&limit=1', token)
    expect(mixed.body.sum).toEqual({
      key: 'mrr',
      project: null,
      all: 178.5,
      matched: 78.5,
      byCurrency: [
        { currency: 'JPY', all: 100, matched: 0 },
        { currency: 'USD', all: 78.5, matched: 78.5 },
      ],
    })
    const plain = await call('GET', '/v1/customers?p=plan:eq:pro', token)
    expect(plain.body).not.toHaveProperty('count')
    expect(plain.body).not.toHaveProperty('sum')
  })
})

describe('merge, undo, delete', () => {
  it('merges, undoes, and refuses a second undo with 409', async () => {
    const a = (await identify(keyA, { email: 'ann@work.example' })).body.customerId
    const b = (await identify(keyB, { email: 'ann@home.example' })).body.customerId
    const merged = await call('POST', '/v1/customers/merge', token, {
      survivorId: a,
      absorbedId: b,
    })
    expect((await call('GET', `/v1/customers/${b}`, token)).status).toBe(404)
    const undone = await call('POST', `/v1/merges/${merged.body.mergeId}/undo`, token)
    expect(undone.body).toEqual({
      ok: true,
      mergeId: merged.body.mergeId,
      survivorId: a,
      restoredId: b,
    })
    expect((await call('GET', `/v1/customers/${b}`, token)).body.customer.email).toBe(
      'ann@home.example',
    )
    const again = await call('POST', `/v1/merges/${merged.body.mergeId}/undo`, token)
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('conflict')
  })

  it('validates the merge body', async () => {
    const res = await call('POST', '/v1/customers/merge', token, {
      survivorId: 1,
      absorbedId: 'x',
      extra: 1,
    })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('validation_failed')
  })

  it('deletes a customer', async () => {
    const a = (await identify(keyA, { email: 'gone@x.example' })).body.customerId
    const res = await call('DELETE', `/v1/customers/${a}`, token)
    expect(res.body).toEqual({
      ok: true,
      customerId: a,
      deleted: { projects: 1, merges: 0, aliases: 0 },
    })
    expect((await call('DELETE', `/v1/customers/${a}`, token)).status).toBe(404)
  })
})

describe('projects', () => {
  it('lists and creates projects; the new key works for ingest once', async () => {
    const created = await call('POST', '/v1/projects', token, { name: 'App C', color: '#123456' })
    expect(created.status).toBe(201)
    expect(created.body.project).toMatchObject({ name: 'App C', slug: 'app-c', color: '#123456' })
    expect((await identify(created.body.key, { email: 'c@x.example' })).status).toBe(200)
    const list = await call('GET', '/v1/projects', token)
    expect(list.body.projects.map((p: { slug: string }) => p.slug)).toEqual([
      'app-a',
      'app-b',
      'app-c',
    ])
  })

  it('refuses a name the account already has (409, naming the project) unless duplicate is true', async () => {
    const again = await call('POST', '/v1/projects', token, { name: ' app A ' })
    expect(again.status).toBe(409)
    expect(again.body.error.message).toBe(
      'You already have a project named "App A" (slug app-a). Send "duplicate": true to create another.',
    )
    expect((await call('GET', '/v1/projects', token)).body.projects).toHaveLength(2)
    const bad = await call('POST', '/v1/projects', token, { name: 'App A', duplicate: 'yes' })
    expect(bad.status).toBe(400)
    const second = await call('POST', '/v1/projects', token, { name: 'App A', duplicate: true })
    expect(second.status).toBe(201)
    expect(second.body.project).toMatchObject({ name: 'App A', slug: 'app-a-2' })
  })

  it('says a missing name is required, and a name of the wrong type what it must be', async () => {
    const missing = await call('POST', '/v1/projects', token, { color: '#0f766e' })
    expect(missing.status).toBe(400)
    expect(missing.body.error.message).toBe('name is required (a string)')
    expect(missing.body.error.details).toEqual([
      { path: 'name', message: 'is required (a string)' },
    ])
    const wrong = await call('POST', '/v1/projects', token, { name: 42, color: 7 })
    expect(wrong.status).toBe(400)
    expect(wrong.body.error.message).toBe(
      'name must be a string, not a number; color must be a string, not a number',
    )
  })
})

describe('tenant isolation', () => {
  it('never shows or touches another account through any route', async () => {
    const mine = (await identify(keyA, { email: 'mine@x.example' })).body.customerId
    const mine2 = (await identify(keyA, { email: 'mine2@x.example' })).body.customerId
    const { mergeId } = (
      await call('POST', '/v1/customers/merge', token, { survivorId: mine, absorbedId: mine2 })
    ).body
    const other = await seedAccount(t.db)
    const theirToken = (await createAccountToken(t.db, other.accountId, 'theirs')).token
    await identify(other.projects[0]!.key, { email: 'theirs@x.example' })

    expect(
      (await call('GET', '/v1/customers', theirToken)).body.customers.map(
        (c: { email: string }) => c.email,
      ),
    ).toEqual(['theirs@x.example'])
    expect((await call('GET', `/v1/customers/${mine}`, theirToken)).status).toBe(404)
    expect((await call('DELETE', `/v1/customers/${mine}`, theirToken)).status).toBe(404)
    expect((await call('POST', `/v1/merges/${mergeId}/undo`, theirToken)).status).toBe(404)
    const theirs = (await call('GET', '/v1/customers', theirToken)).body.customers[0].id
    expect(
      (
        await call('POST', '/v1/customers/merge', theirToken, {
          survivorId: theirs,
          absorbedId: mine,
        })
      ).status,
    ).toBe(404)
    const csv = await call('GET', '/v1/customers/export.csv', theirToken)
    expect(csv.text).toContain('theirs@x.example')
    expect(csv.text).not.toContain('mine@x.example')
    const projects = (await call('GET', '/v1/projects', theirToken)).body.projects
    expect(
      projects.every(
        (p: { id: number }) =>
          p.id === other.projects[0]!.project.id || p.id === other.projects[1]!.project.id,
      ),
    ).toBe(true)
    expect((await call('GET', `/v1/customers/${mine}`, token)).status).toBe(200)
  })
})
