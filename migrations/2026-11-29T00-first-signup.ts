// TINYCRM_SIGNUP=closed lets only the first account in. Checking "no account yet" in the sign-up
// statement is not enough under concurrency: every statement of a simultaneous burst reads the
// empty table in its own snapshot. So the account a closed sign-up creates carries
// first_signup = true, and a unique constraint admits one such row: the others wait for it and
// then insert nothing (ON CONFLICT DO NOTHING). Frozen: never import app code.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE accounts
    ADD COLUMN first_signup boolean CHECK (first_signup),
    ADD CONSTRAINT accounts_first_signup_key UNIQUE (first_signup)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE accounts DROP COLUMN first_signup`.execute(db)
}
