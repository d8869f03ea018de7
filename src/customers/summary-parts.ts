// The pieces both summary statements share (the counted one, ./summary.ts, and the sampled one,
// ./summary-sample.ts): the account's projects, the rows before the page, the `sum=` value of a
// relation `r`, the status breakdown per project the filter names; and whether an account is
// past the exact-count threshold (also asked by the saved views' rail, src/saved-views/counts.ts).
import { sql } from 'kysely'
import { projectId, type Cond } from './conditions.js'
import { breakdownSlugs } from './filter.js'
import type { CustomerFilter } from './filter-syntax.js'
import { pageCursor, pastCursor, sortSpec } from './page-order.js'
import { RANK_ORDER } from './relation-keys.js'
import type { Status } from '../lib/status.js'

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

const ranksOf = (statuses: Status[]) => statuses.map((s) => RANK_ORDER.indexOf(s) + 1)

/** The counts per rank where the filter itself decides some: a rank it rules out for every
 *  customer of the segment counts 0, and when it leaves one rank only and every customer has a
 *  rank there (`sure`), that one counts them all. The rest test each customer (`test`). So
 *  `in=app-a:churned&in=app-b:paid` tests no customer for its statuses at all: everyone is churned
 *  on A, paid on B, and paid at best. Measured at 550,000 customers (PostgreSQL 15, psql), that
 *  segment's count took 54 ms alone and 85–98 ms with its best-status and per-project counts. */
function rankCounts(
  possible: Set<number>,
  sure: boolean,
  count: (c: Cond) => Cond,
  test: (rank: number) => Cond,
): Cond[] {
  return RANKS.map((r) => {
    if (!possible.has(r)) return sql`0`
    return count(sure && possible.size === 1 ? sql`true` : test(r))
  })
}

/** The ranks the filter leaves possible for a customer's status in the project `slug` (a customer
 *  has one relation per project): those of its `in=` statuses there, none of its `not_in=` ones
 *  there or its `not_status=` ones anywhere. */
function projectRanks(f: CustomerFilter, slug: string): Set<number> {
  const possible = new Set(RANKS)
  for (const m of f.in) {
    if (m.project !== slug || !m.statuses.length) continue
    const allowed = ranksOf(m.statuses)
    for (const r of RANKS) if (!allowed.includes(r)) possible.delete(r)
  }
  for (const m of f.notIn)
    if (m.project === slug) ranksOf(m.statuses).forEach((r) => possible.delete(r))
  for (const s of f.notStatus) ranksOf(s).forEach((r) => possible.delete(r))
  return possible
}

/** The segment's customers `c` per best rank (1 paid … 4 churned). A customer with a relation of
 *  some statuses (`in=` with statuses, `status=`) is at best the worst of them; one with none of
 *  some statuses anywhere (`not_status=`) has none of them as its best. */
export function byBestCounts(f: CustomerFilter, count: (c: Cond) => Cond): Cond {
  const possible = new Set(RANKS)
  const having = [...f.in.map((m) => m.statuses), ...f.status].filter((s) => s.length)
  for (const statuses of having) {
    const worst = Math.max(...ranksOf(statuses))
    for (const r of RANKS) if (r > worst) possible.delete(r)
  }
  for (const s of f.notStatus) ranksOf(s).forEach((r) => possible.delete(r))
  // With a relation of some status, every customer has a best rank.
  const ranks = rankCounts(possible, having.length > 0, count, (r) => sql`c.best_rank = ${r}`)
  return sql`json_build_array(${sql.join(ranks)})`
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
    const uses = f.in.some((m) => m.project === slug)
    const ranks = rankCounts(projectRanks(f, slug), uses, count, (r) => {
      return sql`(${id}) * 8 + ${r} = ANY (c.relation_keys)`
    })
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
    AND ${customersUpTo(accountId, n + 1)} > ${sql.lit(n)}`
}

/** How many customers the account has, counted up to `n` at most (an index range). */
export const customersUpTo = (accountId: number, n: number): Cond =>
  sql`(SELECT count(*) FROM (SELECT 1 FROM customers WHERE account_id = ${accountId}
      LIMIT ${sql.lit(n)}) x)`
