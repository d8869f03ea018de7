// Bad input to Segment's calls (Node over PGlite): the key is checked first, a bad envelope or a
// bad event is a 400 naming the field and why, never a 500, and the rules are TinyCRM's own
// (params' nesting depth, the timestamp range: src/ingest/schemas.ts).
import { beforeEach, describe, expect, it } from 'vitest'
import { keyPrefix } from '../lib/keys.js'
import { revokeKeysByPrefix } from '../projects/keys.js'
import { useTestApp } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'

const t = useTestApp()
let key: string
let accountId: number

beforeEach(async () => {
  const seeded = await seedAccount(t.db, ['App A'])
  accountId = seeded.accountId
  key = seeded.projects[0]!.key
})

const basic = (k: string) => `Basic ${btoa(`${k}:`)}`

/** Posts as Segment's libraries do: Basic auth with the key as user name. */
async function segment(path: string, body: unknown, auth: string | null = basic(key)) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' }
  if (auth) headers.Authorization = auth
  const res = await t.app.request(path, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as any }
}

async function customer(email: string) {
  return t.db
    .selectFrom('customer_projects as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .select(['c.created_at', 'r.params'])
    .where('c.account_id', '=', accountId)
    .where('c.email', '=', email)
    .executeTakeFirst()
}

/** `{"a":{"a":…1…}}`, `levels` objects deep, as JSON (JSON.stringify itself overflows on it). */
const nested = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels)

const identify = (fields: Record<string, unknown>) => ({
  type: 'identify',
  userId: 'u',
  messageId: `m-${Math.random()}`,
  ...fields,
})

describe("a batch's sentAt", () => {
  it('400 naming sentAt when it is not a date-time; nothing written', async () => {
    const res = await segment('/v1/batch', {
      sentAt: 'junk',
      batch: [
        identify({ originalTimestamp: '2026-01-01T00:00:00Z', traits: { email: 'a@x.test' } }),
      ],
    })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('validation_failed')
    expect(res.body.error.details).toEqual([
      { path: 'sentAt', message: expect.stringMatching(/ISO 8601 date-time/) },
    ])
    expect(await customer('a@x.test')).toBeUndefined()
  })

  it('without a key, 401 (not 500)', async () => {
    const event = identify({ originalTimestamp: '2026-01-01T00:00:00Z' })
    const res = await segment('/v1/batch', { sentAt: 'junk', batch: [event] }, null)
    expect(res.status).toBe(401)
  })
})

describe('nesting: a value nested deeper than params may be (32 levels)', () => {
  it('400 naming the field, for traits 5,000 levels deep, and for properties', async () => {
    const traits = await segment('/v1/identify', `{"userId":"u","traits":${nested(5000)}}`)
    expect(traits.status).toBe(400)
    expect(traits.body.error.details).toEqual([
      { path: 'traits', message: 'nested more than 32 levels deep' },
    ])
    const track = `{"userId":"u","event":"e","properties":${nested(5000)}}`
    const properties = await segment('/v1/track', track)
    expect(properties.body.error.details).toEqual([
      { path: 'properties', message: 'nested more than 32 levels deep' },
    ])
    const batch = await segment(
      '/v1/batch',
      `{"batch":[{"type":"page","userId":"u","context":${nested(40)}}]}`,
    )
    expect(batch.body.error.details).toEqual([
      { path: 'batch.0.context', message: 'nested more than 32 levels deep' },
    ])
  })

  it('the same limit as params: traits 32 levels deep are kept', async () => {
    const traits = JSON.parse(`{"email":"deep@x.test","d":${nested(31)}}`) as object
    expect((await segment('/v1/identify', identify({ traits }))).status).toBe(200)
    expect(await customer('deep@x.test')).toBeDefined()
    const deeper = JSON.parse(`{"email":"deeper@x.test","d":${nested(32)}}`) as object
    const res = await segment('/v1/identify', identify({ traits: deeper }))
    expect(res.body.error.details).toEqual([
      { path: 'traits', message: 'nested more than 32 levels deep' },
    ])
  })
})

