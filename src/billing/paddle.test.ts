// Paddle notifications → what TinyCRM writes: the status table, the monthly amount (billing cycles,
// quantity, a price override in the subscription's currency, JPY), trial and cancellation dates,
// transactions, and the order of events of one instant (microseconds).
import { describe, expect, it } from 'vitest'
import { EVENTS_TO_SEND, type Json } from './events.js'
import { mapPaddleEvent, PADDLE_STATUS, paddleSubscriptionPatch } from './paddle.js'

function item(over: Json = {}, price: Json = {}): Json {
  return {
    status: 'active',
    quantity: 1,
    recurring: true,
    price: {
      id: 'pri_1',
      name: null,
      description: 'Monthly',
      billing_cycle: { interval: 'month', frequency: 1 },
      unit_price: { amount: '2900', currency_code: 'USD' },
      unit_price_overrides: [],
      ...price,
    },
    product: { id: 'pro_1', name: 'Pro' },
    ...over,
  }
}

function sub(over: Json = {}, items: Json[] = [item()]): Json {
  return {
    id: 'sub_01',
    status: 'active',
    customer_id: 'ctm_01',
    currency_code: 'USD',
    billing_cycle: { interval: 'month', frequency: 1 },
    scheduled_change: null,
    canceled_at: null,
    next_billed_at: '2026-10-21T00:00:00Z',
    items,
    ...over,
  }
}

const notification = (
  event_type: string,
  data: Json,
  occurred_at = '2026-09-21T10:00:00.123456Z',
) => ({
  event_id: `evt_${event_type}`,
  event_type,
  occurred_at,
  notification_id: 'ntf_1',
  data,
})

describe('statuses', () => {
  it('map as the README table says, the raw one kept as billing_status', () => {
    expect(PADDLE_STATUS).toEqual({
      trialing: 'trial',
      active: 'paid',
      past_due: 'paid',
      paused: 'churned',
      canceled: 'churned',
    })
    for (const status of Object.keys(PADDLE_STATUS)) {
      expect(paddleSubscriptionPatch(sub({ status }))).toMatchObject({
        status: PADDLE_STATUS[status],
        billing_status: status,
      })
    }
  })
})

describe('mrr', () => {
  const mrr = (items: Json[], over: Json = {}) => paddleSubscriptionPatch(sub(over, items)).mrr

  it('is quantity × unit price per month, whatever the cycle', () => {
    expect(mrr([item({ quantity: 3 })])).toBe(8700)
    const yearly = {
      billing_cycle: { interval: 'year', frequency: 1 },
      unit_price: { amount: '29000', currency_code: 'USD' },
    }
    expect(mrr([item({}, yearly)])).toBeCloseTo(29000 / 12, 9)
    const weekly = {
      billing_cycle: { interval: 'week', frequency: 2 },
      unit_price: { amount: '3000', currency_code: 'USD' },
    }
    expect(mrr([item({}, weekly)])).toBe(6500)
  })

  it('uses the override in the subscription currency, skips inactive and one-off items', () => {
    const overridden = {
      unit_price: { amount: '2900', currency_code: 'USD' },
      unit_price_overrides: [
        { country_codes: ['DE'], unit_price: { amount: '2700', currency_code: 'EUR' } },
      ],
    }
    expect(mrr([item({}, overridden)], { currency_code: 'EUR' })).toBe(2700)
    expect(mrr([item(), item({ status: 'inactive' }), item({ recurring: false })])).toBe(2900)
  })

  it('keeps JPY in whole yen', () => {
    const yen = { unit_price: { amount: '3000', currency_code: 'JPY' } }
    expect(paddleSubscriptionPatch(sub({ currency_code: 'JPY' }, [item({}, yen)]))).toMatchObject({
      mrr: 3000,
      currency: 'JPY',
      digits: 0,
    })
  })
})

