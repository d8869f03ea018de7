// The Stripe fixture of the billing replay tests: 50 people over two projects (each project its own
// Stripe account), living through the lifecycles below, and what TinyCRM must end up showing for
// each of them, worked out from the accounts' final state with the README's table — not from the
// events, and not with the app's code.
import type Stripe from 'stripe'
import { StripeAccount, type CatalogPrice } from './stripe-account.js'

const DAY = 86_400
const T0 = 1_790_000_000 // 2026-09-21: every event happens in the weeks after

export interface ExpectedRelation {
  status: 'free' | 'trial' | 'paid' | 'churned'
  params: Record<string, unknown>
}

export interface StripeProjectFixture {
  account: StripeAccount
  /** Link emails a customer may end up under: every email one billing customer had. */
  emailsOf: Map<string, string[]>
  /** Per link email (the first email of its billing customers), what the relation must show. */
  expected: Map<string, ExpectedRelation>
  /** Billing customers whose email never arrives, and how many events each has. */
  waiting: Map<string, number>
}

type Catalog = CatalogPrice[]

function catalog(a: StripeAccount): Catalog {
  return [
    a.price({ amount: 2900, lookupKey: 'pro_monthly', monthly: 2900 }),
    a.price({ amount: 29000, interval: 'year', lookupKey: 'pro_yearly', monthly: 29000 / 12 }),
    a.price({ amount: 1500, interval: 'week', lookupKey: 'team_weekly', monthly: 6500 }),
    a.price({ amount: 7500, count: 3, lookupKey: 'pro_quarterly', monthly: 2500 }),
    a.price({ amount: 900, nickname: 'Starter', monthly: 900 }),
    a.price({ amount: 1900, currency: 'eur', nickname: 'Pro EU', monthly: 1900 }),
    a.price({ amount: 3000, currency: 'jpy', lookupKey: 'pro_jp', monthly: 3000 }),
    a.price({ amount: 4900, interval: 'year', count: 2, monthly: 4900 / 24 }),
  ]
}

type Scenario = (
  a: StripeAccount,
  email: string,
  t: number,
  price: CatalogPrice,
  p: Catalog,
) => void

const amount = (p: CatalogPrice, quantity = 1) => p.price.unit_amount! * quantity

