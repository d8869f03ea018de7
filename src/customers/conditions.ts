// A filter as SQL: the WHERE conditions of the customers table, its export and its summary, on the
// customers row `c` and its project relations `r`. Every user-given key and value is a bound
// parameter, never SQL text; project slugs are resolved inside the statement, or by the ids the
// caller knows (./project-ids.ts).
import { sql, type RawBuilder } from 'kysely'
import type { Status } from '../lib/status.js'
import type { CustomerFilter, ParamFilter, ParamValue } from './filter-syntax.js'
import { changedCond } from './filter-changed.js'
import type { ProjectIds } from './project-ids.js'
import { bestRankCondition, hasRelationKey } from './relation-keys.js'

export type Cond = RawBuilder<unknown>

/** The id of the account's project with that slug (NULL when there is none): looked up in the
 *  statement, or, given the account's `known` projects, the id itself (a bound value, which the
 *  planner plans with, where it cannot see into a subquery's). */
export function projectId(accountId: number, slug: string, known?: ProjectIds): Cond {
  if (!known)
    return sql`(SELECT id FROM projects WHERE account_id = ${accountId} AND slug = ${slug})`
  const id = known.get(slug)
  return id === undefined ? sql`NULL::bigint` : sql`${id}::bigint`
}

/** A condition on the customer's relation rows `r`, true when one relation matches. `account`
 *  names the customer's account too (see RelationCondition.byContainment). `perRow`: probed for
 *  each customer as it comes (OFFSET 0 keeps the planner from turning it into a join, or a hash
 *  of every matching relation, which must be built before the first row). */
const someRelation = (
  scope: Cond | null,
  cond: Cond | null,
  account: number | null,
  perRow = false,
) =>
  sql`EXISTS (SELECT 1 FROM customer_projects r WHERE r.customer_id = c.id${
    scope ? sql` AND r.project_id = ${scope}` : sql``
  }${account === null ? sql`` : sql` AND r.account_id = ${account}`}${
    cond ? sql` AND ${cond}` : sql``
  }${perRow ? sql` OFFSET 0` : sql``})`

const inStatuses = (statuses: Status[]) =>
  sql`r.status IN (${sql.join(statuses.map((s) => sql`${s}`))})`

const asJson = (v: unknown) => sql`${JSON.stringify(v)}::jsonb`
const likePattern = (s: string) => `%${s.replace(/[\\%_]/g, '\\$&')}%`

