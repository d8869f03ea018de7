// Set-once params end to end: the SDK's `paramsOnce` through the real app and database, as the
// README's first-touch recipe uses it (sent on every sign-up and log-in, the first value stays),
// one call at a time, in batching mode, and with the params of the same call.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { TinyCRM } from '../src/index.js'
import { startAppServer, type AppServer } from './app-server.js'

let server: AppServer
let seeded: Awaited<ReturnType<AppServer['seed']>>
let crm: TinyCRM
beforeAll(async () => {
  server = await startAppServer()
})
afterAll(() => server.close())
beforeEach(async () => {
  seeded = await server.seed(['Product A', 'Product B'])
  crm = new TinyCRM({ apiKey: seeded.keys[0]!, baseUrl: server.url })
})

const paramsOf = async (email: string, project = 'Product A') =>
  (await seeded.badges(email)).find((b) => b.project === project)?.params

describe('paramsOnce through the SDK', () => {
  it('keeps the first touch across later calls, while params still update', async () => {
    const signUp = await crm.identify({
      email: 'alex@example.com',
      params: { plan: 'free' },
      paramsOnce: { source: 'producthunt', first_plan: 'free' },
    })
    expect(signUp.error).toBeNull()
    const logIn = await crm.identify({
      email: 'alex@example.com',
      params: { plan: 'pro' },
      paramsOnce: { source: 'google', first_plan: 'pro', first_seen_page: '/pricing' },
    })
    expect(logIn.error).toBeNull()
    expect(await paramsOf('alex@example.com')).toEqual({
      plan: 'pro',
      source: 'producthunt',
      first_plan: 'free',
      first_seen_page: '/pricing',
    })
  })

  it('is per product: another product keeps its own first touch', async () => {
    const other = new TinyCRM({ apiKey: seeded.keys[1]!, baseUrl: server.url })
    await crm.identify({ email: 'sam@example.com', paramsOnce: { source: 'twitter' } })
    await other.identify({ email: 'sam@example.com', paramsOnce: { source: 'newsletter' } })
    expect(await paramsOf('sam@example.com')).toEqual({ source: 'twitter' })
    expect(await paramsOf('sam@example.com', 'Product B')).toEqual({ source: 'newsletter' })
  })

  it('in batching mode, the first call of the batch wins', async () => {
    const batching = new TinyCRM({
      apiKey: seeded.keys[0]!,
      baseUrl: server.url,
      batch: true,
      onError: null,
    })
    const calls = [
      batching.identify({ email: 'kim@example.com', paramsOnce: { source: 'producthunt' } }),
      batching.identify({ email: 'kim@example.com', paramsOnce: { source: 'google' } }),
    ]
    await batching.flush()
    for (const result of await Promise.all(calls)) expect(result.error).toBeNull()
    expect(await paramsOf('kim@example.com')).toEqual({ source: 'producthunt' })
  })

  it('a paramsOnce that is not an object is a validation error naming it', async () => {
    const result = await crm.identify({ email: 'x@example.com', paramsOnce: 'oops' as never })
    expect(result.error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'paramsOnce' }],
    })
  })
})
