// The customers page's summary statement: the segment's count, its status breakdowns, the `sum=`
// param added up, how many come before the page, and the account's projects. The count and the
// breakdowns read the customers' own summary columns (./relation-keys.ts) in one pass over the
// segment; only `sum=` joins the relations.
import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { Database } from '../db/schema.js'
import { STATUSES, type Status } from '../lib/status.js'
import { filterConditions, matchedRelation, projectId, selectsRelations } from './conditions.js'
import { filterSlugs } from './filter.js'
import type { CustomerFilter } from './filter-syntax.js'
import { pageCursor, pastCursor, sortSpec, where } from './page-order.js'
import type { ProjectInfo } from './query.js'
import { RANK_ORDER } from './relation-keys.js'

export interface Summary {
  /** False when the segment is larger than EXACT_COUNT_UP_TO: then the count, the breakdowns and
   *  the sum are estimates from a sample (rounded to 3 significant digits), and the page says
   *  "about". */
  exact: boolean
  count: number
  /** How many of the segment come before this page (51–100 of 2,258 starts at 50). */
  offset: number
  /** Customers by their best status over their projects (paid > trial > free > churned). */
  byStatus: Record<Status, number>
  /** Per project the filter names: its customers in the segment by their status there (a
   *  customer paid on A and churned on B counts in both). */
  byProject: { slug: string; byStatus: Record<Status, number> }[]
  /** The `sum=` param added up (JSON numbers only), null without `sum=`: over the relations that
   *  matched the filter's conditions on relations, and over all the segment's relations. */
  sum: {
    key: string
    project: string | null
    matched: number
    all: number
    selective: boolean
  } | null
  projects: ProjectInfo[]
}

const PROJECTS_JSON = (accountId: number) => sql`COALESCE((
  SELECT json_agg(json_build_object('id', p.id, 'name', p.name, 'slug', p.slug, 'color', p.color)
    ORDER BY p.created_at, p.id)
  FROM projects p WHERE p.account_id = ${accountId}), '[]')`

type SummaryRow = {
  exact: boolean
  count: number
  before: number
  /** Customers per best rank (1 paid … 4 churned). */
  by_best: [number, number, number, number]
  /** Per slug of filterSlugs, in order: its customers per rank there. */
  by_project: [number, number, number, number][]
  sum_all: number | null
  sum_matched: number | null
  projects: ProjectInfo[]
}

const RANKS = [1, 2, 3, 4]

/** Segments up to this many customers are counted exactly; a larger one is estimated from a
 *  sample of the customers table (and the page says "about"). */
export const EXACT_COUNT_UP_TO = 100_000
/** How many rows of the customers table (all accounts) an estimate reads: a share of its pages
 *  (TABLESAMPLE SYSTEM), from the planner's row count. At least 100,000 × this / the table's
 *  rows of them belong to the segment: at 544,000 customers, 1,800 or more, and the estimate
 *  is off by about 2 % (one standard error; less for a larger segment). */
const SAMPLE_ROWS = 10_000
/** A first, smaller sample decides whether to count at all: a segment it puts past twice the
 *  threshold is estimated (counting one of 500,000 customers with a param condition reads every
 *  matching relation: seconds). A segment of 100,000 of 544,000 customers has about 180 in this
 *  sample (one standard error: 13), so it is not taken for twice its size; a segment between
 *  the two is counted, and says "about" past the threshold all the same. */
const GATE_ROWS = 1_000

export interface SummaryOptions {
  /** Count exactly up to this many customers (EXACT_COUNT_UP_TO); tests lower it. */
  exactUpTo?: number
}

/** The summary statement: the segment's count, status breakdowns (best status per customer; the
 *  status per project the filter names), how many come before the page, the `sum=` param over
 *  all the segment's relations and over those that matched, and the account's projects.
 *
 *  A small sample of the table (`gate`) first: a segment it puts past twice exactUpTo is
 *  estimated from a larger sample of the table's pages (TABLESAMPLE SYSTEM), scaled up; the rows
 *  before the page are still counted, up to exactUpTo. Any other segment is counted in one pass
 *  over all of it, with the plan the planner finds best for the whole (a LIMIT to stop at
 *  exactUpTo + 1 made it pick row-by-row plans, slower for segments near the threshold): `exact`
 *  when it is within exactUpTo. Each branch runs only when its side holds (a one-time filter). */
