// What the benches send, shared by the HTTP side and the raw-SQL side so both write the same rows.
// identify: emails cycle through a pool of 5,000, so a run mixes creating customers with updating
// them (a product identifying its users on every login), across the seeded projects.
// batch: 1,000 identify items of new customers per request (an import or a backfill).
import type { BatchItem } from '../src/ingest/schemas.js'

export const IDENTIFY_EMAILS = 5_000
export const BATCH_ITEMS = 1_000
const STATUSES = ['free', 'trial', 'paid'] as const

/** The n-th identify call's body (the JSON the API gets; as a BatchItem it is what ingest() gets). */
export function identifyBody(n: number) {
  return {
    email: `user${n % IDENTIFY_EMAILS}@bench.example`,
    name: `User ${n % IDENTIFY_EMAILS}`,
    status: STATUSES[n % STATUSES.length]!,
    params: { plan: n % 2 ? 'pro' : 'starter', mrr: n % 100, seq: n },
  }
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
