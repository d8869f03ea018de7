// A billing customer's name: what Stripe's customer object, checkout session or invoice (or
// Paddle's customer entity) names its customer fills the TinyCRM customer's name while they have
// none. A name the product gave (identify, the dashboard, an import) is never replaced by billing,
// nor is the first name billing gave; a name TinyCRM could not store is left out and the event
// applied all the same.
import { beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { postJson, seedAccount } from '../../test/support/fixtures.js'
import { signatureHeaders, type Delivery } from '../../test/support/billing-replay.js'
import { PaddleAccount } from '../../test/support/paddle-account.js'
import { StripeAccount } from '../../test/support/stripe-account.js'
import { renameCustomer } from '../customers/customer.js'
import { createProject } from '../projects/store.js'
import { mergeCustomers } from '../merges/store.js'
import { createConnection, webhookPath } from './connections.js'

const SECRET = 'whsec_name_test_0123456789abcdef'
const PADDLE_SECRET = 'pdl_ntfset_01nametest_abcdefghijklmnop'
const T = 1_790_000_000

const t = useTestApp()
let seeded: Awaited<ReturnType<typeof seedAccount>>
const hooks: Record<Delivery['provider'], { path: string; secret: string }> = {
  stripe: { path: '', secret: SECRET },
  paddle: { path: '', secret: PADDLE_SECRET },
}

beforeAll(async () => {
  seeded = await seedAccount(t.db, ['App A'])
  for (const provider of ['stripe', 'paddle'] as const) {
    const connection = await createConnection(t.db, {
      accountId: seeded.accountId,
      projectId: seeded.projects[0]!.project.id,
      provider,
      signingSecret: hooks[provider].secret,
    })
    hooks[provider].path = webhookPath(connection!.id)
  }
})

let accounts = 0
const stripeAccount = () => new StripeAccount(`nm${++accounts}`)

/** Posts the account's latest event to its connection (or the one at `to`), signed as its
 *  provider signs. */
async function deliverLatest(account: StripeAccount | PaddleAccount, to?: string) {
  const provider = account instanceof StripeAccount ? 'stripe' : 'paddle'
  const { secret } = hooks[provider]
  const path = to ?? hooks[provider].path
  const body = JSON.stringify(account.events.at(-1))
  const res = await t.app.request(path, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...signatureHeaders({ path, provider, secret, body }),
    },
    body,
  })
  return { status: res.status, body: (await res.json()) as any }
}

const identify = (body: Record<string, unknown>) =>
  postJson(t.app, '/v1/identify', seeded.projects[0]!.key, body)

async function nameOf(email: string) {
  const row = await t.db
    .selectFrom('customers')
    .select('name')
    .where('account_id', '=', seeded.accountId)
    .where('email', '=', email)
    .executeTakeFirst()
  return row?.name
}

