// The Paddle fixture of the billing replay tests: 18 people living through Paddle lifecycles (60+
// notifications), and what TinyCRM must show for each, worked out from the account's final state
// with the README's table.
import type { ISubscriptionNotificationResponse } from '@paddle/paddle-node-sdk'
import { PaddleAccount, type PaddlePrice } from './paddle-account.js'
import type { ExpectedRelation } from './stripe-fixture.js'

const DAY = 86_400_000
const T0 = Date.UTC(2026, 8, 21)

const PRICES: PaddlePrice[] = [
  {
    id: 'pri_pro_m',
    product: 'Pro',
    amount: '2900',
    currency: 'USD',
    interval: 'month',
    frequency: 1,
    monthly: 2900,
  },
  {
    id: 'pri_pro_y',
    product: 'Pro',
    amount: '29000',
    currency: 'USD',
    interval: 'year',
    frequency: 1,
    monthly: 29000 / 12,
  },
  {
    id: 'pri_team_w',
    product: 'Team',
    amount: '1500',
    currency: 'USD',
    interval: 'week',
    frequency: 1,
    monthly: 6500,
  },
  {
    id: 'pri_eu_q',
    product: 'Pro EU',
    amount: '5700',
    currency: 'EUR',
    interval: 'month',
    frequency: 3,
    monthly: 1900,
  },
  {
    id: 'pri_jp_m',
    product: 'Pro JP',
    amount: '3000',
    currency: 'JPY',
    interval: 'month',
    frequency: 1,
    monthly: 3000,
  },
]

type Scenario = (a: PaddleAccount, email: string, t: number, price: PaddlePrice) => void
const pay = (p: PaddlePrice, quantity = 1) => Number(p.amount) * quantity

const SCENARIOS: Record<string, Scenario> = {
  trialConverts(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const sub = a.subscribe(c, [{ price }], t + 1000, { trialDays: 14 })
    a.transaction(c, t + 1000, { subscription: sub, amount: 0 })
    a.update(sub, t + 14 * DAY, { status: 'active' }, 'subscription.activated')
    a.transaction(c, t + 14 * DAY, { subscription: sub, amount: pay(price) })
  },
  paidThenMoreSeats(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const sub = a.subscribe(c, [{ price }], t + 1000)
    a.transaction(c, t + 1000, { subscription: sub, amount: pay(price) })
    a.update(sub, t + 5 * DAY, { quantity: 4 })
  },
  pastDue(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const sub = a.subscribe(c, [{ price }], t + 1000)
    a.update(sub, t + 30 * DAY, { status: 'past_due' }, 'subscription.past_due')
  },
  paused(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const sub = a.subscribe(c, [{ price }], t + 1000)
    const at = new Date(t + 20 * DAY).toISOString()
    a.update(sub, t + 20 * DAY, { status: 'paused', paused_at: at }, 'subscription.paused')
  },
  pausedThenResumed(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const sub = a.subscribe(c, [{ price }], t + 1000)
    a.update(sub, t + 20 * DAY, { status: 'paused' }, 'subscription.paused')
    a.update(sub, t + 25 * DAY, { status: 'active', paused_at: null }, 'subscription.resumed')
  },
  canceledAtPeriodEnd(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const sub = a.subscribe(c, [{ price }], t + 1000)
    const end = new Date(t + 30 * DAY).toISOString()
    a.update(sub, t + 10 * DAY, { scheduled_change: { action: 'cancel', effective_at: end } })
    a.update(
      sub,
      t + 30 * DAY,
      { status: 'canceled', canceled_at: end, scheduled_change: null },
      'subscription.canceled',
    )
    // A late notification of the same instant as the cancellation, a microsecond after it.
    a.transaction(c, t + 30 * DAY, { subscription: sub, amount: 300 })
  },
  cancelScheduled(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const sub = a.subscribe(c, [{ price }], t + 1000, { trialDays: 7 })
    const end = new Date(t + 7 * DAY).toISOString()
    a.update(sub, t + 2 * DAY, { scheduled_change: { action: 'cancel', effective_at: end } })
  },
  twoSubscriptions(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const first = a.subscribe(c, [{ price }], t + 1000)
    const same = PRICES.find((p) => p.currency === price.currency && p !== price) ?? price
    a.subscribe(c, [{ price: same, quantity: 2 }], t + 2 * DAY)
    a.transaction(c, t + 1000, { subscription: first, amount: pay(price) })
  },
  emailChange(a, email, t, price) {
    const c = a.createCustomer(email, t)
    a.subscribe(c, [{ price }], t + 1000)
    a.changeEmail(c, email.replace('@', '.new@'), t + 9 * DAY)
  },
  oneTimePurchase(a, email, t) {
    const c = a.createCustomer(email, t)
    a.transaction(c, t + 1000, { amount: 4900 })
  },
  customerLater(a, email, t, price) {
    const c = a.createCustomer(email, t, { silent: true })
    const sub = a.subscribe(c, [{ price }], t + 1000, { trialDays: 14 })
    a.update(sub, t + 3 * DAY, { quantity: 3 })
    a.changeEmail(c, email, t + 4 * DAY)
  },
}
const ORDER = Object.keys(SCENARIOS)

