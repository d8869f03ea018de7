// Erasing a customer (GDPR): one transaction that locks the customer and every customer merged
// into it (as a merge does: see ./store.ts), then removes the person everywhere their data lives.
import { sql, type Kysely, type RawBuilder } from 'kysely'
import type { Database } from '../db/schema.js'
import { runInTransaction } from '../db/transaction.js'
import { ApiError } from '../lib/errors.js'
import { lockCustomers, stillHeld } from './lock.js'

/** A CSV cell read as the import reads an email (trimmed, the export's guard — a leading
 *  apostrophe before = + - @ or another apostrophe, src/csv/text-guard.ts — dropped, lower-cased),
 *  compared with the person's emails. */
const namesThem = (cell: RawBuilder<unknown>) =>
  sql`lower(regexp_replace(regexp_replace(${cell}, '^\\s+|\\s+$', '', 'g'), '^''(?=[-=+@''])', ''))
    IN (SELECT email FROM emails)`

/**
 * Erases a customer: its project rows, the customers merged into it (their emails), every merge
 * record whose snapshot holds its data, and the rows of any CSV import that carry one of its
 * emails — rejected rows, and the uploaded rows and dry-run notes of imports not finished yet,
 * which would otherwise bring the person back when the import runs — what billing remembers
 * of its emails, and the Segment ids that named them. The audit keeps one
 * `customer.deleted` event with the id and counts only — no email, name or params.
 */
export async function deleteCustomer(
  db: Kysely<Database>,
  input: { accountId: number; customerId: number; actor: string },
): Promise<{ projects: number; merges: number; aliases: number }> {
  const { accountId: acct, customerId: id, actor } = input
  // chunks_purged: Rows of unfinished imports (finished ones keep no rows): a cheap text search
  //   finds the chunks, then the rows that name the person are dropped from them.
  // billing_gone: What billing remembers of their emails (which billing customer, its
  //   subscriptions); a later event from the provider brings the person back, as an identify would.
  // segment_ids_gone: The external ids a Segment source sent with their emails: a later call with
  //   only that userId must not bring the person back.
  const erase = sql`
WITH c AS (
  SELECT id FROM customers WHERE id = ${id} AND account_id = ${acct} AND merged_into IS NULL
    AND ${stillHeld(acct, [id])}
),
people AS (
  SELECT t.id, t.email FROM customers t, c
  WHERE t.account_id = ${acct} AND (t.id = c.id OR t.merged_into = c.id)
),
emails AS (SELECT email FROM people),
merges_gone AS (
  DELETE FROM merges m
  WHERE m.account_id = ${acct}
    AND (m.survivor_id IN (SELECT id FROM people) OR m.absorbed_id IN (SELECT id FROM people))
  RETURNING m.id
),
projects_gone AS (
  DELETE FROM customer_projects r USING c WHERE r.customer_id = c.id RETURNING r.project_id
),
rejects_gone AS (
  DELETE FROM import_rejects x USING imports i
  WHERE i.id = x.import_id AND i.account_id = ${acct}
    AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(x.cells) cell WHERE ${namesThem(sql`cell`)})
  RETURNING x.line
),
chunks_purged AS (
  UPDATE import_chunks ch SET rows = (
    SELECT COALESCE(jsonb_agg(e.r ORDER BY e.n), '[]'::jsonb)
    FROM jsonb_array_elements(ch.rows) WITH ORDINALITY AS e(r, n)
    WHERE NOT EXISTS (
      SELECT 1 FROM jsonb_array_elements_text(e.r) cell WHERE ${namesThem(sql`cell`)}))
  FROM imports i
  WHERE i.id = ch.import_id AND i.account_id = ${acct} AND i.finished_at IS NULL
    AND EXISTS (SELECT 1 FROM emails WHERE strpos(lower(ch.rows::text), emails.email) > 0)
  RETURNING ch.import_id
),
noted_gone AS (
  DELETE FROM import_emails x USING imports i
  WHERE i.id = x.import_id AND i.account_id = ${acct} AND x.email IN (SELECT email FROM emails)
  RETURNING x.email
),
billing_gone AS (
  DELETE FROM billing_customers b USING projects p
  WHERE p.account_id = ${acct} AND b.project_id = p.id AND b.email IN (SELECT email FROM emails)
  RETURNING b.billing_customer_id
),
billing_state_gone AS (
  DELETE FROM billing_relations b USING projects p
  WHERE p.account_id = ${acct} AND b.project_id = p.id AND b.email IN (SELECT email FROM emails)
  RETURNING b.email
),
segment_ids_gone AS (
  DELETE FROM segment_ids s USING projects p
  WHERE p.account_id = ${acct} AND s.project_id = p.id AND s.email IN (SELECT email FROM emails)
  RETURNING s.external_id
),
customers_gone AS (
  DELETE FROM customers x USING people p WHERE x.id = p.id RETURNING x.id
),
counts AS (
  SELECT (SELECT count(*) FROM projects_gone)::int AS projects,
    (SELECT count(*) FROM merges_gone)::int AS merges,
    (SELECT count(*) - 1 FROM customers_gone)::int AS aliases,
    (SELECT count(*) FROM rejects_gone)::int AS rejects,
    (SELECT count(*) FROM chunks_purged)::int AS import_chunks,
    (SELECT count(*) FROM noted_gone)::int AS import_emails
),
audit AS (
  INSERT INTO audit_events (account_id, action, customer_id, actor, detail)
  SELECT ${acct}, 'customer.deleted', c.id, ${actor}, to_jsonb(counts)
  FROM c, counts
  RETURNING id
)
SELECT counts.projects, counts.merges, counts.aliases FROM counts, c`.compile(db)

  const [, result] = await runInTransaction(db, [lockCustomers(db, acct, [id]), erase])
  const row = result!.rows[0] as { projects: number; merges: number; aliases: number } | undefined
  if (!row) throw new ApiError('not_found', `No customer ${id} in this account`)
  return row
}
