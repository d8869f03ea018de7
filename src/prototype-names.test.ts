// Object.prototype's names (`__proto__`, `constructor`, `toString`, `hasOwnProperty`, `valueOf`)
// wherever input becomes a lookup key: a status, a param key, a filter value or key, a CSV cell or
// header, a mapping target, a project slug. None is ever a 500; each is either plain data or a
// clear 400 naming the field, and a bad item of a batch or a bad row of a file fails alone.
import { beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createAccountToken } from './account-api/tokens.js'
import { importToEnd, listRejects, loadJob } from './csv/job.js'
import { createImport } from './csv/upload.js'
import { suggestMapping, validateMapping, type Mapping } from './csv/mapping.js'
import { ingestForProject } from './ingest/upsert.js'
import { createProject } from './projects/store.js'
import { useTestApp } from '../test/support/db.js'
import { postJson, seedAccount } from '../test/support/fixtures.js'
import { TestBrowser } from '../test/support/test-browser.js'
import { PROTOTYPE_NAMES } from '../test/support/prototype-names.js'

const t = useTestApp()
let seeded: Awaited<ReturnType<typeof seedAccount>>
let key: string
let token: string

beforeAll(async () => {
  seeded = await seedAccount(t.db, ['App A'])
  key = seeded.projects[0]!.key
  token = (await createAccountToken(t.db, seeded.accountId, 'proto')).token
})

const readAll = async (res: Response) => (await res.text()).replace(/^\uFEFF/, '')
const api = (path: string) => t.app.request(path, { headers: { Authorization: `Bearer ${token}` } })

describe('ingest', () => {
  it('refuses a prototype name as a status (400 naming status), on identify and in a batch alone', async () => {
    for (const name of PROTOTYPE_NAMES) {
      const res = await postJson(t.app, '/v1/identify', key, { email: 'p@x.test', status: name })
      expect(res.status, name).toBe(400)
      expect(res.body.error.details[0].path, name).toBe('status')
      const batch = await postJson(t.app, '/v1/batch', key, {
        batch: [
          { type: 'identify', email: `ok-${name.toLowerCase()}@x.test`, status: 'paid' },
          { type: 'identify', email: 'bad@x.test', status: name },
          { type: name, email: 'bad2@x.test' },
          { type: 'identify', email: 'bad3@x.test', [name]: 1 },
        ],
      })
      expect(batch.status, name).toBe(200)
      expect(batch.body.succeeded, name).toBe(1)
      expect(batch.body.results.map((r: { ok: boolean }) => r.ok)).toEqual([
        true,
        false,
        false,
        false,
      ])
      expect(batch.body.results[1].error.details[0].path).toBe('batch.1.status')
    }
    const { rows } = await sql<{ email: string; status: string }>`
      SELECT c.email, r.status FROM customers c JOIN customer_projects r ON r.customer_id = c.id
      WHERE c.account_id = ${seeded.accountId} ORDER BY c.email`.execute(t.db)
    expect(rows.every((r) => r.email.startsWith('ok-') && r.status === 'paid')).toBe(true)
    expect(rows).toHaveLength(PROTOTYPE_NAMES.length)
  })

  it('keeps prototype names as plain data in a name, an email and a param key', async () => {
    const params = Object.fromEntries(PROTOTYPE_NAMES.map((n) => [n, n]))
    const res = await postJson(
      t.app,
      '/v1/identify',
      key,
      `{"email":"constructor@x.test","name":"__proto__","params":${JSON.stringify(params).replace('"__proto__"', '"__proto__"')}}`,
    )
    expect(res.status).toBe(200)
    const customer = await api(`/v1/customers/${res.body.customerId}`)
    const body = (await customer.json()) as any
    expect(body.customer.name).toBe('__proto__')
    expect(Object.getOwnPropertyNames(body.customer.projects['app-a'].params).sort()).toEqual(
      [...PROTOTYPE_NAMES].sort(),
    )
  })
})

describe('filters', () => {
  it('answers ?status=constructor and friends with a clear 400 on the API, the dashboard and both exports', async () => {
    const b = new TestBrowser(t.app)
    await b.logIn(seeded.email, seeded.password)
    for (const name of PROTOTYPE_NAMES) {
      const refused: [query: string, field: string][] = [
        [`status=${name}`, 'status'],
        [`not_status=${name}`, 'not_status'],
        [`in=app-a:${name}`, 'in'],
        [`sort=${name}`, 'sort'],
        [`${name}=1`, name],
        [`limit=${name}`, 'limit'],
      ]
      for (const [query, field] of refused) {
        const res = await api(`/v1/customers?${query}`)
        expect(res.status, query).toBe(400)
        const body = (await res.json()) as any
        expect(body.error.code, query).toBe('validation_failed')
        expect(body.error.details[0].path, query).toBe(field)
        expect((await api(`/v1/customers/export.csv?${query}`)).status, query).toBe(400)
        expect((await b.get(`/customers?${query}`)).status, query).toBe(400)
        expect((await b.get(`/customers/export.csv?${query}`)).status, query).toBe(400)
      }
      // As a param key or value, or a project slug, a prototype name is just a name.
      for (const query of [`p=${name}:exists`, `p=plan:eq:${name}`, `sum=${name}`]) {
        expect((await api(`/v1/customers?${query}`)).status, query).toBe(200)
        expect((await b.get(`/customers?${query}`)).status, query).toBe(200)
      }
    }
  })
})

