// The Stripe recipe of sdk/README.md ("Payment webhooks"), run as written: its code block is
// written to a file and imported, then fed events signed by the official `stripe` package. The
// SDK, the app and the database are real; the one stand-in is Stripe's API behind
// `stripe.customers.retrieve`, answered from a map here (no network in tests).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import Stripe from 'stripe'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { useTestApp } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'

const { emails } = vi.hoisted(() => ({ emails: new Map<string, string>() }))
vi.mock('stripe', async (importOriginal) => {
  const real = (await importOriginal()) as { default: typeof Stripe }
  class LocalStripe extends real.default {
    constructor(key: string) {
      super(key)
      Object.assign(this, {
        customers: {
          retrieve: async (id: string) => ({
            id,
            object: 'customer',
            email: emails.get(id) ?? null,
          }),
        },
      })
    }
  }
  return { ...real, default: LocalStripe }
})

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SECRET = 'whsec_recipe_ABCDEFGHIJKLMNOP'
const T = 1_790_000_000

/** The ```ts block under "### Stripe" in the "## Payment webhooks" section of sdk/README.md. */
function recipe(): string {
  const readme = readFileSync(`${ROOT}/sdk/README.md`, 'utf8')
  const section = readme.slice(readme.indexOf('## Payment webhooks'))
  const stripePart = section.slice(section.indexOf('### Stripe'))
  const code = /```ts\n([\s\S]*?)```/.exec(stripePart)?.[1]
  if (!code) throw new Error('no Stripe recipe in sdk/README.md')
  return code
}

const t = useTestApp({ listen: true })
let seeded: Awaited<ReturnType<typeof seedAccount>>
let POST: (req: Request) => Promise<Response>
const stripe = new Stripe('sk_test_not_used')

beforeAll(async () => {
  seeded = await seedAccount(t.db)
  process.env.TINYCRM_URL = t.baseUrl
  process.env.TINYCRM_API_KEY = seeded.projects[0]!.key
  process.env.STRIPE_SECRET_KEY = 'sk_test_recipe'
  process.env.STRIPE_WEBHOOK_SECRET = SECRET
  const dir = `${ROOT}/test-artifacts`
  mkdirSync(dir, { recursive: true })
  const file = `${dir}/stripe-recipe-${process.pid}.ts`
  writeFileSync(file, recipe())
  ;({ POST } = (await import(/* @vite-ignore */ file)) as { POST: typeof POST })
})

let n = 0
async function deliver(
  type: string,
  object: object,
  opts: { secret?: string; body?: string; created?: number } = {},
) {
  const created = opts.created ?? T + ++n
  const payload =
    opts.body ??
    JSON.stringify({ id: `evt_${++n}`, object: 'event', created, type, data: { object } })
  const header = stripe.webhooks.generateTestHeaderString({
    payload,
    secret: opts.secret ?? SECRET,
  })
  const res = await POST(
    new Request('https://app.example/api/webhooks/stripe', {
      method: 'POST',
      headers: { 'stripe-signature': header },
      body: payload,
    }),
  )
  return { status: res.status, text: await res.text(), payload }
}

function subscription(status: string, over: Record<string, unknown> = {}) {
  return {
    id: 'sub_1',
    object: 'subscription',
    customer: 'cus_1',
    currency: 'usd',
    status,
    trial_end: status === 'trialing' ? T + 14 * 86_400 : null,
    items: {
      data: [
        {
          quantity: 2,
          price: {
            id: 'price_1',
            lookup_key: 'pro',
            unit_amount: 1450,
            recurring: { interval: 'month', interval_count: 1 },
          },
        },
      ],
    },
    ...over,
  }
}

