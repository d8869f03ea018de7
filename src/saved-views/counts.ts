// The rail's live counts: how many customers each saved view holds, all in one statement. Not
// for an account of more than EXACT_COUNT_UP_TO customers: there each exact count reads its whole
// segment (a view on a param, 1–3 s at 550,000 customers on PostgreSQL, and the ready views are
// 16 of them: 20–30 s a statement, on every page load), so the rail shows the views uncounted.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ApiError } from '../lib/errors.js'
import { filterConditions } from '../customers/conditions.js'
import { checkFilterProjects, parseCustomerFilter } from '../customers/filter.js'
import type { CustomerFilter } from '../customers/filter-syntax.js'
import { EXACT_COUNT_UP_TO } from '../customers/summary.js'
import { moreCustomersThan } from '../customers/summary-parts.js'
import type { SavedView } from './store.js'

type Db = Kysely<Database>

/** A view's live count, or why it has none: its filter names a project that is gone (`problem`),
 *  or the account has more than `exactUpTo` customers (`uncounted`). */
export type ViewCount = { count: number } | { problem: string } | { uncounted: true }

/** The number of customers in each view, in ONE statement (a count per view); `slugs` are the
 *  account's projects. The statement first asks whether the account is past exactUpTo (the
 *  summary's own check) and then counts no view (each count is behind that check). */
export async function countViews(
  db: Db,
  accountId: number,
  views: SavedView[],
  slugs: string[],
  { exactUpTo = EXACT_COUNT_UP_TO }: { exactUpTo?: number } = {},
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
      sql`CASE WHEN (SELECT big FROM size) THEN NULL ELSE (SELECT count(*) FROM customers c
        WHERE ${sql.join(filterConditions(accountId, filter), sql` AND `)}) END::int AS ${sql.ref(`v${i}`)}`,
  )
  const { rows } = await sql<Record<string, number | null>>`
WITH size AS MATERIALIZED (SELECT ${moreCustomersThan(accountId, exactUpTo)} AS big)
SELECT ${sql.join(columns)}`.execute(db)
  filters.forEach(({ id }, i) => {
    const n = rows[0]![`v${i}`]
    counts.set(id, n === null || n === undefined ? { uncounted: true } : { count: Number(n) })
  })
  return counts
}
