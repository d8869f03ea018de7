// Set-once params through Segment's calls (Node over PGlite): PostHog's convention, `$set_once`
// inside an identify's `traits` or its `context`, sets a key only where the relation lacks it —
// as `paramsOnce` does in TinyCRM's own identify, in the same single statement as the rest.
import { beforeEach, describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'

const t = useTestApp()
let key: string
let accountId: number

beforeEach(async () => {
  const seeded = await seedAccount(t.db)
  accountId = seeded.accountId
  key = seeded.projects[0]!.key
})

let sent = 0
/** An identify as @segment/analytics-node sends it (Basic auth, a fresh messageId). */
const identify = (fields: Record<string, unknown>) => ({
  type: 'identify',
  messageId: `m-${++sent}`,
  ...fields,
})

async function post(path: string, body: unknown) {
  const res = await t.app.request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Basic ${btoa(`${key}:`)}` },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as any }
}

async function params(email: string) {
  const row = await t.db
    .selectFrom('customer_projects as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .select('r.params')
    .where('c.account_id', '=', accountId)
    .where('c.email', '=', email)
    .executeTakeFirst()
  return row?.params
}

describe('$set_once in an identify', () => {
  it('in traits: set on first touch, never overwritten by a later identify', async () => {
    t.statements.length = 0
    const first = await post(
      '/v1/identify',
      identify({
        userId: 'u1',
        traits: { email: 'so@example.com', plan: 'free', $set_once: { source: 'producthunt' } },
      }),
    )
    expect(first).toEqual({ status: 200, body: { success: true } })
    expect(t.statements).toHaveLength(1)
    expect(await params('so@example.com')).toEqual({ plan: 'free', source: 'producthunt' })

    await post(
      '/v1/identify',
      identify({
        userId: 'u1',
        traits: { plan: 'pro', $set_once: { source: 'google', first_plan: 'pro' } },
      }),
    )
    expect(await params('so@example.com')).toEqual({
      plan: 'pro',
      source: 'producthunt',
      first_plan: 'pro',
    })
  })

  it('in context, as PostHog sends it; traits.$set_once wins a key both name', async () => {
    await post(
      '/v1/identify',
      identify({
        userId: 'ctx@example.com',
        traits: { $set_once: { source: 'traits' } },
        context: { $set_once: { source: 'context', landing: '/pricing' } },
      }),
    )
    await post(
      '/v1/identify',
      identify({ userId: 'ctx@example.com', context: { $set_once: { landing: '/blog' } } }),
    )
    expect(await params('ctx@example.com')).toEqual({ source: 'traits', landing: '/pricing' })
  })

  it('does not touch a key the relation has, set by a plain trait earlier', async () => {
    await post('/v1/identify', identify({ userId: 'k@example.com', traits: { source: 'ads' } }))
    await post(
      '/v1/identify',
      identify({ userId: 'k@example.com', traits: { $set_once: { source: 'seo' } } }),
    )
    expect(await params('k@example.com')).toEqual({ source: 'ads' })
  })

  it('a null $set_once value sets nothing; a $set_once that is not an object is a 400', async () => {
    await post(
      '/v1/identify',
      identify({ userId: 'n@example.com', traits: { $set_once: { source: null } } }),
    )
    expect(await params('n@example.com')).toEqual({})
    const bad = await post(
      '/v1/identify',
      identify({ userId: 'n@example.com', traits: { $set_once: 'google' } }),
    )
    expect(bad.status).toBe(400)
    expect(bad.body.error.message).toContain('traits.$set_once')
    const badContext = await post(
      '/v1/identify',
      identify({ userId: 'n@example.com', context: { $set_once: ['google'] } }),
    )
    expect(badContext.status).toBe(400)
    expect(badContext.body.error.message).toContain('context.$set_once')
  })
})

describe('$set_once in a batch', () => {
  it('two events setting one key once: the earliest by timestamp wins, not the first sent', async () => {
    t.statements.length = 0
    const res = await post('/v1/batch', {
      batch: [
        identify({
          userId: 'b@example.com',
          timestamp: '2026-03-02T00:00:00Z',
          traits: { $set_once: { source: 'later', first_plan: 'pro' } },
        }),
        identify({
          userId: 'b@example.com',
          timestamp: '2026-03-01T00:00:00Z',
          context: { $set_once: { source: 'earlier' } },
        }),
        identify({
          userId: 'b@example.com',
          timestamp: '2026-03-01T00:00:00Z',
          traits: { $set_once: { source: 'same time, sent later' } },
        }),
      ],
    })
    expect(res).toEqual({ status: 200, body: { success: true } })
    expect(t.statements).toHaveLength(1)
    expect(await params('b@example.com')).toEqual({ source: 'earlier', first_plan: 'pro' })
  })

  it("a duplicate messageId applies nothing; TinyCRM's own paramsOnce in a Segment batch holds", async () => {
    const once = identify({ userId: 'd@example.com', traits: { $set_once: { source: 'a' } } })
    await post('/v1/batch', { batch: [{ type: 'identify', email: 'own@example.com' }, once] })
    await post('/v1/batch', {
      batch: [
        { type: 'identify', email: 'own@example.com', paramsOnce: { source: 'own' } },
        { ...once, traits: { $set_once: { other: 'b' } } },
      ],
    })
    expect(await params('d@example.com')).toEqual({ source: 'a' })
    expect(await params('own@example.com')).toEqual({ source: 'own' })
  })
})