async function relation(email: string) {
  return t.db
    .selectFrom('customer_projects as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .select(['r.status', 'r.params'])
    .where('c.account_id', '=', seeded.accountId)
    .where('c.email', '=', email)
    .executeTakeFirst()
}

describe("sdk/README.md's Stripe recipe", () => {
  it('maps the subscription statuses, and a trial is a trial', async () => {
    emails.set('cus_1', 'alex@example.com')
    expect((await deliver('customer.subscription.created', subscription('trialing'))).status).toBe(
      200,
    )
    expect(await relation('alex@example.com')).toEqual({
      status: 'trial',
      params: {
        billing_status: 'trialing',
        plan: 'pro',
        mrr: 0,
        currency: 'USD',
        trial_ends: new Date((T + 14 * 86_400) * 1000).toISOString(),
        billing_customer_id: 'cus_1',
      },
    })
    const expected: [string, string][] = [
      ['active', 'paid'],
      ['past_due', 'paid'],
      ['unpaid', 'churned'],
      ['paused', 'churned'],
      ['active', 'paid'],
      ['incomplete', 'paid'], // no status: it stays as it was
      ['canceled', 'churned'],
      ['incomplete_expired', 'churned'],
    ]
    for (const [status, tinycrm] of expected) {
      expect((await deliver('customer.subscription.updated', subscription(status))).status).toBe(
        200,
      )
      const row = await relation('alex@example.com')
      expect(row?.status, status).toBe(tinycrm)
      expect(row?.params.billing_status).toBe(status)
    }
  })

  it('normalises mrr to a month: quantity, yearly prices, zero-decimal currencies', async () => {
    emails.set('cus_2', 'sam@example.com')
    await deliver('customer.subscription.created', subscription('active', { customer: 'cus_2' }))
    expect((await relation('sam@example.com'))!.params.mrr).toBe(29)
    const yearly = {
      data: [
        {
          quantity: 1,
          price: {
            id: 'p',
            unit_amount: 29000,
            recurring: { interval: 'year', interval_count: 1 },
          },
        },
      ],
    }
    await deliver(
      'customer.subscription.updated',
      subscription('active', { customer: 'cus_2', items: yearly }),
    )
    expect((await relation('sam@example.com'))!.params.mrr).toBe(24.17)
    const yen = {
      data: [
        {
          quantity: 1,
          price: {
            id: 'p',
            unit_amount: 3000,
            recurring: { interval: 'month', interval_count: 1 },
          },
        },
      ],
    }
    await deliver(
      'customer.subscription.updated',
      subscription('active', { customer: 'cus_2', currency: 'jpy', items: yen }),
    )
    expect((await relation('sam@example.com'))!.params).toMatchObject({
      mrr: 3000,
      currency: 'JPY',
    })
  })

  it('answers 400 to a bad signature, and 2xx to duplicates and to other events', async () => {
    emails.set('cus_3', 'kim@example.com')
    const bad = await deliver(
      'customer.subscription.created',
      subscription('active', { customer: 'cus_3' }),
      {
        secret: 'whsec_someone_else',
      },
    )
    expect(bad.status).toBe(400)
    expect(bad.text).toMatch(/^Bad signature/)
    expect(await relation('kim@example.com')).toBeUndefined()

    const first = await deliver(
      'customer.subscription.created',
      subscription('active', { customer: 'cus_3' }),
    )
    const again = await deliver('', {}, { body: first.payload })
    expect([first.status, again.status]).toEqual([200, 200])
    expect((await relation('kim@example.com'))!.status).toBe('paid')
    expect((await deliver('checkout.session.completed', { id: 'cs_1' })).status).toBe(200)
  })

  it('keeps the newer status when an older event arrives late', async () => {
    emails.set('cus_4', 'noa@example.com')
    const at = T + 86_400 // a day on, so no earlier delivery in this file is newer
    const paid = await deliver(
      'customer.subscription.updated',
      subscription('active', { customer: 'cus_4' }),
      { created: at + 3600 },
    )
    const trialLate = await deliver(
      'customer.subscription.created',
      subscription('trialing', { customer: 'cus_4' }),
      { created: at },
    )
    expect([paid.status, trialLate.status]).toEqual([200, 200])
    expect(await relation('noa@example.com')).toMatchObject({
      status: 'paid',
      params: { billing_status: 'active' },
    })
  })
})
