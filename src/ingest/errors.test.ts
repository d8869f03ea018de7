// Bad input to the ingest API: a clear error naming the field, the right status, and nothing written.
import { beforeEach, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createApp } from '../app.js'
import { addProjectKey, revokeKeysByPrefix } from '../projects/keys.js'
import { generateProjectKey, keyPrefix } from '../lib/keys.js'
import { useTestApp } from '../../test/support/db.js'
import { postJson, seedAccount } from '../../test/support/fixtures.js'

const t = useTestApp()
let key: string
let projectId: number
let accountId: number

beforeEach(async () => {
  const seeded = await seedAccount(t.db, ['App A'])
  key = seeded.projects[0]!.key
  projectId = seeded.projects[0]!.project.id
  accountId = seeded.accountId
})

async function rowCounts() {
  const { rows } = await sql<{ customers: number; relations: number }>`
    SELECT (SELECT count(*)::int FROM customers) AS customers,
           (SELECT count(*)::int FROM customer_projects) AS relations`.execute(t.db)
  return rows[0]!
}

/** Sends a request and asserts it changed nothing in the database. */
async function rejected(path: string, init: RequestInit) {
  const before = await rowCounts()
  const res = await t.app.request(path, init)
  const body = (await res.json()) as any
  expect(await rowCounts()).toEqual(before)
  expect(body.error.requestId).toEqual(expect.any(String))
  return { status: res.status, error: body.error, headers: res.headers }
}

const post = (body: string, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}`, ...headers },
  body,
})

describe('authentication', () => {
  it('401 without an Authorization header', async () => {
    const res = await rejected(
      '/v1/identify',
      post('{"email":"a@example.com"}', { Authorization: '' }),
    )
    expect(res).toMatchObject({ status: 401, error: { code: 'unauthorized' } })
    expect(res.error.message).toMatch(/Missing API key/)
  })

  it('401 for a key that is not a project key, or unknown', async () => {
    const wrongShape = await rejected(
      '/v1/identify',
      post('{"email":"a@example.com"}', { Authorization: 'Bearer sk_live_123' }),
    )
    expect(wrongShape).toMatchObject({ status: 401, error: { code: 'unauthorized' } })
    const unknown = await rejected(
      '/v1/identify',
      post('{"email":"a@example.com"}', { Authorization: `Bearer tcrm_proj_${'x'.repeat(32)}` }),
    )
    expect(unknown).toMatchObject({
      status: 401,
      error: { code: 'unauthorized', message: 'Unknown API key' },
    })
  })

  it('403 for a revoked key, on every ingest route', async () => {
    await revokeKeysByPrefix(t.db, keyPrefix(key))
    for (const [path, body] of [
      ['/v1/identify', '{"email":"a@example.com"}'],
      ['/v1/ping', '{"email":"a@example.com"}'],
      ['/v1/batch', '{"batch":[{"type":"identify","email":"a@example.com"}]}'],
    ] as const) {
      const res = await rejected(path, post(body))
      expect(res).toMatchObject({ status: 403, error: { code: 'forbidden' } })
    }
  })

  it('after rotation the old key is refused and the new one works', async () => {
    const fresh = (await addProjectKey(t.db, accountId, projectId, { revokeOthers: true }))!
    expect((await postJson(t.app, '/v1/identify', key, { email: 'r@example.com' })).status).toBe(
      403,
    )
    expect((await postJson(t.app, '/v1/identify', fresh, { email: 'r@example.com' })).status).toBe(
      200,
    )
  })
})

describe('body', () => {
  it('415 when the body is not JSON', async () => {
    const res = await rejected(
      '/v1/identify',
      post('email=a@example.com', { 'Content-Type': 'application/x-www-form-urlencoded' }),
    )
    expect(res).toMatchObject({ status: 415, error: { code: 'unsupported_media_type' } })
    const none = await rejected('/v1/identify', {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}` },
      body: '{}',
    })
    expect(none.status).toBe(415)
  })

  it('400 for malformed JSON', async () => {
    const res = await rejected('/v1/identify', post('{"email": "a@example.com",'))
    expect(res).toMatchObject({ status: 400, error: { code: 'invalid_json' } })
  })

  it('400 for a body that is not UTF-8, rather than storing U+FFFD', async () => {
    const bytes = (...parts: (string | number[])[]) =>
      Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))))
    for (const body of [
      bytes('{"email":"a@example.com","name":"a', [0xff, 0xfe], '"}'),
      bytes('{"email":"a@example.com","params":{"k":"', [0xc0, 0xaf], '"}}'),
    ]) {
      const res = await rejected('/v1/identify', post(body as unknown as string))
      expect(res).toMatchObject({ status: 400, error: { code: 'invalid_json' } })
      expect(res.error.message).toMatch(/UTF-8/)
    }
    // Segment's shape, on the same route and on its own.
    for (const path of ['/v1/identify', '/v1/i']) {
      const segment = bytes('{"userId":"a@example.com","traits":{"name":"a', [0xff], '"}}')
      const res = await rejected(path, post(segment as unknown as string))
      expect(res).toMatchObject({ status: 400, error: { code: 'invalid_json' } })
    }
    const ok = await t.app.request('/v1/identify', post('{"email":"é@example.com","name":"José"}'))
    expect(ok.status).toBe(200)
  })

  it('400 when the body is JSON but not an object', async () => {
    for (const body of ['[]', '"a@example.com"', 'null', '42']) {
      const res = await rejected('/v1/identify', post(body))
      expect(res).toMatchObject({ status: 400, error: { code: 'validation_failed' } })
    }
  })

  it('413 over 32 KB for identify and 500 KB for batch', async () => {
    const big = JSON.stringify({
      email: 'big@example.com',
      params: { blob: 'x'.repeat(33 * 1024) },
    })
    const res = await rejected('/v1/identify', post(big))
    expect(res).toMatchObject({ status: 413, error: { code: 'payload_too_large' } })
    const batch = JSON.stringify({
      batch: Array.from({ length: 60 }, (_, i) => ({
        type: 'identify',
        email: `b${i}@example.com`,
        params: { blob: 'x'.repeat(9000) },
      })),
    })
    expect(batch.length).toBeGreaterThan(500 * 1024)
    const res2 = await rejected('/v1/batch', post(batch))
    expect(res2).toMatchObject({ status: 413, error: { code: 'payload_too_large' } })
  })
})

