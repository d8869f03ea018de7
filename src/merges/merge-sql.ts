// The statements of a merge, run in one transaction by mergeCustomers (./store.ts says why a merge
// locks its rows in one statement and acts in the next).
import { sql, type Kysely } from 'kysely'
import { familyBillingStatement } from '../billing/family-state.js'
import type { Database } from '../db/schema.js'
import { stillHeld } from './lock.js'
import { survivorState } from './survivor-state.js'

// The absorbed relation's status is the newer one (see `combined` in mergeStatement below).
const ABSORBED_STATUS_NEWER = sql`(ap.status_at > r.status_at
  OR (r.status_at IS NULL AND (ap.status_at IS NOT NULL OR ap.updated_at > r.updated_at)))`

export interface MergeParties {
  acct: number
  surv: number
  abs: number
  actor: string
}

/** Records the merge with a snapshot of both customers, combines or moves the absorbed one's
 *  relations (newest wins), repoints its aliases, leaves it as a tombstone, updates the survivor
 *  and writes the audit event. Returns the merge's id; no row when either customer is not live in
 *  the account. */
export function mergeStatement(db: Kysely<Database>, parties: MergeParties) {
  const { acct, surv, abs, actor } = parties
  // combined: Newest wins, as for every write: the status and each param key (a removal included)
  //   with the newer time; where neither has one (stored before times were kept), the status of the
  //   relation updated more recently and the survivor's params.
  // repointed: Customers merged into the absorbed one earlier now route to the survivor: no chains
  //   to follow.
  return sql<{ id: number; fail: number | null }>`
WITH s AS (
  SELECT * FROM customers WHERE id = ${surv} AND account_id = ${acct} AND merged_into IS NULL
    AND ${stillHeld(acct, [surv, abs])}
),
a AS (
  SELECT * FROM customers WHERE id = ${abs} AND account_id = ${acct} AND merged_into IS NULL
),
sp AS (SELECT r.* FROM customer_projects r JOIN s ON r.customer_id = s.id),
ap AS (SELECT r.* FROM customer_projects r JOIN a ON r.customer_id = a.id),
aa AS (SELECT t.* FROM customers t JOIN a ON t.merged_into = a.id),
m AS (
  INSERT INTO merges (account_id, survivor_id, absorbed_id, absorbed_email, actor, snapshot)
  SELECT ${acct}, s.id, a.id, a.email, ${actor}, jsonb_build_object(
    'survivor', to_jsonb(s),
    'absorbed', to_jsonb(a),
    'survivor_projects',
      (SELECT COALESCE(jsonb_agg(to_jsonb(sp) ORDER BY sp.project_id), '[]'::jsonb) FROM sp),
    'absorbed_projects',
      (SELECT COALESCE(jsonb_agg(to_jsonb(ap) ORDER BY ap.project_id), '[]'::jsonb) FROM ap),
    'absorbed_aliases',
      (SELECT COALESCE(jsonb_agg(to_jsonb(aa) ORDER BY aa.email), '[]'::jsonb) FROM aa))
  FROM s, a
  RETURNING id, created_at
),
combined AS (
  UPDATE customer_projects r SET
    status = CASE WHEN ${ABSORBED_STATUS_NEWER} THEN ap.status ELSE r.status END,
    status_at = CASE WHEN ${ABSORBED_STATUS_NEWER} THEN ap.status_at ELSE r.status_at END,
    (params, params_at) = (SELECT p.new_params, p.new_params_at FROM relation_patch(r.params,
      r.params_at, ap.params || COALESCE((SELECT jsonb_object_agg(k, 'null'::jsonb)
        FROM jsonb_object_keys(ap.params_at) k WHERE NOT ap.params ? k), '{}'::jsonb),
      ap.params_at, NULL, false, NULL) p),
    source = 'merge',
    first_seen_at = LEAST(r.first_seen_at, ap.first_seen_at),
    last_activity_at = GREATEST(r.last_activity_at, ap.last_activity_at),
    updated_at = m.created_at
  FROM ap, m
  WHERE r.customer_id = ${surv} AND r.project_id = ap.project_id
  RETURNING r.project_id
),
dropped AS (
  DELETE FROM customer_projects r USING sp, m
  WHERE r.customer_id = ${abs} AND r.project_id = sp.project_id
  RETURNING r.project_id
),
moved AS (
  UPDATE customer_projects r SET customer_id = ${surv}
  FROM m
  WHERE r.customer_id = ${abs} AND NOT EXISTS (SELECT 1 FROM sp WHERE sp.project_id = r.project_id)
  RETURNING r.project_id
),
repointed AS (
  UPDATE customers t SET merged_into = ${surv}
  FROM m
  WHERE t.merged_into = ${abs} AND t.account_id = ${acct}
  RETURNING t.id
),
tombstone AS (
  UPDATE customers c SET merged_into = ${surv} FROM m WHERE c.id = ${abs} RETURNING c.id
),
survivor AS (
  UPDATE customers c SET
    name = COALESCE(NULLIF(s.name, ''), a.name),
    created_at = LEAST(s.created_at, a.created_at),
    last_activity_at = GREATEST(s.last_activity_at, a.last_activity_at),
    updated_at = m.created_at
  FROM s, a, m
  WHERE c.id = s.id
  RETURNING c.id
),
audit AS (
  INSERT INTO audit_events (account_id, action, customer_id, merge_id, actor, detail)
  SELECT ${acct}, 'customer.merged', ${surv}, m.id, ${actor},
    jsonb_build_object('absorbed_id', ${abs}::bigint,
      'projects_combined', (SELECT count(*) FROM combined),
      'projects_moved', (SELECT count(*) FROM moved))
  FROM m
  RETURNING id
)
SELECT m.id FROM m`.compile(db)
}

/** Runs after the merge, before the seal (which then records its result): the survivor's relations
 *  say what the billing rows of its whole family say, as the next billing event would write them
 *  (two emails each paying 10 and 20 in a project: mrr 30 at once, not the newer relation's 20).
 *  Only when this transaction's merge happened (the seal's own condition). */
export function mergeBillingStatement(db: Kysely<Database>, { acct, surv, abs }: MergeParties) {
  return familyBillingStatement(
    db,
    acct,
    sql`SELECT survivor_id FROM merges WHERE account_id = ${acct} AND survivor_id = ${surv}
      AND absorbed_id = ${abs} AND undone_at IS NULL AND snapshot->'after' IS NULL`,
    'merge',
  )
}

/** Runs after the merge, so it sees what the merge wrote: records the survivor's state then. */
export function sealStatement(db: Kysely<Database>, { acct, surv, abs }: MergeParties) {
  return sql`
UPDATE merges SET snapshot = snapshot || jsonb_build_object('after', ${survivorState(sql`${surv}`)})
WHERE account_id = ${acct} AND survivor_id = ${surv} AND absorbed_id = ${abs}
  AND undone_at IS NULL AND snapshot->'after' IS NULL`.compile(db)
}
