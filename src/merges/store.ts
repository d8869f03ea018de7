// Merging two customers and undoing a merge (erasing a customer is ./erase.ts).
//
// Each runs as statements of ONE transaction (src/db/transaction.ts: a Kysely transaction on Node,
// one batch — one round trip — over Neon's HTTP driver, which has no interactive transactions).
// The first statement only locks the customer rows involved; the next ones act. Why two: in READ
// COMMITTED a statement reads one snapshot, and a lock it waits for mid-statement does not refresh
// it — a merge built as one statement read the relations as they were when it started, then
// overwrote or deleted rows an identify had committed meanwhile (issue 9: acknowledged writes
// lost). Once the first statement holds the rows, no ingest can write to those customers (it locks
// the same rows, in the same order: an absorbed email's row before its survivor's), and the next
// statement starts with a snapshot that holds every write that came before. The merged customer's
// row stays as a tombstone (merged_into) so that ingest finds where its email went: see the top of
// src/ingest/upsert.ts.
import { sql, type CompiledQuery, type Kysely, type RawBuilder } from 'kysely'
import type { Database, MergeSnapshot } from '../db/schema.js'
import { runInTransaction } from '../db/transaction.js'
import { ApiError } from '../lib/errors.js'

/** Locks the live customers `ids` and every customer merged into them (tombstones first, then by
 *  email: the order ingest locks them in), for the statements after it in the transaction. */
export function lockCustomers(db: Kysely<Database>, accountId: number, ids: number[]) {
  const list = sql.join(ids)
  return sql`SELECT id FROM customers
    WHERE account_id = ${accountId} AND (id IN (${list}) OR merged_into IN (${list}))
    ORDER BY merged_into IS NULL, email
    FOR UPDATE`.compile(db)
}

/** A digest of everything an undo would overwrite on the survivor `id`: its row and its relations
 *  (timestamps as epoch numbers, so the digest does not depend on the session's time zone). The
 *  migration 2026-11-28T00 holds a frozen copy for the merges made before it. */
const survivorState = (id: RawBuilder<unknown>) => sql<string>`(
  SELECT md5(jsonb_build_array(c.name, extract(epoch FROM c.created_at),
    extract(epoch FROM c.last_activity_at), extract(epoch FROM c.updated_at),
    COALESCE((SELECT jsonb_agg(jsonb_build_array(r.project_id, r.status, r.params,
        extract(epoch FROM r.first_seen_at), extract(epoch FROM r.last_activity_at),
        extract(epoch FROM r.updated_at)) ORDER BY r.project_id)
      FROM customer_projects r WHERE r.customer_id = c.id), '[]'::jsonb))::text)
  FROM customers c WHERE c.id = ${id})`

// The absorbed relation's status is the newer one (see `combined` in mergeCustomers).
const ABSORBED_STATUS_NEWER = sql`(ap.status_at > r.status_at
  OR (r.status_at IS NULL AND (ap.status_at IS NOT NULL OR ap.updated_at > r.updated_at)))`

export interface MergeInput {
  accountId: number
  /** The customer that stays: its id and its email survive. */
  survivorId: number
  /** The customer folded into the survivor; its email goes on routing writes to the survivor. */
  absorbedId: number
  /** Who asked: `user:<id>` or `token:<id>` (kept in the merge record and the audit). */
  actor: string
  /** Tests only: make the transaction fail after every write in it has run. */
  failForTest?: boolean
}

/**
 * Folds `absorbedId` into `survivorId`. Per project the relations combine: newest wins for the
 * status and each param key (without times: the status of the more recently updated relation and
 * the survivor's params), the earliest first seen and the latest last activity. The survivor keeps its name (the absorbed one's fills a
 * blank). The absorbed customer stays as a tombstone pointing at the survivor — hidden from every
 * list, it routes later identify/ping calls with its email to the survivor — and the merge keeps a
 * snapshot of both, so it can be undone, and the survivor's state right after it, so that undo
 * can tell whether anything arrived since.
 */
export async function mergeCustomers(
  db: Kysely<Database>,
  input: MergeInput,
): Promise<{ mergeId: number }> {
  const { accountId: acct, survivorId: surv, absorbedId: abs, actor } = input
  if (surv === abs) {
    throw new ApiError('validation_failed', 'A customer cannot be merged into itself', [
      { path: 'absorbedId', message: 'must differ from survivorId' },
    ])
  }
  const merge = sql<{ id: number; fail: number | null }>`
WITH s AS (
  SELECT * FROM customers WHERE id = ${surv} AND account_id = ${acct} AND merged_into IS NULL
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
-- Newest wins, as for every write: the status and each param key (a removal included) with the
-- newer time; where neither has one (stored before times were kept), the status of the relation
-- updated more recently and the survivor's params.
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
-- Customers merged into the absorbed one earlier now route to the survivor: no chains to follow.
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
SELECT m.id, CASE WHEN ${input.failForTest === true} THEN 1 / 0 END AS fail
FROM m`.compile(db)
  // A third statement sees what the merge wrote, and records the survivor's state after it.
  const seal = sql`
UPDATE merges SET snapshot = snapshot || jsonb_build_object('after', ${survivorState(sql`${surv}`)})
WHERE account_id = ${acct} AND survivor_id = ${surv} AND absorbed_id = ${abs}
  AND undone_at IS NULL AND snapshot->'after' IS NULL`.compile(db)

  const [, merged] = await runInTransaction(db, [lockCustomers(db, acct, [surv, abs]), merge, seal])
  const row = merged!.rows[0] as { id: number } | undefined
  if (!row) throw await whyNotFound(db, acct, [surv, abs])
  return { mergeId: row.id }
}

