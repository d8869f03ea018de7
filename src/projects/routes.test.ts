// The projects pages: create, rename, recolour, delete with its confirmation; keys shown once,
// rotated and revoked with their effect on the ingest API; another account's project is a 404.
import { describe, expect, it } from 'vitest'
import { createApp } from '../app.js'
import { useTestApp } from '../../test/support/db.js'
import { logInSeeded, postJson, seedAccount } from '../../test/support/fixtures.js'
import { TestBrowser } from '../../test/support/test-browser.js'
import { contrastRatio, textColorOn } from './colors.js'

const t = useTestApp({ config: { publicUrl: 'https://crm.example.com' } })

const fullKeys = (html: string) => html.match(/tcrm_proj_[0-9A-Za-z]{32}/g) ?? []
const identify = (key: string, email = 'alex@example.com') =>
  postJson(t.app, '/v1/identify', key, { email })

describe('create', () => {
  it('creates a project, then shows its full key once after the redirect, with the install snippet filled in', async () => {
    const { b, seeded } = await logInSeeded(t)
    await b.get('/projects')
    const created = await b.post('/projects', { name: 'Invoice Bot', color: '#FDE047' })
    // Post/Redirect/Get: the post answers 303, and its response carries no key.
    expect(created.status).toBe(303)
    expect(fullKeys(created.html)).toEqual([])
    const project = await t.db
      .selectFrom('projects')
      .selectAll()
      .where('account_id', '=', seeded.accountId)
      .where('name', '=', 'Invoice Bot')
      .executeTakeFirstOrThrow()
    expect(created.location).toBe(`/projects/${project.id}`)
    expect(project.color).toBe('#fde047')

    const res = await b.follow(created)
    expect(res.status).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    expect(res.html).toContain('Created Invoice Bot.')
    const [key] = fullKeys(res.html)
    expect(key).toBeDefined()
    expect(res.html).toContain(`TINYCRM_API_KEY=${key}`)
    expect(res.html).toContain("baseUrl: 'https://crm.example.com'")
    expect(res.html).toContain('npm install https://crm.example.com/sdk/tinycrm-sdk.tgz')
    expect(res.html).toContain(`curl -X POST https://crm.example.com/v1/identify`)
    expect(res.html).toContain(`Bearer ${key}`)
    // The key works for ingest...
    expect((await identify(key!)).status).toBe(200)
    // ...and a reload shows only its prefix and a placeholder.
    const again = await b.get(`/projects/${project.id}`)
    expect(fullKeys(again.html)).toEqual([])
    expect(again.html).not.toContain('Created Invoice Bot.')
    expect(again.html).toContain(`${key!.slice(0, 16)}…`)
    expect(again.html).toContain('TINYCRM_API_KEY=tcrm_proj_YOUR_KEY')
  })

  it('shows the key only on the page the redirect names', async () => {
    const { b, seeded } = await logInSeeded(t)
    await b.get('/projects')
    const created = await b.post('/projects', { name: 'Elsewhere' })
    // Another page first: it shows nothing of the flash, which waits for its own page.
    const other = await b.get(`/projects/${seeded.projects[0]!.project.id}`)
    expect(fullKeys(other.html)).toEqual([])
    expect(other.html).not.toContain('Created Elsewhere.')
    expect(new Set(fullKeys((await b.follow(created)).html)).size).toBe(1)
    expect(fullKeys((await b.follow(created)).html)).toEqual([])
  })

  it('warns when the name is already a project of the account, and creates it only when asked again', async () => {
    const { b, seeded } = await logInSeeded(t)
    const first = seeded.projects[0]!.project
    await b.get('/projects')
    const count = async () =>
      (
        await t.db
          .selectFrom('projects')
          .select('id')
          .where('account_id', '=', seeded.accountId)
          .execute()
      ).length
    const before = await count()
    // Refused: 303 back to the projects page (a GET: reload and Back post nothing), which warns
    // at the name field, holding what was typed and the colour picked.
    const typed = ` ${first.name.toUpperCase()} `
    const warned = await b.post('/projects', { name: typed, color: '#be123c' })
    expect(warned).toMatchObject({ status: 303, location: '/projects' })
    expect(await count()).toBe(before)
    const page = await b.follow(warned)
    expect(page.status).toBe(200)
    expect(page.html).toContain(`You already have a project named <strong>${first.name}</strong>`)
    expect(page.html).toContain(`Create “${typed.trim()}” anyway`)
    expect(page.html).toContain('name="duplicate" value="ok"')
    expect(page.html).toMatch(
      new RegExp(`value="${typed}"[^>]*aria-invalid="true" aria-describedby="new-project-taken"`),
    )
    expect(page.html).toContain('value="#be123c"')
    // Shown once: a reload is the plain page again.
    expect((await b.get('/projects')).html).not.toContain('You already have a project named')
    const created = await b.post('/projects', { name: first.name, duplicate: 'ok' })
    expect(created.status).toBe(303)
    expect(await count()).toBe(before + 1)
    // Renaming into another project's name warns the same way, on the project's page.
    const renamed = await b.post(created.location!, { name: first.name })
    expect(renamed).toMatchObject({ status: 303, location: created.location })
    const settings = await b.follow(renamed)
    expect(settings.html).toContain(
      `You already have a project named <strong>${first.name}</strong>`,
    )
    expect(settings.html).toContain(`Rename “${first.name}” anyway`)
    expect(settings.html).toContain('aria-describedby="settings-taken"')
  })

  it('refuses an empty name or a bad colour: back to the form, saying why at the field', async () => {
    const { b, seeded } = await logInSeeded(t)
    await b.get('/projects')
    const empty = await b.post('/projects', { name: '   ' })
    expect(empty).toMatchObject({ status: 303, location: '/projects' })
    expect((await b.follow(empty)).html).toMatch(
      /value=" {3}"[^>]*aria-invalid="true" aria-describedby="new-project-error"[\s\S]*id="new-project-error">The project name must be 1 to 80 characters/,
    )
    const bad = await b.post('/projects', { name: 'Fine', color: 'red; background:url(x)' })
    expect(bad).toMatchObject({ status: 303, location: '/projects' })
    const why = (await b.follow(bad)).html
    expect(why).toContain('value="Fine"')
    expect(why).toMatch(/name="color"[^>]*aria-invalid="true" aria-describedby="new-project-error"/)
    expect(why).toContain('id="new-project-error">The colour must look like #4f46e5.')
    expect(why).not.toContain('url(x)')
    // A rename refused the same way, on the project's page, its name left as it was.
    const { project } = seeded.projects[0]!
    await b.get(`/projects/${project.id}`)
    const rename = await b.post(`/projects/${project.id}`, { name: '' })
    expect(rename).toMatchObject({ status: 303, location: `/projects/${project.id}` })
    expect((await b.follow(rename)).html).toContain(
      'id="settings-error">The project name must be 1 to 80 characters',
    )
    const row = await t.db
      .selectFrom('projects')
      .select('name')
      .where('id', '=', project.id)
      .executeTakeFirstOrThrow()
    expect(row.name).toBe(project.name)
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
    const { b, seeded } = await logInSeeded(t)
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
    const { b, seeded } = await logInSeeded(t)
    const [a, bProj] = seeded.projects
    await identify(a!.key, 'both@example.com')
    await identify(bProj!.key, 'both@example.com')
    await identify(a!.key, 'only-a@example.com')
    const confirm = await b.get(`/projects/${a!.project.id}/delete`)
    expect(confirm.status).toBe(200)
    expect(confirm.html).toContain('<strong>2 customers</strong> in this project')
    expect(confirm.html).toContain('<strong>1 customer</strong> entirely')
    expect(confirm.html).toContain('<strong>1 active API key</strong>: apps still sending with it')
    // A project whose customers all use another too loses none of them entirely: not said.
    const other = await b.get(`/projects/${bProj!.project.id}/delete`)
    expect(other.html).toContain('<strong>1 customer</strong> in this project')
    expect(other.html).not.toContain('entirely')
    // With customers, the name must be typed (any case); a wrong one deletes nothing.
    // Refused: 303 back to the confirmation (a GET, so reload and Back post nothing), saying why
    // at the field with what was typed.
    const wrong = await b.post(`/projects/${a!.project.id}/delete`, { confirm: 'nope' })
    expect(wrong).toMatchObject({ status: 303, location: `/projects/${a!.project.id}/delete` })
    const why = await b.follow(wrong)
    expect(why.status).toBe(200)
    expect(why.html).toContain('id="delete-error">Type the project')
    expect(why.html).toMatch(/value="nope"[^>]*aria-invalid="true"/)
    const res = await b.post(`/projects/${a!.project.id}/delete`, {
      confirm: ` ${a!.project.name.toLowerCase()}`,
    })
    expect(res).toMatchObject({ status: 303, location: '/projects' })
    expect((await b.follow(res)).html).toContain(
      `Deleted ${a!.project.name}, its keys and its data on 2 customers; 1 customer in no other project went with it.`,
    )
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
  it('rotates: a new key shown once after the redirect, every older key answers 403 at once', async () => {
    const { b, seeded } = await logInSeeded(t)
    const { project, key: oldKey } = seeded.projects[0]!
    await b.get(`/projects/${project.id}`)
    const posted = await b.post(`/projects/${project.id}/keys`, { mode: 'rotate' })
    expect(posted).toMatchObject({ status: 303, location: `/projects/${project.id}` })
    const res = await b.follow(posted)
    const [newKey] = fullKeys(res.html)
    expect(newKey).not.toBe(oldKey)
    expect(res.html).toContain(`TINYCRM_API_KEY=${newKey}`)
    expect(res.html).toContain('Rotated the key')
    expect((await identify(oldKey)).status).toBe(403)
    expect((await identify(newKey!)).status).toBe(200)
    expect(res.html).toContain('Revoked')
    // A reload repeats nothing: the key just shown still works, and is not shown again.
    const reload = await b.get(`/projects/${project.id}`)
    expect(fullKeys(reload.html)).toEqual([])
    expect((await identify(newKey!)).status).toBe(200)
  })

  it('adds a second key without revoking, then revokes one key: 403 for it only', async () => {
    const { b, seeded } = await logInSeeded(t)
    const { project, key: first } = seeded.projects[0]!
    await b.get(`/projects/${project.id}`)
    const added = await b.post(`/projects/${project.id}/keys`, { mode: 'add' })
    const [second] = fullKeys((await b.follow(added)).html)
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
    expect((await b.follow(res)).html).toContain(`Revoked the key ${keys[0]!.prefix}…`)
    expect((await identify(first)).status).toBe(403)
    expect((await identify(second!)).status).toBe(200)
  })

  it('asks before rotating or revoking: each is a dialog with Cancel and the action', async () => {
    const { b, seeded } = await logInSeeded(t)
    const { html } = await b.get(`/projects/${seeded.projects[0]!.project.id}`)
    for (const id of ['confirm-rotate', 'confirm-revoke-']) {
      expect(html).toMatch(new RegExp(`popovertarget="${id}\\d*"`))
      expect(html).toMatch(
        new RegExp(`<div id="${id}\\d*" popover="auto" class="confirm" role="dialog"`),
      )
    }
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
    const { b } = await logInSeeded(t)
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
    const { b } = await logInSeeded(t)
    expect((await b.get('/projects/abc')).status).toBe(404)
    expect((await b.get('/projects/99999999999999999999')).status).toBe(404)
  })
})

describe('escaping and budgets', () => {
  it('escapes HTML in project names everywhere it is shown', async () => {
    const { b } = await logInSeeded(t)
    await b.get('/projects')
    const res = await b.follow(await b.post('/projects', { name: '<img src=x onerror=alert(1)>' }))
    expect(res.html).not.toContain('<img src=x')
    expect(res.html).toContain('&lt;img src=x onerror=alert(1)>')
    const list = await b.get('/projects')
    expect(list.html).not.toContain('<img src=x')
  })

  it('puts the CSRF field in every form that posts', async () => {
    const { b, seeded } = await logInSeeded(t)
    const id = seeded.projects[0]!.project.id
    for (const path of ['/projects', `/projects/${id}`, `/projects/${id}/delete`]) {
      const { html } = await b.get(path)
      const forms = html.match(/<form[^>]*method="post"[^>]*>[\s\S]*?<\/form>/g) ?? []
      expect(forms.length, path).toBeGreaterThan(0)
      for (const form of forms) expect(form, path).toContain(`name="_csrf" value="${b.csrf}"`)
    }
  })

  it('sends at most three SQL statements per page', async () => {
    const { b, seeded } = await logInSeeded(t)
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
