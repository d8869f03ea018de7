// The pieces both summary statements share (the counted one, ./summary.ts, and the sampled one,
// ./summary-sample.ts): the account's projects, the rows before the page, the `sum=` value of a
// relation `r`, the status breakdown per project the filter names; and whether an account is
// past the exact-count threshold (also asked by the saved views' rail, src/saved-views/counts.ts).
import { sql } from 'kysely'
import { projectId, type Cond } from './conditions.js'
import { breakdownSlugs } from './filter.js'
import type { CustomerFilter } from './filter-syntax.js'
import { pageCursor, pastCursor, sortSpec } from './page-order.js'

/** The ranks of the statuses, best first (1 paid … 4 churned; ./relation-keys.ts). */
export const RANKS = [1, 2, 3, 4]

export const projectsJson = (accountId: number) => sql`COALESCE((
  SELECT json_agg(json_build_object('id', p.id, 'name', p.name, 'slug', p.slug, 'color', p.color)
    ORDER BY p.created_at, p.id)
  FROM projects p WHERE p.account_id = ${accountId}), '[]')`

/** True for a customer `c` before the page: after a cursor, every row up to it (an index range);
 *  before one, the rows earlier than it (the page itself starts `limit` rows earlier). */
export function beforePage(f: CustomerFilter): Cond {
  const page = pageCursor(f)
  if (!page) return sql`false`
  const row = sql`(${sortSpec(f.sort.key).expr}, c.id)`
  return page.backwards
    ? pastCursor(row, f, page.cursor, false)
    : pastCursor(row, f, page.cursor, false, true)
}

/** The `sum=` value of a relation `r` (a JSON number of its param, in its project when `sum=`
 *  names one), or null without `sum=`. */
export function sumValue(accountId: number, f: CustomerFilter): Cond | null {
  if (!f.sum) return null
  const inSumProject = f.sum.project
    ? sql`r.project_id = ${projectId(accountId, f.sum.project)} AND `
    : sql``
  return sql`CASE WHEN ${inSumProject}jsonb_typeof(r.params -> ${f.sum.key}::text) = 'number'
    THEN (r.params ->> ${f.sum.key}::text)::numeric END`
}

/** Per project the filter names, its customers `c` per rank there: `count` makes each count of
 *  the customers where a condition holds. Each is a test of every customer in the segment, so it
 *  is `key = ANY (relation_keys)`, an equality per element, not the GIN index's `@>`, which the
 *  WHERE clause needs but which costs more per row: measured at 550,000 customers (PostgreSQL 15),
 *  the eight counts of two projects over a segment of 47,664 added 65–156 ms with `@>` and 30–39
 *  ms with `= ANY` to the count and best-status breakdown (40 ms). */
export function byProjectCounts(accountId: number, f: CustomerFilter, count: (c: Cond) => Cond) {
  const byProject = breakdownSlugs(f).map((slug) => {
    const id = projectId(accountId, slug)
    const ranks = RANKS.map((r) => count(sql`(${id}) * 8 + ${r} = ANY (c.relation_keys)`))
    return sql`json_build_array(${sql.join(ranks)})`
  })
  return sql`json_build_array(${sql.join(byProject.length ? byProject : [sql`NULL`])})`
}

/** True when the account has more than `n` customers: the planner's row count of the customers
 *  table (every account's) first, and only when that is over `n`, a count of the account's rows
 *  that stops past `n` (an index range of at most n + 1 entries). */
export function moreCustomersThan(accountId: number, n: number): Cond {
  return sql`(SELECT reltuples NOT BETWEEN 0 AND ${sql.lit(n)}
      FROM pg_class WHERE oid = 'customers'::regclass)
    AND (SELECT count(*) FROM (SELECT 1 FROM customers WHERE account_id = ${accountId}
      LIMIT ${sql.lit(n + 1)}) x) > ${sql.lit(n)}`
}
