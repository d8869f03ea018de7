// Per-customer summary columns for the customers page at a million relations (issue 14): what a
// customer's relations are, packed into its own row, so the filters on projects and statuses and
// the page's count and status breakdowns read one row per customer instead of joining every
// relation. Frozen: never import app code.
//
// relation_keys (bigint[], GIN-indexed), per relation of the customer:
//   project_id * 8             "uses the project" (in=app-a)
//   project_id * 8 + rank      "has this status there" (in=app-a:paid)
//   -rank                      "has this status somewhere" (status=paid)
// where rank is 1 paid, 2 trial, 3 free, 4 churned (best first). best_rank is the smallest rank
// (null without relations), project_count how many relations the customer has.
//
// Kept by triggers on customer_projects, as relation_history is, so every write path (the ingest
// statement, merges and undo, erase, imports, billing, a project's deletion, a backup's restore)
// keeps them without knowing: inserts and deletes recompute once per statement from its
// transition table; an update only when a relation's status or customer changes. The recompute
// reads the customer's relations afresh (a new snapshot per statement in READ COMMITTED) after the
// writer has locked the customer row (ingest, merges and undo lock it first), so two writers of
// one customer's relations cannot both miss each other's.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE customers
    ADD COLUMN relation_keys bigint[] NOT NULL DEFAULT '{}',
    ADD COLUMN project_count smallint NOT NULL DEFAULT 0,
    ADD COLUMN best_rank smallint`.execute(db)

  await sql`CREATE FUNCTION customer_summary_refresh(ids bigint[]) RETURNS void
    LANGUAGE sql AS $$
    UPDATE customers c SET relation_keys = s.keys, project_count = s.n, best_rank = s.best
    FROM (
      SELECT i.id,
        COALESCE((SELECT array_agg(DISTINCT k ORDER BY k) FROM customer_projects r
          CROSS JOIN LATERAL (VALUES (r.project_id * 8),
            (r.project_id * 8 + array_position(ARRAY['paid', 'trial', 'free', 'churned'], r.status)),
            (-array_position(ARRAY['paid', 'trial', 'free', 'churned'], r.status)::bigint)) AS v(k)
          WHERE r.customer_id = i.id), '{}') AS keys,
        (SELECT count(*) FROM customer_projects r WHERE r.customer_id = i.id)::smallint AS n,
        (SELECT min(array_position(ARRAY['paid', 'trial', 'free', 'churned'], r.status))
          FROM customer_projects r WHERE r.customer_id = i.id)::smallint AS best
      FROM (SELECT DISTINCT unnest(ids) AS id) i
    ) s
    WHERE c.id = s.id
      AND (c.relation_keys, c.project_count, c.best_rank) IS DISTINCT FROM (s.keys, s.n, s.best)
  $$`.execute(db)

  await sql`CREATE FUNCTION customer_summary_rows() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        PERFORM customer_summary_refresh(ARRAY(SELECT customer_id FROM new_rows));
      ELSE
        PERFORM customer_summary_refresh(ARRAY(SELECT customer_id FROM old_rows));
      END IF;
      RETURN NULL;
    END $$`.execute(db)
  await sql`CREATE FUNCTION customer_summary_row() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM customer_summary_refresh(ARRAY[OLD.customer_id, NEW.customer_id]);
      RETURN NULL;
    END $$`.execute(db)
  await sql`CREATE TRIGGER customer_projects_summary_insert
    AFTER INSERT ON customer_projects REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION customer_summary_rows()`.execute(db)
  await sql`CREATE TRIGGER customer_projects_summary_delete
    AFTER DELETE ON customer_projects REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION customer_summary_rows()`.execute(db)
  await sql`CREATE TRIGGER customer_projects_summary_update
    AFTER UPDATE OF status, customer_id ON customer_projects
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.customer_id <> NEW.customer_id)
    EXECUTE FUNCTION customer_summary_row()`.execute(db)

  // The relations written before this migration.
  await sql`SELECT customer_summary_refresh(ARRAY(
    SELECT DISTINCT customer_id FROM customer_projects))`.execute(db)

  await sql`CREATE INDEX customers_relation_keys_idx ON customers USING gin (relation_keys)`.execute(
    db,
  )
  // Statistics for the planner, but only of a table with rows: an empty one analysed reads as empty
  // until PGlite's statistics keeper looks again (15 s; never in an in-memory database), and its
  // plans made a 100,000-row CSV import ten times slower (254 against 2,604 rows/s, measured).
  const { rows } = await sql<{
    any: boolean
  }>`SELECT EXISTS (SELECT 1 FROM customers) AS any`.execute(db)
  if (rows[0]?.any) await sql`ANALYZE customers`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS customer_projects_summary_update ON customer_projects`.execute(
    db,
  )
  await sql`DROP TRIGGER IF EXISTS customer_projects_summary_delete ON customer_projects`.execute(
    db,
  )
  await sql`DROP TRIGGER IF EXISTS customer_projects_summary_insert ON customer_projects`.execute(
    db,
  )
  await sql`DROP FUNCTION IF EXISTS customer_summary_row()`.execute(db)
  await sql`DROP FUNCTION IF EXISTS customer_summary_rows()`.execute(db)
  await sql`DROP FUNCTION IF EXISTS customer_summary_refresh(bigint[])`.execute(db)
  await sql`ALTER TABLE customers DROP COLUMN relation_keys, DROP COLUMN project_count,
    DROP COLUMN best_rank`.execute(db)
}
