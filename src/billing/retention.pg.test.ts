// Pruning billing event ids racing the webhook on a real PostgreSQL server: while the retention job
// deletes a person's old event ids, those very events are re-sent, many at once. A gate (a lock on
// billing_events held by the test) parks every statement until all wait on it, then lets them go
// together. Nothing fails, and the person keeps the status of their newest event.
import Stripe from 'stripe'
import { expect, it } from 'vitest'
import { seedAccount } from '../../test/support/fixtures.js'
import { useServedApp } from '../../test/support/pg-harness.js'
import { createConnection, webhookPath } from './connections.js'
import { pruneBillingEvents } from './retention.js'

const APP_NAME = 'tinycrm-billing-retention'
const SECRET = 'whsec_retention_races_0123456789'
const T = 1_790_000_000
const stripe = new Stripe('sk_test_not_used')

const served = useServedApp({ appName: APP_NAME, poolSize: 30, gateTable: 'billing_events' })

it('re-sent events racing the pruning of their ids change nothing, and nothing fails', async () => {
  const seeded = await seedAccount(served.db)
  const connection = await createConnection(served.db, {
    accountId: seeded.accountId,
    projectId: seeded.projects[0]!.project.id,
    provider: 'stripe',
    signingSecret: SECRET,
  })
  const url = served.baseUrl + webhookPath(connection!.id)
  const sub = (status: string) => ({
    id: 'sub_r1',
    object: 'subscription',
    customer: 'cus_r1',
    currency: 'usd',
    status,
    items: {
      data: [
        {
          quantity: 1,
          price: { id: 'p', unit_amount: 900, recurring: { interval: 'month', interval_count: 1 } },
        },
      ],
    },
  })
  const payloads = [
    ['evt_r1', 'customer.created', { id: 'cus_r1', email: 'race@example.com' }, T],
    ['evt_r2', 'customer.subscription.created', sub('trialing'), T + 60],
    ['evt_r3', 'customer.subscription.updated', sub('active'), T + 120],
  ].map(([id, type, object, created]) =>
    JSON.stringify({ id, object: 'event', created, type, data: { object } }),
  )
  const post = async (payload: string) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Stripe-Signature': stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
      },
      body: payload,
    })
    return res.status
  }
  for (const payload of payloads) expect(await post(payload)).toBe(200)
  await served.db
    .updateTable('billing_events')
    .set({ received_at: new Date(Date.now() - 40 * 86_400_000) })
    .where('connection_id', '=', connection!.id)
    .execute()
  const relation = () =>
    served.db
      .selectFrom('customer_projects as r')
      .innerJoin('customers as c', 'c.id', 'r.customer_id')
      .select(['c.id', 'r.status', 'r.params'])
      .where('c.account_id', '=', seeded.accountId)
      .where('c.email', '=', 'race@example.com')
      .executeTakeFirstOrThrow()
  const before = await relation()
  expect(before).toMatchObject({ status: 'paid', params: { billing_status: 'active' } })
  const history = () =>
    served.db
      .selectFrom('relation_changes')
      .select(['field', 'key', 'new_value'])
      .where('customer_id', '=', before.id)
      .orderBy('id')
      .execute()
  const historyBefore = await history()

  // 4 prunes and 16 re-sent events (the trial and the customer's first event, each 8 times).
  const outcome = await served.gate.gated(20, () =>
    Promise.all([
      ...Array.from({ length: 4 }, () => pruneBillingEvents(served.db)),
      ...Array.from({ length: 16 }, (_, i) => post(payloads[i % 2]!)),
    ]),
  )
  const [pruned, statuses] = [outcome.slice(0, 4), outcome.slice(4)]
  expect(statuses).toEqual(Array(16).fill(200))
  // evt_r1 and evt_r2 go once; evt_r3 too if a re-sent event became the newest first.
  expect(pruned.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(3)
  expect(await relation()).toEqual(before)
  expect(await history()).toEqual(historyBefore)
})
