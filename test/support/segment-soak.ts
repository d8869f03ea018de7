// The real @segment/analytics-node client against the running app, through a network that
// duplicates batch posts and drops responses, checked against a model of the calls. Shared by
// src/segment/library.test.ts (PGlite) and src/segment/races.pg.test.ts (a real Postgres, where
// the duplicates race on separate connections).
//
// 10,000 calls over 2,000 emails, in two phases the test waits for between, so the model does not
// depend on which of a phase's batches lands first:
// - phase 1: an identify per email (userId, name, plan p1, a status for some);
// - phase 2: an identify per email (a new name for some, plan p2, a new status) and 6,000 tracks
//   carrying only the userId, each at its own past timestamp.
// The network: 10% of posts are sent twice at once; 5% of responses are lost after the server
// answered, so the library sends the batch again after its backoff. Every duplicated post is sent
// once more after the last phase. Applied twice, a late phase-1 identify would put back the
// phase-1 name; the model says it must not.
import { Analytics, type HTTPClient, type HTTPClientRequest } from '@segment/analytics-node'
import type { Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.js'

export const EMAILS = 2000
const TRACKS = 6000

/** A small deterministic PRNG (mulberry32), so a failure replays. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Expected {
  name: string
  status: string
  params: Record<string, unknown>
  first: number
  last: number
}

export interface SoakResult {
  /** What the network did. */
  posts: number
  duplicated: number
  dropped: number
  replayedLate: number
  /** Posts the server answered with anything but 200 (a deadlock given up on, say). */
  refused: number
  /** Calls the library reported as failed (must be 0). */
  failed: number
  messageIds: Set<string>
  model: Map<string, Expected>
}

class FlakyNetwork implements HTTPClient {
  posts = 0
  duplicated = 0
  dropped = 0
  refused = 0
  late: HTTPClientRequest[] = []
  messageIds = new Set<string>()
  constructor(private rand: () => number) {}

  async makeRequest(req: HTTPClientRequest) {
    this.posts++
    for (const e of (JSON.parse(req.body) as { batch: { messageId: string }[] }).batch) {
      this.messageIds.add(e.messageId)
    }
    const send = () => fetch(req.url, { method: 'POST', headers: req.headers, body: req.body })
    let res: Response
    if (this.rand() < 0.1) {
      this.duplicated++
      this.late.push(req)
      const [a, b] = await Promise.all([send(), send()])
      await b.text()
      res = a
    } else {
      res = await send()
    }
    const text = await res.text()
    if (res.status !== 200) {
      this.refused++
      throw new Error(`unexpected ${res.status}: ${text}`)
    }
    if (this.rand() < 0.05) {
      this.dropped++
      throw new Error('connection reset (the response was lost)')
    }
    return { status: res.status, statusText: res.statusText, headers: res.headers }
  }
}

export async function runSoak(baseUrl: string, key: string, seed = 13): Promise<SoakResult> {
  const rand = random(seed)
  const network = new FlakyNetwork(random(seed + 1))
  const analytics = new Analytics({
    writeKey: key,
    host: baseUrl,
    httpClient: network,
    flushAt: 50,
    flushInterval: 100,
    maxRetries: 10,
  })
  let failed = 0
  const calls: Promise<void>[] = []
  const done = (resolve: () => void) => (err?: unknown) => {
    if (err) failed++
    resolve()
  }
  const call = (send: (cb: (err?: unknown) => void) => void) =>
    calls.push(new Promise<void>((resolve) => send(done(resolve))))

  const base = Date.parse('2026-03-01T00:00:00Z')
  const model = new Map<string, Expected>()
  const email = (i: number) => `person${i}@example.com`
  const userId = (i: number) => `user-${i}`

  // Phase 1: who everyone is.
  for (let i = 0; i < EMAILS; i++) {
    const ts = base + i * 1000
    const status = i % 3 === 0 ? 'trialing' : undefined
    call((cb) =>
      analytics.identify(
        {
          userId: userId(i),
          traits: {
            email: email(i),
            name: `First ${i}`,
            plan: 'p1',
            ...(status ? { status } : {}),
          },
          timestamp: new Date(ts),
        },
        cb,
      ),
    )
    model.set(email(i), {
      name: `First ${i}`,
      status: status ? 'trial' : 'free',
      params: { plan: 'p1' },
      first: ts,
      last: ts,
    })
  }
  await Promise.all(calls.splice(0))

  // Phase 2: changes and activity, in a shuffled order.
  const phase2: (() => void)[] = []
  for (let i = 0; i < EMAILS; i++) {
    const m = model.get(email(i))!
    const ts = base + 10 * 86_400_000 + i * 1000
    const renamed = i % 2 === 0
    phase2.push(() =>
      call((cb) =>
        analytics.identify(
          {
            userId: userId(i),
            traits: { ...(renamed ? { name: `Second ${i}` } : {}), plan: 'p2', status: 'active' },
            timestamp: new Date(ts),
          },
          cb,
        ),
      ),
    )
    if (renamed) m.name = `Second ${i}`
    m.status = 'paid'
    m.params = { plan: 'p2' }
    m.last = Math.max(m.last, ts)
  }
  for (let n = 0; n < TRACKS; n++) {
    const i = Math.floor(rand() * EMAILS)
    const ts = base + Math.floor(rand() * 20 * 86_400_000)
    phase2.push(() =>
      call((cb) =>
        analytics.track(
          { userId: userId(i), event: 'Used Feature', properties: { n }, timestamp: new Date(ts) },
          cb,
        ),
      ),
    )
    const m = model.get(email(i))!
    m.last = Math.max(m.last, ts)
  }
  for (let k = phase2.length - 1; k > 0; k--) {
    const j = Math.floor(rand() * (k + 1))
    ;[phase2[k], phase2[j]] = [phase2[j]!, phase2[k]!]
  }
  for (const send of phase2) send()
  await Promise.all(calls.splice(0))
  await analytics.closeAndFlush({ timeout: 120_000 })

  // The late duplicates: every post the network duplicated, once more.
  for (const req of network.late) {
    const res = await fetch(req.url, { method: 'POST', headers: req.headers, body: req.body })
    if (res.status !== 200) throw new Error(`late replay: ${res.status} ${await res.text()}`)
  }

  return {
    posts: network.posts,
    duplicated: network.duplicated,
    dropped: network.dropped,
    refused: network.refused,
    replayedLate: network.late.length,
    failed,
    messageIds: network.messageIds,
    model,
  }
}

/** The project's customers as the database has them, by email. */
export async function actual(db: Kysely<Database>, projectId: number) {
  const rows = await db
    .selectFrom('customer_projects as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .select(['c.email', 'c.name', 'r.status', 'r.params', 'r.first_seen_at', 'r.last_activity_at'])
    .where('r.project_id', '=', projectId)
    .execute()
  return new Map(
    rows.map((r) => [
      r.email,
      {
        name: r.name,
        status: r.status as string,
        params: r.params,
        first: r.first_seen_at.getTime(),
        last: r.last_activity_at.getTime(),
      },
    ]),
  )
}

export async function recordedMessageIds(db: Kysely<Database>, projectId: number) {
  const rows = await db
    .selectFrom('segment_messages')
    .select('message_id')
    .where('project_id', '=', projectId)
    .execute()
  return rows.map((r) => r.message_id)
}
