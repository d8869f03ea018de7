// Merging two emails of one paying person: the merged relation says at once what billing says of
// the family (every subscription of both emails), and undo gives each email its own back.
import Stripe from 'stripe'
import { sql } from 'kysely'
import { beforeEach, describe, expect, it } from 'vitest'
import { billingMismatches } from '../../test/support/billing-family.js'
import { useTestApp } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { stripeSubscription } from '../../test/support/stripe-subscription.js'
import { createConnection, webhookPath } from '../billing/connections.js'
import { ingestForProject } from '../ingest/upsert.js'
import { mergeCustomers, undoMerge } from './store.js'

const stripe = new Stripe('sk_test_not_used')
const SECRET = 'whsec_merge_billing_0123456789abc'
const T = 1_790_000_000
const actor = 'user:1'

const t = useTestApp()
let seeded: Awaited<ReturnType<typeof seedAccount>>
let path: string
let appA: number
let appB: number

beforeEach(async () => {
  seeded = await seedAccount(t.db)
  ;[appA, appB] = seeded.projects.map((p) => p.project.id) as [number, number]
  const connection = await createConnection(t.db, {
    accountId: seeded.accountId,
    projectId: appA,
    provider: 'stripe',
    signingSecret: SECRET,
  })
  path = webhookPath(connection!.id)
})

let n = 0
async function post(type: string, object: Record<string, unknown>, created: number) {
  const payload = JSON.stringify({
    id: `evt_mb${++n}`,
    object: 'event',
    created,
    type,
    data: { object },
  })
  const res = await t.app.request(path, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Stripe-Signature': stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
    },
    body: payload,
  })
  expect(res.status).toBe(200)
  return (await res.json()) as { customerId: number }
}

/** A Stripe customer of `email` paying `cents` a month on `plan` (app A), its subscription
 *  created at `at`; the TinyCRM customer's id. */
async function paying(email: string, cents: number, plan: string, at: number) {
  const customer = `cus_${email.split('@')[0]}`
  await post('customer.created', { id: customer, email }, at - 1)
  const sub = subscription(customer, cents, plan)
  return (await post('customer.subscription.created', sub, at)).customerId
}

function subscription(customer: string, cents: number, plan: string) {
  const price = { id: `price_${plan}`, lookup_key: plan, unit_amount: cents }
  return stripeSubscription({
    id: `sub_${customer}`,
    customer,
    items: { data: [{ quantity: 1, price: { ...price, recurring: { interval: 'month' } } }] },
  })
}

async function relation(customerId: number, projectId = appA) {
  return t.db
    .selectFrom('customer_projects')
    .select(['status', 'params', 'source'])
    .where('customer_id', '=', customerId)
    .where('project_id', '=', projectId)
    .executeTakeFirst()
}

const mismatches = () =>
  billingMismatches(t.db, seeded.accountId, ['a@example.com', 'b@example.com'])

