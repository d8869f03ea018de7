// The summary of a large segment of a large account, estimated from a sample of the customers
// table (TABLESAMPLE SYSTEM: whole pages, a share of the planner's row count), scaled up: the
// count, the status breakdowns and the sums "about" (./summary.ts decides when). The rows before
// the page are still counted, exactly up to the threshold. The decision and the estimate read the
// same sample (the same pages: REPEATABLE), each in its own pass, so a segment counted exactly pays
// only the decision's pass (6–9 ms at 550,000 customers; keeping the rows for both cost 15).
import { sql } from 'kysely'
import {
  matchedRelation,
  ownConditions,
  readsRelations,
  relationReadingConditions,
  type Cond,
} from './conditions.js'
import { where } from './page-order.js'
import type { CustomerFilter } from './filter-syntax.js'
import {
  beforePage,
  byBestCounts,
  byProjectCounts,
  projectsJson,
  sumValue,
} from './summary-parts.js'

/** How many rows of the customers table (all accounts) a sample reads: a share of its pages
 *  (TABLESAMPLE SYSTEM), from the planner's row count. At 550,000 customers about 220 pages of
 *  some 45 rows: enough that a segment of 100,000 packed into one part of the table (recent
 *  sign-ups) is seen as spread over pages, which is what the decision's margin measures. */
const SAMPLE_ROWS = 10_000

/** The sample of a filter that reads the customers' relations (a param, a time in one project,
 *  changed=): each sampled customer costs a probe of its relations, in the decision's pass and
 *  again in the estimate's, so it reads fewer rows (at 550,000 customers some 50 pages, 2,300
 *  rows, probed in about 20 ms). Three standard errors of a segment of 115,000 spread over the
 *  table are then some 14,000 customers: one of about 115,000 or more is estimated, and one packed
 *  into few pages is counted exactly up to a wider margin. */
const PROBING_SAMPLE_ROWS = 2_000

/** How many standard errors the estimate must clear the threshold by. A segment scattered over the
 *  table (a status, a project) is known to about ±1.5 % at 10,000 rows, so one of 110,000 is
 *  estimated; one packed into few pages has a wide margin, and one of 100,000 or fewer is
 *  counted exactly but for a chance of about one in a thousand (3 standard errors). */
const MARGIN = 3

/** The sample: the same pages in each pass (REPEATABLE), a share of them (`sampling`). */
const sample = sql`customers c TABLESAMPLE SYSTEM ((SELECT pct FROM sampling)) REPEATABLE (14)`

/** How a filter is sampled: its conditions over the `whole` table (the rows before the page), the
 *  same for the `sampled` rows, one at a time, and how many `rows` the sample reads. */
export interface SamplePlan {
  whole: Cond
  sampled: Cond
  rows: number
}

/** The sample plan of filter `f` whose WHERE conditions are `conds`. A filter that reads the
 *  customers' relations probes each sampled customer's (never a hash of every relation the param
 *  matches in the account: 320 ms at 550,000 customers, the probes of a sample some 20; see
 *  relationReadingConditions), over the smaller sample. */
export function samplePlan(accountId: number, f: CustomerFilter, conds: Cond): SamplePlan {
  if (!readsRelations(f)) return { whole: conds, sampled: conds, rows: SAMPLE_ROWS }
  const sampled = where([
    ...ownConditions(accountId, f),
    ...relationReadingConditions(accountId, f, undefined, { perRow: true }),
  ])
  return { whole: conds, sampled, rows: PROBING_SAMPLE_ROWS }
}

/** The CTEs `sampling` (the sample's share of the table, `plan.rows` of its rows, and its row
 *  count) and `gate` (`SELECT large FROM gate`: whether the sample puts the segment past `exactUpTo` by
 *  MARGIN standard errors). The estimate is a ratio over the sample's pages, so its standard
 *  error is that of a sample of pages (a cluster sample): the spread of the pages' hits against
 *  their rows, less as the share sampled grows (none when the sample is the whole table). */
