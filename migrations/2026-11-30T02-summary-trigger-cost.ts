// The customer summary triggers (2026-11-30T00) at less cost per ingest statement, same results.
// - The insert trigger fires for every INSERT … ON CONFLICT statement, the ingest's, even when all
//   its rows were updates and it inserted none: the refresh then returns at once instead of
//   planning its UPDATE for no customer.
// - The refresh is PL/pgSQL, whose statements keep their plans for the session, instead of a SQL
//   function, planned again at each call: a statement that changes a status paid that planning.
// Measured on PGlite (EXPLAIN ANALYZE of one identify of a returning customer): the insert
// trigger took 1.1–1.5 ms of a 3.3–5.4 ms statement and the update trigger 1.5–2.1 ms.
// Each statement of the function still reads with its own snapshot (READ COMMITTED), as before.
// Frozen: never import app code.
import { sql, type Kysely } from 'kysely'

const REFRESH = sql`
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
      AND (c.relation_keys, c.project_count, c.best_rank) IS DISTINCT FROM (s.keys, s.n, s.best)`

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE OR REPLACE FUNCTION customer_summary_refresh(ids bigint[]) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
      IF cardinality(ids) = 0 THEN
        RETURN;
      END IF;
      ${REFRESH};
    END $$`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`CREATE OR REPLACE FUNCTION customer_summary_refresh(ids bigint[]) RETURNS void
    LANGUAGE sql AS $$${REFRESH}
  $$`.execute(db)
}
