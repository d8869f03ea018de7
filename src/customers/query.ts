// The customers table's data. A page costs two statements: the rows (here, with every project
// relation aggregated per row) and the summary (./summary.ts: count, status breakdowns, sums of a
// param, the page's position, and the account's projects). Neither waits for the other: the
// filter's project slugs are resolved inside the SQL, or, in the rows statement, written as the
// ids the account's last page saw (./project-ids.ts, checked against this page's summary). The
// filter's conditions are ./conditions.ts, the order and its cursors ./page-order.ts; one
// customer's page is ./customer.ts.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { Status } from '../lib/status.js'
import {
  comparesParams,
  keyedTogether,
  liveCustomers,
  matchedMergedEmail,
  ownConditions,
  relationReadingConditions,
  type Cond,
} from './conditions.js'
import { filterSlugs } from './filter.js'
import { sortParam, type CustomerFilter } from './filter-syntax.js'
import { encodeCursor } from './filter-values.js'
import { pageCursor, pastCursor, sortSpec, where } from './page-order.js'
import {
  knownProjectIds,
  rememberProjectIds,
  sameProjects,
  type ProjectIds,
} from './project-ids.js'
import { summarizeCustomers, type SummaryOptions } from './summary.js'

export { summarizeCustomers, summaryQuery, type Summary, type SummaryOptions } from './summary.js'

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
  /** The email, merged into this customer, through which `q=` found it (and not through its own
   *  email or name). */
  matchedEmail?: string
}

export interface CustomerPage {
  rows: CustomerRow[]
  /** The `after=` value of the next page, when there is one. */
  next?: string
  /** The `before=` value of the previous page, when this is not the first. */
  prev?: string
}

type RowsRow = {
  id: number
  email: string
  name: string | null
  created_at: Date | string
  last_activity_at: Date | string
  sort_value: string | null
  relations: RawRelation[]
  matched_email: string | null
}

/** How many customers, in the page's order, the rows statement of a filter that compares inside a
 *  param, or that has two or more conditions on projects and statuses, walks first (see
 *  rowsQuery). */
export const ROWS_WALK = 5_000

/** Up to how many customers a search term (`q=`) may find for its page to be sorted from them
 *  alone (see rowsQuery). */
export const SEARCH_CAP = 2_000

/** The rows statement's first tries (see rowsQuery); tests lower them. */
export interface RowsLimits {
  walk?: number
  searchCap?: number
}

/** The rows statement: one page of the segment in the filter's order, from its cursor on (keyset
 *  over (sort key, id), no OFFSET), every relation of a row aggregated into it. A `before=` page
 *  is read backwards from its cursor (and put back in order by listCustomers). `known`: the
 *  account's projects by slug, when the caller knows them (else looked up by slug).
 *
 *  A filter that compares inside a param (a range, a text match: comparesParams) has a share of
 *  customers the planner can only guess. Measured at 550,000 customers, `p=source:contains:hunt`
 *  (a sixth of them) was planned as a few matches to sort, and read all 1,000,000 relations to
 *  sort 91,666 rows (780 ms on PostgreSQL, 418 ms on PGlite at 100,000). So its page first walks
 *  the next `walk` customers in the page's order that match the rest of the filter (the
 *  conditions on their own rows), probing each one's relations: when that finds the page, it is
 *  the page, since nothing before them was skipped (1.8 and 7.3 ms). Only when it does not (a
 *  rare segment) does the statement go on to the planner's own plan, the walk's probes lost
 *  (5,000 at most: 64 ms on PostgreSQL at 550,000, 85 ms on PGlite at 100,000).
 *
 *  Two or more conditions on projects and statuses (keyedTogether) are planned from each key's
 *  share alone, as if independent. A pair rarer together than that (free on A and paid on B: none
 *  at 544,000 customers in the bench's data) was planned as a walk of the page's order that read
 *  every customer (926 ms on PostgreSQL). So its page is first looked for among the next `walk`
 *  customers in the page's order, whatever they are (12 ms): when that finds the page, it is the
 *  page. Otherwise the segment is rare that far, and is found whole, as a set, then sorted
 *  (the relation keys' index: 10 ms for none of 544,000; 331 ms for a segment of 282,880).
 *
 *  A search term (`q=`) is the other way round: the planner guesses a share of the table for any
 *  `%term%` (1 % at 544,000 customers, where `q=user4242` finds 111), so it walked the page's
 *  order and read 253,000 rows to find 51 (960 ms on PostgreSQL). So its page first collects
 *  what the trigram indexes find, up to `searchCap` customers: when that is all of them, the
 *  page is sorted from them alone. Only a common term (more than `searchCap`: one in 272 or
 *  more at 544,000) goes on to the planner's plan, where walking the order finds a page soon. */
