// Soak with invariants: a bounded load run of identify, ping and small batches from 64 concurrent
// clients over 5 projects and a small pool of overlapping emails, against the real app over HTTP on
// a real PostgreSQL server; then the database is checked against a model the driver kept itself.
// Each (email, project) pair is owned by ONE client loop, so its writes are sequential and "the
// last write" is defined; emails overlap ACROSS loops, so the customer row is raced all run long.
// Beside them, a fifth of the requests write to merge groups (./soak-merges.ts) that a curator
// loop merges, unmerges and deletes meanwhile, checked against that file's own model.
// SOAK_CALLS sets the size (default 3,000 requests, so CI stays short; the full run is
// SOAK_CALLS=200000), SOAK_SEED replays a run.
import { describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { useServedApp } from '../../test/support/pg-harness.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { createAccountToken } from '../account-api/tokens.js'
import { MergeGroups } from '../../test/support/soak-merges.js'

const CALLS = Number(process.env.SOAK_CALLS ?? 3_000)
const SEED = Number(process.env.SOAK_SEED ?? Date.now() % 1_000_000)
const CLIENTS = 64
const PROJECTS = 5
// Small enough that every email is written many times; large enough that the loops collide a lot.
const EMAILS = Math.max(50, Math.min(1000, Math.round(CALLS / 100)))
const POOL_SIZE = 20
const GROUPS = 3

/** mulberry32: a seeded PRNG, so a failing run can be replayed with SOAK_SEED. */
function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    chance: (p: number) => next() < p,
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
  }
}
type Rng = ReturnType<typeof prng>

const STATUS_SENT = ['free', 'trial', 'paid', 'churned']
const ALIASES = ['trialing', 'active', 'canceled', 'cancelled']
const CANONICAL: Record<string, string> = {
  trialing: 'trial',
  active: 'paid',
  canceled: 'churned',
  cancelled: 'churned',
}
const PARAM_KEYS = ['plan', 'mrr', 'seats', 'beta', 'source', 'tags', 'billing', 'role']

function paramValue(rng: Rng): unknown {
  switch (rng.int(7)) {
    case 0:
      return null // deletes the key
    case 1:
      return rng.int(500)
    case 2:
      return rng.pick(['pro', 'team', 'hobby', 'producthunt', 'admin', 'ünïcødé ✓'])
    case 3:
      return rng.chance(0.5)
    case 4:
      return [rng.int(9), 'x', { y: rng.int(3) }]
    case 5:
      return { interval: rng.pick(['month', 'year']), cents: rng.int(10_000) }
    default:
      return rng.chance(0.5) ? 0.25 : -7
  }
}

/** What one client loop knows about one (email, project) pair it owns. */
interface Pair {
  email: string
  project: number
  exists: boolean
  status: string
  params: Record<string, unknown>
  /** The time each of them carries (newest wins, docs/ordering.md): the item's timestamp, else
   *  its arrival (taken as the end of its request: one client's writes to a pair are sequential,
   *  and a backfill is at least a minute old). A key never written has no time. */
  statusAt: number
  paramsAt: Record<string, number>
  /** Last non-empty name this pair's loop sent; the customer's final name is one of these. */
  lastName: string | null
  /** Bounds on when the server received the writes, for first_seen_at / last_activity_at. */
  firstSeen: [number, number]
  lastActivity: [number, number]
}

const served = useServedApp({ poolSize: POOL_SIZE })