describe('the other params', () => {
  it('plan is the product name (else the price name, description or id)', () => {
    expect(paddleSubscriptionPatch(sub()).plan).toBe('Pro')
    expect(paddleSubscriptionPatch(sub({}, [item({ product: null })])).plan).toBe('Monthly')
  })

  it('trial_ends from the trial dates; cancel_at when scheduled or done', () => {
    const trialing = sub({ status: 'trialing' }, [
      item({
        trial_dates: { starts_at: '2026-09-21T00:00:00Z', ends_at: '2026-10-05T00:00:00.654321Z' },
      }),
    ])
    expect(paddleSubscriptionPatch(trialing).trial_ends).toBe('2026-10-05T00:00:00.654Z')
    const scheduled = sub({
      scheduled_change: { action: 'cancel', effective_at: '2026-10-21T00:00:00Z' },
    })
    expect(paddleSubscriptionPatch(scheduled).cancel_at).toBe('2026-10-21T00:00:00.000Z')
    const paused = sub({
      scheduled_change: { action: 'pause', effective_at: '2026-10-21T00:00:00Z' },
    })
    expect(paddleSubscriptionPatch(paused).cancel_at).toBeNull()
    const canceled = sub({ status: 'canceled', canceled_at: '2026-10-01T00:00:00Z' })
    expect(paddleSubscriptionPatch(canceled).cancel_at).toBe('2026-10-01T00:00:00.000Z')
  })
})

describe('notifications', () => {
  it('subscription events carry no email; customer events do', () => {
    const e = mapPaddleEvent(notification('subscription.activated', sub()))!
    expect(e).toMatchObject({
      customer: 'ctm_01',
      email: null,
      created: '2026-09-21T10:00:00.123456Z',
    })
    const c = mapPaddleEvent(
      notification('customer.updated', { id: 'ctm_01', email: 'A@Example.com' }),
    )!
    expect(c).toMatchObject({ customer: 'ctm_01', email: 'a@example.com' })
    expect(c.subscription).toBeUndefined()
  })

  it('orders notifications of one millisecond by their microseconds', () => {
    const first = mapPaddleEvent(
      notification(
        'subscription.created',
        sub({ status: 'trialing' }),
        '2026-09-21T10:00:00.123001Z',
      ),
    )!
    const second = mapPaddleEvent(
      notification('subscription.updated', sub(), '2026-09-21T10:00:00.123002Z'),
    )!
    expect(first.order < second.order).toBe(true)
  })

  it('transaction.completed: paid with money → paid; $0 (a trial) → nothing; no subscription → a purchase', () => {
    const tx = (over: Json) =>
      mapPaddleEvent(
        notification('transaction.completed', {
          id: 'txn_01',
          customer_id: 'ctm_01',
          subscription_id: 'sub_01',
          currency_code: 'USD',
          details: { totals: { total: '2900', grand_total: '2900' } },
          ...over,
        }),
      )!
    expect(tx({}).subscription).toEqual({
      id: 'sub_01',
      patch: { status: 'paid', billing_status: 'active' },
    })
    expect(
      tx({ details: { totals: { total: '0', grand_total: '0' } } }).subscription,
    ).toBeUndefined()
    expect(tx({ subscription_id: null }).subscription).toMatchObject({
      id: 'txn_01',
      patch: { status: 'paid', billing_status: 'completed', mrr: 0 },
    })
  })

  it('understands every event the connect page asks to send', () => {
    const refund = {
      id: 'adj_01',
      action: 'refund',
      type: 'full',
      status: 'approved',
      transaction_id: 'txn_01',
      subscription_id: null,
      customer_id: 'ctm_01',
    }
    for (const type of EVENTS_TO_SEND.paddle) {
      const data = type.startsWith('customer.')
        ? { id: 'ctm_01', email: 'a@example.com' }
        : type.startsWith('transaction.')
          ? { id: 'txn_01', customer_id: 'ctm_01', details: { totals: { total: '1' } } }
          : type.startsWith('adjustment.')
            ? refund
            : sub()
      expect(mapPaddleEvent(notification(type, data)), type).not.toBeNull()
    }
    expect(mapPaddleEvent(notification('adjustment.created', {}))).toBeNull()
    // Only a full refund Paddle approved of a one-time transaction says something.
    for (const over of [
      { status: 'pending_approval' },
      { type: 'partial' },
      { action: 'credit' },
      { subscription_id: 'sub_01' },
    ]) {
      expect(mapPaddleEvent(notification('adjustment.updated', { ...refund, ...over }))).toBeNull()
    }
    expect(mapPaddleEvent(notification('adjustment.updated', refund))!.subscription).toEqual({
      id: 'txn_01',
      patch: { refunded: true },
    })
  })
})
