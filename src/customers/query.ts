// The SQL of the customers table and customer page. A page costs two statements here: the rows
// (with every project relation aggregated per row) and the summary (count, status breakdown, sum of
// a param, and the account's projects). Project slugs are resolved inside the SQL, so neither waits
// for the other. Every user-given key and value is a bound parameter, never SQL text.
import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { Database } from '../db/schema.js'
import { STATUSES, type Status } from '../lib/status.js'
import {
  encodeCursor,
  sortParam,
  type CustomerFilter,
  type ParamFilter,
  type ParamValue,
  type ProjectMatch,
} from './filter.js'

type Db = Kysely<Database>
type Cond = RawBuilder<unknown>

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

const projectId = (accountId: number, slug: string) =>
  sql`(SELECT id FROM projects WHERE account_id = ${accountId} AND slug = ${slug})`

/** A condition on the customer's relation rows `r`, true when one relation matches. */
const someRelation = (scope: Cond | null, cond: Cond | null) =>
  sql`EXISTS (SELECT 1 FROM customer_projects r WHERE r.customer_id = c.id${
    scope ? sql` AND r.project_id = ${scope}` : sql``
  }${cond ? sql` AND ${cond}` : sql``})`

const inStatuses = (statuses: Status[]) =>
  sql`r.status IN (${sql.join(statuses.map((s) => sql`${s}`))})`

function projectMatch(accountId: number, m: ProjectMatch): Cond {
  return someRelation(
    projectId(accountId, m.project),
    m.statuses.length ? inStatuses(m.statuses) : null,
  )
}

const asJson = (v: unknown) => sql`${JSON.stringify(v)}::jsonb`
const likePattern = (s: string) => `%${s.replace(/[\\%_]/g, '\\$&')}%`

/** The condition on one relation `r` for a params filter whose op is positive (not ne/missing). */
function paramCond(f: ParamFilter): Cond {
  const k = sql`${f.key}::text`
  const field = sql`r.params -> ${k}`
  const text = sql`r.params ->> ${k}`
  const isType = (t: string) => sql`jsonb_typeof(${field}) = ${t}`
  // The typed value of the field, or NULL when it is not of that type (so no cast can fail).
  const typed = (v: ParamValue): Cond => {
    if (v.type === 'number') return sql`(CASE WHEN ${isType('number')} THEN (${text})::numeric END)`
    if (v.type === 'date') {
      // ISO dates and times compare as text, to the precision the filter gives (a day, a minute).
      return sql`(CASE WHEN ${isType('string')} AND ${text} ~ '^\\d{4}-\\d{2}-\\d{2}'
        THEN left(${text}, ${v.value.length}) END COLLATE "C")`
    }
    return sql`(CASE WHEN ${isType('string')} THEN ${text} END)`
  }
  const lit = (v: ParamValue): Cond => {
    if (v.type === 'number') return sql`${v.value}::numeric`
    if (v.type === 'date') return sql`(${v.value}::text COLLATE "C")`
    return sql`${String(v.value)}::text`
  }
  const [v, w] = f.values as [ParamValue, ParamValue]
  switch (f.op) {
    case 'exists':
    case 'missing':
      return sql`r.params ? ${k}`
    case 'eq':
    case 'ne': {
      // Containment (@>) is what the GIN index (jsonb_path_ops) answers; a number or boolean also
      // matches its spelling as a string ("10", "true"), as products send both.
      if (v.type === 'string') return sql`r.params @> ${asJson({ [f.key]: v.value })}`
      if (v.type === 'date') {
        return sql`(r.params @> ${asJson({ [f.key]: v.value })} OR ${typed(v)} = ${lit(v)})`
      }
      return sql`(r.params @> ${asJson({ [f.key]: v.value })} OR r.params @> ${asJson({ [f.key]: v.raw })})`
    }
    case 'gt':
      return sql`${typed(v)} > ${lit(v)}`
    case 'gte':
      return sql`${typed(v)} >= ${lit(v)}`
    case 'lt':
      return sql`${typed(v)} < ${lit(v)}`
    case 'lte':
      return sql`${typed(v)} <= ${lit(v)}`
    case 'between':
      return sql`${typed(v)} BETWEEN ${lit(v)} AND ${lit(w)}`
    case 'contains': {
      // Case-insensitive substring of a string, or membership of an array.
      const members = v.type === 'string' ? [v.value] : [v.value, v.raw]
      return sql`((${isType('string')} AND ${text} ILIKE ${likePattern(v.raw)})
        OR ${sql.join(
          members.map((m) => sql`r.params @> ${asJson({ [f.key]: [m] })}`),
          sql` OR `,
        )})`
    }
  }
}

