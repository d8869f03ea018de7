// Signed events whose values TinyCRM cannot store: a time out of bounds (identify's rule: not
// before 1970, not more than a day ahead; a date an event schedules, not after the year 9999) or
// an id too long for an index. Each answers 400 `validation_failed` naming the field and why, and
// writes nothing; a 500 would make the provider retry the event for days.
import { beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { signatureHeaders, type Delivery } from '../../test/support/billing-replay.js'
import { stripeSubscription } from '../../test/support/stripe-subscription.js'
import { createConnection, webhookPath } from './connections.js'

const SECRET = 'whsec_bounds_test_0123456789abcdef'
const PADDLE_SECRET = 'pdl_ntfset_01boundstest_abcdefghijklmnop'
const T = 1_790_000_000
const DAY = 86_400
const LONG_ID = 'x'.repeat(500_000)

const t = useTestApp()
let path: string
let paddlePath: string

beforeAll(async () => {
  const seeded = await seedAccount(t.db)
  const projectId = seeded.projects[0]!.project.id
  const connect = async (provider: 'stripe' | 'paddle', signingSecret: string) =>
    webhookPath(
      (await createConnection(t.db, {
        accountId: seeded.accountId,
        projectId,
        provider,
        signingSecret,
      }))!.id,
    )
  path = await connect('stripe', SECRET)
  paddlePath = await connect('paddle', PADDLE_SECRET)
})

/** Posts `body` as one event, signed the way its provider signs (test/support/billing-replay.ts). */
async function deliver(provider: Delivery['provider'], to: string, secret: string, body: unknown) {
  const payload = JSON.stringify(body)
  const res = await t.app.request(to, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...signatureHeaders({ path: to, provider, secret, body: payload }),
    },
    body: payload,
  })
  return { status: res.status, body: (await res.json()) as any }
}

const post = (body: unknown) => deliver('stripe', path, SECRET, body)
const postPaddle = (body: unknown) => deliver('paddle', paddlePath, PADDLE_SECRET, body)

async function rowCounts() {
  const count = async (table: 'billing_events' | 'billing_customers' | 'customer_projects') =>
    (await t.db.selectFrom(table).select('project_id').execute()).length
  return {
    events: await count('billing_events'),
    customers: await count('billing_customers'),
    relations: await count('customer_projects'),
  }
}

/** Each body answers 400 naming `field` with a message matching `why`, and writes nothing. */
async function expectRefused(
  send: (body: unknown) => Promise<{ status: number; body: any }>,
  cases: [body: unknown, field: string, why: RegExp][],
) {
  const before = await rowCounts()
  for (const [body, field, why] of cases) {
    const res = await send(body)
    expect({ field, ...res }).toMatchObject({
      field,
      status: 400,
      body: { error: { code: 'validation_failed', details: [{ path: field, message: why }] } },
    })
    expect(res.body.error.message).toContain(field)
  }
  expect(await rowCounts()).toEqual(before)
}

let n = 0
const stripeEvent = (type: string, object: object, created: number = T) => ({
  id: `evt_bounds_${++n}`,
  object: 'event',
  created,
  type,
  data: { object },
})

const customer = { id: 'cus_1', email: 'a@example.com' }