export function sampleCtes(plan: SamplePlan, exactUpTo: number) {
  // gate: estimate = rows × ratio; its variance over m pages: (1 − share)
  //   × Σ(y − ratio·x)² / ((m − 1)·m·x̄²), the sum expanded into xx, xy, yy.
  // gate's subquery: per page x rows, y of them in the segment. A table never
  //   analysed has no row count: then its sample was all of it.
  return sql`sampling AS MATERIALIZED (
  SELECT least(100, greatest(0.01, COALESCE(${sql.lit(plan.rows)} * 100 / rows, 100)))::float4 AS pct, rows
  FROM (SELECT nullif(greatest(reltuples, 0), 0)::float8 AS rows
    FROM pg_class WHERE oid = 'customers'::regclass) t
), gate AS MATERIALIZED (
  SELECT COALESCE(g.rows * g.ratio - ${sql.lit(MARGIN)} * g.rows * CASE WHEN g.pct >= 100 THEN 0
      ELSE sqrt(abs((1 - g.pct / 100) * (g.yy - 2 * g.ratio * g.xy + g.ratio * g.ratio * g.xx)
        / nullif((g.m - 1) * g.m * g.xbar * g.xbar, 0))) END, 0) > ${sql.lit(exactUpTo)} AS large
  FROM (
    SELECT COALESCE(s.rows, sum(x)) AS rows, s.pct, count(*)::float8 AS m, avg(x) AS xbar,
      sum(y)::float8 / nullif(sum(x), 0) AS ratio, sum(x * x)::float8 AS xx,
      sum(x * y)::float8 AS xy, sum(y * y)::float8 AS yy
    FROM (
      SELECT count(*) AS x, count(*) FILTER (WHERE ${plan.sampled}) AS y
      FROM ${sample} GROUP BY (c.ctid::text::point)[0]
    ) p, sampling s
    GROUP BY s.rows, s.pct
  ) g
)`
}

// A sample's rows stand for the table's rows (the planner's count) over the rows it read: the
// page-level sample's size varies, the share of it in the segment much less.
const factor = sql`COALESCE((SELECT rows FROM sampling) / greatest(count(*), 1), 1)`

/** The summary row (the columns of the counted one, exact false) estimated from the sample, when
 *  `only` holds; without the sums per currency (a sampled customer's relations are added up as
 *  one row: split by currency, they would be another pass). */
export function sampledSummary(
  accountId: number,
  f: CustomerFilter,
  plan: SamplePlan,
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
  // The sample's OFFSET 0: each sampled row's hit and before computed once.
  //   Flattened, the subquery's columns are its expressions again in each count that reads them
  //   (the filter's conditions 13 times a row for two projects: measured at 550,000 customers, the
  //   counts over one sample took 71–74 ms flattened and 21 ms with OFFSET 0).
  return sql`
SELECT false, greatest(t.n, ${limit})::int, (CASE WHEN b.n > ${sql.lit(exactUpTo)} THEN t.before
    ELSE b.n END)::int, t.by_best, t.by_project, (t.sum_all * t.factor)::float8,
  (t.sum_matched * t.factor)::float8, NULL::json, ${projectsJson(accountId)}
FROM (
  SELECT ${n(null)} AS n, ${n(sql`c.before`)} AS before,
    ${byBestCounts(f, n)} AS by_best,
    ${byProjectCounts(accountId, f, n)} AS by_project, ${factor} AS factor,
    sum(v.sum_all) AS sum_all, sum(v.sum_matched) AS sum_matched
  FROM (SELECT c.*, (${plan.sampled}) AS hit, ${beforePage(f)} AS before FROM ${sample} WHERE ${only}
    OFFSET 0) c
  LEFT JOIN LATERAL ${sums} v ON true
) t, (
  SELECT count(*) FROM (
    SELECT 1 FROM customers c WHERE ${only} AND ${plan.whole} AND ${beforePage(f)} LIMIT ${limit}
  ) x
) b(n)
WHERE ${only}`
}
