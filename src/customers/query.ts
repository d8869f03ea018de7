// The customers table's data. A page costs two statements here: the rows (with every project
// relation aggregated per row) and the summary (count, status breakdowns, sums of a param, the
// page's position, and the account's projects). Project slugs are resolved inside the SQL, so
// neither waits for the other. The filter's conditions are ./conditions.ts; one customer's page is
// ./customer.ts.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { STATUSES, type Status } from '../lib/status.js'
import {
  filterConditions,
  matchedRelation,
  projectId,
  selectsRelations,
  type Cond,
} from './conditions.js'
import { filterSlugs } from './filter.js'
import { sortParam, type Cursor, type CustomerFilter } from './filter-syntax.js'
import { encodeCursor } from './filter-values.js'

type Db = Kysely<Database>

export interface ProjectInfo {
  id: number
  name: string
  slug: string
  color: string
}

export interface Relation {
  projectId: number
  status: Status
  params: Record<string, unknown>
  firstSeenAt: Date
  lastActivityAt: Date
}

export interface CustomerRow {
  id: number
  email: string
  name: string | null
  createdAt: Date
  lastActivityAt: Date
  relations: Relation[]
}

export interface CustomerPage {
  rows: CustomerRow[]
  /** The `after=` value of the next page, when there is one. */
  next?: string
  /** The `before=` value of the previous page, when this is not the first. */
  prev?: string
}

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

/** The sort expression, the SQL type of its cursor value, and whether it is unique on its own. */
function sortSpec(key: CustomerFilter['sort']['key']) {
  switch (key) {
    case 'last_activity':
      return { expr: sql`c.last_activity_at`, type: sql`timestamptz` }
    case 'first_seen':
      return { expr: sql`c.created_at`, type: sql`timestamptz` }
    case 'email':
      return { expr: sql`c.email`, type: sql`text` }
    case 'name':
      return { expr: sql`COALESCE(c.name, '')`, type: sql`text` }
  }
}

const where = (conds: Cond[]) => sql.join(conds, sql` AND `)

type RowsRow = {
  id: number
  email: string
  name: string | null
  created_at: Date | string
  last_activity_at: Date | string
  sort_value: string | null
  relations: RawRelation[]
}

/** The page's cursor, when it was made for this sort (another sort's cursor: the first page). */
function pageCursor(f: CustomerFilter): { cursor: Cursor; backwards: boolean } | undefined {
  const cursor = f.after ?? f.before
  if (!cursor || cursor.sort !== sortParam(f.sort) || cursor.value === null) return undefined
  return { cursor, backwards: !f.after }
}

/** `row` (a (sort value, id) pair) comes after the cursor in the table's order (or before it). */
function pastCursor(row: Cond, f: CustomerFilter, cursor: Cursor, after: boolean): Cond {
  const { type } = sortSpec(f.sort.key)
  const cmp = sql.raw(after === (f.sort.dir === 'asc') ? '>' : '<')
  return sql`${row} ${cmp} (${String(cursor.value)}::${type}, ${cursor.id}::bigint)`
}

/** The rows statement: one page of the segment in the filter's order, from its cursor on (keyset
 *  over (sort key, id), no OFFSET), every relation of a row aggregated into it. A `before=` page
 *  is read backwards from its cursor (and put back in order by listCustomers). */
export function rowsQuery(accountId: number, f: CustomerFilter) {
  const { expr } = sortSpec(f.sort.key)
  const conds = filterConditions(accountId, f)
  const page = pageCursor(f)
  if (page) conds.push(pastCursor(sql`(${expr}, c.id)`, f, page.cursor, !page.backwards))
  const ascending = (f.sort.dir === 'asc') !== (page?.backwards ?? false)
  const dir = sql.raw(ascending ? 'ASC' : 'DESC')
  return sql<RowsRow>`
SELECT c.id, c.email, c.name, c.created_at, c.last_activity_at, (${expr})::text AS sort_value,
  COALESCE((
    SELECT json_agg(json_build_object('projectId', r.project_id, 'status', r.status,
      'params', r.params, 'firstSeenAt', r.first_seen_at, 'lastActivityAt', r.last_activity_at)
      ORDER BY r.project_id)
    FROM customer_projects r WHERE r.customer_id = c.id), '[]') AS relations
FROM customers c
WHERE ${where(conds)}
ORDER BY ${expr} ${dir}, c.id ${dir}
LIMIT ${f.limit + 1}`
}

/** One page of the segment (see rowsQuery), with the cursors of the next and previous pages. */
export async function listCustomers(
  db: Db,
  accountId: number,
  f: CustomerFilter,
): Promise<CustomerPage> {
  const tag = sortParam(f.sort)
  const page = pageCursor(f)
  const { rows } = await rowsQuery(accountId, f).execute(db)
  const more = rows.length > f.limit
  const read = page?.backwards ? rows.slice(0, f.limit).reverse() : rows.slice(0, f.limit)
  const cursor = (r: RowsRow | undefined) =>
    r && encodeCursor({ sort: tag, value: r.sort_value, id: r.id })
  const first = cursor(read[0])
  const last = cursor(read[read.length - 1])
  return {
    rows: read.map((r) => ({
      id: r.id,
      email: r.email,
      name: r.name,
      createdAt: new Date(r.created_at),
      lastActivityAt: new Date(r.last_activity_at),
      relations: parseRelations(r.relations),
    })),
    // Read forwards, a next page exists when the statement found one row more; read backwards
    // (from a later page), there is always one: where we came from.
    next: page?.backwards || more ? last : undefined,
    prev: page && (!page.backwards || more) ? first : undefined,
  }
}