/** The condition on one relation `r` for a params filter whose op is positive (not ne/missing). */
function paramCond(f: ParamFilter): Cond {
  const k = sql`${f.key}::text`
  const field = sql`r.params -> ${k}`
  const text = sql`r.params ->> ${k}`
  const isType = (t: string) => sql`jsonb_typeof(${field}) = ${t}`
  // The value of the field to compare, NULL when it is not of the filter's type (so no cast can
  // fail). A number stays jsonb: jsonb compares numbers as numbers, and the type is tested apart,
  // only where the comparison held (compared). Measured over 1,012,000 relations on PostgreSQL 15
  // (one process, 3 runs each), `mrr >= 90` took 586–836 ms so and 1,133–1,144 ms as
  // `(CASE WHEN jsonb_typeof(…) = 'number' THEN (… ->> …)::numeric END) >= 90`.
  const typed = (v: ParamValue): Cond => {
    if (v.type === 'number') return field
    // ISO dates and times compare as text, to the precision the filter gives (a day, a minute);
    // the shape is checked apart (isDate), after the comparison.
    if (v.type === 'date') return sql`(left(${text}, ${v.value.length}) COLLATE "C")`
    return sql`(CASE WHEN ${isType('string')} THEN ${text} END)`
  }
  // A date's comparison, then its shape: a text field only (a number's or an object's text never
  // starts with a date), tested only where the comparison held. A CASE, since the planner orders
  // the parts of an AND by its own cost guess, which put the pattern first: measured over
  // 1,012,000 relations (one process), a week of `trial_ends` took 2,579 ms pattern first and
  // 885 ms comparison first. A number's comparison holds only for a JSON number (jsonb orders
  // strings, booleans, arrays and objects around the numbers).
  const isDate = sql`${text} ~ '^\\d{4}-\\d{2}-\\d{2}'`
  const compared = (v: ParamValue, cmp: Cond): Cond => {
    if (v.type === 'date') return sql`(CASE WHEN ${cmp} THEN ${isDate} ELSE false END)`
    if (v.type === 'number') return sql`(CASE WHEN ${cmp} THEN ${isType('number')} ELSE false END)`
    return cmp
  }
  const lit = (v: ParamValue): Cond => {
    if (v.type === 'number') return asJson(v.value)
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
        return sql`(r.params @> ${asJson({ [f.key]: v.value })} OR ${compared(v, sql`${typed(v)} = ${lit(v)}`)})`
      }
      return sql`(r.params @> ${asJson({ [f.key]: v.value })} OR r.params @> ${asJson({ [f.key]: v.raw })})`
    }
    case 'gt':
      return compared(v, sql`${typed(v)} > ${lit(v)}`)
    case 'gte':
      return compared(v, sql`${typed(v)} >= ${lit(v)}`)
    case 'lt':
      return compared(v, sql`${typed(v)} < ${lit(v)}`)
    case 'lte':
      return compared(v, sql`${typed(v)} <= ${lit(v)}`)
    case 'between':
      return compared(v, sql`${typed(v)} BETWEEN ${lit(v)} AND ${lit(w)}`)
    case 'contains': {
      // Case-insensitive substring of a string, or membership of an array. A quoted value is the
      // text inside its quotes; a number or boolean is also looked for as it is spelled. The type
      // is tested only where the text matched (a CASE: the planner would order an AND its own
      // way), and ILIKE is written as what PostgreSQL runs for it in a multibyte encoding (both
      // sides lower()ed, then LIKE): measured over 1,012,000 relations (PostgreSQL 15, one
      // process, 3 runs each), `source` containing "hunt" took 1,149–1,228 ms so and 1,821–1,988
      // ms as `jsonb_typeof(…) = 'string' AND … ILIKE …`.
      const members = v.type === 'string' ? [v.value] : [v.value, v.raw]
      const spelled = v.type === 'string' ? v.value : v.raw
      const like = sql`lower(${text}) LIKE lower(${likePattern(spelled)})`
      return sql`((CASE WHEN ${like} THEN ${isType('string')} ELSE false END)
        OR ${sql.join(
          members.map((m) => sql`r.params @> ${asJson({ [f.key]: [m] })}`),
          sql` OR `,
        )})`
    }
  }
}

/** A condition one relation `r` satisfies (of one project, when `project` is set), or, negated,
 *  that none does. */
interface RelationCondition {
  project: Cond | null
  /** The project's slug, null for any project. */
  slug: string | null
  where: Cond | null
  negated: boolean
  /** A param's containment (`@>`: eq, ne, contains) in any project. The planner weighs it by the
   *  params index's statistics of every account: on a shared database another account's many
   *  plan=pro relations made it hash them all for p=plan:eq:pro, so the relation names the
   *  account. Not for the other conditions: their estimate is a guess, and naming the account
   *  too made it expect too few rows (row-by-row plans). */
  byContainment?: boolean
}

/** The filter's conditions on a customer's relations: in=, not_in=, status=, not_status=, a time
 *  in one project, a param. */
function relationConditions(
  accountId: number,
  f: CustomerFilter,
  { keyed = true, known }: { keyed?: boolean; known?: ProjectIds | undefined } = {},
): RelationCondition[] {
  const list: RelationCondition[] = []
  const project = (slug: string | null) => (slug ? projectId(accountId, slug, known) : null)
  const statuses = (s: Status[]) => (s.length ? inStatuses(s) : null)
  // keyed: false leaves out the conditions on projects and statuses (the customer's
  // relation_keys answer them).
  if (keyed) {
    for (const m of f.in)
      list.push({
        project: project(m.project),
        slug: m.project,
        where: statuses(m.statuses),
        negated: false,
      })
    for (const m of f.notIn)
      list.push({
        project: project(m.project),
        slug: m.project,
        where: statuses(m.statuses),
        negated: true,
      })
    for (const s of f.status)
      list.push({ project: null, slug: null, where: inStatuses(s), negated: false })
    for (const s of f.notStatus)
      list.push({ project: null, slug: null, where: inStatuses(s), negated: true })
  }
  for (const [t, column, op] of TIMES) {
    const time = f[t]
    if (time?.project) {
      const at = sql`${time.at.toISOString()}::timestamptz`
      list.push({
        project: project(time.project),
        slug: time.project,
        where: sql`r.${sql.ref(column)} ${sql.raw(op)} ${at}`,
        negated: false,
      })
    }
  }
  for (const p of f.params) {
    list.push({
      project: project(p.project),
      slug: p.project,
      where: paramCond(p),
      negated: p.op === 'ne' || p.op === 'missing',
      byContainment: !p.project && ['eq', 'ne', 'contains'].includes(p.op),
    })
  }
  return list
}

