// Seed "Segment customers with JSONB params": an Express sign-up with acquisition params (a
// missing ?ref= sends referral: null) and a Stripe/Paddle upgrade, verbatim between the markers;
// then the seed's dashboard filter params.plan = "pro".
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

type Query = Record<string, string | undefined>

it('sign-up params, the upgrade, and params.plan = "pro" finds exactly the upgraded customers', async () => {
  const { keys, badges, withParams } = await server.seed(['Newsletter'])
  process.env.TINYCRM_API_KEY = keys[0]

  // --- seed: Identify on sign-up with acquisition params
  const crm = new TinyCRM({ apiKey: process.env.TINYCRM_API_KEY! })
  // --- end seed

  function onSignUp(user: { email: string; name: string }, req: { query: Query }) {
    // --- seed: Called when a new user signs up
    crm.identify({
      email: user.email,
      name: user.name,
      status: 'free',
      params: {
        source: req.query.utm_source ?? 'direct',
        referral: req.query.ref ?? null,
        signed_up_at: new Date().toISOString(),
      },
    })
    // --- end seed
  }

  function onUpgrade(event: { customer_email: string }) {
    // --- seed: Update params when a customer upgrades
    // Called from your Stripe/Paddle webhook handler
    crm.identify({
      email: event.customer_email,
      status: 'paid',
      params: {
        plan: 'pro',
        mrr: 29,
        upgraded_at: new Date().toISOString(),
        billing_cycle: 'monthly',
      },
    })
    // --- end seed
  }

  onSignUp(
    { email: 'ph@example.com', name: 'PH' },
    { query: { utm_source: 'producthunt', ref: 'friend123' } },
  )
  onSignUp({ email: 'direct@example.com', name: 'Direct' }, { query: {} })
  onSignUp({ email: 'free@example.com', name: 'Free' }, { query: { utm_source: 'twitter' } })
  await crm.flush()
  onUpgrade({ customer_email: 'ph@example.com' })
  onUpgrade({ customer_email: 'direct@example.com' })
  await crm.flush()

  const [ph] = await badges('ph@example.com')
  expect(ph).toMatchObject({
    status: 'paid',
    params: {
      source: 'producthunt',
      referral: 'friend123',
      plan: 'pro',
      mrr: 29,
      billing_cycle: 'monthly',
    },
  })
  const [direct] = await badges('direct@example.com')
  expect(direct!.params).toMatchObject({ source: 'direct', plan: 'pro' })
  // referral: null means "no such key", so the segment never shows an empty referral.
  expect(direct!.params).not.toHaveProperty('referral')

  // Dashboard filter: params.plan = "pro" → shows all pro subscribers
  expect((await withParams({ plan: 'pro' })).map((r) => r.email)).toEqual([
    'direct@example.com',
    'ph@example.com',
  ])
  expect((await withParams({ source: 'producthunt' })).map((r) => r.email)).toEqual([
    'ph@example.com',
  ])
})
