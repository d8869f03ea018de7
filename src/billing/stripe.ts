// Stripe events → BillingEvent (pure). The table in README.md ("Billing: Stripe and Paddle") says
// the same; the tests in ./stripe.test.ts hold both to it. Objects are read defensively: a webhook
// endpoint may be on any API version, so fields moved by newer versions are read in both places.
import type { Status } from '../lib/status.js'
import {
  type BillingEvent,
  type Json,
  type SubscriptionPatch,
  customerName,
  eventTime,
  idOf,
  isoDate,
  keyOf,
  normaliseEmail,
  num,
  obj,
  oneTimePurchase,
  orderKey,
  refundedPurchase,
  str,
} from './events.js'
import { type Interval, isInterval, perMonth, stripeDigits } from './money.js'
import { EVERY_PRODUCT, type ProductFilter, routeItems } from './products.js'

/** The product a subscription item's price (or a legacy plan) is of: an id, or an expanded
 *  product object. */
export function itemProduct(item: Json): string | undefined {
  return idOf(obj(item.price)?.product) ?? idOf(obj(item.plan)?.product)
}

/** The product an invoice line bills: `price.product` before API version 2025-03-31,
 *  `pricing.price_details.product` since. */
export function lineProduct(line: Json): string | undefined {
  return (
    idOf(obj(line.price)?.product) ??
    idOf(obj(obj(line.pricing)?.price_details)?.product) ??
    idOf(obj(line.plan)?.product)
  )
}

/** An invoice's lines when the webhook carries every one of them (`has_more` false). */
function allLines(invoice: Json): Json[] | undefined {
  const lines = obj(invoice.lines)
  if (!lines || lines.has_more !== false || !Array.isArray(lines.data)) return undefined
  return lines.data.map(obj).filter((l): l is Json => !!l)
}

/**
 * Stripe's eight subscription statuses, as TinyCRM statuses. `null`: the subscription gives no
 * status (the customer's status comes from their other subscriptions, or stays as it is).
 */
export const STRIPE_STATUS: Record<string, Status | null> = {
  trialing: 'trial',
  active: 'paid',
  // Stripe is retrying the payment and the customer keeps access: still paid, and the
  // billing_status param says past_due, so a filter finds them (p=billing_status:eq:past_due).
  past_due: 'paid',
  // Retries are exhausted and invoices stay open: no longer paying.
  unpaid: 'churned',
  canceled: 'churned',
  // A trial that ended without a payment method, or a paused collection: not paying.
  paused: 'churned',
  // The first payment has not gone through yet (up to 23 hours): nothing to say yet.
  incomplete: null,
  // ...and then never did: they were never a customer, so not "churned" either.
  incomplete_expired: null,
}

/** Where the event's object is, for naming a refused field. */
const OBJECT = 'data.object'

/** Statuses a Stripe subscription never leaves. */
const ENDED = new Set(['canceled', 'incomplete_expired'])

/** Whether an invoice's lines show its subscription charged nothing, what it charged being
 *  one-time items beside it (a setup fee on an invoice opening a trial). `lines`: every line of
 *  the invoice (allLines(): none when the webhook does not carry them all). */
function onlyExtrasCharged(lines: Json[] | undefined): boolean {
  const subscriptionLines = lines?.filter(isSubscriptionLine) ?? []
  return subscriptionLines.length > 0 && subscriptionLines.every((l) => (num(l.amount) ?? 0) <= 0)
}

/** A subscription line is `type: 'subscription'` before API version 2025-03-31 and has a
 *  `subscription_item_details` parent since. */
function isSubscriptionLine(line: Json): boolean {
  return line.type === 'subscription' || obj(line.parent)?.type === 'subscription_item_details'
}

/** The interval a line's billing period spans, for lines that name their price by id only (API
 *  versions since 2025-03-31): a month is 28 to 31 days, a year 365 or 366. */
