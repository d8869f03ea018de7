// The in-memory limiter (Node): a fixed window per period, opened by the first request after the
// last one ended, counting keys apart; and the 429 a request over its budget gets.
import { afterEach, expect, it, vi } from 'vitest'
import { ApiError } from './errors.js'
import { checkRateLimit, memoryRateLimiter } from './rate-limit.js'

afterEach(() => {
  vi.useRealTimers()
})

it('counts a burst in one window, even one that straddles a multiple of the period', async () => {
  vi.useFakeTimers()
  vi.setSystemTime(new Date('2026-11-29T10:00:09.999Z')) // a millisecond before :10
  const limiter = memoryRateLimiter({ limit: 3, periodSeconds: 10 })
  const answers = []
  for (let i = 0; i < 3; i++) answers.push(await limiter.limit('k'))
  vi.setSystemTime(new Date('2026-11-29T10:00:10.001Z'))
  answers.push(await limiter.limit('k'), await limiter.limit('other'))
  expect(answers).toEqual([true, true, true, false, true])
  // The window ends a period after it opened, and every key starts again.
  vi.setSystemTime(new Date('2026-11-29T10:00:20.000Z'))
  expect(await limiter.limit('k')).toBe(true)
})

it('refuses a key over its budget with a 429 and Retry-After, counting keys apart', async () => {
  const limiter = memoryRateLimiter({ limit: 2, periodSeconds: 10 })
  await checkRateLimit(limiter, 'k1', 'slow down')
  await checkRateLimit(limiter, 'k1', 'slow down')
  const over = await checkRateLimit(limiter, 'k1', 'slow down').catch((err: unknown) => err)
  expect(over).toBeInstanceOf(ApiError)
  expect(over).toMatchObject({
    code: 'rate_limited',
    status: 429,
    message: 'slow down',
    headers: { 'Retry-After': '10' },
  })
  await expect(checkRateLimit(limiter, 'k2', 'slow down')).resolves.toBeUndefined()
})

it('refuses nothing without a limiter', async () => {
  for (let i = 0; i < 5; i++)
    await expect(checkRateLimit(undefined, 'k', 'never')).resolves.toBeUndefined()
})