export interface RawRelation {
  projectId: number
  status: Status
  params: Record<string, unknown>
  firstSeenAt: string
  lastActivityAt: string
}

/** The relations a statement aggregated as JSON (`json_agg`), with their dates as Dates. */
export function parseRelations(raw: RawRelation[]): Relation[] {
  return raw.map((r) => ({
    projectId: Number(r.projectId),
    status: r.status,
    params: r.params ?? {},
    firstSeenAt: new Date(r.firstSeenAt),
    lastActivityAt: new Date(r.lastActivityAt),
  }))
}

const PROJECTS_JSON = (accountId: number) => sql`COALESCE((
  SELECT json_agg(json_build_object('id', p.id, 'name', p.name, 'slug', p.slug, 'color', p.color)
    ORDER BY p.created_at, p.id)
  FROM projects p WHERE p.account_id = ${accountId}), '[]')`

/** The statuses best first: a customer's best status is the lowest position among its relations. */
const RANKED = sql`ARRAY['paid', 'trial', 'free', 'churned']`
const RANK_ORDER: Status[] = ['paid', 'trial', 'free', 'churned']

type SummaryRow = {
  count: number
  before: number
  by_best: Record<string, number>
  by_project: [number, Status, number][]
  sum_all: number | null
  sum_matched: number | null
  projects: ProjectInfo[]
}

/** The summary statement: the segment's count, status breakdowns (best status per customer; the
 *  status per project), the `sum=` param over all the segment's relations and over those that
 *  matched, how many come before the page, and the account's projects. */
export function summaryQuery(accountId: number, f: CustomerFilter) {
  const { expr } = sortSpec(f.sort.key)
  const page = pageCursor(f)
  // After a cursor, the page starts past every row up to it; before one, `limit` rows earlier.
  const beforePage = page
    ? page.backwards
      ? pastCursor(sql`(s.sort_value, s.id)`, f, page.cursor, false)
      : sql`NOT ${pastCursor(sql`(s.sort_value, s.id)`, f, page.cursor, true)}`
    : sql`false`
  const inSumProject = f.sum?.project
    ? sql`r.project_id = ${projectId(accountId, f.sum.project)} AND `
    : sql``
  const value = f.sum
    ? sql`CASE WHEN ${inSumProject}jsonb_typeof(r.params -> ${f.sum.key}::text) = 'number'
        THEN (r.params ->> ${f.sum.key}::text)::numeric END`
    : sql`NULL::numeric`
  return sql<SummaryRow>`
WITH segment AS (
  SELECT c.id, ${expr} AS sort_value
  FROM customers c
  WHERE ${where(filterConditions(accountId, f))}
), relations AS (
  -- Every relation of the segment's customers: its sum= value, and whether it is one the
  -- filter's conditions on relations matched.
  SELECT r.customer_id, r.project_id, r.status, ${value} AS value,
    ${matchedRelation(accountId, f)} AS matched
  FROM segment s
  JOIN customer_projects r ON r.customer_id = s.id AND r.account_id = ${accountId}
), best AS (
  SELECT min(array_position(${RANKED}, r.status)) AS rank
  FROM relations r GROUP BY r.customer_id
)
SELECT
  (SELECT count(*) FROM segment)::int AS count,
  (SELECT count(*) FROM segment s WHERE ${beforePage})::int AS before,
  (SELECT COALESCE(json_object_agg(b.rank, b.n), '{}')
    FROM (SELECT rank, count(*) AS n FROM best GROUP BY rank) b) AS by_best,
  (SELECT COALESCE(json_agg(json_build_array(x.project_id, x.status, x.n)), '[]')
    FROM (SELECT project_id, status, count(*) AS n FROM relations GROUP BY project_id, status) x)
    AS by_project,
  (SELECT sum(value) FROM relations)::float8 AS sum_all,
  (SELECT sum(value) FILTER (WHERE matched) FROM relations)::float8 AS sum_matched,
  ${PROJECTS_JSON(accountId)} AS projects`
}

const noStatuses = () => Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>

/** The segment's summary (see summaryQuery): one statement. */
export async function summarizeCustomers(
  db: Db,
  accountId: number,
  f: CustomerFilter,
): Promise<Summary> {
  const { rows } = await summaryQuery(accountId, f).execute(db)
  const row = rows[0]!
  const projects = row.projects.map((p) => ({ ...p, id: Number(p.id) }))
  const byStatus = noStatuses()
  for (const [rank, n] of Object.entries(row.by_best)) {
    const status = RANK_ORDER[Number(rank) - 1]
    if (status) byStatus[status] = Number(n)
  }
  const byProject = filterSlugs(f).flatMap((slug) => {
    const project = projects.find((p) => p.slug === slug)
    if (!project) return []
    const counts = noStatuses()
    for (const [id, status, n] of row.by_project) {
      if (Number(id) === project.id) counts[status] = Number(n)
    }
    return [{ slug, byStatus: counts }]
  })
  const before = Number(row.before)
  return {
    count: Number(row.count),
    offset: pageCursor(f)?.backwards ? Math.max(0, before - f.limit) : before,
    byStatus,
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

/** The customers table's data: rows and summary (two statements, sent together). */
export async function customersPage(db: Db, accountId: number, f: CustomerFilter) {
  const [page, summary] = await Promise.all([
    listCustomers(db, accountId, f),
    summarizeCustomers(db, accountId, f),
  ])
  return { ...page, summary }
}
