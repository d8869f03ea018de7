// The two sub-apps: the API under /v1 answers every error (an unknown route included) as the JSON
// envelope and never runs the dashboard's middleware; the dashboard answers a browser with pages.
import { describe, expect, it } from 'vitest'
import { createApp } from './app.js'
import { loopbackHosts } from './middleware/host-check/index.js'
import { useTestApp } from '../test/support/db.js'

const t = useTestApp()

const html = { Accept: 'text/html' }

describe('the API (/v1)', () => {
  it('answers an unknown route with the JSON envelope, even to a browser', async () => {
    for (const path of ['/v1', '/v1/', '/v1/nope', '/v1/customers/x/y']) {
      const res = await t.app.request(path, { headers: html })
      expect(res.status, path).toBe(404)
      expect(res.headers.get('content-type'), path).toContain('application/json')
      expect(await res.json()).toMatchObject({
        error: { code: 'not_found', requestId: expect.any(String) },
      })
    }
  })

  it('never runs the dashboard CSRF check: a form post to /v1 is the API’s 404, not a 403', async () => {
    const res = await t.app.request('/v1/nope', {
      method: 'POST',
      headers: { ...html, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    })
    expect(res.status).toBe(404)
    expect(res.headers.getSetCookie()).toEqual([])
  })
})

describe('the dashboard', () => {
  it('answers an unknown page with a friendly HTML page', async () => {
    const res = await t.app.request('/nope', { headers: html })
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toContain('text/html')
    const page = await res.text()
    expect(page).toContain('>Page not found</h1>')
    expect(page).toContain('No page at this address')
    expect(page).not.toContain('No route')
  })

  it('answers a script that asks for JSON with the JSON envelope', async () => {
    const res = await t.app.request('/projects/1', {
      method: 'POST',
      headers: { Accept: 'application/json' },
    })
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({ error: { code: 'forbidden' } })
  })
})

it('serves public/ files (assets, the packed SDK) before either sub-app', async () => {
  const withAssets = createApp({ db: t.db, assets: async (c) => c.text(`static ${c.req.path}`) })
  for (const path of ['/assets/app.css', '/sdk/tinycrm-sdk.tgz']) {
    expect(await (await withAssets.request(path)).text()).toBe(`static ${path}`)
  }
})

it('/healthz answers ok when the database does', async () => {
  const res = await t.app.request('/healthz')
  expect(res.status).toBe(200)
  expect(await res.json()).toEqual({ ok: true })
})

it('bound to loopback, refuses a foreign Host before the API, the dashboard or the assets', async () => {
  const bound = createApp({
    db: t.db,
    config: { allowedHosts: loopbackHosts('127.0.0.1', 'https://crm.example.com') },
    assets: async (c) => c.text('static'),
  })
  for (const path of ['/v1/identify', '/signup', '/assets/app.css', '/healthz']) {
    expect((await bound.request(`http://rebound.example:8787${path}`)).status, path).toBe(403)
    expect((await bound.request(`http://127.0.0.1:8787${path}`)).status, path).not.toBe(403)
  }
  expect((await bound.request('https://crm.example.com/signup')).status).toBe(200)
})
