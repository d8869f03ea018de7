// Routing by product: one Stripe (or Paddle) account selling two products, connected to two
// projects, each listing its own product. A subscription lands in the project of its product, one
// with both products counts each item in its own project, events that name no product make no
// relation in a project the customer never bought from, and a connection without a list still
// takes everything. Then the account API's checks, and the migration on existing connections.
import { createHmac } from 'node:crypto'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { Kysely, PGliteDialect, sql } from 'kysely'
import { Migrator } from 'kysely/migration'
import Stripe from 'stripe'
import { beforeEach, describe, expect, it } from 'vitest'
import { migrations } from '../../migrations/index.js'
import { createAccountToken } from '../account-api/tokens.js'
import type { Database } from '../db/schema.js'
import { useTestApp } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { createConnection, webhookPath } from './connections.js'

const stripe = new Stripe('sk_test_not_used')
const SECRET_A = 'whsec_products_A_0123456789abcdef'
const SECRET_B = 'whsec_products_B_0123456789abcdef'
const PADDLE_SECRET = 'pdl_ntfset_01productstest_abcdefghij'
const T = 1_790_000_000

const t = useTestApp()
let seeded: Awaited<ReturnType<typeof seedAccount>>

const project = (i: number) => seeded.projects[i]!.project.id

async function connect(
  i: number,
  provider: 'stripe' | 'paddle',
  secret: string,
  products?: string[],
) {
  const c = await createConnection(t.db, {
    accountId: seeded.accountId,
    projectId: project(i),
    provider,
    signingSecret: secret,
    products,
  })
  return webhookPath(c!.id)
}

let n = 0
const event = (type: string, object: Record<string, unknown>, created = T) => ({
  id: `evt_p${++n}`,
  object: 'event',
  created,
  type,
  data: { object },
})

async function post(path: string, secret: string, body: unknown) {
  const payload = JSON.stringify(body)
  const header = stripe.webhooks.generateTestHeaderString({ payload, secret })
  const res = await t.app.request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Stripe-Signature': header },
    body: payload,
  })
  return { status: res.status, body: (await res.json()) as any }
}

async function postPaddle(path: string, body: unknown) {
  const payload = JSON.stringify(body)
  const ts = Math.floor(Date.now() / 1000)
  const h1 = createHmac('sha256', PADDLE_SECRET).update(`${ts}:${payload}`).digest('hex')
  const res = await t.app.request(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Paddle-Signature': `ts=${ts};h1=${h1}` },
    body: payload,
  })
  return { status: res.status, body: (await res.json()) as any }
}

