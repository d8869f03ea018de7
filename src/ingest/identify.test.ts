// The ingest API's semantics, as docs/ingest.md states them, on Node over PGlite.
import { beforeEach, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { useTestApp } from '../../test/support/db.js'
import { postJson, seedAccount } from '../../test/support/fixtures.js'

const t = useTestApp()
let keyA: string
let keyB: string
let accountId: number

beforeEach(async () => {
  const seeded = await seedAccount(t.db)
  accountId = seeded.accountId
  keyA = seeded.projects[0]!.key
  keyB = seeded.projects[1]!.key
})

const identify = (key: string, body: unknown) => postJson(t.app, '/v1/identify', key, body)
const ping = (key: string, body: unknown) => postJson(t.app, '/v1/ping', key, body)

async function customers() {
  return t.db
    .selectFrom('customers')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute()
}
async function relations(email: string) {
  return t.db
    .selectFrom('customer_projects as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .innerJoin('projects as p', 'p.id', 'r.project_id')
    .select(['p.name as project', 'r.status', 'r.params', 'r.first_seen_at', 'r.last_activity_at'])
    .where('c.account_id', '=', accountId)
    .where('c.email', '=', email)
    .orderBy('p.name')
    .execute()
}

describe('identify', () => {
  it('merges two products by email into one customer with a relation per product', async () => {
    const a = await identify(keyA, {
      email: 'alex@example.com',
      name: 'Alex Chen',
      status: 'paid',
      params: { plan: 'pro', mrr: 29 },
    })
    const b = await identify(keyB, {
      email: 'alex@example.com',
      name: 'Alex Chen',
      status: 'free',
      params: { source: 'twitter' },
    })
    expect(a).toMatchObject({ status: 200, body: { ok: true, created: true } })
    expect(b).toMatchObject({ status: 200, body: { ok: true, created: false } })
    expect(b.body.customerId).toBe(a.body.customerId)
    expect(await customers()).toHaveLength(1)
    expect(await relations('alex@example.com')).toMatchObject([
      { project: 'App A', status: 'paid', params: { plan: 'pro', mrr: 29 } },
      { project: 'App B', status: 'free', params: { source: 'twitter' } },
    ])
  })

  it('normalises the email: trimmed and lower-cased is the same customer', async () => {
    await identify(keyA, { email: '  Alex@Example.COM ' })
    await identify(keyB, { email: 'alex@example.com' })
    const rows = await customers()
    expect(rows.map((r) => r.email)).toEqual(['alex@example.com'])
  })

  it('keeps one global name: the latest non-empty name wins', async () => {
    await identify(keyA, { email: 'n@example.com', name: 'Alexandra Chen' })
    await identify(keyB, { email: 'n@example.com', name: 'Alex' })
    expect((await customers())[0]!.name).toBe('Alex')
    await identify(keyA, { email: 'n@example.com', name: '   ' })
    await identify(keyA, { email: 'n@example.com', name: null })
    await identify(keyA, { email: 'n@example.com' })
    expect((await customers())[0]!.name).toBe('Alex')
  })

  it('starts a relation as free and leaves status unchanged when omitted', async () => {
    await identify(keyA, { email: 's@example.com' })
    expect((await relations('s@example.com'))[0]!.status).toBe('free')
    await identify(keyA, { email: 's@example.com', status: 'trial' })
    await identify(keyA, { email: 's@example.com', params: { x: 1 } })
    expect((await relations('s@example.com'))[0]!.status).toBe('trial')
  })

  it.each([
    ['trialing', 'trial'],
    ['active', 'paid'],
    ['canceled', 'churned'],
    ['cancelled', 'churned'],
    ['PAID', 'paid'],
  ])('stores the status alias %s as %s', async (alias, canonical) => {
    await identify(keyA, { email: 'alias@example.com', status: alias })
    expect((await relations('alias@example.com'))[0]!.status).toBe(canonical)
  })

  it('shallow-merges params; a key sent as null is removed; nested values are kept whole', async () => {
    await identify(keyA, {
      email: 'p@example.com',
      params: { plan: 'pro', mrr: 29, flags: { beta: true, v2: false }, tags: ['a'] },
    })
    await identify(keyA, {
      email: 'p@example.com',
      params: { mrr: 49, plan: null, flags: { beta: false } },
    })
    expect((await relations('p@example.com'))[0]!.params).toEqual({
      mrr: 49,
      flags: { beta: false },
      tags: ['a'],
    })
  })

  it("never lets one project's params touch another's", async () => {
    await identify(keyA, { email: 'iso@example.com', params: { plan: 'pro' } })
    await identify(keyB, { email: 'iso@example.com', params: { role: 'viewer' } })
    await identify(keyB, { email: 'iso@example.com', params: { plan: null } })
    expect((await relations('iso@example.com')).map((r) => r.params)).toEqual([
      { plan: 'pro' },
      { role: 'viewer' },
    ])
  })

  it('keeps keys like __proto__ and constructor as plain data', async () => {
    const body =
      '{"email":"proto@example.com","params":{"__proto__":{"admin":true},"constructor":"x"}}'
    const res = await identify(keyA, body)
    expect(res.status).toBe(200)
    const [rel] = await relations('proto@example.com')
    expect(Object.getOwnPropertyNames(rel!.params).sort()).toEqual(['__proto__', 'constructor'])
    expect(({} as any).admin).toBeUndefined()
  })

  it('backfills with timestamp: first seen then, and last activity never moves backwards', async () => {
    await identify(keyA, { email: 'b@example.com', timestamp: '2025-01-10T10:00:00Z' })
    let [rel] = await relations('b@example.com')
    expect(rel!.first_seen_at.toISOString()).toBe('2025-01-10T10:00:00.000Z')
    expect(rel!.last_activity_at.toISOString()).toBe('2025-01-10T10:00:00.000Z')

    await identify(keyA, { email: 'b@example.com', timestamp: '2025-03-01T00:00:00Z' })
    await identify(keyA, { email: 'b@example.com', timestamp: '2024-12-01T00:00:00Z' })
    ;[rel] = await relations('b@example.com')
    expect(rel!.last_activity_at.toISOString()).toBe('2025-03-01T00:00:00.000Z')
    expect(rel!.first_seen_at.toISOString()).toBe('2024-12-01T00:00:00.000Z')

    const before = Date.now()
    await identify(keyA, { email: 'b@example.com' })
    ;[rel] = await relations('b@example.com')
    expect(rel!.last_activity_at.getTime()).toBeGreaterThanOrEqual(before - 1000)
  })

  it('reads timestamp: null as no timestamp (now), as it reads name, status and params: null', async () => {
    const before = Date.now()
    const res = await identify(keyA, { email: 'n@example.com', timestamp: null, status: null })
    expect(res).toMatchObject({ status: 200, body: { ok: true } })
    expect((await ping(keyA, { email: 'n@example.com', timestamp: null })).status).toBe(200)
    const [rel] = await relations('n@example.com')
    expect(rel!.last_activity_at.getTime()).toBeGreaterThanOrEqual(before - 1000)
  })
})

describe('ping', () => {
  it('moves only last activity', async () => {
    await identify(keyA, {
      email: 'ping@example.com',
      status: 'paid',
      params: { plan: 'pro' },
      timestamp: '2025-01-01T00:00:00Z',
    })
    const res = await ping(keyA, { email: 'PING@example.com', timestamp: '2025-02-01T00:00:00Z' })
    expect(res).toMatchObject({ status: 200, body: { ok: true, found: true } })
    const [rel] = await relations('ping@example.com')
    expect(rel).toMatchObject({ status: 'paid', params: { plan: 'pro' } })
    expect(rel!.last_activity_at.toISOString()).toBe('2025-02-01T00:00:00.000Z')
    expect((await customers())[0]!.last_activity_at.toISOString()).toBe('2025-02-01T00:00:00.000Z')

    await ping(keyA, { email: 'ping@example.com', timestamp: '2024-01-01T00:00:00Z' })
    const [after] = await relations('ping@example.com')
    expect(after!.last_activity_at.toISOString()).toBe('2025-02-01T00:00:00.000Z')
  })

  it('creates nothing for an email unknown to the project', async () => {
    await identify(keyA, { email: 'only-a@example.com' })
    const unknown = await ping(keyA, { email: 'nobody@example.com' })
    const otherProject = await ping(keyB, { email: 'only-a@example.com' })
    expect(unknown).toMatchObject({ status: 200, body: { ok: true, found: false } })
    expect(otherProject).toMatchObject({ status: 200, body: { ok: true, found: false } })
    expect(await customers()).toHaveLength(1)
    expect(await relations('only-a@example.com')).toHaveLength(1)
  })
})

describe('batch', () => {
  it('writes many items in one request with a result per item; a bad item fails alone', async () => {
    const res = await postJson(t.app, '/v1/batch', keyA, {
      batch: [
        { type: 'identify', email: 'one@example.com', status: 'trial' },
        { type: 'identify', email: 'not-an-email' },
        { type: 'ping', email: 'one@example.com' },
        { type: 'identify', email: 'two@example.com', status: 'bogus' },
        { type: 'ping', email: 'ghost@example.com' },
        { type: 'identify', email: 'three@example.com', params: { n: 1 } },
      ],
    })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ ok: true, succeeded: 4, failed: 2 })
    expect(res.body.results).toMatchObject([
      { index: 0, ok: true, type: 'identify', created: true },
      {
        index: 1,
        ok: false,
        error: { code: 'validation_failed', details: [{ path: 'batch.1.email' }] },
      },
      { index: 2, ok: true, type: 'ping', found: true },
      {
        index: 3,
        ok: false,
        error: { code: 'validation_failed', details: [{ path: 'batch.3.status' }] },
      },
      { index: 4, ok: true, type: 'ping', found: false },
      { index: 5, ok: true, type: 'identify', created: true },
    ])
    expect((await customers()).map((c) => c.email).sort()).toEqual([
      'one@example.com',
      'three@example.com',
    ])
  })

  it('says created for the first item of a new customer only', async () => {
    await identify(keyA, { email: 'known@example.com' })
    const res = await postJson(t.app, '/v1/batch', keyA, {
      batch: [
        { type: 'ping', email: 'fresh@example.com' },
        { type: 'identify', email: 'fresh@example.com', status: 'trial' },
        { type: 'identify', email: 'FRESH@example.com', status: 'paid' },
        { type: 'identify', email: 'known@example.com' },
        { type: 'identify', email: 'fresh@example.com', params: { a: 1 } },
      ],
    })
    const results = res.body.results as { created?: boolean; customerId?: number }[]
    expect(results.map((r) => r.created)).toEqual([undefined, true, false, false, false])
    expect(new Set([1, 2, 4].map((i) => results[i]!.customerId)).size).toBe(1)
  })

  it('applies several items for one email in order', async () => {
    await identify(keyA, { email: 'seq@example.com', params: { keep: 1, drop: 1 } })
    const res = await postJson(t.app, '/v1/batch', keyA, {
      batch: [
        {
          type: 'identify',
          email: 'seq@example.com',
          name: 'First',
          status: 'trial',
          params: { a: 1 },
        },
        {
          type: 'identify',
          email: 'SEQ@example.com',
          status: 'paid',
          params: { a: 2, drop: null },
        },
        { type: 'identify', email: 'seq@example.com', name: '', params: { b: true } },
      ],
    })
    expect(res.body.succeeded).toBe(3)
    const [rel] = await relations('seq@example.com')
    expect(rel).toMatchObject({ status: 'paid', params: { keep: 1, a: 2, b: true } })
    expect(rel!.params).not.toHaveProperty('drop')
    expect((await customers())[0]!.name).toBe('First')
  })

  it('takes 1,000 items in one request', async () => {
    const batch = Array.from({ length: 1000 }, (_, i) => ({
      type: 'identify',
      email: `bulk${i}@example.com`,
      params: { i },
    }))
    const res = await postJson(t.app, '/v1/batch', keyA, { batch })
    expect(res.body).toMatchObject({ succeeded: 1000, failed: 0 })
    const n = await sql<{
      n: number
    }>`SELECT count(*)::int AS n FROM customers WHERE account_id = ${accountId}`.execute(t.db)
    expect(n.rows[0]!.n).toBe(1000)
  })
})
