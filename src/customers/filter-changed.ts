// `changed=`: customers whose status became one of some statuses since a time, read from the
// history of changes (src/customers/history.ts): `changed=status:paid@app-a:7d` is "became paid
// in app-a in the last 7 days", `changed=status:churned:2026-11-23` "churned in any project since
// 23 Nov". Kept apart from the rest of the filter language: the one parser (./filter.ts) reads it
// with parseChanged, and filterConditions adds changedCond.
import { sql } from 'kysely'
import type { z } from 'zod'
import type { Status } from '../lib/status.js'
import type { Cond } from './conditions.js'
import { parseMoment, parseStatuses, SLUG } from './filter-values.js'

export interface ChangedFilter {
  /** The status became one of these. */
  statuses: Status[]
  /** A project slug, or null for any project. */
  project: string | null
  /** At or after this time (the time the write carried). */
  since: Date
}

const SHAPE = /^status:([^@:]+)(?:@([^:]*))?:(.+)$/

/** `status:<statuses>[@<project>]:<when>`; `when` as seen_after takes it (`7d`, `2026-11-23`). */
export function parseChanged(raw: string, ctx: z.RefinementCtx, now: Date): ChangedFilter {
  const m = SHAPE.exec(raw.trim())
  const project = m?.[2]?.trim().toLowerCase()
  if (!m || (project !== undefined && !SLUG.test(project))) {
    ctx.addIssue({
      code: 'custom',
      message: `'${raw}' is not a change (like status:paid@app-a:7d, or status:churned:2026-11-23)`,
    })
    return { statuses: [], project: null, since: now }
  }
  return {
    statuses: parseStatuses(m[1]!, ctx),
    project: project ?? null,
    since: parseMoment(m[3]!, ctx, now).at,
  }
}

/** The customer `c` (or a customer merged into it: its history stays with it) has a change of a
 *  status to one of `statuses` at or after `since`. */
export function changedCond(projectScope: Cond | null, f: ChangedFilter): Cond {
  return sql`EXISTS (SELECT 1 FROM relation_changes h
    WHERE h.customer_id IN (SELECT c.id UNION ALL SELECT t.id FROM customers t
        WHERE t.merged_into = c.id)
      AND h.field = 'status'
      AND h.new_value IN (${sql.join(f.statuses.map((s) => sql`${JSON.stringify(s)}::jsonb`))})
      AND h.changed_at >= ${f.since.toISOString()}::timestamptz
      ${projectScope ? sql`AND h.project_id = ${projectScope}` : sql``})`
}
