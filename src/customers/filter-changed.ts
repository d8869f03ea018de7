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
 *  "merge" and "undo" entries would make it a customer who became paid (or free again) that week.
 *
 *  The changes are found once, by the index of changes per project, field and time, and each
 *  customer is looked up in what they name (the owner of a tombstone's change is the customer it
 *  was merged into). Probed customer by customer (an EXISTS over each one's history and its
 *  tombstones'), the page took 56 s for `changed=status:paid:7d` and 368 s over 300 days on an
 *  embedded database of 33,000 customers with 673,000 changes, and held every other request up
 *  meanwhile. */
export function changedCond(accountId: number, projectScope: Cond | null, f: ChangedFilter): Cond {
  return sql`c.id IN (SELECT COALESCE(t.merged_into, t.id) FROM relation_changes h
    JOIN customers t ON t.id = h.customer_id
    WHERE h.project_id ${
      projectScope
        ? sql`= ${projectScope}`
        : sql`IN (SELECT id FROM projects WHERE account_id = ${accountId})`
    }
      AND h.field = 'status' AND h.source NOT IN ('merge', 'undo')
      AND h.new_value IN (${sql.join(f.statuses.map((s) => sql`${JSON.stringify(s)}::jsonb`))})
      AND h.changed_at >= ${f.since.toISOString()}::timestamptz)`
}
