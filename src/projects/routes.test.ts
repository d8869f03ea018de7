// The projects pages: create, rename, recolour, delete with its confirmation; keys shown once,
// rotated and revoked with their effect on the ingest API; another account's project is a 404.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../app.js'
import { openTestDb, type TestDb } from '../../test/support/db.js'
import { postJson, seedAccount } from '../../test/support/fixtures.js'
import { TestBrowser } from '../../test/support/test-browser.js'
import { contrastRatio, textColorOn } from './colors.js'

let t: TestDb
let app: ReturnType<typeof createApp>

beforeAll(async () => {
  t = await openTestDb()
  app = createApp({ db: t.db, config: { publicUrl: 'https://crm.example.com' } })
})
afterAll(() => t.close())

async function signedIn() {
  const seeded = await seedAccount(t.db)
  const b = new TestBrowser(app)
  await b.logIn(seeded.email, seeded.password)
  return { b, seeded }
}

const fullKeys = (html: string) => html.match(/tcrm_proj_[0-9A-Za-z]{32}/g) ?? []
const identify = (key: string, email = 'alex@example.com') =>
  postJson(app, '/v1/identify', key, { email })

describe('create', () => {
  it('creates a project and shows its full key once, with the install snippet filled in', async () => {
    const { b, seeded } = await signedIn()
    await b.get('/projects')
    const res = await b.post('/projects', { name: 'Invoice Bot', color: '#FDE047' })
    expect(res.status).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const [key] = fullKeys(res.html)
    expect(key).toBeDefined()
    expect(res.html).toContain(`TINYCRM_API_KEY=${key}`)
    expect(res.html).toContain("baseUrl: 'https://crm.example.com'")
    expect(res.html).toContain('npm install https://crm.example.com/sdk/tinycrm-sdk.tgz')
    expect(res.html).toContain(`curl -X POST https://crm.example.com/v1/identify`)
    expect(res.html).toContain(`Bearer ${key}`)
    const project = await t.db
      .selectFrom('projects')
      .selectAll()
      .where('account_id', '=', seeded.accountId)
      .where('name', '=', 'Invoice Bot')
      .executeTakeFirstOrThrow()
    expect(project.color).toBe('#fde047')
    // The key works for ingest...
    expect((await identify(key!)).status).toBe(200)
    // ...and afterwards the page shows only its prefix and a placeholder.
    const again = await b.get(`/projects/${project.id}`)
    expect(fullKeys(again.html)).toEqual([])
    expect(again.html).toContain(`${key!.slice(0, 16)}…`)
    expect(again.html).toContain('TINYCRM_API_KEY=tcrm_proj_YOUR_KEY')
  })

  it('refuses an empty name or a bad colour with the form again', async () => {
    const { b } = await signedIn()
    await b.get('/projects')
    expect((await b.post('/projects', { name: '   ' })).status).toBe(400)
    const bad = await b.post('/projects', { name: 'Fine', color: 'red; background:url(x)' })
    expect(bad.status).toBe(400)
    expect(bad.html).toContain('colour must look like')
  })

  it('uses the request origin in the snippet when no public URL is configured', async () => {
    const local = createApp({ db: t.db })
    const seeded = await seedAccount(t.db)
    const b = new TestBrowser(local, 'http://127.0.0.1:18555')
    await b.logIn(seeded.email, seeded.password)
    const page = await b.get(`/projects/${seeded.projects[0]!.project.id}`)
    expect(page.html).toContain("baseUrl: 'http://127.0.0.1:18555'")
  })
})

describe('rename, recolour, delete', () => {
  it('renames and recolours, keeping the slug', async () => {
    const { b, seeded } = await signedIn()
    const { project } = seeded.projects[0]!
    await b.get(`/projects/${project.id}`)
    const res = await b.post(`/projects/${project.id}`, { name: 'Renamed App', color: '#be123c' })
    expect(res.status).toBe(303)
    const row = await t.db
      .selectFrom('projects')
      .selectAll()
      .where('id', '=', project.id)
      .executeTakeFirstOrThrow()
    expect(row).toMatchObject({ name: 'Renamed App', color: '#be123c', slug: project.slug })
    // Saved customer filters name projects by slug, so they keep working after a rename.
    expect((await b.get(`/projects/${project.id}`)).html).toContain(
      `href="/customers?in=${project.slug}"`,
    )
    expect((await b.get('/projects')).html).toContain('Renamed App')
  })

  it('says what deleting loses, then deletes the project, its keys, and customers only in it', async () => {
    const { b, seeded } = await signedIn()
    const [a, bProj] = seeded.projects
    await identify(a!.key, 'both@example.com')
    await identify(bProj!.key, 'both@example.com')
    await identify(a!.key, 'only-a@example.com')
    const confirm = await b.get(`/projects/${a!.project.id}/delete`)
    expect(confirm.status).toBe(200)
    expect(confirm.html).toContain('<strong>2 customers</strong> in this project')
    expect(confirm.html).toContain('<strong>1 customer</strong> entirely')
    expect(confirm.html).toContain('<strong>1 active API key</strong>')
    const res = await b.post(`/projects/${a!.project.id}/delete`)
    expect(res).toMatchObject({ status: 303, location: '/projects' })
    const customers = await t.db
      .selectFrom('customers')
      .select('email')
      .where('account_id', '=', seeded.accountId)
      .execute()
    expect(customers.map((c) => c.email)).toEqual(['both@example.com'])
    expect((await identify(a!.key)).status).toBe(401)
    expect((await identify(bProj!.key)).status).toBe(200)
    expect((await b.get(`/projects/${a!.project.id}`)).status).toBe(404)
  })
})

