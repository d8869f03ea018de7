// Billing webhooks racing on a real PostgreSQL server (PGlite runs one statement at a time and
// hides every race). Requests go over HTTP to the app, each on its own pooled connection; a gate
// (a lock on billing_events held by the test) parks every write statement until all are waiting,
// then lets them go at once. Then the whole Stripe fixture, shuffled, duplicated and with injected
// failures, 32 requests at a time, must end equal to the reference model.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { type seedAccount } from '../../test/support/fixtures.js'
import { useServedApp } from '../../test/support/pg-harness.js'
import { billingModel, withoutNulls } from '../../test/support/billing-model.js'
import { replay, startFaultyServer, type Delivery } from '../../test/support/billing-replay.js'
import { stripeFixture } from '../../test/support/stripe-fixture.js'
import {
  deadlocks,
  monthlySubscription,
  postSignedStripe,
  stripeConnectedAccount,
  stripeEvent,
} from '../../test/support/stripe-races.js'
import { mergeCustomers } from '../merges/store.js'
import { createConnection, webhookPath } from './connections.js'
import type { Json } from './events.js'
import { mapStripeEvent } from './stripe.js'

const POOL_SIZE = 40
const TRIALS = Number(process.env.RACE_TRIALS ?? 20)
const APP_NAME = 'tinycrm-billing-races'
const SECRET = 'whsec_races_0123456789abcdefgh'
const T = 1_790_000_000

const served = useServedApp({ appName: APP_NAME, poolSize: POOL_SIZE, gateTable: 'billing_events' })
let seeded: Awaited<ReturnType<typeof seedAccount>>
let path: string
beforeEach(async () => {
  ;({ seeded, path } = await stripeConnectedAccount(served.db, SECRET))
})

const post = (event: object) => postSignedStripe(served.baseUrl + path, SECRET, event)
const event = (id: string, type: string, object: object, created = T) =>
  stripeEvent(id, type, object, created)

/** A monthly subscription (test/support/stripe-races.ts), its status before its amount. */
const subscription = (id: string, customer: string, status: string, amount: number) =>
  monthlySubscription(id, customer, amount, status)

/** 12 subscriptions created at one instant, 3 for each of the billing customers cus_0 … cus_3:
 *  all active but the 6th (trialing), of $1 × their number a month. */
const twelveSubscriptionsOfFourCustomers = () =>
  Array.from({ length: 12 }, (_, i) =>
    event(
      `evt_s${i}`,
      'customer.subscription.created',
      subscription(`sub_${i}`, `cus_${i % 4}`, i === 5 ? 'trialing' : 'active', 100 * (i + 1)),
      T + 100,
    ),
  )

