// The customer's relations packed into its own row (customers.relation_keys, kept by triggers on
// customer_projects: migration 2026-11-30T00): the filters on projects and statuses and the
// page's status breakdowns read one row per customer instead of joining its relations.
// Per relation: project_id * 8 (uses the project), project_id * 8 + rank (has that status there),
// -rank (has that status somewhere); best_rank is the customer's lowest rank.
import { sql, type RawBuilder } from 'kysely'
import type { Status } from '../lib/status.js'

/** The statuses best first: a status's rank is its position here, from 1. */
export const RANK_ORDER: Status[] = ['paid', 'trial', 'free', 'churned']
const rank = (s: Status) => RANK_ORDER.indexOf(s) + 1

/**
 * True when the customer `c` has a relation (to the project `project`, an id expression, when it
 * is set) with one of `statuses` (any status when there are none): the GIN index's `@>` or `&&`.
 */
export function hasRelationKey(
  project: RawBuilder<unknown> | null,
  statuses: Status[],
): RawBuilder<unknown> {
  if (project === null) {
    if (!statuses.length) return sql`c.project_count > 0`
    const keys = statuses.map((s) => sql`${-rank(s)}::bigint`)
    return sql`c.relation_keys && ARRAY[${sql.join(keys)}]`
  }
  if (!statuses.length) return sql`c.relation_keys @> ARRAY[(${project}) * 8]::bigint[]`
  const keys = statuses.map((s) => sql`(${project}) * 8 + ${rank(s)}`)
  return sql`c.relation_keys && ARRAY[${sql.join(keys)}]::bigint[]`
}

/**
 * The filter's statuses anywhere (`status=`: some relation has one of them; `not_status=`: none
 * has) as a condition on the customer's best rank, when they come down to it: when for each best
 * rank (or none, a customer without relations) they hold for every customer with it or for none.
 * "Free somewhere, paid and trial nowhere" is a best rank of free; "paid somewhere" one of paid.
 * Null when they do not (trial somewhere: the best may be paid). The best rank is one B-tree key
 * (migration 2026-11-30T09), where the relation keys' GIN index finds every customer with the
 * status somewhere and the row then tests the rest.
 */
export function bestRankCondition(
  having: Status[][],
  lacking: Status[][],
): RawBuilder<unknown> | null {
  if (!having.length && !lacking.length) return null
  const ranks = RANK_ORDER.map(rank)
  const some = (statuses: Status[], held: number[]) =>
    statuses.length ? statuses.some((s) => held.includes(rank(s))) : held.length > 0
  const holds = (held: number[]) =>
    having.every((g) => some(g, held)) && lacking.every((g) => !some(g, held))
  // Every set of statuses a customer can hold over its projects, by its best rank (0: none).
  const verdict = new Map<number, boolean>()
  for (let mask = 0; mask < 1 << ranks.length; mask++) {
    const held = ranks.filter((r) => mask & (1 << (r - 1)))
    const best = held.length ? Math.min(...held) : 0
    if (verdict.get(best) === !holds(held)) return null
    verdict.set(best, holds(held))
  }
  const best = ranks.filter((r) => verdict.get(r))
  const parts = [
    ...(best.length ? [sql`c.best_rank IN (${sql.join(best.map((r) => sql.lit(r)))})`] : []),
    ...(verdict.get(0) ? [sql`c.best_rank IS NULL`] : []),
  ]
  return parts.length ? sql`(${sql.join(parts, sql` OR `)})` : sql`false`
}

/**
 * The summary columns (relation_keys, project_count, best_rank) of a new customer whose one
 * relation is to `project` (an id expression) with `status` (a text expression): what the
 * summary trigger would compute. The ingest statement inserts them with the row, and the
 * trigger's refresh then leaves it (it writes only columns that differ: migration
 * 2026-11-30T00), so a new customer is written once, not inserted and rewritten.
 */
export function newCustomerSummary(project: RawBuilder<unknown>, status: RawBuilder<unknown>) {
  const ranked = sql`array_position(ARRAY[${sql.join(RANK_ORDER.map((s) => sql`${s}::text`))}],
    ${status})::bigint`
  return {
    keys: sql`ARRAY[-${ranked}, (${project}) * 8, (${project}) * 8 + ${ranked}]::bigint[]`,
    count: sql`1::smallint`,
    best: sql`${ranked}::smallint`,
  }
}
