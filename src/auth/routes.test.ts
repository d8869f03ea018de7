// Accounts on the dashboard: sign up, log in, log out, the login slow-down, the sign-up switch,
// session cookies and CSRF — through the real routes over PGlite.
import { describe, expect, it } from 'vitest'
import { createApp } from '../app.js'
import { useTestApp, openTestDb } from '../../test/support/db.js'
import { logInSeeded, seedAccount } from '../../test/support/fixtures.js'
import { FREE_ATTEMPTS } from './login.js'
import { csrfTokenFor } from '../middleware/csrf/index.js'
import { TestBrowser } from '../../test/support/test-browser.js'

const t = useTestApp()
let n = 0
const email = () => `user${++n}-${Date.now()}@example.com`

function sessionCookieLine(headers: Headers, name = 'tcrm_session') {
  return headers.getSetCookie().find((l) => l.startsWith(`${name}=`))
}

describe('sign up', () => {
  it('creates the account, signs in and lands on the projects page', async () => {
    const b = new TestBrowser(t.app)
    const address = email()
    const res = await b.signUp(address)
    expect(res.status).toBe(303)
    expect(res.location).toBe('/projects')
    const page = await b.get('/projects')
    expect(page.status).toBe(200)
    expect(page.html).toContain(address)
    expect(page.html).toContain('Create your first project')
  })

  it('refuses a short password and a taken email with the form again (400)', async () => {
    const b = new TestBrowser(t.app)
    const short = await b.signUp(email(), 'short')
    expect(short.status).toBe(400)
    expect(short.html).toContain('at least 8 characters')
    const address = email()
    await new TestBrowser(t.app).signUp(address)
    const taken = await b.signUp(address.toUpperCase())
    expect(taken.status).toBe(400)
    expect(taken.html).toContain('already exists')
    expect(b.cookies.has('tcrm_session')).toBe(false)
  })

  it('refuses an email over 254 characters or not an address (400) at sign-up and log-in, storing nothing', async () => {
    const long = `${'a'.repeat(7750)}@example.com`
    for (const address of [long, `${'a'.repeat(245)}@example.com`, 'weird"<script>@x.test']) {
      const b = new TestBrowser(t.app)
      const signUp = await b.signUp(address)
      expect(signUp.status).toBe(400)
      expect(signUp.html).toMatch(/email is (too long|not a valid email address)/)
      expect(b.cookies.has('tcrm_session')).toBe(false)
      const logIn = await b.logIn(address)
      expect(logIn.status).toBe(400)
      expect(logIn.html).toMatch(/email is (too long|not a valid email address)/)
    }
    const stored = await t.db
      .selectFrom('users')
      .select('email')
      .where((eb) => eb.or([eb(eb.fn('length', ['email']), '>', 254), eb('email', 'like', '%<%')]))
      .execute()
    expect(stored).toEqual([])
    const failures = await t.db.selectFrom('login_failures').select('email').execute()
    expect(failures.filter((f) => f.email.length > 254 || f.email.includes('<'))).toEqual([])
  })

  it('sets the session cookie HttpOnly, SameSite=Lax, and over https Secure and __Host-', async () => {
    const plain = await new TestBrowser(t.app).signUp(email())
    const line = sessionCookieLine(plain.headers)!
    expect(line).toMatch(/HttpOnly/i)
    expect(line).toMatch(/SameSite=Lax/i)
    expect(line).not.toMatch(/Secure/i)
    // Over https a __Host- cookie: the browser takes it only Secure, for the whole site, from
    // this origin itself, never from a sibling subdomain.
    const https = await new TestBrowser(t.app, 'https://crm.example.com').signUp(email())
    expect(sessionCookieLine(https.headers)).toBeUndefined()
    const hostOnly = sessionCookieLine(https.headers, '__Host-tcrm_session')!
    expect(hostOnly).toMatch(/; Secure/i)
    expect(hostOnly).toMatch(/; Path=\//i)
    expect(hostOnly).not.toMatch(/Domain=/i)
    expect(https.headers.getSetCookie().every((l) => l.startsWith('__Host-'))).toBe(true)
    const proxied = new TestBrowser(t.app)
    await proxied.get('/signup', { 'X-Forwarded-Proto': 'https' })
    const res = await proxied.post(
      '/signup',
      { email: email(), password: 'correct horse battery' },
      {
        'X-Forwarded-Proto': 'https',
      },
    )
    expect(sessionCookieLine(res.headers, '__Host-tcrm_session')).toMatch(/; Secure/i)
  })

  it('over https, ignores a session or CSRF secret planted without the __Host- prefix', async () => {
    // Someone else's session, as a sibling subdomain could set it for this one.
    const attacker = new TestBrowser(t.app, 'https://crm.example.com')
    await attacker.signUp(email())
    const planted = attacker.cookies.get('__Host-tcrm_session')!
    const victim = new TestBrowser(t.app, 'https://crm.example.com')
    victim.cookies.set('tcrm_session', planted)
    const page = await victim.get('/projects')
    expect(page.status).toBe(303)
    expect(page.location).toMatch(/^\/login/)
    // A pre-session secret the planter knows gives no CSRF token: the page makes its own.
    const known = 'known-to-the-planter-0123456789'
    const fresh = new TestBrowser(t.app, 'https://crm.example.com')
    fresh.cookies.set('tcrm_pre', known)
    const login = await fresh.get('/login')
    expect(fresh.csrf).not.toBe(await csrfTokenFor(known))
    expect(login.headers.getSetCookie().some((l) => l.startsWith('__Host-tcrm_pre='))).toBe(true)
  })

  it('stores only a hash of the session token', async () => {
    const b = new TestBrowser(t.app)
    await b.signUp(email())
    const token = b.cookies.get('tcrm_session')!
    const rows = await t.db.selectFrom('sessions').select('token_hash').execute()
    expect(rows.some((r) => r.token_hash === token)).toBe(false)
    expect(rows.some((r) => r.token_hash.length === 64)).toBe(true)
  })
})

describe('closed sign-up (TINYCRM_SIGNUP=closed)', () => {
  it('lets the first account sign up, then refuses everyone else', async () => {
    const fresh = await openTestDb()
    try {
      const closedApp = createApp({ db: fresh.db, config: { signup: 'closed' } })
      const first = await new TestBrowser(closedApp).signUp('first@example.com')
      expect(first.status).toBe(303)
      const b = new TestBrowser(closedApp)
      const page = await b.get('/signup')
      expect(page.status).toBe(403)
      expect(page.html).toContain('Sign-up is closed')
      const second = await b.post('/signup', {
        email: 'second@example.com',
        password: 'correct horse battery',
      })
      expect(second.status).toBe(403)
      const users = await fresh.db.selectFrom('users').select('email').execute()
      expect(users.map((u) => u.email)).toEqual(['first@example.com'])
    } finally {
      await fresh.close()
    }
  })
})

describe('log in and log out', () => {
  it('logs in with the right password and goes back to the page asked for', async () => {
    const seeded = await seedAccount(t.db)
    const b = new TestBrowser(t.app)
    const guarded = await b.get('/projects?x=1')
    expect(guarded.status).toBe(303)
    expect(guarded.location).toBe('/login?next=%2Fprojects%3Fx%3D1')
    await b.get(guarded.location!)
    const res = await b.post(guarded.location!, {
      email: seeded.email.toUpperCase(),
      password: seeded.password,
    })
    expect(res.status).toBe(303)
    expect(res.location).toBe('/projects?x=1')
    expect((await b.get('/projects')).html).toContain('App A')
  })

  it('never redirects off-site after login', async () => {
    const seeded = await seedAccount(t.db)
    const b = new TestBrowser(t.app)
    await b.get('/login')
    const res = await b.post('/login?next=//evil.example.com', {
      email: seeded.email,
      password: seeded.password,
    })
    expect(res.location).toBe('/customers')
  })

  it('follows only same-origin paths after login: no control characters, no other host', async () => {
    const { b, seeded } = await logInSeeded(t)
    // Raw query strings, as an attacker would send them (decoded: tab, newline, backslash …).
    const offSite = [
      '/%09/evil.example',
      '/%0A/evil.example',
      '/%0D%0ASet-Cookie:%20x=1',
      '//evil.example',
      '/%5Cevil.example',
      '/%5C%5Cevil.example',
      '/..//evil.example',
      '/./%2F/evil.example',
      'https://evil.example/',
      'javascript:alert(1)',
      '%2F%2Fevil.example',
      '/%00/evil.example',
      '/%E2%80%A8x',
    ]
    const sameOrigin = (location: string | null, next: string) => {
      expect(location, next).not.toMatch(/[\p{Cc}\\]/u)
      expect(location?.startsWith('/') && !location.startsWith('//'), next).toBe(true)
      expect(new URL(location!, 'http://localhost').origin, next).toBe('http://localhost')
    }
    for (const next of offSite) {
      const signedIn = await b.get(`/login?next=${next}`)
      expect(signedIn.status, next).toBe(303)
      sameOrigin(signedIn.location, next)
      const login = new TestBrowser(t.app)
      await login.get('/login')
      const posted = await login.post(`/login?next=${next}`, {
        email: seeded.email,
        password: seeded.password,
      })
      expect(posted.status, next).toBe(303)
      sameOrigin(posted.location, next)
    }
    // Same-origin paths keep their query.
    const kept = await b.get(`/login?next=${encodeURIComponent('/customers?q=a b&status=paid')}`)
    expect(kept.location).toBe('/customers?q=a%20b&status=paid')
  })

  it('refuses a wrong password or an unknown email with the same message', async () => {
    const seeded = await seedAccount(t.db)
    const b = new TestBrowser(t.app)
    const wrong = await b.logIn(seeded.email, 'not the password')
    const unknown = await b.logIn('nobody@example.com', 'not the password')
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(400)
      expect(res.html).toContain('Wrong email or password.')
    }
    expect(b.cookies.has('tcrm_session')).toBe(false)
  })

  it(`locks an email after ${FREE_ATTEMPTS} failures, even for the right password, with Retry-After`, async () => {
    const seeded = await seedAccount(t.db)
    const b = new TestBrowser(t.app)
    for (let i = 0; i < FREE_ATTEMPTS; i++) {
      expect((await b.logIn(seeded.email, `wrong ${i}`)).status).toBe(400)
    }
    const locked = await b.logIn(seeded.email, seeded.password)
    expect(locked.status).toBe(429)
    expect(Number(locked.headers.get('Retry-After'))).toBeGreaterThan(0)
    expect(locked.html).toContain('Too many failed attempts for this email. Try again in 1 minute.')
    // Another email is not affected.
    const other = await seedAccount(t.db)
    expect((await new TestBrowser(t.app).logIn(other.email, other.password)).status).toBe(303)
    // Once the lock has passed, the right password works and clears the count.
    await t.db
      .updateTable('login_failures')
      .set({ locked_until: new Date(Date.now() - 1000) })
      .execute()
    expect((await b.logIn(seeded.email, seeded.password)).status).toBe(303)
    const left = await t.db
      .selectFrom('login_failures')
      .selectAll()
      .where('email', '=', seeded.email)
      .execute()
    expect(left).toEqual([])
  })

  it('logs out: the session ends in the database, so the old cookie no longer works', async () => {
    const { b } = await logInSeeded(t)
    const stolen = b.cookies.get('tcrm_session')!
    await b.get('/projects')
    const out = await b.post('/logout')
    expect(out.status).toBe(303)
    expect(out.location).toBe('/login')
    expect(b.cookies.has('tcrm_session')).toBe(false)
    const replay = await t.app.request('/projects', {
      headers: { Cookie: `tcrm_session=${stolen}` },
    })
    expect(replay.status).toBe(303)
  })

  it('answers htmx requests of a signed-out visitor with 401 and HX-Redirect', async () => {
    const res = await t.app.request('/projects', { headers: { 'HX-Request': 'true' } })
    expect(res.status).toBe(401)
    expect(res.headers.get('HX-Redirect')).toBe('/login?next=%2Fprojects')
  })

  it('sends the first visit to a server with no account to sign up, / and /login alike', async () => {
    const fresh = await openTestDb()
    try {
      const b = new TestBrowser(createApp({ db: fresh.db }))
      expect((await b.get('/')).location).toBe('/signup')
      expect((await b.get('/login')).location).toBe('/signup')
      await b.signUp(email())
      await b.get('/projects')
      await b.post('/logout')
      expect((await b.get('/')).location).toBe('/login')
      expect((await b.get('/login')).status).toBe(200)
    } finally {
      await fresh.close()
    }
  })

  it('says so after logging out, once', async () => {
    const b = new TestBrowser(t.app)
    await b.signUp(email())
    await b.get('/projects')
    const out = await b.post('/logout')
    expect(out).toMatchObject({ status: 303, location: '/login' })
    expect((await b.follow(out)).html).toContain('You are logged out.')
    expect((await b.get('/login')).html).not.toContain('You are logged out.')
  })

  it('sends / to the customers table when signed in, else to log in', async () => {
    const b = new TestBrowser(t.app)
    expect((await b.get('/')).location).toBe('/login')
    await b.signUp(email())
    expect((await b.get('/')).location).toBe('/customers')
  })
})

