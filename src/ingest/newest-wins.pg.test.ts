// Newest wins under concurrency, on a real PostgreSQL server (PGlite runs one statement at a time
// and hides every race): identify and batch calls over HTTP, CSV-import writes (the import's own
// function) and signed Stripe webhooks, all for the same few people, every write stamped with its
// own time and sent shuffled, 32 at a time. Each relation must end as a model says: per status and
// per param key, the value of the write with the newest time, whatever order they arrived in.
import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { useServedApp } from '../../test/support/pg-harness.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { summaryMismatches } from '../../test/support/summary-columns.js'
import { billingModel } from '../../test/support/billing-model.js'
import { random, shuffle } from '../../test/support/billing-replay.js'
import { createConnection, webhookPath } from '../billing/connections.js'
import type { Json } from '../billing/events.js'
import { mapStripeEvent } from '../billing/stripe.js'
import type { Status } from '../lib/status.js'
import { ingestForProject } from './upsert.js'

const SECRET = 'whsec_newest_wins_0123456789ab'
const stripe = new Stripe('sk_test_not_used')
// Times in seconds: billing events on whole seconds, the other writes on half seconds, each once,
// so no two writes tie (a tie goes to the later arrival, which no model can predict).
const T0 = 1_780_000_000
const EMAILS = 24
const WRITES = 480

const served = useServedApp({ poolSize: 40 })

type Stamped = { t: number; v: unknown }
interface ModelRelation {
  status?: Stamped
  params: Map<string, Stamped>
}

/** One write as sent: its time, and what it does to one email's relation. */
interface Write {
  email: string
  t: number
  status?: Status
  params?: Record<string, unknown>
}

const STATUSES: Status[] = ['free', 'trial', 'paid', 'churned']
const STRIPE_STATUSES = ['trialing', 'active', 'past_due', 'canceled']

function subscriptionEvent(n: number, email: number, created: number, status: string) {
  const amount = [900, 1900, 4900][n % 3]!
  return {
    id: `evt_nw_${n}`,
    object: 'event',
    created,
    type: 'customer.subscription.updated',
    data: {
      object: {
        id: `sub_nw_${email}`,
        object: 'subscription',
        customer: `cus_nw_${email}`,
        currency: 'usd',
        status,
        items: {
          data: [
            {
              quantity: 1,
              price: {
                id: `price_${amount}`,
                lookup_key: `billing_${amount}`,
                unit_amount: amount,
                recurring: { interval: 'month' },
              },
            },
          ],
        },
      },
    },
  }
}

