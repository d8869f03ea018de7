// The customer summary refresh (the trigger function that keeps a customer's relation keys,
// project count and best status) runs on its generic plan from its first call
// (migrations/2026-12-03T00-summary-refresh-generic-plan.ts): left to plan_cache_mode auto, a fresh
// process planned it again on every call for its first thousands of identifies. The generic plan
// has to be a good one whatever the statistics say: it finds the customers by key.
import { sql } from 'kysely'
import { expect, it } from 'vitest'
import { hashKey } from '../lib/keys.js'
import { ingest } from '../ingest/upsert.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { useTestDb } from '../../test/support/db.js'
import { planNodes, type ExplainRow, type PlanNode } from '../../test/support/plans.js'

const t = useTestDb()

/** Each read of a table in the plan (not the UPDATE's own node): the table, how, and by which
 *  index (a bitmap heap scan's is its child's). */
const scans = (plan: PlanNode) =>
  planNodes(plan)
    .filter((n) => n['Relation Name'] && n['Node Type'] !== 'ModifyTable')
    .map((n) => ({
      table: n['Relation Name'],
      how: n['Node Type'],
      index: n['Index Name'] ?? n.Plans?.find((c) => c['Index Name'])?.['Index Name'],
    }))

it('carries plan_cache_mode=force_generic_plan, so no call is planned for its arguments', async () => {
  const { rows } = await sql<{ proconfig: string[] | null }>`SELECT proconfig FROM pg_proc
    WHERE proname = 'customer_summary_refresh'`.execute(t.db)
  expect(rows).toHaveLength(1)
  expect(rows[0]!.proconfig).toEqual(['plan_cache_mode=force_generic_plan'])
})

it('finds the customers and their relations by key on its generic plan, on statistics of empty tables', async () => {
  const { projects } = await seedAccount(t.db)
  // Statistics taken while the tables were empty, then 2,000 customers written.
  await sql`ANALYZE customers, customer_projects`.execute(t.db)
  const keyHash = await hashKey(projects[0]!.key)
  const items = Array.from({ length: 2_000 }, (_, i) => ({
    type: 'identify' as const,
    email: `plan${i}@example.com`,
    status: 'paid' as const,
  }))
  await ingest(t.db, keyHash, items)

  // The function's one statement, its argument as the parameter the generic plan leaves open.
  const { rows } = await sql<{ prosrc: string }>`SELECT prosrc FROM pg_proc
    WHERE proname = 'customer_summary_refresh'`.execute(t.db)
  const update = /UPDATE customers[\s\S]*?(?=;\s*END)/.exec(rows[0]!.prosrc)![0]
  const statement = update.replace(/\bids\b/g, '$1::bigint[]')
  const [explained] = await t.pglite!.exec(`EXPLAIN (GENERIC_PLAN, FORMAT JSON) ${statement}`)
  const plan = (explained!.rows[0] as ExplainRow)['QUERY PLAN'][0].Plan

  // Every read goes through a primary key: none walks a table.
  const reads = new Set(scans(plan).map((r) => `${r.table} by ${r.index ?? r.how}`))
  expect(reads).toEqual(
    new Set(['customers by customers_pkey', 'customer_projects by customer_projects_pkey']),
  )
})
