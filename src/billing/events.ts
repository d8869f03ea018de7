// What a billing event means to TinyCRM, whichever provider sent it: a pure description that the
// provider mappings (./stripe.ts, ./paddle.ts) produce and ./apply.ts writes. Nothing here reads
// the database.
import { MAX_NAME_LENGTH } from '../ingest/schemas.js'
import { emailSchema } from '../lib/email.js'
import { ApiError } from '../lib/errors.js'
import type { Status } from '../lib/status.js'
import { textProblem } from '../lib/text.js'
import { timeProblem } from '../lib/time.js'

export const PROVIDERS = ['stripe', 'paddle'] as const
export type Provider = (typeof PROVIDERS)[number]

export const PROVIDER_NAMES: Record<Provider, string> = { stripe: 'Stripe', paddle: 'Paddle' }

/** The events to select when adding the webhook in the provider's dashboard: the ones TinyCRM
 *  reads (./stripe.ts, ./paddle.ts). Others are answered 200 and ignored. */
export const EVENTS_TO_SEND: Record<Provider, string[]> = {
  stripe: [
    'customer.created',
    'customer.updated',
    'customer.subscription.created',
    'customer.subscription.updated',
    'customer.subscription.deleted',
    'customer.subscription.paused',
    'customer.subscription.resumed',
    'checkout.session.completed',
    'invoice.paid',
    'invoice.payment_failed',
    'charge.refunded',
  ],
  paddle: [
    'customer.created',
    'customer.updated',
    'subscription.created',
    'subscription.updated',
    'subscription.activated',
    'subscription.trialing',
    'subscription.past_due',
    'subscription.paused',
    'subscription.resumed',
    'subscription.canceled',
    'transaction.completed',
    'adjustment.created',
    'adjustment.updated',
  ],
}

/** What one event says about one subscription (or one-time purchase). A field left out is not
 *  touched; `null` clears it. `status` null means "this subscription gives no status" (e.g. Stripe's
 *  `incomplete`: not paid yet), so the customer's status comes from their other subscriptions. */
export interface SubscriptionPatch {
  status?: Status | null
  /** The provider's own status, kept as the `billing_status` param. */
  billing_status?: string | null
  plan?: string | null
  /** Monthly amount in the currency's minor unit, unrounded (see ./money.ts); null when the
   *  event does not carry every item's amount (a Stripe tiered price), and `invoiced_mrr` counts. */
  mrr?: number | null
  /** The monthly amount the subscription's latest paid invoice for a whole period charged (Stripe),
   *  counted when `mrr` is null. */
  invoiced_mrr?: number
  /** ISO 4217, upper case. */
  currency?: string | null
  /** Decimal places of `currency`, to turn the summed minor units into `mrr`. */
  digits?: number
  trial_ends?: string | null
  cancel_at?: string | null
  /** The billing customer id, kept as the `billing_customer_id` param. */
  customer?: string | null
  /** A one-time purchase refunded in full: churned, `billing_status` `refunded`. */
  refunded?: boolean
}

/** A one-time purchase (a lifetime deal): paid for good, with no monthly amount. `billingStatus`
 *  is the provider's word for it, `digits` its rule for a currency's decimal places. */
export function oneTimePurchase(
  billingStatus: string,
  rawCurrency: unknown,
  digits: (currency: string) => number,
  customer: string | null,
): SubscriptionPatch {
  const currency = (str(rawCurrency) ?? '').toUpperCase() || null
  return {
    status: 'paid',
    billing_status: billingStatus,
    plan: null,
    mrr: 0,
    currency,
    digits: digits(currency ?? 'USD'),
    trial_ends: null,
    cancel_at: null,
    customer,
  }
}

/** A one-time purchase refunded in full: churned (paid, then no longer). A patch of `refunded`
 *  alone, since the refund may name a payment that is no purchase (a subscription's invoice): an
 *  entry with no status is no subscription, and the relation's state skips it (./apply.ts). */
export const refundedPurchase: SubscriptionPatch = { refunded: true }

export interface BillingEvent {
  provider: Provider
  id: string
  type: string
  /** When the provider says it happened, ISO 8601 with microseconds (Paddle has them). */
  created: string
  /** The total order of events: `created`, then `rank` for events of the same instant, then the id.
   *  See orderKey(). */
  order: string
  /** The provider's customer id; null when the event has none (a guest checkout). */
  customer: string | null
  /** The customer's email when the event carries one (normalised), else null. */
  email: string | null
  /** The provider's name for its customer (customerName()): it fills the TinyCRM customer's name
   *  only while they have none, so a name the product gave (identify, the dashboard, an import)
   *  stays. */
  name?: string
  subscription?: {
    /** The subscription id, or the checkout/transaction id of a one-time purchase. */
    id: string
    patch: SubscriptionPatch
  }
  /** On a connection with a product list (./products.ts), an event that names no product (a
   *  customer, a checkout without its line items, a refund): it writes the customer's relation
   *  only when the project already holds a subscription or purchase of theirs, so it never
   *  makes someone a customer of a project whose product they did not buy. */
  knownOnly?: boolean
}

