// Stripe webhooks over HTTP, one event a request, at concurrency 1 and 16: what the provider waits
// for (signature check, connection lookup, the one write statement). 2,000 billing customers go
// through customer.created → subscription created (trialing) → updated (active) → invoice.paid,
// so the writes hit new and existing rows alike. Signing happens in the bench process before each
// request's clock starts.
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

/** The n-th event: customer k = n mod 2,000 at stage ⌊n / 2,000⌋ of its lifecycle. */
export function billingEvent(n: number, run: string) {
  const k = n % CUSTOMERS
  const stage = Math.floor(n / CUSTOMERS) % 4
  const created = T0 + Math.floor(n / CUSTOMERS) * 60
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
  let run = 0
  for (const concurrency of BILLING_CONCURRENCY) {
    const label = `c${concurrency}r${run++}`
    const next = (n: number) => {
      const body = JSON.stringify(billingEvent(n, label))
      const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret })
      return { path, body, headers: { 'Stripe-Signature': header } }
    }
    await runLoad({
      baseUrl: target.baseUrl,
      concurrency,
      durationMs: Math.min(1000, durationMs / 4),
      next: (n) => next(n + 1_000_000),
    })
    log(`billing webhook ${target.name} c=${concurrency}`)
    const r = await runLoad({ baseUrl: target.baseUrl, concurrency, durationMs, next })
    results.push(
      summarize(r, { bench: 'billing webhook', target: target.name, side: 'api', concurrency }),
    )
  }
  return results
}
