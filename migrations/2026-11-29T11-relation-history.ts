// The history of a relation's changes: every change of a customer's status or of one of its params
// in a project, with the old and the new value, who wrote it (the relation's `source`) and when it
// happened (the write's time: status_at, or the key's time in params_at). Frozen: never import
// app code.
//
// Written by a trigger on customer_projects, so every write path is covered without any of them
// knowing: the ingest statement (API, import, billing), merges and undo. An UPDATE fires it only
// when the status or the params really changed (a ping, a write that lost to a newer one, or a
// merge moving a relation to its survivor log nothing). A new relation logs its status and each
// param it starts with. History starts with this migration: relations written before it have
// none until their next change.
//
// Rows point at the customer the relation belonged to when it changed; a merged customer's rows
// stay with its tombstone (the survivor's page reads both), so an undo needs to move nothing.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('relation_changes')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('account_id', 'bigint', (c) => c.notNull())
    .addColumn('customer_id', 'bigint', (c) =>
      c.notNull().references('customers.id').onDelete('cascade'),
    )
    .addColumn('project_id', 'bigint', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('field', 'text', (c) => c.notNull().check(sql`field IN ('status', 'param')`))
    // The param's key; null for the status.
    .addColumn('key', 'text')
    .addColumn('old_value', 'jsonb')
    .addColumn('new_value', 'jsonb')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`CREATE INDEX relation_changes_customer_idx
    ON relation_changes (customer_id, changed_at DESC, id DESC)`.execute(db)
  // "Became paid in the last 7 days" in a project: the filter's probe (changed=).
  await sql`CREATE INDEX relation_changes_project_idx
    ON relation_changes (project_id, field, changed_at)`.execute(db)

  await sql`CREATE FUNCTION relation_history() RETURNS trigger
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
          to_jsonb(OLD.status), to_jsonb(NEW.status), NEW.source, COALESCE(NEW.status_at, now())
        WHERE OLD.status IS DISTINCT FROM NEW.status
        UNION ALL
        SELECT NEW.account_id, NEW.customer_id, NEW.project_id, 'param', k.key, OLD.params -> k.key,
          NEW.params -> k.key, NEW.source,
          COALESCE(to_timestamp((NEW.params_at ->> k.key)::float8), now())
        FROM (SELECT jsonb_object_keys(OLD.params) AS key
              UNION SELECT jsonb_object_keys(NEW.params)) AS k
        WHERE OLD.params IS DISTINCT FROM NEW.params
          AND (OLD.params -> k.key) IS DISTINCT FROM (NEW.params -> k.key);
      END IF;
      RETURN NULL;
    END $$`.execute(db)
  await sql`CREATE TRIGGER customer_projects_history_insert
    AFTER INSERT ON customer_projects
    FOR EACH ROW EXECUTE FUNCTION relation_history()`.execute(db)
  await sql`CREATE TRIGGER customer_projects_history_update
    AFTER UPDATE OF status, params ON customer_projects
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.params IS DISTINCT FROM NEW.params)
    EXECUTE FUNCTION relation_history()`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS customer_projects_history_update ON customer_projects`.execute(
    db,
  )
  await sql`DROP TRIGGER IF EXISTS customer_projects_history_insert ON customer_projects`.execute(
    db,
  )
  await sql`DROP FUNCTION IF EXISTS relation_history()`.execute(db)
  await db.schema.dropTable('relation_changes').ifExists().execute()
}