/**
 * The key that orders a subscription's events: the newest key wins each field.
 *
 * - A snapshot of the subscription (rank 2: Stripe's `customer.subscription.*`, Paddle's
 *   `subscription.*`) beats what another event implies about it (rank 1: a paid invoice, a
 *   checkout, a transaction), whenever either happened: what they imply holds only until the
 *   provider's own word on the subscription arrives (`!` sorts before the digits a time starts
 *   with). A trial with a setup fee starts with a paid checkout and invoice while the
 *   subscription is `trialing`; every change they imply (a first payment, a failed renewal) comes
 *   with a snapshot saying it too. Between two
 *   snapshots, `step` says which comes later in a subscription's life (see stripeStep() in
 *   ./stripe.ts): Stripe creates a subscription `incomplete` and makes it `active` once its first
 *   invoice is paid, often within one second, and its event ids do not sort by time. The event
 *   id breaks what is left, so the order is total and the same wherever the events are applied.
 * - An ended subscription stays ended: Stripe never revives a `canceled` or `incomplete_expired`
 *   subscription, nor Paddle a `canceled` one, so an ending sorts after every event of a live one
 *   (`~` sorts after the digits a time starts with). A final invoice paid a second after the
 *   cancellation must not make the customer paid again.
 */
export function orderKey(
  created: string,
  rank: 1 | 2,
  id: string,
  ended = false,
  step = '',
): string {
  return `${ended ? '~' : rank === 1 ? '!' : ''}${created}|${rank}${step}|${id}`
}

/** The time a billing write stamps the relation with, for newest wins against identify (the
 *  `latest_at` of ./apply.ts): `created`, but for a time in whole seconds (Stripe's) the end of
 *  that second. The event happened somewhere inside it, and an identify the product sent in the
 *  same second (its sign-up, stamped on arrival to the millisecond, then the trial Stripe starts)
 *  had outranked it and kept the customer free. */
export const stampOf = (event: BillingEvent) =>
  event.provider === 'stripe' ? event.created.replace('.000000Z', '.999999Z') : event.created

/** An ISO 8601 time with exactly six fractional digits in UTC (`2026-03-01T12:00:00.000000Z`), so
 *  keys compare as text; Paddle sends microseconds, which a JS Date would drop. */
export function isoMicros(input: string | number): string | null {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return null
    return new Date(Math.trunc(input) * 1000).toISOString().replace(/\.\d+Z$/, '.000000Z')
  }
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)$/.exec(input)
  if (!m) return null
  const whole = new Date(`${m[1]}${m[3]}`)
  if (Number.isNaN(whole.getTime())) return null
  const fraction = (m[2] ?? '').padEnd(6, '0').slice(0, 6)
  return whole.toISOString().replace(/\.\d+Z$/, `.${fraction}Z`)
}

/** An email as the ingest API normalises it, or null when the value is not a valid one. */
export function normaliseEmail(value: unknown): string | null {
  if (typeof value !== 'string' || value.trim() === '') return null
  const parsed = emailSchema.safeParse(value)
  return parsed.success ? parsed.data : null
}

/** A provider's name for its customer, as identify would store it (trimmed); undefined when empty
 *  or one identify refuses (too long, a NUL, half a surrogate pair). Left out, not refused: a
 *  customer's name is not worth losing the event for. */
export function customerName(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > MAX_NAME_LENGTH || textProblem(value)) {
    return undefined
  }
  return value.trim() || undefined
}

/** A signed event with a value TinyCRM cannot store: 400 `validation_failed` naming the field, so
 *  nothing is written and the provider shows why (a 500 would make it retry for days). */
function refuse(path: string, problem: string): never {
  const message = `${path} ${problem}`
  throw new ApiError('validation_failed', `Event refused: ${message}`, [{ path, message }])
}

/** Refuses a moment out of TinyCRM's bounds (../lib/time.ts). */
export function checkTime(ms: number, kind: 'happened' | 'scheduled', path: string): void {
  const problem = timeProblem(ms, kind)
  if (problem) refuse(path, problem)
}

/** When the event happened, as isoMicros(): Stripe's unix seconds or Paddle's ISO string. Null
 *  when absent or unreadable (the event is ignored); refused when out of bounds. */
export function eventTime(value: number | string | undefined, path: string): string | null {
  if (typeof value === 'number') {
    checkTime(value * 1000, 'happened', path)
    return isoMicros(value)
  }
  const iso = value === undefined ? null : isoMicros(value)
  if (iso) checkTime(Date.parse(iso), 'happened', path)
  return iso
}

/** A date an event schedules, in unix seconds, as ISO 8601 (the form other date params take);
 *  null when it is not a number, refused when out of bounds. */
export function isoDate(seconds: unknown, path: string): string | null {
  if (typeof seconds !== 'number') return null
  checkTime(seconds * 1000, 'scheduled', path)
  return new Date(seconds * 1000).toISOString()
}

/** Stripe documents ids of up to 255 characters (Paddle's are about 30): well inside what a
 *  Postgres index row holds (about 2,700 bytes), even in 4-byte characters. */
export const MAX_ID_LENGTH = 255

/** An id that becomes a key (the event id, a customer or subscription id), refused when too long
 *  for an index or holding a NUL, which Postgres text cannot. */
export function keyOf(id: string | undefined, path: string): string | undefined {
  if (id === undefined) return undefined
  if (id.length > MAX_ID_LENGTH) refuse(path, `is too long (at most ${MAX_ID_LENGTH} characters)`)
  if (id.includes('\u0000')) refuse(path, 'contains a NUL character (\\u0000)')
  return id
}

export type Json = Record<string, unknown>

export function obj(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : undefined
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

/** A provider's id field, which is an id string or (when expanded) an object with an id. */
export function idOf(value: unknown): string | undefined {
  return str(value) ?? str(obj(value)?.id)
}
