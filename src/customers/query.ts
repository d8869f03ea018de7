// The customers table's data. A page costs two statements here: the rows (with every project
// relation aggregated per row) and the summary (count, status breakdown, sum of a param, and the
// account's projects). Project slugs are resolved inside the SQL, so neither waits for the other.
// The filter's conditions are ./conditions.ts; one customer's page is ./customer.ts.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { STATUSES, type Status } from '../lib/status.js'
import { filterConditions, projectId, type Cond } from './conditions.js'
import { sortParam, type CustomerFilter } from './filter-syntax.js'
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
}

export interface Summary {
  count: number
  /** Customers by status: their best status over their projects (paid > trial > free > churned),
   *  or their status in the one project the filter is about (a single `in=`). */
  byStatus: Record<Status, number>
  /** The project the breakdown is about, when there is one. */
  breakdownProject: string | null
  /** Sum of the `sum=` param over the segment (numbers only), null without `sum=`. */
  sum: number | null
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

/** The rows statement: one page of the segment in the filter's order, from its cursor on (keyset
 *  over (sort key, id), no OFFSET), every relation of a row aggregated into it. */
export function rowsQuery(accountId: number, f: CustomerFilter) {
  const { expr, type } = sortSpec(f.sort.key)
  const conds = filterConditions(accountId, f)
  const dir = sql.raw(f.sort.dir === 'desc' ? 'DESC' : 'ASC')
  if (f.after && f.after.sort === sortParam(f.sort) && f.after.value !== null) {
    const cmp = sql.raw(f.sort.dir === 'desc' ? '<' : '>')
    conds.push(
      sql`(${expr}, c.id) ${cmp} (${String(f.after.value)}::${type}, ${f.after.id}::bigint)`,
    )
  }
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

/** One page of the segment (see rowsQuery), with the cursor of the next page. */
export async function listCustomers(
  db: Db,
  accountId: number,
  f: CustomerFilter,
): Promise<CustomerPage> {
  const tag = sortParam(f.sort)
  const { rows } = await rowsQuery(accountId, f).execute(db)
  const page = rows.slice(0, f.limit).map((r) => ({
    id: r.id,
    email: r.email,
    name: r.name,
    createdAt: new Date(r.created_at),
    lastActivityAt: new Date(r.last_activity_at),
    relations: parseRelations(r.relations),
  }))
  const last = rows[f.limit - 1]
  const next =
    rows.length > f.limit && last
      ? encodeCursor({ sort: tag, value: last.sort_value, id: last.id })
      : undefined
  return { rows: page, next }
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

type SummaryRow = {
  count: number
  paid: number
  trial: number
  free: number
  churned: number
  total: number | null
  projects: ProjectInfo[]
}

/** The summary statement: the segment's count, status breakdown and param sum, plus the
 *  account's projects. */
export function summaryQuery(accountId: number, f: CustomerFilter) {
  const breakdownProject = f.in.length === 1 ? f.in[0]!.project : null
  const inScope = (slug: string | null | undefined) =>
    slug ? sql`r.project_id = ${projectId(accountId, slug)} AND ` : sql``
  const total = f.sum
    ? sql`sum(CASE WHEN ${inScope(f.sum.project)}jsonb_typeof(r.params -> ${f.sum.key}::text) = 'number'
        THEN (r.params ->> ${f.sum.key}::text)::numeric END)`
    : sql`NULL::numeric`
  // One pass: the segment joined to its relations (a hash join, not a lookup per customer), the
  // best status ranked 1 paid … 4 churned.
  return sql<SummaryRow>`
SELECT count(*)::int AS count,
  count(*) FILTER (WHERE s.best = 1)::int AS paid,
  count(*) FILTER (WHERE s.best = 2)::int AS trial,
  count(*) FILTER (WHERE s.best = 3)::int AS free,
  count(*) FILTER (WHERE s.best = 4)::int AS churned,
  sum(s.total)::float8 AS total,
  ${PROJECTS_JSON(accountId)} AS projects
FROM (
  SELECT c.id,
    min(CASE WHEN ${inScope(breakdownProject)}true THEN
      CASE r.status WHEN 'paid' THEN 1 WHEN 'trial' THEN 2 WHEN 'free' THEN 3 WHEN 'churned' THEN 4 END
    END) AS best,
    ${total} AS total
  FROM customers c
  LEFT JOIN customer_projects r ON r.customer_id = c.id AND r.account_id = ${accountId}
  WHERE ${where(filterConditions(accountId, f))}
  GROUP BY c.id
) s`
}

/** The segment's summary (see summaryQuery): one statement. */
export async function summarizeCustomers(
  db: Db,
  accountId: number,
  f: CustomerFilter,
): Promise<Summary> {
  const breakdownProject = f.in.length === 1 ? f.in[0]!.project : null
  const { rows } = await summaryQuery(accountId, f).execute(db)
  const row = rows[0]!
  const byStatus = Object.fromEntries(STATUSES.map((s) => [s, Number(row[s])])) as Record<
    Status,
    number
  >
  return {
    count: Number(row.count),
    byStatus,
    breakdownProject,
    sum: f.sum ? Number(row.total ?? 0) : null,
    projects: row.projects.map((p) => ({ ...p, id: Number(p.id) })),
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
