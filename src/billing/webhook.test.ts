// The webhook route, one behaviour at a time: who gets a 404 or a 400 (and that nothing is
// written then), duplicates, events waiting for an email, an email change, order, what a billing
// write leaves alone, several subscriptions and providers for one person, and the statement count.
import { createHmac } from 'node:crypto'
import Stripe from 'stripe'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createApp } from '../app.js'
import { useTestApp } from '../../test/support/db.js'
import { postJson, seedAccount } from '../../test/support/fixtures.js'
import { stripeSubscription as subscription } from '../../test/support/stripe-subscription.js'
import { deleteCustomer } from '../merges/erase.js'
import { mergeCustomers } from '../merges/store.js'
import { createConnection, deleteConnection, webhookPath } from './connections.js'
import { WEBHOOK_BODY_LIMIT } from './routes.js'

const stripe = new Stripe('sk_test_not_used')
const SECRET = 'whsec_webhook_test_0123456789abcdef'
const PADDLE_SECRET = 'pdl_ntfset_01webhooktest_abcdefghijklmnop'
const T = 1_790_000_000

const t = useTestApp()
let seeded: Awaited<ReturnType<typeof seedAccount>>
let path: string
let paddlePath: string

beforeEach(async () => {
  seeded = await seedAccount(t.db)
  const project = seeded.projects[0]!.project
  const stripeConnection = await createConnection(t.db, {
    accountId: seeded.accountId,
    projectId: project.id,
    provider: 'stripe',
    signingSecret: SECRET,
  })
  const paddleConnection = await createConnection(t.db, {
    accountId: seeded.accountId,
    projectId: project.id,
    provider: 'paddle',
    signingSecret: PADDLE_SECRET,
  })
  path = webhookPath(stripeConnection!.id)
  paddlePath = webhookPath(paddleConnection!.id)
})

let n = 0
function event(type: string, object: Record<string, unknown>, created = T) {
  return { id: `evt_${++n}_${Date.now()}`, object: 'event', created, type, data: { object } }
}

async function post(body: unknown, opts: { header?: string | null; to?: string } = {}) {
  const payload = typeof body === 'string' ? body : JSON.stringify(body)
  const headers: Record<string, string> = { 'Content-Type': 'application/json' }
  const header =
    opts.header === undefined
      ? stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET })
      : opts.header
  if (header !== null) headers['Stripe-Signature'] = header
  const res = await t.app.request(opts.to ?? path, { method: 'POST', headers, body: payload })
  return { status: res.status, body: (await res.json()) as any }
}

async function postPaddle(body: unknown) {
  const payload = JSON.stringify(body)
  const ts = Math.floor(Date.now() / 1000)
  const h1 = createHmac('sha256', PADDLE_SECRET).update(`${ts}:${payload}`).digest('hex')
  const res = await t.app.request(paddlePath, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Paddle-Signature': `ts=${ts};h1=${h1}` },
    body: payload,
  })
  return { status: res.status, body: (await res.json()) as any }
}

