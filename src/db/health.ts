// The health check's query: the database answers a trivial statement.
import { sql, type Kysely } from 'kysely'
import type { Database } from './schema.js'

export async function checkDatabase(db: Kysely<Database>): Promise<void> {
  await sql`SELECT 1`.execute(db)
}
