// Stripe events → what TinyCRM writes: the status table, the monthly amount (intervals, quantity,
// discounts, zero-decimal currencies), the $0 trial checkout, and which events say what.
import { describe, expect, it } from 'vitest'
import { EVENTS_TO_SEND, type Json } from './events.js'
import { mapStripeEvent, STRIPE_STATUS, subscriptionPatch } from './stripe.js'
import { stripeSubscription } from '../../test/support/stripe-subscription.js'

const CREATED = 1_790_000_000

function price(over: Json = {}): Json {
  return {
    id: 'price_1',
    object: 'price',
    currency: 'usd',
    lookup_key: null,
    nickname: null,
    product: 'prod_1',
    recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed' },
    unit_amount: 2900,
    unit_amount_decimal: '2900',
    ...over,
  }
}

function sub(over: Json = {}, items: Json[] = [{ price: price(), quantity: 1 }]): Json {
  return stripeSubscription({
    cancel_at: null,
    canceled_at: null,
    ended_at: null,
    trial_end: null,
    discounts: [],
    items: {
      object: 'list',
      data: items.map((i, n) => ({ id: `si_${n}`, current_period_end: CREATED + 2_592_000, ...i })),
    },
    ...over,
  }) as Json
}

const event = (type: string, object: Json, created = CREATED): Json => ({
  id: 'evt_1',
  object: 'event',
  created,
  type,
  data: { object },
})

describe('the eight subscription statuses', () => {
  it('map as the README table says, and the raw status is kept as billing_status', () => {
    expect(STRIPE_STATUS).toEqual({
      trialing: 'trial',
      active: 'paid',
      past_due: 'paid',
      unpaid: 'churned',
      canceled: 'churned',
      paused: 'churned',
      incomplete: null,
      incomplete_expired: null,
    })
    for (const status of Object.keys(STRIPE_STATUS)) {
      const patch = subscriptionPatch(sub({ status }), CREATED)
      expect(patch.status).toBe(STRIPE_STATUS[status])
      expect(patch.billing_status).toBe(status)
    }
  })

  it('gives no status for one it does not know, and keeps it raw', () => {
    expect(subscriptionPatch(sub({ status: 'someday_new' }), CREATED)).toMatchObject({
      status: null,
      billing_status: 'someday_new',
    })
  })

  it('orders an ended subscription after every event of a live one', () => {
    const canceled = mapStripeEvent(
      event('customer.subscription.deleted', sub({ status: 'canceled' })),
    )!
    const later = mapStripeEvent(
      event(
        'invoice.paid',
        {
          id: 'in_1',
          customer: 'cus_1',
          customer_email: null,
          amount_paid: 700,
          parent: { subscription_details: { subscription: 'sub_1' } },
        },
        CREATED + 1,
      ),
    )!
    expect(canceled.order > later.order).toBe(true)
  })
})