describe('merging two billed emails of one person', () => {
  it('gives the survivor the family’s mrr, plan and status at once, as the next billing event writes them', async () => {
    const a = await paying('a@example.com', 1000, 'small', T + 10)
    const b = await paying('b@example.com', 2000, 'big', T + 20)
    await mergeCustomers(t.db, { accountId: seeded.accountId, survivorId: a, absorbedId: b, actor })
    // Both subscriptions count; the larger speaks for the plan (as billing's primary).
    expect(await relation(a)).toEqual({
      status: 'paid',
      params: {
        mrr: 30,
        plan: 'big',
        currency: 'USD',
        billing_status: 'active',
        billing_customer_id: 'cus_b',
      },
      source: 'merge',
    })
    expect(await mismatches()).toEqual([])

    // What the next billing event of either email writes: the same.
    const merged = await relation(a)
    await post('customer.subscription.updated', subscription('cus_a', 1000, 'small'), T + 30)
    expect((await relation(a))!.params).toEqual(merged!.params)
  })

  it('undo gives each email its own billing state back', async () => {
    const a = await paying('a@example.com', 1000, 'small', T + 10)
    const b = await paying('b@example.com', 2000, 'big', T + 20)
    const { mergeId } = await mergeCustomers(t.db, {
      accountId: seeded.accountId,
      survivorId: a,
      absorbedId: b,
      actor,
    })
    expect((await relation(a))!.params).toMatchObject({ mrr: 30 })
    await undoMerge(t.db, { accountId: seeded.accountId, mergeId, actor })
    expect(await relation(a)).toMatchObject({
      status: 'paid',
      params: { mrr: 10, plan: 'small', billing_customer_id: 'cus_a' },
    })
    expect(await relation(b)).toMatchObject({
      status: 'paid',
      params: { mrr: 20, plan: 'big', billing_customer_id: 'cus_b' },
    })
    expect(await mismatches()).toEqual([])
  })

  it('undo leaves each customer what its billing rows say, also one merged before merges did', async () => {
    const a = await paying('a@example.com', 1000, 'small', T + 10)
    const b = await paying('b@example.com', 2000, 'big', T + 20)
    const c = await paying('c@example.com', 4000, 'max', T + 30)
    await mergeCustomers(t.db, { accountId: seeded.accountId, survivorId: a, absorbedId: b, actor })
    // As a merge made before this recompute left it: the newer relation's mrr alone.
    await sql`UPDATE customer_projects SET params = params || '{"mrr": 20}'
      WHERE customer_id = ${a} AND project_id = ${appA}`.execute(t.db)
    const { mergeId } = await mergeCustomers(t.db, {
      accountId: seeded.accountId,
      survivorId: a,
      absorbedId: c,
      actor,
    })
    expect((await relation(a))!.params).toMatchObject({ mrr: 70, plan: 'max' })
    await undoMerge(t.db, { accountId: seeded.accountId, mergeId, actor })
    expect((await relation(a))!.params).toMatchObject({ mrr: 30, plan: 'big' })
    expect((await relation(c))!.params).toMatchObject({ mrr: 40, plan: 'max' })
    expect(
      await billingMismatches(t.db, seeded.accountId, [
        'a@example.com',
        'b@example.com',
        'c@example.com',
      ]),
    ).toEqual([])
  })

  it('takes the best status of the family: a trial merged into a paying email is paid', async () => {
    const a = await paying('a@example.com', 1000, 'small', T + 10)
    await post('customer.created', { id: 'cus_b', email: 'b@example.com' }, T + 19)
    const trial = { ...subscription('cus_b', 5000, 'team'), status: 'trialing' }
    const b = (await post('customer.subscription.created', trial, T + 20)).customerId
    expect((await relation(b))!.status).toBe('trial')
    // The trial is the newer relation: newest wins alone would make the survivor a trial.
    await mergeCustomers(t.db, { accountId: seeded.accountId, survivorId: b, absorbedId: a, actor })
    expect(await relation(b)).toMatchObject({ status: 'paid', params: { mrr: 10, plan: 'small' } })
    expect(await mismatches()).toEqual([])
  })

  it('leaves what billing does not write, and projects without billing rows, to newest wins', async () => {
    const a = await paying('a@example.com', 1000, 'small', T + 10)
    const b = await paying('b@example.com', 2000, 'big', T + 20)
    const at = (s: number) => new Date((T + s) * 1000)
    // App B has no billing: its `mrr` comes from identify, the newer one wins.
    await ingestForProject(t.db, appB, [
      { type: 'identify', email: 'a@example.com', params: { mrr: 5 }, timestamp: at(40) },
      { type: 'identify', email: 'b@example.com', params: { mrr: 7 }, timestamp: at(30) },
    ])
    // An identify newer than every billing event keeps its `plan` on app A.
    await ingestForProject(t.db, appA, [
      {
        type: 'identify',
        email: 'b@example.com',
        params: { plan: 'custom', seats: 3 },
        timestamp: at(50),
      },
    ])
    await mergeCustomers(t.db, { accountId: seeded.accountId, survivorId: a, absorbedId: b, actor })
    expect((await relation(a, appB))!.params).toEqual({ mrr: 5 })
    expect((await relation(a))!.params).toMatchObject({ mrr: 30, plan: 'custom', seats: 3 })
  })

  it('changes nothing more than before for customers without billing rows', async () => {
    const [x] = await ingestForProject(t.db, appA, [
      { type: 'identify', email: 'x@example.com', status: 'paid', params: { mrr: 10 } },
    ])
    const [y] = await ingestForProject(t.db, appA, [
      { type: 'identify', email: 'y@example.com', status: 'trial', params: { mrr: 20 } },
    ])
    const ids = [x, y].map((r) => (r as { customerId: number }).customerId) as [number, number]
    const { mergeId } = await mergeCustomers(t.db, {
      accountId: seeded.accountId,
      survivorId: ids[0],
      absorbedId: ids[1],
      actor,
    })
    // Newest wins: y's identify came second.
    expect(await relation(ids[0])).toEqual({
      status: 'trial',
      params: { mrr: 20 },
      source: 'merge',
    })
    await undoMerge(t.db, { accountId: seeded.accountId, mergeId, actor })
    expect(await relation(ids[0])).toMatchObject({ status: 'paid', params: { mrr: 10 } })
    expect(await relation(ids[1])).toMatchObject({ status: 'trial', params: { mrr: 20 } })
  })
})
