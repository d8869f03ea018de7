// Resilience against a real local HTTP server that fails on purpose: connection refused, a hang
// past the timeout, 5xx then success, 429 with Retry-After, and 4xx that must not be retried.
// Whatever happens, a call resolves to { data, error }: nothing rejects, nothing escapes, and an
// error from the transport names the URL it failed on. Without a URL, nothing is sent at all.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { TinyCRM, type TinyCRMError } from '../src/index.js'

type Reply = { status: number; headers?: Record<string, string>; body?: unknown } | 'hang'
interface Hit {
  at: number
  path: string
  body: unknown
  authorization: string | undefined
}

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((resolve) => s.close(resolve))
  }
})

/** A server that answers the n-th request (0-based) with script(n), recording every hit. */
async function faultServer(script: (n: number) => Reply) {
  const hits: Hit[] = []
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let raw = ''
    for await (const chunk of req) raw += chunk
    const n = hits.length
    hits.push({
      at: Date.now(),
      path: req.url!,
      body: JSON.parse(raw),
      authorization: req.headers.authorization,
    })
    const reply = script(n)
    if (reply === 'hang') return
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
    res.end(JSON.stringify(reply.body ?? {}))
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits }
}

/** A port that refuses connections: bound once, then released. */
async function refusedUrl() {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return `http://127.0.0.1:${port}`
}

const KEY = 'tcrm_proj_0123456789abcdefghijklmnop'
const ok = { status: 200, body: { ok: true, customerId: 7, created: true } }
const serverError = (code: string, message: string) => ({
  error: { code, message, requestId: 'req-1' },
})

function client(
  baseUrl: string,
  options: Partial<ConstructorParameters<typeof TinyCRM>[0] & object> = {},
) {
  const onError = vi.fn<(error: TinyCRMError) => void>()
  const crm = new TinyCRM({ apiKey: KEY, baseUrl, onError, ...options })
  return { crm, onError }
}

describe('retries', () => {
  it('connection refused: retried, then resolves with network_error and calls onError once', async () => {
    const url = await refusedUrl()
    const { crm, onError } = client(url, { retries: 1 })
    const result = await crm.identify({ email: 'a@example.com' })
    expect(result).toEqual({
      data: null,
      error: expect.objectContaining({
        code: 'network_error',
        status: 0,
        // Which server it could not reach: the first thing to check.
        message: expect.stringContaining(`${url}/v1/identify`),
      }),
    })
    expect(onError).toHaveBeenCalledTimes(1)
    expect(onError).toHaveBeenCalledWith(result.error)
  })

  it('a server that hangs: each attempt is cut at timeoutMs, then resolves with timeout', async () => {
    const { url, hits } = await faultServer(() => 'hang')
    const { crm } = client(url, { timeoutMs: 200, retries: 1 })
    const result = await crm.identify({ email: 'a@example.com' })
    expect(result.error).toMatchObject({ code: 'timeout', status: 0 })
    expect(result.error!.message).toContain(`${url}/v1/identify`)
    expect(hits).toHaveLength(2)
  })

  it('500 then 200: one retry succeeds, with the same request', async () => {
    const { url, hits } = await faultServer((n) =>
      n === 0 ? { status: 500, body: serverError('internal', 'Internal error') } : ok,
    )
    const { crm, onError } = client(url)
    const result = await crm.identify({ email: 'a@example.com', status: 'paid' })
    expect(result).toEqual({ data: ok.body, error: null })
    expect(hits.map((h) => h.path)).toEqual(['/v1/identify', '/v1/identify'])
    expect(hits[1]!.body).toEqual(hits[0]!.body)
    expect(hits[0]!.authorization).toBe(`Bearer ${KEY}`)
    expect(onError).not.toHaveBeenCalled()
  })

  it.each([408, 502, 503])('%i is retried', async (status) => {
    const { url, hits } = await faultServer((n) => (n === 0 ? { status } : ok))
    const { crm } = client(url)
    expect((await crm.ping('a@example.com')).error).toBeNull()
    expect(hits).toHaveLength(2)
  })

  it('429 with Retry-After: waits at least that long before the retry', async () => {
    const { url, hits } = await faultServer((n) =>
      n === 0
        ? {
            status: 429,
            headers: { 'Retry-After': '2' },
            body: serverError('rate_limited', 'Slow down'),
          }
        : ok,
    )
    const { crm } = client(url)
    expect((await crm.identify({ email: 'a@example.com' })).error).toBeNull()
    expect(hits).toHaveLength(2)
    // A lower bound only (a busy machine makes it longer, never shorter); without Retry-After the
    // first backoff is at most 300 ms.
    expect(hits[1]!.at - hits[0]!.at).toBeGreaterThanOrEqual(1900)
  })

  it('a Retry-After over a minute is not waited for: the 429 comes back at once', async () => {
    const { url, hits } = await faultServer(() => ({
      status: 429,
      headers: { 'Retry-After': '3600' },
      body: serverError('rate_limited', 'Slow down'),
    }))
    const { crm } = client(url)
    const result = await crm.identify({ email: 'a@example.com' })
    expect(result.error).toMatchObject({ code: 'rate_limited', status: 429, message: 'Slow down' })
    expect(hits).toHaveLength(1)
  })

  it('gives up after `retries` extra attempts with the last error', async () => {
    const { url, hits } = await faultServer(() => ({
      status: 503,
      body: serverError('unavailable', 'Down'),
    }))
    const { crm } = client(url, { retries: 2 })
    const result = await crm.identify({ email: 'a@example.com' })
    expect(result.error).toMatchObject({ code: 'unavailable', status: 503, requestId: 'req-1' })
    expect(hits).toHaveLength(3)
  })
})