describe('fields', () => {
  it.each([
    [{}, 'email', /required/],
    [{ email: 'not-an-email' }, 'email', /not a valid email/],
    [{ email: 42 }, 'email', /string/],
    [{ email: 'a@example.com', status: 'gold' }, 'status', /free, trial, paid, churned/],
    [{ email: 'a@example.com', params: 'plan=pro' }, 'params', /object/],
    [{ email: 'a@example.com', params: [1, 2] }, 'params', /object/],
    [{ email: 'a@example.com', name: 7 }, 'name', /string/],
    [{ email: 'a@example.com', timestamp: 'yesterday' }, 'timestamp', /ISO 8601/],
    // A date-time without its offset is ambiguous: the message says what is missing.
    [{ email: 'a@example.com', timestamp: '2026-11-01T10:00:00' }, 'timestamp', /UTC offset/],
    [{ email: 'a@example.com', name: 'n'.repeat(501) }, 'name', /at most 500 characters/],
    [{ email: 'a@example.com', timestamp: '2999-01-01T00:00:00Z' }, 'timestamp', /future/],
    [{ email: 'a@example.com', timestamp: '0001-01-01' }, 'timestamp', /before 1970/],
    [{ email: 'a@example.com', timestamp: '1969-12-31T23:59:59Z' }, 'timestamp', /before 1970/],
    [{ email: `${'a'.repeat(7750)}@x.test` }, 'email', /too long/],
    [{ email: 'weird"<script>@x.test' }, 'email', /not a valid email/],
    [{ email: 'a@example.com', staus: 'paid' }, '(body)', /unknown field.*staus/],
    [{ email: 'a@example.com', params: { note: 'a\u0000b' } }, 'params', /NUL/],
    [{ email: 'a@example.com', params: { '': 1 } }, 'params', /key is empty/],
    [{ email: 'a@example.com', name: 'a\u0000b' }, 'name', /NUL/],
    // Half of an emoji (a JS string cut inside a surrogate pair) is valid JSON that Postgres cannot
    // store: named, not the catch-all "a value could not be stored".
    [{ email: 'a@example.com', params: { note: 'cut \ud83d' } }, 'params', /surrogate/],
    [{ email: 'a@example.com', params: { ['\ude00key']: 1 } }, 'params', /surrogate/],
    [{ email: 'a@example.com', paramsOnce: { n: ['\udc00'] } }, 'paramsOnce', /surrogate/],
    [{ email: 'a@example.com', name: 'Zoë \ud83d' }, 'name', /surrogate/],
    [
      { email: 'a@example.com', params: { deep: JSON.parse('['.repeat(40) + ']'.repeat(40)) } },
      'params',
      /nested/,
    ],
  ])('400 for %j, naming %s', async (body, path, message) => {
    const res = await rejected('/v1/identify', post(JSON.stringify(body)))
    expect(res.status).toBe(400)
    expect(res.error.code).toBe('validation_failed')
    expect(res.error.details[0].path).toBe(path)
    expect(res.error.message).toMatch(message)
  })

  it('400 for a param number past a 64-bit float, which would be stored as null', async () => {
    // JSON.parse reads 1e400 as Infinity, and JSON.stringify writes Infinity as null: a top-level
    // key would be removed, a nested one stored as null, with a 200.
    await postJson(t.app, '/v1/identify', key, { email: 'a@example.com', params: { big: 5 } })
    for (const params of ['{"big":1e400}', '{"list":[1,-1e999]}', '{"obj":{"n":1e309}}']) {
      const res = await rejected(
        '/v1/identify',
        post(`{"email":"a@example.com","params":${params}}`),
      )
      expect(res.status).toBe(400)
      expect(res.error.code).toBe('validation_failed')
      expect(res.error.details[0].path).toBe('params')
      expect(res.error.message).toMatch(/too large/)
    }
    const once = await rejected(
      '/v1/identify',
      post('{"email":"a@example.com","paramsOnce":{"x":1e400}}'),
    )
    expect(once.error.details[0].path).toBe('paramsOnce')
    const res = await t.app.request(
      '/v1/batch',
      post('{"batch":[{"type":"identify","email":"a@example.com","params":{"big":1e400}}]}'),
    )
    const body = (await res.json()) as any
    expect(body).toMatchObject({ succeeded: 0, failed: 1 })
    expect(body.results[0].error.details[0].path).toBe('batch.0.params')
    const { rows } = await sql<{ params: unknown }>`
      SELECT params FROM customer_projects WHERE project_id = ${projectId}`.execute(t.db)
    expect(rows.map((r) => r.params)).toEqual([{ big: 5 }])
  })

  it('400 for a bad ping, and for a batch that is not a list of items', async () => {
    expect((await rejected('/v1/ping', post('{"email":"nope"}'))).status).toBe(400)
    expect(
      (await rejected('/v1/ping', post('{"email":"a@example.com","status":"paid"}'))).status,
    ).toBe(400)
    for (const body of ['{}', '{"batch":[]}', '{"batch":{}}', '{"items":[]}']) {
      const res = await rejected('/v1/batch', post(body))
      expect(res).toMatchObject({ status: 400, error: { code: 'validation_failed' } })
    }
  })

  it('a batch item over 32 KB fails alone, as the same identify alone is a 413', async () => {
    const params = { blob: 'x'.repeat(33 * 1024) }
    const alone = await rejected(
      '/v1/identify',
      post(JSON.stringify({ email: 'a@example.com', params })),
    )
    expect(alone.status).toBe(413)
    const res = await postJson(t.app, '/v1/batch', key, {
      batch: [
        { type: 'identify', email: 'big@example.com', params },
        { type: 'identify', email: 'small@example.com', params: { blob: 'x'.repeat(1000) } },
      ],
    })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ succeeded: 1, failed: 1 })
    expect(res.body.results[0].error.details[0]).toEqual({
      path: 'batch.0',
      message: expect.stringMatching(/^item is 33\.\d KB; at most 32 KB$/),
    })
    const { rows } = await sql<{ email: string }>`
      SELECT c.email FROM customers c JOIN customer_projects r ON r.customer_id = c.id
      WHERE r.project_id = ${projectId}`.execute(t.db)
    expect(rows.map((r) => r.email)).toEqual(['small@example.com'])
  })

  it('a batch whose items are all bad writes nothing and says why per item', async () => {
    const before = await rowCounts()
    const res = await postJson(t.app, '/v1/batch', key, {
      batch: [{ type: 'identify' }, { type: 'track', email: 'a@example.com' }, 'x'],
    })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ succeeded: 0, failed: 3 })
    expect(res.body.results.map((r: any) => r.error.details[0].path)).toEqual([
      'batch.0.email',
      'batch.1.type',
      'batch.2',
    ])
    expect(res.body.results[1].error.message).toMatch(/type must be 'identify' or 'ping'/)
    expect(res.body.results[2].error.message).toMatch(/batch\.2 must be an object/)
    expect(await rowCounts()).toEqual(before)
  })
})

