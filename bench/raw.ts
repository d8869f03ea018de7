// The physical limit beside each API figure: the SAME ingest statement (src/ingest/upsert.ts
// `ingest()`) sent by the bench process straight to the database by the same number of concurrent
// clients — no HTTP, no JSON parsing, no validation. For batches also the floor below that: one
// plain INSERT … SELECT FROM unnest(...) of the same rows (no merge by email, no params patching).
import { sql, type Kysely } from 'kysely'
import type { Database } from '../src/db/schema.js'
import { ingest } from '../src/ingest/upsert.js'
import { hashKey } from '../src/lib/keys.js'
import type { BenchResult } from './bench.js'
import { BATCH_CONCURRENCY, BATCH_MAX, BATCH_WARMUP_MS } from './batch.js'
import { IDENTIFY_CONCURRENCY } from './identify.js'
import { runLoop, summarize } from './load.js'
import { asItem, BATCH_ITEMS, batchItems, identifyBody } from './workload.js'

export interface RawContext {
  db: Kysely<Database>
  target: string
  keys: string[]
  durationMs: number
  log(message: string): void
}

export async function rawIdentify(ctx: RawContext): Promise<BenchResult[]> {
  const hashes = await Promise.all(ctx.keys.map(hashKey))
  // One sequence across the runs, as the API side's: each run's new customers are new.
  let seq = 0
  const op = () => {
    const n = seq++
    return ingest(ctx.db, hashes[n % hashes.length]!, [asItem(identifyBody(n, 'raw'))])
  }
  const results: BenchResult[] = []
  for (const concurrency of IDENTIFY_CONCURRENCY) {
    await runLoop({ concurrency, durationMs: Math.min(1000, ctx.durationMs / 4), op })
    ctx.log(`identify raw ${ctx.target} c=${concurrency}`)
    const r = await runLoop({ concurrency, durationMs: ctx.durationMs, op })
    results.push(summarize(r, { bench: 'identify', target: ctx.target, side: 'raw', concurrency }))
  }
  return results
}

export async function rawBatch(ctx: RawContext): Promise<BenchResult[]> {
  const hashes = await Promise.all(ctx.keys.map(hashKey))
  const projects = await ctx.db
    .selectFrom('api_keys as k')
    .innerJoin('projects as p', 'p.id', 'k.project_id')
    .select(['k.key_hash', 'p.id', 'p.account_id'])
    .where('k.key_hash', 'in', hashes)
    .execute()
  const byHash = new Map(projects.map((p) => [p.key_hash, p]))
  const sameStatement = (n: number) =>
    ingest(ctx.db, hashes[n % hashes.length]!, batchItems(n, 'raw'))
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
FROM c JOIN x ON x.email = c.email`.execute(ctx.db)
  }
  const results: BenchResult[] = []
  for (const [side, op] of [
    ['raw', sameStatement],
    ['raw unnest', unnest],
  ] as const) {
    // One sequence across the runs of a side: every batch writes new customers.
    let seq = 0
    const counted = () => op(seq++)
    await runLoop({ concurrency: 1, durationMs: BATCH_WARMUP_MS, count: BATCH_MAX, op: counted })
    for (const concurrency of BATCH_CONCURRENCY) {
      await runLoop({ concurrency, count: concurrency, op: counted })
      ctx.log(`batch ${side} ${ctx.target} c=${concurrency}`)
      const r = await runLoop({
        concurrency,
        durationMs: ctx.durationMs,
        count: BATCH_MAX,
        op: counted,
      })
      results.push(
        summarize(r, {
          bench: `batch ${BATCH_ITEMS}`,
          target: ctx.target,
          side,
          concurrency,
          rowsPerRequest: BATCH_ITEMS,
        }),
      )
    }
  }
  return results
}