describe(`soak: ${CALLS} requests from ${CLIENTS} clients over ${PROJECTS} projects`, () => {
  it(
    'ends with the customers, statuses, params and activity the model predicts',
    async () => {
      const names = Array.from({ length: PROJECTS }, (_, i) => `Soak ${i}`)
      const seeded = await seedAccount(served.db, names)
      const keys = seeded.projects.map((p) => p.key)
      const projectIds = seeded.projects.map((p) => p.project.id)
      const rng = prng(SEED)
      console.log(`soak: seed ${SEED} (replay with SOAK_SEED=${SEED}), ${EMAILS} emails`)
      const groups = new MergeGroups({
        baseUrl: served.baseUrl,
        keys,
        slugs: seeded.projects.map((p) => p.project.slug),
        token: (await createAccountToken(served.db, seeded.accountId, 'soak')).token,
        groups: GROUPS,
      })

      // Every email lives in 1..5 projects; each of its pairs belongs to one loop.
      const owned: Pair[][] = Array.from({ length: CLIENTS }, () => [])
      for (let e = 0; e < EMAILS; e++) {
        const email = `soak-${e}@example.com`
        const inProjects = [...Array(PROJECTS).keys()].filter(() => rng.chance(0.6))
        if (inProjects.length === 0) inProjects.push(rng.int(PROJECTS))
        for (const project of inProjects) {
          owned[rng.int(CLIENTS)]!.push({
            email,
            project,
            exists: false,
            status: 'free',
            params: {},
            statusAt: -Infinity,
            paramsAt: {},
            lastName: null,
            firstSeen: [Infinity, Infinity],
            lastActivity: [-Infinity, -Infinity],
          })
        }
      }

      const customerOf = new Map<string, number>()
      const createdCount = new Map<string, number>()
      const failures: string[] = []
      const latencies: number[] = []
      const fail = (msg: string) => failures.length < 20 && failures.push(msg)
      const seeCustomer = (email: string, id: number, created?: boolean) => {
        const known = customerOf.get(email)
        if (known !== undefined && known !== id) fail(`${email}: customer ${id}, was ${known}`)
        customerOf.set(email, id)
        if (created) createdCount.set(email, (createdCount.get(email) ?? 0) + 1)
      }

      /** One identify or ping item for `pair`, with the model's update to apply once it succeeds. */
      function makeItem(loopRng: Rng, pair: Pair, type: 'identify' | 'ping') {
        // Emails arrive in any case and padding; the server normalises them to the merge key.
        const sent = loopRng.chance(0.2) ? `  ${pair.email.toUpperCase()} ` : pair.email
        const backfill = loopRng.chance(0.2)
          ? new Date(Date.now() - 1000 * (60 + loopRng.int(30 * 86400)))
          : undefined
        const item: Record<string, unknown> = { email: sent }
        if (backfill) item.timestamp = backfill.toISOString()
        if (type === 'ping') return { item, backfill, patch: undefined }
        let name: string | undefined
        if (loopRng.chance(0.3)) {
          // A blank name changes nothing: the latest NON-EMPTY name wins.
          name = loopRng.chance(0.1) ? '  ' : `N ${pair.project}-${loopRng.int(1e6)}`
          item.name = name
        }
        if (loopRng.chance(0.3)) {
          item.status = loopRng.chance(0.8) ? loopRng.pick(STATUS_SENT) : loopRng.pick(ALIASES)
        }
        let patch: Record<string, unknown> | undefined
        if (loopRng.chance(0.7)) {
          patch = {}
          for (let k = 1 + loopRng.int(3); k > 0; k--) {
            patch[loopRng.pick(PARAM_KEYS)] = paramValue(loopRng)
          }
          item.params = patch
        }
        return { item, backfill, patch, name }
      }

      type Made = ReturnType<typeof makeItem> & { name?: string }
      /** Applies a successful write to the model; the server received it between t0 and t1. */
      function apply(pair: Pair, it: Made, t0: number, t1: number, type: 'identify' | 'ping') {
        const [lo, hi] = it.backfill ? [+it.backfill, +it.backfill] : [t0, t1]
        if (type === 'ping' && !pair.exists) return
        pair.lastActivity = [Math.max(pair.lastActivity[0], lo), Math.max(pair.lastActivity[1], hi)]
        if (type === 'ping') return
        pair.exists = true
        pair.firstSeen = [Math.min(pair.firstSeen[0], lo), Math.min(pair.firstSeen[1], hi)]
        // Newest wins (a tie goes to the later arrival): a backfilled write older than what the
        // pair holds changes nothing.
        const at = it.backfill ? +it.backfill : t1
        const status = it.item.status as string | undefined
        if (status && at >= pair.statusAt) {
          pair.status = CANONICAL[status] ?? status
          pair.statusAt = at
        }
        if (it.name?.trim()) pair.lastName = it.name.trim()
        for (const [k, v] of Object.entries(it.patch ?? {})) {
          if (at < (pair.paramsAt[k] ?? -Infinity)) continue
          pair.paramsAt[k] = at
          if (v === null) delete pair.params[k]
          else pair.params[k] = v
        }
      }

      const post = (key: string, path: string, body: unknown) =>
        served.call('POST', path, key, body)

      let sentRequests = 0
      let sentItems = 0
      async function clientLoop(loop: number) {
        const pairs = owned[loop]!
        if (pairs.length === 0) return
        const loopRng = prng(SEED * 131 + loop)
        // Loops share one budget of requests, so the run stops by itself at exactly CALLS.
        while (sentRequests < CALLS) {
          sentRequests++
          if (loopRng.chance(0.2)) {
            const t0 = Date.now()
            await groups.write(loopRng)
            latencies.push(Date.now() - t0)
            sentItems++
            continue
          }
          const pair = loopRng.pick(pairs)
          const key = keys[pair.project]!
          const roll = loopRng.next()
          const t0 = Date.now()
          if (roll < 0.05) {
            // A small batch over this loop's pairs in ONE project (a key writes only its project).
            const mine = pairs.filter((p) => p.project === pair.project)
            const items = Array.from({ length: 2 + loopRng.int(8) }, () => {
              const p = loopRng.pick(mine)
              const type = loopRng.chance(0.7) ? ('identify' as const) : ('ping' as const)
              return { p, type, made: makeItem(loopRng, p, type) }
            })
            const existedBefore = new Set(mine.filter((p) => p.exists).map((p) => p.email))
            const identifiedIn = new Set(
              items.filter((x) => x.type === 'identify').map((x) => x.p.email),
            )
            const batch = items.map((x) => ({ type: x.type, ...x.made.item }))
            const r = await post(key, '/v1/batch', { batch })
            const t1 = Date.now()
            latencies.push(t1 - t0)
            sentItems += items.length
            if (r.status !== 200 || r.body.failed !== 0) {
              fail(`batch: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`)
              continue
            }
            // Items for one email share one row of the statement: each reports that row's `created`.
            const createdHere = new Set<string>()
            items.forEach((x, i) => {
              const res = r.body.results[i]
              if (x.type === 'identify') {
                seeCustomer(x.p.email, res.customerId, res.created && !createdHere.has(x.p.email))
                if (res.created) createdHere.add(x.p.email)
              } else {
                // A ping finds a relation that existed before the batch or is identified within it.
                const expected = existedBefore.has(x.p.email) || identifiedIn.has(x.p.email)
                if (res.found !== expected) fail(`batch ping ${x.p.email}: found ${res.found}`)
                if (res.found) seeCustomer(x.p.email, res.customerId)
              }
            })
            // The batch is folded per email: its pings count towards relations it identifies, even
            // the ones it identifies only after the ping. So: identifies first, then pings.
            for (const x of items) if (x.type === 'identify') apply(x.p, x.made, t0, t1, x.type)
            for (const x of items) if (x.type === 'ping') apply(x.p, x.made, t0, t1, x.type)
            continue
          }
          const type = roll < 0.75 ? 'identify' : 'ping'
          const made = makeItem(loopRng, pair, type)
          const r = await post(key, `/v1/${type}`, made.item)
          const t1 = Date.now()
          latencies.push(t1 - t0)
          sentItems++
          if (r.status !== 200) {
            fail(`${type} ${pair.email}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`)
            continue
          }
          if (type === 'identify') seeCustomer(pair.email, r.body.customerId, r.body.created)
          else {
            if (r.body.found !== pair.exists) fail(`ping ${pair.email}: found ${r.body.found}`)
            if (r.body.found) seeCustomer(pair.email, r.body.customerId)
          }
          apply(pair, made, t0, t1, type)
        }
      }

      const started = Date.now()
      await Promise.all([
        ...Array.from({ length: CLIENTS }, (_, i) => clientLoop(i)),
        groups.curate(prng(SEED * 7 + 1), () => sentRequests >= CALLS),
      ])
      const seconds = (Date.now() - started) / 1000
      latencies.sort((a, b) => a - b)
      const pct = (q: number) =>
        latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]
      console.log(
        `soak: ${sentRequests} requests (${sentItems} items) in ${seconds.toFixed(1)} s = ` +
          `${Math.round(sentRequests / seconds)} req/s, ` +
          `${Math.round(sentItems / seconds)} items/s; latency p50 ${pct(0.5)} ms, ` +
          `p99 ${pct(0.99)} ms, max ${pct(1)} ms; failures ${failures.length}; ` +
          `merge groups ${JSON.stringify(groups.counts)}`,
      )
      expect(failures).toEqual([])
      expect(sentRequests).toBe(CALLS)
      expect(await groups.check()).toEqual([])

      // --- The database against the model ---
      const pairs = owned.flat().filter((p) => p.exists)
      const emails = new Set(pairs.map((p) => p.email))
      const customers = await served.db
        .selectFrom('customers')
        .select(['id', 'email', 'name', 'created_at', 'last_activity_at'])
        .where('account_id', '=', seeded.accountId)
        .where('email', 'like', 'soak-%')
        .execute()
      // The exact number of customers, no duplicate email, each the id every response named.
      expect(customers.length).toBe(emails.size)
      expect(new Set(customers.map((c) => c.email)).size).toBe(customers.length)
      for (const c of customers) expect(customerOf.get(c.email), c.email).toBe(c.id)
      // Exactly one identify answered created: true per customer, however the loops raced.
      for (const email of emails) expect(createdCount.get(email) ?? 0, email).toBe(1)

      const relations = await served.db
        .selectFrom('customer_projects as r')
        .innerJoin('customers as c', 'c.id', 'r.customer_id')
        .select(['c.email', 'r.project_id', 'r.status', 'r.params'])
        .select(['r.first_seen_at', 'r.last_activity_at'])
        .where('r.account_id', '=', seeded.accountId)
        .where('c.email', 'like', 'soak-%')
        .execute()
      expect(relations.length).toBe(pairs.length)
      const byKey = new Map(relations.map((r) => [`${r.email}|${r.project_id}`, r]))
      for (const pair of pairs) {
        const r = byKey.get(`${pair.email}|${projectIds[pair.project]}`)
        const where = `${pair.email} in project ${pair.project}`
        expect(r, where).toBeDefined()
        // The last write per key: status and params exactly as this pair's own writes left them.
        expect(r!.status, where).toBe(pair.status)
        expect(r!.params, where).toEqual(pair.params)
        // Activity never behind the newest write, never ahead of it; first seen at the earliest.
        expect(+r!.last_activity_at, where).toBeGreaterThanOrEqual(pair.lastActivity[0])
        expect(+r!.last_activity_at, where).toBeLessThanOrEqual(pair.lastActivity[1])
        expect(+r!.first_seen_at, where).toBeGreaterThanOrEqual(pair.firstSeen[0])
        expect(+r!.first_seen_at, where).toBeLessThanOrEqual(pair.firstSeen[1])
      }
      for (const c of customers) {
        const own = relations.filter((r) => r.email === c.email)
        const mine = pairs.filter((p) => p.email === c.email)
        // The customer's activity is its newest relation's; it was created when first seen anywhere.
        expect(+c.last_activity_at, c.email).toBe(Math.max(...own.map((r) => +r.last_activity_at)))
        expect(+c.created_at, c.email).toBe(Math.min(...own.map((r) => +r.first_seen_at)))
        // The name is global and raced: the last non-empty one some loop sent, or none at all.
        const candidates = mine.map((p) => p.lastName).filter((n) => n !== null)
        if (candidates.length === 0) expect(c.name, c.email).toBeNull()
        else expect(candidates, c.email).toContain(c.name)
      }

      // No relation without its customer, none across accounts (the foreign keys say so; so must
      // the data).
      const { rows: orphans } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM customer_projects r
      LEFT JOIN customers c ON c.id = r.customer_id
      WHERE c.id IS NULL OR c.account_id <> r.account_id`.execute(served.db)
      expect(orphans[0]!.n).toBe(0)
    },
    Math.max(300_000, CALLS * 30),
  )
})
