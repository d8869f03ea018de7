// An upload's sign of life. Until now an import existed from its file's header on, already
// `uploaded`, and an upload that died mid-file (the browser closed, the connection or the server
// gone) stayed so, with no rows counted, until the 7-day sweep: shown as waiting for its mapping,
// and a dry run of it polled "0 of 0" for good. Now an import is `uploading` until its last row is
// stored, and `progress_at` moves as its bytes arrive, so one that stopped can be told from a
// slow one (src/csv/retention.ts). Imports with no chunk counted never finished their upload (a
// finished one has at least one row): they become `uploading`, last heard of at their creation.
// Frozen: never import app code.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('imports')
    .addColumn('progress_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`ALTER TABLE imports ALTER COLUMN state SET DEFAULT 'uploading'`.execute(db)
  await sql`UPDATE imports SET progress_at = created_at`.execute(db)
  await sql`UPDATE imports SET state = 'uploading' WHERE chunks = 0 AND finished_at IS NULL`.execute(
    db,
  )
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE imports ALTER COLUMN state SET DEFAULT 'uploaded'`.execute(db)
  await sql`UPDATE imports SET state = 'uploaded' WHERE state = 'uploading'`.execute(db)
  await db.schema.alterTable('imports').dropColumn('progress_at').execute()
}
