// The customers page's summary statement: the segment's count, its status breakdowns, the `sum=`
// param added up, how many come before the page, and the account's projects. The count and the
// breakdowns read the customers' own summary columns (./relation-keys.ts) in one pass over the
// segment; only `sum=` joins the relations.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { STATUSES, type Status } from '../lib/status.js'
import { filterConditions, matchedRelation, projectId, selectsRelations } from './conditions.js'
import { filterSlugs } from './filter.js'
import type { CustomerFilter } from './filter-syntax.js'
import { pageCursor, pastCursor, sortSpec, where } from './page-order.js'
import type { ProjectInfo } from './query.js'
import { RANK_ORDER } from './relation-keys.js'

export interface Summary {
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

/** The summary statement: the segment's count, status breakdowns (best status per customer; the
 *  status per project the filter names), how many come before the page, the `sum=` param over
 *  all the segment's relations and over those that matched, and the account's projects. */
export function summaryQuery(accountId: number, f: CustomerFilter) {
  const { expr } = sortSpec(f.sort.key)
  const page = pageCursor(f)
  const row = sql`(${expr}, c.id)`
  // After a cursor, the page starts past every row up to it; before one, `limit` rows earlier.
  const beforePage = page
    ? page.backwards
      ? pastCursor(row, f, page.cursor, false)
      : sql`NOT ${pastCursor(row, f, page.cursor, true)}`
    : sql`false`
  const conds = where(filterConditions(accountId, f))
  const byProject = filterSlugs(f).map((slug) => {
    const id = projectId(accountId, slug)
    const counts = RANKS.map(
      (r) => sql`count(*) FILTER (WHERE c.relation_keys @> ARRAY[(${id}) * 8 + ${r}]::bigint[])`,
    )
    return sql`json_build_array(${sql.join(counts)})`
  })
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
      WHERE ${conds})`
    : sql`(SELECT NULL::numeric AS sum_all, NULL::numeric AS sum_matched)`
  return sql<SummaryRow>`
SELECT t.count, t.before, t.by_best, t.by_project, s.sum_all::float8 AS sum_all,
  s.sum_matched::float8 AS sum_matched, ${PROJECTS_JSON(accountId)} AS projects
FROM (
  SELECT count(*)::int AS count,
    count(*) FILTER (WHERE ${beforePage})::int AS before,
    json_build_array(${sql.join(RANKS.map((r) => sql`count(*) FILTER (WHERE c.best_rank = ${r})`))})
      AS by_best,
    json_build_array(${sql.join(byProject.length ? byProject : [sql`NULL`])}) AS by_project
  FROM customers c
  WHERE ${conds}
) t, ${sums} s`
}

const noStatuses = () => Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>

/** Counts per rank (1 paid … 4 churned) as counts per status. */
function byRank(counts: readonly number[]): Record<Status, number> {
  const byStatus = noStatuses()
  RANK_ORDER.forEach((status, i) => (byStatus[status] = Number(counts[i] ?? 0)))
  return byStatus
}

/** The segment's summary (see summaryQuery): one statement. */
export async function summarizeCustomers(
  db: Kysely<Database>,
  accountId: number,
  f: CustomerFilter,
): Promise<Summary> {
  const { rows } = await summaryQuery(accountId, f).execute(db)
  const row = rows[0]!
  const projects = row.projects.map((p) => ({ ...p, id: Number(p.id) }))
  const byProject = filterSlugs(f).flatMap((slug, i) => {
    if (!projects.some((p) => p.slug === slug)) return []
    return [{ slug, byStatus: byRank(row.by_project[i] ?? []) }]
  })
  const before = Number(row.before)
  return {
    count: Number(row.count),
    offset: pageCursor(f)?.backwards ? Math.max(0, before - f.limit) : before,
    byStatus: byRank(row.by_best),
    byProject,
    sum: f.sum
      ? {
          ...f.sum,
          all: Number(row.sum_all ?? 0),
          matched: Number(row.sum_matched ?? 0),
          selective: selectsRelations(accountId, f),
        }
      : null,
    projects,
  }
}
