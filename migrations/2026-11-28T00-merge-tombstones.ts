// A merged customer keeps its row as a tombstone (merged_into = the survivor) instead of a row in a
// separate alias table. The row is what makes merges safe against concurrent ingest: the ingest
// statement's INSERT … ON CONFLICT on (account_id, email) always lands on the latest version of an
// email's row, so an identify that waited for a merge (or an undo) sees where the email belongs now
// — an alias row in another table would be read from the statement's older snapshot, and the email
// re-created as a duplicate customer (see src/ingest/upsert.ts). Also: `tinycrm_abort`, for a
// statement to give up with a chosen SQLSTATE (40001: retry it), and the state every not-undone
// merge's survivor has now, which undo compares (src/merges/store.ts). Frozen: never import app code.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE customers
    ADD COLUMN merged_into bigint REFERENCES customers (id) ON DELETE CASCADE`.execute(db)
  await sql`CREATE INDEX customers_merged_into_idx ON customers (merged_into)
    WHERE merged_into IS NOT NULL`.execute(db)
  // For ingest's lock order (tombstones first): a probe into this small index per email of a batch
  // costs next to nothing, where one into the whole unique index measurably slowed batches.
  await sql`CREATE INDEX customers_tombstone_email_idx ON customers (account_id, email)
    WHERE merged_into IS NOT NULL`.execute(db)

  // Each alias becomes the tombstone of the customer it was: with that customer's id and values
  // when its merge record says them (undo restores them), else as a new row. An email that exists
  // again as a customer (the race this fixes could make one) stays that customer.
  await sql`INSERT INTO customers
      (id, account_id, email, name, created_at, last_activity_at, updated_at, merged_into)
    OVERRIDING SYSTEM VALUE
    SELECT m.absorbed_id, al.account_id, al.email, s.name, COALESCE(s.created_at, al.created_at),
      COALESCE(s.last_activity_at, al.created_at), COALESCE(s.updated_at, al.created_at),
      al.customer_id
    FROM customer_aliases al
    JOIN merges m ON m.id = al.merge_id AND m.absorbed_email = al.email
    CROSS JOIN LATERAL jsonb_populate_record(NULL::customers, m.snapshot->'absorbed') s
    ON CONFLICT DO NOTHING`.execute(db)
  await sql`INSERT INTO customers
      (account_id, email, created_at, last_activity_at, updated_at, merged_into)
    SELECT al.account_id, al.email, al.created_at, al.created_at, al.created_at, al.customer_id
    FROM customer_aliases al
    ON CONFLICT DO NOTHING`.execute(db)
  await sql`DROP TABLE customer_aliases`.execute(db)

  // Undo now refuses when the survivor's state differs from the one recorded right after the
  // merge. Merges made before this migration are recorded here when the old rule (nothing
  // updated after the merge) says they are still undoable.
  await sql`UPDATE merges m SET snapshot = m.snapshot || jsonb_build_object('after', (
      SELECT md5(jsonb_build_array(c.name, extract(epoch FROM c.created_at),
        extract(epoch FROM c.last_activity_at), extract(epoch FROM c.updated_at),
        COALESCE((SELECT jsonb_agg(jsonb_build_array(r.project_id, r.status, r.params,
            extract(epoch FROM r.first_seen_at), extract(epoch FROM r.last_activity_at),
            extract(epoch FROM r.updated_at)) ORDER BY r.project_id)
          FROM customer_projects r WHERE r.customer_id = c.id), '[]'::jsonb))::text)
      FROM customers c WHERE c.id = m.survivor_id))
    WHERE m.undone_at IS NULL
      AND EXISTS (SELECT 1 FROM customers c WHERE c.id = m.survivor_id
        AND c.updated_at <= m.created_at AND c.last_activity_at <= m.created_at)
      AND NOT EXISTS (SELECT 1 FROM customer_projects r WHERE r.customer_id = m.survivor_id
        AND (r.updated_at > m.created_at OR r.last_activity_at > m.created_at))`.execute(db)

  await sql`CREATE FUNCTION tinycrm_abort(code text, message text) RETURNS boolean
    LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message; END $$`.execute(
    db,
  )
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION IF EXISTS tinycrm_abort(text, text)`.execute(db)
  await sql`CREATE TABLE customer_aliases (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email text NOT NULL,
    customer_id bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    merge_id bigint REFERENCES merges (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customer_aliases_pkey PRIMARY KEY (account_id, email))`.execute(db)
  await sql`CREATE INDEX customer_aliases_customer_idx ON customer_aliases (customer_id)`.execute(
    db,
  )
  await sql`INSERT INTO customer_aliases (account_id, email, customer_id, merge_id, created_at)
    SELECT t.account_id, t.email, t.merged_into,
      (SELECT max(m.id) FROM merges m WHERE m.absorbed_id = t.id AND m.undone_at IS NULL),
      t.updated_at
    FROM customers t WHERE t.merged_into IS NOT NULL`.execute(db)
  await sql`DELETE FROM customers WHERE merged_into IS NOT NULL`.execute(db)
  await sql`ALTER TABLE customers DROP COLUMN merged_into`.execute(db)
}