describe('mrr: the monthly amount in minor units', () => {
  const mrr = (items: Json[], over: Json = {}) => subscriptionPatch(sub(over, items), CREATED).mrr

  it('is quantity × unit amount, per month', () => {
    expect(mrr([{ price: price(), quantity: 3 }])).toBe(8700)
  })

  it('divides a yearly price by 12, multiplies a weekly one by 52/12, and honours interval_count', () => {
    const yearly = price({
      unit_amount: 29_000,
      recurring: { interval: 'year', interval_count: 1 },
    })
    const weekly = price({ unit_amount: 1500, recurring: { interval: 'week', interval_count: 1 } })
    const quarterly = price({
      unit_amount: 7500,
      recurring: { interval: 'month', interval_count: 3 },
    })
    const daily = price({ unit_amount: 100, recurring: { interval: 'day', interval_count: 1 } })
    expect(mrr([{ price: yearly, quantity: 1 }])).toBeCloseTo(29_000 / 12, 9)
    expect(mrr([{ price: weekly, quantity: 1 }])).toBe(6500)
    expect(mrr([{ price: quarterly, quantity: 1 }])).toBe(2500)
    expect(mrr([{ price: daily, quantity: 1 }])).toBeCloseTo(36_500 / 12, 9)
  })

  it('adds up items, and counts a metered item as 0 (usage is not in the event)', () => {
    const metered = price({ recurring: { interval: 'month', usage_type: 'metered' } })
    expect(
      mrr([
        { price: price(), quantity: 1 },
        { price: metered, quantity: 1 },
      ]),
    ).toBe(2900)
    expect(
      mrr([
        { price: price(), quantity: 1 },
        { price: price({ unit_amount: 500 }), quantity: 2 },
      ]),
    ).toBe(3900)
  })

  it('reads a fractional unit_amount_decimal', () => {
    expect(
      mrr([{ price: price({ unit_amount: null, unit_amount_decimal: '12.5' }), quantity: 4 }]),
    ).toBe(50)
  })

  it('applies discounts the event carries: percent and amount off, subscription and item level', () => {
    const coupon = (c: Json) => ({ id: 'di_1', end: null, coupon: c })
    expect(mrr([{ price: price(), quantity: 1 }], { discount: coupon({ percent_off: 25 }) })).toBe(
      2175,
    )
    expect(
      mrr([{ price: price(), quantity: 1 }], {
        discounts: [
          { id: 'di_2', end: null, source: { coupon: { amount_off: 900, currency: 'usd' } } },
        ],
      }),
    ).toBe(2000)
    expect(mrr([{ price: price(), quantity: 2, discounts: [coupon({ percent_off: 50 })] }])).toBe(
      2900,
    )
    // An expired discount, one in another currency, and bare discount ids change nothing.
    expect(
      mrr([{ price: price(), quantity: 1 }], {
        discount: { id: 'di_3', end: CREATED - 1, coupon: { percent_off: 50 } },
        discounts: [
          'di_4',
          { id: 'di_5', end: null, coupon: { amount_off: 100, currency: 'eur' } },
        ],
      }),
    ).toBe(2900)
  })

  it('computes a tiered price from its tiers when the event carries them, else says it cannot', () => {
    const tiers = [
      { up_to: 5, unit_amount: 1000, unit_amount_decimal: '1000', flat_amount: null },
      { up_to: null, unit_amount: 500, unit_amount_decimal: '500', flat_amount: 2000 },
    ]
    const tiered = (over: Json) =>
      price({ billing_scheme: 'tiered', unit_amount: null, unit_amount_decimal: null, ...over })
    // Graduated: 5 × $10, then 3 × $5 + $20 flat. Volume: all 8 at the second tier's price.
    expect(mrr([{ price: tiered({ tiers_mode: 'graduated', tiers }), quantity: 8 }])).toBe(8500)
    expect(mrr([{ price: tiered({ tiers_mode: 'volume', tiers }), quantity: 8 }])).toBe(6000)
    expect(mrr([{ price: tiered({ tiers_mode: 'volume', tiers }), quantity: 4 }])).toBe(4000)
    // Webhooks never expand `tiers`: the amount is unknown (null), not $0, even beside a flat item.
    expect(mrr([{ price: tiered({ tiers_mode: 'volume' }), quantity: 8 }])).toBeNull()
    expect(
      mrr([
        { price: price(), quantity: 1 },
        { price: tiered({ tiers_mode: 'graduated' }), quantity: 8 },
      ]),
    ).toBeNull()
  })

  it('takes a subscription-wide amount off a yearly bill as a twelfth of it each month', () => {
    const yearly = price({
      unit_amount: 12_000,
      recurring: { interval: 'year', interval_count: 1 },
    })
    const off = { id: 'di_1', end: null, coupon: { amount_off: 2400, currency: 'usd' } }
    // $120 a year less $24 a year: $8 a month (not $10 − $24, floored at 0).
    expect(mrr([{ price: yearly, quantity: 1 }], { discount: off })).toBe(800)
    expect(mrr([{ price: yearly, quantity: 1, discounts: [off] }])).toBe(800)
    const quarterly = price({
      unit_amount: 9000,
      recurring: { interval: 'month', interval_count: 3 },
    })
    expect(mrr([{ price: quarterly, quantity: 1 }], { discounts: [off] })).toBe(2200)
  })

  it('keeps zero-decimal currencies in whole units (JPY)', () => {
    const yen = price({ currency: 'jpy', unit_amount: 3000 })
    const patch = subscriptionPatch(
      sub({ currency: 'jpy' }, [{ price: yen, quantity: 1 }]),
      CREATED,
    )
    expect(patch).toMatchObject({ mrr: 3000, currency: 'JPY', digits: 0 })
    expect(subscriptionPatch(sub({ currency: 'kwd' }), CREATED).digits).toBe(3)
    expect(subscriptionPatch(sub(), CREATED).digits).toBe(2)
  })
})

