// A filter as SQL: the WHERE conditions of the customers table, its export and its summary, on the
// customers row `c` and its project relations `r`. Every user-given key and value is a bound
// parameter, never SQL text; project slugs are resolved inside the statement.
import { sql, type RawBuilder } from 'kysely'
import type { Status } from '../lib/status.js'
import type { CustomerFilter, ParamFilter, ParamValue, ProjectMatch } from './filter-syntax.js'
import { changedCond } from './filter-changed.js'

export type Cond = RawBuilder<unknown>

/** The id of the account's project with that slug (NULL when there is none). */
export const projectId = (accountId: number, slug: string) =>
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
  // Customers merged into another stay as tombstones (src/merges/store.ts): never listed.
  const conds: Cond[] = [sql`c.account_id = ${accountId}`, sql`c.merged_into IS NULL`]
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
  for (const ch of f.changed ?? []) {
    conds.push(changedCond(ch.project ? projectId(accountId, ch.project) : null, ch))
  }
  return conds
}
