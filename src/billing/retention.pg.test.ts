// Pruning billing event ids racing the webhook on a real PostgreSQL server: while the retention job
// deletes a person's old event ids, those very events are re-sent, many at once. A gate (a lock on
// billing_events held by the test) parks every statement until all wait on it, then lets them go
// together. Nothing fails, and the person keeps the status of their newest event.
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import pg from 'pg'
import Stripe from 'stripe'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { createApp } from '../app.js'
import { openNodeDb, type NodeDb } from '../db/node.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { createConnection, webhookPath } from './connections.js'
import { pruneBillingEvents } from './retention.js'

const APP_NAME = 'tinycrm-billing-retention'
const SECRET = 'whsec_retention_races_0123456789'
const T = 1_790_000_000
const stripe = new Stripe('sk_test_not_used')

let node: NodeDb
let server: ServerType
let baseUrl: string
let gatePool: pg.Pool

beforeAll(async () => {
  const url = inject('postgresUrl')
  node = await openNodeDb({ databaseUrl: `${url}?application_name=${APP_NAME}`, poolSize: 30 })
  gatePool = new pg.Pool({ connectionString: url, max: 2 })
  const app = createApp({ db: node.db })
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      baseUrl = `http://127.0.0.1:${info.port}`
      resolve()
    })
  })
})
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  await gatePool.end()
  await node.close()
})

/** Holds billing_events locked while `fire()` starts, until `waiters` statements wait on it. */
async function gated<R>(waiters: number, fire: () => Promise<R>): Promise<R> {
  const gate = await gatePool.connect()
  try {
    await gate.query('BEGIN')
    await gate.query('LOCK TABLE billing_events IN ACCESS EXCLUSIVE MODE')
    const pending = fire()
    pending.catch(() => {})
    const deadline = Date.now() + 30_000
    for (;;) {
      const { rows } = await gatePool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [APP_NAME],
      )
      if (rows[0]!.n >= waiters) break
      if (Date.now() > deadline) throw new Error(`only ${rows[0]!.n} of ${waiters} waited`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await gate.query('COMMIT')
    return await pending
  } finally {
    gate.release()
  }
}

it('re-sent events racing the pruning of their ids change nothing, and nothing fails', async () => {
  const seeded = await seedAccount(node.db)
  const connection = await createConnection(node.db, {
    accountId: seeded.accountId,
    projectId: seeded.projects[0]!.project.id,
    provider: 'stripe',
    signingSecret: SECRET,
  })
  const url = baseUrl + webhookPath(connection!.id)
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
  await node.db
    .updateTable('billing_events')
    .set({ received_at: new Date(Date.now() - 40 * 86_400_000) })
    .where('connection_id', '=', connection!.id)
    .execute()
  const relation = () =>
    node.db
      .selectFrom('customer_projects as r')
      .innerJoin('customers as c', 'c.id', 'r.customer_id')
      .select(['c.id', 'r.status', 'r.params'])
      .where('c.account_id', '=', seeded.accountId)
      .where('c.email', '=', 'race@example.com')
      .executeTakeFirstOrThrow()
  const before = await relation()
  expect(before).toMatchObject({ status: 'paid', params: { billing_status: 'active' } })
  const history = () =>
    node.db
      .selectFrom('relation_changes')
      .select(['field', 'key', 'new_value'])
      .where('customer_id', '=', before.id)
      .orderBy('id')
      .execute()
  const historyBefore = await history()

  // 4 prunes and 16 re-sent events (the trial and the customer's first event, each 8 times).
  const outcome = await gated(20, () =>
    Promise.all([
      ...Array.from({ length: 4 }, () => pruneBillingEvents(node.db)),
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
