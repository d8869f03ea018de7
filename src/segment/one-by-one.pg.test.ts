// A Segment batch naming a merged email and its survivor is applied event by event, in one
// transaction (one statement may not touch a row twice: ./store.ts). A key revoked while those
// events are written must leave the batch written whole or not at all, as any rejected request:
// answered 403, nothing of it stored (its messageIds included, so that a retry with a new key
// applies it); answered, all of it. And such batches racing over the same new emails, sent in
// other orders, must not deadlock past the retries. Against a real PostgreSQL: PGlite runs one
// statement at a time, and a revocation committed by another connection cannot land midway there.
import { describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { random, shuffle } from '../../test/support/billing-replay-core.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { useServedApp } from '../../test/support/pg-harness.js'
import { hashKey } from '../lib/keys.js'
import { ingest } from '../ingest/upsert.js'
import { mergeCustomers } from '../merges/store.js'
import { parseEvent, type SegmentRow } from './spec.js'
import { applySegmentEvents } from './store.js'

const TRIALS = Number(process.env.RACE_TRIALS ?? 10)
const EVENTS = 150
// Names this file's connections, so the gate counts only ours.
const APP_NAME = 'tinycrm-segment-one-by-one'

const served = useServedApp({ appName: APP_NAME, poolSize: 12, gateTable: 'customers' })

/** A new account with `count` merged pairs of emails (survivor first), and its key's hash. */
async function mergedPairs(count: number, tag: string) {
  const { accountId, projects } = await seedAccount(served.db, ['Source'])
  const keyHash = await hashKey(projects[0]!.key)
  const pairs: string[][] = []
  for (let p = 0; p < count; p++) {
    const pair = [`kept${p}.${tag}@one-by-one.test`, `gone${p}.${tag}@one-by-one.test`]
    const made = await ingest(
      served.db,
      keyHash,
      pair.map((email) => ({ type: 'identify', email })),
    )
    const [survivorId, absorbedId] = made.map((r) => r.customerId!) as [number, number]
    await mergeCustomers(served.db, { accountId, survivorId, absorbedId, actor: 'test' })
    pairs.push(pair)
  }
  return { projectId: projects[0]!.project.id, keyHash, pairs }
}

/** An identify of each email, with a messageId and a trait. */
function identifies(emails: string[], tag: string, traits: Record<string, unknown>): SegmentRow[] {
  return emails.map((email, n) => {
    const raw = { type: 'identify', userId: email, messageId: `${tag}-${n}`, traits }
    const parsed = parseEvent(raw, { n, receivedAt: new Date() })
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.details))
    return parsed.row
  })
}

describe('a Segment batch applied event by event (real PostgreSQL)', () => {
  it(`is written whole or not at all when its key is revoked meanwhile (${TRIALS} trials)`, async () => {
    const outcomes: string[] = []
    const failures: string[] = []
    for (let trial = 0; trial < TRIALS; trial++) {
      const { projectId, keyHash, pairs } = await mergedPairs(1, `r${trial}`)
      const fresh = Array.from({ length: EVENTS - 2 }, (_, i) => `p${i}.r${trial}@one-by-one.test`)
      const batch = identifies([...pairs[0]!, ...fresh], `revoke-${trial}`, { plan: 'pro' })
      const applied = applySegmentEvents(served.db, keyHash, batch).then(
        () => 'applied',
        (err: { code?: string }) => `refused ${err.code ?? String(err)}`,
      )
      // Revoked some way into the batch, or after it (each trial a little later).
      await new Promise((r) => setTimeout(r, 20 + trial * trial * 12))
      await sql`UPDATE api_keys SET revoked_at = now() WHERE project_id = ${projectId}`.execute(
        served.db,
      )
      const outcome = await applied
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n
        FROM segment_messages WHERE project_id = ${projectId}`.execute(served.db)
      const stored = rows[0]!.n
      outcomes.push(`${outcome}: ${stored}`)
      if (outcome === 'applied' ? stored !== EVENTS : stored !== 0) {
        failures.push(`trial ${trial}: ${outcome} with ${stored} of ${EVENTS} events stored`)
      }
    }
    console.log(outcomes.join('; '))
    expect(failures).toEqual([])
  })

  it(`answers batches racing over the same new emails in other orders (${TRIALS} trials × 6)`, async () => {
    const failures: string[] = []
    for (let trial = 0; trial < TRIALS; trial++) {
      // A merged pair per batch, so that they do not wait for one another on it.
      const { keyHash, pairs } = await mergedPairs(6, `o${trial}`)
      const fresh = Array.from({ length: 30 }, (_, i) => `new${i}.o${trial}@one-by-one.test`)
      const rnd = random(trial + 1)
      const batches = pairs.map((pair, b) =>
        identifies([...shuffle(fresh, rnd), ...pair], `order-${trial}-${b}`, { [`b${b}`]: true }),
      )
      const outcomes = await served.gate.gated(batches.length, () =>
        Promise.allSettled(batches.map((batch) => applySegmentEvents(served.db, keyHash, batch))),
      )
      for (const o of outcomes) {
        if (o.status === 'rejected') failures.push(`trial ${trial}: ${String(o.reason)}`)
      }
      // Every batch answered wrote its key to every new email, and to each survivor its own.
      const { rows } = await sql<{ email: string; keys: number }>`
        SELECT c.email, (SELECT count(*) FROM jsonb_object_keys(r.params))::int AS keys
        FROM customers c JOIN customer_projects r ON r.customer_id = c.id
        WHERE c.email = ANY (${[...fresh, ...pairs.map((p) => p[0]!)]}::text[])`.execute(served.db)
      const answered = outcomes.filter((o) => o.status === 'fulfilled').length
      for (const { email, keys } of rows) {
        const expected = fresh.includes(email) ? answered : 1
        if (keys !== expected) failures.push(`trial ${trial}: ${email} has ${keys} keys`)
      }
      if (rows.length !== fresh.length + pairs.length) {
        failures.push(`trial ${trial}: ${rows.length} customers`)
      }
    }
    expect(failures).toEqual([])
  })
})
