// The dashboard inside workerd, over Neon's HTTP driver: a new owner signs up, creates a project,
// sends a customer with the key shown once, finds it in the customers table, and imports a CSV. Every page runs its
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
  it('signs up, creates a project, lists the customer its key sent, and imports a CSV', async () => {
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

    // A CSV import, each step one transaction over HTTP (the ingest statement with its chunk check,
    // ../../src/csv/chunk-guard.ts): upload, mapping, dry run, import, as the page's polls run it.
    const projectId = /\/projects\/(\d+)/.exec(created.location!)![1]!
    const upload = async (body: BlobPart) => {
      await b.get(`/imports/new?project=${projectId}`)
      const form = new FormData()
      form.set('_csrf', b.csrf)
      form.set('project', projectId)
      form.set('file', new File([body], 'people.csv', { type: 'text/csv' }))
      return b.request('/imports', { method: 'POST', body: form })
    }
    const poll = async (id: string) => {
      for (let i = 0; i < 30; i++) {
        const res = await b.get(`/imports/${id}/progress`, { 'HX-Request': 'true' })
        if (!res.html.includes('hx-trigger="every 1s"')) return res.html
      }
      throw new Error('the import never finished')
    }
    const uploaded = await upload(
      'email,status,plan\nedge@example.com,churned,pro\nnew@example.com,trial,team\n',
    )
    expect(uploaded.status).toBe(303)
    const id = /\/imports\/(\d+)$/.exec(uploaded.location!)![1]!
    const mapped = await b.post(`/imports/${id}/mapping`, {
      target_0: 'email',
      target_1: 'status',
      target_2: 'param',
      key_2: 'plan',
      type_2: 'text',
    })
    expect(mapped.status).toBe(303)
    expect(await poll(id)).toContain('Import 2 rows')
    expect((await b.post(`/imports/${id}/start`)).status).toBe(303)
    expect(await poll(id)).toContain('Import finished')
    const imported = await b.get(`/customers?in=edge-app:churned&p=plan:eq:pro`)
    expect(imported.html).toContain('edge@example.com')
    expect((await b.get(`/customers?in=edge-app:trial`)).html).toContain('new@example.com')

    // A file that is not UTF-8 is refused on the Worker too: back to the upload page (303), which
    // names the line.
    const latin1 = await upload(
      new Uint8Array([...new TextEncoder().encode('email,name\njo@x.example,Jos'), 0xe9]),
    )
    expect(latin1).toMatchObject({ status: 303, location: '/imports/new' })
    expect((await b.follow(latin1)).html).toContain('Line 2 is not UTF-8 text')
  })
})
