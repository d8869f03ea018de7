// Paddle Billing events → BillingEvent (pure). Notifications carry `event_id`, `event_type`,
// `occurred_at` (ISO 8601 with microseconds: the order of events) and the entity as `data`.
// Paddle's subscription entity has no email: it comes from customer.created/updated (or the
// remembered customer id). See README.md ("Billing: Stripe and Paddle") for the table.
import type { Status } from '../lib/status.js'
import {
  type BillingEvent,
  type Json,
  type SubscriptionPatch,
  checkTime,
  customerName,
  eventTime,
  idOf,
  keyOf,
  normaliseEmail,
  num,
  obj,
  oneTimePurchase,
  orderKey,
  refundedPurchase,
  str,
} from './events.js'
import { isInterval, isoDigits, perMonth } from './money.js'
import { EVERY_PRODUCT, type ProductFilter, routeItems } from './products.js'

/** The product of a subscription's or a transaction's item: `price.product_id`, or the
 *  `product` entity Paddle includes beside it. */
export function paddleItemProduct(item: Json): string | undefined {
  return str(obj(item.price)?.product_id) ?? idOf(item.product) ?? str(item.product_id) ?? undefined
}

const itemsOf = (value: unknown): Json[] =>
  Array.isArray(value) ? value.map(obj).filter((i): i is Json => !!i) : []

/** Paddle's five subscription statuses, as TinyCRM statuses (the same rules as Stripe's). */
export const PADDLE_STATUS: Record<string, Status | null> = {
  trialing: 'trial',
  active: 'paid',
  past_due: 'paid',
  paused: 'churned',
  canceled: 'churned',
}

const SUBSCRIPTION_EVENTS = new Set(
  'created updated activated canceled paused resumed past_due trialing imported'
    .split(' ')
    .map((s) => `subscription.${s}`),
)

/** A date the notification schedules, as ISO 8601; null when absent or unreadable, refused when
 *  out of bounds. `field` is its path inside `data`. */
function iso(value: unknown, field: string): string | null {
  const s = str(value)
  if (!s) return null
  const d = new Date(s)
  if (Number.isNaN(d.getTime())) return null
  checkTime(d.getTime(), 'scheduled', `data.${field}`)
  return d.toISOString()
}

/** Paddle amounts are strings of minor units ("2900"). */
function amount(value: unknown): number {
  const n = Number(str(value) ?? NaN)
  return Number.isFinite(n) ? n : 0
}

/** An item's price per period in the subscription's currency: the base price, or the override
 *  in that currency (Paddle bills a country's override when one applies). */
function unitPrice(price: Json, currency: string): number {
  const base = obj(price.unit_price)
  if (str(base?.currency_code)?.toUpperCase() === currency) return amount(base?.amount)
  const overrides = Array.isArray(price.unit_price_overrides) ? price.unit_price_overrides : []
  for (const o of overrides) {
    const unit = obj(obj(o)?.unit_price)
    if (str(unit?.currency_code)?.toUpperCase() === currency) return amount(unit?.amount)
  }
  return amount(base?.amount)
}

export function paddleSubscriptionPatch(
  sub: Json,
  filter: ProductFilter = EVERY_PRODUCT,
): SubscriptionPatch {
  const status = str(sub.status) ?? 'unknown'
  const currency = (str(sub.currency_code) ?? '').toUpperCase()
  const subCycle = obj(sub.billing_cycle)
  const items = Array.isArray(sub.items) ? sub.items : []
  let mrr = 0
  let top: { item: Json; monthly: number } | undefined
  for (const raw of items) {
    const item = obj(raw)
    const price = obj(item?.price)
    if (!item || !price || item.recurring === false || item.status === 'inactive') continue
    if (!filter.has(paddleItemProduct(item))) continue
    const cycle = obj(price.billing_cycle) ?? subCycle
    const interval = isInterval(cycle?.interval) ? cycle.interval : 'month'
    const period = unitPrice(price, currency) * (num(item.quantity) ?? 1)
    const monthly = perMonth(period, interval, num(cycle?.frequency) ?? 1)
    mrr += monthly
    if (!top || monthly > top.monthly) top = { item, monthly }
  }
  const plan = top
    ? (str(obj(top.item.product)?.name) ??
      str(obj(top.item.price)?.name) ??
      str(obj(top.item.price)?.description) ??
      idOf(top.item.price) ??
      null)
    : null
  const trialIndex = items.findIndex(
    (i) => obj(obj(i)?.trial_dates) && filter.has(paddleItemProduct(obj(i)!)),
  )
  const trialDates = obj(obj(items[trialIndex])?.trial_dates)
  const scheduled = obj(sub.scheduled_change)
  return {
    status: PADDLE_STATUS[status] ?? null,
    billing_status: status,
    plan,
    mrr,
    currency: currency || null,
    digits: isoDigits(currency || 'USD'),
    trial_ends:
      status === 'trialing'
        ? (iso(trialDates?.ends_at, `items.${trialIndex}.trial_dates.ends_at`) ??
          iso(sub.next_billed_at, 'next_billed_at'))
        : null,
    cancel_at:
      status === 'canceled'
        ? iso(sub.canceled_at, 'canceled_at')
        : scheduled?.action === 'cancel'
          ? iso(scheduled.effective_at, 'scheduled_change.effective_at')
          : null,
    customer: keyOf(idOf(sub.customer_id), 'data.customer_id') ?? null,
  }
}

