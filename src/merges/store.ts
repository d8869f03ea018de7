// Merging two customers, undoing a merge, and erasing a customer (GDPR). Each is ONE SQL
// statement built of data-modifying CTEs: the Worker reaches Neon over HTTP, where interactive
// transactions do not exist, and one statement is atomic on every driver — a failure anywhere
// leaves both customers exactly as they were.
import { sql, type Kysely } from 'kysely'
import type { Database, MergeSnapshot } from '../db/schema.js'
import { ApiError } from '../lib/errors.js'

export interface MergeInput {
  accountId: number
  /** The customer that stays: its id and its email survive. */
  survivorId: number
  /** The customer folded into the survivor; its email becomes an alias of the survivor. */
  absorbedId: number
  /** Who asked: `user:<id>` or `token:<id>` (kept in the merge record and the audit). */
  actor: string
  /** Tests only: make the statement fail after every write in it has run. */
  failForTest?: boolean
}

/**
 * Folds `absorbedId` into `survivorId`. Per project the relations combine: the status of the more
 * recently updated relation, params merged with the survivor's values winning, the earliest first
 * seen and the latest last activity. The survivor keeps its name (the absorbed one's fills a
 * blank). The absorbed customer is deleted, its email becomes an alias that routes later
 * identify/ping calls to the survivor, and the merge keeps a snapshot of both so it can be undone.
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
  const result = await sql<{ id: number; fail: number | null }>`
WITH s AS (
  SELECT * FROM customers WHERE id = ${surv} AND account_id = ${acct} FOR UPDATE
),
a AS (
  SELECT * FROM customers WHERE id = ${abs} AND account_id = ${acct} FOR UPDATE
),
sp AS (SELECT r.* FROM customer_projects r JOIN s ON r.customer_id = s.id),
ap AS (SELECT r.* FROM customer_projects r JOIN a ON r.customer_id = a.id),
aa AS (SELECT al.* FROM customer_aliases al JOIN a ON al.customer_id = a.id),
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
    status = CASE WHEN ap.updated_at > r.updated_at THEN ap.status ELSE r.status END,
    params = ap.params || r.params,
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
  UPDATE customer_aliases al SET customer_id = ${surv}
  FROM m
  WHERE al.customer_id = ${abs} AND al.account_id = ${acct}
  RETURNING al.email
),
gone AS (
  DELETE FROM customers c USING m WHERE c.id = ${abs} RETURNING c.id
),
alias AS (
  INSERT INTO customer_aliases (account_id, email, customer_id, merge_id)
  SELECT ${acct}, a.email, ${surv}, m.id FROM a, m
  RETURNING email
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
FROM m, (SELECT count(*) FROM gone) g, (SELECT count(*) FROM alias) al, (SELECT count(*) FROM survivor) sv,
  (SELECT count(*) FROM dropped) d, (SELECT count(*) FROM repointed) rp, (SELECT count(*) FROM audit) au`.execute(
    db,
  )
  const row = result.rows[0]
  if (!row) throw await whyNotFound(db, acct, [surv, abs])
  return { mergeId: row.id }
}

async function whyNotFound(db: Kysely<Database>, accountId: number, ids: number[]) {
  const found = await db
    .selectFrom('customers')
    .select('id')
    .where('account_id', '=', accountId)
    .where('id', 'in', ids)
    .execute()
  const missing = ids.filter((id) => !found.some((f) => f.id === id))
  return new ApiError('not_found', `No customer ${missing.join(' or ')} in this account`)
}

export interface UndoInput {
  accountId: number
  mergeId: number
  actor: string
}

/** Why a merge cannot be undone any more, or null when it can. */
async function undoBlocker(db: Kysely<Database>, accountId: number, mergeId: number) {
  const r = await sql<{
    undone: boolean
    survivor_exists: boolean
    later_merge: boolean
    changed: boolean
    email_taken: boolean
  }>`
SELECT m.undone_at IS NOT NULL AS undone,
  EXISTS (SELECT 1 FROM customers c WHERE c.id = m.survivor_id) AS survivor_exists,
  EXISTS (SELECT 1 FROM merges l WHERE l.account_id = m.account_id AND l.id <> m.id
    AND l.undone_at IS NULL AND l.created_at >= m.created_at
    AND (l.survivor_id = m.survivor_id OR l.absorbed_id = m.survivor_id)) AS later_merge,
  EXISTS (SELECT 1 FROM customers c WHERE c.id = m.survivor_id
      AND (c.updated_at > m.created_at OR c.last_activity_at > m.created_at))
    OR EXISTS (SELECT 1 FROM customer_projects r WHERE r.customer_id = m.survivor_id
      AND (r.updated_at > m.created_at OR r.last_activity_at > m.created_at)) AS changed,
  EXISTS (SELECT 1 FROM customers c WHERE c.account_id = m.account_id
    AND (c.email = m.absorbed_email OR c.id = m.absorbed_id)) AS email_taken
FROM merges m WHERE m.id = ${mergeId} AND m.account_id = ${accountId}`.execute(db)
  const b = r.rows[0]
  if (!b) return new ApiError('not_found', `No merge ${mergeId} in this account`)
  if (b.undone) return new ApiError('conflict', 'This merge has already been undone')
  if (!b.survivor_exists || b.later_merge) {
    return new ApiError('conflict', 'A later merge involves this customer: undo that one first')
  }
  if (b.changed) {
    return new ApiError(
      'conflict',
      'The merged customer has changed since the merge (new data arrived); undoing would lose it',
    )
  }
  if (b.email_taken) {
    return new ApiError(
      'conflict',
      'A customer with the absorbed email exists again; undo would duplicate it',
    )
  }
  return null
}

