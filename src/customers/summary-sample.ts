// The summary of a large segment of a large account, estimated from a sample of the customers
// table (TABLESAMPLE SYSTEM: whole pages, a share of the planner's row count), scaled up: the
// count, the status breakdowns and the sums "about" (./summary.ts decides when). The rows before
// the page are still counted, exactly up to the threshold. Only for filters that read the
// customers' own rows: a sampled customer's membership is its row alone.
import { sql } from 'kysely'
import { matchedRelation, type Cond } from './conditions.js'
import type { CustomerFilter } from './filter-syntax.js'
import { beforePage, byProjectCounts, projectsJson, RANKS, sumValue } from './summary-parts.js'

/** How many rows of the customers table (all accounts) a sample reads: a share of its pages
 *  (TABLESAMPLE SYSTEM), from the planner's row count. At least 100,000 × this / the table's
 *  rows of them belong to the segment: at 544,000 customers, 1,800 or more, and the estimate
 *  is off by about 2 % (one standard error; less for a larger segment). The same sample decides
 *  whether to estimate at all (a segment it puts past twice the threshold): at about 45 rows a
 *  page it is some 220 pages, so a segment of 100,000 packed into one part of the table (recent
 *  sign-ups) is not taken for twice its size; 1,000 rows (22 pages) were too few for that. */
const SAMPLE_ROWS = 10_000

/** The CTEs `sampling` (the sample's share of the table, and its row count) and `gate` (the
 *  segment's size by the sample: `SELECT n FROM gate`), for the segment `conds`. */
export function sampleCtes(conds: Cond) {
  return sql`sampling AS MATERIALIZED (
  SELECT least(100, greatest(0.01, COALESCE(${SAMPLE_ROWS} * 100 / rows, 100)))::float4 AS pct, rows
  FROM (SELECT nullif(greatest(reltuples, 0), 0)::float8 AS rows
    FROM pg_class WHERE oid = 'customers'::regclass) t
), gate AS MATERIALIZED (
  SELECT count(*) FILTER (WHERE ${conds}) * ${factor} AS n
  FROM customers c TABLESAMPLE SYSTEM ((SELECT pct FROM sampling)) REPEATABLE (14)
)`
}

// A sample's rows stand for the table's rows (the planner's count) over the rows it read: the
// page-level sample's size varies, the share of it in the segment much less.
const factor = sql`COALESCE((SELECT rows FROM sampling) / greatest(count(*), 1), 1)`

/** The summary row (the columns of the counted one, exact false) estimated from the larger
 *  sample, when `only` holds. */
export function sampledSummary(
  accountId: number,
  f: CustomerFilter,
  conds: Cond,
  only: Cond,
  exactUpTo: number,
) {
  const limit = sql.lit(exactUpTo + 1)
  const n = (cond: Cond | null) =>
    sql`round(count(*) FILTER (WHERE c.hit${cond ? sql` AND ${cond}` : sql``}) * ${factor})`
  const value = sumValue(accountId, f)
  // A sampled customer's part of the sums, looked up by its id when it is in the segment.
  const sums = value
    ? sql`(SELECT sum(${value}) AS sum_all,
        sum(${value}) FILTER (WHERE ${matchedRelation(accountId, f)}) AS sum_matched
      FROM customer_projects r
      WHERE c.hit AND r.customer_id = c.id AND r.account_id = ${accountId})`
    : sql`(SELECT NULL::numeric AS sum_all, NULL::numeric AS sum_matched)`
  return sql`
SELECT false, greatest(t.n, ${limit})::int, (CASE WHEN b.n > ${sql.lit(exactUpTo)} THEN t.before
    ELSE b.n END)::int, t.by_best, t.by_project, (t.sum_all * t.factor)::float8,
  (t.sum_matched * t.factor)::float8, ${projectsJson(accountId)}
FROM (
  SELECT ${n(null)} AS n, ${n(sql`c.before`)} AS before,
    json_build_array(${sql.join(RANKS.map((r) => n(sql`c.best_rank = ${r}`)))}) AS by_best,
    ${byProjectCounts(accountId, f, n)} AS by_project, ${factor} AS factor,
    sum(v.sum_all) AS sum_all, sum(v.sum_matched) AS sum_matched
  FROM (
    SELECT c.*, (${conds}) AS hit, ${beforePage(f)} AS before
    FROM customers c TABLESAMPLE SYSTEM ((SELECT pct FROM sampling)) REPEATABLE (14)
    WHERE ${only}
  ) c
  LEFT JOIN LATERAL ${sums} v ON true
) t, (
  SELECT count(*) FROM (
    SELECT 1 FROM customers c WHERE ${only} AND ${conds} AND ${beforePage(f)} LIMIT ${limit}
  ) x
) b(n)
WHERE ${only}`
}
