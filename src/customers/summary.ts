// The customers page's summary statement: the segment's count, its status breakdowns, the `sum=`
// param added up, how many come before the page, and the account's projects. The count and the
// breakdowns read the customers' own summary columns (./relation-keys.ts) in one pass over the
// segment; only `sum=` joins the relations. A large segment of a large account is estimated
// instead (./summary-sample.ts).
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { STATUSES, type Status } from '../lib/status.js'
import { filterConditions, matchedRelation, selectsRelations, type Cond } from './conditions.js'
import { breakdownSlugs } from './filter.js'
import type { CustomerFilter } from './filter-syntax.js'
import { pageCursor, where } from './page-order.js'
import type { ProjectInfo } from './query.js'
import { RANK_ORDER } from './relation-keys.js'
import {
  beforePage,
  byBestCounts,
  byProjectCounts,
  moreCustomersThan,
  projectsJson,
  sumValue,
} from './summary-parts.js'
import { samplePlan, sampleCtes, sampledSummary } from './summary-sample.js'

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
    /** The same sums per `currency` param (a string, upper-cased; null: none), by code, null
     *  last, but those that add up to 0: only when that leaves more than one, and only counted
     *  exactly. */
    byCurrency?: { currency: string | null; all: number; matched: number }[]
  } | null
  projects: ProjectInfo[]
}

type SummaryRow = {
  exact: boolean
  count: number
  before: number
  /** Customers per best rank (1 paid … 4 churned). */
  by_best: [number, number, number, number]
  /** Per slug of breakdownSlugs, in order: its customers per rank there. */
  by_project: [number, number, number, number][]
  sum_all: number | null
  sum_matched: number | null
  /** Summary.sum.byCurrency, when counted with `sum=` (null: no amount other than 0). */
  sum_by: NonNullable<Summary['sum']>['byCurrency'] | null
  projects: ProjectInfo[]
  /** Whether the account has more than exactUpTo customers, when the statement asked. */
  big?: boolean
}

/** Segments up to this many customers are counted exactly; a larger one may be estimated from a
 *  sample of the customers table (and the page says "about"). */
export const EXACT_COUNT_UP_TO = 100_000

/** What the last summaries found of accounts' sizes (more than exactUpTo customers or not), for a
 *  while: a small account's filters skip the sampling statement, whose planning alone costs a
 *  few milliseconds, and a large one's skip counting the account again. Only which statement is
 *  sent depends on it, never an answer: the exact one is right for any account, and the sampled
 *  one estimates only a segment its own sample puts past the threshold (./summary-sample.ts). */
const sizes = new Map<string, { big: boolean; until: number }>()
const SIZE_KEPT_MS = 5 * 60_000
const sizeKey = (accountId: number, exactUpTo: number) => `${accountId}:${exactUpTo}`

export interface SummaryOptions {
  /** Count exactly up to this many customers (EXACT_COUNT_UP_TO); tests lower it. */
  exactUpTo?: number
}

/** The summary statement: the segment's count, status breakdowns (best status per customer; the
 *  status per project the filter names), how many come before the page, the `sum=` param over
 *  all the segment's relations and over those that matched, and the account's projects.
 *
 *  Counted exactly in one pass over the segment, unless both of these hold: the account has more
 *  than exactUpTo customers (so a segment can be larger), and a sample of the table puts the
 *  segment past exactUpTo by three standard errors. Then it is estimated from that sample
 *  (./summary-sample.ts): a smaller one when the filter reads the customers' relations (a param,
 *  a time in one project, changed=), where each sampled customer costs a probe. The size is asked in
 *  the same statement: the planner's row count of the customers table, and, when that is over
 *  exactUpTo (other accounts' rows), a count of the account's customers that stops past
 *  exactUpTo; each side runs only when its condition holds (a one-time filter). An account found
 *  small (most of them) gets the exact statement alone for a while (`sizes`). */
export function summaryQuery(
  accountId: number,
  f: CustomerFilter,
  { exactUpTo = EXACT_COUNT_UP_TO }: SummaryOptions = {},
) {
  const conds = where(filterConditions(accountId, f))
  const known = sizes.get(sizeKey(accountId, exactUpTo))
  const fresh = known && known.until > Date.now() ? known : undefined
  if (fresh?.big === false) return sql<SummaryRow>`${exactSummary(accountId, f, conds)}`
  const plan = samplePlan(accountId, f, conds)
  // An account found large a moment ago is not counted again (that count reads 100,001 rows).
  const big = fresh?.big ? sql`true` : moreCustomersThan(accountId, exactUpTo)
  // Past the threshold by the sample: only asked of a large account (the CASE keeps that order).
  const large = sql`CASE WHEN (SELECT big FROM size) THEN (SELECT large FROM gate) ELSE false END`
  return sql<SummaryRow>`
WITH size AS MATERIALIZED (SELECT ${big} AS big), ${sampleCtes(plan, exactUpTo)}
SELECT u.*, ${fresh?.big ? sql`NULL::boolean` : sql`(SELECT big FROM size)`} AS big FROM (
${exactSummary(accountId, f, conds, sql`NOT ${large}`)}
UNION ALL
${sampledSummary(accountId, f, plan, large, exactUpTo)}
) u`
}