async function relation(email: string, project = 0) {
  return t.db
    .selectFrom('customer_projects as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .select(['c.id', 'r.status', 'r.params', 'r.last_activity_at', 'r.first_seen_at'])
    .where('c.account_id', '=', seeded.accountId)
    .where('c.email', '=', email)
    .where('r.project_id', '=', seeded.projects[project]!.project.id)
    .executeTakeFirst()
}

async function rowCounts() {
  const count = async (table: 'billing_events' | 'billing_customers' | 'customer_projects') =>
    Number(
      (
        await t.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    )
  return {
    events: await count('billing_events'),
    customers: await count('billing_customers'),
    relations: await count('customer_projects'),
  }
}

describe('who gets in', () => {
  it('answers 404 for an unknown or malformed connection id, and writes nothing', async () => {
    const before = await rowCounts()
    const body = event('customer.created', { id: 'cus_1', email: 'a@example.com' })
    expect((await post(body, { to: '/v1/billing/webhooks/bill_' + 'x'.repeat(24) })).status).toBe(
      404,
    )
    const res = await post(body, { to: '/v1/billing/webhooks/nope' })
    expect(res).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } })
    expect(await rowCounts()).toEqual(before)
  })

  it('answers 400 naming the header and the reason for a bad, missing or stale signature', async () => {
    const before = await rowCounts()
    const body = event('customer.created', { id: 'cus_1', email: 'a@example.com' })
    const bad = await post(body, {
      header: `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`,
    })
    expect(bad.status).toBe(400)
    expect(bad.body.error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'Stripe-Signature', message: expect.stringMatching(/no v1 signature/) }],
    })
    expect((await post(body, { header: null })).body.error.message).toMatch(/header is missing/)
    const payload = JSON.stringify(body)
    const stale = stripe.webhooks.generateTestHeaderString({
      payload,
      secret: SECRET,
      timestamp: Math.floor(Date.now() / 1000) - 301,
    })
    expect((await post(payload, { header: stale })).status).toBe(400)
    // A Paddle signature on the Stripe connection is not a Stripe signature.
    expect((await post(body, { header: 'ts=1;h1=abc' })).status).toBe(400)
    expect(await rowCounts()).toEqual(before)
  })

  it('answers 400 for a signed body that is not JSON, and 200 for events it does not use', async () => {
    expect((await post('not json')).body.error.code).toBe('invalid_json')
    const before = await rowCounts()
    const res = await post(event('charge.refunded', { id: 'ch_1' }))
    expect(res).toEqual({ status: 200, body: { received: true, ignored: true } })
    expect(await rowCounts()).toEqual(before)
  })

  it('refuses a body over the limit with 413', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(WEBHOOK_BODY_LIMIT) })
    const res = await post(big)
    expect(res.status).toBe(413)
  })

  it('answers 404 once the connection is deleted', async () => {
    const id = path.split('/').pop()!
    expect(await deleteConnection(t.db, seeded.accountId, seeded.projects[0]!.project.id, id)).toBe(
      true,
    )
    const res = await post(event('customer.created', { id: 'cus_1', email: 'a@example.com' }))
    expect(res.status).toBe(404)
  })
})

