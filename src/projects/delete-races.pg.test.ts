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
// customer's summary columns say what its relations say. The second test races the delete with an
// undo and two merges of its customers: no merge may be left naming a deleted customer (its
// snapshot holds the person's data).
import { describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import type { App } from '../app.js'
import { useServedApp } from '../../test/support/pg-harness.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { summaryMismatches } from '../../test/support/summary-columns.js'
import { WRITE_KINDS, sendRaceWrite } from '../../test/support/race-writes.js'
import { TestBrowser } from '../../test/support/test-browser.js'
import { mergeCustomers, undoMerge } from '../merges/store.js'
import { ApiError } from '../lib/errors.js'
import { deleteProject } from './delete.js'
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

/** Runs a merge or an undo racing the delete: the customer it names may be gone (404) or a merge
 *  may have moved it meanwhile (409); anything else is a failure. */
async function settled(what: string, run: () => Promise<unknown>): Promise<string[]> {
  try {
    await run()
    return []
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 409)) return []
    return [`${what} failed: ${(err as Error).message}`]
  }
}

describe('deleting a project racing merges and undos (real PostgreSQL)', () => {
  // Each trial is one collision of four (the gate lets them go at once); before the fix every one
  // failed, so a quarter of the ingest race's trials keeps CI's time.
  const trials = Math.ceil(TRIALS / 4)
  it(`leaves no merge that names a deleted customer (${trials} trials)`, async () => {
    const seeded = await seedAccount(served.db, ['Keep M'])
    const { accountId } = seeded
    const keep = seeded.projects[0]!
    const actor = `user:${seeded.userId}`
    const failed: string[] = []
    for (let t = 0; t < trials; t++) {
      const tag = `pm${t}`
      const doomed = await createProject(served.db, { accountId, name: `Merged ${t}` })
      const ids: Record<string, number> = {}
      for (const who of ['o1', 'o2', 'o3', 's']) {
        const email = `${who}.${tag}@race.test`
        const r = await served.call('POST', '/v1/identify', doomed.key, { email, params: { who } })
        expect(r.status, JSON.stringify(r.body)).toBe(200)
        ids[who] = (r.body as { customerId: number }).customerId
      }
      const s = await served.call('POST', '/v1/identify', keep.key, { email: `s.${tag}@race.test` })
      expect(s.status).toBe(200)
      // Before the race: o2 merged into o1, both only in the doomed project.
      const m0 = await mergeCustomers(served.db, {
        accountId,
        survivorId: ids.o1!,
        absorbedId: ids.o2!,
        actor,
      })

      // The delete, an undo of that merge, o3 merged into s (who stays: also in the kept
      // project) and o1 merged into s, all at once.
      const problems = (
        await served.gate.gated(4, () =>
          Promise.all([
            settled('the delete', async () => {
              if (!(await deleteProject(served.db, accountId, doomed.project.id))) {
                throw new Error('the project was not found')
              }
            }),
            settled('the undo', () =>
              undoMerge(served.db, { accountId, mergeId: m0.mergeId, actor }),
            ),
            settled('merging o3 into s', () =>
              mergeCustomers(served.db, {
                accountId,
                survivorId: ids.s!,
                absorbedId: ids.o3!,
                actor,
              }),
            ),
            settled('merging o1 into s', () =>
              mergeCustomers(served.db, {
                accountId,
                survivorId: ids.s!,
                absorbedId: ids.o1!,
                actor,
              }),
            ),
          ]),
        )
      ).flat()

      const { rows } = await sql<{ id: number; missing: string }>`
        SELECT m.id, CASE WHEN NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = m.survivor_id)
          THEN 'survivor' ELSE 'absorbed' END AS missing
        FROM merges m WHERE m.account_id = ${accountId}
          AND (NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = m.survivor_id)
            OR NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = m.absorbed_id))`.execute(
        served.db,
      )
      for (const r of rows) problems.push(`merge ${r.id} names a deleted ${r.missing}`)
      const live = await sql<{ n: number }>`SELECT count(*)::int AS n FROM customers c
        WHERE c.account_id = ${accountId} AND c.merged_into IS NULL
          AND NOT EXISTS (SELECT 1 FROM customer_projects r WHERE r.customer_id = c.id)`.execute(
        served.db,
      )
      if (live.rows[0]!.n) problems.push(`${live.rows[0]!.n} customers left in no project`)
      problems.push(...(await summaryMismatches(served.db, accountId)))
      if (problems.length) failed.push(`trial ${t}: ${problems.slice(0, 4).join('; ')}`)
    }
    console.log(`project delete vs merges: ${failed.length} of ${trials} trials failed`)
    expect(failed.slice(0, 8), `${failed.length} of ${trials} trials failed`).toEqual([])
  }, 600_000)
})
