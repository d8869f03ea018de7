// The emails a CSV import's dry run has already counted, so an email repeated further down the file
// is counted as an update of the row above rather than a second creation (the dry run writes no
// customer, so the customers table cannot tell). Emptied when the import ends. Frozen: never import
// app code.
import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('import_emails')
    .addColumn('import_id', 'bigint', (c) =>
      c.notNull().references('imports.id').onDelete('cascade'),
    )
    .addColumn('email', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('import_emails_pkey', ['import_id', 'email'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('import_emails').ifExists().execute()
}