const SCENARIOS: Record<string, Scenario> = {
  trialConverts(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const sub = a.subscribe(c, [{ price }], t + 1, { trialDays: 14 })
    a.invoice(sub, t + 1, { amount: 0, paid: true, reason: 'subscription_create' })
    a.checkout(c, t + 2, { subscription: sub, amount: 0 })
    // Converted: the snapshot and the paid invoice in the same second.
    a.update(sub, t + 14 * DAY, { status: 'active', trial_end: sub.trial_end })
    a.invoice(sub, t + 14 * DAY, { amount: amount(price), paid: true })
  },
  trialCancels(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const sub = a.subscribe(c, [{ price }], t + 1, { trialDays: 14 })
    a.checkout(c, t + 2, { subscription: sub, amount: 0 })
    a.update(sub, t + 5 * DAY, { cancel_at_period_end: true, cancel_at: sub.trial_end })
    a.cancel(sub, t + 14 * DAY)
  },
  trialOngoing(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const sub = a.subscribe(c, [{ price }], t + 1, { trialDays: 30 })
    a.invoice(sub, t + 1, { amount: 0, paid: true, reason: 'subscription_create' })
    a.checkout(c, t + 2, { subscription: sub, amount: 0 })
  },
  paidDirect(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const sub = a.subscribe(c, [{ price }], t + 1, { status: 'incomplete' })
    a.invoice(sub, t + 3, { amount: amount(price), paid: true, reason: 'subscription_create' })
    a.update(sub, t + 3, { status: 'active' })
    a.checkout(c, t + 4, { subscription: sub, amount: amount(price) })
    a.update(sub, t + 10 * DAY, { quantity: 3 }) // grew to three seats
  },
  pastDueRecovers(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const sub = a.subscribe(c, [{ price }], t + 1)
    a.invoice(sub, t + 1, { amount: amount(price), paid: true, reason: 'subscription_create' })
    a.invoice(sub, t + 30 * DAY, { amount: amount(price), paid: false })
    a.update(sub, t + 30 * DAY, { status: 'past_due' })
    a.invoice(sub, t + 33 * DAY, { amount: amount(price), paid: true })
    a.update(sub, t + 33 * DAY, { status: 'active' })
  },
  pastDueStays(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const sub = a.subscribe(c, [{ price }], t + 1)
    a.invoice(sub, t + 30 * DAY, { amount: amount(price), paid: false })
    a.update(sub, t + 30 * DAY, { status: 'past_due' })
  },
  unpaid(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const sub = a.subscribe(c, [{ price }], t + 1)
    a.invoice(sub, t + 30 * DAY, { amount: amount(price), paid: false })
    a.update(sub, t + 30 * DAY, { status: 'past_due' })
    a.update(sub, t + 44 * DAY, { status: 'unpaid' })
  },
  paused(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const sub = a.subscribe(c, [{ price }], t + 1, { trialDays: 7 })
    a.update(sub, t + 7 * DAY, { status: 'paused' }, 'customer.subscription.paused')
  },
  pausedThenResumed(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const sub = a.subscribe(c, [{ price }], t + 1, { trialDays: 7 })
    a.update(sub, t + 7 * DAY, { status: 'paused' }, 'customer.subscription.paused')
    a.update(
      sub,
      t + 9 * DAY,
      { status: 'active', trial_end: null },
      'customer.subscription.resumed',
    )
    a.invoice(sub, t + 9 * DAY, { amount: amount(price), paid: true })
  },
  incompleteExpired(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const sub = a.subscribe(c, [{ price }], t + 1, { status: 'incomplete' })
    a.invoice(sub, t + 2, { amount: amount(price), paid: false, reason: 'subscription_create' })
    a.update(sub, t + DAY, { status: 'incomplete_expired' })
  },
  twoSubscriptions(a, email, t, price, p) {
    const c = a.createCustomer(email, t)
    const base = a.subscribe(c, [{ price }], t + 1)
    // An add-on in the same currency: 4 seats of the cheapest price of that currency.
    const addon = p.find((x) => x.price.currency === price.price.currency && x !== price) ?? price
    const seats = a.subscribe(c, [{ price: addon, quantity: 4 }], t + 5 * DAY)
    a.invoice(base, t + 1, { amount: amount(price), paid: true, reason: 'subscription_create' })
    a.invoice(seats, t + 5 * DAY, { amount: amount(addon, 4), paid: true })
  },
  oneOfTwoCanceled(a, email, t, price, p) {
    const c = a.createCustomer(email, t)
    const base = a.subscribe(c, [{ price }], t + 1)
    const other = p.find((x) => x.price.currency === price.price.currency && x !== price) ?? price
    const extra = a.subscribe(c, [{ price: other }], t + 2)
    a.cancel(extra, t + 20 * DAY)
    a.invoice(base, t + 30 * DAY, { amount: amount(price), paid: true })
  },
  emailChange(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const sub = a.subscribe(c, [{ price }], t + 1)
    a.invoice(sub, t + 1, { amount: amount(price), paid: true, reason: 'subscription_create' })
    a.changeEmail(c, email.replace('@', '.new@'), t + 20 * DAY)
    a.invoice(sub, t + 31 * DAY, { amount: amount(price), paid: true }) // carries the new email
  },
  lifetimeDeal(a, email, t) {
    const c = a.createCustomer(email, t)
    a.checkout(c, t + 1, { amount: 19900 })
  },
  canceledThenFinalInvoice(a, email, t, price) {
    const c = a.createCustomer(email, t)
    const sub = a.subscribe(c, [{ price }], t + 1)
    a.cancel(sub, t + 20 * DAY)
    // The prorated final invoice, paid just after the cancellation: must not revive it.
    a.invoice(sub, t + 20 * DAY + 1, { amount: 700, paid: true, reason: 'subscription_cycle' })
  },
  duplicateCustomers(a, email, t, price, p) {
    // Two Stripe customers with one email (Checkout made a second one): the better one wins.
    const first = a.createCustomer(email, t)
    const old = a.subscribe(first, [{ price: p[4]! }], t + 1)
    a.cancel(old, t + 10 * DAY)
    const second = a.createCustomer(email, t + 11 * DAY)
    const sub = a.subscribe(second, [{ price }], t + 11 * DAY + 1)
    a.invoice(sub, t + 11 * DAY + 1, {
      amount: amount(price),
      paid: true,
      reason: 'subscription_create',
    })
  },
  subscriptionFirst(a, email, t, price) {
    // The customer's events come after its subscription's (the customer was created silently,
    // and only a later email change carries the email).
    const c = a.createCustomer(email, t, { silent: true })
    const sub = a.subscribe(c, [{ price }], t + 1, { trialDays: 14 })
    a.update(sub, t + 2 * DAY, { quantity: 2 })
    a.changeEmail(c, email, t + 3 * DAY)
  },
}

const ORDER = Object.keys(SCENARIOS)

/** README's table: Stripe status → TinyCRM status (null: gives none). */
const STATUS: Record<string, 'trial' | 'paid' | 'churned' | null> = {
  trialing: 'trial',
  active: 'paid',
  past_due: 'paid',
  unpaid: 'churned',
  canceled: 'churned',
  paused: 'churned',
  incomplete: null,
  incomplete_expired: null,
}
const RANK = { paid: 3, trial: 2, churned: 1 } as const
const DIGITS: Record<string, number> = { usd: 2, eur: 2, jpy: 0 }
const iso = (s: number | null | undefined) => (s ? new Date(s * 1000).toISOString() : null)

