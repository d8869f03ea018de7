// Deleting a project deleted the customers only in it but kept the merges that named them, with
// their snapshots (a deleted person's email and params), until src/projects/delete.ts deleted them
// too. This deletes those left behind: a merge whose survivor or absorbed customer is gone can
// never be undone, and no page shows it. Frozen: never import app code.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await sql`DELETE FROM merges m
    WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = m.survivor_id)
      OR NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = m.absorbed_id)`.execute(db)
}

export async function down(): Promise<void> {
  // The deleted snapshots are not kept anywhere: nothing to put back.
}