describe('CSRF', () => {
  it('refuses posts without the token or with a wrong one (403), and changes nothing', async () => {
    const { b, seeded } = await logInSeeded(t)
    await b.get('/projects')
    const none = await b.post('/projects', { name: 'Sneaky', _csrf: null })
    const wrong = await b.post('/projects', { name: 'Sneaky', _csrf: 'x'.repeat(43) })
    expect(none.status).toBe(403)
    expect(wrong.status).toBe(403)
    expect(none.html).toContain('did not come from this site')
    const names = await t.db
      .selectFrom('projects')
      .select('name')
      .where('account_id', '=', seeded.accountId)
      .execute()
    expect(names.map((p) => p.name)).not.toContain('Sneaky')
  })

  it("refuses another browser's token", async () => {
    const seeded = await seedAccount(t.db)
    const victim = new TestBrowser(t.app)
    await victim.logIn(seeded.email, seeded.password)
    const attacker = new TestBrowser(t.app)
    await attacker.signUp(email())
    await attacker.get('/projects')
    const res = await victim.post('/projects', { name: 'Sneaky', _csrf: attacker.csrf })
    expect(res.status).toBe(403)
  })

  it('accepts the token in the X-CSRF-Token header (htmx) and covers log-in and log-out too', async () => {
    const seeded = await seedAccount(t.db)
    const b = new TestBrowser(t.app)
    await b.get('/login')
    expect(
      (await b.post('/login', { email: seeded.email, password: seeded.password, _csrf: null }))
        .status,
    ).toBe(403)
    expect(
      (await b.post('/login', { email: seeded.email, password: seeded.password })).status,
    ).toBe(303)
    const page = await b.get('/projects')
    expect(page.html).toContain(
      `hx-headers:inherited="{&quot;X-CSRF-Token&quot;:&quot;${b.csrf}&quot;}"`,
    )
    expect((await b.post('/logout', { _csrf: null })).status).toBe(403)
    const res = await b.post('/logout', { _csrf: null }, { 'X-CSRF-Token': b.csrf })
    expect(res.status).toBe(303)
  })

  it('leaves the ingest API alone: project keys need no CSRF token', async () => {
    const seeded = await seedAccount(t.db)
    const res = await t.app.request('/v1/identify', {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${seeded.projects[0]!.key}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ email: 'a@example.com' }),
    })
    expect(res.status).toBe(200)
  })
})

