// The customer summary refresh (2026-11-30T02) finds its customers by primary key whatever the
// planner's statistics say. Its UPDATE joined the customers table to the ids it was given, and
// with statistics taken while a bulk write was under way (measured: right after the bench's batch
// section, thousands of new customers, before autovacuum analysed again) PostgreSQL estimated 232
// relations a customer and planned a hash join over a sequential scan of every customer: each
// identify that changed a status then took 20–33 ms instead of 2–5 ms, until the next ANALYZE.
// `c.id = ANY(ids)` gives the customers' side its own index condition; the result is the same.
// Frozen: never import app code.
import { sql, type Kysely } from 'kysely'

const refresh = (byKey: boolean) => sql`
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
    WHERE c.id = s.id${byKey ? sql` AND c.id = ANY(ids)` : sql``}
      AND (c.relation_keys, c.project_count, c.best_rank) IS DISTINCT FROM (s.keys, s.n, s.best)`

const define = (byKey: boolean) => sql`
  CREATE OR REPLACE FUNCTION customer_summary_refresh(ids bigint[]) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
      IF cardinality(ids) = 0 THEN
        RETURN;
      END IF;
      ${refresh(byKey)};
    END $$`

export async function up(db: Kysely<any>): Promise<void> {
  await define(true).execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await define(false).execute(db)
}