/**
 * Undoes a merge from its snapshot: the absorbed customer comes back with its id, relations,
 * params and aliases; the survivor's customer row and relations return to what they were; the
 * alias the merge created goes. Refused (409) when the survivor changed since the merge, when a
 * later merge involves it, or when the absorbed email exists again: undo never discards data
 * that arrived after the merge. The checks are repeated inside the statement, so a write racing
 * the undo makes it refuse rather than half-apply.
 */
export async function undoMerge(
  db: Kysely<Database>,
  input: UndoInput,
): Promise<{ customerIds: number[] }> {
  const blocker = await undoBlocker(db, input.accountId, input.mergeId)
  if (blocker) throw blocker
  const result = await sql<{ survivor_id: number; absorbed_id: number }>`
WITH m AS (
  SELECT m.* FROM merges m
  WHERE m.id = ${input.mergeId} AND m.account_id = ${input.accountId} AND m.undone_at IS NULL
    AND EXISTS (SELECT 1 FROM customers c WHERE c.id = m.survivor_id
      AND c.updated_at <= m.created_at AND c.last_activity_at <= m.created_at)
    AND NOT EXISTS (SELECT 1 FROM customer_projects r WHERE r.customer_id = m.survivor_id
      AND (r.updated_at > m.created_at OR r.last_activity_at > m.created_at))
    AND NOT EXISTS (SELECT 1 FROM merges l WHERE l.account_id = m.account_id AND l.id <> m.id
      AND l.undone_at IS NULL AND l.created_at >= m.created_at
      AND (l.survivor_id = m.survivor_id OR l.absorbed_id = m.survivor_id))
  FOR UPDATE
),
absorbed AS (
  INSERT INTO customers OVERRIDING SYSTEM VALUE
  SELECT (jsonb_populate_record(NULL::customers, m.snapshot->'absorbed')).* FROM m
  RETURNING id
),
survivor AS (
  UPDATE customers c SET name = s.name, created_at = s.created_at,
    last_activity_at = s.last_activity_at, updated_at = s.updated_at
  FROM m, jsonb_populate_record(NULL::customers, m.snapshot->'survivor') s
  WHERE c.id = m.survivor_id AND s.id = m.survivor_id
  RETURNING c.id
),
sp AS (
  SELECT r.* FROM m, jsonb_populate_recordset(NULL::customer_projects, m.snapshot->'survivor_projects') r
),
restored AS (
  UPDATE customer_projects c SET status = sp.status, params = sp.params,
    first_seen_at = sp.first_seen_at, last_activity_at = sp.last_activity_at, updated_at = sp.updated_at
  FROM sp
  WHERE c.customer_id = sp.customer_id AND c.project_id = sp.project_id
  RETURNING c.project_id
),
unmoved AS (
  DELETE FROM customer_projects c USING m
  WHERE c.customer_id = m.survivor_id AND NOT EXISTS (SELECT 1 FROM sp WHERE sp.project_id = c.project_id)
  RETURNING c.project_id
),
absorbed_projects AS (
  INSERT INTO customer_projects
  SELECT r.* FROM m, jsonb_populate_recordset(NULL::customer_projects, m.snapshot->'absorbed_projects') r
  RETURNING project_id
),
alias AS (
  DELETE FROM customer_aliases al USING m
  WHERE al.account_id = m.account_id AND al.merge_id = m.id AND al.email = m.absorbed_email
  RETURNING al.email
),
aliases_back AS (
  UPDATE customer_aliases al SET customer_id = m.absorbed_id
  FROM m, jsonb_populate_recordset(NULL::customer_aliases, m.snapshot->'absorbed_aliases') x
  WHERE al.account_id = x.account_id AND al.email = x.email
  RETURNING al.email
),
marked AS (
  UPDATE merges SET undone_at = now() FROM m WHERE merges.id = m.id RETURNING merges.id
),
audit AS (
  INSERT INTO audit_events (account_id, action, customer_id, merge_id, actor, detail)
  SELECT m.account_id, 'merge.undone', m.survivor_id, m.id, ${input.actor},
    jsonb_build_object('absorbed_id', m.absorbed_id)
  FROM m
  RETURNING id
)
SELECT m.survivor_id, m.absorbed_id
FROM m, (SELECT count(*) FROM absorbed) a, (SELECT count(*) FROM survivor) s,
  (SELECT count(*) FROM restored) r, (SELECT count(*) FROM unmoved) u,
  (SELECT count(*) FROM absorbed_projects) ap, (SELECT count(*) FROM alias) al,
  (SELECT count(*) FROM aliases_back) ab, (SELECT count(*) FROM marked) mk,
  (SELECT count(*) FROM audit) au`.execute(db)
  const row = result.rows[0]
  if (!row) {
    throw (
      (await undoBlocker(db, input.accountId, input.mergeId)) ??
      new ApiError('conflict', 'The customers changed while undoing; try again')
    )
  }
  return { customerIds: [row.survivor_id, row.absorbed_id] }
}

