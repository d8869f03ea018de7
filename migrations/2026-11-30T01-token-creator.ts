// Who made an account token, so removing a member can revoke theirs and the Tokens page can say
// whose each is. created_by is the user (set null when they are deleted, like invites.created_by);
// created_by_email is their email then, kept so a removed member's revoked tokens still say who
// made them. Both stay null on tokens made before, and on those the CLI makes (no user there).
// Frozen: never import app code.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE account_tokens
    ADD COLUMN created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN created_by_email text`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE account_tokens DROP COLUMN created_by, DROP COLUMN created_by_email`.execute(
    db,
  )
}
