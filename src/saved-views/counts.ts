// The rail's live counts: how many customers each saved view holds, all in one statement.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ApiError } from '../lib/errors.js'
import { filterConditions } from '../customers/conditions.js'
import { checkFilterProjects, parseCustomerFilter } from '../customers/filter.js'
import type { CustomerFilter } from '../customers/filter-syntax.js'
import type { SavedView } from './store.js'

type Db = Kysely<Database>

/** A view's live count, or why it has none (its filter names a project that is gone…). */
export type ViewCount = { count: number } | { problem: string }

/** The number of customers in each view, in ONE statement (a count per view); `slugs` are the
 *  account's projects. */
export async function countViews(
  db: Db,
  accountId: number,
  views: SavedView[],
  slugs: string[],
): Promise<Map<number, ViewCount>> {
  const counts = new Map<number, ViewCount>()
  const filters: { id: number; filter: CustomerFilter }[] = []
  for (const v of views) {
    try {
      // A view naming a project deleted since is refused here with the parser's own words.
      const filter = parseCustomerFilter(new URLSearchParams(v.query))
      checkFilterProjects(filter, slugs)
      filters.push({ id: v.id, filter })
    } catch (err) {
      if (!(err instanceof ApiError)) throw err
      counts.set(v.id, { problem: err.message })
    }
  }
  if (filters.length === 0) return counts
  const columns = filters.map(
    ({ filter }, i) =>
      sql`(SELECT count(*) FROM customers c
        WHERE ${sql.join(filterConditions(accountId, filter), sql` AND `)})::int AS ${sql.ref(`v${i}`)}`,
  )
  const { rows } = await sql<Record<string, number>>`SELECT ${sql.join(columns)}`.execute(db)
  filters.forEach(({ id }, i) => counts.set(id, { count: Number(rows[0]![`v${i}`]) }))
  return counts
}