describe('keys', () => {
  it('rotates: a new key shown once, every older key answers 403 at once', async () => {
    const { b, seeded } = await signedIn()
    const { project, key: oldKey } = seeded.projects[0]!
    await b.get(`/projects/${project.id}`)
    const res = await b.post(`/projects/${project.id}/keys`, { mode: 'rotate' })
    expect(res.status).toBe(200)
    const [newKey] = fullKeys(res.html)
    expect(newKey).not.toBe(oldKey)
    expect(res.html).toContain(`TINYCRM_API_KEY=${newKey}`)
    expect((await identify(oldKey)).status).toBe(403)
    expect((await identify(newKey!)).status).toBe(200)
    expect(res.html).toContain('Revoked')
  })

  it('adds a second key without revoking, then revokes one key: 403 for it only', async () => {
    const { b, seeded } = await signedIn()
    const { project, key: first } = seeded.projects[0]!
    await b.get(`/projects/${project.id}`)
    const [second] = fullKeys((await b.post(`/projects/${project.id}/keys`, { mode: 'add' })).html)
    expect((await identify(first)).status).toBe(200)
    expect((await identify(second!)).status).toBe(200)
    const keys = await t.db
      .selectFrom('api_keys')
      .selectAll()
      .where('project_id', '=', project.id)
      .orderBy('id')
      .execute()
    const res = await b.post(`/projects/${project.id}/keys/${keys[0]!.id}/revoke`)
    expect(res).toMatchObject({ status: 303, location: `/projects/${project.id}` })
    expect((await identify(first)).status).toBe(403)
    expect((await identify(second!)).status).toBe(200)
  })
})

describe('tenant isolation', () => {
  it("answers 404 for another account's project, its keys and its delete page, and changes nothing", async () => {
    const victim = await seedAccount(t.db)
    const { project, key } = victim.projects[0]!
    const keyRow = await t.db
      .selectFrom('api_keys')
      .select('id')
      .where('project_id', '=', project.id)
      .executeTakeFirstOrThrow()
    const { b } = await signedIn()
    await b.get('/projects')
    const attempts = [
      await b.get(`/projects/${project.id}`),
      await b.get(`/projects/${project.id}/delete`),
      await b.post(`/projects/${project.id}`, { name: 'Pwned' }),
      await b.post(`/projects/${project.id}/keys`, { mode: 'rotate' }),
      await b.post(`/projects/${project.id}/keys/${keyRow.id}/revoke`),
      await b.post(`/projects/${project.id}/delete`),
    ]
    for (const res of attempts) {
      expect(res.status).toBe(404)
      expect(res.html).not.toContain(project.name)
      expect(fullKeys(res.html)).toEqual([])
    }
    expect((await b.get('/projects')).html).not.toContain(`/projects/${project.id}"`)
    const row = await t.db
      .selectFrom('projects')
      .selectAll()
      .where('id', '=', project.id)
      .executeTakeFirstOrThrow()
    expect(row.name).toBe(project.name)
    expect((await identify(key)).status).toBe(200)
  })

  it('answers 404 for ids that are not numbers', async () => {
    const { b } = await signedIn()
    expect((await b.get('/projects/abc')).status).toBe(404)
    expect((await b.get('/projects/99999999999999999999')).status).toBe(404)
  })
})

describe('escaping and budgets', () => {
  it('escapes HTML in project names everywhere it is shown', async () => {
    const { b } = await signedIn()
    await b.get('/projects')
    const res = await b.post('/projects', { name: '<img src=x onerror=alert(1)>' })
    expect(res.html).not.toContain('<img src=x')
    expect(res.html).toContain('&lt;img src=x onerror=alert(1)>')
    const list = await b.get('/projects')
    expect(list.html).not.toContain('<img src=x')
  })

  it('puts the CSRF field in every form that posts', async () => {
    const { b, seeded } = await signedIn()
    const id = seeded.projects[0]!.project.id
    for (const path of ['/projects', `/projects/${id}`, `/projects/${id}/delete`]) {
      const { html } = await b.get(path)
      const forms = html.match(/<form[^>]*method="post"[^>]*>[\s\S]*?<\/form>/g) ?? []
      expect(forms.length, path).toBeGreaterThan(0)
      for (const form of forms) expect(form, path).toContain(`name="_csrf" value="${b.csrf}"`)
    }
  })

  it('sends at most three SQL statements per page', async () => {
    const { b, seeded } = await signedIn()
    const id = seeded.projects[0]!.project.id
    for (const path of ['/projects', `/projects/${id}`, `/projects/${id}/delete`]) {
      t.statements.length = 0
      expect((await b.get(path)).status).toBe(200)
      expect(t.statements.length, path).toBeLessThanOrEqual(3)
    }
    t.statements.length = 0
    await b.post(`/projects/${id}/keys`, { mode: 'rotate' })
    expect(t.statements.length).toBeLessThanOrEqual(3)
  })
})

describe('badge colours', () => {
  it('picks black or white text, whichever passes WCAG AA on the badge colour (any colour)', () => {
    for (let i = 0; i < 4096; i++) {
      const bg = `#${[i >> 8, (i >> 4) & 15, i & 15].map((v) => (v * 17).toString(16).padStart(2, '0')).join('')}`
      expect(contrastRatio(bg, textColorOn(bg)), bg).toBeGreaterThanOrEqual(4.5)
    }
  })
})