describe('Stripe', () => {
  it('refuses an event time before 1970, more than a day ahead, or past what a Date holds', async () => {
    const now = Math.floor(Date.now() / 1000)
    await expectRefused(post, [
      [stripeEvent('customer.created', customer, 1e20), 'created', /more than a day/],
      [stripeEvent('customer.created', customer, 8e12), 'created', /more than a day/],
      [stripeEvent('customer.created', customer, now + 2 * DAY), 'created', /more than a day/],
      [stripeEvent('customer.created', customer, -1), 'created', /before 1970/],
      // Also on events TinyCRM would ignore: the envelope itself is wrong.
      [stripeEvent('charge.refunded', { id: 'ch_1' }, 1e20), 'created', /more than a day/],
    ])
  })

  it('refuses the dates a subscription schedules before 1970 or after the year 9999', async () => {
    const sub = (over: Record<string, unknown>) =>
      stripeEvent('customer.subscription.updated', stripeSubscription(over))
    await expectRefused(post, [
      [sub({ status: 'trialing', trial_end: 1e20 }), 'data.object.trial_end', /after.*9999/],
      [sub({ status: 'trialing', trial_end: -DAY }), 'data.object.trial_end', /before 1970/],
      [sub({ cancel_at: 1e15 }), 'data.object.cancel_at', /after.*9999/],
      [
        sub({ cancel_at_period_end: true, current_period_end: 1e20 }),
        'data.object.current_period_end',
        /after.*9999/,
      ],
      [
        sub({ status: 'canceled', ended_at: -1e20, canceled_at: T }),
        'data.object.ended_at',
        /before 1970/,
      ],
    ])
  })

  it('still takes a trial that ends in a year', async () => {
    const res = await post(
      stripeEvent(
        'customer.subscription.created',
        stripeSubscription({ status: 'trialing', trial_end: T + 365 * DAY }),
      ),
    )
    expect(res).toMatchObject({ status: 200, body: { received: true } })
  })

  it('refuses an event, customer or subscription id too long for an index, or with a NUL', async () => {
    const sub = (over: Record<string, unknown>) =>
      stripeEvent('customer.subscription.created', stripeSubscription(over))
    await expectRefused(post, [
      [{ ...stripeEvent('customer.created', customer), id: LONG_ID }, 'id', /too long/],
      [{ ...stripeEvent('customer.created', customer), id: 'evt_\u0000' }, 'id', /NUL/],
      [stripeEvent('customer.created', { ...customer, id: LONG_ID }), 'data.object.id', /too long/],
      [sub({ id: 'sub_' + 'x'.repeat(300) }), 'data.object.id', /too long/],
      [sub({ customer: { id: LONG_ID } }), 'data.object.customer', /too long/],
      [
        stripeEvent('invoice.paid', {
          customer: 'cus_1',
          subscription: LONG_ID,
          amount_paid: 2900,
        }),
        'data.object.subscription',
        /too long/,
      ],
      [
        stripeEvent('checkout.session.completed', {
          id: 'cs_1',
          mode: 'subscription',
          customer: LONG_ID,
          subscription: 'sub_1',
          payment_status: 'paid',
          amount_total: 2900,
        }),
        'data.object.customer',
        /too long/,
      ],
    ])
  })
})

const paddleEvent = (event_type: string, data: object, occurred_at = '2026-09-21T10:00:00Z') => ({
  event_id: `evt_paddle_bounds_${++n}`,
  event_type,
  occurred_at,
  data,
})

const paddleSub = (over: object = {}) => ({
  id: 'sub_p1',
  status: 'active',
  customer_id: 'ctm_1',
  currency_code: 'USD',
  billing_cycle: { interval: 'month', frequency: 1 },
  items: [{ status: 'active', quantity: 1, price: { id: 'pri_1' } }],
  ...over,
})

describe('Paddle', () => {
  it('refuses an occurred_at before 1970 or more than a day ahead', async () => {
    const ahead = new Date(Date.now() + 2 * DAY * 1000).toISOString()
    const ctm = { id: 'ctm_1', email: 'a@example.com' }
    await expectRefused(postPaddle, [
      [paddleEvent('customer.created', ctm, '1969-12-31T23:59:59Z'), 'occurred_at', /before 1970/],
      [paddleEvent('customer.created', ctm, ahead), 'occurred_at', /more than a day/],
    ])
  })

  it('refuses the dates a subscription schedules before 1970 or after the year 9999', async () => {
    const sub = (over: Record<string, unknown>) =>
      paddleEvent('subscription.updated', paddleSub(over))
    await expectRefused(postPaddle, [
      [
        sub({ status: 'trialing', next_billed_at: '+275760-09-13T00:00:00Z' }),
        'data.next_billed_at',
        /after.*9999/,
      ],
      [
        sub({
          status: 'trialing',
          items: [{ status: 'active', trial_dates: { ends_at: '0001-01-01T00:00:00Z' } }],
        }),
        'data.items.0.trial_dates.ends_at',
        /before 1970/,
      ],
      [
        sub({ status: 'canceled', canceled_at: '+100000-01-01T00:00:00Z' }),
        'data.canceled_at',
        /after.*9999/,
      ],
      [
        sub({ scheduled_change: { action: 'cancel', effective_at: '1900-01-01T00:00:00Z' } }),
        'data.scheduled_change.effective_at',
        /before 1970/,
      ],
    ])
  })

  it('refuses an event, customer or subscription id too long for an index', async () => {
    await expectRefused(postPaddle, [
      [
        { ...paddleEvent('subscription.created', paddleSub()), event_id: LONG_ID },
        'event_id',
        /too long/,
      ],
      [paddleEvent('subscription.created', paddleSub({ id: LONG_ID })), 'data.id', /too long/],
      [
        paddleEvent('subscription.created', paddleSub({ customer_id: LONG_ID })),
        'data.customer_id',
        /too long/,
      ],
      [
        paddleEvent('transaction.completed', {
          id: 'txn_1',
          customer_id: 'ctm_1',
          subscription_id: LONG_ID,
          details: { totals: { grand_total: '2900' } },
        }),
        'data.subscription_id',
        /too long/,
      ],
    ])
  })
})
