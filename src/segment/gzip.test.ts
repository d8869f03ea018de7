// Gzipped bodies on Segment's routes (Node over PGlite), as Segment's server libraries can send
// them (analytics-python with gzip=True): read as the same body sent plain; the body limits hold
// for the inflated size (a zip bomb is the same 413, and is not inflated past the limit); a body
// that does not inflate is a 400, another encoding a 415; nothing is written for any of them.
import { gzipSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'

const t = useTestApp({ listen: true })
let key: string
let projectId: number
let accountId: number

beforeEach(async () => {
  const seeded = await seedAccount(t.db, ['App A'])
  accountId = seeded.accountId
  key = seeded.projects[0]!.key
  projectId = seeded.projects[0]!.project.id
})

const basic = (k: string) => `Basic ${btoa(`${k}:`)}`

/** Posts `body` (gzipped unless it is bytes already) with `Content-Encoding` (gzip unless told). */
async function post(
  path: string,
  body: unknown,
  { encoding = 'gzip', auth = basic(key) }: { encoding?: string; auth?: string } = {},
) {
  const bytes = body instanceof Uint8Array ? body : gzipSync(JSON.stringify(body))
  const res = await t.app.request(path, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Content-Encoding': encoding,
      Authorization: auth,
    },
    body: bytes as Uint8Array<ArrayBuffer>,
  })
  return { status: res.status, body: (await res.json()) as any }
}

const written = async () => ({
  customers: (
    await t.db
      .selectFrom('customers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow()
  ).n,
  messages: (
    await t.db
      .selectFrom('segment_messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('project_id', '=', projectId)
      .executeTakeFirstOrThrow()
  ).n,
})

async function customer(email: string) {
  return t.db
    .selectFrom('customer_projects as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .select(['c.name', 'r.params'])
    .where('c.account_id', '=', accountId)
    .where('c.email', '=', email)
    .executeTakeFirst()
}

const identify = (email: string, fields: Record<string, unknown> = {}) => ({
  type: 'identify',
  userId: `u-${email}`,
  messageId: `m-${Math.random()}`,
  timestamp: '2026-03-01T00:00:00.000Z',
  traits: { email, name: 'Gzip Person', plan: 'pro' },
  ...fields,
})

describe('a gzipped body', () => {
  it('over HTTP, as QA sent it: a batch of identify and track is applied (200, as Segment)', async () => {
    const batch = [
      identify('gz@example.com'),
      {
        type: 'track',
        userId: 'u-gz@example.com',
        event: 'Upgraded',
        messageId: 'm-track',
        timestamp: '2026-03-02T00:00:00.000Z',
      },
    ]
    const res = await fetch(`${t.baseUrl}/v1/batch`, {
      method: 'POST',
      headers: {
        authorization: basic(key),
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      body: gzipSync(JSON.stringify({ batch })),
    })
    expect({ status: res.status, body: await res.json() }).toEqual({
      status: 200,
      body: { success: true },
    })
    const row = await customer('gz@example.com')
    expect(row).toMatchObject({ name: 'Gzip Person', params: { plan: 'pro' } })
    expect(await written()).toEqual({ customers: 1, messages: 2 })
  })

  it('on a single call and on analytics.js paths too; Content-Encoding is read in any case', async () => {
    expect(await post('/v1/identify', identify('one@example.com'))).toEqual({
      status: 200,
      body: { success: true },
    })
    expect(
      await post('/v1/b', { batch: [identify('b@example.com')] }, { encoding: 'GZIP' }),
    ).toEqual({
      status: 200,
      body: { success: true },
    })
    expect(await written()).toEqual({ customers: 2, messages: 2 })
  })

  it("TinyCRM's own identify, ping and batch (Bearer key, its shape) take gzip", async () => {
    const auth = `Bearer ${key}`
    const one = await post('/v1/identify', { email: 'own@example.com', name: 'Own' }, { auth })
    expect(one).toMatchObject({ status: 200, body: { ok: true, created: true } })
    const many = await post(
      '/v1/batch',
      { batch: [{ type: 'ping', email: 'own@example.com' }] },
      {
        auth,
      },
    )
    expect(many).toMatchObject({ status: 200, body: { ok: true, succeeded: 1, failed: 0 } })
    const ping = await post('/v1/ping', { email: 'own@example.com' }, { auth })
    expect(ping).toMatchObject({ status: 200, body: { ok: true } })
    const bad = await post('/v1/ping', { email: 'not an email' }, { auth })
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'validation_failed' } } })
  })
})

