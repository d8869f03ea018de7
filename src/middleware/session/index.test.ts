// The session middleware over a real database: which cookies sign a visitor in, where a
// signed-out visitor is sent, and that ending a session ends it in the database.
import { Hono } from 'hono/tiny'
import { beforeAll, describe, expect, it } from 'vitest'
import type { HonoEnv } from '../../env.js'
import { useTestDb } from '../../../test/support/db.js'
import { seedAccount } from '../../../test/support/fixtures.js'
import { SESSION_COOKIE, endSession, requireUser, session, startSession } from './index.js'

const t = useTestDb()
let app: Hono<HonoEnv>
let userId: number

beforeAll(async () => {
  userId = (await seedAccount(t.db, [])).userId
  app = new Hono<HonoEnv>()
  app.use(async (c, next) => {
    c.set('db', t.db)
    c.set('config', {})
    await next()
  })
  app.use(session())
  app.post('/in', async (c) => {
    await startSession(c, userId)
    return c.text('in')
  })
  app.post('/out', async (c) => {
    await endSession(c)
    return c.text('out')
  })
  app.get('/private', requireUser(), (c) => c.text(c.var.user!.email))
})

async function signIn(): Promise<string> {
  const res = await app.request('/in', { method: 'POST' })
  const line = res.headers.getSetCookie().find((l) => l.startsWith(`${SESSION_COOKIE}=`))!
  expect(line).toMatch(/HttpOnly/i)
  expect(line).toMatch(/SameSite=Lax/i)
  return line.split(';')[0]!
}

describe('session() and requireUser()', () => {
  it('lets a live session through with its user', async () => {
    const cookie = await signIn()
    const res = await app.request('/private', { headers: { Cookie: cookie } })
    expect(res.status).toBe(200)
    expect(await res.text()).toMatch(/@example\.com$/)
  })

  it('sends a signed-out visitor to log in and back, and htmx a 401 with HX-Redirect', async () => {
    const page = await app.request('/private?x=1', {
      headers: { Cookie: `${SESSION_COOKIE}=nope` },
    })
    expect(page.status).toBe(303)
    expect(page.headers.get('Location')).toBe('/login?next=%2Fprivate%3Fx%3D1')
    const htmx = await app.request('/private', { headers: { 'HX-Request': 'true' } })
    expect(htmx.status).toBe(401)
    expect(htmx.headers.get('HX-Redirect')).toBe('/login?next=%2Fprivate')
    // A fragment the page loads: back to the page, never to another site.
    const from = (page: string) =>
      app.request('http://localhost/private', {
        headers: { 'HX-Request': 'true', 'HX-Current-URL': page },
      })
    const fragment = await from('http://localhost/customers?in=app-a:paid')
    expect(fragment.headers.get('HX-Redirect')).toBe('/login?next=%2Fcustomers%3Fin%3Dapp-a%3Apaid')
    const elsewhere = await from('https://evil.example/customers')
    expect(elsewhere.headers.get('HX-Redirect')).toBe('/login?next=%2Fprivate')
  })

  it('ends the session in the database: the old cookie no longer works', async () => {
    const cookie = await signIn()
    await app.request('/out', { method: 'POST', headers: { Cookie: cookie } })
    expect((await app.request('/private', { headers: { Cookie: cookie } })).status).toBe(303)
  })

  it('an expired session signs nobody in', async () => {
    const cookie = await signIn()
    await t.db
      .updateTable('sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .execute()
    expect((await app.request('/private', { headers: { Cookie: cookie } })).status).toBe(303)
  })
})
