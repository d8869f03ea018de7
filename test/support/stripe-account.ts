// A Stripe account simulated just far enough to emit the webhook events a real one sends while
// customers trial, pay, fail to pay, pause, cancel and change email: objects shaped as the pinned
// API version's (typed by the official `stripe` package), each event carrying a snapshot of its
// object. The account also knows the truth — every subscription's final state — so a test can check
// what TinyCRM computed from the events against what actually happened.
import type Stripe from 'stripe'

/** The API version these objects follow: the one the pinned `stripe` package speaks. */
export const STRIPE_API_VERSION = '2026-10-28.endive'

export interface CatalogPrice {
  price: Stripe.Price
  /** Its amount per month in minor units, worked out by hand (independently of the app's code). */
  monthly: number
}

type EventJson = Pick<
  Stripe.Event,
  'id' | 'object' | 'api_version' | 'created' | 'livemode' | 'pending_webhooks' | 'request'
> & {
  type: string
  data: { object: object; previous_attributes?: object }
}

/** The fields of a Checkout Session and an Invoice that their webhooks carry and TinyCRM reads,
 *  with the rest of the real objects' shape left out. */
type SessionJson = Pick<
  Stripe.Checkout.Session,
  | 'id'
  | 'object'
  | 'amount_subtotal'
  | 'amount_total'
  | 'client_reference_id'
  | 'created'
  | 'currency'
  | 'customer'
  | 'customer_details'
  | 'customer_email'
  | 'livemode'
  | 'mode'
  | 'payment_status'
  | 'status'
  | 'subscription'
  | 'total_details'
>
type InvoiceJson = Pick<
  Stripe.Invoice,
  | 'id'
  | 'object'
  | 'amount_due'
  | 'amount_paid'
  | 'amount_remaining'
  | 'attempt_count'
  | 'billing_reason'
  | 'created'
  | 'currency'
  | 'customer'
  | 'customer_email'
  | 'customer_name'
  | 'livemode'
  | 'parent'
  | 'period_end'
  | 'period_start'
  | 'status'
  | 'subtotal'
  | 'total'
>

const DAY = 86_400

export class StripeAccount {
  readonly events: EventJson[] = []
  readonly customers = new Map<string, Stripe.Customer>()
  readonly subscriptions = new Map<string, Stripe.Subscription>()
  /** One-time purchases: checkout session id → amount. */
  readonly purchases = new Map<string, { customer: string; amount: number }>()
  private seq = 0

  constructor(readonly name: string) {}

  private id(prefix: string) {
    return `${prefix}_${this.name}${(++this.seq).toString(36).padStart(8, '0')}`
  }

  private emit(type: string, object: object, created: number, previous?: object) {
    this.events.push({
      id: this.id('evt'),
      object: 'event',
      api_version: STRIPE_API_VERSION,
      created,
      data: {
        object: structuredClone(object),
        ...(previous ? { previous_attributes: previous } : {}),
      },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    })
  }

  price(opts: {
    amount: number
    currency?: string
    interval?: Stripe.Price.Recurring.Interval
    count?: number
    lookupKey?: string
    nickname?: string
    monthly: number
  }): CatalogPrice {
    const price: Stripe.Price = {
      id: this.id('price'),
      object: 'price',
      active: true,
      billing_scheme: 'per_unit',
      created: 1_780_000_000,
      currency: opts.currency ?? 'usd',
      custom_unit_amount: null,
      livemode: false,
      lookup_key: opts.lookupKey ?? null,
      metadata: {},
      nickname: opts.nickname ?? null,
      product: this.id('prod'),
      recurring: {
        interval: opts.interval ?? 'month',
        interval_count: opts.count ?? 1,
        meter: null,
        trial_period_days: null,
        usage_type: 'licensed',
      },
      tax_behavior: 'unspecified',
      tiers_mode: null,
      transform_quantity: null,
      type: 'recurring',
      unit_amount: opts.amount,
      unit_amount_decimal: String(opts.amount) as unknown as Stripe.Price['unit_amount_decimal'],
    }
    return { price, monthly: opts.monthly }
  }

