// Segment's tracking API on TinyCRM's /v1 routes (Node over PGlite): what each call becomes, the
// two shapes told apart, messageId applied once, and Segment's answers.
import { beforeEach, describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { postJson, seedAccount } from '../../test/support/fixtures.js'

const t = useTestApp()
let key: string
let otherKey: string
let accountId: number

beforeEach(async () => {
  const seeded = await seedAccount(t.db)
  accountId = seeded.accountId
  key = seeded.projects[0]!.key
  otherKey = seeded.projects[1]!.key
})

const basic = (k: string) => `Basic ${btoa(`${k}:`)}`

/** Posts as Segment's libraries do: Basic auth with the key as user name. */
async function segment(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await t.app.request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: basic(key), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as any }
}

async function customer(email: string) {
  const row = await t.db
    .selectFrom('customer_projects as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .select(['c.id', 'c.name', 'r.status', 'r.params', 'r.first_seen_at', 'r.last_activity_at'])
    .where('c.account_id', '=', accountId)
    .where('c.email', '=', email)
    .executeTakeFirst()
  return row
}
const customerCount = async () =>
  (
    await t.db
      .selectFrom('customers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', accountId)
      .executeTakeFirstOrThrow()
  ).n

describe('identify', () => {
  it('finds the customer by traits.email; name from firstName + lastName; status and other traits', async () => {
    const res = await segment('/v1/identify', {
      userId: 'u_1',
      anonymousId: 'anon-1',
      messageId: 'm-1',
      traits: {
        email: ' Ada@Example.com ',
        firstName: 'Ada',
        lastName: 'Lovelace',
        status: 'trialing',
        plan: 'pro',
        address: { city: 'London' },
      },
      timestamp: '2026-03-01T10:00:00Z',
    })
    expect(res).toEqual({ status: 200, body: { success: true } })
    const c = await customer('ada@example.com')
    expect(c).toMatchObject({
      name: 'Ada Lovelace',
      status: 'trial',
      params: { plan: 'pro', address: { city: 'London' } },
    })
    expect(c!.last_activity_at.toISOString()).toBe('2026-03-01T10:00:00.000Z')
  })

  it('takes userId as the email when it is one; an unknown status stays a param', async () => {
    await segment('/v1/identify', {
      userId: 'Bo@Example.com',
      traits: { status: 'vip', name: 'Bo' },
    })
    expect(await customer('bo@example.com')).toMatchObject({
      name: 'Bo',
      status: 'free',
      params: { status: 'vip' },
    })
  })

  it('a name cut to 500 characters never splits an emoji in two: the identify is written', async () => {
    // 499 letters then an emoji (two UTF-16 units): cutting at 500 kept only its first half, a
    // lone surrogate Postgres refuses, and the whole identify was a 400 naming nothing.
    const name = `${'a'.repeat(499)}😀`
    const res = await segment('/v1/identify', {
      userId: 'u_long',
      traits: { email: 'long@example.com', name, plan: 'pro' },
    })
    expect(res).toEqual({ status: 200, body: { success: true } })
    expect(await customer('long@example.com')).toMatchObject({
      name: 'a'.repeat(499),
      params: { plan: 'pro' },
    })
    await segment('/v1/identify', {
      userId: 'u_long2',
      traits: {
        email: 'long2@example.com',
        firstName: 'b'.repeat(300),
        lastName: '😀'.repeat(150),
      },
    })
    const joined = (await customer('long2@example.com'))?.name
    expect(joined).toBe(`${'b'.repeat(300)} ${'😀'.repeat(99)}`)
  })

  it('an identify naming no email and no known id writes nothing, and says success as Segment', async () => {
    const res = await segment('/v1/identify', { userId: 'nobody', traits: { plan: 'pro' } })
    expect(res.status).toBe(200)
    expect(await customerCount()).toBe(0)
  })
})

describe('external ids', () => {
  it('track, page and screen with only a userId or anonymousId find the customer; never create one', async () => {
    await segment('/v1/identify', {
      userId: 'u_7',
      anonymousId: 'a_7',
      traits: { email: 'cy@example.com' },
      timestamp: '2026-03-01T00:00:00Z',
    })
    await segment('/v1/track', {
      userId: 'u_7',
      event: 'Signed Up',
      timestamp: '2026-03-02T00:00:00Z',
    })
    expect((await customer('cy@example.com'))!.last_activity_at.toISOString()).toBe(
      '2026-03-02T00:00:00.000Z',
    )
    await segment('/v1/page', {
      anonymousId: 'a_7',
      name: 'Home',
      timestamp: '2026-03-03T00:00:00Z',
    })
    await segment('/v1/screen', { userId: 'u_7', name: 'Home', timestamp: '2026-03-04T00:00:00Z' })
    expect((await customer('cy@example.com'))!.last_activity_at.toISOString()).toBe(
      '2026-03-04T00:00:00.000Z',
    )
    const stranger = await segment('/v1/track', { userId: 'u_unknown', event: 'Clicked' })
    expect(stranger.status).toBe(200)
    const byEmail = await segment('/v1/track', { userId: 'new@example.com', event: 'Clicked' })
    expect(byEmail.status).toBe(200)
    expect(await customerCount()).toBe(1)
  })

  it('ids are per project: another project does not know them', async () => {
    await segment('/v1/identify', { userId: 'u_8', traits: { email: 'di@example.com' } })
    await segment(
      '/v1/identify',
      { userId: 'u_8', traits: { plan: 'team' } },
      { Authorization: basic(otherKey) },
    )
    const rows = await t.db.selectFrom('customer_projects').selectAll().execute()
    expect(rows.filter((r) => r.account_id === accountId)).toHaveLength(1)
  })

  it('alias links the previous id to the same customer', async () => {
    await segment('/v1/identify', { anonymousId: 'anon-9', traits: { email: 'ed@example.com' } })
    await segment('/v1/alias', { userId: 'user-9', previousId: 'anon-9' })
    await segment('/v1/identify', { userId: 'user-9', traits: { plan: 'pro' } })
    expect((await customer('ed@example.com'))!.params).toEqual({ plan: 'pro' })
  })

  it('group sets the company param: id, name and the group traits', async () => {
    await segment('/v1/identify', { userId: 'u_g', traits: { email: 'fa@example.com' } })
    await segment('/v1/group', {
      userId: 'u_g',
      groupId: 'acme-1',
      traits: { name: 'Acme', seats: 5 },
    })
    expect((await customer('fa@example.com'))!.params).toEqual({
      company: { id: 'acme-1', name: 'Acme', seats: 5 },
    })
  })
})

describe('batch', () => {
  it('applies every call of a batch in one statement, in order, ids resolved within the batch', async () => {
    t.statements.length = 0
    const res = await segment('/v1/batch', {
      writeKey: key,
      sentAt: new Date().toISOString(),
      batch: [
        { type: 'identify', userId: 'u_b', traits: { email: 'gi@example.com', plan: 'free' } },
        { type: 'track', userId: 'u_b', event: 'Upgraded', timestamp: '2026-03-05T00:00:00Z' },
        { type: 'identify', userId: 'u_b', traits: { plan: 'pro', name: 'Gi' } },
        { type: 'page', anonymousId: 'x', name: 'Pricing' },
      ],
    })
    expect(res).toEqual({ status: 200, body: { success: true } })
    expect(t.statements).toHaveLength(1)
    expect(await customer('gi@example.com')).toMatchObject({ name: 'Gi', params: { plan: 'pro' } })
  })

  it('a messageId is applied once: twice in one batch, and again in a later request', async () => {
    const event = {
      type: 'identify',
      userId: 'u_d',
      messageId: 'dup-1',
      traits: { email: 'ha@example.com', plan: 'one' },
    }
    await segment('/v1/batch', {
      batch: [event, { ...event, traits: { email: 'ha@example.com', plan: 'two' } }],
    })
    expect((await customer('ha@example.com'))!.params).toEqual({ plan: 'one' })
    await segment('/v1/identify', { ...event, messageId: 'dup-2', traits: { plan: 'three' } })
    await segment('/v1/batch', { batch: [event] })
    expect((await customer('ha@example.com'))!.params).toEqual({ plan: 'three' })
  })

  it('a messageId of one project does not hide the same messageId in another', async () => {
    const event = { userId: 'ia@example.com', messageId: 'shared-1', traits: { plan: 'x' } }
    await segment('/v1/identify', event)
    await segment('/v1/identify', event, { Authorization: basic(otherKey) })
    const rows = await t.db
      .selectFrom('customer_projects')
      .select('project_id')
      .where('account_id', '=', accountId)
      .execute()
    expect(rows).toHaveLength(2)
  })

  it('a bad event fails alone: 400 naming it, the others written', async () => {
    const res = await segment('/v1/batch', {
      batch: [
        { type: 'identify', userId: 'ja@example.com', traits: { plan: 'pro' } },
        { type: 'track', userId: 'ja@example.com' },
        { type: 'launch', userId: 'ja@example.com' },
      ],
    })
    expect(res.status).toBe(400)
    expect(res.body.error.details).toEqual([
      { path: 'batch.1.event', message: 'track needs an event name' },
      { path: 'batch.2.type', message: expect.stringMatching(/type must be one of/) },
    ])
    expect(res.body.error.message).toMatch(/1 of 3 events were accepted/)
    expect((await customer('ja@example.com'))!.params).toEqual({ plan: 'pro' })
  })

  it('an event over 32 KB in a batch is a 400 and writes nothing', async () => {
    const big = 'x'.repeat(33 * 1024)
    const res = await segment('/v1/batch', {
      batch: [{ type: 'identify', userId: 'ka@example.com', traits: { blob: big } }],
    })
    expect(res.status).toBe(400)
    expect(res.body.error.details[0]).toEqual({
      path: 'batch.0',
      message: expect.stringMatching(/^event is 33\.\d KB; at most 32 KB$/),
    })
    expect(await customerCount()).toBe(0)
  })

  it('a single call over 32 KB is a 413, a batch over 500 KB too', async () => {
    const single = await segment('/v1/track', {
      userId: 'la@example.com',
      event: 'x',
      properties: { blob: 'x'.repeat(33 * 1024) },
    })
    expect(single.status).toBe(413)
    const batch = await segment('/v1/batch', {
      batch: Array.from({ length: 20 }, () => ({
        type: 'track',
        userId: 'la@example.com',
        event: 'x',
        properties: { blob: 'x'.repeat(30 * 1024) },
      })),
    })
    expect(batch.status).toBe(413)
  })

  it('a batch mixing both shapes applies both in one statement', async () => {
    t.statements.length = 0
    const res = await segment('/v1/batch', {
      batch: [
        { type: 'identify', email: 'ma@example.com', params: { source: 'ph' } },
        { type: 'identify', userId: 'ma@example.com', traits: { plan: 'pro' } },
      ],
    })
    expect(res.status).toBe(200)
    expect(t.statements).toHaveLength(1)
    expect((await customer('ma@example.com'))!.params).toEqual({ source: 'ph', plan: 'pro' })
  })
})

describe("Segment's Webhooks (Actions) destination, posting to /v1/batch", () => {
  it('takes one event as the body, and a bare array of events (batching on)', async () => {
    const bearer = { Authorization: `Bearer ${key}` }
    const one = await segment(
      '/v1/batch',
      { type: 'identify', userId: 'u_w', messageId: 'w-1', traits: { email: 'wa@example.com' } },
      bearer,
    )
    expect(one).toEqual({ status: 200, body: { success: true } })
    const many = await segment(
      '/v1/batch',
      [
        {
          type: 'track',
          userId: 'u_w',
          event: 'e',
          messageId: 'w-2',
          timestamp: '2026-03-09T00:00:00Z',
        },
        { type: 'group', userId: 'u_w', groupId: 'g1', messageId: 'w-3' },
      ],
      bearer,
    )
    expect(many).toEqual({ status: 200, body: { success: true } })
    expect(await customer('wa@example.com')).toMatchObject({ params: { company: { id: 'g1' } } })
  })
})

describe('timestamps', () => {
  it('originalTimestamp is corrected by sentAt; timestamp wins over both', async () => {
    const now = Date.now()
    const sentAt = new Date(now - 60 * 60 * 1000).toISOString() // the sender's clock is an hour slow
    const original = new Date(now - 2 * 60 * 60 * 1000).toISOString()
    await segment('/v1/identify', {
      userId: 'na@example.com',
      originalTimestamp: original,
      sentAt,
    })
    const at = (await customer('na@example.com'))!.last_activity_at.getTime()
    expect(Math.abs(at - (now - 60 * 60 * 1000))).toBeLessThan(60_000)
  })
})

describe("newest wins (docs/ordering.md), by the event's timestamp", () => {
  const T1 = '2026-03-01T00:00:00.000Z'
  const T2 = '2026-03-02T00:00:00.000Z'
  const T3 = '2026-03-03T00:00:00.000Z'

  it('an older event arriving later changes neither the status nor a newer key', async () => {
    const email = 'nw@example.com'
    await segment('/v1/identify', {
      userId: email,
      timestamp: T2,
      traits: { status: 'paid', plan: 'pro' },
    })
    await segment('/v1/identify', {
      userId: email,
      timestamp: T1,
      traits: { status: 'churned', plan: 'free', seats: 3 },
    })
    expect(await customer(email)).toMatchObject({
      status: 'paid',
      params: { plan: 'pro', seats: 3 },
    })
    await segment('/v1/identify', { userId: email, timestamp: T3, traits: { plan: null } })
    expect((await customer(email))!.params).toEqual({ seats: 3 })
  })

  it('within one batch the newest event wins, not the last one sent; a tie goes to the later', async () => {
    const email = 'nx@example.com'
    await segment('/v1/batch', {
      batch: [
        { type: 'identify', userId: email, timestamp: T2, traits: { status: 'paid', plan: 'b' } },
        { type: 'identify', userId: email, timestamp: T1, traits: { status: 'trial', plan: 'a' } },
        { type: 'identify', userId: email, timestamp: T2, traits: { seats: 1 } },
        { type: 'identify', userId: email, timestamp: T2, traits: { seats: 2 } },
      ],
    })
    expect(await customer(email)).toMatchObject({
      status: 'paid',
      params: { plan: 'b', seats: 2 },
    })
  })

  it("weighs Segment's events and TinyCRM's own identify by the same times", async () => {
    const email = 'ny@example.com'
    await postJson(t.app, '/v1/identify', key, { email, status: 'paid', timestamp: T2 })
    await segment('/v1/identify', { userId: email, timestamp: T1, traits: { status: 'trial' } })
    expect((await customer(email))!.status).toBe('paid')
    await segment('/v1/identify', { userId: email, timestamp: T3, traits: { status: 'churned' } })
    expect((await customer(email))!.status).toBe('churned')
  })
})

describe('the two shapes and authentication', () => {
  it("TinyCRM's own identify and batch keep working, and keep refusing unknown fields", async () => {
    const own = await postJson(t.app, '/v1/identify', key, { email: 'oa@example.com', plan: 'pro' })
    expect(own.status).toBe(400)
    expect(own.body.error.message).toMatch(/unknown field\(s\): plan/)
    const ok = await postJson(t.app, '/v1/batch', key, {
      batch: [{ type: 'identify', email: 'oa@example.com' }],
    })
    expect(ok.body).toMatchObject({ ok: true, succeeded: 1 })
    const viaBasic = await segment('/v1/identify', { email: 'oa@example.com', name: 'Oa' })
    expect(viaBasic.body).toMatchObject({ ok: true, created: false })
  })

  it('accepts the key as Basic user name, as Bearer, or as writeKey in a text/plain body', async () => {
    const bearer = await segment(
      '/v1/track',
      { userId: 'x', event: 'e' },
      { Authorization: `Bearer ${key}` },
    )
    expect(bearer.status).toBe(200)
    const res = await t.app.request('/v1/t', {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify({ userId: 'pa@example.com', traits: {}, writeKey: key, event: 'e' }),
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*')
  })

  it('401 without a key or with an unknown one; 400 without userId or anonymousId', async () => {
    expect(
      (await segment('/v1/track', { userId: 'x', event: 'e' }, { Authorization: '' })).status,
    ).toBe(401)
    const unknown = 'tcrm_proj_' + 'A'.repeat(32)
    expect(
      (await segment('/v1/track', { userId: 'x', event: 'e' }, { Authorization: basic(unknown) }))
        .status,
    ).toBe(401)
    const anonymous = await segment('/v1/track', { event: 'e', messageId: 'm' })
    expect(anonymous.status).toBe(400)
    expect(anonymous.body.error.details).toEqual([
      { path: 'userId', message: 'userId or anonymousId is required' },
    ])
  })

  it('a duplicate messageId is not recorded when the request fails', async () => {
    const unknown = 'tcrm_proj_' + 'B'.repeat(32)
    const event = { userId: 'qa@example.com', messageId: 'm-fail', traits: {} }
    await segment('/v1/identify', event, { Authorization: basic(unknown) })
    await segment('/v1/identify', event)
    expect(await customer('qa@example.com')).toBeDefined()
  })
})

describe('erasing a customer (GDPR)', () => {
  it('forgets the ids that named them: a later call with only the userId brings nobody back', async () => {
    const { deleteCustomer } = await import('../merges/erase.js')
    await segment('/v1/identify', { userId: 'u_gone', traits: { email: 'ra@example.com' } })
    const { id } = (await customer('ra@example.com'))!
    await deleteCustomer(t.db, { accountId, customerId: id, actor: 'test' })
    await segment('/v1/identify', { userId: 'u_gone', traits: { plan: 'pro' } })
    expect(await customerCount()).toBe(0)
    expect(await t.db.selectFrom('segment_ids').selectAll().execute()).not.toContainEqual(
      expect.objectContaining({ external_id: 'u_gone' }),
    )
  })
})
