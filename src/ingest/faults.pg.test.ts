// Faults: the database goes away in the middle of a run of identify calls, and comes back. The
// app (served over HTTP, as in production on Node) must answer every call with 200 or with 503 and
// Retry-After, never a 500 and never its internals; leave nothing half-written; and serve again
// once the database is back, without being restarted itself. Each test starts its own PostgreSQL
// server, since stopping the shared one would break every other test file.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { sql } from 'kysely'
import type { NodeDb } from '../db/node.js'
import { serveTestApp, type ServedApp } from '../../test/support/pg-harness.js'
import { startPostgres, type PostgresServer } from '../../test/support/postgres-server.js'
import { seedAccount } from '../../test/support/fixtures.js'

const CLIENTS = 8

let pgServer: PostgresServer
let node: NodeDb
let served: ServedApp
let baseUrl: string
let logged: string[]

beforeEach(async () => {
  // Commits are acknowledged only once in the WAL, so a crash cannot take back a 200 (the other
  // tests trade that for speed; here it is the point).
  pgServer = await startPostgres({ settings: { synchronous_commit: 'on' } })
  served = await serveTestApp({ databaseUrl: pgServer.url, migrate: true, poolSize: 10 })
  ;({ node, baseUrl } = served)
  // The server's log, kept to check what it says about failures (and to keep test output quiet).
  logged = []
  const keep = (...args: unknown[]) => void logged.push(args.map(String).join(' '))
  vi.spyOn(console, 'error').mockImplementation(keep)
  vi.spyOn(console, 'warn').mockImplementation(keep)
})
afterEach(async () => {
  vi.restoreAllMocks()
  await served?.close()
  await pgServer?.stop()
})

interface Answer {
  email: string
  status: number
  retryAfter: string | null
  text: string
  /** True for answers to requests sent after the database was back and ready. */
  afterRestart: boolean
}

/** Waits for `done()`, failing with `what` if it has not happened within a minute. */
async function until(what: string, done: () => boolean) {
  const deadline = Date.now() + 60_000
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const MODES = ['fast', 'immediate'] as const
describe.each(MODES)('the database stops mid-run (%s shutdown)', (mode) => {
  it('answers 200 or 503 + Retry-After, writes whole rows only, recovers by itself', async () => {
    const { accountId, projects } = await seedAccount(node.db, ['Faulty'])
    const key = projects[0]!.key
    const answers: Answer[] = []
    let restarted = false
    let stop = false
    let n = 0

    async function client(c: number) {
      while (!stop) {
        const email = `fault-${c}-${n++}@example.com`
        const afterRestart = restarted
        const res = await fetch(`${baseUrl}/v1/identify`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ email, status: 'paid', params: { plan: 'pro', mrr: 29 } }),
        })
        answers.push({
          email,
          status: res.status,
          retryAfter: res.headers.get('Retry-After'),
          text: await res.text(),
          afterRestart,
        })
      }
    }
    const clients = Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)))
    const count = (status: number) => answers.filter((a) => a.status === status).length

    await until('200s before the outage', () => count(200) >= 100)
    await pgServer.halt(mode)
    await until('503s during the outage', () => count(503) >= 50)
    // A load balancer's health check sees the outage the same way.
    const down = await fetch(`${baseUrl}/healthz`)
    expect([down.status, down.headers.get('Retry-After')]).toEqual([503, '2'])
    await pgServer.restart()
    restarted = true
    // The same app and pool: no restart of ours, only pg's reconnecting.
    await until(
      '200s after the restart',
      () => answers.filter((a) => a.afterRestart && a.status === 200).length >= 100,
    )
    stop = true
    await clients
    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200)

    // Every answer a client may act on: success, or "unavailable, retry" with a delay.
    const statuses = new Set(answers.map((a) => a.status))
    expect([...statuses].sort()).toEqual([200, 503])
    for (const a of answers.filter((a) => a.status === 503)) {
      expect(a.retryAfter).toMatch(/^\d+$/)
      const body = JSON.parse(a.text)
      expect(Object.keys(body)).toEqual(['error'])
      expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'requestId'])
      expect(body.error.code).toBe('unavailable')
      // No stack, SQL, driver message, address or key in what the client sees.
      expect(a.text).not.toMatch(/\bat \S+ \(|node_modules|SELECT|INSERT|ECONN|127\.0\.0\.1|tcrm_/i)
    }
    // Once the database is back and ready, nothing fails.
    expect(answers.filter((a) => a.afterRestart && a.status !== 200)).toEqual([])

    // Nothing half-written: each identify is one statement, so a customer exists with its relation
    // or not at all, and every 200 is in the database.
    const { rows } = await sql<{ email: string; status: string | null; params: unknown }>`
      SELECT c.email, r.status, r.params FROM customers c
      LEFT JOIN customer_projects r ON r.customer_id = c.id
      WHERE c.account_id = ${accountId}`.execute(node.db)
    const stored = new Map(rows.map((r) => [r.email, r]))
    expect(rows.filter((r) => r.status !== 'paid')).toEqual([])
    for (const r of rows) expect(r.params).toEqual({ plan: 'pro', mrr: 29 })
    const ok = answers.filter((a) => a.status === 200).map((a) => a.email)
    expect(ok.filter((email) => !stored.has(email))).toEqual([])
    // A 503 may hide a commit whose answer was lost with the connection; a retry is harmless then.
    expect(rows.length).toBeGreaterThanOrEqual(ok.length)
    expect(rows.length).toBeLessThanOrEqual(answers.length)

    // The server logged the failures, with request ids, and never the API key.
    expect(logged.length).toBeGreaterThan(0)
    expect(logged.join('\n')).not.toContain(key)
  })
})