describe('CORS and unknown routes', () => {
  it('answers the browser preflight on ingest routes', async () => {
    const res = await t.app.request('/v1/identify', {
      method: 'OPTIONS',
      headers: { Origin: 'https://product-a.example', 'Access-Control-Request-Method': 'POST' },
    })
    expect(res.status).toBe(204)
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*')
    expect(res.headers.get('Access-Control-Allow-Headers')).toMatch(/Authorization/i)
  })

  it('lets a page of any origin read the answers, errors too (Allow-Origin *)', async () => {
    const email = 'c@example.com'
    const valid = {
      '/v1/identify': { email },
      '/v1/ping': { email },
      '/v1/batch': { batch: [{ type: 'ping', email }] },
    }
    const unknownKey = 'tcrm_proj_' + 'A'.repeat(32)
    for (const [path, body] of Object.entries(valid)) {
      const answers = [
        await postJson(t.app, path, key, body),
        await postJson(t.app, path, key, { nope: true }),
        await postJson(t.app, path, unknownKey, body),
      ]
      expect(answers.map((a) => a.status)).toEqual([200, 400, 401])
      for (const { headers } of answers) {
        expect(headers.get('Access-Control-Allow-Origin')).toBe('*')
        expect(headers.get('Access-Control-Allow-Credentials')).toBeNull()
      }
    }
  })

  it('404 JSON for an unknown API route', async () => {
    const res = await t.app.request('/v1/trakc', post('{}'))
    expect(res.status).toBe(404)
    expect(((await res.json()) as any).error.code).toBe('not_found')
  })
})