/** The summary counted in one pass over the segment (when `only` holds). With `sum=`, the segment
 *  is found once (a MATERIALIZED CTE) for both its counts and its relations' sums: found twice,
 *  measured at 550,000 customers on PostgreSQL 15, the combined question (44,006 customers, found
 *  by probing 71,518 for plan=pro) took 823 ms for the counts and 1,155 ms again for the sums. */
function exactSummary(accountId: number, f: CustomerFilter, conds: Cond, only?: Cond) {
  const value = sumValue(accountId, f)
  const count = (cond: Cond) => sql`count(*) FILTER (WHERE ${cond})`
  const counts = (from: Cond, before: Cond) => sql`
  SELECT count(*)::int AS count, ${count(before)}::int AS before,
    ${byBestCounts(f, count)} AS by_best,
    ${byProjectCounts(accountId, f, count)} AS by_project
  FROM ${from}`
  const summary = (t: Cond, s: Cond) => sql`
SELECT true AS exact, t.count, t.before, t.by_best, t.by_project, s.sum_all::float8 AS sum_all,
  s.sum_matched::float8 AS sum_matched, s.sum_by, ${projectsJson(accountId)} AS projects
FROM (${t}) t, ${s} s${
    only
      ? sql`
WHERE ${only}`
      : sql``
  }`
  if (!value) {
    return summary(
      counts(sql`customers c WHERE ${conds}`, beforePage(f)),
      sql`(SELECT NULL::numeric AS sum_all, NULL::numeric AS sum_matched, NULL::json AS sum_by)`,
    )
  }
  // Every relation of the segment's customers: its sum= value, and whether it is one the filter's
  // conditions on relations matched; added up per `currency` value in the same pass, the few
  // values then per code (upper case: Stripe's `usd` is Paddle's `USD`; a currency of zeros, as
  // free customers' mrr 0, is left out of the list), then in all (numeric: the totals are those
  // of one sum to the last digit). Measured on PostgreSQL 15, the sums of 990,000 relations
  // (sum=mrr of 550,000 customers) took 850 ms of CPU, 1,030 so grouped, and 1,130 with upper()
  // and jsonb_typeof() on each row instead of on each value (best of 12).
  const sums = sql`(SELECT sum(a) AS sum_all, sum(m) AS sum_matched,
      json_agg(json_build_object('currency', k, 'all', a, 'matched', COALESCE(m, 0)) ORDER BY k)
        FILTER (WHERE a <> 0 OR m <> 0) AS sum_by
    FROM (SELECT CASE jsonb_typeof(k) WHEN 'string' THEN upper(k #>> '{}') END AS k,
        sum(a) AS a, sum(m) AS m
      FROM (SELECT r.params -> 'currency' AS k, sum(${value}) AS a,
          sum(${value}) FILTER (WHERE ${matchedRelation(accountId, f)}) AS m
        FROM segment c
        JOIN customer_projects r ON r.customer_id = c.id AND r.account_id = ${accountId}
        GROUP BY 1) g
      GROUP BY 1) g)`
  return sql`
SELECT * FROM (
WITH segment AS MATERIALIZED (
  SELECT c.id, c.best_rank, c.relation_keys, ${beforePage(f)} AS before FROM customers c
  WHERE ${conds}
)${summary(counts(sql`segment c`, sql`c.before`), sums)}
) e`
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
  if (typeof row.big === 'boolean') {
    const key = sizeKey(accountId, options.exactUpTo ?? EXACT_COUNT_UP_TO)
    sizes.set(key, { big: row.big, until: Date.now() + SIZE_KEPT_MS })
  }
  const exact = row.exact
  const round = exact ? (n: number) => n : roughly
  const projects = row.projects.map((p) => ({ ...p, id: Number(p.id) }))
  const byProject = breakdownSlugs(f).flatMap((slug, i) => {
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
          selective: selectsRelations(accountId, f, f.sum.project),
          ...(row.sum_by?.[1] && { byCurrency: row.sum_by }),
        }
      : null,
    projects,
  }
}
