// A time in one project (`active=30@app-b`, `inactive=30@app-a`) read as a set of customers is
// one range of the project's relations by last activity, and that index carries each relation's
// customer (migrations/2026-12-03T01-project-activity-customer.ts): the range never reads the
// relations' rows. At 544,000 customers, churned on A and active on B took the page 92 ms (p50)
// with it, 207 ms without, when its summary hashed App B's recent relations from their rows.
import { sql } from 'kysely'
import { expect, it } from 'vitest'
import { ingest } from '../ingest/upsert.js'
import { hashKey } from '../lib/keys.js'
import { seedAccount } from '../../test/support/fixtures.js'
import { useTestDb } from '../../test/support/db.js'
import { planNodes, type ExplainRow } from '../../test/support/plans.js'

const t = useTestDb()

it("finds a project's customers active since a time from its activity index alone", async () => {
  const { projects } = await seedAccount(t.db)
  const items = Array.from({ length: 200 }, (_, i) => ({
    type: 'identify' as const,
    email: `active${i}@example.com`,
  }))
  await ingest(t.db, await hashKey(projects[1]!.key), items)
  await sql`VACUUM (ANALYZE) customer_projects`.execute(t.db)

  // The range as the summary's hash join reads it; the planner made to take an index.
  const range = `SELECT customer_id FROM customer_projects
    WHERE project_id = ${Number(projects[1]!.project.id)} AND last_activity_at >= now() - interval '30 days'`
  await t.pglite!.exec('SET enable_seqscan = off; SET enable_bitmapscan = off')
  try {
    const [explained] = await t.pglite!.exec(`EXPLAIN (FORMAT JSON) ${range}`)
    const plan = (explained!.rows[0] as ExplainRow)['QUERY PLAN'][0].Plan
    const reads = planNodes(plan).filter((n) => n['Relation Name'] === 'customer_projects')
    expect(reads.map((n) => [n['Node Type'], n['Index Name']])).toEqual([
      ['Index Only Scan', 'customer_projects_project_activity_idx'],
    ])
  } finally {
    await t.pglite!.exec('RESET enable_seqscan; RESET enable_bitmapscan')
  }
  const { rows } = await sql<{
    n: number
  }>`SELECT count(*)::int AS n FROM (${sql.raw(range)}) x`.execute(t.db)
  expect(rows[0]!.n).toBe(200)
})