function periodInterval(line: Json): { interval: Interval; count: number } | undefined {
  const period = obj(line.period)
  const start = num(period?.start)
  const end = num(period?.end)
  if (start === undefined || end === undefined || end <= start) return undefined
  const days = (end - start) / 86_400
  if (days >= 364) return { interval: 'year', count: Math.round(days / 365.25) }
  if (days >= 28) return { interval: 'month', count: Math.round(days / 30.436875) }
  if (days >= 7 && Number.isInteger(days / 7)) return { interval: 'week', count: days / 7 }
  return { interval: 'day', count: Math.max(1, Math.round(days)) }
}

/** The monthly amount a paid invoice charged for its subscription, in minor units: its
 *  subscription lines (after their discounts), each made monthly. Read from an invoice that bills
 *  a whole period (the first one, or a renewal; not a proration) and carries every line; it is
 *  what a subscription whose items' amounts are not in its own events (a tiered price) counts. */
function invoicedMonthly(invoice: Json, lines: Json[] | undefined): number | undefined {
  const reason = invoice.billing_reason
  if (reason !== 'subscription_create' && reason !== 'subscription_cycle') return undefined
  if (!lines) return undefined
  let monthly = 0
  let counted = false
  for (const line of lines) {
    if (!isSubscriptionLine(line) || line.proration === true) continue
    const recurring = obj(obj(line.price)?.recurring)
    const cycle = isInterval(recurring?.interval)
      ? { interval: recurring.interval, count: num(recurring.interval_count) ?? 1 }
      : periodInterval(line)
    if (!cycle) return undefined
    const discounts = Array.isArray(line.discount_amounts) ? line.discount_amounts : []
    const off = discounts.reduce<number>((sum, d) => sum + (num(obj(d)?.amount) ?? 0), 0)
    monthly += perMonth(Math.max(0, (num(line.amount) ?? 0) - off), cycle.interval, cycle.count)
    counted = true
  }
  return counted ? monthly : undefined
}

function invoiceSubscription(invoice: Json): string | undefined {
  // Before API version 2025-03-31 an invoice named its subscription at the top level.
  return (
    idOf(invoice.subscription) ?? idOf(obj(obj(invoice.parent)?.subscription_details)?.subscription)
  )
}

/** One price's amount for `quantity`, in minor units per billing period: 0 for a metered item
 *  (its usage is not in the event), null when the event cannot say. A tiered price has no
 *  `unit_amount`, and Stripe's webhooks carry its `tiers` only when expanded, which they never
 *  are: such a subscription's amount comes from its invoices instead (invoicedMonthly()). */
function periodAmount(price: Json, quantity: number): number | null {
  const recurring = obj(price.recurring)
  if (recurring?.usage_type === 'metered') return 0
  if (price.billing_scheme === 'tiered') return tieredAmount(price, quantity)
  return decimal(price.unit_amount, price.unit_amount_decimal) * quantity
}

/** A decimal amount Stripe sends as a number and as a `_decimal` string (fractional cents). */
function decimal(value: unknown, text: unknown): number {
  const n = num(value) ?? Number(str(text) ?? 0)
  return Number.isFinite(n) ? n : 0
}

/** A tiered price's amount for `quantity` when its tiers are in the event (an API call that
 *  expanded them): volume bills every unit at the tier the quantity falls in, graduated bills
 *  each unit at its own tier; each tier reached adds its flat amount. Null without tiers. */
function tieredAmount(price: Json, quantity: number): number | null {
  const tiers = Array.isArray(price.tiers) ? price.tiers.map(obj) : []
  if (tiers.length === 0 || tiers.some((t) => !t)) return null
  let total = 0
  let from = 0
  for (const tier of tiers as Json[]) {
    const upTo = num(tier.up_to) ?? Infinity
    const unit = decimal(tier.unit_amount, tier.unit_amount_decimal)
    const flat = decimal(tier.flat_amount, tier.flat_amount_decimal)
    if (price.tiers_mode === 'volume') {
      if (quantity <= upTo) return unit * quantity + flat
    } else if (quantity > from) {
      total += unit * (Math.min(quantity, upTo) - from) + flat
    }
    from = upTo
  }
  return price.tiers_mode === 'volume' ? null : total
}

/** A discount's coupon when the event carries it expanded (webhooks on API versions before
 *  2025-03-31 carry `discount.coupon`; newer ones send discount ids, which say nothing). */
