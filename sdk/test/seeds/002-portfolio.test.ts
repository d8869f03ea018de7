// Seed "Manage customers across your micro-SaaS portfolio": three apps call identify WITHOUT await
// (verbatim between the markers); flush() is how a test, or a serverless function, waits for them.
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

it('alice is one row with three app badges, last active just now', async () => {
  const { keys, rows } = await server.seed(['App A', 'App B', 'App C'])
  process.env.APP_A_TINYCRM_KEY = keys[0]
  process.env.APP_B_TINYCRM_KEY = keys[1]
  process.env.APP_C_TINYCRM_KEY = keys[2]
  const before = Date.now()
  const clients: TinyCRM[] = []

  {
    // --- seed: App A — newsletter tool
    const crm = new TinyCRM({ apiKey: process.env.APP_A_TINYCRM_KEY! })

    // Called in App A's sign-up handler
    crm.identify({
      email: 'alice@example.com',
      name: 'Alice Chen',
      status: 'paid',
      params: { plan: 'pro', mrr: 9 },
    })
    // --- end seed
    clients.push(crm)
  }
  {
    // --- seed: App B — link-in-bio tool
    const crm = new TinyCRM({ apiKey: process.env.APP_B_TINYCRM_KEY! })

    // Called in App B's activation webhook
    crm.identify({
      email: 'alice@example.com',
      status: 'free',
      params: { source: 'producthunt', referral: 'friend42' },
    })
    // --- end seed
    clients.push(crm)
  }
  {
    // --- seed: App C — analytics dashboard
    const crm = new TinyCRM({ apiKey: process.env.APP_C_TINYCRM_KEY! })

    // Called in App C's trial-start route
    crm.identify({
      email: 'alice@example.com',
      status: 'trialing',
      params: { trial_ends: '2026-03-29', plan: 'starter' },
    })
    // --- end seed
    clients.push(crm)
  }

  await Promise.all(clients.map((crm) => crm.flush()))

  const [alice, ...others] = await rows()
  expect(others).toEqual([])
  expect(alice).toMatchObject({
    email: 'alice@example.com',
    name: 'Alice Chen',
    badges: [
      { project: 'App A', status: 'paid', params: { plan: 'pro', mrr: 9 } },
      { project: 'App B', status: 'free', params: { source: 'producthunt', referral: 'friend42' } },
      { project: 'App C', status: 'trial', params: { trial_ends: '2026-03-29', plan: 'starter' } },
    ],
  })
  // "last active: just now": stamped by these calls, not earlier (a lower bound only).
  for (const badge of alice!.badges) {
    expect(new Date(badge.last_activity_at).getTime()).toBeGreaterThanOrEqual(before - 1000)
  }
})