async function whyNotFound(db: Kysely<Database>, accountId: number, ids: number[]) {
  const found = await db
    .selectFrom('customers')
    .select('id')
    .where('account_id', '=', accountId)
    .where('id', 'in', ids)
    .where('merged_into', 'is', null)
    .execute()
  const missing = ids.filter((id) => !found.some((f) => f.id === id))
  return new ApiError('not_found', `No customer ${missing.join(' or ')} in this account`)
}

export interface UndoInput {
  accountId: number
  mergeId: number
  actor: string
}

const UNDO_REFUSED: Record<string, string> = {
  undone: 'This merge has already been undone',
  later_merge: 'A later merge involves this customer: undo that one first',
  changed:
    'The merged customer has changed since the merge (new data arrived); undoing would lose it',
}

/**
 * Undoes a merge from its snapshot: the absorbed customer comes back with its id, relations and
 * values, the customers merged into it before come back to it, and the survivor's row and
 * relations return to what they were. Refused (409) when the survivor changed since the merge
 * (its state no longer matches the one recorded right after it) or a later merge involves it:
 * undo never discards data that arrived after the merge. The check and the restore run in one
 * statement, after the rows are locked, so no write can slip between them.
 */
export async function undoMerge(
  db: Kysely<Database>,
  input: UndoInput,
): Promise<{ customerIds: number[] }> {
  const { accountId: acct, mergeId } = input
  const lock: CompiledQuery = sql`
SELECT c.id FROM merges m
JOIN customers c ON c.account_id = m.account_id
  AND (c.id IN (m.survivor_id, m.absorbed_id) OR c.merged_into IN (m.survivor_id, m.absorbed_id))
WHERE m.id = ${mergeId} AND m.account_id = ${acct}
ORDER BY c.merged_into IS NULL, c.email
FOR UPDATE`.compile(db)
  const undo = sql<{
    found: boolean
    refused: string | null
    survivor_id: number | null
    absorbed_id: number | null
  }>`
WITH m AS (SELECT * FROM merges WHERE id = ${mergeId} AND account_id = ${acct}),
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
    status_at = sp.status_at, params_at = COALESCE(sp.params_at, '{}'::jsonb), source = 'merge',
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
-- Snapshots taken before times were kept have no status_at, params_at or source.
absorbed_projects AS (
  INSERT INTO customer_projects (customer_id, project_id, account_id, status, status_at, params,
    params_at, source, first_seen_at, last_activity_at, updated_at)
  SELECT r.customer_id, r.project_id, r.account_id, r.status, r.status_at, r.params,
    COALESCE(r.params_at, '{}'::jsonb), 'merge', r.first_seen_at, r.last_activity_at, r.updated_at
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
  SELECT ok.account_id, 'merge.undone', ok.survivor_id, ok.id, ${input.actor},
    jsonb_build_object('absorbed_id', ok.absorbed_id)
  FROM ok
  RETURNING id
)
SELECT EXISTS (SELECT 1 FROM m) AS found, (SELECT refused FROM why) AS refused,
  (SELECT survivor_id FROM ok) AS survivor_id, (SELECT absorbed_id FROM ok) AS absorbed_id`.compile(
    db,
  )

  const [, result] = await runInTransaction(db, [lock, undo])
  const row = result!.rows[0] as {
    found: boolean
    refused: string | null
    survivor_id: number | null
    absorbed_id: number | null
  }
  if (!row.found) throw new ApiError('not_found', `No merge ${mergeId} in this account`)
  if (row.refused) throw new ApiError('conflict', UNDO_REFUSED[row.refused] ?? row.refused)
  return { customerIds: [row.survivor_id!, row.absorbed_id!] }
}

export async function listMerges(db: Kysely<Database>, accountId: number, customerId: number) {
  return db
    .selectFrom('merges')
    .select([
      'id',
      'survivor_id',
      'absorbed_id',
      'absorbed_email',
      'actor',
      'created_at',
      'undone_at',
    ])
    .where('account_id', '=', accountId)
    .where('survivor_id', '=', customerId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(20)
    .execute()
}

export type { MergeSnapshot }