describe('applying events', () => {
  it('applies an event once: a duplicate answers 200 and changes nothing', async () => {
    const created = event('customer.created', { id: 'cus_1', email: 'alex@example.com' })
    const sub = event('customer.subscription.created', subscription(), T + 1)
    expect((await post(created)).body).toMatchObject({ received: true, duplicate: false })
    const first = await post(sub)
    expect(first.body).toMatchObject({ duplicate: false, waiting: false })
    const before = await rowCounts()
    const again = await post(sub)
    expect(again).toMatchObject({ status: 200, body: { received: true, duplicate: true } })
    expect(await rowCounts()).toEqual(before)
    expect(await relation('alex@example.com')).toMatchObject({
      status: 'paid',
      params: {
        billing_status: 'active',
        plan: 'pro',
        mrr: 29,
        currency: 'USD',
        billing_customer_id: 'cus_1',
      },
    })
  })

  it('keeps events without an email waiting, and applies them when the email arrives', async () => {
    const trial = subscription({ status: 'trialing', trial_end: T + 14 * 86_400 })
    const a = await post(event('customer.subscription.created', trial, T + 1))
    const b = await post(
      event('customer.subscription.updated', { ...trial, status: 'active' }, T + 9),
    )
    expect(a.body).toMatchObject({ waiting: true, customerId: null })
    expect(b.body).toMatchObject({ waiting: true })
    expect(await relation('late@example.com')).toBeUndefined()
    // The email arrives with an event older than both: the newer state still wins.
    const c = await post(event('customer.created', { id: 'cus_1', email: 'late@example.com' }, T))
    expect(c.body).toMatchObject({ waiting: false, customerId: expect.any(Number) })
    expect(await relation('late@example.com')).toMatchObject({
      status: 'paid',
      params: { billing_status: 'active', mrr: 29 },
    })
    const waiting = await t.db
      .selectFrom('billing_customers')
      .select('email')
      .where('billing_customer_id', '=', 'cus_1')
      .where('project_id', '=', seeded.projects[0]!.project.id)
      .executeTakeFirstOrThrow()
    expect(waiting.email).toBe('late@example.com')
  })

  it('a customer made from waiting events is first seen at the earliest of them', async () => {
    const trial = subscription({ status: 'trialing', trial_end: T + 14 * 86_400 })
    expect((await post(event('customer.subscription.created', trial, T - 20))).body).toMatchObject({
      waiting: true,
    })
    await post(event('customer.created', { id: 'cus_1', email: 'first@example.com' }, T - 10))
    const made = await relation('first@example.com')
    expect(made!.first_seen_at).toEqual(new Date((T - 20) * 1000))
    const customer = await t.db
      .selectFrom('customers')
      .select('created_at')
      .where('id', '=', made!.id)
      .executeTakeFirstOrThrow()
    expect(customer.created_at).toEqual(new Date((T - 20) * 1000))
  })

  it('an email change follows the same customer', async () => {
    await post(event('customer.created', { id: 'cus_1', email: 'old@example.com' }, T))
    await post(event('customer.subscription.created', subscription(), T + 1))
    const original = await relation('old@example.com')
    await post(event('customer.updated', { id: 'cus_1', email: 'new@example.com' }, T + 100))
    const invoice = {
      id: 'in_1',
      customer: 'cus_1',
      customer_email: 'new@example.com',
      amount_paid: 2900,
      parent: { subscription_details: { subscription: 'sub_1' } },
    }
    const res = await post(event('invoice.paid', invoice, T + 200))
    expect(res.body.customerId).toBe(original!.id)
    expect(await relation('new@example.com')).toBeUndefined()
    const customers = await t.db
      .selectFrom('customers')
      .select('email')
      .where('account_id', '=', seeded.accountId)
      .execute()
    expect(customers.map((c) => c.email)).toEqual(['old@example.com'])
  })

  it('an older event changes nothing; an ended subscription stays ended', async () => {
    await post(event('customer.created', { id: 'cus_1', email: 'o@example.com' }, T))
    await post(event('customer.subscription.updated', subscription({ quantity: 1 }), T + 50))
    const older = subscription({ status: 'trialing', trial_end: T + 1000 })
    await post(event('customer.subscription.created', older, T + 10))
    expect((await relation('o@example.com'))!.status).toBe('paid')

    await post(event('customer.subscription.deleted', subscription({ status: 'canceled' }), T + 60))
    const finalInvoice = {
      id: 'in_9',
      customer: 'cus_1',
      customer_email: 'o@example.com',
      amount_paid: 500,
      parent: { subscription_details: { subscription: 'sub_1' } },
    }
    await post(event('invoice.paid', finalInvoice, T + 61))
    expect(await relation('o@example.com')).toMatchObject({
      status: 'churned',
      params: { billing_status: 'canceled', mrr: 0 },
    })
  })

  it('a first payment in one second: paid, whatever the event ids and the arrival order', async () => {
    // Stripe creates the subscription incomplete, the first invoice is paid, and the subscription
    // becomes active, often within one second; its event ids do not sort by time.
    const cases = [
      { ids: ['evt_Z', 'evt_B', 'evt_A'], order: [0, 1, 2] },
      { ids: ['evt_A', 'evt_B', 'evt_Z'], order: [0, 1, 2] },
      { ids: ['evt_Z', 'evt_B', 'evt_A'], order: [2, 1, 0] },
      { ids: ['evt_A', 'evt_B', 'evt_Z'], order: [2, 0, 1] },
    ]
    for (const [i, { ids, order }] of cases.entries()) {
      const [cus, sub, email] = [`cus_s${i}`, `sub_s${i}`, `first${i}@example.com`]
      await post(event('customer.created', { id: cus, email }, T - 5))
      const events = [
        event(
          'customer.subscription.created',
          subscription({ id: sub, customer: cus, status: 'incomplete' }),
        ),
        event('invoice.paid', {
          id: `in_s${i}`,
          customer: cus,
          customer_email: email,
          amount_paid: 2900,
          billing_reason: 'subscription_create',
          parent: { subscription_details: { subscription: sub } },
        }),
        {
          ...event('customer.subscription.updated', subscription({ id: sub, customer: cus })),
          data: {
            object: subscription({ id: sub, customer: cus }),
            previous_attributes: { status: 'incomplete' },
          },
        },
      ].map((e, k) => ({ ...e, id: `${ids[k]}_${i}` }))
      for (const k of order) expect((await post(events[k])).status).toBe(200)
      expect(await relation(email), `ids ${ids.join(',')} sent ${order.join(',')}`).toMatchObject({
        status: 'paid',
        params: { billing_status: 'active', mrr: 29 },
      })
    }
  })

  it('a trial with a setup fee stays a trial: its paid checkout and invoice imply nothing against the subscription', async () => {
    const trialEnd = T + 14 * 86_400
    const cases = [
      [0, 1, 2],
      [2, 1, 0],
      [1, 2, 0],
    ]
    for (const [i, order] of cases.entries()) {
      const [cus, sub, email] = [`cus_f${i}`, `sub_f${i}`, `fee${i}@example.com`]
      const trialing = subscription({
        id: sub,
        customer: cus,
        status: 'trialing',
        trial_end: trialEnd,
      })
      const events = [
        event('customer.subscription.created', trialing, T),
        // The setup fee is charged at once; the subscription's own line is $0 (the trial).
        event(
          'invoice.paid',
          {
            id: `in_f${i}`,
            customer: cus,
            customer_email: email,
            amount_paid: 4900,
            billing_reason: 'subscription_create',
            parent: { subscription_details: { subscription: sub } },
            lines: {
              object: 'list',
              has_more: false,
              data: [
                { amount: 4900, parent: { type: 'invoice_item_details' } },
                { amount: 0, parent: { type: 'subscription_item_details' } },
              ],
            },
          },
          T + 2,
        ),
        event(
          'checkout.session.completed',
          {
            id: `cs_f${i}`,
            mode: 'subscription',
            customer: cus,
            customer_details: { email },
            subscription: sub,
            payment_status: 'paid',
            amount_total: 4900,
          },
          T + 3,
        ),
      ]
      for (const k of order) expect((await post(events[k])).status).toBe(200)
      expect(await relation(email), `sent ${order.join(',')}`).toMatchObject({
        status: 'trial',
        params: { billing_status: 'trialing', mrr: 0 },
      })
      // The trial ends and the first month is paid: the snapshot says so.
      const active = subscription({ id: sub, customer: cus, trial_end: trialEnd })
      await post(event('customer.subscription.updated', active, trialEnd))
      expect(await relation(email)).toMatchObject({
        status: 'paid',
        params: { billing_status: 'active', mrr: 29 },
      })
    }
  })

  it('a Paddle trial with a setup fee stays a trial, whichever arrives first', async () => {
    const at = (s: number) => new Date((T + s) * 1000).toISOString()
    for (const [i, first] of ['subscription', 'transaction'].entries()) {
      const [ctm, sub, email] = [`ctm_f${i}`, `sub_pf${i}`, `paddlefee${i}@example.com`]
      await postPaddle({
        event_id: `evt_pfc${i}`,
        event_type: 'customer.created',
        occurred_at: at(0),
        data: { id: ctm, email },
      })
      const trialing = {
        event_id: `evt_pfs${i}`,
        event_type: 'subscription.trialing',
        occurred_at: at(1),
        data: {
          id: sub,
          status: 'trialing',
          customer_id: ctm,
          currency_code: 'USD',
          billing_cycle: { interval: 'month', frequency: 1 },
          items: [
            {
              status: 'trialing',
              quantity: 1,
              recurring: true,
              price: { id: 'pri_m', unit_price: { amount: '2900', currency_code: 'USD' } },
              trial_dates: { ends_at: at(14 * 86_400) },
            },
          ],
        },
      }
      // The setup fee, charged at once.
      const fee = {
        event_id: `evt_pft${i}`,
        event_type: 'transaction.completed',
        occurred_at: at(3),
        data: {
          id: `txn_f${i}`,
          customer_id: ctm,
          subscription_id: sub,
          currency_code: 'USD',
          details: { totals: { grand_total: '4900' } },
        },
      }
      for (const e of first === 'subscription' ? [trialing, fee] : [fee, trialing]) {
        expect((await postPaddle(e)).status).toBe(200)
      }
      expect(await relation(email), `${first} first`).toMatchObject({
        status: 'trial',
        params: { billing_status: 'trialing', mrr: 0 },
      })
    }
  })

  it('a trial Stripe starts in the second of the sign-up identify wins over its free', async () => {
    // The product's sign-up: identify stamped on arrival (milliseconds), then the customer and
    // its trial at Stripe, whose times are whole seconds: the same second, or a later one.
    const identified = await postJson(t.app, '/v1/identify', seeded.projects[0]!.key, {
      email: 'signup@example.com',
      status: 'free',
      params: { plan: 'starter' },
    })
    expect(identified.status).toBe(200)
    const now = Math.floor(Date.now() / 1000)
    await post(event('customer.created', { id: 'cus_s', email: 'signup@example.com' }, now))
    const trial = subscription({ id: 'sub_s', customer: 'cus_s', status: 'trialing' })
    await post(event('customer.subscription.created', trial, now))
    expect(await relation('signup@example.com')).toMatchObject({
      status: 'trial',
      params: { billing_status: 'trialing' },
    })
    // An identify stamped after that second still outranks it.
    const later = new Date((now + 1) * 1000).toISOString()
    await postJson(t.app, '/v1/identify', seeded.projects[0]!.key, {
      email: 'signup@example.com',
      status: 'paid',
      timestamp: later,
    })
    expect((await relation('signup@example.com'))!.status).toBe('paid')
  })

  it("leaves the product's own params and the last activity alone", async () => {
    const identified = await postJson(t.app, '/v1/identify', seeded.projects[0]!.key, {
      email: 'sdk@example.com',
      status: 'free',
      params: { source: 'producthunt', plan: 'old-plan' },
      timestamp: '2026-11-01T00:00:00Z',
    })
    expect(identified.status).toBe(200)
    const before = await relation('sdk@example.com')
    await post(event('customer.created', { id: 'cus_1', email: 'sdk@example.com' }, T + 5_000_000))
    await post(event('customer.subscription.created', subscription(), T + 5_000_001))
    const after = await relation('sdk@example.com')
    expect(after).toMatchObject({
      status: 'paid',
      params: { source: 'producthunt', plan: 'pro', mrr: 29 },
    })
    expect(after!.last_activity_at).toEqual(before!.last_activity_at)
    // A relation created by billing is first seen when the event happened.
    await post(event('customer.created', { id: 'cus_2', email: 'new@example.com' }, T))
    expect((await relation('new@example.com'))!.first_seen_at).toEqual(new Date(T * 1000))
  })

  it('one person, several subscriptions and both providers: the best status wins, mrr is their sum', async () => {
    await post(event('customer.created', { id: 'cus_1', email: 'both@example.com' }, T))
    await post(event('customer.subscription.created', subscription(), T + 1))
    const addon = subscription({
      id: 'sub_2',
      status: 'trialing',
      items: {
        data: [
          { quantity: 2, price: { id: 'p2', unit_amount: 500, recurring: { interval: 'month' } } },
        ],
      },
    })
    await post(event('customer.subscription.created', addon, T + 2))
    // A second Stripe customer with the same email (Checkout made another one): canceled.
    await post(event('customer.created', { id: 'cus_2', email: 'both@example.com' }, T + 3))
    await post(
      event(
        'customer.subscription.deleted',
        subscription({ id: 'sub_3', customer: 'cus_2', status: 'canceled' }),
        T + 4,
      ),
    )
    // And Paddle: a yearly subscription of the same person.
    const occurred = new Date((T + 5) * 1000).toISOString()
    await postPaddle({
      event_id: 'evt_p1',
      event_type: 'customer.created',
      occurred_at: occurred,
      data: { id: 'ctm_1', email: 'both@example.com' },
    })
    await postPaddle({
      event_id: 'evt_p2',
      event_type: 'subscription.activated',
      occurred_at: occurred,
      data: {
        id: 'sub_p1',
        status: 'active',
        customer_id: 'ctm_1',
        currency_code: 'USD',
        billing_cycle: { interval: 'year', frequency: 1 },
        items: [
          {
            status: 'active',
            quantity: 1,
            recurring: true,
            price: { id: 'pri_1', unit_price: { amount: '12000', currency_code: 'USD' } },
            product: { name: 'Yearly' },
          },
        ],
      },
    })
    expect(await relation('both@example.com')).toMatchObject({
      status: 'paid',
      // $29 (Stripe) + $120/12 (Paddle); the trial and the canceled one add nothing.
      params: { mrr: 39, plan: 'pro', billing_status: 'active', billing_customer_id: 'cus_1' },
    })
  })

  it('a tiered price: mrr is left out until an invoice says it, never a wrong 0', async () => {
    await post(event('customer.created', { id: 'cus_1', email: 'tiers@example.com' }, T))
    const tiered = subscription({
      items: {
        data: [
          {
            quantity: 8,
            price: {
              id: 'price_seats',
              lookup_key: 'seats',
              billing_scheme: 'tiered',
              tiers_mode: 'graduated',
              unit_amount: null,
              unit_amount_decimal: null,
              recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed' },
            },
          },
        ],
      },
    })
    await post(event('customer.subscription.created', tiered, T + 1))
    const before = await relation('tiers@example.com')
    expect(before).toMatchObject({ status: 'paid', params: { plan: 'seats' } })
    expect(before!.params).not.toHaveProperty('mrr')
    const lines = (amount: number) => ({
      object: 'list',
      has_more: false,
      data: [
        {
          amount,
          discount_amounts: [],
          parent: { type: 'subscription_item_details' },
          period: { start: T, end: T + 30 * 86_400 },
        },
      ],
    })
    const invoice = (amount: number, at: number) =>
      event(
        'invoice.paid',
        {
          id: `in_${at}`,
          customer: 'cus_1',
          customer_email: 'tiers@example.com',
          amount_paid: amount,
          billing_reason: 'subscription_cycle',
          parent: { subscription_details: { subscription: 'sub_1' } },
          lines: lines(amount),
        },
        at,
      )
    // The newer renewal counts, whichever arrives first; the subscription's snapshot stays paid.
    await post(invoice(6500, T + 40 * 86_400))
    await post(invoice(8500, T + 10 * 86_400))
    expect(await relation('tiers@example.com')).toMatchObject({
      status: 'paid',
      params: { mrr: 65, plan: 'seats', billing_status: 'active' },
    })
    // A flat subscription beside it adds to a known amount.
    await post(event('customer.subscription.created', subscription({ id: 'sub_2' }), T + 2))
    expect((await relation('tiers@example.com'))!.params).toMatchObject({ mrr: 94 })
  })

  it('a one-time purchase refunded in full is churned, in either order; other refunds change nothing', async () => {
    const checkout = (email: string, intent: string) =>
      event(
        'checkout.session.completed',
        {
          id: `cs_${intent}`,
          object: 'checkout.session',
          mode: 'payment',
          customer: null,
          customer_details: { email },
          payment_status: 'paid',
          payment_intent: intent,
          amount_total: 19_900,
          currency: 'usd',
          total_details: { amount_discount: 0 },
        },
        T,
      )
    const refund = (email: string, intent: string, full: boolean, customer: string | null = null) =>
      event(
        'charge.refunded',
        {
          id: `ch_${intent}_${full}`,
          object: 'charge',
          customer,
          payment_intent: intent,
          amount: 19_900,
          amount_refunded: full ? 19_900 : 5000,
          refunded: full,
          billing_details: { email },
          currency: 'usd',
        },
        T + 3600,
      )
    await post(checkout('ltd@example.com', 'pi_1'))
    await post(refund('ltd@example.com', 'pi_1', false))
    expect(await relation('ltd@example.com')).toMatchObject({ status: 'paid' })
    await post(refund('ltd@example.com', 'pi_1', true))
    expect(await relation('ltd@example.com')).toMatchObject({
      status: 'churned',
      params: { billing_status: 'refunded', mrr: 0 },
    })
    // The refund arriving first (the checkout's delivery retried later) ends the same.
    await post(refund('late@example.com', 'pi_2', true))
    await post(checkout('late@example.com', 'pi_2'))
    expect(await relation('late@example.com')).toMatchObject({
      status: 'churned',
      params: { billing_status: 'refunded' },
    })
    // A refunded invoice of a live subscription is no purchase: the subscription speaks.
    await post(event('customer.created', { id: 'cus_1', email: 'sub@example.com' }, T))
    await post(event('customer.subscription.created', subscription(), T + 1))
    await post(refund('sub@example.com', 'pi_invoice', true, 'cus_1'))
    expect(await relation('sub@example.com')).toMatchObject({
      status: 'paid',
      params: { billing_status: 'active', plan: 'pro', mrr: 29 },
    })

    // Paddle: a one-time transaction, then its refund once approved.
    const at = (s: number) => new Date((T + s) * 1000).toISOString()
    await postPaddle({
      event_id: 'evt_pc',
      event_type: 'customer.created',
      occurred_at: at(0),
      data: { id: 'ctm_9', email: 'pltd@example.com' },
    })
    await postPaddle({
      event_id: 'evt_pt',
      event_type: 'transaction.completed',
      occurred_at: at(1),
      data: {
        id: 'txn_9',
        customer_id: 'ctm_9',
        subscription_id: null,
        currency_code: 'USD',
        details: { totals: { grand_total: '19900' } },
      },
    })
    const adjustment = (eventId: string, status: string, s: number) => ({
      event_id: eventId,
      event_type: status === 'approved' ? 'adjustment.updated' : 'adjustment.created',
      occurred_at: at(s),
      data: {
        id: 'adj_9',
        action: 'refund',
        type: 'full',
        status,
        transaction_id: 'txn_9',
        subscription_id: null,
        customer_id: 'ctm_9',
      },
    })
    await postPaddle(adjustment('evt_pa1', 'pending_approval', 60))
    expect(await relation('pltd@example.com')).toMatchObject({ status: 'paid' })
    await postPaddle(adjustment('evt_pa2', 'approved', 120))
    expect(await relation('pltd@example.com')).toMatchObject({
      status: 'churned',
      params: { billing_status: 'refunded' },
    })
  })

  it('an email absorbed by a merge leads to the surviving customer', async () => {
    const key = seeded.projects[1]!.key
    const kept = await postJson(t.app, '/v1/identify', key, { email: 'kept@example.com' })
    const gone = await postJson(t.app, '/v1/identify', key, { email: 'gone@example.com' })
    await mergeCustomers(t.db, {
      accountId: seeded.accountId,
      survivorId: kept.body.customerId,
      absorbedId: gone.body.customerId,
      actor: 'test',
    })
    await post(event('customer.created', { id: 'cus_1', email: 'gone@example.com' }, T))
    const res = await post(event('customer.subscription.created', subscription(), T + 1))
    expect(res.body.customerId).toBe(kept.body.customerId)
    expect(await relation('kept@example.com')).toMatchObject({
      status: 'paid',
      params: { mrr: 29 },
    })
  })

  it("after a merge of two paying customers, an event of either counts both's subscriptions", async () => {
    const price = (lookup: string, cents: number) => ({
      data: [
        {
          quantity: 1,
          price: {
            id: `price_${lookup}`,
            lookup_key: lookup,
            unit_amount: cents,
            recurring: { interval: 'month', interval_count: 1 },
          },
        },
      ],
    })
    await post(event('customer.created', { id: 'cus_y', email: 'yara@example.com' }, T))
    await post(event('customer.created', { id: 'cus_x', email: 'xavi@example.com' }, T))
    const big = subscription({ id: 'sub_y', customer: 'cus_y', items: price('big', 5000) })
    const small = subscription({ id: 'sub_x', customer: 'cus_x', items: price('small', 1000) })
    await post(event('customer.subscription.created', big, T + 1))
    await post(event('customer.subscription.created', small, T + 1))
    const [yara, xavi] = [
      (await relation('yara@example.com'))!,
      (await relation('xavi@example.com'))!,
    ]
    await mergeCustomers(t.db, {
      accountId: seeded.accountId,
      survivorId: yara.id,
      absorbedId: xavi.id,
      actor: 'test',
    })
    // Xavi's subscription renews: Yara's still counts.
    await post(event('customer.subscription.updated', small, T + 100))
    expect(await relation('yara@example.com')).toMatchObject({
      status: 'paid',
      params: { plan: 'big', mrr: 60 },
    })
    // Xavi's is canceled: Yara still pays for hers.
    const canceled = { ...small, status: 'canceled', ended_at: T + 200 }
    await post(event('customer.subscription.deleted', canceled, T + 200))
    expect(await relation('yara@example.com')).toMatchObject({
      status: 'paid',
      params: { plan: 'big', mrr: 50 },
    })
    // And an event of the survivor's own counts the absorbed email's.
    await post(event('customer.subscription.updated', big, T + 300))
    expect(await relation('yara@example.com')).toMatchObject({
      status: 'paid',
      params: { mrr: 50 },
    })
  })

  it("deleting the customer (GDPR) erases billing's memory of their email", async () => {
    await post(event('customer.created', { id: 'cus_1', email: 'erase@example.com' }, T))
    const res = await post(event('customer.subscription.created', subscription(), T + 1))
    await deleteCustomer(t.db, {
      accountId: seeded.accountId,
      customerId: res.body.customerId,
      actor: 'test',
    })
    const left = await t.db
      .selectFrom('billing_customers')
      .select('email')
      .where('email', '=', 'erase@example.com')
      .union(
        t.db
          .selectFrom('billing_relations')
          .select('email')
          .where('email', '=', 'erase@example.com'),
      )
      .execute()
    expect(left).toEqual([])
  })

  it('a webhook is three statements: the connection lookup, then one transaction that locks the person and writes', async () => {
    await post(event('customer.created', { id: 'cus_1', email: 's@example.com' }))
    t.statements.length = 0
    await post(event('customer.subscription.created', subscription(), T + 1))
    expect(t.statements).toHaveLength(3)
    expect(t.statements[0]).toMatch(/from "billing_connections"/)
    expect(t.statements[1]).toMatch(/FOR NO KEY UPDATE OF f\s*\) l$/)
    expect(t.statements[2]).toMatch(/INSERT INTO billing_events/)
  })

  it('never logs the signing secret, whatever goes wrong', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const broken = createApp({
      db: t.db.withPlugin({
        transformQuery: () => {
          throw Object.assign(new Error('boom'), { code: 'XX000' })
        },
        transformResult: async (args) => args.result,
      }),
    })
    const payload = JSON.stringify(
      event('customer.created', { id: 'cus_1', email: 'x@example.com' }),
    )
    const res = await broken.request(path, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Stripe-Signature': stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
      },
      body: payload,
    })
    expect(res.status).toBe(500)
    await post(payload, { header: 't=1,v1=00' })
    const text = JSON.stringify(logged.mock.calls, (_, v) => (v instanceof Error ? v.stack : v))
    logged.mockRestore()
    expect(text).not.toContain(SECRET)
  })
})
