// Data in and out: merges (with the snapshot that undoes them), email aliases that route an
// absorbed email to its survivor, account tokens for scripts, CSV import jobs (the file kept as
// parsed chunks so each dashboard poll imports the next one, on Node and on Workers alike), and
// an audit log that names customers by id only. Frozen: never import app code.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // The snapshot holds both customers and their project rows as they were: it is personal data,
  // so deleting a customer deletes the merges that mention it (src/merges/store.ts).
  await db.schema
    .createTable('merges')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('account_id', 'bigint', (c) =>
      c.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('survivor_id', 'bigint', (c) => c.notNull())
    .addColumn('absorbed_id', 'bigint', (c) => c.notNull())
    .addColumn('absorbed_email', 'text', (c) => c.notNull())
    .addColumn('snapshot', 'jsonb', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('undone_at', 'timestamptz')
    .execute()
  await sql`CREATE INDEX merges_survivor_idx ON merges (account_id, survivor_id, created_at DESC)`.execute(
    db,
  )
  await sql`CREATE INDEX merges_absorbed_idx ON merges (account_id, absorbed_id)`.execute(db)

  // An absorbed email routes later identify/ping calls to the survivor (the ingest statement
  // looks here before creating a customer).
  await db.schema
    .createTable('customer_aliases')
    .addColumn('account_id', 'bigint', (c) =>
      c.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'bigint', (c) =>
      c.notNull().references('customers.id').onDelete('cascade'),
    )
    .addColumn('merge_id', 'bigint', (c) => c.references('merges.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('customer_aliases_pkey', ['account_id', 'email'])
    .execute()
  await db.schema
    .createIndex('customer_aliases_customer_idx')
    .on('customer_aliases')
    .column('customer_id')
    .execute()

  await db.schema
    .createTable('account_tokens')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('account_id', 'bigint', (c) =>
      c.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute()
  await db.schema
    .createIndex('account_tokens_account_idx')
    .on('account_tokens')
    .column('account_id')
    .execute()

  await db.schema
    .createTable('imports')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('account_id', 'bigint', (c) =>
      c.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('project_id', 'bigint', (c) =>
      c.notNull().references('projects.id').onDelete('cascade'),
    )
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('header', 'jsonb', (c) => c.notNull())
    .addColumn('total_rows', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('chunks', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('mapping', 'jsonb')
    // uploaded → (dry_run → dry_run_done)? → importing → done
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('uploaded'))
    .addColumn('next_chunk', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('counts', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('dry_run', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('imports_project_idx').on('imports').column('project_id').execute()

  // The file's rows, parsed once at upload, a chunk per poll. Dropped when the import finishes.
  await db.schema
    .createTable('import_chunks')
    .addColumn('import_id', 'bigint', (c) =>
      c.notNull().references('imports.id').onDelete('cascade'),
    )
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('first_line', 'integer', (c) => c.notNull())
    .addColumn('rows', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('import_chunks_pkey', ['import_id', 'seq'])
    .execute()

  await db.schema
    .createTable('import_rejects')
    .addColumn('import_id', 'bigint', (c) =>
      c.notNull().references('imports.id').onDelete('cascade'),
    )
    .addColumn('line', 'integer', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('cells', 'jsonb', (c) => c.notNull())
    .addPrimaryKeyConstraint('import_rejects_pkey', ['import_id', 'line'])
    .execute()

  // What happened to whom, by id only: no email, name or params ever land here.
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('account_id', 'bigint', (c) =>
      c.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('customer_id', 'bigint')
    .addColumn('merge_id', 'bigint')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`CREATE INDEX audit_events_account_idx ON audit_events (account_id, created_at DESC)`.execute(
    db,
  )
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'audit_events',
    'import_rejects',
    'import_chunks',
    'imports',
    'account_tokens',
    'customer_aliases',
    'merges',
  ]) {
    await db.schema.dropTable(table).ifExists().execute()
  }
}
