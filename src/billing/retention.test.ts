// Billing event ids are forgotten after 30 days, as the retention job runs it (src/retention.ts):
// the events of a customer still waiting for an email and each connection's newest stay, and the
// order of events survives — an old event arriving after its id is gone, re-sent or never seen,
// still cannot overwrite a newer status.
import Stripe from 'stripe'
import { sql } from 'kysely'
import { beforeAll, expect, it } from 'vitest'
import { expireOldData } from '../retention.js'
import { useTestApp } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { stripeSubscription } from '../../test/support/stripe-subscription.js'
import { billingOverview, createConnection, webhookPath } from './connections.js'
import { BILLING_EVENT_DAYS, pruneBillingEvents } from './retention.js'

const stripe = new Stripe('sk_test_not_used')
const SECRET = 'whsec_retention_test_0123456789abcdef'
const T = 1_790_000_000
const HOUR = 3600

const t = useTestApp()
let seeded: Awaited<ReturnType<typeof seedAccount>>
let paths: string[]

beforeAll(async () => {
  seeded = await seedAccount(t.db)
  paths = []
  for (const { project } of seeded.projects.slice(0, 2)) {
    const connection = await createConnection(t.db, {
      accountId: seeded.accountId,
      projectId: project.id,
      provider: 'stripe',
      signingSecret: SECRET,
    })
    paths.push(webhookPath(connection!.id))
  }
})

function event(id: string, type: string, object: Record<string, unknown>, created: number) {
  return JSON.stringify({ id, object: 'event', created, type, data: { object } })
}

const subscription = (customer: string, status: string) =>
  stripeSubscription({ id: `sub_${customer}`, customer, status })

/** Posts a payload signed now, as Stripe signs each delivery (a re-sent event included). */
async function post(payload: string, to = 0) {
  const res = await t.app.request(paths[to]!, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      'Stripe-Signature': stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
    },
    body: payload,
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

/** Makes events look received `days` ago. */
async function receivedDaysAgo(days: number, eventIds: string[]) {
  await sql`UPDATE billing_events SET received_at = now() - make_interval(days => ${days})
    WHERE event_id IN (${sql.join(eventIds)})`.execute(t.db)
}

const remembered = async () =>
  (
    await sql<{ event_id: string }>`SELECT event_id FROM billing_events ORDER BY event_id`.execute(
      t.db,
    )
  ).rows.map((r) => r.event_id)

async function relation(email: string) {
  return t.db
    .selectFrom('customer_projects as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .select(['c.id', 'r.status', 'r.params'])
    .where('c.account_id', '=', seeded.accountId)
    .where('c.email', '=', email)
    .executeTakeFirstOrThrow()
}

const historyOf = async (customerId: number) =>
  t.db
    .selectFrom('relation_changes')
    .select(['field', 'key', 'old_value', 'new_value', 'source'])
    .where('customer_id', '=', customerId)
    .orderBy('id')
    .execute()

const trial = event(
  'evt_a2_trial',
  'customer.subscription.created',
  subscription('cus_a', 'trialing'),
  T + HOUR,
)

it(`forgets event ids older than ${BILLING_EVENT_DAYS} days, but the waiting ones and each connection's newest`, async () => {
  const sent = [
    event('evt_a1_created', 'customer.created', { id: 'cus_a', email: 'alex@example.com' }, T),
    trial,
    event(
      'evt_a3_paid',
      'customer.subscription.updated',
      subscription('cus_a', 'active'),
      T + 3 * HOUR,
    ),
    // No email known for cus_w: it waits, and the project page counts it.
    event(
      'evt_w1_waiting',
      'customer.subscription.created',
      subscription('cus_w', 'active'),
      T + 2 * HOUR,
    ),
  ]
  const answers = []
  for (const payload of sent) answers.push(await post(payload))
  expect(answers.map((a) => [a.status, a.body.waiting])).toEqual([
    [200, false],
    [200, false],
    [200, false],
    [200, true],
  ])
  const recent = event('evt_b1_recent', 'customer.created', { id: 'cus_b', email: 'bo@x.io' }, T)
  expect((await post(recent)).status).toBe(200)
  const quiet = event('evt_q1_quiet', 'customer.created', { id: 'cus_q', email: 'q@x.io' }, T)
  expect((await post(quiet, 1)).status).toBe(200)
  await receivedDaysAgo(BILLING_EVENT_DAYS + 10, [
    'evt_a1_created',
    'evt_a2_trial',
    'evt_a3_paid',
    'evt_w1_waiting',
    'evt_q1_quiet',
  ])
  await receivedDaysAgo(BILLING_EVENT_DAYS - 1, ['evt_b1_recent'])
  const alex = await relation('alex@example.com')
  expect(alex).toMatchObject({ status: 'paid', params: { billing_status: 'active', mrr: 29 } })

  expect(await expireOldData(t.db)).toEqual({ imports: 0, billingEvents: 3 })

  expect(await remembered()).toEqual([
    'evt_b1_recent', // inside the window
    'evt_q1_quiet', // the quiet connection's newest: its page still says when the last one came
    'evt_w1_waiting', // waiting for an email
  ])
  expect(await pruneBillingEvents(t.db)).toBe(0)
  const [busy, quietOne] = await Promise.all(
    seeded.projects
      .slice(0, 2)
      .map(async ({ project }) => billingOverview(t.db, seeded.accountId, project.id)),
  )
  expect(busy!.waitingEvents).toBe(1)
  expect(busy!.connections[0]!.events).toBe(1) // the last 30 days: evt_b1_recent
  expect(quietOne!.connections[0]).toMatchObject({ events: 0, lastEventAt: expect.any(Date) })
  expect(await relation('alex@example.com')).toEqual(alex)
})

it('still applies no old event over a newer status once the ids are forgotten', async () => {
  const alex = await relation('alex@example.com')
  const history = await historyOf(alex.id)
  expect(history.filter((h) => h.field === 'status').map((h) => h.new_value)).toEqual([
    'free',
    'trial',
    'paid',
  ])

  // The trial event re-sent after its id was forgotten: taken as new, and changes nothing.
  const again = await post(trial)
  expect(again).toMatchObject({
    status: 200,
    body: { duplicate: false, waiting: false, customerId: alex.id },
  })
  // An event never seen, older than the newest applied: changes nothing either.
  const late = event(
    'evt_a0_late',
    'customer.subscription.updated',
    subscription('cus_a', 'past_due'),
    T + 2 * HOUR,
  )
  expect((await post(late)).body).toMatchObject({ duplicate: false, customerId: alex.id })
  expect(await relation('alex@example.com')).toEqual(alex)
  expect(await historyOf(alex.id)).toEqual(history)

  // A newer one still applies.
  const canceled = event(
    'evt_a4_canceled',
    'customer.subscription.deleted',
    subscription('cus_a', 'canceled'),
    T + 4 * HOUR,
  )
  expect((await post(canceled)).status).toBe(200)
  expect(await relation('alex@example.com')).toMatchObject({
    status: 'churned',
    params: { billing_status: 'canceled', mrr: 0 },
  })
})
