// The account API's billing routes: connect (the URL comes back, the secret never does), list,
// disconnect, the errors that name the field, and tenant isolation.
import { beforeEach, describe, expect, it } from 'vitest'
import { createApp } from '../app.js'
import { createAccountToken } from '../account-api/tokens.js'
import { useTestApp } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'

const SECRET = 'whsec_api_test_ABCDEFGHIJKLMNOP'

const t = useTestApp()
let token: string
let otherToken: string
let seeded: Awaited<ReturnType<typeof seedAccount>>

beforeEach(async () => {
  seeded = await seedAccount(t.db)
  token = (await createAccountToken(t.db, seeded.accountId, 'script')).token
  const other = await seedAccount(t.db, ['Elsewhere'])
  otherToken = (await createAccountToken(t.db, other.accountId, 'other')).token
})

async function call(method: string, path: string, bearer: string | undefined, body?: unknown) {
  const headers: Record<string, string> = {}
  if (bearer) headers.Authorization = `Bearer ${bearer}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await t.app.request(`http://crm.example${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  return { status: res.status, text, body: JSON.parse(text) as any }
}

const projectId = () => seeded.projects[0]!.project.id

describe('connecting a provider', () => {
  it('answers 201 with the webhook URL, by project id or slug, and never the secret', async () => {
    const res = await call('POST', `/v1/projects/${projectId()}/billing`, token, {
      provider: 'stripe',
      signingSecret: SECRET,
    })
    expect(res.status).toBe(201)
    expect(res.body).toEqual({
      id: expect.stringMatching(/^bill_[0-9A-Za-z]{24}$/),
      provider: 'stripe',
      createdAt: expect.any(String),
      hasSecret: true,
      products: [],
      url: `http://crm.example/v1/billing/webhooks/${res.body.id}`,
    })
    expect(res.text).not.toContain(SECRET)
    const bySlug = await call('POST', '/v1/projects/app-a/billing', token, {
      provider: 'paddle',
      signingSecret: 'pdl_ntfset_01abc_DEFGHIJKLMNOPQRS',
    })
    expect(bySlug.status).toBe(201)
    expect(bySlug.body.id).not.toBe(res.body.id)

    const list = await call('GET', '/v1/projects/app-a/billing', token)
    expect(list.status).toBe(200)
    expect(list.body).toEqual({
      connections: [
        {
          id: res.body.id,
          provider: 'stripe',
          url: res.body.url,
          createdAt: expect.any(String),
          hasSecret: true,
          products: [],
          events: 0,
          lastEventAt: null,
        },
        expect.objectContaining({ id: bySlug.body.id, provider: 'paddle' }),
      ],
      waitingEvents: 0,
    })
    expect(list.text).not.toContain(SECRET)
    // Stored as given: verifying a signature needs the secret itself.
    const stored = await t.db
      .selectFrom('billing_connections')
      .select('signing_secret')
      .where('id', '=', res.body.id)
      .executeTakeFirstOrThrow()
    expect(stored.signing_secret).toBe(SECRET)
  })

  it('uses TINYCRM_PUBLIC_URL for the URL when it is set', async () => {
    const configured = createApp({ db: t.db, config: { publicUrl: 'https://crm.example.org/' } })
    const res = await configured.request(`/v1/projects/${projectId()}/billing`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ provider: 'stripe', signingSecret: SECRET }),
    })
    const body = (await res.json()) as any
    expect(body.url).toBe(`https://crm.example.org/v1/billing/webhooks/${body.id}`)
  })

  it('says which field is wrong, and why', async () => {
    const post = (body: unknown) => call('POST', `/v1/projects/${projectId()}/billing`, token, body)
    const cases: [unknown, string, RegExp][] = [
      [{ signingSecret: SECRET }, 'provider', /provider must be one of stripe, paddle/],
      [{ provider: 'braintree', signingSecret: SECRET }, 'provider', /stripe, paddle/],
      [{ provider: 'stripe', signingSecret: 42 }, 'signingSecret', /must be a string/],
      [
        { provider: 'stripe', signingSecret: 'sk_live_' + 'a'.repeat(24) },
        'signingSecret',
        /API key.*whsec_/,
      ],
      [
        { provider: 'stripe', signingSecret: 'not-a-secret-but-long' },
        'signingSecret',
        /starts with whsec_/,
      ],
      [
        { provider: 'paddle', signingSecret: 'pdl_live_apikey_' + 'a'.repeat(24) },
        'signingSecret',
        /API key/,
      ],
      [{ provider: 'stripe', signingSecret: 'whsec_short' }, 'signingSecret', /16 to 256/],
      [
        { provider: 'stripe', signingSecret: SECRET, extra: 1 },
        '(body)',
        /unknown field\(s\): extra/,
      ],
    ]
    for (const [body, path, message] of cases) {
      const res = await post(body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.error.details[0].path, JSON.stringify(body)).toBe(path)
      expect(res.body.error.message, JSON.stringify(body)).toMatch(message)
    }
    expect((await post('{"provider":')).body.error.code).toBe('invalid_json')
    expect(
      (await call('GET', `/v1/projects/${projectId()}/billing`, token)).body.connections,
    ).toEqual([])
  })
})