/**
 * Erases a customer (GDPR): its project rows, its aliases, and every merge record whose snapshot
 * holds its data (also those of customers merged into it earlier) go; rejected import rows that
 * carry its email go too. The audit keeps one `customer.deleted` event with the id and counts
 * only — no email, name or params.
 */
export async function deleteCustomer(
  db: Kysely<Database>,
  input: { accountId: number; customerId: number; actor: string },
): Promise<{ projects: number; merges: number; aliases: number }> {
  const { accountId: acct, customerId: id, actor } = input
  const result = await sql<{ projects: number; merges: number; aliases: number }>`
WITH RECURSIVE c AS (
  SELECT id, email FROM customers WHERE id = ${id} AND account_id = ${acct}
),
chain(id) AS (
  SELECT id FROM c
  UNION
  SELECT m.absorbed_id FROM merges m JOIN chain ON m.survivor_id = chain.id
  WHERE m.account_id = ${acct} AND m.undone_at IS NULL
),
merges_gone AS (
  DELETE FROM merges m
  WHERE m.account_id = ${acct} AND EXISTS (SELECT 1 FROM c)
    AND (m.survivor_id IN (SELECT id FROM chain) OR m.absorbed_id IN (SELECT id FROM chain))
  RETURNING m.id
),
aliases_gone AS (
  DELETE FROM customer_aliases al USING c WHERE al.customer_id = c.id RETURNING al.email
),
projects_gone AS (
  DELETE FROM customer_projects r USING c WHERE r.customer_id = c.id RETURNING r.project_id
),
rejects_gone AS (
  DELETE FROM import_rejects x USING c, imports i
  WHERE i.id = x.import_id AND i.account_id = ${acct}
    AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(x.cells) cell
      WHERE lower(trim(cell)) = c.email
        OR lower(trim(cell)) IN (SELECT email FROM customer_aliases a WHERE a.customer_id = c.id))
  RETURNING x.line
),
customer_gone AS (
  DELETE FROM customers x USING c WHERE x.id = c.id RETURNING x.id
),
counts AS (
  SELECT (SELECT count(*) FROM projects_gone)::int AS projects,
    (SELECT count(*) FROM merges_gone)::int AS merges,
    (SELECT count(*) FROM aliases_gone)::int AS aliases,
    (SELECT count(*) FROM rejects_gone)::int AS rejects
),
audit AS (
  INSERT INTO audit_events (account_id, action, customer_id, actor, detail)
  SELECT ${acct}, 'customer.deleted', g.id, ${actor}, to_jsonb(counts)
  FROM customer_gone g, counts
  RETURNING id
)
SELECT counts.projects, counts.merges, counts.aliases
FROM counts, customer_gone, (SELECT count(*) FROM audit) au`.execute(db)
  const row = result.rows[0]
  if (!row) throw new ApiError('not_found', `No customer ${id} in this account`)
  return row
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
