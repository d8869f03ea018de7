// A relation written by Segment's tracking calls (src/segment/) records 'segment' as its source,
// in the relation and in its history of changes, rather than passing for TinyCRM's own API.
// Frozen: never import app code.
//
// The check is widened: every row stored so far satisfies it, so it is added NOT VALID (no long
// lock while the table is read) and then validated under a lock that lets writes go on.
import { sql, type Kysely } from 'kysely'

const check = (sources: string[]) =>
  sql.raw(`CHECK (source IN (${sources.map((s) => `'${s}'`).join(', ')}))`)

const BEFORE = ['api', 'import', 'stripe', 'paddle', 'merge', 'dashboard']

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE customer_projects
    DROP CONSTRAINT customer_projects_source_check,
    ADD CONSTRAINT customer_projects_source_check ${check([...BEFORE, 'segment'])} NOT VALID`.execute(
    db,
  )
  await sql`ALTER TABLE customer_projects VALIDATE CONSTRAINT customer_projects_source_check`.execute(
    db,
  )
}

export async function down(db: Kysely<any>): Promise<void> {
  // Segment's writes came in through the API before this migration.
  await sql`UPDATE customer_projects SET source = 'api' WHERE source = 'segment'`.execute(db)
  await sql`ALTER TABLE customer_projects
    DROP CONSTRAINT customer_projects_source_check,
    ADD CONSTRAINT customer_projects_source_check ${check(BEFORE)}`.execute(db)
}
