// Sorting customers by name as a founder reads a list: without regard to case or accents ("alex"
// beside "Alex", before "Bob", "Élodie" among the e's; the database's own order put every capital
// first and every accented letter after z), the same on every database (COLLATE "C" on the name
// lower-cased and stripped of its combining accents: PGlite's, a server's and Neon's default
// collations differ), and the nameless last (they led the list). The expression is the sort key
// of src/customers/page-order.ts, which must stay equal to it for the index to serve the page.
// Frozen: never import app code.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX customers_account_name_order_idx ON customers
    (account_id, (COALESCE(regexp_replace(normalize(lower(NULLIF(name, '')), NFD),
      '[\u0300-\u036f]', '', 'g'), chr(1114111)) COLLATE "C"), id)`.execute(db)
  await sql`DROP INDEX IF EXISTS customers_account_name_idx`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX IF NOT EXISTS customers_account_name_idx
    ON customers (account_id, (COALESCE(name, '')), id)`.execute(db)
  await sql`DROP INDEX IF EXISTS customers_account_name_order_idx`.execute(db)
}