describe('no retry on other 4xx', () => {
  it.each([
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [400, 'validation_failed'],
    [413, 'payload_too_large'],
  ])('%i %s: one request, the server error as is', async (status, code) => {
    const { url, hits } = await faultServer(() => ({ status, body: serverError(code, 'No.') }))
    const { crm, onError } = client(url)
    const result = await crm.identify({ email: 'a@example.com' })
    expect(result).toEqual({
      data: null,
      error: { code, message: 'No.', requestId: 'req-1', status },
    })
    expect(hits).toHaveLength(1)
    expect(onError).toHaveBeenCalledTimes(1)
  })

  it('a non-TinyCRM error page (a proxy) becomes http_error with its status and URL', async () => {
    const { url } = await faultServer(() => ({ status: 404, body: 'Not Found' }))
    const { crm } = client(url)
    expect((await crm.identify({ email: 'a@example.com' })).error).toEqual({
      code: 'http_error',
      status: 404,
      message: `HTTP 404: ${url}/v1/identify`,
    })
  })

  it('a 200 that is not TinyCRM (a wrong URL serving a page) is an http_error, not a success', async () => {
    const { url } = await faultServer(() => ({ status: 200, body: '<html>' }))
    const { crm } = client(url)
    expect((await crm.identify({ email: 'a@example.com' })).error).toMatchObject({
      code: 'http_error',
      status: 200,
    })
  })
})

