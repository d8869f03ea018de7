// A tiny browser stand-in for route tests: keeps cookies across requests, finds the CSRF token in
// the last page, and posts forms the way a browser does (urlencoded, following nothing).
import type { App } from '../../src/app.js'

export class TestBrowser {
  readonly cookies = new Map<string, string>()
  csrf = ''
  lastHtml = ''

  constructor(
    readonly app: App,
    readonly origin = 'http://localhost',
  ) {}

  private cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  private remember(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';')
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq).trim()
      const value = pair!.slice(eq + 1).trim()
      const expired = attrs.some(
        (a) => /max-age=0\b/i.test(a.trim()) || /expires=thu, 01 jan 1970/i.test(a.trim()),
      )
      if (expired || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }

  async request(path: string, init: RequestInit = {}) {
    const headers = new Headers(init.headers)
    if (!headers.has('Accept')) headers.set('Accept', 'text/html')
    if (this.cookies.size) headers.set('Cookie', this.cookieHeader())
    const res = await this.app.request(new URL(path, this.origin).toString(), {
      ...init,
      headers,
      redirect: 'manual',
    })
    this.remember(res)
    const html = await res.text()
    if ((res.headers.get('content-type') ?? '').includes('text/html')) {
      this.lastHtml = html
      const token = /name="_csrf" value="([^"]*)"/.exec(html)
      if (token?.[1]) this.csrf = token[1]
    }
    return { status: res.status, headers: res.headers, html, location: res.headers.get('location') }
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request(path, { headers })
  }

  /** Follows a redirect the way a browser does (a GET of its location, cookies and all). */
  follow(res: { location: string | null }) {
    if (!res.location) throw new Error('not a redirect')
    return this.get(res.location)
  }

  /** Posts a form; the CSRF token from the last page is added unless `_csrf` is given (or null). */
  post(path: string, fields: Record<string, string | null> = {}, headers?: Record<string, string>) {
    const body = new URLSearchParams()
    if (!('_csrf' in fields)) body.set('_csrf', this.csrf)
    for (const [k, v] of Object.entries(fields)) if (v !== null) body.set(k, v)
    return this.request(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body,
    })
  }

  /** Signs up through the real forms and ends signed in. */
  async signUp(email: string, password = 'correct horse battery') {
    await this.get('/signup')
    return this.post('/signup', { email, password })
  }

  async logIn(email: string, password = 'correct horse battery') {
    await this.get('/login')
    return this.post('/login', { email, password })
  }
}
