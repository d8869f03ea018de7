// A merge's changes on the survivor are logged when the merge happened, as an undo's are
// (2026-11-30T05): they carried the times of the absorbed customer's writes, so a merge done again
// after an undo was dated under that undo's entries, and the history, newest first, ended with
// the undo ("paid → free") while the relation said paid. The absorbed customer's own changes keep
// their times in its own history, which the survivor's page shows beside; `changed=` reads
// neither a merge's nor an undo's entries. Frozen: never import app code.
import { sql, type Kysely } from 'kysely'

/** relation_history() as 2026-11-30T05 made it, an update by a merge dated now() too when
 *  `merge`. */
const historyFunction = (merge: boolean) => {
  const sources = merge ? `('undo', 'merge')` : `('undo')`
  const at = (stamp: string) =>
    `CASE WHEN NEW.source IN ${sources} THEN now() ELSE COALESCE(${stamp}, now()) END`
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
  await sql`${historyFunction(true)}`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`${historyFunction(false)}`.execute(db)
}
