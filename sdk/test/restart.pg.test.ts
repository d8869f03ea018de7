// The SDK through a database restart: products keep calling identify (awaited, and batched
// fire-and-forget) while the app's PostgreSQL server stops and starts again. The app answers 503
// with Retry-After meanwhile; the SDK's retries must carry every call through, so that nothing is
// lost: each call resolves without an error and each customer is in the database as sent.
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { TinyCRM, type TinyCRMError } from '../src/index.js'
import type { NodeDb } from '../../src/db/node.js'
import { serveTestApp, type ServedApp } from '../../test/support/pg-harness.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { startPostgres, type PostgresServer } from '../../test/support/postgres-server.js'

let pgServer: PostgresServer
let node: NodeDb
let served: ServedApp
let baseUrl: string

beforeAll(async () => {
  // Commits are acknowledged once in the WAL, so an acknowledged call survives the restart.
  pgServer = await startPostgres({ settings: { synchronous_commit: 'on' } })
  served = await serveTestApp({ databaseUrl: pgServer.url, migrate: true, poolSize: 10 })
  ;({ node, baseUrl } = served)
})
afterAll(async () => {
  vi.restoreAllMocks()
  await served?.close()
  await pgServer?.stop()
})

it('carries identify calls through a database restart with nothing lost', async () => {
  const { accountId, projects } = await seedAccount(node.db, ['Product A', 'Product B'])
  // The app logs each 503 with its request id; that is expected here, and noisy.
  vi.spyOn(console, 'error').mockImplementation(() => {})
  vi.spyOn(console, 'warn').mockImplementation(() => {})
  const errors: TinyCRMError[] = []
  // Enough retries to outlast a restart: each 503 asks for Retry-After: 2 (seconds).
  const options = { baseUrl, retries: 8, onError: (e: TinyCRMError) => void errors.push(e) }
  const awaited = new TinyCRM({ ...options, apiKey: projects[0]!.key })
  const batched = new TinyCRM({ ...options, apiKey: projects[1]!.key, batch: true, flushAt: 10 })

  const answers: { n: number; status: number | null }[] = []
  const statusCodesSeen = new Set<number>()
  let stop = false
  let n = 0
  // Four awaited callers, as four request handlers of Product A would be.
  const callers = Array.from({ length: 4 }, async () => {
    while (!stop) {
      const i = n++
      const r = await awaited.identify({
        email: `restart-a-${i}@example.com`,
        status: 'paid',
        params: { n: i },
      })
      answers.push({ n: i, status: r.error ? r.error.status : 200 })
    }
  })
  // Product B fires and forgets (no await), queued into batches.
  let fired = 0
  const firing = (async () => {
    while (!stop) {
      void batched.identify({ email: `restart-b-${fired}@example.com`, params: { n: fired } })
      fired++
      await new Promise((r) => setTimeout(r, 5))
    }
  })()

  const waitFor = async (what: string, done: () => boolean) => {
    const deadline = Date.now() + 60_000
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  // The app's own answers during the outage, seen by a probe without retries.
  const probe = new TinyCRM({ baseUrl, apiKey: projects[0]!.key, retries: 0, onError: null })
  await waitFor('calls before the outage', () => answers.length >= 50)
  await pgServer.halt('fast')
  for (let tries = 0; tries < 200 && !statusCodesSeen.has(503); tries++) {
    const r = await probe.identify({ email: 'probe@example.com' })
    statusCodesSeen.add(r.error ? r.error.status : 200)
  }
  await pgServer.restart()
  const resumedAt = answers.length
  await waitFor('calls after the restart', () => answers.length >= resumedAt + 50)
  stop = true
  await Promise.all([...callers, firing])
  await batched.flush()

  // While the database was down, the app said "unavailable, retry" rather than failing hard.
  expect(statusCodesSeen).toContain(503)
  expect([...statusCodesSeen].filter((s) => s !== 503 && s !== 200)).toEqual([])
  // ...and the SDK retried until it got through: no call failed, every customer is there.
  expect(errors).toEqual([])
  expect(answers.filter((a) => a.status !== 200)).toEqual([])

  const rows = await node.db
    .selectFrom('customer_projects as r')
    .innerJoin('customers as c', 'c.id', 'r.customer_id')
    .select(['c.email', 'r.params', 'r.status'])
    .where('r.account_id', '=', accountId)
    .execute()
  const byEmail = new Map(rows.map((r) => [r.email, r]))
  for (const { n } of answers) {
    expect(byEmail.get(`restart-a-${n}@example.com`), `a-${n}`).toMatchObject({
      status: 'paid',
      params: { n },
    })
  }
  for (let i = 0; i < fired; i++) {
    expect(byEmail.get(`restart-b-${i}@example.com`), `b-${i}`).toMatchObject({ params: { n: i } })
  }
  // Nothing else was written (the probe's calls all hit the outage).
  expect(rows.length).toBe(answers.length + fired)
}, 180_000)