describe('rate limit', () => {
  it('429 with Retry-After past the per-key limit, counted per key', async () => {
    const { memoryRateLimiter } = await import('../lib/rate-limit.js')
    const limited = createApp({
      db: t.db,
      ingestLimiter: memoryRateLimiter({ limit: 3, periodSeconds: 10 }),
    })
    const other = (await seedAccount(t.db, ['Other'])).projects[0]!.key
    const statuses = []
    for (let i = 0; i < 5; i++) {
      statuses.push((await postJson(limited, '/v1/ping', key, { email: 'a@example.com' })).status)
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429])
    const refused = await postJson(limited, '/v1/identify', key, { email: 'late@example.com' })
    expect(refused).toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } })
    expect(refused.headers.get('Retry-After')).toBe('10')
    expect(
      await t.db
        .selectFrom('customers')
        .where('email', '=', 'late@example.com')
        .selectAll()
        .execute(),
    ).toEqual([])
    expect((await postJson(limited, '/v1/ping', other, { email: 'a@example.com' })).status).toBe(
      200,
    )
  })
})

describe('order of the checks', () => {
  it('is the same on identify, ping and batch: size, key shape, media type, body, then the key itself', async () => {
    const huge = 'x'.repeat(600 * 1024)
    const unknownKey = { Authorization: `Bearer ${generateProjectKey()}` }
    for (const path of ['/v1/identify', '/v1/ping', '/v1/batch']) {
      const noKey = { Authorization: '', 'Content-Type': 'text/plain' }
      expect((await rejected(path, post(huge, noKey))).status, path).toBe(413)
      expect((await rejected(path, post('{', noKey))).status, path).toBe(401)
      expect((await rejected(path, post('{', { 'Content-Type': 'text/plain' }))).status, path).toBe(
        415,
      )
      const badJson = await rejected(path, post('{', unknownKey))
      expect(badJson, path).toMatchObject({ status: 400, error: { code: 'invalid_json' } })
      // The statement checks the key: a well-shaped body with an unknown key is its 401.
      const good =
        path === '/v1/batch'
          ? '{"batch":[{"type":"identify","email":"a@example.com"}]}'
          : '{"email":"a@example.com"}'
      expect((await rejected(path, post(good, unknownKey))).status, path).toBe(401)
    }
  })
})
