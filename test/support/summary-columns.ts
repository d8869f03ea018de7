// The check that every customer's summary columns (relation_keys, project_count, best_rank: kept
// by triggers on customer_projects, migration 2026-11-30T00) say what its relations say, computed
// here from the relations themselves, independently of the migration's SQL.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.js'

const RANK: Record<string, number> = { paid: 1, trial: 2, free: 3, churned: 4 }

/** One line per customer of the account (every account without one) whose summary is wrong. */
export async function summaryMismatches(db: Kysely<Database>, accountId?: number) {
  const scope = accountId === undefined ? sql`true` : sql`c.account_id = ${accountId}`
  const { rows } = await sql<{
    id: string
    email: string
    relation_keys: string[]
    project_count: number
    best_rank: number | null
    relations: [string, string][] | null
  }>`SELECT c.id, c.email, c.relation_keys, c.project_count, c.best_rank,
      (SELECT json_agg(json_build_array(r.project_id::text, r.status))
        FROM customer_projects r WHERE r.customer_id = c.id) AS relations
    FROM customers c WHERE ${scope}`.execute(db)
  const wrong: string[] = []
  for (const c of rows) {
    const rels = c.relations ?? []
    const keys = new Set<bigint>()
    for (const [project, status] of rels) {
      const rank = RANK[status]!
      keys.add(BigInt(project) * 8n)
      keys.add(BigInt(project) * 8n + BigInt(rank))
      keys.add(BigInt(-rank))
    }
    const expected = {
      keys: [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String),
      count: rels.length,
      best: rels.length ? Math.min(...rels.map(([, s]) => RANK[s]!)) : null,
    }
    const actual = {
      keys: c.relation_keys.map(String),
      count: Number(c.project_count),
      best: c.best_rank === null ? null : Number(c.best_rank),
    }
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      wrong.push(
        `${c.email}: summary ${JSON.stringify(actual)}, relations say ${JSON.stringify(expected)}`,
      )
    }
  }
  return wrong
}
