// The login rate limit: attempts per email counted through the app's one RateLimiter interface
// (in-process on Node, Cloudflare's binding on Workers) before any password is checked.
import { expect, it } from 'vitest'
import { memoryRateLimiter } from '../lib/rate-limit.js'
import { useTestApp } from '../../test/support/db.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { TestBrowser } from '../../test/support/test-browser.js'

const t = useTestApp({ loginLimiter: memoryRateLimiter({ limit: 3, periodSeconds: 60 }) })

it('answers 429 with Retry-After past the limit, even with the right password, per email', async () => {
  const owner = await seedAccount(t.db, [])
  const other = await seedAccount(t.db, [])
  const b = new TestBrowser(t.app)
  const statuses = []
  for (let i = 0; i < 3; i++) statuses.push((await b.logIn(owner.email, 'wrong password')).status)
  const limited = await b.logIn(owner.email.toUpperCase(), owner.password)
  expect(statuses).toEqual([400, 400, 400])
  expect(limited.status).toBe(429)
  expect(limited.headers.get('Retry-After')).toBe('60')
  expect(limited.html).toContain('Too many login attempts')
  expect(b.cookies.has('tcrm_session')).toBe(false)
  expect((await new TestBrowser(t.app).logIn(other.email, other.password)).status).toBe(303)
})