function couponsOf(value: unknown, at: number): Json[] {
  const list = Array.isArray(value) ? value : value ? [value] : []
  return list.flatMap((d) => {
    const discount = obj(d)
    if (!discount) return []
    const end = num(discount.end)
    if (end !== undefined && end <= at) return []
    const coupon = obj(discount.coupon) ?? obj(obj(discount.source)?.coupon)
    return coupon ? [coupon] : []
  })
}

/** `amount` after the coupons. An amount off is per invoice: `perInvoice` turns it into the unit
 *  `amount` is in (a monthly amount, for a subscription-wide discount). */
function discounted(
  amount: number,
  coupons: Json[],
  currency: string,
  perInvoice = (off: number) => off,
): number {
  for (const coupon of coupons) {
    const percent = num(coupon.percent_off)
    const off = num(coupon.amount_off)
    if (percent !== undefined) amount *= 1 - percent / 100
    else if (off !== undefined && str(coupon.currency)?.toLowerCase() === currency) {
      amount -= perInvoice(off)
    }
  }
  return Math.max(0, amount)
}

function planName(price: Json): string | null {
  return (
    str(price.lookup_key) ??
    str(price.nickname) ??
    str(obj(price.product)?.name) ??
    idOf(price) ??
    null
  )
}

/** Everything a subscription object says, as a patch of every field. */
export function subscriptionPatch(
  sub: Json,
  at: number,
  filter: ProductFilter = EVERY_PRODUCT,
): SubscriptionPatch {
  const status = str(sub.status) ?? 'unknown'
  const currency = (str(sub.currency) ?? '').toLowerCase()
  const items = Array.isArray(obj(sub.items)?.data) ? (obj(sub.items)!.data as unknown[]) : []
  let mrr = 0
  // With a product list, only the listed items count (`mrr`, `plan`); `all` is every item's sum,
  // which a subscription-wide discount is a share of.
  let all = 0
  // An item whose amount the event does not carry (a tiered price) makes the subscription's
  // unknown: a partial sum would be a wrong amount that looks right.
  let unknown = false
  let top: { price: Json; monthly: number } | undefined
  for (const raw of items) {
    const item = obj(raw)
    const price = obj(item?.price)
    if (!item || !price) continue
    const recurring = obj(price.recurring)
    const interval = isInterval(recurring?.interval) ? recurring.interval : 'month'
    const amount = periodAmount(price, num(item.quantity) ?? 1)
    const period = discounted(amount ?? 0, couponsOf(item.discounts, at), currency)
    const monthly = perMonth(period, interval, num(recurring?.interval_count) ?? 1)
    all += monthly
    if (!filter.has(itemProduct(item))) continue
    if (amount === null) unknown = true
    mrr += monthly
    if (!top || monthly > top.monthly) top = { price, monthly }
  }
  // Subscription-wide discounts apply to the whole bill; `discount` is the pre-2025 single one.
  // The bill is one period of every item (a subscription's prices share one interval), so an
  // amount off a yearly bill takes a twelfth of it off each month, not all of it.
  const recurring = obj(obj(obj(items[0])?.price)?.recurring)
  const interval = isInterval(recurring?.interval) ? recurring.interval : 'month'
  const count = num(recurring?.interval_count) ?? 1
  const wide = (amount: number) =>
    discounted(
      amount,
      [...couponsOf(sub.discount, at), ...couponsOf(sub.discounts, at)],
      currency,
      (off) => perMonth(off, interval, count),
    )
  // A subscription-wide discount on a subscription with unlisted items too: the listed items'
  // share of it (their part of the whole bill).
  mrr = filter.all ? wide(mrr) : all > 0 ? (wide(all) * mrr) / all : 0

  const periodEnd = () =>
    isoDate(sub.current_period_end, `${OBJECT}.current_period_end`) ??
    isoDate(obj(items[0])?.current_period_end, `${OBJECT}.items.data.0.current_period_end`)
  const ended = ENDED.has(status)
  return {
    status: STRIPE_STATUS[status] ?? null,
    billing_status: status,
    plan: top ? planName(top.price) : null,
    mrr: unknown ? null : mrr,
    currency: currency ? currency.toUpperCase() : null,
    digits: stripeDigits(currency),
    trial_ends: status === 'trialing' ? isoDate(sub.trial_end, `${OBJECT}.trial_end`) : null,
    cancel_at: ended
      ? (isoDate(sub.ended_at, `${OBJECT}.ended_at`) ??
        isoDate(sub.canceled_at, `${OBJECT}.canceled_at`))
      : (isoDate(sub.cancel_at, `${OBJECT}.cancel_at`) ??
        (sub.cancel_at_period_end ? periodEnd() : null)),
    customer: keyOf(idOf(sub.customer), `${OBJECT}.customer`) ?? null,
  }
}

