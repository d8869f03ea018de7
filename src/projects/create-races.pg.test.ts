// Creating projects at the same instant, against a real PostgreSQL (PGlite runs one statement at a
// time and hides every race): a double click on the dashboard's form, a setup script creating in
// parallel. Each trial is a fresh account; six creates go at once (a gate, a lock on the projects
// table held by the test, parks them all at their first read and lets them go together): five
// through the account API (POST /v1/projects), one through the dashboard's form, signed in. Their
// names all make the slug app-z: "App Z" and " app z" are the same name, "App-Z!" another one;
// some ask for a duplicate. Then, against what the answers said: no 500; each create answered
// "created" made exactly one project with one key, and the projects are exactly those; the slugs
// number on from app-z without a gap and the colours follow the palette, in the order the
// projects were made (each create saw every earlier one); a create without the duplicate flag
// succeeded only where no earlier project had its name, and a refusal names such a project.
import { describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import type { App } from '../app.js'
import { useServedApp } from '../../test/support/pg-harness.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { TestBrowser } from '../../test/support/test-browser.js'
import { createAccountToken } from '../account-api/tokens.js'
import { PALETTE } from './colors.js'
import { sameProjectName } from './store.js'

const TRIALS = Number(process.env.RACE_TRIALS ?? 40)
const CREATES = 6
const APP_NAME = 'tinycrm-project-create-races'
const NAMES = ['App Z', ' app z', 'App-Z!']

const served = useServedApp({ appName: APP_NAME, poolSize: 20, gateTable: 'projects' })

/** What one create asked, and what its answer said it made (or which project it named). */
interface Create {
  name: string
  duplicate: boolean
  via: 'api' | 'form'
  status: number
  /** Refused: a 409 from the API; from the form, a 303 to the page that says why at the field. */
  refused: boolean
  createdId?: number
  /** A refusal's project, by slug. */
  named?: string
  log?: string
}

async function signedIn(email: string, password: string) {
  const fetcher = { request: (url: string, init?: RequestInit) => fetch(url, init) }
  const b = new TestBrowser(fetcher as unknown as App, served.baseUrl)
  await b.logIn(email, password)
  return b
}

async function viaApi(token: string, name: string, duplicate: boolean): Promise<Create> {
  const r = await served.call(
    'POST',
    '/v1/projects',
    token,
    duplicate ? { name, duplicate } : { name },
  )
  const named = /\(slug ([a-z0-9-]+)\)/.exec(r.body?.error?.message ?? '')?.[1]
  return {
    name,
    duplicate,
    via: 'api',
    status: r.status,
    refused: r.status === 409,
    createdId: r.body?.project?.id,
    named,
    log: r.log,
  }
}

/** A form's post answers 303 whether it was done or refused (Post/Redirect/Get): the page it
 *  leads to says which, the field at fault marked invalid, with the message. */
async function formAnswer(b: TestBrowser, r: Awaited<ReturnType<TestBrowser['post']>>) {
  if (r.status !== 303) return { status: r.status, refused: false, html: r.html }
  const page = await b.follow(r)
  return { status: r.status, refused: page.html.includes('aria-invalid="true"'), html: page.html }
}

async function viaForm(b: TestBrowser, name: string, duplicate: boolean): Promise<Create> {
  const r = await b.post('/projects', duplicate ? { name, duplicate: 'ok' } : { name })
  const answer = await formAnswer(b, r)
  const id = answer.refused ? undefined : /^\/projects\/(\d+)$/.exec(r.location ?? '')?.[1]
  const named = answer.refused
    ? /\(slug\s*(?:<code>)?([a-z0-9-]+)/.exec(answer.html)?.[1]
    : undefined
  return {
    name,
    duplicate,
    via: 'form',
    status: r.status,
    refused: answer.refused,
    createdId: id ? Number(id) : undefined,
    named,
  }
}

describe('creating and renaming projects at the same instant (real PostgreSQL)', () => {
  it(`makes each create one project with one key, numbers slugs and colours in order, and refuses a taken name (${TRIALS} trials × ${CREATES} creates)`, async () => {
    const failed: string[] = []
    let refusals = 0
    for (let t = 0; t < TRIALS; t++) {
      const seeded = await seedAccount(served.db, [])
      const { token } = await createAccountToken(served.db, seeded.accountId, 'race')
      const b = await signedIn(seeded.email, seeded.password)
      await b.get('/projects') // the form's CSRF token
      const creates = await served.gate.gated(CREATES, () =>
        Promise.all(
          Array.from({ length: CREATES }, (_, n) => {
            const name = NAMES[(n + t) % NAMES.length]!
            const duplicate = (n + 2 * t) % 4 === 0
            return n === 0 ? viaForm(b, name, duplicate) : viaApi(token, name, duplicate)
          }),
        ),
      )
      const problems: string[] = []
      const { rows } = await sql<{
        id: number
        name: string
        slug: string
        color: string
        keys: number
      }>`
        SELECT p.id, p.name, p.slug, p.color,
          (SELECT count(*)::int FROM api_keys k WHERE k.project_id = p.id) AS keys
        FROM projects p WHERE p.account_id = ${seeded.accountId} ORDER BY p.id`.execute(served.db)
      const created = creates.filter((c) => c.createdId !== undefined)
      for (const c of creates) {
        const ok = c.via === 'api' ? [201, 409] : [303]
        if (!ok.includes(c.status)) problems.push(`${c.via} answered ${c.status} ${c.log ?? ''}`)
        if (c.refused) refusals++
      }
      const ids = rows.map((r) => r.id)
      if (created.length !== rows.length || created.some((c) => !ids.includes(c.createdId!))) {
        problems.push(`answers created ${created.map((c) => c.createdId)}, the table holds ${ids}`)
      }
      rows.forEach((r, i) => {
        if (r.keys !== 1) problems.push(`${r.slug} has ${r.keys} keys`)
        const slug = i === 0 ? 'app-z' : `app-z-${i + 1}`
        if (r.slug !== slug) problems.push(`project ${i + 1} has slug ${r.slug}, not ${slug}`)
        if (r.color !== PALETTE[i]) problems.push(`project ${i + 1} has colour ${r.color}`)
      })
      for (const c of created.filter((c) => !c.duplicate)) {
        const earlier = rows.find((r) => r.id < c.createdId! && sameProjectName(r.name, c.name))
        if (earlier) problems.push(`"${c.name}" created although ${earlier.slug} had that name`)
      }
      for (const c of creates.filter((c) => c.refused)) {
        const other = rows.find((r) => r.slug === c.named)
        if (!other || !sameProjectName(other.name, c.name)) {
          problems.push(`"${c.name}" refused, naming ${c.named ?? 'nothing'}`)
        }
      }
      if (problems.length) failed.push(`trial ${t}: ${problems.slice(0, 4).join('; ')}`)
    }
    console.log(
      `project create: ${failed.length} of ${TRIALS} trials failed (${refusals} refusals)`,
    )
    expect(refusals, 'no create was ever refused: the names never met').toBeGreaterThan(0)
    expect(failed.slice(0, 8), `${failed.length} of ${TRIALS} trials failed`).toEqual([])
  }, 600_000)

  it(`lets one of a rename and creates to one name at once have it (${TRIALS} trials)`, async () => {
    const failed: string[] = []
    for (let t = 0; t < TRIALS; t++) {
      const seeded = await seedAccount(served.db, ['Alpha', 'Beta'])
      const [alpha, beta] = seeded.projects.map((p) => p.project)
      const { token } = await createAccountToken(served.db, seeded.accountId, 'race')
      const b = await signedIn(seeded.email, seeded.password)
      await b.get(`/projects/${alpha!.id}`) // the form's CSRF token
      const rename = async (id: number, name: string) => {
        const answer = await formAnswer(b, await b.post(`/projects/${id}`, { name }))
        return { status: answer.status, ok: answer.status === 303 && !answer.refused }
      }
      const create = async (name: string) => {
        const c = await viaApi(token, name, false)
        return { status: c.status, ok: c.status === 201 }
      }
      const answers = await served.gate.gated(4, () =>
        Promise.all([
          rename(alpha!.id, 'Gamma'),
          rename(beta!.id, ' GAMMA'),
          create('gamma'),
          create('Gamma '),
        ]),
      )
      const problems: string[] = []
      for (const a of answers) {
        if (a.status !== 303 && a.status !== 201 && a.status !== 409) {
          problems.push(`answered ${a.status}`)
        }
      }
      const { rows } = await sql<{ name: string }>`
        SELECT name FROM projects WHERE account_id = ${seeded.accountId}`.execute(served.db)
      const gammas = rows.filter((r) => sameProjectName(r.name, 'gamma')).length
      const oks = answers.filter((a) => a.ok).length
      if (gammas !== 1 || oks !== 1) problems.push(`${gammas} named Gamma, ${oks} answered done`)
      if (problems.length) failed.push(`trial ${t}: ${problems.join('; ')}`)
    }
    expect(failed.slice(0, 8), `${failed.length} of ${TRIALS} trials failed`).toEqual([])
  }, 600_000)
})
