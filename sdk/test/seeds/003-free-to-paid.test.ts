// Seed "See who converts from free to paid": a Next.js sign-up route marks the user as trial
// (fire-and-forget), then a Paddle webhook marks them paid. The route handlers are the seed's,
// verbatim between the markers; only `export` is dropped so two `POST`s can live in one test.
import { afterAll, beforeAll, expect, it } from 'vitest'
// As the seed writes it: vitest.config.ts resolves 'tinycrm-sdk' to sdk/src (the built package is
// tested as installed in package.test.ts).
import { TinyCRM } from 'tinycrm-sdk'
import { startAppServer, type AppServer } from '../app-server.js'

let server: AppServer
beforeAll(async () => {
  server = await startAppServer()
  process.env.TINYCRM_URL = server.url
})
afterAll(() => server.close())

// The Request type of a Next.js app (DOM lib): json() is Promise<any>. This repo's Workers types
// make it Promise<unknown>, which would reject the seed's `const { email, name } = await
// req.json()`.
type Request = Omit<globalThis.Request, 'json'> & { json(): Promise<any> }

// The product's own database and Paddle's signature check, as the seed assumes them.
const db = { user: { create: async ({ data }: { data: { email: string; name: string } }) => data } }
const verifyPaddleWebhook = async (req: Request): Promise<any> => req.json()

it('Before payment: [Product A: trial] trial_started_at … After payment: [Product A: paid] plan: pro, mrr: 29', async () => {
  const { keys, rows } = await server.seed(['Product A'])
  process.env.TINYCRM_API_KEY = keys[0]

  // --- seed: Step 1 — Sign-up handler: mark as trial
  const crm = new TinyCRM({
    apiKey: process.env.TINYCRM_API_KEY,
  })

  // app/api/auth/signup/route.ts
  async function POST(req: Request) {
    const { email, name } = await req.json()
    const user = await db.user.create({ data: { email, name } })

    // Track as trial — fire-and-forget
    crm.identify({
      email: user.email,
      name: user.name,
      status: 'trial',
      params: {
        trial_started_at: new Date().toISOString(),
        source: 'organic',
      },
    })

    return Response.json({ ok: true })
  }
  // --- end seed

  const signup = await POST(
    new Request('https://product-a.example/api/auth/signup', {
      method: 'POST',
      body: JSON.stringify({ email: 'alex@example.com', name: 'Alex' }),
    }),
  )
  expect(await signup.json()).toEqual({ ok: true })
  await crm.flush()

  const [before] = await rows()
  expect(before).toMatchObject({
    email: 'alex@example.com',
    badges: [{ project: 'Product A', status: 'trial', params: { source: 'organic' } }],
  })
  expect(before!.badges[0]!.params.trial_started_at).toEqual(expect.any(String))

  const paddle = (() => {
    // --- seed: Step 2 — Payment webhook: update to paid
    // app/api/webhooks/paddle/route.ts
    async function POST(req: Request) {
      const event = await verifyPaddleWebhook(req)

      if (event.event_type === 'subscription.activated') {
        const email = event.data.customer.email

        // Same email — TinyCRM upserts and updates status to paid
        crm.identify({
          email,
          status: 'paid',
          params: {
            plan: event.data.items[0].price.name,
            mrr: event.data.items[0].recurring_totals.total / 100,
            converted_at: new Date().toISOString(),
          },
        })
      }

      return new Response('ok')
    }
    // --- end seed
    return POST
  })()

  const webhook = await paddle(
    new Request('https://product-a.example/api/webhooks/paddle', {
      method: 'POST',
      body: JSON.stringify({
        event_type: 'subscription.activated',
        data: {
          customer: { email: 'alex@example.com' },
          items: [{ price: { name: 'pro' }, recurring_totals: { total: '2900' } }],
        },
      }),
    }),
  )
  expect(await webhook.text()).toBe('ok')
  await crm.flush()

  const after = await rows()
  expect(after).toHaveLength(1)
  expect(after[0]).toMatchObject({
    email: 'alex@example.com',
    badges: [
      {
        project: 'Product A',
        status: 'paid',
        params: {
          plan: 'pro',
          mrr: 29,
          converted_at: expect.any(String),
          // Params merge: what the sign-up stored stays.
          source: 'organic',
          trial_started_at: before!.badges[0]!.params.trial_started_at,
        },
      },
    ],
  })
})