/** The time conditions: the filter's field, the relation's column, the comparison; without a
 *  project they compare the customer's own column of the same meaning. */
const TIMES = [
  ['activeSince', 'last_activity_at', '>='],
  ['inactiveSince', 'last_activity_at', '<'],
  ['seenBefore', 'first_seen_at', '<'],
  ['seenAfter', 'first_seen_at', '>='],
] as const
const CUSTOMER_COLUMN = {
  last_activity_at: 'last_activity_at',
  first_seen_at: 'created_at',
} as const

/** The WHERE conditions of a filter, without the page cursor; `c` is the customers row. `known`:
 *  the account's projects by slug, when the caller knows them (else looked up by slug). */
export function filterConditions(accountId: number, f: CustomerFilter, known?: ProjectIds): Cond[] {
  return [...ownConditions(accountId, f, known), ...relationReadingConditions(accountId, f, known)]
}

/** The account's customers that are listed: customers merged into another stay as tombstones
 *  (src/merges/store.ts), never listed. */
export const liveCustomers = (accountId: number): Cond[] => [
  sql`c.account_id = ${accountId}`,
  sql`c.merged_into IS NULL`,
]

/** The filter's conditions that the customer's own row answers, the account's live customers
 *  first (see filterConditions). */
export function ownConditions(accountId: number, f: CustomerFilter, known?: ProjectIds): Cond[] {
  const own = liveCustomers(accountId)
  if (f.q) {
    const pattern = likePattern(f.q)
    // An email merged into a customer finds that customer: support mail from an old address
    // still leads to the person (the merged email's own row is its tombstone). `= ANY (ARRAY(…))`
    // rather than `IN (…)`: an array computed once, so the three can be one BitmapOr of the two
    // trigram indexes and the primary key (an IN subquery is a filter: every row scanned).
    own.push(sql`(c.email ILIKE ${pattern} OR c.name ILIKE ${pattern} OR c.id = ANY (ARRAY(
      SELECT a.merged_into FROM customers a
      WHERE a.account_id = ${accountId} AND a.merged_into IS NOT NULL AND a.email ILIKE ${pattern})))`)
  }
  // Projects and statuses read the customer's own summary (relation_keys, GIN-indexed; see
  // ./relation-keys.ts); a time in one project or a param still looks at the relations.
  const keyed = (slug: string | null, statuses: Status[]) =>
    hasRelationKey(slug ? projectId(accountId, slug, known) : null, statuses)
  for (const m of f.in) own.push(keyed(m.project, m.statuses))
  for (const m of f.notIn) own.push(sql`NOT ${keyed(m.project, m.statuses)}`)
  const best = bestRankCondition(f.status, f.notStatus)
  if (best) own.push(best)
  else {
    for (const s of f.status) own.push(keyed(null, s))
    for (const s of f.notStatus) own.push(sql`NOT ${keyed(null, s)}`)
  }
  if (f.minProjects !== undefined) own.push(sql`c.project_count >= ${f.minProjects}`)
  for (const [t, column, op] of TIMES) {
    const time = f[t]
    if (time && !time.project) {
      const at = sql`${time.at.toISOString()}::timestamptz`
      own.push(sql`c.${sql.ref(CUSTOMER_COLUMN[column])} ${sql.raw(op)} ${at}`)
    }
  }
  return own
}

/** The filter's conditions that read the customer's relations (a param, a time in one project,
 *  changed=; see readsRelations), with `perRow` probed customer by customer (see someRelation). */
