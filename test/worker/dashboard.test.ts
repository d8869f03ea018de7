// The dashboard inside workerd, over Neon's HTTP driver: a new owner signs up, creates a project,
// sends a customer with the key shown once, and finds it in the customers table. Every page runs its
// statements one HTTP query at a time (kysely-neon has no interactive transactions), so this shows
// the dashboard's code path works on the deployed runtime, not only on Node.
import { exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import type { App } from '../../src/app.js'
import { TestBrowser } from '../support/test-browser.js'

const self = (exports as unknown as { default: Fetcher }).default
// TestBrowser drives an app's `request`; here every request goes to the Worker's own fetch.
const worker = {
  request: (url: string, init?: RequestInit) => self.fetch(url, init),
} as unknown as App

describe('the dashboard on the Worker', () => {
  it('signs up, creates a project, and lists the customer its key sent', async () => {
    const b = new TestBrowser(worker)
    const signup = await b.signUp(`owner-${Date.now()}@example.com`)
    expect(signup.status).toBe(303)

    await b.get('/projects')
    const created = await b.post('/projects', { name: 'Edge App', color: '#0f766e' })
    expect(created.status).toBe(303)
    // The key is shown once, on the page the redirect leads to (the flash cookie carries it).
    const shown = await b.follow(created)
    const [key] = shown.html.match(/tcrm_proj_[0-9A-Za-z]{32}/) ?? []
    expect(key).toBeDefined()

    const res = await self.fetch('https://tinycrm.example/v1/identify', {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'edge@example.com', name: 'Eddie Edge', status: 'paid' }),
    })
    expect(res.status).toBe(200)

    const table = await b.get('/customers')
    expect(table.status).toBe(200)
    expect(table.html).toContain('edge@example.com')
    expect(table.html).toContain('Eddie Edge')
    expect(table.html).toContain('Edge App')
  })
})
