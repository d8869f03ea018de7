// A Paddle Billing account simulated for the replay tests: notifications (`event_id`,
// `event_type`, `occurred_at` with microseconds, `data`) whose entities are typed by the official
// `@paddle/paddle-node-sdk`, and the truth of what happened to each subscription. Paddle's
// subscription entity carries no email: the customer's comes from customer.created/updated.
import type {
  ICustomerNotificationResponse,
  ISubscriptionItemNotificationResponse,
  ISubscriptionNotificationResponse,
  ITransactionNotificationResponse,
} from '@paddle/paddle-node-sdk'

export interface PaddlePrice {
  id: string
  product: string
  amount: string
  currency: 'USD' | 'EUR' | 'JPY'
  interval: 'day' | 'week' | 'month' | 'year'
  frequency: number
  /** The monthly amount in minor units, worked out by hand. */
  monthly: number
}

export interface PaddleNotification {
  event_id: string
  event_type: string
  occurred_at: string
  notification_id: string
  data: object
}

type TransactionJson = Pick<
  ITransactionNotificationResponse,
  | 'id'
  | 'status'
  | 'customer_id'
  | 'currency_code'
  | 'origin'
  | 'subscription_id'
  | 'collection_mode'
  | 'items'
  | 'details'
  | 'payments'
  | 'created_at'
  | 'updated_at'
  | 'billed_at'
>

const DAY_MS = 86_400_000

/** An ISO time with microseconds, as Paddle writes occurred_at. */
export function paddleTime(ms: number, micros = 0) {
  return new Date(ms).toISOString().replace('Z', `${String(micros).padStart(3, '0')}Z`)
}

export class PaddleAccount {
  readonly events: PaddleNotification[] = []
  readonly customers = new Map<string, ICustomerNotificationResponse>()
  readonly subscriptions = new Map<string, ISubscriptionNotificationResponse>()
  readonly purchases = new Map<string, { customer: string; amount: number }>()
  private seq = 0

  constructor(readonly name: string) {}

  private id(prefix: string) {
    return `${prefix}_01${this.name}${(++this.seq).toString(36).padStart(22, '0')}`
  }

  private emit(type: string, data: object, ms: number, micros = 0) {
    this.events.push({
      event_id: this.id('evt'),
      event_type: type,
      occurred_at: paddleTime(ms, micros),
      notification_id: this.id('ntf'),
      data: structuredClone(data),
    })
  }

  createCustomer(email: string, ms: number, opts: { silent?: boolean; name?: string } = {}) {
    const customer: ICustomerNotificationResponse = {
      id: this.id('ctm'),
      name: opts.name ?? null,
      email,
      marketing_consent: false,
      status: 'active',
      custom_data: null,
      locale: 'en',
      created_at: new Date(ms).toISOString(),
      updated_at: new Date(ms).toISOString(),
      import_meta: null,
    }
    this.customers.set(customer.id, customer)
    if (!opts.silent) this.emit('customer.created', customer, ms)
    return customer
  }

  changeEmail(customer: ICustomerNotificationResponse, email: string, ms: number) {
    customer.email = email
    customer.updated_at = new Date(ms).toISOString()
    this.emit('customer.updated', customer, ms)
  }