/** The WHERE conditions of a filter, without the page cursor; `c` is the customers row. */
export function filterConditions(accountId: number, f: CustomerFilter): Cond[] {
  const conds: Cond[] = [sql`c.account_id = ${accountId}`]
  if (f.q) {
    const pattern = likePattern(f.q)
    conds.push(sql`(c.email ILIKE ${pattern} OR c.name ILIKE ${pattern})`)
  }
  for (const m of f.in) conds.push(projectMatch(accountId, m))
  for (const m of f.notIn) conds.push(sql`NOT ${projectMatch(accountId, m)}`)
  if (f.status.length) conds.push(someRelation(null, inStatuses(f.status)))
  if (f.notStatus.length) conds.push(sql`NOT ${someRelation(null, inStatuses(f.notStatus))}`)
  if (f.minProjects !== undefined) {
    conds.push(
      sql`(SELECT count(*) FROM customer_projects r WHERE r.customer_id = c.id) >= ${f.minProjects}`,
    )
  }
  const time = (
    t: CustomerFilter['activeSince'],
    customerCol: Cond,
    relationCol: Cond,
    op: '>=' | '<',
  ) => {
    if (!t) return
    const at = sql`${t.at.toISOString()}::timestamptz`
    conds.push(
      t.project
        ? someRelation(projectId(accountId, t.project), sql`${relationCol} ${sql.raw(op)} ${at}`)
        : sql`${customerCol} ${sql.raw(op)} ${at}`,
    )
  }
  time(f.activeSince, sql`c.last_activity_at`, sql`r.last_activity_at`, '>=')
  time(f.inactiveSince, sql`c.last_activity_at`, sql`r.last_activity_at`, '<')
  time(f.seenBefore, sql`c.created_at`, sql`r.first_seen_at`, '<')
  time(f.seenAfter, sql`c.created_at`, sql`r.first_seen_at`, '>=')
  for (const p of f.params) {
    const scope = p.project ? projectId(accountId, p.project) : null
    const negated = p.op === 'ne' || p.op === 'missing'
    const cond = someRelation(scope, paramCond(p))
    conds.push(negated ? sql`NOT ${cond}` : cond)
  }
  return conds
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

interface RawRelation {
  projectId: number
  status: Status
  params: Record<string, unknown>
  firstSeenAt: string
  lastActivityAt: string
}

function parseRelations(raw: RawRelation[]): Relation[] {
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

export interface CustomerDetail {
  id: number
  email: string
  name: string | null
  createdAt: Date
  lastActivityAt: Date
  relations: (Relation & { project: ProjectInfo })[]
}

/** One customer of the account with every project relation (one statement); undefined when the id
 *  is not a customer of this account. */
export async function getCustomer(
  db: Db,
  accountId: number,
  customerId: number,
  onlyProjectId?: number,
): Promise<CustomerDetail | undefined> {
  const only = onlyProjectId === undefined ? sql`` : sql` AND r.project_id = ${onlyProjectId}`
  const { rows } = await sql<{
    id: number
    email: string
    name: string | null
    created_at: Date | string
    last_activity_at: Date | string
    relations: (RawRelation & { project: ProjectInfo })[]
  }>`
SELECT c.id, c.email, c.name, c.created_at, c.last_activity_at,
  COALESCE((
    SELECT json_agg(json_build_object('projectId', r.project_id, 'status', r.status,
      'params', r.params, 'firstSeenAt', r.first_seen_at, 'lastActivityAt', r.last_activity_at,
      'project', json_build_object('id', p.id, 'name', p.name, 'slug', p.slug, 'color', p.color))
      ORDER BY p.created_at, p.id)
    FROM customer_projects r JOIN projects p ON p.id = r.project_id
    WHERE r.customer_id = c.id${only}), '[]') AS relations
FROM customers c
WHERE c.account_id = ${accountId} AND c.id = ${customerId}`.execute(db)
  const row = rows[0]
  if (!row) return undefined
  const raw = row.relations
  const relations = parseRelations(raw).map((r, i) => ({
    ...r,
    project: { ...raw[i]!.project, id: Number(raw[i]!.project.id) },
  }))
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    createdAt: new Date(row.created_at),
    lastActivityAt: new Date(row.last_activity_at),
    relations,
  }
}

/** Sets a customer's name (empty clears it); false when the id is not this account's customer. */
export async function renameCustomer(
  db: Db,
  accountId: number,
  customerId: number,
  name: string | null,
) {
  const row = await db
    .updateTable('customers')
    .set({ name: name?.trim() || null, updated_at: new Date() })
    .where('account_id', '=', accountId)
    .where('id', '=', customerId)
    .returning('id')
    .executeTakeFirst()
  return row !== undefined
}
