// Deleting a project racing identify / ping / batch, against a real PostgreSQL (PGlite runs one
// statement at a time and hides every race). The app is served over a loopback socket; the owner
// deletes through the dashboard's real form post, signed in, and the writers are real concurrent
// HTTP requests. Each trial makes a fresh project D with two customers only in it (o1@, o2@) and
// one also in the kept project A (s@), then fires the delete and 6 writers at once (a gate — a
// table lock held by the test — parks them all in Postgres and lets them go together); each writer
// sends a second request as soon as its first is answered, to land inside the delete too. Writers
// rotate over the three emails, over identify / ping / batch, and over D's own key and the kept
// projects' keys. Then, against what the responses acknowledged: the delete answered its redirect;
// no request answered a 500 (D's key answers 200 before the delete, 401 after); every write a 200
// acknowledged through a kept project is there; no customer is left without a project; and every
// customer's summary columns say what its relations say.
import { describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import type { App } from '../app.js'
import { useServedApp } from '../../test/support/pg-harness.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { summaryMismatches } from '../../test/support/summary-columns.js'
import { WRITE_KINDS, sendRaceWrite } from '../../test/support/race-writes.js'
import { TestBrowser } from '../../test/support/test-browser.js'
import { createProject } from './store.js'

const TRIALS = Number(process.env.RACE_TRIALS ?? 40)
const WRITERS = 6
const POOL_SIZE = 20
// Names this file's connections, so the gate counts only our requests.
const APP_NAME = 'tinycrm-project-delete-races'
const DAY = 86_400_000

const served = useServedApp({ appName: APP_NAME, poolSize: POOL_SIZE, gateTable: 'customers' })

/** What a 200 said was written through a kept project: a param key (identify) or activity (a
 *  ping that answered found) on the email's relation to that project. */
interface Ack {
  email: string
  projectId: number
  key?: string
  at: number
}

interface Trial {
  emails: string[]
  /** D's key first, then the kept projects' keys. */
  keys: string[]
  projectIds: number[]
}

/** Writer `n` of trial `t`: kind, email and key rotate over the trials, so every kind writes on
 *  every email through D's key and the kept ones. Two requests, the second right after the first. */
async function writer(tr: Trial, t: number, n: number, acks: Ack[]) {
  const failures: string[] = []
  for (let k = 0; k < 2; k++) {
    const kind = WRITE_KINDS[(n + t + k) % 3]!
    const p = (n * 7 + t + k) % 3
    const own = tr.emails[(n + 2 * t + k) % 3]!
    const other = tr.emails[(n + 2 * t + k + 1) % 3]!
    const at = Date.now() - DAY + (n * 10 + k) * 60_000
    const key = `w${n}k${k}`
    const {
      reply: r,
      items,
      results,
    } = await sendRaceWrite(served, tr.keys[p]!, {
      kind,
      own,
      other,
      key,
      at,
    })
    // D's key may be gone by now: an unknown key is a clean 401.
    if (p === 0 && r.status === 401) continue
    if (r.status !== 200) {
      failures.push(`${kind} via ${p ? 'a kept' : "D's"} key answered ${r.status} ${r.log ?? ''}`)
      continue
    }
    if (p === 0) continue // written to D: goes with it (or came after it: 401 above)
    items.forEach((it, i) => {
      const res = results[i]
      if (!res?.ok) return void failures.push(`batch item ${i} failed: ${JSON.stringify(res)}`)
      if (it.type === 'ping' && !res.found) return // found: false writes nothing, and says so
      acks.push({ email: it.email, projectId: tr.projectIds[p]!, key: it.key, at })
    })
  }
  return failures
}

/** The trial's customers and their relations, as the database holds them now. */
async function customersOf(tag: string) {
  const { rows } = await sql<{
    email: string
    relations: { project_id: number; params: Record<string, unknown>; last: string }[] | null
  }>`SELECT c.email, (SELECT json_agg(json_build_object('project_id', r.project_id,
        'params', r.params, 'last', r.last_activity_at))
      FROM customer_projects r WHERE r.customer_id = c.id) AS relations
    FROM customers c WHERE c.email LIKE ${`%.${tag}@%`}`.execute(served.db)
  return rows
}

/** A browser stand-in signed in as the owner, speaking real HTTP to the served app. */
async function signedIn(email: string, password: string) {
  const fetcher = { request: (url: string, init?: RequestInit) => fetch(url, init) }
  const b = new TestBrowser(fetcher as unknown as App, served.baseUrl)
  await b.logIn(email, password)
  return b
}

describe('deleting a project racing identify, ping and batch (real PostgreSQL)', () => {
  it(`loses no acknowledged write, answers no 500 and leaves no customer without a project (${TRIALS} trials × ${WRITERS} writers)`, async () => {
    const seeded = await seedAccount(served.db, ['Keep A', 'Keep B'])
    const kept = seeded.projects
    const b = await signedIn(seeded.email, seeded.password)
    const failed: string[] = []
    let orphansRemoved = 0
    for (let t = 0; t < TRIALS; t++) {
      const tag = `pd${t}`
      const doomed = await createProject(served.db, {
        accountId: seeded.accountId,
        name: `Doomed ${t}`,
      })
      const tr: Trial = {
        emails: [`o1.${tag}@race.test`, `o2.${tag}@race.test`, `s.${tag}@race.test`],
        keys: [doomed.key, kept[0]!.key, kept[1]!.key],
        projectIds: [doomed.project.id, kept[0]!.project.id, kept[1]!.project.id],
      }
      const seed = async (email: string, key: string) => {
        const r = await served.call('POST', '/v1/identify', key, { email, params: { seed: 1 } })
        expect(r.status, JSON.stringify(r.body)).toBe(200)
      }
      for (const email of tr.emails) await seed(email, doomed.key)
      await seed(tr.emails[2]!, kept[0]!.key)
      await b.get(`/projects/${doomed.project.id}/delete`) // the form's CSRF token

      const acks: Ack[] = []
      const [del, ...writes] = await served.gate.gated(WRITERS + 1, () =>
        Promise.all([
          b.post(`/projects/${doomed.project.id}/delete`, { confirm: doomed.project.name }),
          ...Array.from({ length: WRITERS }, (_, n) => writer(tr, t, n, acks)),
        ]),
      )
      const problems = (writes as string[][]).flat()
      const d = del as Awaited<ReturnType<TestBrowser['post']>>
      if (d.status !== 303) problems.push(`the delete answered ${d.status}`)

      const now = await customersOf(tag)
      if (now.length < tr.emails.length) orphansRemoved++
      for (const c of now) {
        const rels = c.relations ?? []
        if (!rels.length) problems.push(`${c.email} is left in no project`)
        if (rels.some((r) => r.project_id === doomed.project.id)) {
          problems.push(`${c.email} keeps a relation to the deleted project`)
        }
      }
      for (const a of acks) {
        const rel = now
          .find((c) => c.email === a.email)
          ?.relations?.find((r) => r.project_id === a.projectId)
        const what = a.key ? `param ${a.key}` : 'a ping'
        if (!rel) problems.push(`${what} acknowledged for ${a.email}: no relation, lost`)
        else if (a.key && rel.params[a.key] !== a.at) problems.push(`param ${a.key} lost`)
        else if (+new Date(rel.last) < a.at) problems.push(`${what} for ${a.email}: behind`)
      }
      const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM projects WHERE id = ${doomed.project.id}`.execute(served.db)
      if (rows[0]!.n) problems.push('the project is still there')
      problems.push(...(await summaryMismatches(served.db, seeded.accountId)))
      if (problems.length) failed.push(`trial ${t}: ${problems.slice(0, 4).join('; ')}`)
    }
    console.log(
      `project delete: ${failed.length} of ${TRIALS} trials failed ` +
        `(in ${orphansRemoved} the delete removed a customer only in it)`,
    )
    expect(failed.slice(0, 8), `${failed.length} of ${TRIALS} trials failed`).toEqual([])
  }, 600_000)
})
