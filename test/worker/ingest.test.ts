// The Worker inside workerd, end to end: src/worker.ts → the app → Kysely → Neon's HTTP driver →
// the local Neon endpoint (test/worker/global-setup.ts) → PGlite. Rows are checked through the same
// driver from inside workerd, and the endpoint's counters show one HTTP query per ingest request.
import { env, exports } from 'cloudflare:workers'
import { neon, neonConfig, type NeonQueryFunction } from '@neondatabase/serverless'
import { beforeAll, describe, expect, inject, it, vi } from 'vitest'
import worker, { type WorkerEnv } from '../../src/worker.js'

const { keyA, keyB, revokedKey, busyKey, accountId } = inject('worker')
const bindings = env as unknown as WorkerEnv
const statsUrl = new URL('/_stats', inject('neonEndpoint')).href
// The Worker's default export as its own service binding (typed by `wrangler types` in apps that
// generate them; this project does not).
const self = (exports as unknown as { default: Fetcher }).default

let sql: NeonQueryFunction<false, false>
beforeAll(() => {
  neonConfig.fetchEndpoint = () => bindings.NEON_FETCH_ENDPOINT!
  sql = neon(bindings.DATABASE_URL!)
})

async function call(
  path: string,
  key: string | undefined,
  body: unknown,
  type = 'application/json',
) {
  const headers: Record<string, string> = { 'Content-Type': type }
  if (key) headers.Authorization = `Bearer ${key}`
  const res = await self.fetch(`https://tinycrm.example${path}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: res.status, headers: res.headers, body: (await res.json()) as any }
}

/** What the endpoint has served so far: HTTP query requests and the statements in them. */
async function served(): Promise<{ requests: number; queries: number }> {
  return (await fetch(statsUrl)).json()
}

/** Runs `fn` and returns how many HTTP query requests the database endpoint served meanwhile. */
async function roundTrips(fn: () => Promise<unknown>) {
  const before = await served()
  await fn()
  const after = await served()
  return { requests: after.requests - before.requests, queries: after.queries - before.queries }
}

async function relations(email: string) {
  return sql`
    SELECT p.name AS project, r.status, r.params, r.last_activity_at
    FROM customer_projects r
    JOIN customers c ON c.id = r.customer_id
    JOIN projects p ON p.id = r.project_id
    WHERE c.account_id = ${accountId} AND c.email = ${email}
    ORDER BY p.name`
}

describe('the Worker over Neon HTTP', () => {
  it('reads a punycode domain as its Unicode form in workerd too: one customer', async () => {
    const a = await call('/v1/identify', keyA, { email: 'ida@xn--bcher-kva.de' })
    const b = await call('/v1/identify', keyB, { email: 'Ida@Bücher.de' })
    expect(a).toMatchObject({ status: 200, body: { created: true } })
    expect(b).toMatchObject({ status: 200, body: { created: false } })
    expect(b.body.customerId).toBe(a.body.customerId)
    expect(await relations('ida@bücher.de')).toHaveLength(2)
  })

  it('identifies a customer in two products: one customer, a relation per product', async () => {
    let a
    const trips = await roundTrips(async () => {
      a = await call('/v1/identify', keyA, {
        email: 'Worker@Example.com',
        name: 'Wendy Worker',
        status: 'active',
        params: { plan: 'pro', mrr: 29 },
      })
    })
    expect(trips).toEqual({ requests: 1, queries: 1 })
    const b = await call('/v1/identify', keyB, { email: 'worker@example.com', status: 'trialing' })

    expect(a).toMatchObject({ status: 200, body: { ok: true, created: true } })
    expect(b).toMatchObject({ status: 200, body: { ok: true, created: false } })
    expect(typeof a!.body.customerId).toBe('number')
    expect(b!.body.customerId).toBe(a!.body.customerId)
    expect(await relations('worker@example.com')).toMatchObject([
      { project: 'App A', status: 'paid', params: { plan: 'pro', mrr: 29 } },
      { project: 'App B', status: 'trial', params: {} },
    ])
    const [customer] = await sql`SELECT count(*)::int AS n, max(name) AS name FROM customers
      WHERE account_id = ${accountId} AND email = 'worker@example.com'`
    expect(customer).toEqual({ n: 1, name: 'Wendy Worker' })
  })

  it('pings: moves last activity with one query, creates nothing for an unknown email', async () => {
    await call('/v1/identify', keyA, {
      email: 'pinger@example.com',
      timestamp: '2025-01-01T00:00:00Z',
    })
    let found
    const trips = await roundTrips(async () => {
      found = await call('/v1/ping', keyA, {
        email: 'pinger@example.com',
        timestamp: '2025-02-01T00:00:00Z',
      })
    })
    expect(trips).toEqual({ requests: 1, queries: 1 })
    const unknown = await call('/v1/ping', keyA, { email: 'nobody@example.com' })

    expect(found).toMatchObject({ status: 200, body: { ok: true, found: true } })
    expect(unknown).toMatchObject({ status: 200, body: { ok: true, found: false } })
    const [rel] = await relations('pinger@example.com')
    expect(new Date(rel!.last_activity_at).toISOString()).toBe('2025-02-01T00:00:00.000Z')
    expect(await relations('nobody@example.com')).toEqual([])
  })

  it('takes a batch of 1,000 items in one request and one query, a bad item failing alone', async () => {
    const batch: unknown[] = Array.from({ length: 999 }, (_, i) => ({
      type: 'identify',
      email: `bulk${i}@example.com`,
      params: { i },
    }))
    batch.splice(500, 0, { type: 'identify', email: 'not-an-email' })
    let res
    const trips = await roundTrips(async () => {
      res = await call('/v1/batch', keyA, { batch })
    })
    expect(trips).toEqual({ requests: 1, queries: 1 })
    expect(res).toMatchObject({ status: 200, body: { ok: true, succeeded: 999, failed: 1 } })
    expect(res!.body.results[500]).toMatchObject({ index: 500, ok: false })
    const [count] = await sql`SELECT count(*)::int AS n FROM customers
      WHERE account_id = ${accountId} AND email LIKE 'bulk%'`
    expect(count!.n).toBe(999)
  })

  it('answers 401 for a missing or unknown key and 403 for a revoked one', async () => {
    const body = { email: 'x@example.com' }
    expect(await call('/v1/identify', undefined, body)).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthorized' } },
    })
    const unknown = `tcrm_proj_${'0'.repeat(22)}`
    expect(await call('/v1/identify', unknown, body)).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthorized' } },
    })
    expect(await call('/v1/identify', revokedKey, body)).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden' } },
    })
    expect(await relations('x@example.com')).toEqual([])
  })

  it('answers 415 for a body that is not JSON and 400 naming the bad field', async () => {
    const text = await call('/v1/identify', keyA, 'email=a@example.com', 'text/plain')
    expect(text).toMatchObject({ status: 415, body: { error: { code: 'unsupported_media_type' } } })

    const broken = await call('/v1/identify', keyA, '{"email": ')
    expect(broken).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } })

    const invalid = await call('/v1/identify', keyA, { email: 'v@example.com', status: 'gold' })
    expect(invalid).toMatchObject({
      status: 400,
      body: { error: { code: 'validation_failed', details: [{ path: 'status' }] } },
    })
    expect(invalid.body.error.requestId).toEqual(expect.any(String))
    expect(await relations('v@example.com')).toEqual([])
  })

  it("answers 429 with Retry-After past the API key's limit (Cloudflare's rate-limit binding)", async () => {
    // 20 per 60 s in the test config: 41 requests cross the limit even if a window ends mid-burst.
    const statuses: number[] = []
    let limited
    for (let i = 0; i < 41; i++) {
      const res = await call('/v1/ping', busyKey, { email: 'busy@example.com' })
      statuses.push(res.status)
      if (res.status === 429) limited = res
    }
    expect(statuses).toContain(200)
    expect(limited).toMatchObject({ body: { error: { code: 'rate_limited' } } })
    expect(limited!.headers.get('Retry-After')).toBe('10')
    // Other keys keep their own budget.
    expect((await call('/v1/ping', keyB, { email: 'busy@example.com' })).status).toBe(200)
  })

  it('answers a clear 500 JSON error, not a crash, when DATABASE_URL is missing', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const ctx = { waitUntil() {}, passThroughOnException() {} } as unknown as ExecutionContext
    const request = new Request('https://tinycrm.example/v1/identify', { method: 'POST' })
    const res = await worker.fetch(request as Parameters<typeof worker.fetch>[0], {}, ctx)
    expect(res.status).toBe(500)
    const body = (await res.json()) as any
    expect(body.error).toMatchObject({
      code: 'internal',
      message: expect.stringContaining('DATABASE_URL'),
    })
    expect(body.error.requestId).toEqual(expect.any(String))
    // The operator finds it in the Worker's logs under the same request id.
    expect(String(logged.mock.calls[0]?.[0])).toContain(body.error.requestId)
    logged.mockRestore()
  })

  it('answers a clear 500 for a bad TINYCRM_SIGNUP var', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const ctx = { waitUntil() {}, passThroughOnException() {} } as unknown as ExecutionContext
    const request = new Request('https://tinycrm.example/healthz')
    const env = { DATABASE_URL: bindings.DATABASE_URL, TINYCRM_SIGNUP: 'maybe' }
    const res = await worker.fetch(request as Parameters<typeof worker.fetch>[0], env, ctx)
    expect(res.status).toBe(500)
    expect(((await res.json()) as any).error.message).toContain(
      'TINYCRM_SIGNUP must be open or closed',
    )
    logged.mockRestore()
  })
})