describe('error pages', () => {
  it('renders dashboard errors as HTML pages and keeps JSON for the API', async () => {
    const page = await new TestBrowser(t.app).get('/no-such-page')
    expect(page.status).toBe(404)
    expect(page.headers.get('content-type')).toContain('text/html')
    expect(page.html).toContain('>Page not found</h1>')
    const api = await t.app.request('/v1/identify', {
      method: 'POST',
      headers: { Accept: 'text/html' },
    })
    expect(api.status).toBe(401)
    expect(await api.json()).toMatchObject({ error: { code: 'unauthorized' } })
  })

  it('ends the previous session of the browser when it signs in again', async () => {
    const one = await seedAccount(t.db)
    const two = await seedAccount(t.db)
    const b = new TestBrowser(t.app)
    await b.logIn(one.email, one.password)
    const first = b.cookies.get('tcrm_session')!
    await b.get('/projects') // a signed-in visitor is sent away from /login; post from any page
    expect((await b.post('/login', { email: two.email, password: two.password })).status).toBe(303)
    expect(b.cookies.get('tcrm_session')).not.toBe(first)
    const replay = await t.app.request('/projects', {
      headers: { Cookie: `tcrm_session=${first}` },
    })
    expect(replay.status).toBe(303)
  })

  it('sweeps expired sessions of a user when they sign in again', async () => {
    const seeded = await seedAccount(t.db)
    await new TestBrowser(t.app).logIn(seeded.email, seeded.password)
    await t.db
      .updateTable('sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('user_id', '=', seeded.userId)
      .execute()
    const b = new TestBrowser(t.app)
    await b.logIn(seeded.email, seeded.password)
    const rows = await t.db
      .selectFrom('sessions')
      .select('expires_at')
      .where('user_id', '=', seeded.userId)
      .execute()
    expect(rows).toHaveLength(1)
    expect(rows[0]!.expires_at.getTime()).toBeGreaterThan(Date.now())
  })
})
