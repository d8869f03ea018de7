// What expires by age, in one place: abandoned CSV imports with their uploaded rows
// (src/csv/retention.ts) and billing event ids past their dedup window (src/billing/retention.ts).
// `npm start` runs it at start and every hour (src/node.ts); on Workers, the daily Cron Trigger of
// wrangler.toml does (src/worker.ts). Segment's messageIds are pruned by the ingest statement itself
// (src/segment/store.ts).
import type { Kysely } from 'kysely'
import { pruneBillingEvents } from './billing/retention.js'
import { expireAbandonedImports } from './csv/retention.js'
import type { Database } from './db/schema.js'

/** Deletes what has expired; returns how many of each went. */
export async function expireOldData(db: Kysely<Database>) {
  const imports = await expireAbandonedImports(db)
  const billingEvents = await pruneBillingEvents(db)
  return { imports, billingEvents }
}
