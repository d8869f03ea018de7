// Routing a billing connection by product: many indie hackers sell several products from one
// Stripe or Paddle account, and a connection read every subscription of the account, so two
// projects connected to it each counted both products. `products` lists the provider's product
// ids (Stripe `prod_…`, Paddle `pro_…`) whose events the connection applies; empty means every
// product, which is what every existing connection keeps doing. A JSON array of strings, so a
// bundle (src/backup) carries it as it carries every column.
// Frozen: never import app code.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('billing_connections')
    .addColumn('products', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute()
  await sql`ALTER TABLE billing_connections ADD CONSTRAINT billing_connections_products_array
    CHECK (jsonb_typeof(products) = 'array')`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('billing_connections').dropColumn('products').execute()
}
