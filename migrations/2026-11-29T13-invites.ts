// Teammates: an account's owner makes a one-time invite link; whoever opens it chooses an email and
// a password and becomes a user of that account. Only the link token's SHA-256 is stored. Frozen:
// never import app code.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('invites')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('account_id', 'bigint', (c) =>
      c.notNull().references('accounts.id').onDelete('cascade'),
    )
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_by', 'bigint', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('accepted_at', 'timestamptz')
    .addColumn('accepted_by', 'bigint', (c) => c.references('users.id').onDelete('set null'))
    .execute()
  await db.schema.createIndex('invites_account_idx').on('invites').column('account_id').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('invites').ifExists().execute()
}
