// The Worker when Neon is not there: its HTTP endpoint refuses connections, or answers 5xx (as a
// proxy does while the database is down). The Worker must answer as the Node server does when
// Postgres is down: 503 with Retry-After and a body without internals, never a 500. The Worker's
// real code runs in workerd; only the env (the endpoint it is pointed at) differs per test.
import { env } from 'cloudflare:workers'
import { neonConfig } from '@neondatabase/serverless'
import { afterEach, describe, expect, it, vi } from 'vitest'
import worker, { type WorkerEnv } from '../../src/worker.js'

const bindings = env as unknown as WorkerEnv
const ctx = { waitUntil() {}, passThroughOnException() {} } as unknown as ExecutionContext
// A well-formed key nobody holds: the database must be asked to know it is unknown.
const key = 'tcrm_proj_' + 'f'.repeat(32)

afterEach(() => {
  neonConfig.fetchFunction = undefined
  vi.restoreAllMocks()
})

async function identify(workerEnv: WorkerEnv) {
  const request = new Request('https://tinycrm.example/v1/identify', {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'outage@example.com', status: 'paid' }),
  })
  const res = await worker.fetch(request as Parameters<typeof worker.fetch>[0], workerEnv, ctx)
  return { status: res.status, retryAfter: res.headers.get('Retry-After'), text: await res.text() }
}

function expectUnavailable(res: Awaited<ReturnType<typeof identify>>) {
  expect(res.status).toBe(503)
  expect(res.retryAfter).toMatch(/^\d+$/)
  const body = JSON.parse(res.text)
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'requestId'])
  expect(body.error.code).toBe('unavailable')
  // Neither the driver's message, nor the endpoint's address, nor a stack.
  expect(res.text).not.toMatch(/Neon|Server error|connecting|127\.0\.0\.1|\bat \S+ \(|SELECT/i)
}

describe('the Worker when the Neon HTTP endpoint fails', () => {
  it('answers 503 with Retry-After when the endpoint refuses connections', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    // Port 9 (discard) on loopback: nothing listens there in a test machine.
    const res = await identify({ ...bindings, NEON_FETCH_ENDPOINT: 'http://127.0.0.1:9/sql' })
    expectUnavailable(res)
    // The operator's log has the cause under the request id the client saw; the client does not.
    const requestId = JSON.parse(res.text).error.requestId
    expect(String(logged.mock.calls[0]?.[0])).toContain(requestId)
    expect(logged.mock.calls.flat().map(String).join(' ')).not.toContain(key)
  })

  it.each([502, 503, 504])('answers 503 + Retry-After when it answers %i', async (status) => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    // The driver's own fetch hook: what a proxy in front of a database that is down sends back.
    const page = '<html>upstream unavailable</html>'
    neonConfig.fetchFunction = async () =>
      new Response(page, { status, headers: { 'Content-Type': 'text/html' } })
    expectUnavailable(await identify(bindings))
  })

  it('is back to normal once the endpoint answers again', async () => {
    // The same isolate, after the failures above: the real endpoint and a real 401 for the key.
    const res = await identify(bindings)
    expect(res.status).toBe(401)
    expect(JSON.parse(res.text).error.code).toBe('unauthorized')
  })
})