  subscribe(
    customer: ICustomerNotificationResponse,
    items: { price: PaddlePrice; quantity?: number }[],
    ms: number,
    opts: { trialDays?: number } = {},
  ) {
    const trialEnds = opts.trialDays ? new Date(ms + opts.trialDays * DAY_MS).toISOString() : null
    const at = new Date(ms).toISOString()
    const first = items[0]!.price
    const sub: ISubscriptionNotificationResponse = {
      id: this.id('sub'),
      status: trialEnds ? 'trialing' : 'active',
      customer_id: customer.id,
      address_id: this.id('add'),
      business_id: null,
      currency_code: first.currency,
      created_at: at,
      updated_at: at,
      started_at: at,
      first_billed_at: trialEnds ? null : at,
      next_billed_at: trialEnds ?? new Date(ms + 30 * DAY_MS).toISOString(),
      paused_at: null,
      canceled_at: null,
      discount: null,
      collection_mode: 'automatic',
      billing_details: null,
      current_billing_period: {
        starts_at: at,
        ends_at: trialEnds ?? new Date(ms + 30 * DAY_MS).toISOString(),
      },
      billing_cycle: { interval: first.interval, frequency: first.frequency },
      scheduled_change: null,
      items: items.map(({ price, quantity }): ISubscriptionItemNotificationResponse => ({
        status: trialEnds ? 'trialing' : 'active',
        quantity: quantity ?? 1,
        recurring: true,
        created_at: at,
        updated_at: at,
        previously_billed_at: null,
        next_billed_at: null,
        trial_dates: trialEnds ? { starts_at: at, ends_at: trialEnds } : null,
        price: {
          id: price.id,
          product_id: price.product,
          description: `${price.product} ${price.interval}ly`,
          name: null,
          billing_cycle: { interval: price.interval, frequency: price.frequency },
          trial_period: null,
          tax_mode: 'account_setting',
          unit_price: { amount: price.amount, currency_code: price.currency },
          unit_price_overrides: [],
          quantity: { minimum: 1, maximum: 100 },
          status: 'active',
          custom_data: null,
          import_meta: null,
        },
        product: {
          id: price.product,
          name: price.product,
          type: 'standard',
          description: null,
          tax_category: 'saas',
          image_url: null,
          custom_data: null,
          status: 'active',
          created_at: at,
          import_meta: null,
        },
      })),
      custom_data: null,
      import_meta: null,
    }
    this.subscriptions.set(sub.id, sub)
    this.emit('subscription.created', sub, ms, 1)
    this.emit(trialEnds ? 'subscription.trialing' : 'subscription.activated', sub, ms, 2)
    return sub
  }

  update(
    sub: ISubscriptionNotificationResponse,
    ms: number,
    changes: Partial<ISubscriptionNotificationResponse> & { quantity?: number },
    type = 'subscription.updated',
    micros = 0,
  ) {
    const { quantity, ...fields } = changes
    Object.assign(sub, fields, { updated_at: new Date(ms).toISOString() })
    if (quantity !== undefined) sub.items[0]!.quantity = quantity
    for (const item of sub.items) {
      if (sub.status === 'active' || sub.status === 'trialing') item.status = sub.status
    }
    this.emit(type, sub, ms, micros)
  }

  transaction(
    customer: ICustomerNotificationResponse,
    ms: number,
    opts: { subscription?: ISubscriptionNotificationResponse; amount: number; currency?: string },
  ) {
    const at = new Date(ms).toISOString()
    const total = String(opts.amount)
    const currency = (opts.subscription?.currency_code ?? opts.currency ?? 'USD') as 'USD'
    const tx: TransactionJson = {
      id: this.id('txn'),
      status: 'completed',
      customer_id: customer.id,
      currency_code: currency,
      origin: opts.subscription ? 'subscription_recurring' : 'web',
      subscription_id: opts.subscription?.id ?? null,
      collection_mode: 'automatic',
      items: [],
      details: {
        tax_rates_used: [],
        totals: {
          subtotal: total,
          discount: '0',
          tax: '0',
          total,
          credit: '0',
          credit_to_balance: '0',
          balance: '0',
          grand_total: total,
          grand_total_tax: '0',
          fee: null,
          earnings: null,
          currency_code: currency,
        },
        line_items: [],
      },
      payments: [],
      created_at: at,
      updated_at: at,
      billed_at: at,
    }
    if (!opts.subscription)
      this.purchases.set(tx.id, { customer: customer.id, amount: opts.amount })
    this.emit('transaction.completed', tx, ms, 5)
  }
}
