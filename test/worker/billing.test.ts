// The billing replay inside workerd: the Stripe fixture signed with the official `stripe` package
// (its Web Crypto signer, as on Workers), posted to the Worker shuffled, each 1–3 times, some first
// attempts failing at the database (Neon's HTTP endpoint answering 503 to the write) and retried;
// the database, read through Neon's driver, ends equal to the reference model. Signatures are
// checked by the Worker's own code path: Web Crypto, then Neon over HTTP, one write statement.
import { env } from 'cloudflare:workers'
import { neon, neonConfig, type NeonQueryFunction } from '@neondatabase/serverless'
import Stripe from 'stripe'
import { afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import worker, { type WorkerEnv } from '../../src/worker.js'
import { mapStripeEvent } from '../../src/billing/stripe.js'
import type { Json } from '../../src/billing/events.js'
import { billingModel, withoutNulls } from '../support/billing-model.js'
import { random, shuffle } from '../support/billing-replay-core.js'
import { stripeFixture } from '../support/stripe-fixture.js'

const { accountId } = inject('worker')
const bindings = env as unknown as WorkerEnv
const ctx = { waitUntil() {}, passThroughOnException() {} } as unknown as ExecutionContext
const stripe = new Stripe('sk_test_not_used')

let sql: NeonQueryFunction<false, false>
beforeAll(() => {
  neonConfig.fetchEndpoint = () => bindings.NEON_FETCH_ENDPOINT!
  sql = neon(bindings.DATABASE_URL!)
})
afterEach(() => {
  neonConfig.fetchFunction = undefined
  vi.restoreAllMocks()
})

async function post(path: string, secret: string, body: string, failWrite: boolean) {
  const header = await stripe.webhooks.generateTestHeaderStringAsync({ payload: body, secret })
  if (failWrite) {
    // The request's second query (its write) meets a database that is down.
    let queries = 0
    neonConfig.fetchFunction = (input: RequestInfo, init?: RequestInit) =>
      ++queries === 2
        ? Promise.resolve(new Response('upstream unavailable', { status: 503 }))
        : fetch(input, init)
  }
  try {
    const request = new Request(`https://tinycrm.example${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Stripe-Signature': header },
      body,
    })
    const res = await worker.fetch(request as Parameters<typeof worker.fetch>[0], bindings, ctx)
    return { status: res.status, body: (await res.json()) as any }
  } finally {
    neonConfig.fetchFunction = undefined
  }
}

describe('billing webhooks in workerd', () => {
  it('end equal to the model after a shuffled, duplicated run with database failures', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const projects = (await sql`
      SELECT id, slug FROM projects WHERE account_id = ${accountId} AND slug IN ('app-a', 'app-b')
      ORDER BY slug`) as { id: number; slug: string }[]
    const fixture = stripeFixture()
    const deliveries: { path: string; secret: string; body: string }[] = []
    const models = []
    for (const [i, project] of fixture.entries()) {
      const id = `bill_worker${i}${'W'.repeat(24 - 6 - String(i).length)}`
      const secret = `whsec_worker${i}_${'w'.repeat(24)}`
      await sql`INSERT INTO billing_connections (id, account_id, project_id, provider, signing_secret)
        VALUES (${id}, ${accountId}, ${projects[i]!.id}, 'stripe', ${secret})`
      for (const e of project.account.events) {
        deliveries.push({ path: `/v1/billing/webhooks/${id}`, secret, body: JSON.stringify(e) })
      }
      models.push(
        billingModel(
          project.account.events.map((e) => mapStripeEvent(e as unknown as Json)!).filter(Boolean),
        ),
      )
    }

    const rnd = random(7)
    const queue = shuffle(
      deliveries.flatMap((d) => Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => d)),
      rnd,
    ).map((d) => ({ d, fail: rnd() < 0.1 }))
    let failed = 0
    let duplicates = 0
    for (let item = queue.shift(); item; item = queue.shift()) {
      const res = await post(item.d.path, item.d.secret, item.d.body, item.fail)
      if (res.status === 503) {
        failed++
        queue.splice(Math.floor(rnd() * (queue.length + 1)), 0, { d: item.d, fail: false })
        continue
      }
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      if (res.body.duplicate) duplicates++
    }
    expect(failed).toBeGreaterThan(0)
    expect(duplicates).toBeGreaterThan(0)

    for (const [i, model] of models.entries()) {
      const rows = (await sql`
        SELECT c.email, r.status, r.params FROM customer_projects r
        JOIN customers c ON c.id = r.customer_id
        WHERE r.project_id = ${projects[i]!.id} AND r.params ? 'billing_customer_id'`) as {
        email: string
        status: string
        params: Record<string, unknown>
      }[]
      const actual = new Map(rows.map((r) => [r.email, { status: r.status, params: r.params }]))
      expect(actual.size).toBe(model.relations.size)
      for (const [email, modelled] of model.relations) {
        const candidates = fixture[i]!.emailsOf.get(email) ?? [email]
        const held = candidates.find((e) => actual.has(e))
        expect(held, email).toBeDefined()
        expect(actual.get(held!), email).toEqual({
          status: modelled.status,
          params: withoutNulls(modelled.params),
        })
      }
    }
  })

  it('refuses one changed byte with 400, and writes nothing', async () => {
    const [project] = (await sql`
      SELECT id FROM projects WHERE account_id = ${accountId} AND slug = 'app-a'`) as {
      id: number
    }[]
    const id = 'bill_workerTamper' + 'T'.repeat(12)
    const secret = 'whsec_tamper_' + 't'.repeat(20)
    await sql`INSERT INTO billing_connections (id, account_id, project_id, provider, signing_secret)
      VALUES (${id}, ${accountId}, ${project!.id}, 'stripe', ${secret})`
    const body = JSON.stringify({
      id: 'evt_tamper',
      created: 1_790_000_000,
      type: 'customer.created',
      data: { object: { id: 'cus_t', email: 'tamper@example.com' } },
    })
    const header = await stripe.webhooks.generateTestHeaderStringAsync({ payload: body, secret })
    const request = new Request(`https://tinycrm.example/v1/billing/webhooks/${id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Stripe-Signature': header },
      body: body.replace('tamper@', 'tamperx'),
    })
    const res = await worker.fetch(request as Parameters<typeof worker.fetch>[0], bindings, ctx)
    expect(res.status).toBe(400)
    const events = await sql`SELECT 1 FROM billing_events WHERE connection_id = ${id}`
    expect(events).toHaveLength(0)
  })
})
