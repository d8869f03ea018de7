// The bar for Stripe: 200+ events shaped like the real API's for 50 people over two
// projects, signed with the official `stripe` package, posted to the real app over HTTP shuffled,
// each 1–3 times, some first attempts answered 503 by the fault injector and retried — and the
// database ends equal to the reference model (each event applied once, in order), which itself
// equals what the simulated Stripe accounts say happened. Then tampering: one changed byte or a
// stale signature is a 400 and changes no row. The same for Paddle with 60+ notifications.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import Stripe from 'stripe'
import { createApp } from '../app.js'
import { TestBrowser } from '../../test/support/test-browser.js'
import { useTestDb } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { billingModel, withoutNulls, type Model } from '../../test/support/billing-model.js'
import {
  replay,
  signatureHeaders,
  startFaultyServer,
  type Delivery,
} from '../../test/support/billing-replay.js'
import { STRIPE_API_VERSION } from '../../test/support/stripe-account.js'
import { paddleFixture } from '../../test/support/paddle-fixture.js'
import { stripeFixture } from '../../test/support/stripe-fixture.js'
import { createConnection, webhookPath } from './connections.js'
import { mapPaddleEvent } from './paddle.js'
import { mapStripeEvent } from './stripe.js'
import type { Json } from './events.js'

const SEED = Number(process.env.BILLING_SEED ?? 20261124)

const t = useTestDb()
let server: Awaited<ReturnType<typeof startFaultyServer>>
beforeAll(async () => {
  server = await startFaultyServer(t.db)
})
afterAll(async () => {
  await server.close()
})

/** Every relation of the account: per project slug, per email, its status and params. */
async function relations(accountId: number) {
  const rows = await t.db
    .selectFrom('customer_projects as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .innerJoin('projects as p', 'p.id', 'r.project_id')
    .select(['p.slug', 'c.email', 'r.status', 'r.params'])
    .where('r.account_id', '=', accountId)
    .execute()
  const out = new Map<string, Map<string, { status: string; params: Record<string, unknown> }>>()
  for (const r of rows) {
    const bySlug = out.get(r.slug) ?? new Map()
    bySlug.set(r.email, { status: r.status, params: r.params })
    out.set(r.slug, bySlug)
  }
  return out
}

/** Everything billing or ingest may write, for "no row changed". */
async function snapshot(accountId: number) {
  const [rels, customers, events, billingCustomers, billingRelations] = await Promise.all([
    relations(accountId),
    t.db.selectFrom('customers').selectAll().where('account_id', '=', accountId).execute(),
    t.db.selectFrom('billing_events').selectAll().orderBy('event_id').execute(),
    t.db.selectFrom('billing_customers').selectAll().orderBy('billing_customer_id').execute(),
    t.db.selectFrom('billing_relations').selectAll().orderBy('email').execute(),
  ])
  return JSON.stringify({
    rels: [...rels].map(([k, v]) => [k, [...v]]),
    customers,
    events,
    billingCustomers,
    billingRelations,
  })
}

type Fixture = Pick<ReturnType<typeof stripeFixture>[number], 'expected' | 'emailsOf' | 'waiting'>
type Relations = Map<string, { status: string; params: Record<string, unknown> }>

/** Checks a project's relations against the model, and the model against the fixture's truth;
 *  returns the project's modelled sum of mrr. */
function compare(slug: string, project: Fixture, model: Model, actual: Relations): number {
  let sum = 0
  for (const [email, truth] of project.expected) {
    const candidates = project.emailsOf.get(email) ?? [email]
    const modelled = candidates.map((e) => model.relations.get(e)).find(Boolean)
    expect(modelled, `${slug} ${email}: model`).toBeDefined()
    expect(
      { status: modelled!.status, params: withoutNulls(modelled!.params) },
      `${slug} ${email}: model vs truth`,
    ).toEqual({ status: truth.status, params: withoutNulls(truth.params) })
    // The billing customer is linked to the first email the app saw it with: one of its emails,
    // and only one of them holds the relation.
    const held = candidates.filter((e) => actual.has(e))
    expect(held, `${slug} ${email}: linked to one email`).toHaveLength(1)
    const row = actual.get(held[0]!)!
    expect({ status: row.status, params: row.params }, `${slug} ${email}`).toEqual({
      status: modelled!.status,
      params: withoutNulls(modelled!.params),
    })
    sum += Number(modelled!.params.mrr ?? 0)
  }
  // Nothing else: no relation for a waiting customer, none invented.
  const linked = [...project.expected.keys()].flatMap((e) => project.emailsOf.get(e) ?? [e])
  expect([...actual.keys()].filter((e) => !linked.includes(e))).toEqual([])
  // Waiting events: as many as the truth says, for the model.
  expect(model.waiting).toBe([...project.waiting.values()].reduce((a, b) => a + b, 0))
  return sum
}

/** Events kept waiting for an email, in these projects. */
async function waitingEvents(projectIds: number[]) {
  const row = await t.db
    .selectFrom('billing_events as e')
    .innerJoin('billing_customers as b', (j) =>
      j
        .onRef('b.project_id', '=', 'e.project_id')
        .onRef('b.provider', '=', 'e.provider')
        .onRef('b.billing_customer_id', '=', 'e.billing_customer_id'),
    )
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('b.email', 'is', null)
    .where('e.project_id', 'in', projectIds)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

describe('Stripe events replayed against the real app', () => {
  it('ends equal to the model, whatever the order, duplicates and failures', async () => {
    expect(STRIPE_API_VERSION).toBe(Stripe.API_VERSION)
    const seeded = await seedAccount(t.db)
    const fixture = stripeFixture()
    const deliveries: Delivery[] = []
    const perProject = []
    for (const [i, project] of fixture.entries()) {
      const { project: p } = seeded.projects[i]!
      const secret = `whsec_replay${i}_${'x'.repeat(24)}`
      const connection = await createConnection(t.db, {
        accountId: seeded.accountId,
        projectId: p.id,
        provider: 'stripe',
        signingSecret: secret,
      })
      for (const event of project.account.events) {
        deliveries.push({
          path: webhookPath(connection!.id),
          provider: 'stripe',
          secret,
          body: JSON.stringify(event),
        })
      }
      const model = billingModel(
        project.account.events.map((e) => mapStripeEvent(e as unknown as Json)!).filter(Boolean),
      )
      perProject.push({ slug: p.slug, project, model })
    }
    const people = new Set(fixture.flatMap((p) => [...p.emailsOf.keys()]))
    expect(deliveries.length).toBeGreaterThanOrEqual(200)
    expect(people.size).toBeGreaterThanOrEqual(50)

    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const stats = await replay(server.send, deliveries, {
      seed: SEED,
      concurrency: 8,
      faultShare: 0.15,
    })
    logged.mockRestore()
    expect(stats.faults.db).toBeGreaterThan(0)
    expect(stats.faults.lost).toBeGreaterThan(0)
    expect(stats.duplicates).toBeGreaterThan(0)

    const db = await relations(seeded.accountId)
    let expectedSum = 0
    for (const { slug, project, model } of perProject) {
      expectedSum += compare(slug, project, model, db.get(slug) ?? new Map())
    }

    // The customers page's sum=mrr, to the cent.
    const browser = new TestBrowser(createApp({ db: t.db }))
    await browser.logIn(seeded.email, seeded.password)
    const page = await browser.get('/customers?sum=mrr')
    const shown = /data-testid="segment-sum">([^<]+)</.exec(page.html)?.[1]
    expect(Number(shown!.replace(/,/g, ''))).toBe(Math.round(expectedSum * 100) / 100)

    // The waiting events are counted.
    const modelled = perProject.reduce((n, p) => n + p.model.waiting, 0)
    expect(await waitingEvents(seeded.projects.map((p) => p.project.id))).toBe(modelled)

    // Tampering: one changed byte, or a signature older than 300 s → 400, and no row changed.
    const before = await snapshot(seeded.accountId)
    const sample = deliveries[7]!
    const forged = { ...sample, body: sample.body.replace('"livemode":false', '"livemode":true ') }
    const res1 = await fetch(server.url + sample.path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...signatureHeaders(sample) },
      body: forged.body,
    })
    expect(res1.status).toBe(400)
    expect(await res1.json()).toMatchObject({ error: { code: 'validation_failed' } })
    const fresh = JSON.stringify({ ...JSON.parse(sample.body), id: 'evt_never_seen' })
    const res2 = await fetch(server.url + sample.path, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...signatureHeaders({ ...sample, body: fresh }, Math.floor(Date.now() / 1000) - 301),
      },
      body: fresh,
    })
    expect(res2.status).toBe(400)
    expect(((await res2.json()) as any).error.message).toMatch(/more than the 300 s allowed/)
    expect(await snapshot(seeded.accountId)).toBe(before)
  })
})

