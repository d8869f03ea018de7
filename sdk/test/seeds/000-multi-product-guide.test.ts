// Seed "How to Track Customers Across Multiple Micro-SaaS Products": its SDK snippets, verbatim
// between the markers, run against the real app. Each product has its own .env with the same
// variable name, TINYCRM_API_KEY, holding that product's key.
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

it('the same user signing up to two products is one customer row with two project badges', async () => {
  const { keys, rows } = await server.seed()
  const user = { email: 'sam@example.com', name: 'Sam Lee', isPaid: true }

  {
    // Product A — .env
    process.env.TINYCRM_API_KEY = keys[0]
    // --- seed: Product A — lib/tinycrm.ts
    const tinycrm = new TinyCRM(process.env.TINYCRM_API_KEY!)
    // --- seed: Product A — on signup
    const result = await tinycrm.identify({
      email: user.email,
      name: user.name,
      status: user.isPaid ? 'paid' : 'free',
      params: { source: 'product-hunt', product: 'product-a' },
    })
    // --- end seed
    expect(result).toEqual({
      data: { ok: true, customerId: expect.any(Number), created: true },
      error: null,
    })
  }
  {
    // Product B — .env
    process.env.TINYCRM_API_KEY = keys[1]
    const tinycrm = new TinyCRM(process.env.TINYCRM_API_KEY!)
    // --- seed: Product B — on signup
    await tinycrm.identify({
      email: user.email,
      name: user.name,
      status: 'free',
      params: { source: 'twitter', product: 'product-b' },
    })
    // --- end seed
  }

  expect(await rows()).toMatchObject([
    {
      email: 'sam@example.com',
      name: 'Sam Lee',
      badges: [
        {
          project: 'Product A',
          status: 'paid',
          params: { source: 'product-hunt', product: 'product-a' },
        },
        {
          project: 'Product B',
          status: 'free',
          params: { source: 'twitter', product: 'product-b' },
        },
      ],
    },
  ])
})