  createCustomer(
    email: string,
    at: number,
    opts: { silent?: boolean; name?: string } = {},
  ): Stripe.Customer {
    const customer: Stripe.Customer = {
      id: this.id('cus'),
      object: 'customer',
      address: null,
      balance: 0,
      created: at,
      currency: null,
      default_source: null,
      delinquent: false,
      description: null,
      email,
      invoice_settings: {
        custom_fields: null,
        default_payment_method: null,
        footer: null,
        rendering_options: null,
      },
      livemode: false,
      metadata: {},
      name: opts.name ?? null,
      phone: null,
      preferred_locales: [],
      shipping: null,
      tax_exempt: 'none',
      test_clock: null,
    }
    this.customers.set(customer.id, customer)
    if (!opts.silent) this.emit('customer.created', customer, at)
    return customer
  }

  changeEmail(customer: Stripe.Customer, email: string, at: number) {
    const previous = { email: customer.email }
    customer.email = email
    this.emit('customer.updated', customer, at, previous)
  }

  rename(customer: Stripe.Customer, name: string, at: number) {
    const previous = { name: customer.name }
    customer.name = name
    this.emit('customer.updated', customer, at, previous)
  }

  subscribe(
    customer: Stripe.Customer,
    items: { price: CatalogPrice; quantity?: number }[],
    at: number,
    opts: { trialDays?: number; status?: Stripe.Subscription.Status } = {},
  ): Stripe.Subscription {
    const trialEnd = opts.trialDays ? at + opts.trialDays * DAY : null
    const status = opts.status ?? (trialEnd ? 'trialing' : 'active')
    const id = this.id('sub')
    const periodEnd = trialEnd ?? at + 30 * DAY
    const sub: Stripe.Subscription = {
      id,
      object: 'subscription',
      application: null,
      application_fee_percent: null,
      automatic_tax: { disabled_reason: null, enabled: false, liability: null },
      billing_cycle_anchor: periodEnd,
      billing_cycle_anchor_config: null,
      billing_mode: { flexible: null, type: 'classic' },
      billing_schedules: [],
      billing_thresholds: null,
      cancel_at: null,
      cancel_at_period_end: false,
      canceled_at: null,
      cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
      collection_method: 'charge_automatically',
      created: at,
      currency: items[0]!.price.price.currency,
      customer: customer.id,
      customer_account: null,
      days_until_due: null,
      default_payment_method: null,
      default_source: null,
      default_tax_rates: [],
      description: null,
      discounts: [],
      ended_at: null,
      invoice_settings: {
        account_tax_ids: null,
        custom_fields: null,
        description: null,
        footer: null,
        issuer: { type: 'self' },
      },
      items: {
        object: 'list',
        data: items.map((item) => this.item(id, item.price, item.quantity ?? 1, at, periodEnd)),
        has_more: false,
        url: `/v1/subscription_items?subscription=${id}`,
      },
      latest_invoice: null,
      livemode: false,
      managed_payments: null,
      metadata: {},
      next_pending_invoice_item_invoice: null,
      on_behalf_of: null,
      pause_collection: null,
      payment_settings: null,
      pending_invoice_item_interval: null,
      pending_setup_intent: null,
      pending_update: null,
      schedule: null,
      start_date: at,
      status,
      test_clock: null,
      transfer_data: null,
      trial_end: trialEnd,
      trial_settings: {
        end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' },
      },
      trial_start: trialEnd ? at : null,
    }
    this.subscriptions.set(id, sub)
    this.emit('customer.subscription.created', sub, at)
    return sub
  }

