// Security properties of the whole app that no single route owns (see SECURITY.md): the headers
// every response carries, pages without inline scripts, error bodies without internals, and logs
// without secrets. Through the real app over PGlite.
import { describe, expect, it, vi } from 'vitest'
import { createApp } from './app.js'
import { TestBrowser } from '../test/support/test-browser.js'
import { hashKey, KEY_PREFIX_LENGTH } from './lib/keys.js'
import { verifyPassword } from './lib/password.js'
import { useTestApp, openTestDb } from '../test/support/db.js'
import { logInSeeded, postJson, seedAccount } from '../test/support/fixtures.js'

const t = useTestApp()
let n = 0
const email = () => `sec${++n}-${Date.now()}@example.com`

/** Everything the app wrote to the console while `fn` ran. */
async function consoleDuring(fn: () => Promise<void>): Promise<string> {
  const lines: string[] = []
  const text = (a: unknown) => (a instanceof Error ? `${a.stack} ${JSON.stringify(a)}` : String(a))
  const keep = (...args: unknown[]) => void lines.push(args.map(text).join(' '))
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation(keep),
  )
  try {
    await fn()
  } finally {
    for (const s of spies) s.mockRestore()
  }
  return lines.join('\n')
}

const SECURITY_HEADERS = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
  'cross-origin-embedder-policy',
  'permissions-policy',
]

function expectSecurityHeaders(headers: Headers) {
  const csp = headers.get('Content-Security-Policy') ?? ''
  const directives = new Map(
    csp.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/)
      return [name!, values] as const
    }),
  )
  // Scripts only from this origin: no inline scripts, no eval, no other hosts.
  expect(directives.get('script-src')).toEqual(["'self'"])
  expect(directives.get('default-src')).toEqual(["'self'"])
  expect(directives.get('frame-ancestors')).toEqual(["'none'"])
  expect(directives.get('object-src')).toEqual(["'none'"])
  expect(headers.get('X-Frame-Options')).toBe('DENY')
  expect(headers.get('X-Content-Type-Options')).toBe('nosniff')
  expect(headers.get('Referrer-Policy')).toBe('strict-origin-when-cross-origin')
}

describe('security headers', () => {
  it('are exactly this set, on a page, an API answer and an error', async () => {
    const res = [
      await t.app.request('/login'),
      await t.app.request('/v1/identify', { method: 'OPTIONS' }),
      await t.app.request('/nowhere'),
    ]
    for (const r of res) {
      const set = Object.fromEntries(
        [...r.headers].filter(([name]) => SECURITY_HEADERS.includes(name)),
      )
      expect(set).toEqual({
        'content-security-policy':
          "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
          "img-src 'self' data:; connect-src 'self'; form-action 'self'; " +
          "frame-ancestors 'none'; base-uri 'self'; object-src 'none'",
        'cross-origin-opener-policy': 'same-origin',
        'origin-agent-cluster': '?1',
        'referrer-policy': 'strict-origin-when-cross-origin',
        'strict-transport-security': 'max-age=15552000; includeSubDomains',
        'x-content-type-options': 'nosniff',
        'x-dns-prefetch-control': 'off',
        'x-download-options': 'noopen',
        'x-frame-options': 'DENY',
        'x-permitted-cross-domain-policies': 'none',
        'x-xss-protection': '0',
      })
      // Cross-Origin-Resource-Policy stays unset: browsers call the ingest API cross-origin.
      expect(r.headers.has('cross-origin-resource-policy')).toBe(false)
      expect(r.headers.has('x-powered-by')).toBe(false)
    }
  })

  it('dashboard pages: CSP without inline scripts, no framing, nosniff, referrer', async () => {
    const b = new TestBrowser(t.app)
    const pages = [await b.get('/signup')]
    await b.signUp(email())
    pages.push(await b.get('/projects'), await b.get('/customers'), await b.get('/nowhere'))
    // Log in once an account exists (before, /login sends the first visitor to Sign up).
    pages.push(await new TestBrowser(t.app).get('/login'))
    for (const page of pages) {
      expectSecurityHeaders(page.headers)
      // And the pages need no exception to it: every script is a file, no inline handler.
      expect(page.html).toMatch(/<html/)
      expect(page.html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i)
      expect(page.html).not.toMatch(/\son[a-z]+\s*=/i)
      expect(page.html).not.toMatch(/javascript:/i)
    }
  })

  it('the JSON API gets the same headers, and stays callable from browsers (CORS)', async () => {
    const { projects } = await seedAccount(t.db)
    const res = await postJson(t.app, '/v1/identify', projects[0]!.key, { email: 'h@example.com' })
    expect(res.status).toBe(200)
    expectSecurityHeaders(res.headers)
    const preflight = await t.app.request('/v1/identify', {
      method: 'OPTIONS',
      headers: { Origin: 'https://product.example', 'Access-Control-Request-Method': 'POST' },
    })
    expect(preflight.headers.get('Access-Control-Allow-Origin')).toBe('*')
    // Write-only keys travel in a header, never a cookie: nothing for another site to ride on.
    expect(preflight.headers.get('Access-Control-Allow-Credentials')).toBeNull()
  })
})

