// An undone merge is logged as an undo, when it happened: the relations it restores carry their
// old times (newest wins still compares them), so their history entries were dated back there,
// under the merge's entries, and labelled "merge"; the customer's history then read as if the
// merge had been the latest change. Now the undo writes source 'undo', and the history trigger
// dates such a change at the undo's own time (now()).
// Frozen: never import app code.
//
// The check is widened as 2026-11-29T14 widened it (every row stored satisfies it: NOT VALID, then
// validated); the trigger function is replaced whole.
import { sql, type Kysely } from 'kysely'

const check = (sources: string[]) =>
  sql.raw(`CHECK (source IN (${sources.map((s) => `'${s}'`).join(', ')}))`)

const BEFORE = ['api', 'import', 'stripe', 'paddle', 'merge', 'dashboard', 'segment']

/** relation_history() as 2026-11-29T11 made it, an update by an undo dated now() when `undo`. */
const historyFunction = (undo: boolean) => {
  const at = (stamp: string) =>
    undo
      ? `CASE WHEN NEW.source = 'undo' THEN now() ELSE COALESCE(${stamp}, now()) END`
      : `COALESCE(${stamp}, now())`
  return sql.raw(`CREATE OR REPLACE FUNCTION relation_history() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        INSERT INTO relation_changes (account_id, customer_id, project_id, field, key, old_value,
          new_value, source, changed_at)
        SELECT NEW.account_id, NEW.customer_id, NEW.project_id, 'status', NULL::text, NULL::jsonb,
          to_jsonb(NEW.status), NEW.source, COALESCE(NEW.status_at, NEW.first_seen_at)
        UNION ALL
        SELECT NEW.account_id, NEW.customer_id, NEW.project_id, 'param', p.key, NULL::jsonb, p.value,
          NEW.source,
          COALESCE(to_timestamp((NEW.params_at ->> p.key)::float8), NEW.first_seen_at)
        FROM jsonb_each(NEW.params) AS p;
      ELSE
        INSERT INTO relation_changes (account_id, customer_id, project_id, field, key, old_value,
          new_value, source, changed_at)
        SELECT NEW.account_id, NEW.customer_id, NEW.project_id, 'status', NULL::text,
          to_jsonb(OLD.status), to_jsonb(NEW.status), NEW.source, ${at('NEW.status_at')}
        WHERE OLD.status IS DISTINCT FROM NEW.status
        UNION ALL
        SELECT NEW.account_id, NEW.customer_id, NEW.project_id, 'param', k.key, OLD.params -> k.key,
          NEW.params -> k.key, NEW.source,
          ${at('to_timestamp((NEW.params_at ->> k.key)::float8)')}
        FROM (SELECT jsonb_object_keys(OLD.params) AS key
              UNION SELECT jsonb_object_keys(NEW.params)) AS k
        WHERE OLD.params IS DISTINCT FROM NEW.params
          AND (OLD.params -> k.key) IS DISTINCT FROM (NEW.params -> k.key);
      END IF;
      RETURN NULL;
    END $$`)
}

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE customer_projects
    DROP CONSTRAINT customer_projects_source_check,
    ADD CONSTRAINT customer_projects_source_check ${check([...BEFORE, 'undo'])} NOT VALID`.execute(
    db,
  )
  await sql`ALTER TABLE customer_projects VALIDATE CONSTRAINT customer_projects_source_check`.execute(
    db,
  )
  await sql`${historyFunction(true)}`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`${historyFunction(false)}`.execute(db)
  await sql`UPDATE customer_projects SET source = 'merge' WHERE source = 'undo'`.execute(db)
  await sql`ALTER TABLE customer_projects
    DROP CONSTRAINT customer_projects_source_check,
    ADD CONSTRAINT customer_projects_source_check ${check(BEFORE)}`.execute(db)
}
