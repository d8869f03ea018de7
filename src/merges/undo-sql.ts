// The statements of an undo, run in one transaction by undoMerge (./store.ts).
import { sql, type Kysely } from 'kysely'
import { familyBillingStatement } from '../billing/family-state.js'
import { familyIds, heldFirst, lockOrder, recordHeld } from '../db/lock-order.js'
import type { Database } from '../db/schema.js'
import { survivorState } from './survivor-state.js'

/** The merge's two customers and those merged into them, as `f` (a FROM … WHERE). */
const mergeFamily = (acct: number, mergeId: number) => sql`merges um
JOIN customers f ON f.account_id = um.account_id
  AND f.id = ANY(${familyIds(sql`um.survivor_id, um.absorbed_id`)})
WHERE um.id = ${mergeId} AND um.account_id = ${acct}`

/** Locks the merge's customers and those merged into them, in the order every writer locks them
 *  (../db/lock-order.ts), and the merge's row. */
export function undoLockStatement(db: Kysely<Database>, acct: number, mergeId: number) {
  return recordHeld(
    sql`SELECT f.id FROM ${mergeFamily(acct, mergeId)} ${lockOrder('UPDATE', 'f', 'um')}`,
  ).compile(db)
}

// A type alias (not an interface): the driver's row, a record, is cast to it.
export type UndoOutcome = {
  found: boolean
  /** Why the undo was refused (a key of UNDO_REFUSED in ./store.ts), or null. */
  refused: string | null
  survivor_id: number | null
  absorbed_id: number | null
}

/** Checks that nothing changed the survivor since the merge and no later merge involves it, and
 *  if so restores both customers, their relations and aliases from the merge's snapshot, marks
 *  the merge undone and writes the audit event: the check and the restore in one statement. */
export function undoStatement(db: Kysely<Database>, acct: number, mergeId: number, actor: string) {
  // absorbed_projects: Snapshots taken before times were kept have no status_at, params_at or
  //   source.
  return sql<UndoOutcome>`
WITH m AS (
  SELECT * FROM merges WHERE id = ${mergeId} AND account_id = ${acct}
    AND ${heldFirst(mergeFamily(acct, mergeId))}
),
why AS (
  SELECT CASE
    WHEN m.undone_at IS NOT NULL THEN 'undone'
    WHEN EXISTS (SELECT 1 FROM merges l WHERE l.account_id = m.account_id AND l.id > m.id
        AND l.undone_at IS NULL AND m.survivor_id IN (l.survivor_id, l.absorbed_id))
      OR NOT EXISTS (SELECT 1 FROM customers c
        WHERE c.id = m.absorbed_id AND c.merged_into = m.survivor_id) THEN 'later_merge'
    WHEN (m.snapshot->>'after') IS DISTINCT FROM ${survivorState(sql`m.survivor_id`)}
      THEN 'changed'
  END AS refused
  FROM m
),
ok AS (SELECT m.* FROM m, why WHERE why.refused IS NULL),
absorbed AS (
  UPDATE customers c SET merged_into = NULL, name = s.name, created_at = s.created_at,
    last_activity_at = s.last_activity_at, updated_at = s.updated_at
  FROM ok, jsonb_populate_record(NULL::customers, ok.snapshot->'absorbed') s
  WHERE c.id = ok.absorbed_id
  RETURNING c.id
),
survivor AS (
  UPDATE customers c SET name = s.name, created_at = s.created_at,
    last_activity_at = s.last_activity_at, updated_at = s.updated_at
  FROM ok, jsonb_populate_record(NULL::customers, ok.snapshot->'survivor') s
  WHERE c.id = ok.survivor_id
  RETURNING c.id
),
sp AS (
  SELECT r.* FROM ok,
    jsonb_populate_recordset(NULL::customer_projects, ok.snapshot->'survivor_projects') r
),
restored AS (
  UPDATE customer_projects c SET status = sp.status, params = sp.params,
    status_at = sp.status_at, params_at = COALESCE(sp.params_at, '{}'::jsonb), source = 'undo',
    first_seen_at = sp.first_seen_at, last_activity_at = sp.last_activity_at,
    updated_at = sp.updated_at
  FROM sp
  WHERE c.customer_id = sp.customer_id AND c.project_id = sp.project_id
  RETURNING c.project_id
),
unmoved AS (
  DELETE FROM customer_projects c USING ok
  WHERE c.customer_id = ok.survivor_id
    AND NOT EXISTS (SELECT 1 FROM sp WHERE sp.project_id = c.project_id)
  RETURNING c.project_id
),
absorbed_projects AS (
  INSERT INTO customer_projects (customer_id, project_id, account_id, status, status_at, params,
    params_at, source, first_seen_at, last_activity_at, updated_at)
  SELECT r.customer_id, r.project_id, r.account_id, r.status, r.status_at, r.params,
    COALESCE(r.params_at, '{}'::jsonb), 'undo', r.first_seen_at, r.last_activity_at, r.updated_at
  FROM ok,
    jsonb_populate_recordset(NULL::customer_projects, ok.snapshot->'absorbed_projects') r
  RETURNING project_id
),
aliases_back AS (
  UPDATE customers t SET merged_into = ok.absorbed_id
  FROM ok
  WHERE t.account_id = ok.account_id AND t.merged_into = ok.survivor_id
    AND t.email IN (SELECT x->>'email' FROM jsonb_array_elements(ok.snapshot->'absorbed_aliases') x)
  RETURNING t.id
),
marked AS (
  UPDATE merges SET undone_at = now() FROM ok WHERE merges.id = ok.id RETURNING merges.id
),
audit AS (
  INSERT INTO audit_events (account_id, action, customer_id, merge_id, actor, detail)
  SELECT ok.account_id, 'merge.undone', ok.survivor_id, ok.id, ${actor},
    jsonb_build_object('absorbed_id', ok.absorbed_id)
  FROM ok
  RETURNING id
)
SELECT EXISTS (SELECT 1 FROM m) AS found, (SELECT refused FROM why) AS refused,
  (SELECT survivor_id FROM ok) AS survivor_id, (SELECT absorbed_id FROM ok) AS absorbed_id`.compile(
    db,
  )
}

/** Runs after the undo: each of the two customers' relations says what its own family's billing
 *  rows say again (the survivor's restored relations are from before the merge; billing rows of
 *  the absorbed emails may have changed since without changing the survivor). Only when this
 *  transaction undid the merge (undone_at is its start time, now()). */
export function undoBillingStatement(db: Kysely<Database>, acct: number, mergeId: number) {
  return familyBillingStatement(
    db,
    acct,
    sql`SELECT unnest(ARRAY[survivor_id, absorbed_id]) FROM merges
      WHERE id = ${mergeId} AND account_id = ${acct} AND undone_at = now()`,
    'undo',
  )
}
