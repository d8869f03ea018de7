// The rail's live counts: how many customers each saved view holds, all in one statement. Not
// for an account of more than EXACT_COUNT_UP_TO customers: there each exact count reads its whole
// segment (a view on a param, 1–3 s at 550,000 customers on PostgreSQL, and the ready views are
// 16 of them: 20–30 s a statement, on every page load), so the rail shows the views uncounted.
// Below it, only the first views in the rail are counted, as many as COUNTED_ROWS allows.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { ApiError } from '../lib/errors.js'
import { filterConditions } from '../customers/conditions.js'
import { checkFilterProjects, parseCustomerFilter } from '../customers/filter.js'
import type { CustomerFilter } from '../customers/filter-syntax.js'
import { EXACT_COUNT_UP_TO } from '../customers/summary.js'
import { customersUpTo } from '../customers/summary-parts.js'
import type { SavedView } from './store.js'

type Db = Kysely<Database>

/** Each count reads about the account's customers, so the rail counts its first views up to this
 *  many customers read in all (at 50,000 customers the first 15 entries, at 5,000 all of 150), and
 *  shows the rest uncounted. Counting every one of 100 views of a 50,000-customer account took
 *  10–13 s on the embedded database, on every customers page (the rail loads with it), and held
 *  every other request up meanwhile. */
export const COUNTED_ROWS = 750_000

/** A view's live count, or why it has none: its filter names a project that is gone (`problem`),
 *  or the account has more than `exactUpTo` customers (`uncounted`). */
export type ViewCount = { count: number } | { problem: string } | { uncounted: true }

/** The number of customers in each view, in ONE statement (a count per view); `slugs` are the
 *  account's projects. The statement first counts the account's customers (up to exactUpTo + 1),
 *  then counts the views their number allows: none past exactUpTo, and the first ones only up to
 *  COUNTED_ROWS (each count is behind that check). */
export async function countViews(
  db: Db,
  accountId: number,
  views: SavedView[],
  slugs: string[],
  {
    exactUpTo = EXACT_COUNT_UP_TO,
    countedRows = COUNTED_ROWS,
  }: { exactUpTo?: number; countedRows?: number } = {},
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
      sql`CASE WHEN (SELECT n FROM size) > ${sql.lit(Math.min(exactUpTo, Math.floor(countedRows / (i + 1))))}
        THEN NULL ELSE (SELECT count(*) FROM customers c
        WHERE ${sql.join(filterConditions(accountId, filter), sql` AND `)}) END::int AS ${sql.ref(`v${i}`)}`,
  )
  const { rows } = await sql<Record<string, number | null>>`
WITH size AS MATERIALIZED (SELECT ${customersUpTo(accountId, exactUpTo + 1)} AS n)
SELECT ${sql.join(columns)}`.execute(db)
  filters.forEach(({ id }, i) => {
    const n = rows[0]![`v${i}`]
    counts.set(id, n === null || n === undefined ? { uncounted: true } : { count: Number(n) })
  })
  return counts
}
