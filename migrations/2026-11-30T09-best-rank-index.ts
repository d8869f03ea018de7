// The customers by best status, most active first, with their first-seen time: a filter whose
// statuses anywhere come down to the customer's best one ("still free": free somewhere, paid and
// trial nowhere; see bestRankCondition in src/customers/relation-keys.ts) walks only those
// customers for the page, and counts them from this index alone. Measured at 550,000 customers
// (PostgreSQL 15, a loaded machine), first seen before 180 days and still free (86,165): the
// count 156–350 ms by the relation keys' GIN index, 30–45 ms here; the page's rows 27–56 ms
// walking every customer by activity, 3–5 ms here.
// Frozen: never import app code.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX customers_account_best_activity_idx
    ON customers (account_id, best_rank, last_activity_at DESC, id DESC) INCLUDE (created_at)
    WHERE merged_into IS NULL`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS customers_account_best_activity_idx`.execute(db)
}