describe('mistakes caught before any request', () => {
  it('a missing API key (an unset env var) resolves with unauthorized and sends nothing', async () => {
    const { url, hits } = await faultServer(() => ok)
    const { crm, onError } = client(url, { apiKey: process.env.TINYCRM_KEY_THAT_IS_NOT_SET })
    const result = await crm.identify({ email: 'a@example.com' })
    expect(result.error).toMatchObject({ code: 'unauthorized', status: 401 })
    expect(result.error!.message).toMatch(/API key/)
    expect(new TinyCRM(undefined)).toBeInstanceOf(TinyCRM)
    expect(onError).toHaveBeenCalledTimes(1)
    expect(hits).toHaveLength(0)
  })

  it('no baseUrl and no TINYCRM_URL: missing_url, and nothing is sent anywhere', async () => {
    const saved = process.env.TINYCRM_URL
    delete process.env.TINYCRM_URL
    // Counts every request the process makes through fetch, the SDK's only way out.
    const sent = vi.spyOn(globalThis, 'fetch')
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    try {
      const onError = vi.fn<(error: TinyCRMError) => void>()
      for (const crm of [
        new TinyCRM(KEY),
        new TinyCRM({ apiKey: KEY, onError }),
        new TinyCRM({ apiKey: KEY, baseUrl: '', onError: null }),
        new TinyCRM({ apiKey: KEY, batch: true, onError: null }),
      ]) {
        const identify = crm.identify({ email: 'a@example.com' })
        const ping = crm.ping('a@example.com')
        const batch = crm.batch([{ type: 'ping', email: 'a@example.com' }])
        await crm.flush()
        for (const { error } of await Promise.all([identify, ping, batch])) {
          expect(error).toEqual({
            code: 'missing_url',
            status: 0,
            message: expect.stringMatching(/TINYCRM_URL.*baseUrl/),
          })
        }
      }
      // Reported once per call: by the default onError (console.error) and by a given one.
      expect(logged).toHaveBeenCalledTimes(3)
      expect(onError).toHaveBeenCalledTimes(3)
      expect(sent).not.toHaveBeenCalled()
    } finally {
      sent.mockRestore()
      logged.mockRestore()
      if (saved !== undefined) process.env.TINYCRM_URL = saved
    }
  })

  it('no email: validation_failed naming the field, sends nothing', async () => {
    const { url, hits } = await faultServer(() => ok)
    const { crm } = client(url)
    for (const bad of [{}, { email: '' }, { email: 'not-an-email' }, null]) {
      const result = await crm.identify(bad as never)
      expect(result.error).toMatchObject({
        code: 'validation_failed',
        status: 400,
        details: [{ path: 'email', message: expect.any(String) }],
      })
    }
    expect((await crm.ping(undefined as never)).error).toMatchObject({ code: 'validation_failed' })
    expect(hits).toHaveLength(0)
  })

  it('params that cannot be JSON (a BigInt) resolve with validation_failed, not a throw', async () => {
    const { url, hits } = await faultServer(() => ok)
    const { crm } = client(url)
    const result = await crm.identify({ email: 'a@example.com', params: { big: 1n as never } })
    expect(result.error).toMatchObject({ code: 'validation_failed', status: 400 })
    expect(hits).toHaveLength(0)
  })
})

describe('what goes over the wire', () => {
  it('identify sends paramsOnce as given, alone and inside a batch', async () => {
    const { url, hits } = await faultServer((n) =>
      n === 0 ? ok : { status: 200, body: { ok: true, results: [{ index: 0, ok: true }] } },
    )
    const paramsOnce = { source: 'producthunt', first_plan: 'pro' }
    const input = { email: 'a@example.com', params: { plan: 'pro' }, paramsOnce }
    expect((await client(url).crm.identify(input)).error).toBeNull()
    const batching = client(url, { batch: true }).crm
    const queued = batching.identify(input)
    await batching.flush()
    expect((await queued).error).toBeNull()

    expect(hits.map((h) => [h.path, h.body])).toEqual([
      ['/v1/identify', input],
      ['/v1/batch', { batch: [{ ...input, type: 'identify' }] }],
    ])
  })
})

describe('fire-and-forget is safe', () => {
  it('unawaited calls that fail every way never produce an unhandled rejection', async () => {
    const escaped: unknown[] = []
    const watch = (reason: unknown) => escaped.push(reason)
    process.on('unhandledRejection', watch)
    try {
      const refused = await refusedUrl()
      const { url: failing } = await faultServer((n) =>
        n % 2
          ? { status: 401, body: serverError('unauthorized', 'Unknown API key') }
          : { status: 500 },
      )
      const { url: hanging } = await faultServer(() => 'hang')
      const throwing = () => {
        throw new Error('a broken onError hook')
      }
      const clients = [
        new TinyCRM({ apiKey: KEY, baseUrl: refused, retries: 1, onError: throwing }),
        new TinyCRM({ apiKey: KEY, baseUrl: failing, retries: 0, onError: null }),
        new TinyCRM({ apiKey: KEY, baseUrl: hanging, timeoutMs: 100, retries: 0, onError: null }),
        new TinyCRM({ apiKey: undefined, onError: null }),
        new TinyCRM({ apiKey: KEY, baseUrl: refused, batch: true, retries: 0, onError: null }),
      ]
      for (const crm of clients) {
        crm.identify({ email: 'a@example.com', status: 'paid' })
        crm.identify({} as never)
        crm.ping('a@example.com')
        crm.batch([{ type: 'ping', email: 'a@example.com' }])
      }
      await Promise.all(clients.map((crm) => crm.flush()))
      // Let any stray rejection reach the process-level event before looking.
      await new Promise((resolve) => setTimeout(resolve, 50))
    } finally {
      process.off('unhandledRejection', watch)
    }
    expect(escaped).toEqual([])
  })
})
