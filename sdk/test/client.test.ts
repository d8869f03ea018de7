// The client's methods against the real app: both constructors, identify, both ping forms, batch,
// and batching mode (calls coalesced into /v1/batch, each call still getting its own result).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { TinyCRM } from '../src/index.js'
import { startAppServer, type AppServer } from './app-server.js'

let server: AppServer
let seeded: Awaited<ReturnType<AppServer['seed']>>
let key: string
beforeAll(async () => {
  server = await startAppServer()
})
afterAll(() => server.close())
beforeEach(async () => {
  seeded = await server.seed(['Product A'])
  key = seeded.keys[0]!
})

/** fetch as is, counting the requests per path: how many HTTP calls the client really made. */
function countingFetch() {
  const paths: string[] = []
  const f: typeof fetch = (input, init) => {
    paths.push(new URL(String(input)).pathname)
    return fetch(input, init)
  }
  return { fetch: f, paths }
}

describe('constructors', () => {
  it('new TinyCRM(key) uses TINYCRM_URL from the environment', async () => {
    process.env.TINYCRM_URL = server.url
    try {
      const result = await new TinyCRM(key).identify({ email: 'env@example.com' })
      expect(result).toEqual({
        data: { ok: true, customerId: expect.any(Number), created: true },
        error: null,
      })
    } finally {
      delete process.env.TINYCRM_URL
    }
  })

  it('new TinyCRM({ apiKey, baseUrl }) with a trailing slash', async () => {
    const crm = new TinyCRM({ apiKey: key, baseUrl: `${server.url}/` })
    expect((await crm.identify({ email: 'slash@example.com' })).error).toBeNull()
  })

  it('methods work detached from the instance (const { identify } = crm)', async () => {
    const { identify, ping } = new TinyCRM({ apiKey: key, baseUrl: server.url })
    expect((await identify({ email: 'detached@example.com' })).error).toBeNull()
    expect((await ping('detached@example.com')).data).toMatchObject({ found: true })
  })
})