async function relation(email: string) {
  return served.db
    .selectFrom('customer_projects as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .select(['r.status', 'r.params'])
    .where('c.account_id', '=', seeded.accountId)
    .where('c.email', '=', email)
    .executeTakeFirst()
}

async function eventCount() {
  const row = await served.db
    .selectFrom('billing_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('project_id', '=', seeded.projects[0]!.project.id)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

async function customerCount() {
  const row = await served.db
    .selectFrom('customers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', seeded.accountId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

describe('billing webhooks racing (real PostgreSQL)', () => {
  it('applies one event delivered 20 times at the same instant once', async () => {
    await post(event('evt_c', 'customer.created', { id: 'cus_1', email: 'same@example.com' }))
    const sub = event(
      'evt_s',
      'customer.subscription.created',
      subscription('sub_1', 'cus_1', 'active', 2900),
      T + 1,
    )
    const responses = await served.gate.gated(20, () =>
      Promise.all(Array.from({ length: 20 }, () => post(sub))),
    )
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200))
    expect(responses.filter((r) => !r.body.duplicate)).toHaveLength(1)
    expect(await eventCount()).toBe(2)
    expect(await relation('same@example.com')).toMatchObject({
      status: 'paid',
      params: { mrr: 29 },
    })
  })

  it('keeps the newest of 30 racing events of one subscription', async () => {
    await post(event('evt_c', 'customer.created', { id: 'cus_1', email: 'order@example.com' }))
    const statuses = ['trialing', 'active', 'past_due', 'unpaid', 'active', 'paused']
    const events = Array.from({ length: 30 }, (_, i) =>
      event(
        `evt_${i}`,
        'customer.subscription.updated',
        subscription('sub_1', 'cus_1', statuses[i % 6]!, 1000 + i),
        T + 10 + i,
      ),
    )
    const responses = await served.gate.gated(30, () => Promise.all(events.reverse().map(post)))
    expect(responses.every((r) => r.status === 200)).toBe(true)
    // The newest (i = 29): paused → churned, its amount not counted, its plan kept.
    expect(await relation('order@example.com')).toMatchObject({
      status: 'churned',
      params: { billing_status: 'paused', plan: 'p1029', mrr: 0 },
    })
  })

  it('loses no subscription when 12 subscriptions of one person, over 4 billing customers, race', async () => {
    for (let c = 0; c < 4; c++) {
      await post(
        event(
          `evt_c${c}`,
          'customer.created',
          { id: `cus_${c}`, email: 'many@example.com' },
          T + c,
        ),
      )
    }
    const events = twelveSubscriptionsOfFourCustomers()
    const responses = await served.gate.gated(12, () => Promise.all(events.map(post)))
    expect(responses.every((r) => r.status === 200)).toBe(true)
    // Every active one summed: (1+…+12 − 6) × $1.
    expect(await relation('many@example.com')).toMatchObject({
      status: 'paid',
      params: { mrr: 72, plan: 'p1200', billing_customer_id: 'cus_3' },
    })
    expect(await customerCount()).toBe(1)
  })

  it('loses no subscription when 12 subscriptions race over 4 emails merged into one customer', async () => {
    const emails = [0, 1, 2, 3].map((c) => `merged${c}@example.com`)
    const ids: number[] = []
    for (const [c, email] of emails.entries()) {
      await post(event(`evt_c${c}`, 'customer.created', { id: `cus_${c}`, email }, T + c))
      const r = await post(
        event(
          `evt_first${c}`,
          'customer.subscription.created',
          subscription(`sub_first${c}`, `cus_${c}`, 'canceled', 100),
          T + 10,
        ),
      )
      ids.push(r.body.customerId)
    }
    for (const absorbedId of ids.slice(1)) {
      await mergeCustomers(served.db, {
        accountId: seeded.accountId,
        survivorId: ids[0]!,
        absorbedId,
        actor: 'test',
      })
    }
    const events = twelveSubscriptionsOfFourCustomers()
    const responses = await served.gate.gated(12, () => Promise.all(events.map(post)))
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(200))
    expect(new Set(responses.map((r) => r.body.customerId))).toEqual(new Set([ids[0]]))
    // Every active one of the four emails summed, whichever email's event came last.
    expect(await relation(emails[0]!)).toMatchObject({
      status: 'paid',
      params: { mrr: 72, plan: 'p1200' },
    })
  })

  it(`answers events of four emails racing their merges into one customer (${TRIALS} trials)`, async () => {
    const failures: string[] = []
    // Printed, not asserted (PostgreSQL counts them a moment late): each costs its writers a
    // deadlock_timeout, and past every retry a 500 (./apply.ts, heldFirst).
    const deadlocksBefore = await deadlocks(served.db)
    for (let trial = 0; trial < TRIALS; trial++) {
      const tag = `m${trial}`
      const emails = [0, 1, 2, 3].map((c) => `${tag}.${c}@example.com`)
      const ids: number[] = []
      for (const [c, email] of emails.entries()) {
        const customer = `cus_${tag}_${c}`
        await post(event(`evt_${tag}_c${c}`, 'customer.created', { id: customer, email }, T + c))
        const first = subscription(`sub_${tag}_first${c}`, customer, 'canceled', 100)
        const r = await post(
          event(`evt_${tag}_first${c}`, 'customer.subscription.created', first, T + 10),
        )
        ids.push(r.body.customerId)
      }
      // 24 subscriptions, 6 of each email, of $1 × their number a month.
      const events = Array.from({ length: 24 }, (_, i) =>
        event(
          `evt_${tag}_s${i}`,
          'customer.subscription.created',
          subscription(`sub_${tag}_${i}`, `cus_${tag}_${i % 4}`, 'active', 100 * (i + 1)),
          T + 100 + i,
        ),
      )
      const [responses, merges] = await served.gate.gated(events.length, () =>
        Promise.all([
          Promise.all(events.map(post)),
          Promise.allSettled(
            ids.slice(1).map((absorbedId) =>
              mergeCustomers(served.db, {
                accountId: seeded.accountId,
                survivorId: ids[0]!,
                absorbedId,
                actor: 'test',
              }),
            ),
          ),
        ]),
      )
      for (const r of responses) {
        if (r.status !== 200) failures.push(`trial ${trial}: ${r.status} ${JSON.stringify(r.body)}`)
      }
      for (const m of merges) {
        if (m.status === 'rejected') failures.push(`trial ${trial}: merge ${String(m.reason)}`)
      }
      // Once merged, an event of each email sums every subscription of the four.
      for (let c = 0; c < 4; c++) {
        const again = subscription(`sub_${tag}_${c}`, `cus_${tag}_${c}`, 'active', 100 * (c + 1))
        const r = await post(
          event(`evt_${tag}_again${c}`, 'customer.subscription.updated', again, T + 500 + c),
        )
        if (r.status !== 200) failures.push(`trial ${trial}: ${r.status} after the race`)
      }
      const mrr = ((await relation(emails[0]!))?.params as { mrr?: number } | undefined)?.mrr
      if (mrr !== 300) failures.push(`trial ${trial}: mrr ${mrr}, not 300`)
    }
    const deadlocked = (await deadlocks(served.db)) - deadlocksBefore
    console.log(
      `four emails racing their merges: ${failures.length} failures; deadlocks ${deadlocked}`,
    )
    expect(failures).toEqual([])
  })

  it('applies waiting events when the email arrives at the same instant as more of them', async () => {
    // Some subscription events before, some racing with the customer's email, some after.
    await post(
      event(
        'evt_w0',
        'customer.subscription.created',
        subscription('sub_a', 'cus_w', 'trialing', 500),
        T,
      ),
    )
    const racing = [
      event('evt_w1', 'customer.created', { id: 'cus_w', email: 'wait@example.com' }, T + 1),
      event(
        'evt_w2',
        'customer.subscription.updated',
        subscription('sub_a', 'cus_w', 'active', 500),
        T + 2,
      ),
      event(
        'evt_w3',
        'customer.subscription.created',
        subscription('sub_b', 'cus_w', 'active', 700),
        T + 3,
      ),
      event('evt_w4', 'customer.updated', { id: 'cus_w', email: 'wait.new@example.com' }, T + 4),
    ]
    const responses = await served.gate.gated(4, () => Promise.all(racing.map(post)))
    expect(responses.every((r) => r.status === 200)).toBe(true)
    // Linked to whichever email committed first; the other email holds nothing.
    const both = [await relation('wait@example.com'), await relation('wait.new@example.com')]
    expect(both.filter(Boolean)).toEqual([
      expect.objectContaining({
        status: 'paid',
        params: expect.objectContaining({ mrr: 12, plan: 'p700' }),
      }),
    ])
  })

  it('ends equal to the model after the whole Stripe fixture, shuffled, 32 at a time, with failures', async () => {
    const faulty = await startFaultyServer(served.db)
    try {
      const fixture = stripeFixture()
      const deliveries: Delivery[] = []
      const models = []
      for (const [i, project] of fixture.entries()) {
        const secret = `whsec_pgreplay${i}_${'z'.repeat(24)}`
        const connection = await createConnection(served.db, {
          accountId: seeded.accountId,
          projectId: seeded.projects[i]!.project.id,
          provider: 'stripe',
          signingSecret: secret,
        })
        for (const e of project.account.events) {
          deliveries.push({
            path: webhookPath(connection!.id),
            provider: 'stripe',
            secret,
            body: JSON.stringify(e),
          })
        }
        models.push(
          billingModel(
            project.account.events
              .map((e) => mapStripeEvent(e as unknown as Json)!)
              .filter(Boolean),
          ),
        )
      }
      const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
      const stats = await replay(faulty.send, deliveries, {
        seed: 424242,
        concurrency: 32,
        faultShare: 0.1,
      })
      logged.mockRestore()
      expect(stats.faults.db + stats.faults.lost).toBeGreaterThan(0)
      for (const [i, model] of models.entries()) {
        const rows = await served.db
          .selectFrom('customer_projects as r')
          .innerJoin('customers as c', 'c.id', 'r.customer_id')
          .select(['c.email', 'r.status', 'r.params'])
          .where('r.project_id', '=', seeded.projects[i]!.project.id)
          .execute()
        const actual = new Map(rows.map((r) => [r.email, { status: r.status, params: r.params }]))
        // Each modelled relation under its link email, or (after an email change delivered
        // first) under the other email of the same billing customer.
        const emailsOf = fixture[i]!.emailsOf
        expect(actual.size).toBe(model.relations.size)
        for (const [email, modelled] of model.relations) {
          const candidates = emailsOf.get(email) ?? [email]
          const held = candidates.find((e) => actual.has(e))
          expect(held, email).toBeDefined()
          expect(actual.get(held!), email).toEqual({
            status: modelled.status,
            params: withoutNulls(modelled.params),
          })
        }
      }
    } finally {
      await faulty.close()
    }
  })
})
