// Indexes for the customers table's filters: trigram indexes so "part of an email or name"
// (ILIKE '%…%') does not scan the account, and an index for sorting by name with a keyset
// (name, id). pg_trgm ships with Postgres, Neon and PGlite (loaded in src/db/node.ts).
// Frozen: never import app code.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db)
  await sql`CREATE INDEX customers_email_trgm_idx ON customers USING gin (email gin_trgm_ops)`.execute(
    db,
  )
  await sql`CREATE INDEX customers_name_trgm_idx ON customers USING gin (name gin_trgm_ops)`.execute(
    db,
  )
  await sql`CREATE INDEX customers_account_name_idx
    ON customers (account_id, (COALESCE(name, '')), id)`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS customers_account_name_idx`.execute(db)
  await sql`DROP INDEX IF EXISTS customers_name_trgm_idx`.execute(db)
  await sql`DROP INDEX IF EXISTS customers_email_trgm_idx`.execute(db)
}
