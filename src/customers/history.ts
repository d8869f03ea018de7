// A customer's history of changes, per project: each change of a status or of a param, with the
// old and the new value, who wrote it and when (written by a trigger on customer_projects: see the
// migration 2026-11-29T11). Read by the customer page and the account API.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import type { ProjectInfo } from './query.js'

export interface RelationChange {
  id: number
  project: ProjectInfo
  field: 'status' | 'param'
  /** The param's key; null for the status. */
  key: string | null
  /** null: there was none (a new relation, a new key); for a param, null also when removed. */
  from: unknown
  to: unknown
  source: string
  changedAt: Date
}

export const HISTORY_PAGE = 50

/** The newest changes of the customer's relations (and of the customers merged into it: their
 *  history stays with them), newest first; `before` (a change id) pages on. One statement. */
export async function customerHistory(
  db: Kysely<Database>,
  accountId: number,
  customerId: number,
  options: { limit?: number; before?: number } = {},
): Promise<RelationChange[]> {
  const limit = Math.min(Math.max(options.limit ?? HISTORY_PAGE, 1), 500)
  const before =
    options.before === undefined
      ? sql``
      : sql`AND (h.changed_at, h.id) < (SELECT changed_at, id FROM relation_changes
          WHERE id = ${options.before} AND account_id = ${accountId})`
  const { rows } = await sql<{
    id: number | string
    field: 'status' | 'param'
    key: string | null
    old_value: unknown
    new_value: unknown
    source: string
    changed_at: Date | string
    project: ProjectInfo
  }>`
SELECT h.id, h.field, h.key, h.old_value, h.new_value, h.source, h.changed_at,
  json_build_object('id', p.id, 'name', p.name, 'slug', p.slug, 'color', p.color) AS project
FROM relation_changes h
JOIN projects p ON p.id = h.project_id
WHERE h.account_id = ${accountId}
  AND h.customer_id IN (SELECT id FROM customers WHERE account_id = ${accountId}
    AND (id = ${customerId} OR merged_into = ${customerId}))
  ${before}
ORDER BY h.changed_at DESC, h.id DESC
LIMIT ${limit}`.execute(db)
  return rows.map((r) => ({
    id: Number(r.id),
    project: { ...r.project, id: Number(r.project.id) },
    field: r.field,
    key: r.key,
    from: r.old_value,
    to: r.new_value,
    source: r.source,
    changedAt: new Date(r.changed_at),
  }))
}