describe('caching of signed-in pages', () => {
  it('keeps every page a signed-in user gets (customers, keys, team) out of every cache', async () => {
    const { b, seeded } = await logInSeeded(t)
    const { project } = seeded.projects[0]!
    const customer = await postJson(t.app, '/v1/identify', seeded.projects[0]!.key, {
      email: 'cached@example.com',
      name: 'Cached Person',
    })
    const { customerId } = customer.body as { customerId: number }
    for (const path of [
      '/customers',
      `/customers/${customerId}`,
      `/customers/${customerId}/manage`,
      '/customers/views',
      '/projects',
      `/projects/${project.id}`,
      '/settings/tokens',
      '/settings/team',
      '/imports/new',
      '/customers/999999999',
    ]) {
      const res = await b.get(path)
      expect([200, 404], path).toContain(res.status)
      expect(String(res.headers.get('Cache-Control')), path).toMatch(/\bprivate\b.*\bno-store\b/)
    }
    const fragment = await b.get('/customers', { 'HX-Request': 'true' })
    expect(String(fragment.headers.get('Cache-Control'))).toMatch(/\bno-store\b/)
  })
})

describe('secrets at rest', () => {
  it('stores passwords only as salted PBKDF2-SHA-256 hashes (100,000 iterations)', async () => {
    const password = 'the same password twice'
    const [a, b] = [email(), email()]
    await new TestBrowser(t.app).signUp(a, password)
    await new TestBrowser(t.app).signUp(b, password)
    const rows = await t.db
      .selectFrom('users')
      .select(['email', 'password_hash'])
      .where('email', 'in', [a, b])
      .execute()
    expect(rows).toHaveLength(2)
    for (const { password_hash } of rows) {
      const b64 = (n: number) => `[A-Za-z0-9+/=]{${n}}`
      const format = new RegExp(`^pbkdf2-sha256\\$100000\\$${b64(24)}\\$${b64(44)}$`)
      expect(password_hash).toMatch(format)
      expect(password_hash).not.toContain(password)
      expect(await verifyPassword(password, password_hash)).toBe(true)
      expect(await verifyPassword(password + '!', password_hash)).toBe(false)
    }
    // A random salt per user: equal passwords do not give equal hashes.
    expect(rows[0]!.password_hash).not.toBe(rows[1]!.password_hash)
  })

  it('stores project keys only as SHA-256, and a short prefix to tell them apart', async () => {
    const { projects } = await seedAccount(t.db)
    const { key, project } = projects[0]!
    const row = await t.db
      .selectFrom('api_keys')
      .selectAll()
      .where('project_id', '=', project.id)
      .executeTakeFirstOrThrow()
    expect(key).toMatch(/^tcrm_proj_[0-9A-Za-z]{32}$/)
    expect(row.key_hash).toBe(await hashKey(key))
    expect(row.prefix).toBe(key.slice(0, KEY_PREFIX_LENGTH))
    expect(JSON.stringify(row)).not.toContain(key)
  })
})

describe('errors and logs', () => {
  it('never logs passwords, session tokens or API keys, whatever the outcome', async () => {
    const { projects } = await seedAccount(t.db)
    const key = projects[0]!.key
    const address = email()
    const password = 'a secret nobody logs 42'
    const b = new TestBrowser(t.app)
    const logs = await consoleDuring(async () => {
      await b.signUp(address, password)
      await b.post('/logout')
      await b.logIn(address, 'the wrong password 1')
      await b.logIn(address, password)
      await postJson(t.app, '/v1/identify', key, { email: 'not an email' })
      await postJson(t.app, '/v1/identify', key + 'x', { email: 'x@example.com' })
      await postJson(t.app, '/v1/identify', key, '{"email": broken json')
    })
    const session = b.cookies.get('tcrm_session')
    expect(session).toBeDefined()
    for (const secret of [password, 'the wrong password 1', session!, key, await hashKey(key)]) {
      expect(logs).not.toContain(secret)
    }
  })

  it('an internal failure answers 500 with a request id only, and logs the cause', async () => {
    // A database that is gone (closed under the app): a real failure with internals to hide.
    const broken = await openTestDb()
    const brokenApp = createApp({ db: broken.db })
    const { projects } = await seedAccount(broken.db)
    const key = projects[0]!.key
    const b = new TestBrowser(brokenApp)
    await b.signUp(email())
    await broken.close()

    let api!: Awaited<ReturnType<typeof postJson>>
    let page!: Awaited<ReturnType<TestBrowser['get']>>
    const logs = await consoleDuring(async () => {
      api = await postJson(brokenApp, '/v1/identify', key, { email: 'x@example.com' })
      page = await b.get('/projects')
    })
    expect(api.status).toBe(500)
    expect(api.body).toEqual({
      error: { code: 'internal', message: 'Internal error', requestId: expect.any(String) },
    })
    expect(page.status).toBe(500)
    for (const text of [JSON.stringify(api.body), page.html]) {
      expect(text).not.toMatch(/\bat \S+ \(|node_modules|destroyed|closed|kysely|pglite|SELECT/i)
    }
    // The operator can find the cause: the log line carries the id the client was shown.
    expect(logs).toContain(api.body.error.requestId)
    expect(logs).not.toContain(key)
    expect(logs).not.toContain(b.cookies.get('tcrm_session')!)
  })
})
