// Per-key rate limiting through the one RateLimiter interface.
import { Hono } from 'hono/tiny'
import { expect, it } from 'vitest'
import { ApiError } from '../../lib/errors.js'
import { memoryRateLimiter } from '../../lib/rate-limit.js'
import { rateLimit } from './index.js'

function app(limiter = memoryRateLimiter({ limit: 2, periodSeconds: 10 })) {
  const app = new Hono()
  app.onError((err, c) => {
    const e = err as ApiError
    return c.json({ code: e.code }, e.status, e.headers)
  })
  app.use(rateLimit(limiter, { key: (c) => c.req.header('X-Key') ?? '', message: 'slow down' }))
  app.get('/', (c) => c.text('ok'))
  return app
}

it('answers 429 with Retry-After once a key is over its limit, counting keys apart', async () => {
  const a = app()
  const hit = (key: string) => a.request('/', { headers: { 'X-Key': key } })
  const statuses = [(await hit('k1')).status, (await hit('k1')).status]
  const over = await hit('k1')
  expect(statuses).toEqual([200, 200])
  expect(over.status).toBe(429)
  expect(over.headers.get('Retry-After')).toBe('10')
  expect(await over.json()).toEqual({ code: 'rate_limited' })
  expect((await hit('k2')).status).toBe(200)
})

it('lets everything through without a limiter', async () => {
  const a = new Hono()
  a.use(rateLimit(undefined, { key: () => 'k', message: 'never' }))
  a.get('/', (c) => c.text('ok'))
  for (let i = 0; i < 5; i++) expect((await a.request('/')).status).toBe(200)
})

it('is an ApiError the app’s error path can answer', () => {
  expect(new ApiError('rate_limited', 'x').status).toBe(429)
})