describe('the body limit holds for the inflated size', () => {
  afterEach(() => vi.unstubAllGlobals())

  /** Counts the bytes that come out of every DecompressionStream. */
  function countInflated() {
    const Real = DecompressionStream
    const counted = { bytes: 0 }
    vi.stubGlobal(
      'DecompressionStream',
      class {
        readonly writable: WritableStream
        readonly readable: ReadableStream
        constructor(format: CompressionFormat) {
          const real = new Real(format)
          this.writable = real.writable
          this.readable = real.readable.pipeThrough(
            new TransformStream<Uint8Array, Uint8Array>({
              transform(chunk, out) {
                counted.bytes += chunk.length
                out.enqueue(chunk)
              },
            }),
          )
        }
      },
    )
    return counted
  }

  it('a zip bomb (20 MB inflated from ~20 KB) is the 413 of a plain body over 500 KB; not inflated past the limit; nothing written', async () => {
    const counted = countInflated()
    const pad = ' '.repeat(20 * 1024 * 1024)
    const bomb = gzipSync(`{"batch":[${JSON.stringify(identify('bomb@example.com'))}]${pad}}`)
    expect(bomb.length).toBeLessThan(500 * 1024)
    const res = await post('/v1/batch', bomb)
    const plain = await t.app.request('/v1/batch', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: basic(key) },
      body: `{"batch":[]${' '.repeat(500 * 1024)}}`,
    })
    expect(res.status).toBe(413)
    const error = { code: 'payload_too_large', message: 'Request body is over the 500 KB limit' }
    expect(res.body.error).toMatchObject(error)
    expect(((await plain.json()) as any).error).toMatchObject(error)
    expect(counted.bytes).toBeGreaterThan(500 * 1024)
    expect(counted.bytes).toBeLessThan(1024 * 1024)
    expect(await written()).toEqual({ customers: 0, messages: 0 })
  })

  it('a single call inflating past 32 KB is its 413', async () => {
    const res = await post('/v1/track', {
      type: 'track',
      userId: 'u',
      event: 'Big',
      properties: { pad: 'x'.repeat(40 * 1024) },
    })
    expect(res.status).toBe(413)
    expect(res.body.error.message).toBe('Request body is over the 32 KB limit')
  })
})

describe('a body that cannot be read as sent', () => {
  it('corrupt or cut-short gzip: 400 saying it is not valid gzip; nothing written', async () => {
    const whole = gzipSync(JSON.stringify({ batch: [identify('corrupt@example.com')] }))
    const flipped = Uint8Array.from(whole)
    flipped[20] = flipped[20]! ^ 0xff
    for (const body of [
      flipped,
      whole.subarray(0, whole.length - 10),
      new TextEncoder().encode('{}'),
    ]) {
      const res = await post('/v1/batch', body)
      expect(res).toMatchObject({
        status: 400,
        body: { error: { code: 'invalid_json', message: 'The request body is not valid gzip' } },
      })
    }
    expect(await written()).toEqual({ customers: 0, messages: 0 })
  })

  it('another Content-Encoding (br, deflate) is a 415 naming it; on a shared path too', async () => {
    for (const [path, encoding] of [
      ['/v1/batch', 'br'],
      ['/v1/identify', 'deflate'],
    ] as const) {
      const res = await post(path, new TextEncoder().encode('{}'), { encoding })
      expect(res).toMatchObject({
        status: 415,
        body: {
          error: {
            code: 'unsupported_media_type',
            message: `Content-Encoding must be gzip or none (got '${encoding}')`,
          },
        },
      })
    }
  })
})
