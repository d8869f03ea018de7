// Merge, undo and delete racing identify / ping / batch on BOTH emails, against a real PostgreSQL
// (PGlite runs one statement at a time and hides every race). The app is served over a loopback
// socket and every request is a real concurrent HTTP request, as an attacker sends them. Each
// trial makes two fresh customers, x@ and y@, then fires the operation and 6 writers at once (a
// gate — a table lock held by the test — parks them all in Postgres and lets them go together);
// each writer sends a second request as soon as its first is answered, to land inside the
// operation's later statements too. The database is then checked, through the account API,
// against what the responses acknowledged: every param key a 200 said was written is there,
// every acknowledged activity time is reached, no email belongs to two customers, an undo either
// refuses with a clear message or restores exactly, a delete leaves nothing of the person.
import { describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { useServedApp, type Reply } from '../../test/support/pg-harness.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { summaryMismatches } from '../../test/support/summary-columns.js'
import { WRITE_KINDS, sendRaceWrite } from '../../test/support/race-writes.js'
import { createAccountToken } from '../account-api/tokens.js'
import { createImport } from '../csv/upload.js'
import { loadJob, runStep, startDryRun } from '../csv/job.js'
import { suggestMapping } from '../csv/mapping.js'

const TRIALS = Number(process.env.RACE_TRIALS ?? 40)
const WRITERS = 6
const POOL_SIZE = 40
// Names this file's connections, so the gate counts only our requests.
const APP_NAME = 'tinycrm-merge-races'
const DAY = 86_400_000

const served = useServedApp({ appName: APP_NAME, poolSize: POOL_SIZE, gateTable: 'customers' })

const call = (method: string, path: string, token: string, body?: unknown) =>
  served.call(method, path, token, body)
const gated = <T>(waiters: number, fire: () => Promise<T>) => served.gate.gated(waiters, fire)

/** One account per scenario: three projects, their keys, and an account token for the API. */
async function scenario() {
  const seeded = await seedAccount(served.db, ['App A', 'App B', 'App C'])
  const { token } = await createAccountToken(served.db, seeded.accountId, 'races')
  return {
    accountId: seeded.accountId,
    keys: seeded.projects.map((p) => p.key),
    slugs: seeded.projects.map((p) => p.project.slug),
    projectIds: seeded.projects.map((p) => p.project.id),
    token,
  }
}
type Scenario = Awaited<ReturnType<typeof scenario>>

/** What a 200 said was written: a param key on an email's relation to a project, or (a ping that
 *  answered found) an activity time; with the customer id the response named. */
interface Ack {
  email: string
  project: number
  key?: string
  at: number
  customerId: number
}

/** The two customers of a trial, as the seeds made them: x@ in A and B, y@ in B and C. */
async function seedPair(s: Scenario, tag: string) {
  const x = `x.${tag}@race.test`
  const y = `y.${tag}@race.test`
  const t0 = Date.now() - 10 * DAY
  const seed = async (email: string, project: number, key: string, at: number) => {
    const r = await call('POST', '/v1/identify', s.keys[project]!, {
      email,
      name: key,
      params: { [key]: true },
      timestamp: new Date(at).toISOString(),
    })
    expect(r.status, JSON.stringify(r.body)).toBe(200)
    return r.body.customerId as number
  }
  const X = await seed(x, 0, 'seedXA', t0)
  await seed(x, 1, 'seedXB', t0 + 1000)
  const Y = await seed(y, 1, 'seedYB', t0 + 2000)
  await seed(y, 2, 'seedYC', t0 + 3000)
  return { x, y, X, Y, seedKeys: { [x]: ['seedXA', 'seedXB'], [y]: ['seedYB', 'seedYC'] } }
}

/** Writer `n` of trial `t`: its kind, email and project rotate over the trials, so every kind
 *  writes on both emails in every project. Two requests, the second right after the first. */
async function writer(s: Scenario, t: number, n: number, x: string, y: string, acks: Ack[]) {
  const failures: string[] = []
  for (let k = 0; k < 2; k++) {
    const kind = WRITE_KINDS[(n + t + k) % 3]!
    const [own, other] = (n + t) % 2 ? [y, x] : [x, y]
    const project = (n * 7 + t + k) % 3
    // Activity times after the seeds, before now, distinct per write.
    const at = Date.now() - 5 * DAY + (n * 10 + k) * 60_000
    const key = `w${n}k${k}`
    const {
      reply: r,
      items,
      results,
    } = await sendRaceWrite(served, s.keys[project]!, {
      kind,
      own,
      other,
      key,
      at,
    })
    if (r.status !== 200) {
      failures.push(
        `${kind} answered ${r.status}: ${JSON.stringify(r.body).slice(0, 200)} ${r.log ?? ''}`,
      )
      continue
    }
    items.forEach((it, i) => {
      const res = results[i]
      if (!res?.ok) return void failures.push(`batch item ${i} failed: ${JSON.stringify(res)}`)
      if (it.type === 'ping' && !res.found) return // found: false writes nothing, and says so
      acks.push({ email: it.email, project, key: it.key, at, customerId: res.customerId })
    })
  }
  return failures
}

interface Person {
  id: number
  email: string
  name: string | null
  aliases: string[]
  projects: Record<string, { params: Record<string, unknown>; lastActivityAt: string }>
}

/** Every live customer of the trial (found by its tag) with its aliases, through the API. */
async function people(s: Scenario, tag: string): Promise<Person[]> {
  const list = await call('GET', `/v1/customers?q=${encodeURIComponent(`.${tag}@`)}`, s.token)
  expect(list.status).toBe(200)
  const out: Person[] = []
  for (const c of list.body.customers) {
    const one = await call('GET', `/v1/customers/${c.id}`, s.token)
    expect(one.status).toBe(200)
    out.push({ ...one.body.customer, aliases: one.body.customer.aliases ?? [] })
  }
  return out
}

/** Who each email is now: exactly one live customer (its own row or an alias), or a failure. */
function resolve(all: Person[], emails: string[], failures: string[]) {
  const owner = new Map<string, Person>()
  for (const email of emails) {
    const owners = all.filter((p) => p.email === email || p.aliases.includes(email))
    if (owners.length > 1) {
      failures.push(`${email} belongs to ${owners.length} customers: ${owners.map((p) => p.id)}`)
    }
    if (owners[0]) owner.set(email, owners[0])
  }
  return owner
}

/** Every acknowledged write is on the customer its email resolves to now. A ping's activity may
 *  instead be on the customer its answer named, while that one is live: a ping on y answered for
 *  X after the merge, that moved nothing (X was already more recent there), stays X's after an
 *  undo and y is in that project nowhere (src/merges/store.test.ts). */
function checkAcks(s: Scenario, acks: Ack[], owner: Map<string, Person>, failures: string[]) {
  const live = [...owner.values()]
  const slug = (a: Ack) => s.slugs[a.project]!
  for (const a of acks) {
    const email = owner.get(a.email)
    if (!a.key) {
      const named = live.find((p) => p.id === a.customerId)
      const reached = [email, named].some(
        (p) => +new Date(p?.projects[slug(a)]?.lastActivityAt ?? 0) >= a.at,
      )
      if (!reached) failures.push(`a ping for ${a.email} in ${slug(a)}: activity lost`)
      continue
    }
    const rel = email?.projects[slug(a)]
    if (!rel) {
      failures.push(`param ${a.key} acknowledged for ${a.email} in ${slug(a)}: no relation`)
      continue
    }
    if (rel.params[a.key] !== a.at) {
      failures.push(`param ${a.key} acknowledged for ${a.email}: lost (${rel.params[a.key]})`)
    }
    if (+new Date(rel.lastActivityAt) < a.at) {
      failures.push(
        `param ${a.key} for ${a.email}: last activity ${rel.lastActivityAt} is behind it`,
      )
    }
  }
}

/** The param keys of a customer, over all its projects. */
const keysOf = (p: Person | undefined) =>
  Object.values(p?.projects ?? {}).flatMap((r) => Object.keys(r.params))

/** Runs the trials, collecting what went wrong per trial, and reports how many failed (and what
 *  the operation answered: `outcomes` counts a trial's label). */
async function runTrials(
  name: string,
  accountId: number,
  trial: (t: number, outcome: (label: string) => void) => Promise<string[]>,
) {
  const failed: string[] = []
  const outcomes: Record<string, number> = {}
  // Deadlocks are retried (a 500 only if they repeat): how many there were, database-wide.
  const deadlocks = async () =>
    (
      await served.node.pool!.query<{ n: number }>(
        'SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = current_database()',
      )
    ).rows[0]!.n
  const deadlocksBefore = await deadlocks()
  for (let t = 0; t < TRIALS; t++) {
    const problems = await trial(t, (label) => (outcomes[label] = (outcomes[label] ?? 0) + 1))
    // Every customer's summary columns still say what its relations say.
    problems.push(...(await summaryMismatches(served.db, accountId)))
    if (problems.length) failed.push(`trial ${t}: ${problems.slice(0, 4).join('; ')}`)
  }
  console.log(
    `${name}: ${failed.length} of ${TRIALS} trials failed; ${JSON.stringify(outcomes)}; ` +
      `deadlocks retried meanwhile ${(await deadlocks()) - deadlocksBefore}`,
  )
  expect(failed.slice(0, 8), `${failed.length} of ${TRIALS} trials failed`).toEqual([])
}

const CHANGED = /changed since the merge/

/** The acknowledged writes the merge's snapshot (both customers just before it) does not hold:
 *  those reached the merged customer after the merge. */
async function madeAfter(s: Scenario, mergeId: number, acks: Ack[]) {
  const { rows } = await sql<{ snapshot: any }>`
    SELECT snapshot FROM merges WHERE id = ${mergeId}`.execute(served.db)
  const snap = rows[0]?.snapshot ?? {}
  const relations: { project_id: number; params: object; last_activity_at: string }[] = [
    ...(snap.survivor_projects ?? []),
    ...(snap.absorbed_projects ?? []),
  ]
  return acks.filter((a) =>
    a.key
      ? !relations.some((r) => a.key! in r.params)
      : !relations.some(
          (r) => r.project_id === s.projectIds[a.project] && +new Date(r.last_activity_at) >= a.at,
        ),
  )
}

describe('merge racing identify, ping and batch on both emails (real PostgreSQL)', () => {
  it(`loses no acknowledged write, makes no duplicate, and stays undoable (${TRIALS} trials × ${WRITERS} writers)`, async () => {
    const s = await scenario()
    await runTrials('merge', s.accountId, async (t, outcome) => {
      const tag = `m${t}`
      const { x, y, X, Y, seedKeys } = await seedPair(s, tag)
      const acks: Ack[] = []
      const [merge, ...writes] = await gated(WRITERS + 1, () =>
        Promise.all([
          call('POST', '/v1/customers/merge', s.token, { survivorId: X, absorbedId: Y }),
          ...Array.from({ length: WRITERS }, (_, n) => writer(s, t, n, x, y, acks)),
        ]),
      )
      const problems = (writes as string[][]).flat()
      const m = merge as Reply
      if (m.status !== 200)
        return [`merge answered ${m.status}: ${JSON.stringify(m.body)} ${m.log ?? ''}`]

      const merged = resolve(await people(s, tag), [x, y], problems)
      if (merged.get(x)?.id !== X || merged.get(y)?.id !== X) {
        problems.push(`after the merge x → ${merged.get(x)?.id}, y → ${merged.get(y)?.id}`)
      }
      checkAcks(s, acks, merged, problems)

      // The merge stays undoable unless a write reached the merged customer after it.
      const after = await madeAfter(s, m.body.mergeId, acks)
      const undo = await call('POST', `/v1/merges/${m.body.mergeId}/undo`, s.token)
      outcome(`undo ${undo.status}`)
      if (undo.status === 409) {
        if (!CHANGED.test(undo.body.error?.message)) {
          problems.push(`undo refused with an unclear reason: ${undo.body.error?.message}`)
        }
        if (after.length === 0) problems.push('undo refused though nothing changed after the merge')
        return problems
      }
      if (undo.status !== 200)
        return [...problems, `undo answered ${undo.status} ${undo.log ?? ''}`]
      if (after.length) {
        problems.push(`undo ran over ${after.length} writes made after the merge`)
      }
      const undone = resolve(await people(s, tag), [x, y], problems)
      if (undone.get(x)?.id !== X || undone.get(y)?.id !== Y) {
        problems.push(`after the undo x → ${undone.get(x)?.id}, y → ${undone.get(y)?.id}`)
      }
      checkAcks(s, acks, undone, problems)
      // Restored exactly: each customer has its own seeds and writes, nothing of the other's.
      for (const [email, other] of [
        [x, y],
        [y, x],
      ] as const) {
        const foreign = keysOf(undone.get(email)).filter(
          (k) =>
            seedKeys[other]!.includes(k) ||
            acks.some((a) => a.email === other && a.key === k && a.email !== email),
        )
        if (foreign.length) problems.push(`after the undo ${email} has ${other}'s ${foreign}`)
      }
      return problems
    })
  }, 600_000)
})

describe('undo racing identify, ping and batch on both emails (real PostgreSQL)', () => {
  it(`refuses with a clear message, or restores exactly with no acknowledged write lost (${TRIALS} trials × ${WRITERS} writers)`, async () => {
    const s = await scenario()
    await runTrials('undo', s.accountId, async (t, outcome) => {
      const tag = `u${t}`
      const { x, y, X, Y, seedKeys } = await seedPair(s, tag)
      const merge = await call('POST', '/v1/customers/merge', s.token, {
        survivorId: X,
        absorbedId: Y,
      })
      expect(merge.status).toBe(200)
      const acks: Ack[] = []
      const [undo, ...writes] = await gated(WRITERS + 1, () =>
        Promise.all([
          call('POST', `/v1/merges/${merge.body.mergeId}/undo`, s.token),
          ...Array.from({ length: WRITERS }, (_, n) => writer(s, t, n, x, y, acks)),
        ]),
      )
      const problems = (writes as string[][]).flat()
      const u = undo as Reply
      const now = resolve(await people(s, tag), [x, y], problems)
      checkAcks(s, acks, now, problems)
      if (u.status === 409) {
        outcome('refused')
        if (!CHANGED.test(u.body.error?.message)) {
          problems.push(`undo refused with an unclear reason: ${u.body.error?.message}`)
        }
        if (now.get(x)?.id !== X || now.get(y)?.id !== X) problems.push('refused, yet unmerged')
        return problems
      }
      if (u.status !== 200) return [...problems, `undo answered ${u.status} ${u.log ?? ''}`]
      outcome('undone')
      if (u.body.restoredId !== Y || now.get(x)?.id !== X || now.get(y)?.id !== Y) {
        problems.push(`after the undo x → ${now.get(x)?.id}, y → ${now.get(y)?.id}`)
      }
      for (const [email, other] of [
        [x, y],
        [y, x],
      ] as const) {
        const mine = keysOf(now.get(email))
        const missing = seedKeys[email]!.filter((k) => !mine.includes(k))
        if (missing.length) problems.push(`after the undo ${email} lacks its seeds ${missing}`)
        const foreign = mine.filter(
          (k) => seedKeys[other]!.includes(k) || acks.some((a) => a.email === other && a.key === k),
        )
        if (foreign.length) problems.push(`after the undo ${email} has ${other}'s ${foreign}`)
      }
      return problems
    })
  }, 600_000)
})

describe('delete racing identify, ping and batch on both emails (real PostgreSQL)', () => {
  it(`leaves nothing of the person, imports included, and loses no later write (${TRIALS} trials × ${WRITERS} writers)`, async () => {
    const s = await scenario()
    await runTrials('delete', s.accountId, async (t, outcome) => {
      const tag = `d${t}`
      const { x, y, X, Y, seedKeys } = await seedPair(s, tag)
      const merge = await call('POST', '/v1/customers/merge', s.token, {
        survivorId: X,
        absorbedId: Y,
      })
      expect(merge.status).toBe(200)
      // An unfinished import (its dry run under way) that names both emails and a bystander.
      const bystander = `z.${tag}@race.test`
      const csv = `email,name,phone\n${x},X Person,+1 555 0100\n  ${y.toUpperCase()} ,Y Person,+1 555 0101\n${bystander},Z,+1 555 0102\n`
      const { importId } = await createImport(served.db, {
        accountId: s.accountId,
        projectId: s.projectIds[0]!,
        filename: 'people.csv',
        body: new Blob([csv]).stream(),
      })
      await startDryRun(
        served.db,
        s.accountId,
        importId,
        suggestMapping(['email', 'name', 'phone'], [], s.slugs[0]!),
      )
      await runStep(served.db, await loadJob(served.db, s.accountId, importId))

      const acks: Ack[] = []
      const [del, ...writes] = await gated(WRITERS + 1, () =>
        Promise.all([
          call('DELETE', `/v1/customers/${X}`, s.token),
          ...Array.from({ length: WRITERS }, (_, n) => writer(s, t, n, x, y, acks)),
        ]),
      )
      const problems = (writes as string[][]).flat()
      const d = del as Reply
      if (d.status !== 200) return [...problems, `delete answered ${d.status}`]

      const all = await people(s, tag)
      const now = resolve(all, [x, y], problems)
      if (all.some((p) => p.id === X || p.id === Y)) problems.push('the deleted customer is there')
      // Writes answered with the old customer came before the delete: gone with it. Later ones
      // made a new customer and are there.
      const later = acks.filter((a) => a.customerId !== X && a.customerId !== Y)
      outcome(later.length ? 'writes after the delete' : 'all writes before the delete')
      checkAcks(s, later, now, problems)
      const earlier = new Set([
        ...Object.values(seedKeys).flat(),
        ...acks.filter((a) => !later.includes(a) && a.key).map((a) => a.key!),
      ])
      for (const p of all) {
        const left = keysOf(p).filter((k) => earlier.has(k))
        if (left.length) problems.push(`customer ${p.id} (${p.email}) keeps ${left}`)
        if (p.name?.startsWith('seed')) problems.push(`customer ${p.id} keeps the name ${p.name}`)
      }
      const { rows } = await sql<{ chunks: string; emails: string[]; merges: number }>`
        SELECT (SELECT string_agg(rows::text, ' ') FROM import_chunks WHERE import_id = ${importId})
            AS chunks,
          (SELECT array_agg(email) FROM import_emails WHERE import_id = ${importId}) AS emails,
          (SELECT count(*)::int FROM merges WHERE ${X} IN (survivor_id, absorbed_id)) AS merges
      `.execute(served.db)
      const left = rows[0]!
      const chunks = (left.chunks ?? '').toLowerCase()
      if (chunks.includes(x) || chunks.includes(y)) problems.push('an unfinished import keeps them')
      if (!chunks.includes(bystander)) problems.push('the import lost a bystander')
      if (left.emails?.some((e) => e === x || e === y)) problems.push('import_emails keeps them')
      if (left.merges) problems.push('a merge record keeps them')
      return problems
    })
  }, 600_000)
})

describe('merges of three customers into one another racing each other and identify (real PostgreSQL)', () => {
  it(`merges each at most once, leaves no chain or cycle, loses no acknowledged write (${TRIALS} trials × ${WRITERS} writers)`, async () => {
    const s = await scenario()
    await runTrials('merge chain', s.accountId, async (t, outcome) => {
      const tag = `c${t}`
      const { x, y, X, Y } = await seedPair(s, tag)
      const z = `z.${tag}@race.test`
      const seeded = await call('POST', '/v1/identify', s.keys[2]!, {
        email: z,
        params: { seedZC: true },
      })
      expect(seeded.status).toBe(200)
      const Z = seeded.body.customerId as number
      // A cycle asked at once: y into x, z into y, x into z. Each merge leaves a party of another
      // one a tombstone: that one is refused (404), never half done.
      const pairs: [number, number][] = [
        [X, Y],
        [Y, Z],
        [Z, X],
      ]
      const acks: Ack[] = []
      const emails = [x, y, z]
      const replies = await gated(pairs.length + WRITERS, () =>
        Promise.all([
          ...pairs.map(([survivorId, absorbedId]) =>
            call('POST', '/v1/customers/merge', s.token, { survivorId, absorbedId }),
          ),
          ...Array.from({ length: WRITERS }, (_, n) =>
            writer(s, t, n, emails[n % 3]!, emails[(n + 1) % 3]!, acks),
          ),
        ]),
      )
      const merges = replies.slice(0, pairs.length) as Reply[]
      const problems = (replies.slice(pairs.length) as string[][]).flat()
      const merged = merges.filter((m) => m.status === 200).length
      outcome(`${merged} merged`)
      for (const m of merges) {
        if (m.status !== 200 && m.status !== 404) {
          problems.push(`merge answered ${m.status}: ${JSON.stringify(m.body)} ${m.log ?? ''}`)
        }
      }
      // Of a cycle of three, whatever the order, two happen: the third names a tombstone.
      if (merged !== 2) problems.push(`${merged} of the 3 merges happened`)

      const all = await people(s, tag)
      const now = resolve(all, emails, problems)
      if (all.length !== 3 - merged) {
        problems.push(`${all.length} customers left after ${merged} merges`)
      }
      for (const email of emails) if (!now.get(email)) problems.push(`${email} belongs to no one`)
      checkAcks(s, acks, now, problems)
      // Every tombstone points at a live customer: no chain to follow, no cycle.
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM customers t
        JOIN customers s ON s.id = t.merged_into
        WHERE t.account_id = ${s.accountId} AND s.merged_into IS NOT NULL`.execute(served.db)
      if (rows[0]!.n) problems.push(`${rows[0]!.n} tombstones point at a tombstone`)
      return problems
    })
  }, 600_000)
})
