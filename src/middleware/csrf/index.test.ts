// The CSRF check on its own: which requests pass, where the token may travel, and that it is tied
// to a secret only this browser's cookie holds.
import { Hono } from 'hono/tiny'
import { describe, expect, it } from 'vitest'
import type { HonoEnv } from '../../env.js'
import { onError } from '../on-error/index.js'
import { CSRF_HEADER, PRESESSION_COOKIE, csrf, csrfTokenFor } from './index.js'

const app = new Hono<HonoEnv>()
app.onError(onError())
app.use(csrf())
app.get('/form', (c) => c.text(c.var.csrfToken ?? ''))
app.post('/form', (c) => c.text('done'))

const cookie = (secret: string) => ({ Cookie: `${PRESESSION_COOKIE}=${secret}` })
const form = (body: string, headers: Record<string, string> = {}) =>
  app.request('/form', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body,
  })

describe('csrf()', () => {
  it('gives a first visit a pre-session secret and the token that goes with it', async () => {
    const res = await app.request('/form')
    const line = res.headers.getSetCookie().find((l) => l.startsWith(`${PRESESSION_COOKIE}=`))!
    expect(line).toMatch(/HttpOnly/i)
    const secret = line.split(';')[0]!.split('=')[1]!
    expect(await res.text()).toBe(await csrfTokenFor(secret))
  })

  it('accepts the token in the form field or the header', async () => {
    const token = await csrfTokenFor('s3cret')
    expect((await form(`_csrf=${token}`, cookie('s3cret'))).status).toBe(200)
    expect((await form('', { ...cookie('s3cret'), [CSRF_HEADER]: token })).status).toBe(200)
  })

  it('refuses a post without a token, with another secret’s token, or without a cookie (403)', async () => {
    const token = await csrfTokenFor('s3cret')
    expect((await form('', cookie('s3cret'))).status).toBe(403)
    expect((await form(`_csrf=${token}`, cookie('other'))).status).toBe(403)
    const none = await form(`_csrf=${token}`)
    expect(none.status).toBe(403)
    expect(await none.json()).toMatchObject({ error: { message: /did not come from this site/ } })
  })
})
