// Seed "Track customers across every product you build": the Next.js (Product A) and Express
// (Product B) snippets, verbatim between the markers, against the real app.
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

it('alex is one row: [Product A: paid] plan: pro, mrr: 29 │ [Product B: free] source: twitter', async () => {
  const { keys, rows } = await server.seed()
  process.env.TINYCRM_KEY_PRODUCT_A = keys[0]
  process.env.TINYCRM_KEY_PRODUCT_B = keys[1]

  {
    // --- seed: Product A backend (e.g. Next.js)
    const crm = new TinyCRM({
      apiKey: process.env.TINYCRM_KEY_PRODUCT_A,
    })

    // User signs up to Product A
    await crm.identify({
      email: 'alex@example.com',
      name: 'Alex Chen',
      status: 'paid',
      params: { plan: 'pro', mrr: 29 },
    })
    // --- end seed
  }
  {
    // --- seed: Product B backend (e.g. Express)
    const crm = new TinyCRM({
      apiKey: process.env.TINYCRM_KEY_PRODUCT_B,
    })

    // Same person signs up to Product B
    await crm.identify({
      email: 'alex@example.com',
      name: 'Alex Chen',
      status: 'free',
      params: { source: 'twitter' },
    })
    // --- end seed
  }

  expect(await rows()).toMatchObject([
    {
      email: 'alex@example.com',
      name: 'Alex Chen',
      badges: [
        { project: 'Product A', status: 'paid', params: { plan: 'pro', mrr: 29 } },
        { project: 'Product B', status: 'free', params: { source: 'twitter' } },
      ],
    },
  ])
})

it('keeps the tracking calls apart: the key picks the product, never the other one', async () => {
  const { keys, badges } = await server.seed()
  process.env.TINYCRM_KEY_PRODUCT_A = keys[0]
  const crm = new TinyCRM({ apiKey: process.env.TINYCRM_KEY_PRODUCT_A })
  await crm.identify({ email: 'solo@example.com', params: { plan: 'pro' } })
  expect((await badges('solo@example.com')).map((b) => b.project)).toEqual(['Product A'])
})