/** A Paddle notification (the parsed webhook body) as a BillingEvent; null for ignored ones.
 *  Throws a `validation_failed` ApiError for a value TinyCRM cannot store (./events.ts). */
export function mapPaddleEvent(
  event: Json,
  filter: ProductFilter = EVERY_PRODUCT,
): BillingEvent | null {
  const id = keyOf(str(event.event_id), 'event_id')
  const type = str(event.event_type)
  const created = eventTime(str(event.occurred_at), 'occurred_at')
  const data = obj(event.data)
  if (!id || !type || !created || !data) return null
  const base = { provider: 'paddle' as const, id, type, created }

  if (SUBSCRIPTION_EVENTS.has(type)) {
    const subId = keyOf(idOf(data), 'data.id')
    if (!subId) return null
    // With a product list, a subscription of none of them is another project's.
    if (
      !filter.all &&
      routeItems(filter, itemsOf(data.items), paddleItemProduct).listed.length === 0
    ) {
      return null
    }
    const patch = paddleSubscriptionPatch(data, filter)
    return {
      ...base,
      order: orderKey(created, 2, id, patch.billing_status === 'canceled'),
      customer: patch.customer ?? null,
      email: null,
      subscription: { id: subId, patch },
    }
  }

  if (type === 'customer.created' || type === 'customer.updated') {
    const email = normaliseEmail(data.email)
    const customer = keyOf(idOf(data), 'data.id')
    if (!email || !customer) return null
    // With a product list: only for a customer the project knows (BillingEvent.knownOnly).
    const knownOnly = !filter.all
    return {
      ...base,
      order: orderKey(created, 1, id),
      customer,
      email,
      name: customerName(data.name),
      ...(knownOnly && { knownOnly }),
    }
  }

  if (type === 'adjustment.created' || type === 'adjustment.updated') {
    // A one-time purchase refunded in full, once Paddle approves it (a refund may wait for
    // approval, then comes as adjustment.updated). It is kept under its transaction's id; an
    // adjustment of a subscription's transaction changes nothing (its cancellation churns it).
    const customer = keyOf(idOf(data.customer_id), 'data.customer_id') ?? null
    const purchase = keyOf(idOf(data.transaction_id), 'data.transaction_id')
    const full = data.action === 'refund' && data.type === 'full' && data.status === 'approved'
    if (!customer || !purchase || !full || str(data.subscription_id)) return null
    return {
      ...base,
      order: orderKey(created, 1, id),
      customer,
      email: null,
      subscription: { id: purchase, patch: refundedPurchase },
      ...(!filter.all && { knownOnly: true }),
    }
  }

  if (type === 'transaction.completed') {
    const customer = keyOf(idOf(data.customer_id), 'data.customer_id') ?? null
    if (!customer) return null
    const event: BillingEvent = { ...base, order: orderKey(created, 1, id), customer, email: null }
    if (!filter.all) {
      const route = routeItems(filter, itemsOf(data.items), paddleItemProduct)
      // Items of unlisted products only: another project's transaction.
      if (route.named && route.listed.length === 0) return null
      if (!route.named) return { ...event, knownOnly: true }
    }
    const totals = obj(obj(data.details)?.totals)
    const paid = amount(totals?.grand_total ?? totals?.total) > 0
    const subId = keyOf(idOf(data.subscription_id), 'data.subscription_id')
    if (subId && paid) {
      // A $0 transaction (the one that starts a trial) proves no payment.
      event.subscription = { id: subId, patch: { status: 'paid', billing_status: 'active' } }
    } else if (!subId && paid) {
      event.subscription = {
        id: keyOf(idOf(data), 'data.id') ?? id,
        patch: oneTimePurchase('completed', data.currency_code, isoDigits, customer),
      }
    }
    return event
  }

  return null
}