describe('a secret given later', () => {
  it('connects without one (the URL comes first), then PUT sets it, or replaces a rolled one', async () => {
    const path = `/v1/projects/${projectId()}/billing`
    const created = await call('POST', path, token, { provider: 'paddle' })
    expect(created).toMatchObject({ status: 201, body: { provider: 'paddle', hasSecret: false } })
    expect((await call('GET', path, token)).body.connections[0].hasSecret).toBe(false)
    const put = (body: unknown, id = created.body.id) => call('PUT', `${path}/${id}`, token, body)
    expect((await put({})).body.error.details[0]).toEqual({
      path: 'signingSecret',
      message: 'give signingSecret, products or both',
    })
    expect((await put({ signingSecret: 'pdl_live_apikey_' + 'b'.repeat(20) })).status).toBe(400)
    expect(await put({ signingSecret: 'pdl_ntfset_01abc_DEFGHIJKLMNOPQRS' })).toMatchObject({
      status: 200,
      body: { ok: true, id: created.body.id },
    })
    expect((await call('GET', path, token)).body.connections[0].hasSecret).toBe(true)
    expect(
      (await put({ signingSecret: 'pdl_ntfset_01abc_DEFGHIJKLMNOPQRS' }, 'bill_nope')).status,
    ).toBe(404)
    expect(
      (await call('PUT', `${path}/${created.body.id}`, otherToken, { signingSecret: SECRET }))
        .status,
    ).toBe(404)
  })
})

describe('disconnecting', () => {
  it('deletes the connection: its webhook URL answers 404 afterwards', async () => {
    const created = await call('POST', `/v1/projects/${projectId()}/billing`, token, {
      provider: 'stripe',
      signingSecret: SECRET,
    })
    const del = await call('DELETE', `/v1/projects/app-a/billing/${created.body.id}`, token)
    expect(del).toMatchObject({ status: 200, body: { ok: true, id: created.body.id } })
    expect(
      (await call('DELETE', `/v1/projects/app-a/billing/${created.body.id}`, token)).status,
    ).toBe(404)
    const hook = await t.app.request(new URL(created.body.url).pathname, {
      method: 'POST',
      body: '{}',
    })
    expect(hook.status).toBe(404)
  })
})

describe('auth and tenants', () => {
  it('refuses project keys (403), missing tokens (401), and shows another account nothing (404)', async () => {
    const path = `/v1/projects/${projectId()}/billing`
    const body = { provider: 'stripe', signingSecret: SECRET }
    expect((await call('POST', path, seeded.projects[0]!.key, body)).status).toBe(403)
    expect((await call('GET', path, undefined)).status).toBe(401)
    const created = await call('POST', path, token, body)

    expect((await call('POST', path, otherToken, body)).status).toBe(404)
    expect((await call('GET', path, otherToken)).status).toBe(404)
    expect((await call('GET', '/v1/projects/app-a/billing', otherToken)).status).toBe(404)
    const theirs = await call('DELETE', `${path}/${created.body.id}`, otherToken)
    expect(theirs.status).toBe(404)
    // Their own project, our connection id: still not found, and ours is intact.
    const elsewhere = await call('GET', '/v1/projects/elsewhere/billing', otherToken)
    expect(elsewhere.body.connections).toEqual([])
    const ownProject = await call(
      'DELETE',
      `/v1/projects/elsewhere/billing/${created.body.id}`,
      otherToken,
    )
    expect(ownProject.status).toBe(404)
    expect((await call('GET', path, token)).body.connections).toHaveLength(1)
  })
})