describe('Paddle notifications replayed against the real app', () => {
  it('ends equal to the model, whatever the order, duplicates and failures', async () => {
    const seeded = await seedAccount(t.db, ['Paddle App'])
    const { project: p } = seeded.projects[0]!
    const fixture = paddleFixture()
    const secret = 'pdl_ntfset_01replay_' + 'y'.repeat(32)
    const connection = await createConnection(t.db, {
      accountId: seeded.accountId,
      projectId: p.id,
      provider: 'paddle',
      signingSecret: secret,
    })
    const deliveries: Delivery[] = fixture.account.events.map((event) => ({
      path: webhookPath(connection!.id),
      provider: 'paddle',
      secret,
      body: JSON.stringify(event),
    }))
    expect(deliveries.length).toBeGreaterThanOrEqual(50)
    const model = billingModel(
      fixture.account.events.map((e) => mapPaddleEvent(e as unknown as Json)!).filter(Boolean),
    )

    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const stats = await replay(server.send, deliveries, {
      seed: SEED + 1,
      concurrency: 6,
      faultShare: 0.15,
    })
    logged.mockRestore()
    expect(stats.faults.db + stats.faults.lost).toBeGreaterThan(0)

    const db = await relations(seeded.accountId)
    compare(p.slug, fixture, model, db.get(p.slug) ?? new Map())
    expect(await waitingEvents([p.id])).toBe(model.waiting)

    // Tampering: one changed byte, or a signature older than Paddle's 5 s → 400, nothing changed.
    const before = await snapshot(seeded.accountId)
    const sample = deliveries[3]!
    const res1 = await fetch(server.url + sample.path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...signatureHeaders(sample) },
      body: sample.body.replace('"event_id":"evt_', '"event_id":"evx_'),
    })
    expect(res1.status).toBe(400)
    const fresh = sample.body.replace('"event_id":"evt_', '"event_id":"evz_')
    const res2 = await fetch(server.url + sample.path, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        ...signatureHeaders({ ...sample, body: fresh }, Math.floor(Date.now() / 1000) - 6),
      },
      body: fresh,
    })
    expect(res2.status).toBe(400)
    expect(await snapshot(seeded.accountId)).toBe(before)
  })
})
