// Newest wins, not last to arrive: a relation's status and each of its param keys keep the value
// with the newest time, whatever order the writes arrive in. Frozen: never import app code.
//
// - status_at: the time of the write that set the status; null while no write has set it (the
//   default `free` of a new relation, or a status stored before this migration): any write wins.
// - params_at: per param key, the time (epoch seconds) of the write that set or removed it. A
//   removed key keeps its time, so an older write arriving later cannot bring it back. A key with
//   no time (stored before this migration) is overwritten by the next write.
// - source: who made the latest write (api, import, stripe, paddle, merge, dashboard), for the
//   history of changes (next migration) to read.
// - billing_customers.latest_at, billing_relations.latest_at: the time of the newest billing event
//   seen for them, the time a billing write to the relation carries. Not the newest time among the
//   subscriptions' fields: an event that changes nothing (an invoice after a cancellation: an
//   ended subscription stays ended) still makes the billing state newer than what came before it.
// - relation_patch(): applies a params patch to stored params with those rules, and set-once keys
//   (`paramsOnce`: set only where the params lack the key). PL/pgSQL, so it is planned once per
//   connection rather than with every ingest statement (as billing_merge, for the same reason).
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE customer_projects
    ADD COLUMN status_at timestamptz,
    ADD COLUMN params_at jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN source text NOT NULL DEFAULT 'api'
      CHECK (source IN ('api', 'import', 'stripe', 'paddle', 'merge', 'dashboard'))`.execute(db)

  await sql`ALTER TABLE billing_customers ADD COLUMN latest_at timestamptz`.execute(db)
  await sql`ALTER TABLE billing_relations ADD COLUMN latest_at timestamptz`.execute(db)
  await sql`UPDATE billing_customers b SET latest_at = (SELECT max(e.occurred_at)
    FROM billing_events e WHERE e.project_id = b.project_id AND e.provider = b.provider
      AND e.billing_customer_id = b.billing_customer_id)`.execute(db)
  await sql`UPDATE billing_relations r SET latest_at = (SELECT max(b.latest_at)
    FROM billing_customers b WHERE b.project_id = r.project_id AND b.email = r.email)`.execute(db)

  // A key of `patch` wins when its time (patch_at, else `at`) is newer than the stored key's, or
  // as new when `ties` (a later arrival wins a tie); a key with no time wins only where the params
  // lack it. A null value removes the key. `once` keys are set where the result lacks them and no
  // newer removal is recorded.
  await sql`CREATE FUNCTION relation_patch(
      params jsonb, params_at jsonb, patch jsonb, patch_at jsonb, at numeric, ties boolean,
      once jsonb, OUT new_params jsonb, OUT new_params_at jsonb)
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
    DECLARE
      k text;
      v jsonb;
      t numeric;
      kept numeric;
      wins boolean;
    BEGIN
      new_params := COALESCE(params, '{}'::jsonb);
      new_params_at := COALESCE(params_at, '{}'::jsonb);
      FOR k, v IN SELECT key, value FROM jsonb_each(COALESCE(patch, '{}'::jsonb)) LOOP
        t := COALESCE((patch_at ->> k)::numeric, at);
        kept := (new_params_at ->> k)::numeric;
        -- (plpgsql reads an IF condition up to its first THEN: no CASE in one.)
        IF t IS NULL THEN
          wins := kept IS NULL AND NOT new_params ? k;
        ELSIF kept IS NULL THEN
          wins := true;
        ELSIF ties THEN
          wins := t >= kept;
        ELSE
          wins := t > kept;
        END IF;
        IF wins THEN
          IF jsonb_typeof(v) = 'null' THEN
            new_params := new_params - k;
          ELSE
            new_params := new_params || jsonb_build_object(k, v);
          END IF;
          IF t IS NOT NULL THEN
            new_params_at := new_params_at || jsonb_build_object(k, t);
          END IF;
        END IF;
      END LOOP;
      FOR k, v IN SELECT key, value FROM jsonb_each(COALESCE(once, '{}'::jsonb)) LOOP
        kept := (new_params_at ->> k)::numeric;
        IF jsonb_typeof(v) <> 'null' AND NOT new_params ? k
          AND (kept IS NULL OR at IS NULL OR at >= kept) THEN
          new_params := new_params || jsonb_build_object(k, v);
          IF at IS NOT NULL THEN
            new_params_at := new_params_at || jsonb_build_object(k, at);
          END IF;
        END IF;
      END LOOP;
    END $$`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION IF EXISTS relation_patch(jsonb, jsonb, jsonb, jsonb, numeric, boolean, jsonb)`.execute(
    db,
  )
  await sql`ALTER TABLE billing_customers DROP COLUMN IF EXISTS latest_at`.execute(db)
  await sql`ALTER TABLE billing_relations DROP COLUMN IF EXISTS latest_at`.execute(db)
  await sql`ALTER TABLE customer_projects
    DROP COLUMN IF EXISTS status_at, DROP COLUMN IF EXISTS params_at,
    DROP COLUMN IF EXISTS source`.execute(db)
}
