// A project's relations by last activity carry their customer: a time in one project
// (`active=30@app-b`, `inactive=…@…`) read as a set is then the index alone, never the relations'
// rows. Measured at 1,000,960 relations (PostgreSQL 15, 544,000 customers), churned on A and
// active on B in the last 30 days (4,534 customers): the summary statement hashed App B's 51,963
// recent relations from their rows (a bitmap scan of 26,280 pages) or probed each of the 85,224
// customers churned on A; with the customer in the index the page took 100 ms, 212 before.
// Frozen: never import app code.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX customer_projects_project_activity_customer_idx
    ON customer_projects (project_id, last_activity_at DESC) INCLUDE (customer_id)`.execute(db)
  await sql`DROP INDEX customer_projects_project_activity_idx`.execute(db)
  await sql`ALTER INDEX customer_projects_project_activity_customer_idx
    RENAME TO customer_projects_project_activity_idx`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX customer_projects_project_activity_idx`.execute(db)
  await sql`CREATE INDEX customer_projects_project_activity_idx
    ON customer_projects (project_id, last_activity_at DESC)`.execute(db)
}