export function summaryQuery(
  accountId: number,
  f: CustomerFilter,
  { exactUpTo = EXACT_COUNT_UP_TO }: SummaryOptions = {},
) {
  const { expr } = sortSpec(f.sort.key)
  const page = pageCursor(f)
  const row = sql`(${expr}, c.id)`
  // After a cursor, the page starts past every row up to it; before one, `limit` rows earlier.
  const beforePage = page
    ? page.backwards
      ? pastCursor(row, f, page.cursor, false)
      : pastCursor(row, f, page.cursor, false, true) // up to the cursor (an index range)
    : sql`false`
  const conds = where(filterConditions(accountId, f))
  const limit = sql.lit(exactUpTo + 1)
  const large = sql`(SELECT n FROM gate) > ${sql.lit(2 * exactUpTo)}`
  const small = sql`NOT ${large}`
  const sampled = sql`customers c TABLESAMPLE SYSTEM ((SELECT pct FROM sampling)) REPEATABLE (14)`
  // A sample's rows stand for the table's rows (the planner's count) over the rows it read: the
  // page-level sample's size varies, the share of it in the segment much less.
  const factor = sql`COALESCE((SELECT rows FROM sampling) / greatest(count(*), 1), 1)`
  const unscaled = sql``
  // The counts of one pass over customers `c` (with a boolean `before`): of the rows where `hit`
  // holds (all of them when it is null), scaled.
  const counts = (scaled: RawBuilder<unknown>, hit: RawBuilder<unknown> | null) => {
    const n = (cond: RawBuilder<unknown> | null) => {
      const both = [hit, cond].filter((x) => x !== null)
      const only = both.length ? sql` FILTER (WHERE ${sql.join(both, sql` AND `)})` : sql``
      return sql`round(count(*)${only}${scaled})`
    }
    const byProject = filterSlugs(f).map((slug) => {
      const id = projectId(accountId, slug)
      const ranks = RANKS.map((r) => n(sql`c.relation_keys @> ARRAY[(${id}) * 8 + ${r}]::bigint[]`))
      return sql`json_build_array(${sql.join(ranks)})`
    })
    return sql`${n(null)} AS n, ${n(sql`c.before`)} AS before,
      json_build_array(${sql.join(RANKS.map((r) => n(sql`c.best_rank = ${r}`)))}) AS by_best,
      json_build_array(${sql.join(byProject.length ? byProject : [sql`NULL`])}) AS by_project`
  }
  const inSumProject = f.sum?.project
    ? sql`r.project_id = ${projectId(accountId, f.sum.project)} AND `
    : sql``
  const value = f.sum
    ? sql`CASE WHEN ${inSumProject}jsonb_typeof(r.params -> ${f.sum.key}::text) = 'number'
        THEN (r.params ->> ${f.sum.key}::text)::numeric END`
    : null
  // Every relation of the segment's customers: its sum= value, and whether it is one the filter's
  // conditions on relations matched.
  const sums = value
    ? sql`(SELECT sum(${value}) AS sum_all,
        sum(${value}) FILTER (WHERE ${matchedRelation(accountId, f)}) AS sum_matched
      FROM customers c
      JOIN customer_projects r ON r.customer_id = c.id AND r.account_id = ${accountId}
      WHERE ${small} AND ${conds})`
    : sql`(SELECT NULL::numeric AS sum_all, NULL::numeric AS sum_matched)`
  // A sampled customer's part of the sums, looked up by its id when it is in the segment.
  const sampleSums = value
    ? sql`(SELECT sum(${value}) AS sum_all,
        sum(${value}) FILTER (WHERE ${matchedRelation(accountId, f)}) AS sum_matched
      FROM customer_projects r
      WHERE c.hit AND r.customer_id = c.id AND r.account_id = ${accountId})`
    : sql`(SELECT NULL::numeric AS sum_all, NULL::numeric AS sum_matched)`
  const projects = PROJECTS_JSON(accountId)
  return sql<SummaryRow>`
WITH sampling AS MATERIALIZED (
  SELECT least(100, greatest(0.01, COALESCE(${SAMPLE_ROWS} * 100 / rows, 100)))::float4 AS pct,
    least(100, greatest(0.01, COALESCE(${GATE_ROWS} * 100 / rows, 100)))::float4 AS gate_pct, rows
  FROM (SELECT nullif(greatest(reltuples, 0), 0)::float8 AS rows
    FROM pg_class WHERE oid = 'customers'::regclass) t
), gate AS MATERIALIZED (
  SELECT count(*) FILTER (WHERE ${conds}) * ${factor} AS n
  FROM customers c TABLESAMPLE SYSTEM ((SELECT gate_pct FROM sampling)) REPEATABLE (14)
), segment AS MATERIALIZED (
  SELECT ${counts(unscaled, null)}
  FROM (
    SELECT c.best_rank, ${filterSlugs(f).length ? sql`c.relation_keys` : sql`NULL`} AS relation_keys,
      ${beforePage} AS before
    FROM customers c WHERE ${small} AND ${conds}
  ) c
)
SELECT g.n <= ${sql.lit(exactUpTo)} AS exact, g.n::int AS count, g.before::int AS before,
  g.by_best, g.by_project, s.sum_all::float8 AS sum_all, s.sum_matched::float8 AS sum_matched, ${projects} AS projects
FROM segment g, ${sums} s
WHERE ${small}
UNION ALL
SELECT false, greatest(t.n, ${limit})::int, (CASE WHEN b.n > ${sql.lit(exactUpTo)} THEN t.before
    ELSE b.n END)::int, t.by_best, t.by_project, (t.sum_all * t.factor)::float8,
  (t.sum_matched * t.factor)::float8, ${projects}
FROM (
  SELECT ${counts(sql` * ${factor}`, sql`c.hit`)}, ${factor} AS factor,
    sum(v.sum_all) AS sum_all, sum(v.sum_matched) AS sum_matched
  FROM (
    SELECT c.*, (${conds}) AS hit, ${beforePage} AS before FROM ${sampled} WHERE ${large}
  ) c
  LEFT JOIN LATERAL ${sampleSums} v ON true
) t, (
  SELECT count(*) FROM (
    SELECT 1 FROM customers c WHERE ${large} AND ${conds} AND ${beforePage} LIMIT ${limit}
  ) x
) b(n)
WHERE ${large}`
}

