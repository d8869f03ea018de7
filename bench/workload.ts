// What the benches send, shared by the HTTP side and the raw-SQL side so both write the same rows.
// identify: 9 calls in 10 identify a returning customer of a pool of 5,000 (identified before the
// runs: `identifyPool`), 1 in 10 a new one (a product identifying its users on every login, and
// its sign-ups), across the seeded projects. The mix is the same on every side whatever its speed:
// with the pool written by the runs themselves, the API (run first) created customers for its
// first thousands of calls and the raw side, on the same data after it, only updated them.
// batch: 1,000 identify items of new customers per request (an import or a backfill).
import type { BatchItem } from '../src/ingest/schemas.js'

export const IDENTIFY_EMAILS = 5_000
export const BATCH_ITEMS = 1_000
const STATUSES = ['free', 'trial', 'paid'] as const

/** The n-th identify call's body of a side (the JSON the API gets; as a BatchItem it is what
 *  ingest() gets). `side` keeps the new customers of the sides (api, raw, worker) apart. */
export function identifyBody(n: number, side: string) {
  const who = n % 10 === 9 ? `new-${side}-${n}` : `user${n % IDENTIFY_EMAILS}`
  return {
    email: `${who}@bench.example`,
    name: `User ${who}`,
    status: STATUSES[n % STATUSES.length]!,
    params: { plan: n % 2 ? 'pro' : 'starter', mrr: n % 100, seq: n },
  }
}

/** The returning customers of `identifyBody`, in batches of BATCH_ITEMS: each project identifies
 *  them all before the runs. */
export function identifyPool(): BatchItem[][] {
  const items = Array.from({ length: IDENTIFY_EMAILS }, (_, i) => ({
    type: 'identify' as const,
    email: `user${i}@bench.example`,
    name: `User user${i}`,
  }))
  return Array.from({ length: IDENTIFY_EMAILS / BATCH_ITEMS }, (_, b) =>
    items.slice(b * BATCH_ITEMS, (b + 1) * BATCH_ITEMS),
  )
}

/** The n-th batch's items. `tag` keeps the emails of two runs (API, raw) apart: all new rows. */
export function batchItems(n: number, tag: string) {
  return Array.from({ length: BATCH_ITEMS }, (_, i) => ({
    type: 'identify' as const,
    email: `${tag}${n}-${i}@bench.example`,
    status: 'paid' as const,
    params: { plan: 'pro', mrr: i % 100, source: 'import' },
  }))
}

export const asItem = (body: ReturnType<typeof identifyBody>): BatchItem => ({
  type: 'identify',
  ...body,
})