/** Where a snapshot of a subscription stands in its life, for events of the same second
 *  (orderKey() in ./events.ts): its creation first, then by status in the order Stripe moves a
 *  subscription through them (incomplete → trialing → active → past_due → unpaid → paused →
 *  ended). A status Stripe adds later sorts with the ended ones' neighbours, before them. */
export function stripeStep(type: string, billingStatus: string | null | undefined): string {
  if (type === 'customer.subscription.created') return '0'
  const step = STRIPE_LIFECYCLE.indexOf(billingStatus ?? '')
  return String(1 + (step < 0 ? STRIPE_LIFECYCLE.length : step))
}
const STRIPE_LIFECYCLE = ['incomplete', 'trialing', 'active', 'past_due', 'unpaid', 'paused']

/** A Stripe event (the parsed webhook body) as a BillingEvent; null for events TinyCRM ignores.
 *  Throws a `validation_failed` ApiError for a value TinyCRM cannot store (./events.ts). */
export function mapStripeEvent(
  event: Json,
  filter: ProductFilter = EVERY_PRODUCT,
): BillingEvent | null {
  const id = keyOf(str(event.id), 'id')
  const type = str(event.type)
  const createdSeconds = num(event.created)
  const created = eventTime(createdSeconds, 'created')
  const object = obj(obj(event.data)?.object)
  if (!id || !type || createdSeconds === undefined || !created || !object) return null
  const base = { provider: 'stripe' as const, id, type, created }
  const key = (rank: 1 | 2, ended = false, step = '') => orderKey(created, rank, id, ended, step)

  if (type.startsWith('customer.subscription.')) {
    const subId = keyOf(idOf(object), `${OBJECT}.id`)
    if (!subId) return null
    const items = obj(object.items)?.data
    const route = routeItems(filter, Array.isArray(items) ? items.map(obj) : [], (i) =>
      i ? itemProduct(i) : undefined,
    )
    // With a product list, a subscription of none of them is another project's.
    if (!filter.all && route.listed.length === 0) return null
    const patch = subscriptionPatch(object, createdSeconds, filter)
    return {
      ...base,
      order: key(2, ENDED.has(patch.billing_status ?? ''), stripeStep(type, patch.billing_status)),
      customer: patch.customer ?? null,
      email: normaliseEmail(obj(object.customer)?.email),
      subscription: { id: subId, patch },
    }
  }

  // Events that name no product: with a product list, they only update a billing customer the
  // project already has a listed subscription or purchase of (`knownOnly`).
  const knownOnly = !filter.all

  if (type === 'customer.created' || type === 'customer.updated') {
    const email = normaliseEmail(object.email)
    const customer = keyOf(idOf(object), `${OBJECT}.id`)
    if (!email || !customer) return null
    const name = customerName(object.name)
    return { ...base, order: key(1), customer, email, name, ...(knownOnly && { knownOnly }) }
  }

  if (
    type === 'checkout.session.completed' ||
    type === 'checkout.session.async_payment_succeeded'
  ) {
    const customer = keyOf(idOf(object.customer), `${OBJECT}.customer`) ?? null
    const details = obj(object.customer_details)
    const email = normaliseEmail(details?.email ?? object.customer_email)
    if (!customer && !email) return null
    // The name typed at checkout, when the session collected one.
    const name = customerName(details?.name)
    const event: BillingEvent = { ...base, order: key(1), customer, email, name }
    if (knownOnly) {
      // A webhook's checkout session carries no line items (only an API call that expands them
      // does): which product it sold is unknown, so it says the email alone, and only to a
      // customer the project knows. Its subscription's own events say the rest.
      const lines = obj(object.line_items)?.data
      const route = routeItems(filter, Array.isArray(lines) ? lines.map(obj) : [], (l) =>
        l ? lineProduct(l) : undefined,
      )
      if (route.named && route.listed.length === 0) return null
      if (!route.named) return { ...event, knownOnly }
    }
    const paid = object.payment_status === 'paid'
    const total = num(object.amount_total) ?? 0
    const discount = num(obj(object.total_details)?.amount_discount) ?? 0
    const subId = keyOf(idOf(object.subscription), `${OBJECT}.subscription`)
    if (object.mode === 'subscription' && subId) {
      // A checkout that charged nothing and discounted nothing started a trial ($0 trial
      // checkouts report payment_status no_payment_required); one that charged is paid.
      if (total === 0 && discount === 0) {
        event.subscription = { id: subId, patch: { status: 'trial', billing_status: 'trialing' } }
      } else if (paid || object.payment_status === 'no_payment_required') {
        event.subscription = { id: subId, patch: { status: 'paid', billing_status: 'active' } }
      }
    } else if (object.mode === 'payment' && paid && total > 0) {
      // Kept under its payment intent, which a refund of it names (charge.refunded).
      const purchase =
        keyOf(idOf(object.payment_intent), `${OBJECT}.payment_intent`) ??
        keyOf(idOf(object), `${OBJECT}.id`)
      event.subscription = {
        id: purchase ?? id,
        patch: oneTimePurchase('paid', object.currency, stripeDigits, customer),
      }
    }
    return event
  }

  if (type === 'charge.refunded') {
    // A one-time purchase refunded in full is no longer paid for. The charge names the payment
    // intent its checkout was kept under; a charge of a subscription's invoice names one no
    // subscription is kept under, so it changes nothing (a cancellation churns a subscription).
    const purchase = keyOf(idOf(object.payment_intent), `${OBJECT}.payment_intent`)
    const customer = keyOf(idOf(object.customer), `${OBJECT}.customer`) ?? null
    const details = obj(object.billing_details)
    const email = normaliseEmail(details?.email ?? object.receipt_email)
    if (!purchase || object.refunded !== true || (!customer && !email)) return null
    return {
      ...base,
      order: key(1),
      customer,
      email,
      subscription: { id: purchase, patch: refundedPurchase },
      ...(knownOnly && { knownOnly }),
    }
  }

  if (type === 'invoice.paid' || type === 'invoice.payment_failed') {
    const subId = keyOf(invoiceSubscription(object), `${OBJECT}.subscription`)
    const customer = keyOf(idOf(object.customer), `${OBJECT}.customer`) ?? null
    const email = normaliseEmail(object.customer_email)
    if (!customer && !email) return null
    const name = customerName(object.customer_name)
    const event: BillingEvent = { ...base, order: key(1), customer, email, name }
    const every = allLines(object)
    let lines = every
    if (!filter.all) {
      const route = routeItems(filter, lines ?? [], lineProduct)
      // Lines of unlisted products only: another project's invoice.
      if (route.named && route.listed.length === 0) return null
      // Lines that name no product (or not all lines in the webhook): the email alone, and only
      // for a customer the project knows.
      if (!route.named || !lines) return { ...event, knownOnly: true }
      lines = route.listed
    }
    if (subId && type === 'invoice.payment_failed') {
      // A renewal that failed makes the subscription past_due; a failed first invoice leaves it
      // incomplete, which gives no status.
      if (object.billing_reason !== 'subscription_create') {
        event.subscription = { id: subId, patch: { status: 'paid', billing_status: 'past_due' } }
      }
    } else if (subId && (num(object.amount_paid) ?? 0) > 0 && !onlyExtrasCharged(every)) {
      // A $0 invoice (the one that opens a trial) proves no payment; nor does one that charged a
      // one-time fee beside a $0 subscription line (a trial with a setup fee).
      const patch: SubscriptionPatch = { status: 'paid', billing_status: 'active' }
      const invoiced = invoicedMonthly(object, lines)
      if (invoiced !== undefined) patch.invoiced_mrr = invoiced
      event.subscription = { id: subId, patch }
    }
    return event
  }

  return null
}