describe('methods', () => {
  it('identify: created on the first call, the same customer after', async () => {
    const crm = new TinyCRM({ apiKey: key, baseUrl: server.url })
    const first = await crm.identify({
      email: 'Kim@Example.com',
      status: 'trialing',
      params: { a: 1 },
    })
    const second = await crm.identify({
      email: 'kim@example.com',
      status: 'active',
      params: { a: null, b: [1, { c: true }], at: new Date(0) },
      timestamp: new Date(),
    })
    expect(first.data).toMatchObject({ ok: true, created: true })
    expect(second.data).toMatchObject({
      ok: true,
      created: false,
      customerId: first.data!.customerId,
    })
    expect(await seeded.badges('kim@example.com')).toMatchObject([
      { status: 'paid', params: { b: [1, { c: true }], at: '1970-01-01T00:00:00.000Z' } },
    ])
  })

  it("identify: the server's validation error comes back as is, naming the field", async () => {
    const crm = new TinyCRM({ apiKey: key, baseUrl: server.url, onError: null })
    const result = await crm.identify({ email: 'a@example.com', status: 'gold' as never })
    expect(result).toEqual({
      data: null,
      error: {
        code: 'validation_failed',
        status: 400,
        message: expect.stringContaining('status'),
        details: [
          { path: 'status', message: expect.stringContaining('free, trial, paid, churned') },
        ],
        requestId: expect.any(String),
      },
    })
  })

  it("a client-side check has the server's error shape", async () => {
    const crm = new TinyCRM({ apiKey: key, baseUrl: server.url, onError: null })
    const client = await crm.identify({} as never)
    const res = await fetch(`${server.url}/v1/identify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: '{}',
    })
    const { error: fromServer } = (await res.json()) as { error: Record<string, unknown> }
    expect(client.error).toMatchObject({ code: fromServer.code, status: res.status })
    expect(client.error!.details!.map((d) => d.path)).toEqual(['email'])
    expect(Object.keys(client.error!).sort()).toEqual(
      [...Object.keys(fromServer).filter((k) => k !== 'requestId'), 'status'].sort(),
    )
  })

  it('ping(email) and ping({ email }): found for a known customer, not for a stranger', async () => {
    const crm = new TinyCRM({ apiKey: key, baseUrl: server.url })
    await crm.identify({ email: 'known@example.com' })
    expect((await crm.ping('known@example.com')).data).toMatchObject({ ok: true, found: true })
    expect((await crm.ping({ email: 'known@example.com' })).data).toMatchObject({ found: true })
    expect((await crm.ping('stranger@example.com')).data).toEqual({
      ok: true,
      found: false,
      customerId: null,
    })
    expect(await seeded.rows()).toHaveLength(1)
  })

  it('batch(items): one request, a result per item, a bad item fails alone', async () => {
    const { fetch, paths } = countingFetch()
    const crm = new TinyCRM({ apiKey: key, baseUrl: server.url, fetch })
    const result = await crm.batch([
      { type: 'identify', email: 'b1@example.com', status: 'paid' },
      { type: 'identify', email: 'b2@example.com', status: 'gold' as never },
      { type: 'ping', email: 'b1@example.com' },
    ])
    expect(paths).toEqual(['/v1/batch'])
    expect(result.data).toMatchObject({
      ok: true,
      succeeded: 2,
      failed: 1,
      results: [
        { index: 0, ok: true, created: true },
        { index: 1, ok: false, error: { code: 'validation_failed' } },
        { index: 2, ok: true, found: true },
      ],
    })
  })
})

describe('batching mode', () => {
  it('batch: true coalesces calls into one /v1/batch; each call gets its own result', async () => {
    const { fetch, paths } = countingFetch()
    const crm = new TinyCRM({ apiKey: key, baseUrl: server.url, fetch, batch: true, onError: null })
    const calls = [
      crm.identify({ email: 'q1@example.com', status: 'trial' }),
      crm.identify({ email: 'q2@example.com' }),
      crm.ping('q1@example.com'),
      crm.identify({ email: 'q3@example.com', status: 'gold' as never }),
    ]
    await crm.flush()
    expect(paths).toEqual(['/v1/batch'])
    const [q1, q2, ping, bad] = await Promise.all(calls)
    expect(q1).toMatchObject({ data: { ok: true, created: true }, error: null })
    expect(q2).toMatchObject({ data: { ok: true, created: true }, error: null })
    expect(ping).toMatchObject({ data: { ok: true, found: true }, error: null })
    expect(bad).toMatchObject({
      data: null,
      error: { code: 'validation_failed', status: 400, details: [{ path: 'batch.3.status' }] },
    })
    expect((await seeded.rows()).map((r) => r.email)).toEqual(['q1@example.com', 'q2@example.com'])
  })

  it('flushAt sends as soon as that many calls are queued', async () => {
    const { fetch, paths } = countingFetch()
    const crm = new TinyCRM({ apiKey: key, baseUrl: server.url, fetch, flushAt: 2 })
    const calls = ['f1', 'f2', 'f3', 'f4', 'f5'].map((n) =>
      crm.identify({ email: `${n}@example.com` }),
    )
    // Four calls made two full batches without any flush; the fifth waits for the interval.
    await Promise.all(calls.slice(0, 4))
    expect(paths).toEqual(['/v1/batch', '/v1/batch'])
    await crm.flush()
    expect(paths).toHaveLength(3)
    expect(await seeded.rows()).toHaveLength(5)
  })

  it('flushIntervalMs sends a partial batch without any flush()', async () => {
    const crm = new TinyCRM({ apiKey: key, baseUrl: server.url, flushIntervalMs: 50 })
    const result = await crm.identify({ email: 'timer@example.com' })
    expect(result.data).toMatchObject({ ok: true, created: true })
  })

  it('a failed batch request gives every queued call the error', async () => {
    const crm = new TinyCRM({
      apiKey: 'tcrm_proj_unknown',
      baseUrl: server.url,
      batch: true,
      onError: null,
    })
    const calls = [crm.identify({ email: 'x@example.com' }), crm.ping('x@example.com')]
    await crm.flush()
    for (const r of await Promise.all(calls))
      expect(r.error).toMatchObject({ code: 'unauthorized', status: 401 })
  })
})

describe('flush()', () => {
  it('resolves once every call in flight has settled, and at once when there are none', async () => {
    const crm = new TinyCRM({ apiKey: key, baseUrl: server.url })
    await crm.flush()
    for (let i = 0; i < 10; i++) crm.identify({ email: `f${i}@example.com` })
    await crm.flush()
    expect(await seeded.rows()).toHaveLength(10)
  })
})