export function rowsQuery(
  accountId: number,
  f: CustomerFilter,
  known?: ProjectIds,
  { walk = ROWS_WALK, searchCap = SEARCH_CAP }: RowsLimits = {},
) {
  const { expr } = sortSpec(f.sort.key)
  const own = ownConditions(accountId, f, known)
  const page = pageCursor(f)
  const cursor = page ? [pastCursor(sql`(${expr}, c.id)`, f, page.cursor, !page.backwards)] : []
  own.push(...cursor)
  const ascending = (f.sort.dir === 'asc') !== (page?.backwards ?? false)
  const dir = sql.raw(ascending ? 'ASC' : 'DESC')
  const rows = (from: Cond, key: Cond, matching: Cond[]) => sql<RowsRow>`
SELECT c.id, c.email, c.name, c.created_at, c.last_activity_at, (${key})::text AS sort_value,
  COALESCE((
    SELECT json_agg(json_build_object('projectId', r.project_id, 'status', r.status,
      'params', r.params, 'firstSeenAt', r.first_seen_at, 'lastActivityAt', r.last_activity_at)
      ORDER BY r.project_id)
    FROM customer_projects r WHERE r.customer_id = c.id), '[]') AS relations,
  ${matchedMergedEmail(accountId, f)} AS matched_email, ${key} AS sort_key
FROM ${from}
WHERE ${where(matching)}
ORDER BY ${key} ${dir}, c.id ${dir}
LIMIT ${f.limit + 1}`
  const all = rows(sql`customers c`, expr, [
    ...own,
    ...relationReadingConditions(accountId, f, known),
  ])
  const probes = relationReadingConditions(accountId, f, known, { perRow: true })
  // Customers where `conds` hold, with their sort key, then `tail`: a subquery `c`.
  const sortable = (conds: Cond[], tail: Cond) =>
    sql`(SELECT c.*, ${expr} AS sort_key FROM customers c WHERE ${where(conds)}${tail}) c`
  const firstInOrder = (n: number) => sql`
  ORDER BY ${expr} ${dir}, c.id ${dir} LIMIT ${n}`
  // `n` customers that match the rest of the filter: the next in the page's order, or any.
  const ownRows = (n: number, ordered?: boolean) =>
    sortable(own, ordered ? firstInOrder(n) : sql` LIMIT ${n}`)
  // The rows of `first` (after CTEs `ctes`) when `found` holds, else those of `otherwise`.
  const either = (ctes: Cond, first: Cond, found: Cond, otherwise: Cond) => sql<RowsRow>`
WITH ${ctes}
SELECT * FROM (
  SELECT * FROM (${first}) f WHERE ${found}
  UNION ALL
  SELECT * FROM (${otherwise}) a WHERE NOT ${found}
) u
ORDER BY u.sort_key ${dir}, u.id ${dir}`
  // The page from `walked` (rows in the page's order) when they hold one, else from `otherwise`.
  const walkFirst = (walked: Cond, otherwise: Cond) =>
    either(
      sql`walked AS MATERIALIZED (${walked})`,
      sql`SELECT * FROM walked`,
      sql`(SELECT count(*) FROM walked) > ${f.limit}`,
      otherwise,
    )
  const planned = comparesParams(f)
    ? walkFirst(rows(ownRows(walk, true), sql`c.sort_key`, probes), all)
    : keyedTogether(f)
      ? walkFirst(
          // The next `walk` of the account's customers in the page's order, whatever they are.
          rows(
            sortable([...liveCustomers(accountId), ...cursor], firstInOrder(walk)),
            sql`c.sort_key`,
            own,
          ),
          // Else every customer of the segment, found as the planner finds a set (the relation
          // keys' index for a rare one), then sorted: the fence (OFFSET 0) keeps it from walking
          // the page's order.
          rows(sortable(own, sql` OFFSET 0`), sql`c.sort_key`, []),
        )
      : all
  if (!f.q) return planned
  // Every customer the search term finds (and the rest of the filter on their own rows), when
  // there are at most `searchCap` of them, in the page's order.
  return either(
    sql`hits AS MATERIALIZED (SELECT * FROM ${ownRows(searchCap + 1)})`,
    rows(sql`hits c`, sql`c.sort_key`, probes),
    sql`(SELECT count(*) FROM hits) <= ${searchCap}`,
    planned,
  )
}

/** One page of the segment (see rowsQuery), with the cursors of the next and previous pages. */
export async function listCustomers(
  db: Db,
  accountId: number,
  f: CustomerFilter,
  known?: ProjectIds,
  limits?: RowsLimits,
): Promise<CustomerPage> {
  const tag = sortParam(f.sort)
  const page = pageCursor(f)
  const { rows } = await rowsQuery(accountId, f, known, limits).execute(db)
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
      ...(r.matched_email ? { matchedEmail: r.matched_email } : {}),
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

/** The customers table's data: rows and summary (two statements, sent together). The rows name
 *  the filter's projects by id, checked against the summary's projects (listCustomersByIds): a
 *  stale id costs a second round trip, never a wrong page.
 *
 *  The summary keeps looking them up by slug: at 550,000 customers on PostgreSQL, with the ids it
 *  was faster for some filters and up to twice as slow for others (in=app-b:paid, the combined
 *  one), its estimates then large enough for parallel workers and JIT compilation. */
export async function customersPage(
  db: Db,
  accountId: number,
  f: CustomerFilter,
  options: SummaryOptions = {},
) {
  const summarized = summarizeCustomers(db, accountId, f, options)
  const [page, summary] = await Promise.all([
    listCustomersByIds(
      db,
      accountId,
      f,
      summarized.then((s) => s.projects),
    ),
    summarized,
  ])
  return { ...page, summary }
}

/** One page of the segment (listCustomers) whose rows statement writes the filter's projects as
 *  the ids the account's last page saw in this process, checked against `projects` (all the
 *  account's projects, read beside it): on any difference the rows are read again by slug. The
 *  projects are remembered for the account's next page. */
export async function listCustomersByIds(
  db: Db,
  accountId: number,
  f: CustomerFilter,
  projects: Promise<{ id: number; slug: string }[]>,
): Promise<CustomerPage> {
  const known = knownProjectIds(accountId)
  const [page, list] = await Promise.all([listCustomers(db, accountId, f, known), projects])
  const current = rememberProjectIds(accountId, list)
  if (known && !sameProjects(filterSlugs(f), known, current)) return listCustomers(db, accountId, f)
  return page
}
