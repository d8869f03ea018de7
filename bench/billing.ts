// Stripe webhooks over HTTP, one event a request, at concurrency 1 and 16: what the provider waits
// for (signature check, connection lookup, the one write statement). 2,000 billing customers, each
// created first (unmeasured), then going round customer.created → subscription created (trialing)
// → updated (active) → invoice.paid, each customer at its own step, so that any stretch of the run
// holds the four kinds of event alike: the writes hit new and existing rows alike, and the c=1 and
// c=16 runs send the same mix. Signing happens in the bench process before each request's clock
// starts.
import Stripe from 'stripe'
import type { BenchContext, BenchResult } from './bench.js'
import { runLoad, summarize } from './load.js'

export const BILLING_CONCURRENCY = [1, 16]
const CUSTOMERS = 2000
const T0 = 1_790_000_000
const stripe = new Stripe('sk_test_not_used')

function subscription(k: number, status: string) {
  return {
    id: `sub_bench${k}`,
    object: 'subscription',
    customer: `cus_bench${k}`,
    currency: 'usd',
    status,
    cancel_at_period_end: false,
    trial_end: status === 'trialing' ? T0 + 14 * 86_400 : null,
    items: {
      object: 'list',
      data: [
        {
          id: `si_bench${k}`,
          quantity: 1 + (k % 3),
          current_period_end: T0 + 30 * 86_400,
          price: {
            id: 'price_bench',
            lookup_key: 'pro_monthly',
            currency: 'usd',
            unit_amount: 2900,
            recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed' },
          },
        },
      ],
    },
  }
}

/** The n-th event: customer k = n mod 2,000, at its round r = ⌊n / 2,000⌋ (later rounds later in
 *  time), at step (r + k) mod 4 of its lifecycle; round 0 is the customers' creation. (Step
 *  ⌊n / 2,000⌋ mod 4 alone gave a c=1 run of 700–1,700 events only customer.created, the lightest,
 *  and the c=16 run after it the heavier ones.) */
export function billingEvent(n: number, run: string) {
  const k = n % CUSTOMERS
  const round = Math.floor(n / CUSTOMERS)
  const stage = round === 0 ? 0 : (round + k) % 4
  const created = T0 + round * 60
  const [type, object] =
    stage === 0
      ? [
          'customer.created',
          { id: `cus_bench${k}`, object: 'customer', email: `bench${k}@example.com` },
        ]
      : stage === 1
        ? ['customer.subscription.created', subscription(k, 'trialing')]
        : stage === 2
          ? ['customer.subscription.updated', subscription(k, 'active')]
          : [
              'invoice.paid',
              {
                id: `in_bench${n}`,
                object: 'invoice',
                customer: `cus_bench${k}`,
                customer_email: `bench${k}@example.com`,
                amount_paid: 2900,
                billing_reason: 'subscription_cycle',
                parent: { subscription_details: { subscription: `sub_bench${k}` } },
              },
            ]
  return { id: `evt_${run}_${n}`, object: 'event', created, type, data: { object } }
}

export async function apiBilling({
  target,
  durationMs,
  log,
}: BenchContext): Promise<BenchResult[]> {
  const { path, secret } = target.billing
  const results: BenchResult[] = []
  const request = (n: number, label: string) => {
    const body = JSON.stringify(billingEvent(n, label))
    const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret })
    return { path, body, headers: { 'Stripe-Signature': header } }
  }
  log(`billing webhook ${target.name}: creating ${CUSTOMERS} billing customers`)
  await runLoad({
    baseUrl: target.baseUrl,
    concurrency: 16,
    count: CUSTOMERS,
    next: (n) => request(n, 'created'),
  })
  // Each run (its warm-up, then its measure) goes on from the event the one before it reached.
  let from = CUSTOMERS
  for (const concurrency of BILLING_CONCURRENCY) {
    const label = `c${concurrency}`
    const next = (n: number) => request(from + n, label)
    const warm = await runLoad({
      baseUrl: target.baseUrl,
      concurrency,
      durationMs: Math.min(1000, durationMs / 4),
      next,
    })
    from += warm.requests + warm.errors
    log(`billing webhook ${target.name} c=${concurrency}`)
    const r = await runLoad({ baseUrl: target.baseUrl, concurrency, durationMs, next })
    from += r.requests + r.errors
    results.push(
      summarize(r, { bench: 'billing webhook', target: target.name, side: 'api', concurrency }),
    )
  }
  return results
}
