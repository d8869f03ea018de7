// The DNS-rebinding guard: a server bound to loopback answers only requests addressed to a
// loopback name or to TINYCRM_PUBLIC_URL's host; a page of another site whose name now resolves
// to 127.0.0.1 gets a 403 before any route runs.
import { Hono } from 'hono/tiny'
import { describe, expect, it } from 'vitest'
import type { HonoEnv } from '../../env.js'
import { onError } from '../on-error/index.js'
import { hostCheck, loopbackHosts } from './index.js'

function appFor(allowed: string[] | undefined) {
  const app = new Hono<HonoEnv>()
  app.onError(onError())
  app.use(hostCheck(allowed))
  app.all('*', (c) => c.text('reached'))
  return app
}

const status = async (app: Hono<HonoEnv>, url: string, init?: RequestInit) =>
  (await app.request(url, init)).status

describe('loopbackHosts()', () => {
  it('is set only when the server is bound to a loopback address', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2']) {
      expect(loopbackHosts(host, undefined)).toEqual(['localhost', '127.0.0.1', '[::1]'])
    }
    expect(loopbackHosts('127.0.0.1', 'https://crm.example.com/')).toEqual([
      'localhost',
      '127.0.0.1',
      '[::1]',
      'crm.example.com',
    ])
    for (const host of ['0.0.0.0', '::', '192.168.1.5', 'crm.internal']) {
      expect(loopbackHosts(host, 'https://crm.example.com')).toBeUndefined()
    }
  })
})

describe('hostCheck()', () => {
  const app = appFor(loopbackHosts('127.0.0.1', 'https://crm.example.com'))

  it('answers loopback names, any port, and the public URL’s host', async () => {
    for (const url of [
      'http://localhost/',
      'http://localhost:8787/customers',
      'http://LOCALHOST:8787/',
      'http://app.localhost:8787/',
      'http://127.0.0.1:8787/v1/identify',
      'http://127.0.0.9/',
      'http://[::1]:8787/',
      'https://crm.example.com/login',
    ]) {
      expect(await status(app, url), url).toBe(200)
    }
  })

  it('refuses every other Host with 403, before the route runs (DNS rebinding)', async () => {
    for (const url of [
      'http://evil.example:8787/',
      'http://evil.example/v1/customers',
      'http://127.0.0.1.evil.example/',
      'http://localhost.evil.example/',
      'http://crm.example.com.evil.example/',
      'http://10.0.0.1:8787/',
    ]) {
      const res = await app.request(url, { method: 'POST' })
      expect(res.status, url).toBe(403)
      const body = (await res.json()) as any
      expect(body.error.code).toBe('forbidden')
      expect(body.error.message).toContain('TINYCRM_PUBLIC_URL')
    }
  })

  it('checks nothing when the server is not bound to loopback', async () => {
    expect(await status(appFor(undefined), 'http://evil.example/')).toBe(200)
  })
})
