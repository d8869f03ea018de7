// Newest wins, not last to arrive (docs/ordering.md): a relation's status and each param key keep
// the value with the newest time, whatever order the writes arrive in; set-once params. On Node
// over PGlite; the races are in ./newest-wins.pg.test.ts.
import { beforeEach, describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { postJson, seedAccount } from '../../test/support/fixtures.js'
import { ingestForProject } from './upsert.js'

const t = useTestApp()
let key: string
let projectId: number

beforeEach(async () => {
  const seeded = await seedAccount(t.db)
  key = seeded.projects[0]!.key
  projectId = seeded.projects[0]!.project.id
})

const identify = async (body: Record<string, unknown>) => {
  const res = await postJson(t.app, '/v1/identify', key, { email: 'alex@example.com', ...body })
  expect(res.status, JSON.stringify(res.body)).toBe(200)
}
const batch = async (items: Record<string, unknown>[]) => {
  const res = await postJson(t.app, '/v1/batch', key, {
    batch: items.map((i) => ({ type: 'identify', email: 'alex@example.com', ...i })),
  })
  expect(res.status).toBe(200)
  expect(res.body.failed).toBe(0)
}

async function relation() {
  return t.db
    .selectFrom('customer_projects as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .select(['r.status', 'r.params', 'r.status_at', 'r.source'])
    .where('r.project_id', '=', projectId)
    .where('c.email', '=', 'alex@example.com')
    .executeTakeFirstOrThrow()
}

const at = (hour: number) => `2026-03-01T${String(hour).padStart(2, '0')}:00:00Z`

describe('newest wins', () => {
  it('keeps the status stamped later when an earlier one arrives after it', async () => {
    await identify({ status: 'paid', timestamp: at(20) })
    await identify({ status: 'trial', timestamp: at(19) })
    expect((await relation()).status).toBe('paid')
    await identify({ status: 'churned', timestamp: at(21) })
    expect((await relation()).status).toBe('churned')
  })

  it('decides each param key by its own time', async () => {
    await identify({ params: { plan: 'pro', seats: 3 }, timestamp: at(20) })
    await identify({ params: { plan: 'basic', mrr: 10 }, timestamp: at(19) })
    expect((await relation()).params).toEqual({ plan: 'pro', seats: 3, mrr: 10 })
  })

  it('remembers a removal, so an older write does not bring the key back', async () => {
    await identify({ params: { beta: true }, timestamp: at(18) })
    await identify({ params: { beta: null }, timestamp: at(20) })
    await identify({ params: { beta: 'yes' }, timestamp: at(19) })
    expect((await relation()).params).toEqual({})
    await identify({ params: { beta: 'again' }, timestamp: at(21) })
    expect((await relation()).params).toEqual({ beta: 'again' })
  })

  it('lets a write without a timestamp (arrival time) win over earlier stamps', async () => {
    await identify({ status: 'trial', params: { plan: 'pro' }, timestamp: at(20) })
    await identify({ status: 'paid', params: { plan: 'team' } })
    expect(await relation()).toMatchObject({ status: 'paid', params: { plan: 'team' } })
  })

  it('gives a tie to the later arrival', async () => {
    await identify({ status: 'trial', params: { plan: 'a' }, timestamp: at(20) })
    await identify({ status: 'paid', params: { plan: 'b' }, timestamp: at(20) })
    expect(await relation()).toMatchObject({ status: 'paid', params: { plan: 'b' } })
  })

  it('does not let the default status of a new relation outrank an older status', async () => {
    await identify({ params: { plan: 'pro' }, timestamp: at(20) })
    expect((await relation()).status_at).toBeNull()
    await identify({ status: 'paid', timestamp: at(19) })
    expect((await relation()).status).toBe('paid')
  })

  it('folds a batch by time, not by position, the same as sending its items one by one', async () => {
    await batch([
      { status: 'paid', params: { plan: 'pro', a: 1 }, timestamp: at(20) },
      { status: 'trial', params: { plan: 'basic', b: 2, a: null }, timestamp: at(19) },
      { params: { a: 3 }, timestamp: at(21) },
    ])
    expect(await relation()).toMatchObject({
      status: 'paid',
      params: { plan: 'pro', a: 3, b: 2 },
    })
    // An item older than what the batch stored loses to it in a later request too.
    await batch([{ params: { a: 0 }, timestamp: at(20) }])
    expect((await relation()).params).toEqual({ plan: 'pro', a: 3, b: 2 })
  })

  it('applies an import row by the import’s dates, and records who wrote', async () => {
    await identify({ status: 'paid', timestamp: at(20) })
    expect((await relation()).source).toBe('api')
    await ingestForProject(t.db, projectId, [
      { type: 'identify', email: 'alex@example.com', status: 'free', timestamp: new Date(at(10)) },
    ])
    expect(await relation()).toMatchObject({ status: 'paid', source: 'import' })
    await ingestForProject(t.db, projectId, [
      {
        type: 'identify',
        email: 'alex@example.com',
        status: 'churned',
        timestamp: new Date(at(22)),
      },
    ])
    expect((await relation()).status).toBe('churned')
  })
})

describe('set-once params (paramsOnce)', () => {
  it('sets a key only where the params lack it', async () => {
    await identify({ paramsOnce: { source: 'producthunt', first_plan: 'pro' } })
    await identify({ params: { plan: 'team' }, paramsOnce: { source: 'google', first_plan: 'x' } })
    expect((await relation()).params).toEqual({
      source: 'producthunt',
      first_plan: 'pro',
      plan: 'team',
    })
  })

  it('takes the earliest item of a batch, and never one with a null value', async () => {
    await batch([
      { paramsOnce: { source: 'twitter', ref: null }, timestamp: at(12) },
      { paramsOnce: { source: 'producthunt' }, timestamp: at(11) },
    ])
    expect((await relation()).params).toEqual({ source: 'producthunt' })
  })

  it('is a plain write once the key was removed', async () => {
    await identify({ paramsOnce: { source: 'a' }, timestamp: at(10) })
    await identify({ params: { source: null }, timestamp: at(11) })
    await identify({ paramsOnce: { source: 'b' }, timestamp: at(12) })
    expect((await relation()).params).toEqual({ source: 'b' })
  })

  it('refuses a paramsOnce that is not an object, naming the field', async () => {
    const res = await postJson(t.app, '/v1/identify', key, {
      email: 'alex@example.com',
      paramsOnce: ['source'],
    })
    expect(res.status).toBe(400)
    expect(res.body.error.details[0].path).toBe('paramsOnce')
  })
})