const noStatuses = () => Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>

/** An estimate to the precision a sample has: 3 significant digits (435,120 → 435,000). */
export function roughly(n: number): number {
  if (n === 0) return 0
  const unit = 10 ** Math.max(0, Math.floor(Math.log10(Math.abs(n))) - 2)
  return Math.round(n / unit) * unit
}

/** Counts per rank (1 paid … 4 churned) as counts per status. */
function byRank(counts: readonly number[], round: (n: number) => number): Record<Status, number> {
  const byStatus = noStatuses()
  RANK_ORDER.forEach((status, i) => (byStatus[status] = round(Number(counts[i] ?? 0))))
  return byStatus
}

/** The segment's summary (see summaryQuery): one statement. */
export async function summarizeCustomers(
  db: Kysely<Database>,
  accountId: number,
  f: CustomerFilter,
  options: SummaryOptions = {},
): Promise<Summary> {
  const { rows } = await summaryQuery(accountId, f, options).execute(db)
  const row = rows[0]!
  const exact = row.exact
  const round = exact ? (n: number) => n : roughly
  const projects = row.projects.map((p) => ({ ...p, id: Number(p.id) }))
  const byProject = filterSlugs(f).flatMap((slug, i) => {
    if (!projects.some((p) => p.slug === slug)) return []
    return [{ slug, byStatus: byRank(row.by_project[i] ?? [], round) }]
  })
  const before = Number(row.before)
  return {
    exact,
    count: exact
      ? Number(row.count)
      : Math.max(round(Number(row.count)), options.exactUpTo ?? EXACT_COUNT_UP_TO),
    offset: pageCursor(f)?.backwards ? Math.max(0, before - f.limit) : before,
    byStatus: byRank(row.by_best, round),
    byProject,
    sum: f.sum
      ? {
          ...f.sum,
          all: round(Number(row.sum_all ?? 0)),
          matched: round(Number(row.sum_matched ?? 0)),
          selective: selectsRelations(accountId, f),
        }
      : null,
    projects,
  }
}
