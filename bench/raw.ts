// The physical limit beside each API figure: the SAME ingest statement (src/ingest/upsert.ts
// `ingest()`) sent by the bench process straight to the database by the same number of concurrent
// clients — no HTTP, no JSON parsing, no validation. For batches also the floor below that: one
// plain INSERT … SELECT FROM unnest(...) of the same rows (no merge by email, no params patching).
import { sql, type Kysely } from 'kysely'
import type { Database } from '../src/db/schema.js'
import { ingest } from '../src/ingest/upsert.js'
import { hashKey } from '../src/lib/keys.js'
import { asItem, batchItems, identifyBody } from './workload.js'

/** The raw side of identify (./identify.ts runs it in turn with the API): each call sends the
 *  next identify's statement. One sequence across the runs, as the API side's: each run's new
 *  customers are new. */
export async function rawIdentifyOp(db: Kysely<Database>, keys: string[]) {
  const hashes = await Promise.all(keys.map(hashKey))
  let seq = 0
  return () => {
    const n = seq++
    return ingest(db, hashes[n % hashes.length]!, [asItem(identifyBody(n, 'raw'))])
  }
}

/** The raw sides of batch (./batch.ts runs them in turn with the API): each call sends the next
 *  batch, by the same statement (`raw`) or by a plain INSERT of the same rows (`raw unnest`). Each
 *  side has one sequence across its runs: every batch writes new customers. */
export async function rawBatchOps(db: Kysely<Database>, keys: string[]) {
  const hashes = await Promise.all(keys.map(hashKey))
  const projects = await db
    .selectFrom('api_keys as k')
    .innerJoin('projects as p', 'p.id', 'k.project_id')
    .select(['k.key_hash', 'p.id', 'p.account_id'])
    .where('k.key_hash', 'in', hashes)
    .execute()
  const byHash = new Map(projects.map((p) => [p.key_hash, p]))
  const sameStatement = (n: number) => ingest(db, hashes[n % hashes.length]!, batchItems(n, 'raw'))
  const unnest = (n: number) => {
    const p = byHash.get(hashes[n % hashes.length]!)!
    const items = batchItems(n, 'unnest')
    return sql`
WITH x AS (
  SELECT * FROM unnest(${items.map((i) => i.email)}::text[],
    ${items.map((i) => JSON.stringify(i.params))}::text[]) AS x(email, params)
),
c AS (
  INSERT INTO customers (account_id, email, created_at, last_activity_at)
  SELECT ${p.account_id}, x.email, now(), now() FROM x
  RETURNING id, email
)
INSERT INTO customer_projects
  (customer_id, project_id, account_id, status, params, first_seen_at, last_activity_at)
SELECT c.id, ${p.id}, ${p.account_id}, 'paid', x.params::jsonb, now(), now()
FROM c JOIN x ON x.email = c.email`.execute(db)
  }
  const counted = (op: (n: number) => Promise<unknown>) => {
    let seq = 0
    return () => op(seq++)
  }
  return { raw: counted(sameStatement), 'raw unnest': counted(unnest) }
}