describe('the other params', () => {
  it('plan: lookup key, else nickname, else product name, else the price id — of the largest item', () => {
    const plan = (p: Json, extra: Json[] = []) =>
      subscriptionPatch(sub({}, [{ price: p, quantity: 1 }, ...extra]), CREATED).plan
    expect(plan(price({ lookup_key: 'pro_monthly', nickname: 'Pro' }))).toBe('pro_monthly')
    expect(plan(price({ nickname: 'Pro' }))).toBe('Pro')
    expect(plan(price({ product: { id: 'prod_1', name: 'Pro plan' } }))).toBe('Pro plan')
    expect(plan(price())).toBe('price_1')
    const seats = price({ id: 'price_seats', lookup_key: 'seats', unit_amount: 1000 })
    expect(plan(price({ lookup_key: 'base' }), [{ price: seats, quantity: 5 }])).toBe('seats')
  })

  it('trial_ends while trialing; cancel_at when a cancellation is scheduled, or when it ended', () => {
    const trialing = subscriptionPatch(
      sub({ status: 'trialing', trial_end: CREATED + 86_400 }),
      CREATED,
    )
    expect(trialing.trial_ends).toBe(new Date((CREATED + 86_400) * 1000).toISOString())
    expect(subscriptionPatch(sub({ trial_end: CREATED }), CREATED).trial_ends).toBeNull()
    const atPeriodEnd = subscriptionPatch(sub({ cancel_at_period_end: true }), CREATED)
    expect(atPeriodEnd.cancel_at).toBe(new Date((CREATED + 2_592_000) * 1000).toISOString())
    const at = subscriptionPatch(sub({ cancel_at: CREATED + 10 }), CREATED)
    expect(at.cancel_at).toBe(new Date((CREATED + 10) * 1000).toISOString())
    const ended = subscriptionPatch(sub({ status: 'canceled', ended_at: CREATED + 5 }), CREATED)
    expect(ended.cancel_at).toBe(new Date((CREATED + 5) * 1000).toISOString())
  })
})

