// A billing customer's name, as its provider last sent it (Stripe's customer object, Paddle's
// customer entity). A provider's name fills a TinyCRM customer's empty name; on a connection with
// a product list the customer's own event (customer.created) comes before the subscription that
// lets the billing customer reach a relation, and writes nothing to the customer: its name waits
// here for that subscription. Erased with the rest of the billing customer's row.
// Frozen: never import app code.
import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('billing_customers').addColumn('name', 'text').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('billing_customers').dropColumn('name').execute()
}
