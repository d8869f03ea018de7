// Test helper: every row of every table a merge, undo or delete may touch, as Postgres prints it,
// so two snapshots compare ids, timestamps (to the microsecond) and params exactly. A relation's
// `source` (who wrote last) is left out: an undo is a write of its own, and says so (merge).
import { sql, type Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.js'

export async function snapshot(db: Kysely<Database>) {
  const tables = ['customers', 'customer_projects'] as const
  const out: Record<string, unknown[]> = {}
  for (const table of tables) {
    const { rows } = await sql<{ row: string }>`
      SELECT (to_jsonb(t) - 'source')::text AS row FROM ${sql.table(table)} t ORDER BY 1`.execute(
      db,
    )
    out[table] = rows.map((r) => r.row)
  }
  return out
}
