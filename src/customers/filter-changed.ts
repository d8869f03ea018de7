// `changed=`: customers whose status became one of some statuses since a time, read from the
// history of changes (src/customers/history.ts): `changed=status:paid@app-a:7d` is "became paid
// in app-a in the last 7 days", `changed=status:churned:2026-11-23` "churned in any project since
// 23 Nov". Kept apart from the rest of the filter language: the one parser (./filter.ts) reads it
// with readChanged, and filterConditions adds changedCond.
import { sql } from 'kysely'
import type { Status } from '../lib/status.js'
import type { Cond } from './conditions.js'
export { readChanged, type ChangedSpec } from './filter-values.js'

export interface ChangedFilter {
  /** The status became one of these. */
  statuses: Status[]
  /** A project slug, or null for any project. */
  project: string | null
  /** At or after this time (the time the write carried). */
  since: Date
}

/** The customer `c` (or a customer merged into it: its history stays with it) has a change of a
 *  status to one of `statuses` at or after `since`. What a merge or its undo wrote is not a change
 *  of the customer's: a merge's status on the survivor is the absorbed customer's own change,
 *  counted through its history while it stays merged, and once the merge is undone the survivor's
 *  "merge" and "undo" entries would make it a customer who became paid (or free again) that week. */
export function changedCond(projectScope: Cond | null, f: ChangedFilter): Cond {
  return sql`EXISTS (SELECT 1 FROM relation_changes h
    WHERE h.customer_id IN (SELECT c.id UNION ALL SELECT t.id FROM customers t
        WHERE t.merged_into = c.id)
      AND h.field = 'status' AND h.source NOT IN ('merge', 'undo')
      AND h.new_value IN (${sql.join(f.statuses.map((s) => sql`${JSON.stringify(s)}::jsonb`))})
      AND h.changed_at >= ${f.since.toISOString()}::timestamptz
      ${projectScope ? sql`AND h.project_id = ${projectScope}` : sql``})`
}