describe('newest wins across every writer, racing', () => {
  it('ends each relation as the newest write of each field says', async () => {
    const seeded = await seedAccount(served.db, ['Race App'])
    const { project, key } = seeded.projects[0]!
    const connection = await createConnection(served.db, {
      accountId: seeded.accountId,
      projectId: project.id,
      provider: 'stripe',
      signingSecret: SECRET,
    })
    const path = webhookPath(connection!.id)
    const rand = random(12)
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!
    const emailOf = (n: number) => `racer${n}@example.com`

    // Distinct half-second times for the identify/import writes, spread over the billing ones.
    const halves = shuffle(
      Array.from({ length: WRITES }, (_, n) => T0 + n * 2 + 0.5),
      rand,
    )
    const writes: Write[] = halves.map((t) => {
      const w: Write = { email: emailOf(Math.floor(rand() * EMAILS)), t }
      if (rand() < 0.5) w.status = pick(STATUSES)
      const params: Record<string, unknown> = {}
      for (const k of ['plan', 'seats', 'beta']) {
        const r = rand()
        if (r < 0.3) params[k] = `${k}-${t}`
        else if (r < 0.4) params[k] = null
      }
      if (Object.keys(params).length) w.params = params
      return w
    })
    // Billing: half of the people have a Stripe customer (linked by customer.created) and events
    // on whole seconds between the others' writes.
    const billing: object[] = []
    for (let e = 0; e < EMAILS; e += 2) {
      billing.push({
        id: `evt_nw_customer_${e}`,
        object: 'event',
        created: T0 - 100,
        type: 'customer.created',
        data: { object: { id: `cus_nw_${e}`, object: 'customer', email: emailOf(e) } },
      })
      for (let k = 0; k < 6; k++) {
        const created = T0 + Math.floor(rand() * WRITES) * 2 + 1
        billing.push(subscriptionEvent(billing.length, e, created, pick(STRIPE_STATUSES)))
      }
    }

    // Send everything shuffled: identify, batch (2–4 writes), import (2–4 writes), webhooks.
    type Job = () => Promise<void>
    const jobs: Job[] = []
    const queue = [...writes]
    const item = (w: Write) => ({
      type: 'identify' as const,
      email: w.email,
      ...(w.status ? { status: w.status } : {}),
      ...(w.params ? { params: w.params } : {}),
      timestamp: new Date(w.t * 1000).toISOString(),
    })
    const post = async (url: string, body: string, headers: Record<string, string>) => {
      const res = await fetch(served.baseUrl + url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...headers },
        body,
      })
      const text = await res.text()
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${text}`)
    }
    const bearer = { Authorization: `Bearer ${key}` }
    while (queue.length) {
      const r = rand()
      const group = queue.splice(0, r < 0.5 ? 1 : 2 + Math.floor(rand() * 3))
      if (group.length === 1) {
        const { type: _type, ...body } = item(group[0]!)
        jobs.push(() => post('/v1/identify', JSON.stringify(body), bearer))
      } else if (r < 0.75) {
        jobs.push(() => post('/v1/batch', JSON.stringify({ batch: group.map(item) }), bearer))
      } else {
        jobs.push(async () => {
          const items = group.map((w) => ({ ...item(w), timestamp: new Date(w.t * 1000) }))
          await ingestForProject(served.db, project.id, items, new Date(), 'import')
        })
      }
    }
    for (const event of billing) {
      const payload = JSON.stringify(event)
      const signature = stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET })
      jobs.push(() => post(path, payload, { 'Stripe-Signature': signature }))
    }
    const order = shuffle(jobs, rand)
    let next = 0
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < order.length) await order[next++]!()
      }),
    )

    // The model: per field, the write with the newest time. Billing's write is the billing state
    // (the billing tests' own model) stamped with its newest subscription event.
    const model = new Map<string, ModelRelation>()
    const apply = (email: string, t: number, status: unknown, params: Record<string, unknown>) => {
      const m: ModelRelation = model.get(email) ?? { params: new Map() }
      model.set(email, m)
      if (status != null && (!m.status || t > m.status.t)) m.status = { t, v: status }
      for (const [k, v] of Object.entries(params)) {
        const kept = m.params.get(k)
        if (!kept || t > kept.t) m.params.set(k, { t, v })
      }
    }
    for (const w of writes) apply(w.email, w.t, w.status, w.params ?? {})
    const mapped = billing.map((e) => mapStripeEvent(e as unknown as Json)!)
    const billed = billingModel(mapped)
    for (const [email, relation] of billed.relations) {
      const created = (billing as { created: number; type: string; data: any }[])
        .filter((e) => e.type !== 'customer.created' && e.data.object.customer)
        .filter((e) => emailOf(Number(e.data.object.customer.slice('cus_nw_'.length))) === email)
        .map((e) => e.created)
      apply(email, Math.max(...created), relation.status, relation.params)
    }

    const rows = await served.db
      .selectFrom('customer_projects as r')
      .innerJoin('customers as c', 'c.id', 'r.customer_id')
      .select(['c.email', 'r.status', 'r.params'])
      .where('r.project_id', '=', project.id)
      .execute()
    const actual = Object.fromEntries(rows.map((r) => [r.email, { s: r.status, p: r.params }]))
    const expected = Object.fromEntries(
      [...model].map(([email, m]) => [
        email,
        {
          s: m.status?.v ?? 'free',
          p: Object.fromEntries(
            [...m.params].filter(([, s]) => s.v !== null).map(([k, s]) => [k, s.v]),
          ),
        },
      ]),
    )
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort())
    for (const email of Object.keys(expected)) {
      expect({ email, ...actual[email] }).toEqual({ email, ...expected[email] })
    }
    // The customers' summary columns followed every status the race settled on.
    expect(await summaryMismatches(served.db, seeded.accountId)).toEqual([])
  }, 120_000)
})
