// Body limits: refused before anything reads the body, the first limit on the way decides, and
// the app applies one to every route.
import { Hono } from 'hono/tiny'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../../app.js'
import type { HonoEnv } from '../../env.js'
import { openTestDb, type TestDb } from '../../../test/support/db.js'
import { onError } from '../on-error/index.js'
import { DEFAULT_BODY_BYTES, bodyLimit } from './index.js'

/** A body that counts how much of it was read. */
function counted(bytes: number) {
  const state = { read: 0 }
  const chunk = new Uint8Array(64 * 1024).fill(97)
  const body = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        if (state.read >= bytes) return c.close()
        state.read += chunk.length
        c.enqueue(chunk)
      },
    },
    { highWaterMark: 0 },
  )
  return { body, state }
}

describe('bodyLimit()', () => {
  const app = new Hono<HonoEnv>()
  app.onError(onError())
  app.use('/big', bodyLimit(1024 * 1024))
  app.use('/own', bodyLimit('counted-by-route'))
  app.use('*', bodyLimit(1024))
  app.post('*', async (c) => c.text(String((await c.req.text()).length)))

  it('refuses a declared length over the limit without reading the body (413)', async () => {
    const { body, state } = counted(10_000)
    const res = await app.request('/small', {
      method: 'POST',
      headers: { 'Content-Length': '10000' },
      body,
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({
      error: { code: 'payload_too_large', message: 'Request body is over the 1 KB limit' },
    })
    expect(state.read).toBe(0)
  })

  it('cuts off a body without a length once it passes the limit', async () => {
    const { body, state } = counted(10 * 1024 * 1024)
    const res = await app.request('/small', { method: 'POST', body, duplex: 'half' } as RequestInit)
    expect(res.status).toBe(413)
    expect(state.read).toBeLessThan(256 * 1024)
  })

  it('lets a route declared before the default have its own limit, or count its own bytes', async () => {
    const ok = await app.request('/big', { method: 'POST', body: 'a'.repeat(100_000) })
    expect(await ok.text()).toBe('100000')
    const own = await app.request('/own', { method: 'POST', body: 'a'.repeat(5_000_000) })
    expect(await own.text()).toBe('5000000')
    expect((await app.request('/small', { method: 'POST', body: 'a'.repeat(2048) })).status).toBe(
      413,
    )
  })
})

describe('the app', () => {
  let t: TestDb
  beforeAll(async () => {
    t = await openTestDb()
  })
  afterAll(() => t.close())

  it('limits a dashboard form post and an account API body before reading them', async () => {
    const app = createApp({ db: t.db })
    const big = 'a'.repeat(DEFAULT_BODY_BYTES + 1)
    const login = await app.request('/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html' },
      body: `email=${big}`,
    })
    expect(login.status).toBe(413)
    const api = await app.request('/v1/projects', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer x' },
      body: JSON.stringify({ name: big }),
    })
    expect(api.status).toBe(413)
  })

  it('reads at most 1 MB of an upload route before the visitor is signed in', async () => {
    const app = createApp({ db: t.db })
    const secret = { Cookie: 'tcrm_pre=s3cret; tcrm_session=forged-session-token' }
    for (const path of ['/imports', '/imports/stream']) {
      // Chunked (no Content-Length), as a form of the wrong type would come: the CSRF check
      // would parse it whole to look for its token.
      const { body, state } = counted(40 * 1024 * 1024)
      const res = await app.request(path, {
        method: 'POST',
        headers: {
          ...secret,
          'Content-Type': 'multipart/form-data; boundary=x',
          Accept: 'text/html',
        },
        body,
        duplex: 'half',
      } as RequestInit)
      expect([403, 413], path).toContain(res.status)
      expect(state.read, path).toBeLessThanOrEqual(DEFAULT_BODY_BYTES + 64 * 1024)
      const declared = await app.request(path, {
        method: 'POST',
        headers: {
          ...secret,
          'Content-Type': 'multipart/form-data; boundary=x',
          'Content-Length': String(40 * 1024 * 1024),
        },
        body: counted(40 * 1024 * 1024).body,
        duplex: 'half',
      } as RequestInit)
      expect([403, 413], path).toContain(declared.status)
    }
  })
})