describe('events', () => {
  it('a subscription event carries the whole subscription, and no email', () => {
    const e = mapStripeEvent(event('customer.subscription.updated', sub()))!
    expect(e).toMatchObject({ customer: 'cus_1', email: null, subscription: { id: 'sub_1' } })
    expect(e.subscription!.patch).toMatchObject({ status: 'paid', mrr: 2900, customer: 'cus_1' })
    expect(e.created).toBe('2026-09-21T14:13:20.000000Z')
  })

  it('a $0 trial checkout is a trial, not paid; a paying one is paid', () => {
    const checkout = (over: Json) =>
      mapStripeEvent(
        event('checkout.session.completed', {
          id: 'cs_1',
          mode: 'subscription',
          customer: 'cus_1',
          customer_details: { email: ' Alex@Example.com ' },
          subscription: 'sub_1',
          payment_status: 'no_payment_required',
          amount_total: 0,
          total_details: { amount_discount: 0 },
          ...over,
        }),
      )!
    const trial = checkout({})
    expect(trial.email).toBe('alex@example.com')
    expect(trial.subscription).toEqual({
      id: 'sub_1',
      patch: { status: 'trial', billing_status: 'trialing' },
    })
    expect(
      checkout({ payment_status: 'paid', amount_total: 2900 }).subscription!.patch.status,
    ).toBe('paid')
    // Free through a 100% coupon: paid, at $0.
    const coupon = checkout({ total_details: { amount_discount: 2900 } })
    expect(coupon.subscription!.patch.status).toBe('paid')
    // Still waiting for an asynchronous payment: nothing to say about the subscription yet.
    expect(checkout({ payment_status: 'unpaid', amount_total: 2900 }).subscription).toBeUndefined()
  })

  it('a one-time purchase is paid for good, with no monthly amount', () => {
    const e = mapStripeEvent(
      event('checkout.session.completed', {
        id: 'cs_2',
        mode: 'payment',
        customer: null,
        customer_details: { email: 'guest@example.com' },
        currency: 'eur',
        payment_status: 'paid',
        amount_total: 19900,
      }),
    )!
    expect(e).toMatchObject({ customer: null, email: 'guest@example.com' })
    expect(e.subscription).toMatchObject({
      id: 'cs_2',
      patch: { status: 'paid', billing_status: 'paid', mrr: 0, currency: 'EUR' },
    })
  })

  it('invoices: paid with money → paid; $0 → nothing; a failed renewal → past_due; a failed first → nothing', () => {
    const invoice = (type: string, over: Json) =>
      mapStripeEvent(
        event(type, {
          id: 'in_1',
          customer: 'cus_1',
          customer_email: 'alex@example.com',
          amount_paid: 2900,
          billing_reason: 'subscription_cycle',
          parent: { subscription_details: { subscription: 'sub_1' } },
          ...over,
        }),
      )!
    expect(invoice('invoice.paid', {}).subscription).toEqual({
      id: 'sub_1',
      patch: { status: 'paid', billing_status: 'active' },
    })
    expect(invoice('invoice.paid', { amount_paid: 0 }).subscription).toBeUndefined()
    expect(invoice('invoice.paid', { amount_paid: 0 }).email).toBe('alex@example.com')
    expect(invoice('invoice.payment_failed', {}).subscription!.patch).toEqual({
      status: 'paid',
      billing_status: 'past_due',
    })
    const first = invoice('invoice.payment_failed', { billing_reason: 'subscription_create' })
    expect(first.subscription).toBeUndefined()
    // An invoice of an API version before 2025-03-31 names its subscription at the top level.
    expect(invoice('invoice.paid', { parent: null, subscription: 'sub_9' }).subscription!.id).toBe(
      'sub_9',
    )
  })

  it('a paid first or renewal invoice carries its subscription lines as a monthly amount', () => {
    const paid = (over: Json, lines: Json[]) =>
      mapStripeEvent(
        event('invoice.paid', {
          id: 'in_1',
          customer: 'cus_1',
          customer_email: 'alex@example.com',
          amount_paid: 1,
          billing_reason: 'subscription_cycle',
          parent: { subscription_details: { subscription: 'sub_1' } },
          lines: { object: 'list', has_more: false, data: lines },
          ...over,
        }),
      )!.subscription!.patch
    const DAY = 86_400
    // Since 2025-03-31 a line names its price by id: the period says the interval (31 days, a
    // month; 365, a year). Line discounts are taken off.
    const line = (amount: number, days: number, over: Json = {}) => ({
      amount,
      parent: { type: 'subscription_item_details' },
      period: { start: CREATED, end: CREATED + days * DAY },
      discount_amounts: [],
      ...over,
    })
    expect(
      paid({}, [line(4500, 31), line(1000, 28, { discount_amounts: [{ amount: 200 }] })]),
    ).toEqual({ status: 'paid', billing_status: 'active', invoiced_mrr: 5300 })
    expect(paid({}, [line(120_000, 365)]).invoiced_mrr).toBe(10_000)
    // Before, a line carried its price with the interval; a setup fee is not the subscription's.
    expect(
      paid({ billing_reason: 'subscription_create' }, [
        { type: 'subscription', amount: 30_000, price: { recurring: { interval: 'year' } } },
        { type: 'invoiceitem', amount: 9900 },
      ]).invoiced_mrr,
    ).toBe(2500)
    // A proration, or an invoice whose lines are not all in the event, says no monthly amount.
    expect(paid({ billing_reason: 'subscription_update' }, [line(4500, 31)])).not.toHaveProperty(
      'invoiced_mrr',
    )
    expect(paid({ lines: { has_more: true, data: [line(4500, 31)] } }, [])).not.toHaveProperty(
      'invoiced_mrr',
    )
  })

  it('an invoice charging only a setup fee beside a $0 subscription line (a trial) proves no payment', () => {
    const invoice = (lines: Json[], hasMore = false) =>
      mapStripeEvent(
        event('invoice.paid', {
          id: 'in_2',
          customer: 'cus_1',
          amount_paid: 4900,
          billing_reason: 'subscription_create',
          parent: { subscription_details: { subscription: 'sub_1' } },
          lines: { object: 'list', has_more: hasMore, data: lines },
        }),
      )!
    const fee = { amount: 4900, parent: { type: 'invoice_item_details' } }
    const trial = { amount: 0, parent: { type: 'subscription_item_details' } }
    expect(invoice([fee, trial]).subscription).toBeUndefined()
    // API versions before 2025-03-31 type their lines instead.
    expect(
      invoice([
        { amount: 4900, type: 'invoiceitem' },
        { amount: 0, type: 'subscription' },
      ]).subscription,
    ).toBeUndefined()
    // The subscription's own period charged: paid.
    const month = { amount: 2900, parent: { type: 'subscription_item_details' } }
    expect(invoice([fee, month]).subscription!.patch).toEqual({
      status: 'paid',
      billing_status: 'active',
    })
    // Not every line in the event: the amount paid decides, as before.
    expect(invoice([fee, trial], true).subscription!.patch.status).toBe('paid')
  })

  it('customer.created/updated carry the email; events TinyCRM does not use are ignored', () => {
    const e = mapStripeEvent(event('customer.updated', { id: 'cus_1', email: 'new@example.com' }))!
    expect(e).toMatchObject({ customer: 'cus_1', email: 'new@example.com' })
    expect(e.subscription).toBeUndefined()
    expect(
      mapStripeEvent(event('customer.updated', { id: 'cus_1', email: 'not an email' })),
    ).toBeNull()
    expect(mapStripeEvent(event('charge.succeeded', { id: 'ch_1' }))).toBeNull()
    expect(mapStripeEvent({ id: 'evt_1', type: 'customer.updated' })).toBeNull()
  })
})

describe('the events the connect page asks to send', () => {
  it('are all understood', () => {
    for (const type of EVENTS_TO_SEND.stripe) {
      const object = type.startsWith('customer.subscription.')
        ? sub()
        : type.startsWith('customer.')
          ? { id: 'cus_1', email: 'a@example.com' }
          : type.startsWith('checkout.')
            ? { id: 'cs_1', mode: 'subscription', customer: 'cus_1', subscription: 'sub_1' }
            : type.startsWith('charge.')
              ? { id: 'ch_1', customer: 'cus_1', payment_intent: 'pi_1', refunded: true }
              : { id: 'in_1', customer: 'cus_1', customer_email: 'a@example.com' }
      expect(mapStripeEvent(event(type, object)), type).not.toBeNull()
    }
  })
})