describe("Stripe's customer name", () => {
  it('names a customer who arrived through Stripe, or one the product knows without a name', async () => {
    const stripe = stripeAccount()
    stripe.createCustomer('jane@example.com', T, { name: 'Jane Doe' })
    expect((await deliverLatest(stripe)).status).toBe(200)
    expect(await nameOf('jane@example.com')).toBe('Jane Doe')

    await identify({ email: 'nameless@example.com' })
    stripe.createCustomer('nameless@example.com', T, { name: '  Max Mustermann  ' })
    await deliverLatest(stripe)
    expect(await nameOf('nameless@example.com')).toBe('Max Mustermann')
  })

  it("never replaces the product's name: identify's, the dashboard's", async () => {
    const stripe = stripeAccount()
    await identify({ email: 'sdk@example.com', name: 'Ada from the app' })
    stripe.createCustomer('sdk@example.com', T, { name: 'Ada Stripe' })
    await deliverLatest(stripe)
    expect(await nameOf('sdk@example.com')).toBe('Ada from the app')

    const renamed = await identify({ email: 'renamed@example.com' })
    await renameCustomer(t.db, seeded.accountId, renamed.body.customerId, 'Grace (dashboard)')
    const customer = stripe.createCustomer('renamed@example.com', T, { name: 'Grace Stripe' })
    await deliverLatest(stripe)
    stripe.rename(customer, 'Grace Stripe II', T + 10)
    await deliverLatest(stripe)
    expect(await nameOf('renamed@example.com')).toBe('Grace (dashboard)')
  })

  it('fills an empty name only: a later Stripe name changes nothing, a later identify wins', async () => {
    const stripe = stripeAccount()
    const customer = stripe.createCustomer('ann@example.com', T, { name: 'Ann Stripe' })
    await deliverLatest(stripe)
    stripe.rename(customer, 'Ann Renamed In Stripe', T + 10)
    await deliverLatest(stripe)
    expect(await nameOf('ann@example.com')).toBe('Ann Stripe')
    await identify({ email: 'ann@example.com', name: 'Ann App' })
    expect(await nameOf('ann@example.com')).toBe('Ann App')
  })

  it('names a customer from the name typed at checkout, and from an invoice', async () => {
    const stripe = stripeAccount()
    stripe.checkout(null, T, { amount: 900, email: 'guest-name@example.com', name: 'Gus Guest' })
    expect((await deliverLatest(stripe)).status).toBe(200)
    expect(await nameOf('guest-name@example.com')).toBe('Gus Guest')

    // Only the invoice arrives (the customer's own events were not subscribed to).
    const plan = stripe.price({ amount: 900, monthly: 9 })
    const customer = stripe.createCustomer('ivy@example.com', T, { name: 'Ivy Invoice' })
    const sub = stripe.subscribe(customer, [{ price: plan }], T + 60)
    stripe.invoice(sub, T + 60, { amount: 900, paid: true })
    expect((await deliverLatest(stripe)).status).toBe(200)
    expect(await nameOf('ivy@example.com')).toBe('Ivy Invoice')
  })

  it.each([
    ['a NUL character', 'Jane\u0000Doe'],
    ['half of a surrogate pair', 'Jane \ud83d'],
    ['only spaces', '   '],
    ['over 500 characters, as identify refuses', 'J'.repeat(501)],
  ])('leaves out a name with %s, and applies the event', async (_, name) => {
    const stripe = stripeAccount()
    const email = `bad${accounts}@example.com`
    stripe.createCustomer(email, T, { name })
    const res = await deliverLatest(stripe)
    expect(res).toMatchObject({ status: 200, body: { duplicate: false, waiting: false } })
    expect(res.body.customerId).toEqual(expect.any(Number))
    expect(await nameOf(email)).toBeNull()
  })

  it('an email absorbed by a merge names its survivor, when the survivor has no name', async () => {
    const merge = async (kept: string, gone: string, name?: string) => {
      const survivor = await identify({ email: kept, name })
      const absorbed = await identify({ email: gone })
      await mergeCustomers(t.db, {
        accountId: seeded.accountId,
        survivorId: survivor.body.customerId,
        absorbedId: absorbed.body.customerId,
        actor: 'test',
      })
    }
    const stripe = stripeAccount()
    await merge('kept@example.com', 'gone@example.com')
    stripe.createCustomer('gone@example.com', T, { name: 'Kim Stripe' })
    await deliverLatest(stripe)
    expect(await nameOf('kept@example.com')).toBe('Kim Stripe')

    await merge('kept2@example.com', 'gone2@example.com', 'Kim App')
    stripe.createCustomer('gone2@example.com', T, { name: 'Kim Stripe' })
    await deliverLatest(stripe)
    expect(await nameOf('kept2@example.com')).toBe('Kim App')
  })
})

describe('on a connection with a product list', () => {
  it('keeps the name of customer.created until a subscription to a listed product writes the customer', async () => {
    const { project } = await createProject(t.db, {
      accountId: seeded.accountId,
      name: 'App Listed',
    })
    const stripe = stripeAccount()
    const plan = stripe.price({ amount: 900, monthly: 9 })
    const connection = await createConnection(t.db, {
      accountId: seeded.accountId,
      projectId: project.id,
      provider: 'stripe',
      signingSecret: SECRET,
      products: [plan.price.product as string],
    })
    const path = webhookPath(connection!.id)
    const customer = stripe.createCustomer('listed@example.com', T, { name: 'Lee Listed' })
    expect((await deliverLatest(stripe, path)).status).toBe(200)
    expect(await nameOf('listed@example.com')).toBeUndefined() // no product bought yet: no one
    stripe.rename(customer, 'Lee Renamed', T + 30)
    await deliverLatest(stripe, path)
    stripe.subscribe(customer, [{ price: plan }], T + 60)
    expect((await deliverLatest(stripe, path)).status).toBe(200)
    expect(await nameOf('listed@example.com')).toBe('Lee Renamed')
  })
})

describe("Paddle's customer name", () => {
  const MS = T * 1000

  it('names a customer who has none, keeps the name identify gave, leaves out a NUL one', async () => {
    const paddle = new PaddleAccount('nm')
    paddle.createCustomer('li@example.com', MS, { name: 'Li Paddle' })
    await deliverLatest(paddle)
    expect(await nameOf('li@example.com')).toBe('Li Paddle')

    await identify({ email: 'mo@example.com', name: 'Mo App' })
    paddle.createCustomer('mo@example.com', MS, { name: 'Mo Paddle' })
    await deliverLatest(paddle)
    expect(await nameOf('mo@example.com')).toBe('Mo App')

    paddle.createCustomer('nul@example.com', MS, { name: 'Nu\u0000l' })
    expect((await deliverLatest(paddle)).body).toMatchObject({ customerId: expect.any(Number) })
    expect(await nameOf('nul@example.com')).toBeNull()
  })
})