  private item(
    subscription: string,
    { price }: CatalogPrice,
    quantity: number,
    at: number,
    periodEnd: number,
  ): Stripe.SubscriptionItem {
    return {
      id: this.id('si'),
      object: 'subscription_item',
      billing_thresholds: null,
      created: at,
      current_period_end: periodEnd,
      current_period_start: at,
      current_trial: null,
      discounts: [],
      metadata: {},
      plan: {
        id: price.id,
        object: 'plan',
        active: true,
        amount: price.unit_amount,
        amount_decimal: price.unit_amount_decimal,
        billing_scheme: 'per_unit',
        created: price.created,
        currency: price.currency,
        interval: price.recurring!.interval,
        interval_count: price.recurring!.interval_count,
        livemode: false,
        metadata: {},
        meter: null,
        nickname: price.nickname,
        product: price.product,
        tiers_mode: null,
        transform_usage: null,
        trial_period_days: null,
        usage_type: 'licensed',
      },
      price,
      quantity,
      subscription,
      tax_rates: [],
    }
  }

  /** Changes the subscription and emits the event (customer.subscription.updated by default). */
  update(
    sub: Stripe.Subscription,
    at: number,
    changes: Partial<Stripe.Subscription> & { quantity?: number },
    type = 'customer.subscription.updated',
  ) {
    const { quantity, ...fields } = changes
    const previous: Record<string, unknown> = {}
    for (const key of Object.keys(fields) as (keyof Stripe.Subscription)[]) {
      previous[key] = sub[key]
    }
    Object.assign(sub, fields)
    if (quantity !== undefined) sub.items.data[0]!.quantity = quantity
    this.emit(type, sub, at, previous)
  }

  cancel(sub: Stripe.Subscription, at: number) {
    this.update(
      sub,
      at,
      { status: 'canceled', canceled_at: at, ended_at: at },
      'customer.subscription.deleted',
    )
  }

  checkout(
    customer: Stripe.Customer | null,
    at: number,
    opts: {
      subscription?: Stripe.Subscription
      amount: number
      discount?: number
      email?: string
      /** The name typed at checkout (`customer_details.name`). */
      name?: string
    },
  ) {
    const session: SessionJson = {
      id: this.id('cs'),
      object: 'checkout.session',
      amount_subtotal: opts.amount + (opts.discount ?? 0),
      amount_total: opts.amount,
      client_reference_id: null,
      created: at - 60,
      currency: opts.subscription?.currency ?? 'usd',
      customer: customer?.id ?? null,
      customer_details: {
        address: null,
        business_name: null,
        email: opts.email ?? customer?.email ?? null,
        individual_name: null,
        name: opts.name ?? null,
        phone: null,
        tax_exempt: 'none',
        tax_ids: [],
      },
      customer_email: null,
      livemode: false,
      mode: opts.subscription ? 'subscription' : 'payment',
      payment_status: opts.amount > 0 ? 'paid' : 'no_payment_required',
      status: 'complete',
      subscription: opts.subscription?.id ?? null,
      total_details: { amount_discount: opts.discount ?? 0, amount_shipping: 0, amount_tax: 0 },
    }
    if (!opts.subscription && customer) {
      this.purchases.set(session.id, { customer: customer.id, amount: opts.amount })
    }
    this.emit('checkout.session.completed', session, at)
    return session
  }

  invoice(
    sub: Stripe.Subscription,
    at: number,
    opts: { amount: number; paid: boolean; reason?: Stripe.Invoice.BillingReason },
  ) {
    const customer = this.customers.get(sub.customer as string)!
    const invoice: InvoiceJson = {
      id: this.id('in'),
      object: 'invoice',
      amount_due: opts.amount,
      amount_paid: opts.paid ? opts.amount : 0,
      amount_remaining: opts.paid ? 0 : opts.amount,
      attempt_count: 1,
      billing_reason: opts.reason ?? 'subscription_cycle',
      created: at,
      currency: sub.currency,
      customer: customer.id,
      customer_email: customer.email,
      customer_name: customer.name ?? null,
      livemode: false,
      parent: {
        quote_details: null,
        subscription_details: { metadata: {}, subscription: sub.id },
        type: 'subscription_details',
      },
      period_end: at + 30 * DAY,
      period_start: at,
      status: opts.paid ? 'paid' : 'open',
      subtotal: opts.amount,
      total: opts.amount,
    }
    this.emit(opts.paid ? 'invoice.paid' : 'invoice.payment_failed', invoice, at)
  }
}
