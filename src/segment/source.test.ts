// Who wrote it: a relation written by Segment's calls is recorded with the source 'segment' (the
// relation's `source` and its history of changes), not as TinyCRM's own API; the customer page
// shows it (Node over PGlite).
import { beforeEach, expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { sessionCookie } from '../../test/support/customers-fixture.js'
import { postJson, seedAccount } from '../../test/support/fixtures.js'

const t = useTestApp()
let seeded: Awaited<ReturnType<typeof seedAccount>>
let key: string

beforeEach(async () => {
  seeded = await seedAccount(t.db)
  key = seeded.projects[0]!.key
})

async function segment(path: string, body: unknown) {
  const res = await t.app.request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Basic ${btoa(`${key}:`)}` },
    body: JSON.stringify(body),
  })
  expect(res.status).toBe(200)
}

async function relation(email: string) {
  return t.db
    .selectFrom('customer_projects as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .select(['c.id', 'r.source'])
    .where('c.account_id', '=', seeded.accountId)
    .where('c.email', '=', email)
    .executeTakeFirstOrThrow()
}

async function historySources(customerId: number) {
  const rows = await t.db
    .selectFrom('relation_changes')
    .select(['field', 'key', 'source'])
    .where('customer_id', '=', customerId)
    .orderBy('id')
    .execute()
  return rows.map((r) => `${r.key ?? r.field} ${r.source}`)
}

it("Segment's identify and group write as 'segment', in the relation and in its history", async () => {
  await segment('/v1/identify', {
    userId: 'u1',
    messageId: 's-1',
    timestamp: '2026-03-01T10:00:00Z',
    traits: { email: 'seg@example.com', status: 'trial', plan: 'pro' },
  })
  await segment('/v1/group', {
    userId: 'u1',
    groupId: 'g1',
    messageId: 's-2',
    timestamp: '2026-03-02T10:00:00Z',
  })
  const { id, source } = await relation('seg@example.com')
  expect(source).toBe('segment')
  expect(await historySources(id)).toEqual(['status segment', 'plan segment', 'company segment'])

  // TinyCRM's own identify on the same route stays the API's.
  const own = await postJson(t.app, '/v1/identify', key, {
    email: 'seg@example.com',
    status: 'paid',
    timestamp: '2026-03-03T10:00:00Z',
  })
  expect(own.status).toBe(200)
  expect((await relation('seg@example.com')).source).toBe('api')
  expect((await historySources(id)).at(-1)).toBe('status api')
})

it("a Segment batch's own-shape items stay the API's; its Segment events are Segment's", async () => {
  await segment('/v1/batch', {
    batch: [
      { type: 'identify', email: 'own@example.com', params: { a: 1 } },
      { type: 'identify', userId: 'seg2@example.com', messageId: 'b-1', traits: { b: 2 } },
    ],
  })
  expect((await relation('own@example.com')).source).toBe('api')
  expect((await relation('seg2@example.com')).source).toBe('segment')
})

it("track changes no source (activity only); the customer page names Segment's changes", async () => {
  await segment('/v1/identify', {
    userId: 'u3',
    messageId: 'p-1',
    timestamp: '2026-03-01T10:00:00Z',
    traits: { email: 'page@example.com', status: 'trial' },
  })
  await segment('/v1/track', { userId: 'u3', event: 'Upgraded', messageId: 'p-2' })
  const { id, source } = await relation('page@example.com')
  expect(source).toBe('segment')

  const cookie = await sessionCookie(t.db, seeded.userId)
  const res = await t.app.request(`/customers/${id}`, { headers: { Cookie: cookie } })
  expect(res.status).toBe(200)
  const html = await res.text()
  expect(html).toContain('data-source="segment"')
  const text = html.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ')
  expect(text).toContain('started as trial, 1 Mar 2026, Segment')
})