describe('half of an emoji (a lone UTF-16 surrogate), which Postgres cannot store', () => {
  it('400 naming the field in traits, ids and messageId; nothing written', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [identify({ traits: { email: 'sur@x.test', bio: 'cut \ud83d' } }), 'traits'],
      [identify({ userId: 'u\ud83d', traits: { email: 'sur@x.test' } }), 'userId'],
      [identify({ anonymousId: '\ude00', traits: { email: 'sur@x.test' } }), 'anonymousId'],
      [identify({ messageId: 'm\ud800', traits: { email: 'sur@x.test' } }), 'messageId'],
    ]
    for (const [event, path] of cases) {
      const res = await segment('/v1/identify', event)
      expect(res.status).toBe(400)
      expect(res.body.error.details).toEqual([
        { path, message: expect.stringMatching(/surrogate/) },
      ])
    }
    const batch = await segment('/v1/batch', {
      batch: [
        identify({ traits: { email: 'ok@x.test' } }),
        { type: 'group', userId: 'u', groupId: 'g', traits: { name: 'Acme \ud83d' } },
      ],
    })
    expect(batch.status).toBe(400)
    expect(batch.body.error.details).toEqual([
      { path: 'batch.1.traits', message: expect.stringMatching(/surrogate/) },
    ])
    expect(await customer('ok@x.test')).toBeDefined()
    expect(await customer('sur@x.test')).toBeUndefined()
  })
})

describe('numbers past a 64-bit float', () => {
  it('400 naming traits for a trait of 1e400 (JSON.parse reads Infinity); nothing written', async () => {
    const body = `{"type":"identify","userId":"u","messageId":"m-big","traits":{"email":"big@x.test","big":1e400}}`
    const res = await segment('/v1/identify', body)
    expect(res.status).toBe(400)
    expect(res.body.error.details).toEqual([
      { path: 'traits', message: expect.stringMatching(/64-bit float/) },
    ])
    expect(await customer('big@x.test')).toBeUndefined()
  })
})

describe("timestamps: TinyCRM's range", () => {
  it('400 for an event before 1970, as TinyCRM identify answers; nothing written', async () => {
    const res = await segment(
      '/v1/identify',
      identify({ timestamp: '0001-01-01T00:00:00Z', traits: { email: 'ts1@x.test' } }),
    )
    expect(res.status).toBe(400)
    expect(res.body.error.details).toEqual([
      { path: 'timestamp', message: 'timestamp is before 1970' },
    ])
    expect(await customer('ts1@x.test')).toBeUndefined()
  })

  it('in a batch, the event fails alone and names the field that gave its time', async () => {
    const res = await segment('/v1/batch', {
      batch: [
        identify({ traits: { email: 'ts2@x.test' } }),
        identify({ originalTimestamp: '1969-12-31T23:59:59Z', traits: { email: 'ts3@x.test' } }),
      ],
    })
    expect(res.status).toBe(400)
    expect(res.body.error.details).toEqual([
      { path: 'batch.1.originalTimestamp', message: 'timestamp is before 1970' },
    ])
    expect(res.body.error.message).toMatch(/1 of 2 events were accepted/)
    expect(await customer('ts2@x.test')).toBeDefined()
    expect(await customer('ts3@x.test')).toBeUndefined()
  })
})

describe('the key is checked before the events', () => {
  const invalid = { batch: [{ type: 'track', userId: 'u', messageId: 'm' }] }

  it('401 for an unknown key, 403 for a revoked one, when every event is invalid', async () => {
    const unknown = await segment('/v1/batch', invalid, basic('tcrm_proj_' + 'C'.repeat(32)))
    expect(unknown).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } })
    await revokeKeysByPrefix(t.db, keyPrefix(key))
    const revoked = await segment('/v1/batch', invalid)
    expect(revoked).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } })
    const single = await segment('/v1/track', { userId: 'u' })
    expect(single).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } })
  })

  it('with a good key, still one statement: the ingest statement checks the key', async () => {
    t.statements.length = 0
    const res = await segment('/v1/batch', invalid)
    expect(res.status).toBe(400)
    expect(res.body.error.details).toEqual([
      { path: 'batch.0.event', message: 'track needs an event name' },
    ])
    expect(t.statements).toHaveLength(1)
  })
})
