// Saved views: a named customers filter per account (its URL query, as the filter language writes
// it), in the order the account keeps them in the rail; and when the account was given the ready
// views (the README's questions with its own slugs), so deleting them never brings them back.
// Frozen: never import app code.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('saved_views')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('account_id', 'bigint', (c) =>
      c.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('query', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  // One name once per account, whatever its case: two rail entries "Trials" and "trials" would
  // be one too many.
  await sql`CREATE UNIQUE INDEX saved_views_account_name_idx
    ON saved_views (account_id, lower(name))`.execute(db)
  // One view per place in the rail. Deferred to the statement's end, so a reorder can rewrite
  // every position in one UPDATE; two writers that read the same last position (a create racing
  // a create or a move) clash here and the store tries again with a fresh read.
  await sql`ALTER TABLE saved_views ADD CONSTRAINT saved_views_account_position_key
    UNIQUE (account_id, position) DEFERRABLE INITIALLY DEFERRED`.execute(db)
  await sql`ALTER TABLE accounts ADD COLUMN ready_views_added_at timestamptz`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE accounts DROP COLUMN ready_views_added_at`.execute(db)
  await db.schema.dropTable('saved_views').execute()
}