async function relation(email: string, i: number) {
  return t.db
    .selectFrom('customer_projects as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .select(['r.status', 'r.params'])
    .where('c.account_id', '=', seeded.accountId)
    .where('c.email', '=', email)
    .where('r.project_id', '=', project(i))
    .executeTakeFirst()
}

/** A Stripe subscription item of `product` (an id, or an expanded product) at `cents` a month. */
const stripeItem = (product: unknown, cents: number, lookup: string) => ({
  quantity: 1,
  price: {
    id: `price_${lookup}`,
    lookup_key: lookup,
    product,
    unit_amount: cents,
    recurring: { interval: 'month', interval_count: 1 },
  },
})
const stripeSub = (id: string, customer: string, items: unknown[]) => ({
  id,
  object: 'subscription',
  customer,
  currency: 'usd',
  status: 'active',
  cancel_at_period_end: false,
  items: { data: items },
})

describe('one Stripe account, two projects, each listing its product', () => {
  let a: string
  let b: string
  beforeEach(async () => {
    seeded = await seedAccount(t.db)
    a = await connect(0, 'stripe', SECRET_A, ['prod_A'])
    b = await connect(1, 'stripe', SECRET_B, ['prod_B'])
  })

  /** Stripe sends every event of the account to both endpoints. */
  async function both(body: unknown) {
    return [await post(a, SECRET_A, body), await post(b, SECRET_B, body)]
  }

  it('puts a subscription in its product’s project only; other events are 200 ignored', async () => {
    await both(event('customer.created', { id: 'cus_a', email: 'ann@example.com' }))
    await both(event('customer.created', { id: 'cus_b', email: 'bob@example.com' }))
    // customer.created names no product: no relation anywhere yet.
    expect(await relation('ann@example.com', 0)).toBeUndefined()
    expect(await relation('ann@example.com', 1)).toBeUndefined()

    const subA = stripeSub('sub_a', 'cus_a', [stripeItem('prod_A', 3800, 'a-pro')])
    const [toA, toB] = await both(event('customer.subscription.created', subA))
    expect(toA).toMatchObject({ status: 200, body: { received: true } })
    expect(toA!.body.ignored).toBeUndefined()
    expect(toB).toEqual({ status: 200, body: { received: true, ignored: true } })
    // Expanded product objects are read too.
    const subB = stripeSub('sub_b', 'cus_b', [stripeItem({ id: 'prod_B', name: 'B' }, 900, 'b')])
    await both(event('customer.subscription.created', subB))

    expect(await relation('ann@example.com', 0)).toMatchObject({
      status: 'paid',
      params: { mrr: 38, plan: 'a-pro' },
    })
    expect(await relation('ann@example.com', 1)).toBeUndefined()
    expect(await relation('bob@example.com', 1)).toMatchObject({
      status: 'paid',
      params: { mrr: 9, plan: 'b' },
    })
    expect(await relation('bob@example.com', 0)).toBeUndefined()

    // A later customer.updated and invoice reach only the project that has the customer.
    await both(event('customer.updated', { id: 'cus_a', email: 'ann@example.com' }, T + 5))
    const invoice = {
      id: 'in_1',
      object: 'invoice',
      customer: 'cus_a',
      customer_email: 'ann@example.com',
      subscription: 'sub_a',
      amount_paid: 3800,
      billing_reason: 'subscription_cycle',
      lines: {
        has_more: false,
        data: [
          { type: 'subscription', amount: 3800, price: stripeItem('prod_A', 3800, 'x').price },
        ],
      },
    }
    const [invA, invB] = await both(event('invoice.paid', invoice, T + 6))
    expect(invA!.body.ignored).toBeUndefined()
    expect(invB!.body).toEqual({ received: true, ignored: true })
    expect(await relation('ann@example.com', 1)).toBeUndefined()
  })

  it('counts each item of a two-product subscription in its own project', async () => {
    await both(event('customer.created', { id: 'cus_c', email: 'cy@example.com' }))
    const sub = stripeSub('sub_c', 'cus_c', [
      stripeItem('prod_A', 3800, 'a-pro'),
      stripeItem('prod_B', 900, 'b-basic'),
    ])
    await both(event('customer.subscription.created', sub))
    expect(await relation('cy@example.com', 0)).toMatchObject({
      status: 'paid',
      params: { mrr: 38, plan: 'a-pro' },
    })
    expect(await relation('cy@example.com', 1)).toMatchObject({
      status: 'paid',
      params: { mrr: 9, plan: 'b-basic' },
    })
  })

  it('makes no relation from events that name no product, in either project', async () => {
    await both(event('customer.created', { id: 'cus_d', email: 'dee@example.com' }))
    await both(event('customer.updated', { id: 'cus_d', email: 'dee@example.com' }, T + 1))
    // A webhook's checkout session has no line items.
    await both(
      event('checkout.session.completed', {
        id: 'cs_1',
        object: 'checkout.session',
        mode: 'subscription',
        customer: 'cus_d',
        customer_details: { email: 'dee@example.com' },
        subscription: 'sub_d',
        payment_status: 'paid',
        amount_total: 3800,
      }),
    )
    await both(
      event('charge.refunded', {
        id: 'ch_1',
        object: 'charge',
        customer: 'cus_d',
        payment_intent: 'pi_1',
        refunded: true,
        billing_details: { email: 'dee@example.com' },
      }),
    )
    expect(await relation('dee@example.com', 0)).toBeUndefined()
    expect(await relation('dee@example.com', 1)).toBeUndefined()
    // The email is remembered: the subscription's own event (no email in it) lands in A.
    const sub = stripeSub('sub_d', 'cus_d', [stripeItem('prod_A', 3800, 'a-pro')])
    await both(event('customer.subscription.created', sub, T + 2))
    expect(await relation('dee@example.com', 0)).toMatchObject({ status: 'paid' })
    expect(await relation('dee@example.com', 1)).toBeUndefined()
  })

  it('still takes everything on a connection without a list', async () => {
    const all = await connect(0, 'stripe', 'whsec_products_all_0123456789ab')
    await post(
      all,
      'whsec_products_all_0123456789ab',
      event('customer.created', { id: 'cus_e', email: 'eve@example.com' }),
    )
    expect(await relation('eve@example.com', 0)).toMatchObject({ status: 'free' })
    const sub = stripeSub('sub_e', 'cus_e', [stripeItem('prod_B', 900, 'b')])
    await post(all, 'whsec_products_all_0123456789ab', event('customer.subscription.created', sub))
    expect(await relation('eve@example.com', 0)).toMatchObject({
      status: 'paid',
      params: { mrr: 9 },
    })
  })
})

describe('Paddle', () => {
  it('routes subscriptions and transactions by product, customers only where known', async () => {
    seeded = await seedAccount(t.db)
    const a = await connect(0, 'paddle', PADDLE_SECRET, ['pro_a'])
    const b = await connect(1, 'paddle', PADDLE_SECRET, ['pro_b'])
    let k = 0
    const note = (event_type: string, data: unknown) => ({
      event_id: `evt_pdl_${++k}`,
      event_type,
      occurred_at: `2026-10-01T00:00:${String(k).padStart(2, '0')}.000000Z`,
      data,
    })
    const both = async (body: unknown) => [await postPaddle(a, body), await postPaddle(b, body)]
    const item = (product: string, amount: string) => ({
      status: 'active',
      quantity: 1,
      recurring: true,
      price: {
        id: `pri_${product}`,
        product_id: product,
        billing_cycle: { interval: 'month', frequency: 1 },
        unit_price: { amount, currency_code: 'USD' },
      },
      product: { id: product, name: product.toUpperCase() },
    })
    const sub = (id: string, customer: string, items: unknown[]) => ({
      id,
      status: 'active',
      customer_id: customer,
      currency_code: 'USD',
      billing_cycle: { interval: 'month', frequency: 1 },
      items,
    })
    await both(note('customer.created', { id: 'ctm_1', email: 'pat@example.com' }))
    await both(note('customer.created', { id: 'ctm_2', email: 'quin@example.com' }))
    expect(await relation('pat@example.com', 0)).toBeUndefined()
    expect(await relation('pat@example.com', 1)).toBeUndefined()

    const [toA, toB] = await both(
      note('subscription.created', sub('sub_1', 'ctm_1', [item('pro_a', '3800')])),
    )
    expect(toA!.body.ignored).toBeUndefined()
    expect(toB!.body).toEqual({ received: true, ignored: true })
    await both(
      note(
        'subscription.created',
        sub('sub_2', 'ctm_2', [item('pro_a', '3800'), item('pro_b', '900')]),
      ),
    )
    // A one-time purchase of B: a transaction without a subscription, routed by its items.
    await both(
      note('transaction.completed', {
        id: 'txn_1',
        customer_id: 'ctm_1',
        currency_code: 'USD',
        items: [{ price: { id: 'pri_x', product_id: 'pro_b' }, quantity: 1 }],
        details: { totals: { grand_total: '4900' } },
      }),
    )

    expect(await relation('pat@example.com', 0)).toMatchObject({
      status: 'paid',
      params: { mrr: 38, plan: 'PRO_A' },
    })
    expect(await relation('pat@example.com', 1)).toMatchObject({
      status: 'paid',
      params: { mrr: 0 },
    })
    expect(await relation('quin@example.com', 0)).toMatchObject({ params: { mrr: 38 } })
    expect(await relation('quin@example.com', 1)).toMatchObject({
      params: { mrr: 9, plan: 'PRO_B' },
    })
  })
})

describe('the account API', () => {
  let token: string
  beforeEach(async () => {
    seeded = await seedAccount(t.db)
    token = (await createAccountToken(t.db, seeded.accountId, 'script')).token
  })
  async function call(method: string, path: string, body?: unknown) {
    const res = await t.app.request(`http://crm.example${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    return { status: res.status, body: (await res.json()) as any }
  }

  it('takes a list when connecting, lists it, changes it, and refuses bad ones naming products', async () => {
    const made = await call('POST', '/v1/projects/app-a/billing', {
      provider: 'stripe',
      products: ['prod_A', 'prod_A', ' prod_Q1 '],
    })
    expect(made).toMatchObject({ status: 201, body: { products: ['prod_A', 'prod_Q1'] } })
    const list = await call('GET', '/v1/projects/app-a/billing')
    expect(list.body.connections[0].products).toEqual(['prod_A', 'prod_Q1'])

    const bad = async (body: unknown) => {
      const res = await call('POST', '/v1/projects/app-a/billing', body)
      expect(res.status).toBe(400)
      expect(res.body.error.code).toBe('validation_failed')
      expect(res.body.error.details.map((d: any) => d.path)).toContain('products')
      return res.body.error.message as string
    }
    expect(await bad({ provider: 'stripe', products: 'prod_A' })).toMatch(/array/)
    expect(await bad({ provider: 'stripe', products: [42] })).toMatch(/array/)
    expect(await bad({ provider: 'stripe', products: ['price_1'] })).toMatch(/price id/)
    expect(await bad({ provider: 'stripe', products: ['two words'] })).toMatch(
      /not a Stripe product/,
    )
    expect(await bad({ provider: 'paddle', products: ['prod_A'] })).toMatch(/Paddle product id/)
    const many = Array.from({ length: 51 }, (_, i) => `prod_${i}`)
    expect(await bad({ provider: 'stripe', products: many })).toMatch(/at most 50/)

    const id = made.body.id
    const changed = await call('PUT', `/v1/projects/app-a/billing/${id}`, { products: ['prod_B'] })
    expect(changed).toMatchObject({ status: 200, body: { ok: true, products: ['prod_B'] } })
    // A refused list changes nothing, not even a secret given with it.
    const refused = await call('PUT', `/v1/projects/app-a/billing/${id}`, {
      products: ['cus_1'],
      signingSecret: 'whsec_would_be_set_0123456789',
    })
    expect(refused.status).toBe(400)
    const after = (await call('GET', '/v1/projects/app-a/billing')).body.connections[0]
    expect(after).toMatchObject({ products: ['prod_B'], hasSecret: false })
    expect((await call('PUT', `/v1/projects/app-a/billing/${id}`, {})).status).toBe(400)
    const cleared = await call('PUT', `/v1/projects/app-a/billing/${id}`, { products: [] })
    expect(cleared.body.products).toEqual([])
  })
})

it('the migration keeps existing connections unfiltered', async () => {
  const pglite = await PGlite.create('memory://', {
    parsers: { 20: (v: string) => Number(v) },
    extensions: { pg_trgm },
  })
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) })
  try {
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
    const before = await migrator.migrateTo('2026-11-30T07-import-upload-progress')
    if (before.error) throw before.error
    const accountId = (
      await sql<{ id: number }>`INSERT INTO accounts (name) VALUES ('Acme') RETURNING id`.execute(
        db,
      )
    ).rows[0]!.id
    const projectId = (
      await sql<{ id: number }>`INSERT INTO projects (account_id, name, slug)
        VALUES (${accountId}, 'App A', 'app-a') RETURNING id`.execute(db)
    ).rows[0]!.id
    await sql`INSERT INTO billing_connections (id, account_id, project_id, provider)
      VALUES ('bill_old', ${accountId}, ${projectId}, 'stripe')`.execute(db)
    const after = await migrator.migrateTo('2026-11-30T08-billing-products')
    if (after.error) throw after.error
    const row = await db
      .selectFrom('billing_connections')
      .select('products')
      .executeTakeFirstOrThrow()
    expect(row.products).toEqual([])
    await expect(
      sql`UPDATE billing_connections SET products = '{}'::jsonb`.execute(db),
    ).rejects.toThrow(/billing_connections_products_array/)
  } finally {
    await db.destroy()
  }
})
