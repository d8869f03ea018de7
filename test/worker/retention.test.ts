// The Worker's Cron Trigger (wrangler.toml `[triggers] crons`): its `scheduled` handler, in workerd,
// through the production driver, deletes the CSV imports left unfinished for more than 7 days —
// with the uploaded rows they hold — and leaves recent and finished ones; and forgets billing event
// ids older than 30 days but the waiting ones and a connection's newest, after which an old event
// still cannot overwrite a newer status.
import { env } from 'cloudflare:workers'
import { neon, neonConfig } from '@neondatabase/serverless'
import Stripe from 'stripe'
import { expect, inject, it } from 'vitest'
import worker, { type WorkerEnv } from '../../src/worker.js'

const bindings = env as unknown as WorkerEnv
const { accountId } = inject('worker')
const ctx = { waitUntil() {}, passThroughOnException() {} } as unknown as ExecutionContext
const cron = { scheduledTime: Date.now(), cron: '17 3 * * *', noRetry() {} }

it('deletes abandoned imports and their rows on the daily cron', async () => {
  neonConfig.fetchEndpoint = () => bindings.NEON_FETCH_ENDPOINT!
  const sql = neon(bindings.DATABASE_URL!)
  const [project] = await sql`SELECT id FROM projects WHERE account_id = ${accountId} LIMIT 1`
  const made = await sql`
    INSERT INTO imports (account_id, project_id, filename, header, created_at, finished_at)
    VALUES (${accountId}, ${project!.id}, 'abandoned.csv', '["email"]', now() - interval '8 days', NULL),
      (${accountId}, ${project!.id}, 'recent.csv', '["email"]', now() - interval '2 days', NULL),
      (${accountId}, ${project!.id}, 'finished.csv', '["email"]', now() - interval '9 days', now())
    RETURNING id`
  const [abandoned, recent, finished] = made.map((r) => Number(r.id))
  await sql`INSERT INTO import_chunks (import_id, seq, first_line, rows)
    VALUES (${abandoned}, 0, 2, '[["2", "ann@abandoned.example"]]')`

  await worker.scheduled(cron as ScheduledController, bindings)

  const left = await sql`SELECT id FROM imports WHERE id IN (${abandoned}, ${recent}, ${finished})
    ORDER BY id`
  expect(left.map((r) => Number(r.id))).toEqual([recent, finished])
  expect(await sql`SELECT 1 FROM import_chunks WHERE import_id = ${abandoned}`).toEqual([])
})

it('forgets billing event ids after 30 days, and an old event still changes nothing', async () => {
  neonConfig.fetchEndpoint = () => bindings.NEON_FETCH_ENDPOINT!
  const sql = neon(bindings.DATABASE_URL!)
  const [project] = await sql`SELECT id FROM projects WHERE account_id = ${accountId}
    ORDER BY id LIMIT 1`
  const secret = 'whsec_worker_retention_0123456789'
  const connection = 'bill_workerRetention000000001'
  await sql`INSERT INTO billing_connections (id, account_id, project_id, provider, signing_secret)
    VALUES (${connection}, ${accountId}, ${project!.id}, 'stripe', ${secret})`
  const stripe = new Stripe('sk_test_not_used')
  const post = async (id: string, type: string, object: object, created: number) => {
    const body = JSON.stringify({ id, object: 'event', created, type, data: { object } })
    const header = await stripe.webhooks.generateTestHeaderStringAsync({ payload: body, secret })
    const request = new Request(`https://tinycrm.example/v1/billing/webhooks/${connection}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Stripe-Signature': header },
      body,
    })
    const res = await worker.fetch(request as Parameters<typeof worker.fetch>[0], bindings, ctx)
    expect(res.status).toBe(200)
    return (await res.json()) as { duplicate: boolean; waiting: boolean }
  }
  const sub = (customer: string, status: string) => ({
    id: `sub_${customer}`,
    object: 'subscription',
    customer,
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
  const T = 1_790_000_000
  const alex = { id: 'cus_wr_alex', email: 'alex.retention@example.com' }
  await post('evt_wr_1', 'customer.created', alex, T)
  await post('evt_wr_2', 'customer.subscription.created', sub(alex.id, 'trialing'), T + 60)
  await post('evt_wr_3', 'customer.subscription.updated', sub(alex.id, 'active'), T + 120)
  expect(
    await post('evt_wr_4', 'customer.subscription.created', sub('cus_wr_w', 'active'), T),
  ).toMatchObject({ waiting: true })
  await sql`UPDATE billing_events SET received_at = now() - interval '40 days'
    WHERE connection_id = ${connection} AND event_id <> 'evt_wr_3'`
  await sql`UPDATE billing_events SET received_at = now() - interval '35 days'
    WHERE connection_id = ${connection} AND event_id = 'evt_wr_3'`
  const status = async () =>
    sql`SELECT r.status, r.params ->> 'billing_status' AS billing_status FROM customer_projects r
      JOIN customers c ON c.id = r.customer_id
      WHERE c.account_id = ${accountId} AND c.email = ${alex.email}`
  expect(await status()).toEqual([{ status: 'paid', billing_status: 'active' }])

  await worker.scheduled(cron as ScheduledController, bindings)

  const left = await sql`SELECT event_id FROM billing_events WHERE connection_id = ${connection}
    ORDER BY event_id`
  // evt_wr_3: the connection's newest; evt_wr_4: waiting for an email.
  expect(left.map((r) => r.event_id)).toEqual(['evt_wr_3', 'evt_wr_4'])
  // The trial event re-sent after its id went: applied again as new, and the status stays.
  expect(
    await post('evt_wr_2', 'customer.subscription.created', sub(alex.id, 'trialing'), T + 60),
  ).toMatchObject({ duplicate: false, waiting: false })
  expect(await status()).toEqual([{ status: 'paid', billing_status: 'active' }])
})