describe('CSV', () => {
  const streamOf = (text: string) => new Blob([text]).stream()

  it('exports prototype-named param keys with each customer’s own value, or an empty cell', async () => {
    const { project, key: projectKey } = await createProject(t.db, {
      accountId: seeded.accountId,
      name: 'Export Proto',
    })
    await postJson(
      t.app,
      '/v1/identify',
      projectKey,
      '{"email":"has@x.test","params":{"constructor":"c","toString":"t","__proto__":"p"}}',
    )
    await postJson(t.app, '/v1/identify', projectKey, { email: 'none@x.test', params: { a: 1 } })
    const csv = await readAll(await api(`/v1/customers/export.csv?in=${project.slug}`))
    const [header, ...lines] = csv.trim().split('\r\n')
    const cols = header!.split(',')
    const row = (email: string) => lines.find((l) => l.split(',')[1] === email)!.split(',')
    for (const k of ['constructor', 'toString', '__proto__']) {
      const i = cols.indexOf(`${project.slug}.${k}`)
      expect(i, k).toBeGreaterThan(0)
      expect(row('none@x.test')[i], k).toBe('')
    }
    expect(row('has@x.test')[cols.indexOf(`${project.slug}.constructor`)]).toBe('c')
    expect(row('has@x.test')[cols.indexOf(`${project.slug}.__proto__`)]).toBe('p')
    expect(csv).not.toContain('function')
  })

  it('rejects a row whose status is a prototype name in the dry run, with the reason; the import finishes', async () => {
    const { project } = await createProject(t.db, {
      accountId: seeded.accountId,
      name: 'Import Proto',
    })
    const rows = PROTOTYPE_NAMES.map((n, i) => `bad${i}@csv.test,${n},${n}`)
    const csv = ['email,status,__proto__', 'good@csv.test,paid,kept', ...rows].join('\n')
    const { importId } = await createImport(t.db, {
      accountId: seeded.accountId,
      projectId: project.id,
      filename: 'proto.csv',
      body: streamOf(csv),
    })
    const job = await loadJob(t.db, seeded.accountId, importId)
    const mapping = suggestMapping(job.header, [], project.slug)
    // The suggestion is a tidied key (`proto`); the user may still name the param `__proto__`.
    expect(mapping[2]).toMatchObject({ target: 'param', type: 'text' })
    mapping[2] = { target: 'param', key: '__proto__', type: 'text' }
    const { dryRun, counts } = await importToEnd(t.db, seeded.accountId, importId, mapping)
    expect(dryRun).toMatchObject({ created: 1, rejected: PROTOTYPE_NAMES.length })
    expect(counts).toMatchObject({ created: 1, rejected: PROTOTYPE_NAMES.length })
    expect((await loadJob(t.db, seeded.accountId, importId)).state).toBe('done')
    const rejects = await listRejects(t.db, importId)
    expect(rejects).toHaveLength(PROTOTYPE_NAMES.length)
    for (const r of rejects) expect(r.reason).toMatch(/status must be one of/)
    // The `__proto__` column is a param like any other, not the row object's prototype.
    const { rows: stored } = await sql<{ params: string }>`
      SELECT r.params::text AS params FROM customer_projects r
      WHERE r.project_id = ${project.id}`.execute(t.db)
    expect(stored.map((r) => JSON.parse(r.params))).toEqual([{ ['__proto__']: 'kept' }])
    expect(Object.getOwnPropertyNames(JSON.parse(stored[0]!.params))).toEqual(['__proto__'])
  })

  it('refuses a mapping whose target or type is not one of the list (400), before any step runs', () => {
    const header = ['email', 'x']
    for (const name of PROTOTYPE_NAMES) {
      const targets: Mapping = [{ target: 'email' }, { target: name } as never]
      expect(() => validateMapping(targets, header), name).toThrow(/column x: unknown target/)
      const types: Mapping = [
        { target: 'email' },
        { target: 'param', key: 'k', type: name } as never,
      ]
      expect(() => validateMapping(types, header), name).toThrow(/column x: pick a type/)
    }
  })

  it('maps headers named like prototype names to params of those names', () => {
    const mapping = suggestMapping([...PROTOTYPE_NAMES], [], 'app-a', ['constructor'])
    expect(mapping.map((m) => m.target)).toEqual(
      PROTOTYPE_NAMES.map((n) => (n === 'constructor' ? 'skip' : 'param')),
    )
  })
})

describe('projects', () => {
  it('a project named constructor is a project like any other: filter, export, import', async () => {
    const { project, key: projectKey } = await createProject(t.db, {
      accountId: seeded.accountId,
      name: 'constructor',
    })
    expect(project.slug).toBe('constructor')
    await ingestForProject(t.db, project.id, [
      { type: 'identify', email: 'c@proj.test', status: 'trial', params: { plan: 'x' } },
    ])
    expect(projectKey).toMatch(/^tcrm_proj_/)
    const res = await api('/v1/customers?in=constructor:trial')
    expect(res.status).toBe(200)
    const body = (await res.json()) as any
    expect(body.customers.map((c: { email: string }) => c.email)).toEqual(['c@proj.test'])
    const csv = await readAll(await api('/v1/customers/export.csv?in=constructor'))
    expect(csv.split('\r\n')[0]).toContain('constructor,constructor:first_seen')
    expect(csv).toContain(',trial,')
  })
})