export function relationReadingConditions(
  accountId: number,
  f: CustomerFilter,
  known?: ProjectIds,
  { perRow = false } = {},
): Cond[] {
  const conds: Cond[] = []
  for (const rc of relationConditions(accountId, f, { keyed: false, known })) {
    const account = rc.byContainment ? accountId : null
    const exists = someRelation(rc.project, rc.where, account, perRow)
    conds.push(rc.negated ? sql`NOT ${exists}` : exists)
  }
  for (const ch of f.changed ?? []) {
    const cond = changedCond(
      accountId,
      ch.project ? projectId(accountId, ch.project, known) : null,
      ch,
    )
    // A second changed= and after: wrapped in an expression, its IN is not pulled up into a join,
    // so its changes are read once into a hash and each customer looked up in it. As two
    // semi-joins, the second was planned as a loop over its changes for each customer the first
    // found: 4 s for two 7-day conditions on 33,000 customers (10,000 changes a week), over 5
    // minutes for 3,000 days, the embedded server held up throughout.
    conds.push(ch === f.changed![0] ? cond : sql`COALESCE(${cond}, false)`)
  }
  return conds
}

/** For a row `c` that `q=` found only through an email merged into it (support mail from an old
 *  address), that email, so the page can say why the row is there; NULL otherwise (and without
 *  `q=`). Asked of the page's rows alone: a probe of the tombstones merged into each. */
export function matchedMergedEmail(accountId: number, f: CustomerFilter): Cond {
  if (!f.q) return sql`NULL::text`
  const pattern = likePattern(f.q)
  return sql`(SELECT a.email FROM customers a
    WHERE a.merged_into = c.id AND a.account_id = ${accountId} AND a.email ILIKE ${pattern}
      AND NOT (c.email ILIKE ${pattern} OR COALESCE(c.name, '') ILIKE ${pattern})
    ORDER BY a.email LIMIT 1)`
}

/** Whether the filter's WHERE reads relation rows (a param, a time in one project, changed=), not
 *  only the customer's own row: then a customer's membership costs a probe of its relations. */
export function readsRelations(f: CustomerFilter): boolean {
  return f.params.length > 0 || !!f.changed?.length || TIMES.some(([t]) => !!f[t]?.project)
}

/** Whether the filter has two or more conditions on projects and statuses (in=, not_in=,
 *  status=, not_status=: those that do not come down to a best status, see bestRankCondition)
 *  and reads no relation: conditions on the customer's relation keys, whose share the planner
 *  takes as the product of each one's (statistics count each key alone). A pair rarer together than that (free on A and paid on B: none of 544,000 in the bench's data,
 *  where each alone is a sixth or more) is planned as a walk of the page's order that reads every
 *  customer to find none (926 ms on PostgreSQL). */
export function keyedTogether(f: CustomerFilter): boolean {
  // Statuses anywhere that come down to a best status are one B-tree condition, not keys.
  const anywhere = bestRankCondition(f.status, f.notStatus)
    ? 0
    : f.status.length + f.notStatus.length
  return f.in.length + f.notIn.length + anywhere >= 2 && !readsRelations(f)
}

/** Whether the filter compares inside a param (a number or date range, a text match, a date):
 *  a condition the planner can only guess the share of, having no statistics on a param's
 *  values. Its containment (eq for text, numbers, booleans) and existence it estimates from the
 *  params column's own statistics, and a time in one project from the relation's column. */
export function comparesParams(f: CustomerFilter): boolean {
  return f.params.some(
    (p) =>
      ['gt', 'gte', 'lt', 'lte', 'between', 'contains'].includes(p.op) ||
      p.values.some((v) => v.type === 'date'),
  )
}

/** Whether the filter has a condition that some relation must satisfy (a project, a status, a
 *  param, a time in one project): then "the relations that matched" differ from all of them.
 *  With `project`, a condition a relation of that project can satisfy (of that project or of
 *  any): a sum of App A's mrr under `in=app-b:paid` has no matched relations to add up. */
export function selectsRelations(
  accountId: number,
  f: CustomerFilter,
  project: string | null = null,
): boolean {
  return relationConditions(accountId, f).some(
    (c) => !c.negated && (!project || c.slug === null || c.slug === project),
  )
}

/** True for a relation `r` of a matching customer that satisfies one of the filter's conditions
 *  on relations (the App A relation for in=app-a:paid, the one with plan=pro for
 *  p=plan:eq:pro); true for every relation when the filter has none. */
export function matchedRelation(accountId: number, f: CustomerFilter): Cond {
  const positive = relationConditions(accountId, f).filter((c) => !c.negated)
  if (!positive.length) return sql`true`
  const one = (c: RelationCondition) =>
    sql`(${c.project ? sql`r.project_id = ${c.project}` : sql`true`} AND ${c.where ?? sql`true`})`
  return sql`(${sql.join(positive.map(one), sql` OR `)})`
}