/** What a project's relations must show, from the account's final state. */
function expectations(a: StripeAccount, monthlyOf: Map<string, number>) {
  const byEmail = new Map<
    string,
    { sub?: Stripe.Subscription; purchase?: string; customer: string }[]
  >()
  const linkOf = (customerId: string) => firstEmail.get(customerId)
  const firstEmail = new Map<string, string>()
  const emailsOf = new Map<string, string[]>()
  for (const e of a.events) {
    const o = e.data.object as Record<string, any>
    const id =
      e.type.startsWith('customer.') && !e.type.startsWith('customer.subscription')
        ? o.id
        : typeof o.customer === 'string'
          ? o.customer
          : null
    const email = o.email ?? o.customer_email ?? o.customer_details?.email
    if (!id || !email) continue
    if (!firstEmail.has(id)) firstEmail.set(id, email)
    const list = emailsOf.get(firstEmail.get(id)!) ?? []
    if (!list.includes(email)) list.push(email)
    emailsOf.set(firstEmail.get(id)!, list)
  }
  const waiting = new Map<string, number>()
  for (const sub of a.subscriptions.values()) {
    const link = linkOf(sub.customer as string)
    if (!link) continue
    byEmail.set(link, [...(byEmail.get(link) ?? []), { sub, customer: sub.customer as string }])
  }
  for (const [id, p] of a.purchases) {
    const link = linkOf(p.customer)!
    byEmail.set(link, [...(byEmail.get(link) ?? []), { purchase: id, customer: p.customer }])
  }
  for (const e of a.events) {
    const o = e.data.object as Record<string, any>
    const customer =
      e.type.startsWith('customer.') && !e.type.startsWith('customer.subscription')
        ? o.id
        : o.customer
    if (customer && !linkOf(customer)) waiting.set(customer, (waiting.get(customer) ?? 0) + 1)
  }
  for (const [email] of emailsOf) if (!byEmail.has(email)) byEmail.set(email, [])

  const expected = new Map<string, ExpectedRelation>()
  for (const [email, entries] of byEmail) {
    const rows = entries.map((entry) => {
      if (entry.purchase) {
        return {
          status: 'paid' as const,
          monthly: 0,
          currency: 'usd',
          params: { billing_status: 'paid', plan: null, trial_ends: null, cancel_at: null },
          customer: entry.customer,
        }
      }
      const sub = entry.sub!
      const monthly = sub.items.data.reduce(
        (sum, item) => sum + monthlyOf.get(item.price.id)! * (item.quantity ?? 1),
        0,
      )
      const top = [...sub.items.data].sort(
        (x, y) =>
          monthlyOf.get(y.price.id)! * y.quantity! - monthlyOf.get(x.price.id)! * x.quantity!,
      )[0]!.price
      const ended = sub.status === 'canceled'
      return {
        status: STATUS[sub.status],
        monthly,
        currency: sub.currency,
        params: {
          billing_status: sub.status,
          plan: top.lookup_key ?? top.nickname ?? top.id,
          trial_ends: sub.status === 'trialing' ? iso(sub.trial_end) : null,
          cancel_at: ended
            ? iso(sub.ended_at)
            : (iso(sub.cancel_at) ??
              (sub.cancel_at_period_end ? iso(sub.items.data[0]!.current_period_end) : null)),
        },
        customer: entry.customer,
      }
    })
    const best = [...rows].sort(
      (x, y) =>
        (y.status ? RANK[y.status] : 0) - (x.status ? RANK[x.status] : 0) || y.monthly - x.monthly,
    )[0]
    if (!best) {
      expected.set(email, { status: 'free', params: { billing_customer_id: null } })
      continue
    }
    const paying = rows.filter((r) => r.status === 'paid' && r.currency === best.currency)
    const minor = Math.round(paying.reduce((sum, r) => sum + r.monthly, 0))
    const digits = DIGITS[best.currency]!
    expected.set(email, {
      status: best.status ?? 'free',
      params: {
        ...best.params,
        mrr: minor / 10 ** digits,
        currency: best.currency.toUpperCase(),
        billing_customer_id: best.customer,
      },
    })
  }
  return { expected, emailsOf, waiting }
}

/** Builds the two projects' accounts: 50 people, persons 20–34 in both projects. */
export function stripeFixture(): StripeProjectFixture[] {
  const projects = [
    { name: 'a', people: [...Array(35).keys()] },
    { name: 'b', people: [...Array(30).keys()].map((i) => i + 20) },
  ]
  return projects.map(({ name, people }, pi) => {
    const a = new StripeAccount(name)
    const prices = catalog(a)
    const monthlyOf = new Map(prices.map((p) => [p.price.id, p.monthly]))
    people.forEach((person, n) => {
      const email = `person${person}@example.com`
      const scenario = SCENARIOS[ORDER[(n + pi * 7) % ORDER.length]!]!
      const price = prices[(n * 3 + pi) % prices.length]!
      scenario(a, email, T0 + n * 3_600, price, prices)
    })
    // Two billing customers whose email never arrives: their events wait.
    for (const k of [0, 1]) {
      const c = a.createCustomer(`ghost${k}-${name}@example.com`, T0 + k, { silent: true })
      const sub = a.subscribe(c, [{ price: prices[0]! }], T0 + 2 + k)
      a.update(sub, T0 + DAY + k, { quantity: 2 })
    }
    return { account: a, ...expectations(a, monthlyOf) }
  })
}

export { SCENARIOS }
