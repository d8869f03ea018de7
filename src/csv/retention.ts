// How long an unfinished CSV import keeps the uploaded file. Its rows (emails, names, anything the
// file held) wait in import_chunks for someone to finish the import; one abandoned for a week
// never will be, and keeping the rows would keep personal data nobody asked to store. Run on Node
// at start and every hour (src/node.ts), on Workers by a Cron Trigger (src/worker.ts).
import { sql, type Kysely } from 'kysely'
import type { Database } from '../db/schema.js'

export const ABANDONED_IMPORT_DAYS = 7

/** Deletes imports not finished and created more than `days` ago, with their rows, dry-run notes
 *  and rejected rows (ON DELETE CASCADE). Returns how many went. */
export async function expireAbandonedImports(
  db: Kysely<Database>,
  days = ABANDONED_IMPORT_DAYS,
): Promise<number> {
  const gone = await db
    .deleteFrom('imports')
    .where('finished_at', 'is', null)
    .where('created_at', '<', sql<Date>`now() - make_interval(days => ${days})`)
    .executeTakeFirst()
  return Number(gone.numDeletedRows)
}