const STATUS: Record<string, 'trial' | 'paid' | 'churned'> = {
  trialing: 'trial',
  active: 'paid',
  past_due: 'paid',
  paused: 'churned',
  canceled: 'churned',
}
const RANK = { paid: 3, trial: 2, churned: 1 } as const
const DIGITS: Record<string, number> = { USD: 2, EUR: 2, JPY: 0 }

function expectations(a: PaddleAccount) {
  const firstEmail = new Map<string, string>()
  const emailsOf = new Map<string, string[]>()
  for (const e of a.events) {
    if (!e.event_type.startsWith('customer.')) continue
    const c = e.data as { id: string; email: string }
    if (!firstEmail.has(c.id)) firstEmail.set(c.id, c.email)
    const link = firstEmail.get(c.id)!
    emailsOf.set(link, [...new Set([...(emailsOf.get(link) ?? []), c.email])])
  }
  type Row = {
    status: 'trial' | 'paid' | 'churned'
    monthly: number
    currency: string
    customer: string
    params: Record<string, unknown>
  }
  const rowsOf = new Map<string, Row[]>()
  const add = (customer: string, row: Row) => {
    const link = firstEmail.get(customer)
    if (link) rowsOf.set(link, [...(rowsOf.get(link) ?? []), row])
  }
  const priceOf = new Map(PRICES.map((p) => [p.id, p]))
  for (const sub of a.subscriptions.values()) {
    const s = sub as ISubscriptionNotificationResponse
    const monthly = s.items.reduce(
      (sum, i) => sum + priceOf.get(i.price!.id)!.monthly * i.quantity,
      0,
    )
    const top = [...s.items].sort(
      (x, y) =>
        priceOf.get(y.price!.id)!.monthly * y.quantity -
        priceOf.get(x.price!.id)!.monthly * x.quantity,
    )[0]!
    add(s.customer_id, {
      status: STATUS[s.status]!,
      monthly,
      currency: s.currency_code,
      customer: s.customer_id,
      params: {
        billing_status: s.status,
        plan: top.product!.name,
        trial_ends: s.status === 'trialing' ? (s.items[0]!.trial_dates?.ends_at ?? null) : null,
        cancel_at:
          s.status === 'canceled'
            ? s.canceled_at
            : s.scheduled_change?.action === 'cancel'
              ? s.scheduled_change.effective_at
              : null,
      },
    })
  }
  for (const p of a.purchases.values()) {
    add(p.customer, {
      status: 'paid',
      monthly: 0,
      currency: 'USD',
      customer: p.customer,
      params: { billing_status: 'completed', plan: null, trial_ends: null, cancel_at: null },
    })
  }
  const waiting = new Map<string, number>()
  for (const e of a.events) {
    const d = e.data as { id: string; customer_id?: string }
    const customer = e.event_type.startsWith('customer.') ? d.id : d.customer_id
    if (customer && !firstEmail.has(customer))
      waiting.set(customer, (waiting.get(customer) ?? 0) + 1)
  }
  const expected = new Map<string, ExpectedRelation>()
  for (const [email] of emailsOf) {
    const rows = rowsOf.get(email) ?? []
    const best = [...rows].sort(
      (x, y) => RANK[y.status] - RANK[x.status] || y.monthly - x.monthly,
    )[0]
    if (!best) {
      expected.set(email, { status: 'free', params: {} })
      continue
    }
    const digits = DIGITS[best.currency]!
    const minor = Math.round(
      rows
        .filter((r) => r.status === 'paid' && r.currency === best.currency)
        .reduce((s, r) => s + r.monthly, 0),
    )
    expected.set(email, {
      status: best.status,
      params: {
        ...best.params,
        mrr: minor / 10 ** digits,
        currency: best.currency,
        billing_customer_id: best.customer,
      },
    })
  }
  return { expected, emailsOf, waiting }
}

export function paddleFixture() {
  const a = new PaddleAccount('p')
  for (let n = 0; n < 18; n++) {
    const scenario = SCENARIOS[ORDER[n % ORDER.length]!]!
    scenario(a, `paddle${n}@example.com`, T0 + n * 3_600_000, PRICES[(n * 2) % PRICES.length]!)
  }
  const ghost = a.createCustomer('ghost@example.com', T0, { silent: true })
  a.subscribe(ghost, [{ price: PRICES[0]! }], T0 + 5)
  return { account: a, ...expectations(a) }
}
